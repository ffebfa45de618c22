"""The wire tap (every line as on the wire) and the feed path (lines without sockets)."""

from __future__ import annotations

import orjson
import pytest

from m2gui.model import load_catalogue
from m2gui.model.events import EventStore
from m2gui.model.history import CommandHistory
from m2gui.model.sources import fed_connection
from m2gui.model.telemetry import TelemetryStore
from m2gui.net import (
    ConnectionState,
    ControllerConnection,
    Outcome,
    Received,
    WireLine,
)
from m2gui.sim import ControllerSimulator

from ..waiting import until


async def test_the_tap_sees_every_line_as_received_and_sent(
    conn: ControllerConnection, sim: ControllerSimulator
) -> None:
    wire: list[WireLine] = []
    got: list[Received] = []
    conn.add_wire_listener(wire.append)
    conn.subscribe(got.append, kind="telemetry")
    await until(lambda: len(got) >= 20, what="telemetry")
    record = await conn.command("clearErrors")
    assert record.outcome is Outcome.SUCCESS
    out = [w for w in wire if w.direction == "out"]
    assert len(out) == 1 and out[0].port == "command"
    sent = orjson.loads(out[0].line)
    assert sent["id"] == "cmd_clearErrors" and sent["sequence_id"] == record.sequence_id
    replies = [
        orjson.loads(w.line)
        for w in wire
        if w.direction == "in" and w.port == "command" and b'"sequence_id"' in w.line
    ]
    assert {r["id"] for r in replies if r["sequence_id"] == record.sequence_id} >= {
        "ack",
        "success",
    }
    # A telemetry message delivered to subscribers is the tapped line, decoded,
    # with the same receive time.
    by_time = {(w.port, w.time): w for w in wire if w.direction == "in"}
    for received in got[:20]:
        line = by_time[(received.port, received.time)]
        assert orjson.loads(line.line) == received.message


async def test_bad_lines_are_tapped_as_received(
    conn: ControllerConnection, sim: ControllerSimulator
) -> None:
    wire: list[WireLine] = []
    conn.add_wire_listener(wire.append)
    await sim.send_garbage("command", "malformed")
    await until(lambda: conn.port_stats("command").bad_lines >= 1, what="a bad line counted")
    assert any(w.direction == "in" and not _decodes(w.line) for w in wire), (
        "the malformed line was not tapped"
    )


def _decodes(line: bytes) -> bool:
    try:
        orjson.loads(line)
    except orjson.JSONDecodeError:
        return False
    return True


async def test_fed_lines_reach_the_stores_like_live_ones(
    conn: ControllerConnection, sim: ControllerSimulator
) -> None:
    catalogue = load_catalogue()
    live = _stores(conn)
    wire: list[WireLine] = []
    conn.add_wire_listener(wire.append)
    await until(lambda: len(live[1].buffers) >= 3, what="telemetry")
    await conn.command("clearErrors")
    await until(lambda: live[2].records and live[2].records[-1].outcome.final, what="outcome")
    fed = fed_connection(catalogue, "controller:50010/50011")
    replayed = _stores(fed)
    tapped: list[WireLine] = []
    fed.add_wire_listener(tapped.append)
    count = len(wire)
    for line in wire[:count]:
        fed.feed(line)
    assert tapped == wire[:count]
    # Same telemetry, sample for sample, at the same times.
    for topic, buffer in replayed[1].buffers.items():
        mine = live[1].buffers[topic]
        n = buffer.count
        assert n > 0
        assert (mine.times()[:n] == buffer.times()).all()
        assert (
            (mine.values()[:n] == buffer.values()) | (mine.values()[:n] != mine.values()[:n])
        ).all()
    # Same latest events.
    for name, received in fed.latest_events.items():
        assert conn.latest_events[name].message == received.message
    # The command sent, with its outcome, in the fed history.
    record = replayed[2].records[-1]
    assert record.name == "clearErrors" and record.outcome is Outcome.SUCCESS
    assert record.done_latency is not None and record.done_latency >= 0


def _stores(connection: ControllerConnection) -> tuple[EventStore, TelemetryStore, CommandHistory]:
    catalogue = load_catalogue()
    events = EventStore(catalogue)
    events.attach(connection)
    telemetry = TelemetryStore(catalogue, 60.0)
    telemetry.attach(connection)
    history = CommandHistory()
    history.attach(connection)
    return events, telemetry, history


def test_feed_counts_bad_lines_and_never_raises() -> None:
    fed = fed_connection(load_catalogue())
    for line in (b"{not json", b"\xff\xfe", b"[1, 2]", b'{"id": 5}', b""):
        fed.feed(WireLine(1.0, "command", "in", line))
    stats = fed.command_stats
    assert (stats.bad_lines, stats.unknown_ids) == (4, 1)  # malformed, UTF-8, list, empty; id 5
    with pytest.raises(ValueError, match="port or direction"):
        fed.feed(WireLine(1.0, "serial", "in", b"{}"))


def test_fed_commands_without_replies_are_bounded() -> None:
    fed = fed_connection(load_catalogue())
    ended: list[Outcome] = []
    fed.add_command_listener(lambda r: ended.append(r.outcome) if r.outcome.final else None)
    for seq in range(1, 400):
        line = orjson.dumps({"id": "cmd_clearErrors", "sequence_id": seq})
        fed.feed(WireLine(float(seq), "command", "out", line))
    assert len(fed._pending) <= 256
    assert ended.count(Outcome.TIMEOUT) == 399 - 256


def test_fed_state_is_what_the_link_shows() -> None:
    fed = fed_connection(load_catalogue())
    states: list[ConnectionState] = []
    fed.add_state_listener(states.append)
    fed.set_fed_state(ConnectionState.CONNECTED, "replay")
    assert fed.connected and states == [ConnectionState.CONNECTED]
