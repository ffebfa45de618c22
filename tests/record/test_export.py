"""Export to Parquet and CSV: equal to the recording, uint64 exact, progress, cancel."""

from __future__ import annotations

import csv
import threading
from decimal import Decimal
from pathlib import Path

import orjson
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from m2gui.net import WireLine
from m2gui.record import FrameRef, Recorder, open
from m2gui.record import export as export
from m2gui.record.arrow import COMMANDS, EVENTS
from m2gui.record.export import export_csv, export_parquet

from .conftest import T0, simulator_lines

HUGE = 18446744073709551615


def _many_frames(folder: Path, extra: list[WireLine] = ()) -> list[WireLine]:  # type: ignore[assignment]
    """The simulator sample in 10 frames, then ``extra`` in its own frame."""
    lines = simulator_lines()
    recorder = Recorder(folder, {"host": "sim"}, flush_interval=60)
    for i, line in enumerate(lines):
        recorder.write(line)
        if i % 30 == 29:
            assert recorder.flush(5)
    for line in extra:
        recorder.write(line)
    recorder.close()
    return lines + list(extra)


def test_parquet_equals_recording_value_for_value(tmp_path: Path) -> None:
    t = T0 + 10
    extra = [
        WireLine(t, "command", "in", b'{"id":"digitalInput","value":%d}' % HUGE),
        WireLine(t + 1, "command", "in", b'{"id":"enabledFaultsMask","mask":%d}' % HUGE),
    ]
    _many_frames(tmp_path / "rec", extra)
    progress: list[float] = []
    with open(tmp_path / "rec") as recording:
        files = export_parquet(recording, tmp_path / "out", progress=progress.append)
        topics = [t for t, kind in recording.topics.items() if kind == "telemetry"]
        assert [f.name for f in files] == [f"{t}.parquet" for t in topics] + [
            "events.parquet",
            "commands.parquet",
        ]
        assert sorted(p.name for p in (tmp_path / "out").iterdir()) == sorted(f.name for f in files)
        for path in files:
            table = pq.read_table(path)
            name = path.stem
            assert table.equals(recording.to_arrow(name)), name
            assert table.schema.metadata[b"m2gui.table"] == name.encode()
        events = pq.read_table(tmp_path / "out" / "events.parquet")
        assert events.schema.field("value").type == pa.uint64()
        assert events.column("value").to_pylist()[-2] == HUGE
        assert events.schema.field("mask").type == pa.uint64()
        assert events.column("mask").to_pylist()[-1] == HUGE
        axial = pq.read_table(tmp_path / "out" / "axialForce.parquet")
        assert axial.schema.field("measured").type == pa.list_(pa.float64(), 72)
        assert pq.read_table(files[-1]).num_rows == 6
    assert progress[-1] == 1.0
    assert progress == sorted(progress) and len(progress) > 2


def test_parquet_chunks_widen_the_schema(tmp_path: Path) -> None:
    """Row groups typed by their values: a later value beyond int64 widens the file."""
    folder = tmp_path / "rec"
    recorder = Recorder(folder, {}, flush_interval=60)
    values = [*range(50), HUGE, 7]
    negative = [*range(50), -5, HUGE]
    for i, (a, b) in enumerate(zip(values, negative, strict=True)):
        recorder.write(WireLine(T0 + i, "telemetry", "in", b'{"id":"x","a":%d,"b":%d}' % (a, b)))
        if i == 10:
            recorder.write(WireLine(T0 + i, "telemetry", "in", b'{"id":"x","a":1,"new":"n"}'))
        if i % 5 == 4:
            assert recorder.flush(5)
    recorder.close()
    with open(folder) as recording:
        files = export_parquet(recording, tmp_path / "out", chunk_bytes=100)
    table = pq.read_table(files[0])
    assert pq.ParquetFile(files[0]).num_row_groups > 5
    assert table.schema.field("a").type == pa.uint64()
    assert table.schema.field("b").type == pa.decimal128(20, 0)  # -5 and 2**64-1: exact
    a = table.column("a").to_pylist()
    assert a[:11] == list(range(11)) and a[11] == 1 and a[-2:] == [HUGE, 7]
    b = table.column("b").to_pylist()
    assert b[-2:] == [Decimal(-5), Decimal(HUGE)]
    assert table.column("new").to_pylist().count("n") == 1


def test_parquet_time_range(tmp_path: Path) -> None:
    lines = _many_frames(tmp_path / "rec")
    start, end = T0 + 1.0, T0 + 2.0
    with open(tmp_path / "rec") as recording:
        files = export_parquet(recording, tmp_path / "out", start, end)
        for path in files:
            assert pq.read_table(path).equals(recording.to_arrow(path.stem, start, end))
    power = pq.read_table(tmp_path / "out" / "powerStatus.parquet")
    expected = [x for x in lines if start <= x.time <= end and b'"powerStatus"' in x.line]
    assert power.num_rows == len(expected) > 0


@pytest.mark.parametrize("when", [0.0, 0.3])
def test_cancelled_parquet_export_leaves_nothing(tmp_path: Path, when: float) -> None:
    _many_frames(tmp_path / "rec")
    cancel = threading.Event()
    seen: list[float] = []

    def progress(fraction: float) -> None:
        seen.append(fraction)
        if fraction >= when:
            cancel.set()

    if when == 0.0:
        cancel.set()
    out = tmp_path / "out"
    with open(tmp_path / "rec") as recording:
        assert export_parquet(recording, out, progress=progress, cancel=cancel) == []
    assert list(out.iterdir()) == []
    assert 1.0 not in seen
    if when:
        assert seen  # it was running when cancelled


def test_csv_of_chosen_signals(tmp_path: Path) -> None:
    lines = _many_frames(tmp_path / "rec")
    signals = ["axialForce.measured[3]", "powerStatus.motorVoltage", "position.x"]
    progress: list[float] = []
    out = tmp_path / "signals.csv"
    with open(tmp_path / "rec") as recording:
        assert export_csv(recording, out, signals, progress=progress.append) == out
    with out.open(newline="") as file:
        rows = list(csv.reader(file))
    assert rows[0] == ["time", *signals]
    expected = []
    for line in lines:
        if line.port != "telemetry":
            continue
        message = orjson.loads(line.line)
        ident = message["id"]
        if ident == "axialForce":
            expected.append([repr(message["measured"][3]), "", ""])
        elif ident == "powerStatus":
            expected.append(["", repr(message["motorVoltage"]), ""])
        elif ident == "position":
            expected.append(["", "", repr(message["x"])])
    assert [row[1:] for row in rows[1:]] == expected
    assert rows[1][0].endswith("Z") and rows[1][0].startswith("2026-")
    assert progress[-1] == 1.0


def test_csv_rejects_unknown_signals_before_writing(tmp_path: Path) -> None:
    _many_frames(tmp_path / "rec")
    out = tmp_path / "signals.csv"
    with open(tmp_path / "rec") as recording, pytest.raises(ValueError, match="no field"):
        export_csv(recording, out, ["axialForce.nope[1]"])
    assert not out.exists()


def test_cancelled_csv_leaves_no_file(tmp_path: Path) -> None:
    _many_frames(tmp_path / "rec")
    cancel = threading.Event()
    out = tmp_path / "signals.csv"

    def progress(fraction: float) -> None:
        if fraction > 0.2:
            cancel.set()

    with open(tmp_path / "rec") as recording:
        result = export_csv(recording, out, ["position.x"], progress=progress, cancel=cancel)
    assert result is None
    assert list(tmp_path.iterdir()) == [tmp_path / "rec"]


def test_tables_named_events_and_commands_in_to_arrow(tmp_path: Path) -> None:
    lines = _many_frames(tmp_path / "rec")
    replies = (b'"ack"', b'"success"')
    inbound = [x for x in lines if x.port == "command" and x.direction == "in"]
    events = [x for x in inbound if not any(r in x.line for r in replies)]
    with open(tmp_path / "rec") as recording:
        assert recording.to_arrow(EVENTS).num_rows == len(events) == 122
        sent = [x for x in lines if x.direction == "out"]
        assert recording.to_arrow(COMMANDS).num_rows == len(inbound) - len(events) + len(sent)


def _corrupt_payload(ref: FrameRef) -> None:
    """Flip a byte inside a frame's payload (its header still checks)."""
    with ref.part.open("r+b") as file:
        file.seek(ref.end - 5)
        byte = file.read(1)
        file.seek(ref.end - 5)
        file.write(bytes([byte[0] ^ 0xFF]))


def test_parquet_in_worker_processes_equals_the_recording(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Jobs of a few frames each, decoded in two processes, written in recording order."""
    lines = _many_frames(tmp_path / "rec")
    monkeypatch.setattr(export, "JOB_BYTES", 5_000)
    axial_bytes = sum(len(x.line) for x in lines if b'"axialForce"' in x.line)
    chunk = axial_bytes // 3 + 1
    with open(tmp_path / "rec") as recording:
        bad = recording.frames[len(recording.frames) // 2]
        _corrupt_payload(bad)
        jobs = export._jobs(recording.frames, export._Job((), None, None, 1), export.JOB_BYTES)
        assert len(jobs) > 4
        progress: list[float] = []
        files = export_parquet(
            recording, tmp_path / "par", progress=progress.append, workers=2, chunk_bytes=chunk
        )
        assert recording.problems.corrupt_frames == 1  # reported by the recording, once
        assert any(f"byte {bad.offset}" in m for m in recording.problems.messages)
        alone = export_parquet(recording, tmp_path / "one", workers=1, chunk_bytes=chunk)
        assert [f.name for f in files] == [f.name for f in alone]
        for path, single in zip(files, alone, strict=True):
            table = pq.read_table(path)
            assert table.equals(pq.read_table(single)), path.name
            assert table.equals(recording.to_arrow(path.stem)), path.name
        # Small chunks of one table from several jobs are joined into row groups.
        axial = pq.ParquetFile(tmp_path / "par" / "axialForce.parquet")
        assert 1 < axial.num_row_groups < len(jobs)
    assert progress[-1] == 1.0 and progress == sorted(progress)


def test_cancelled_parallel_export_leaves_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _many_frames(tmp_path / "rec")
    monkeypatch.setattr(export, "JOB_BYTES", 5_000)
    cancel = threading.Event()
    seen: list[float] = []

    def progress(fraction: float) -> None:
        seen.append(fraction)
        cancel.set()  # after the first job

    out = tmp_path / "out"
    with open(tmp_path / "rec") as recording:
        files = export_parquet(recording, out, progress=progress, cancel=cancel, workers=2)
    assert files == []
    assert list(out.iterdir()) == []
    assert seen and 1.0 not in seen


def test_float_columns_skip_the_dictionary(tmp_path: Path) -> None:
    """Measurements are written plain (a dictionary costs several times the write);
    ids and other repeating values keep one."""
    _many_frames(tmp_path / "rec")
    with open(tmp_path / "rec") as recording:
        export_parquet(recording, tmp_path / "out")
    meta = pq.ParquetFile(tmp_path / "out" / "axialForce.parquet").metadata.row_group(0)
    encodings = {
        meta.column(i).path_in_schema: meta.column(i).encodings for i in range(meta.num_columns)
    }
    assert not any("DICTIONARY" in e for e in encodings["measured.list.element"])
    assert not any("DICTIONARY" in e for e in encodings["time"])
    commands = pq.ParquetFile(tmp_path / "out" / "commands.parquet").metadata.row_group(0)
    names = {commands.column(i).path_in_schema: i for i in range(commands.num_columns)}
    assert any("DICTIONARY" in e for e in commands.column(names["direction"]).encodings)
