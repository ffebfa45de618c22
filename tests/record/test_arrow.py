"""Recordings as Arrow tables: value for value, uint64 exact, arrays as fixed-size lists."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pyarrow as pa
import pytest

from m2gui.model import load_catalogue
from m2gui.net import WireLine
from m2gui.record import open
from m2gui.record.arrow import COMMANDS, EVENTS

from .conftest import T0, record, simulator_lines

HUGE = 18446744073709551615


def _messages(lines: list[WireLine], ident: str) -> list[tuple[float, dict[str, Any]]]:
    out = []
    for line in lines:
        try:
            message = orjson.loads(line.line)
        except orjson.JSONDecodeError:
            continue
        if isinstance(message, dict) and message.get("id") == ident:
            out.append((line.time, message))
    return out


def _micros(t: float) -> int:
    whole = int(t // 1)
    return whole * 1_000_000 + round((t - whole) * 1e6)


def _same_rows(table: pa.Table, expected: list[tuple[float, dict[str, Any]]]) -> None:
    rows = table.to_pylist()
    assert len(rows) == len(expected)
    for row, (t, message) in zip(rows, expected, strict=True):
        stamp = row.pop("time")
        assert stamp.value // 1000 == _micros(t)  # pandas Timestamp, ns
        assert {k: v for k, v in row.items() if v is not None} == {
            k: v for k, v in message.items() if k != "id"
        }


@pytest.fixture
def recording_path(tmp_path: Path) -> tuple[Path, list[WireLine]]:
    lines = simulator_lines()
    t = lines[-1].time
    lines += [
        WireLine(t + 1, "command", "in", b'{"id":"digitalInput","value":%d}\r' % HUGE),
        WireLine(t + 2, "command", "in", b'{"id":"digitalInput","value":0}'),
        WireLine(t + 3, "command", "in", b"\xff\xfe not json"),
        WireLine(t + 4, "telemetry", "in", b'{"id":"madeUp","a":1,"b":[1.5,2.5],"c":"x"}'),
    ]
    record(tmp_path / "rec", lines)
    return tmp_path / "rec", lines


def test_every_telemetry_topic_value_for_value(recording_path: tuple[Path, list[WireLine]]) -> None:
    folder, lines = recording_path
    catalogue = load_catalogue()
    with open(folder) as recording:
        topics = [t for t, kind in recording.topics.items() if kind == "telemetry"]
        assert len(topics) == 20
        for topic in topics:
            table = recording.to_arrow(topic)
            _same_rows(table, _messages(lines, topic))
            spec = catalogue.telemetry.get(topic)
            if spec is not None:
                assert table.column_names == ["time", *spec.fields]


def test_column_types(recording_path: tuple[Path, list[WireLine]]) -> None:
    folder, _ = recording_path
    with open(folder) as recording:
        axial = recording.to_arrow("axialForce")
        assert axial.schema.field("time").type == pa.timestamp("ns", tz="UTC")
        assert axial.schema.field("measured").type == pa.list_(pa.float64(), 72)
        assert axial.schema.field("measured").metadata == {b"unit": b"N"}
        power = recording.to_arrow("powerSystemState")
        assert power.schema.field("state").type == pa.int64()
        assert power.schema.field("status").type == pa.bool_()
        ilcs = recording.to_arrow("bypassedActuatorILCs")
        assert ilcs.schema.field("ilcs").type == pa.list_(pa.int64())  # variable length
        made_up = recording.to_arrow("madeUp")
        assert made_up.column_names == ["time", "a", "b", "c"]
        assert made_up.schema.field("b").type == pa.list_(pa.float64(), 2)


def test_uint64_exact(recording_path: tuple[Path, list[WireLine]]) -> None:
    folder, lines = recording_path
    with open(folder) as recording:
        digital = recording.to_arrow("digitalInput")
        assert digital.schema.field("value").type == pa.uint64()
        assert digital.column("value").to_pylist()[-2:] == [HUGE, 0]
        mask = recording.to_arrow("enabledFaultsMask")
        assert mask.schema.field("mask").type == pa.uint64()
        assert mask.column("mask").to_pylist()[0] == 18410715311050326015
        frame = recording.to_pandas("digitalInput")
        assert str(frame["value"].dtype) == "uint64"
        assert int(frame["value"].iloc[-2]) == HUGE
        # only what fits int64 stays int64
        digital_before = recording.to_arrow("digitalInput", end=lines[-5].time)
        assert digital_before.schema.field("value").type == pa.int64()


def test_time_range(recording_path: tuple[Path, list[WireLine]]) -> None:
    folder, lines = recording_path
    start, end = T0 + 0.5, T0 + 1.5
    with open(folder) as recording:
        table = recording.to_arrow("powerStatus", start, end)
    _same_rows(table, _messages([x for x in lines if start <= x.time <= end], "powerStatus"))
    assert 0 < table.num_rows < len(_messages(lines, "powerStatus"))


def test_events_table(recording_path: tuple[Path, list[WireLine]]) -> None:
    folder, lines = recording_path
    with open(folder) as recording:
        events = recording.to_arrow(EVENTS)
    expected = [
        line
        for line in lines
        if line.port == "command"
        and line.direction == "in"
        and line.line.startswith(b"{")
        and orjson.loads(line.line)["id"] not in ("ack", "success")
    ]
    assert events.column("name").to_pylist() == [orjson.loads(x.line)["id"] for x in expected]
    assert events.column("json").to_pylist() == [x.line.rstrip(b"\r").decode() for x in expected]
    names = events.column_names
    assert names[:3] == ["time", "name", "json"]
    assert "mode" in names  # the same type in every event having it: one column
    assert "powerSystemState.state" in names and "interlock.state" in names  # int vs bool
    rows = events.to_pylist()
    assert [r["value"] for r in rows if r["name"] == "digitalInput"][-2:] == [HUGE, 0]
    power = [r for r in rows if r["name"] == "powerSystemState"]
    assert power[0]["powerSystemState.state"] == 1 and power[0]["interlock.state"] is None


def test_commands_table(recording_path: tuple[Path, list[WireLine]]) -> None:
    folder, _ = recording_path
    with open(folder) as recording:
        commands = recording.to_arrow(COMMANDS).to_pylist()
    assert [(r["direction"], r["id"], r["sequence_id"]) for r in commands] == [
        ("out", "cmd_power", 1),
        ("in", "ack", 1),
        ("in", "success", 1),
        ("out", "cmd_power", 2),
        ("in", "ack", 2),
        ("in", "success", 2),
    ]
    assert orjson.loads(commands[0]["line"])["powerType"] == 2


def test_mixed_values_fall_back_to_text(tmp_path: Path) -> None:
    lines = [
        WireLine(T0, "telemetry", "in", b'{"id":"zenithAngle","measured":1.5}'),
        WireLine(T0 + 1, "telemetry", "in", b'{"id":"zenithAngle","measured":"oops"}'),
        WireLine(T0 + 2, "telemetry", "in", b'{"id":"zenithAngle","measured":2}'),
        WireLine(T0 + 3, "telemetry", "in", b'{"id":"zenithAngle","measured":-1}'),
        WireLine(T0 + 4, "telemetry", "in", b'{"id":"zenithAngle","measured":%d}' % HUGE),
    ]
    record(tmp_path / "rec", lines)
    with open(tmp_path / "rec") as recording:
        text = recording.to_arrow("zenithAngle")
        ints = recording.to_arrow("zenithAngle", start=T0 + 2)
        floats = recording.to_arrow("zenithAngle", start=T0 + 2, end=T0 + 3)
    assert text.column("measured").to_pylist() == ["1.5", "oops", "2", "-1", str(HUGE)]
    assert ints.schema.field("measured").type == pa.decimal128(20, 0)  # no 64-bit type fits
    assert ints.column("measured").to_pylist() == [2, -1, HUGE]
    assert floats.schema.field("measured").type == pa.float64()  # the catalogue says float
