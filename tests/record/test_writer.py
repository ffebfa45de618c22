"""The Recorder: frames on disk every flush interval, status, bounds, never raising."""

from __future__ import annotations

import time
from pathlib import Path

from m2gui.net import WireLine
from m2gui.record import Recorder, RecordingError, open
from m2gui.record.reader import FrameRef

from .conftest import simulator_lines, wait_for


def _visible(folder: Path) -> list[WireLine]:
    try:
        with open(folder) as recording:
            return list(recording.iter_messages())
    except RecordingError:
        return []


def test_frame_on_disk_within_flush_interval_without_close(tmp_path: Path) -> None:
    folder = tmp_path / "rec"
    interval = 0.2
    recorder = Recorder(folder, {}, flush_interval=interval)
    try:
        lines = simulator_lines(time.time())
        for batch in (lines[:100], lines[100:]):
            for line in batch:
                recorder.write(line)
            written = len(lines[: lines.index(batch[-1]) + 1])
            # A second reader sees them within the interval (plus a margin), no close.
            wait_for(
                lambda n=written: len(_visible(folder)) == n,  # type: ignore[misc]
                timeout=interval + 1.0,
                what="the lines on disk",
            )
        assert _visible(folder) == lines
    finally:
        recorder.close()


def test_write_does_no_disk_io(tmp_path: Path) -> None:
    folder = tmp_path / "rec"
    recorder = Recorder(folder, {}, flush_interval=60)
    for line in simulator_lines():
        recorder.write(line)
    assert not folder.exists()  # queued in memory only; the writer thread does the I/O
    assert recorder.status().part is None
    recorder.close()
    assert len(_visible(folder)) == 300


def test_status_counts_bytes_and_rate(tmp_path: Path) -> None:
    recorder = Recorder(tmp_path / "rec", {}, flush_interval=60)
    lines = simulator_lines()
    for line in lines:
        recorder.write(line)
    assert recorder.flush(5)
    status = recorder.status()
    part = tmp_path / "rec" / "part-00001.m2rec"
    assert status.part == part
    assert status.bytes_on_disk == part.stat().st_size
    assert status.wire_bytes == sum(len(line.line) + 1 for line in lines)
    assert status.messages == 300
    assert status.rate > 0
    assert status.active and status.error is None and status.dropped == 0
    # compression: the sample traffic takes well under its wire size
    assert status.bytes_on_disk < 0.4 * status.wire_bytes
    recorder.close()
    recorder.close()  # idempotent
    assert not recorder.status().active


def test_backlog_is_bounded(tmp_path: Path) -> None:
    recorder = Recorder(tmp_path / "rec", {}, flush_interval=60, max_backlog=10_000)
    line = WireLine(1.0, "telemetry", "in", b"x" * 986)  # 1000 bytes with its record
    for _ in range(25):
        recorder.write(line)
    status = recorder.status()
    assert status.messages == 10
    assert status.dropped == 15
    recorder.close()
    assert len(_visible(tmp_path / "rec")) == 10


def test_write_never_raises(tmp_path: Path) -> None:
    recorder = Recorder(tmp_path / "rec", {}, flush_interval=60)
    good = WireLine(1.0, "command", "in", b"{}")
    recorder.write(good)
    recorder.write(WireLine(1.0, "serial", "in", b"{}"))  # unknown port
    recorder.write(WireLine(1.0, "command", "sideways", b"{}"))  # unknown direction
    recorder.write(WireLine(1.0, "command", "in", "text"))  # type: ignore[arg-type]
    recorder.write(None)  # type: ignore[arg-type]
    recorder.write(WireLine("now", "command", "in", b"{}"))  # type: ignore[arg-type]
    recorder.close()
    recorder.write(good)  # after close: ignored
    assert _visible(tmp_path / "rec") == [good]
    assert recorder.status().dropped == 5


def test_frame_listener_gets_each_frame(tmp_path: Path) -> None:
    seen: list[tuple[FrameRef, list[WireLine]]] = []
    recorder = Recorder(
        tmp_path / "rec", {}, flush_interval=60, on_frame=lambda r, ls: seen.append((r, list(ls)))
    )
    lines = simulator_lines()
    for line in lines[:100]:
        recorder.write(line)
    assert recorder.flush(5)
    for line in lines[100:]:
        recorder.write(line)
    recorder.close()
    with open(tmp_path / "rec") as recording:
        assert [ref for ref, _ in seen] == recording.frames
        assert [recording.read_frame(ref) for ref, _ in seen] == [ls for _, ls in seen]
    # Each flush: the command port's lines, then the telemetry port's.
    expected = [
        line
        for batch in (lines[:100], lines[100:])
        for port in ("command", "telemetry")
        for line in batch
        if line.port == port
    ]
    assert [line for _, ls in seen for line in ls] == expected


def test_frame_listener_failure_does_not_stop_recording(tmp_path: Path) -> None:
    def broken(ref: FrameRef, lines: object) -> None:
        raise RuntimeError("boom")

    recorder = Recorder(tmp_path / "rec", {}, flush_interval=60, on_frame=broken)
    line = WireLine(1.0, "command", "in", b"{}")
    recorder.write(line)
    assert recorder.flush(5)
    recorder.write(line)
    recorder.close()
    assert _visible(tmp_path / "rec") == [line, line]
    assert recorder.status().error is None
