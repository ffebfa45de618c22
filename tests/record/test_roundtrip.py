"""Recording and reading back: bytes exact, in order, across parts."""

from __future__ import annotations

from pathlib import Path

import m2gui.record
from m2gui.net import WireLine
from m2gui.record import Recorder, open

from .conftest import odd_lines, record, simulator_lines


def test_lines_round_trip_byte_exact(tmp_path: Path, sample: list[WireLine]) -> None:
    record(tmp_path / "rec", sample)
    with open(tmp_path / "rec") as recording:
        assert list(recording.iter_messages()) == sample
        assert not recording.problems
        assert recording.start == min(line.time for line in sample)
        assert recording.end == max(line.time for line in sample)
        assert recording.message_count == len(sample)
        assert recording.metadata["format"] == 1
        assert recording.metadata["host"] == "127.0.0.1"
        assert recording.metadata["part"] == 1
        assert recording.metadata["m2gui"] == m2gui.__version__


def test_uint64_line_kept_exactly(tmp_path: Path) -> None:
    line = WireLine(5.5, "command", "in", b'{"id":"digitalInput","value":18446744073709551615}')
    record(tmp_path / "rec", [line])
    with open(tmp_path / "rec") as recording:
        (got,) = recording.iter_messages()
    assert got == line
    assert type(got.time) is float and got.port == "command" and got.direction == "in"


def test_time_range_selects_lines_inclusive(tmp_path: Path, sample: list[WireLine]) -> None:
    recorder = Recorder(tmp_path / "rec", {}, flush_interval=60)
    for i, line in enumerate(sample):
        recorder.write(line)
        if i % 50 == 49:
            assert recorder.flush(5)  # several frames, so some are skipped by the index
    recorder.close()
    start, end = sample[60].time, sample[200].time
    with open(tmp_path / "rec") as recording:
        assert len(recording.frames) > 3
        assert recording.frames_in(start, end) != recording.frames
        got = list(recording.iter_messages(start, end))
        frames = list(recording.iter_frames(start, end))
    assert got == [line for line in sample if start <= line.time <= end]
    assert sum(len(f) for f in frames) == len(got)


def test_rotation_into_parts_read_in_order(tmp_path: Path, sample: list[WireLine]) -> None:
    folder = tmp_path / "rec"
    recorder = Recorder(folder, {}, rotate_bytes=1, flush_interval=60)
    sample = [line for line in sample if line.port == "telemetry"]  # one frame per flush
    chunks = [sample[i : i + 40] for i in range(0, len(sample), 40)]
    for chunk in chunks:
        for line in chunk:
            recorder.write(line)
        assert recorder.flush(5)
    recorder.close()
    names = sorted(p.name for p in folder.glob("part-*"))
    assert names == [f"part-{i:05d}.m2rec" for i in range(1, len(chunks) + 1)]
    with open(folder) as recording:
        assert recording.parts == [folder / name for name in names]
        assert list(recording.iter_messages()) == sample
    with open(folder / "part-00002.m2rec") as single:
        assert list(single.iter_messages()) == chunks[1]
        assert single.metadata["part"] == 2


def test_rotation_by_age(tmp_path: Path) -> None:
    folder = tmp_path / "rec"
    recorder = Recorder(folder, {}, rotate_seconds=0.0, flush_interval=60)
    lines = odd_lines(100.0)
    for line in lines:
        recorder.write(line)
        assert recorder.flush(5)
    recorder.close()
    with open(folder) as recording:
        assert len(recording.parts) == len(lines)
        assert list(recording.iter_messages()) == lines


def test_new_recorder_continues_with_next_part(tmp_path: Path) -> None:
    first, second = simulator_lines()[:10], simulator_lines(2e9)[:10]
    record(tmp_path / "rec", first)
    record(tmp_path / "rec", second)
    with open(tmp_path / "rec") as recording:
        assert [p.name for p in recording.parts] == ["part-00001.m2rec", "part-00002.m2rec"]
        assert list(recording.iter_messages()) == first + second


def test_topics_classified(tmp_path: Path) -> None:
    lines = simulator_lines()
    lines.append(
        WireLine(
            lines[-1].time + 1,
            "telemetry",
            "out",
            b'{"compName":"MTMount", "id": "tel_elevation", "actualPosition": 1.0}',
        )
    )
    lines.append(WireLine(lines[-1].time + 1, "command", "in", b'{"id":"madeUp","x":1}'))
    lines.append(WireLine(lines[-1].time + 1, "command", "in", b"not json"))
    record(tmp_path / "rec", lines)
    with open(tmp_path / "rec") as recording:
        topics = recording.topics
    assert topics["axialForce"] == "telemetry"
    assert topics["powerSystemState"] == "event"
    assert topics["cmd_power"] == "command"
    assert topics["ack"] == topics["success"] == "reply"
    assert topics["tel_elevation"] == "telemetry"
    assert topics["madeUp"] == "event"
    assert len(topics) == 43  # 41 ids in the fixture, plus two


def test_live_recording_refresh_sees_new_frames(tmp_path: Path) -> None:
    lines = simulator_lines()
    recorder = Recorder(tmp_path / "rec", {}, flush_interval=60, rotate_bytes=3000)
    for line in lines[:100]:
        recorder.write(line)
    assert recorder.flush(5)
    with open(tmp_path / "rec") as recording:
        assert list(recording.iter_messages()) == lines[:100]
        topics_before = set(recording.topics)
        for line in lines[100:]:
            recorder.write(line)
            if line is lines[200]:
                assert recorder.flush(5)
        assert recorder.flush(5)
        new = recording.refresh()
        assert len(recording.parts) > 1
        assert sum(f.count for f in new) == len(lines) - 100
        assert list(recording.iter_messages()) == lines
        assert set(recording.topics) > topics_before
    recorder.close()


def test_import_is_cheap() -> None:
    import subprocess
    import sys

    code = (
        "import sys, m2gui.record; "
        "print(sorted(m for m in ('pyarrow', 'pandas', 'PySide6') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
