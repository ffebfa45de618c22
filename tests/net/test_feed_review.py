"""Review of the feed path: link details, unusable times, a source that jumps in time."""

from __future__ import annotations

import math

import orjson
import pytest

from m2gui.model import load_catalogue
from m2gui.model.history import CommandHistory
from m2gui.model.link import LinkStatus, LinkStore
from m2gui.model.sources import fed_connection
from m2gui.model.telemetry import TelemetryStore
from m2gui.net import ConnectionState, ControllerConnection, Outcome, WireLine

T0 = 1_780_000_000.0
CATALOGUE = load_catalogue()


def tel(t: float, value: float = 1.0) -> WireLine:
    line = orjson.dumps({"id": "inclinometerAngleTma", "inclinometer": value})
    return WireLine(t, "telemetry", "in", line)


def test_a_new_detail_in_the_same_state_reaches_the_link() -> None:
    """A broker viewer goes from "publisher offline" to "no link to the controller"."""
    fed = fed_connection(CATALOGUE)
    link = LinkStore(fed)
    seen: list[LinkStatus] = []
    link.changed.connect(seen.append)
    fed.set_fed_state(ConnectionState.RECONNECTING, "the publisher p1 is offline")
    fed.set_fed_state(ConnectionState.RECONNECTING, "the publisher p1 has no link")
    fed.set_fed_state(ConnectionState.RECONNECTING, "the publisher p1 has no link")
    assert [s.last_error for s in seen] == [
        "the publisher p1 is offline",
        "the publisher p1 has no link",
    ]


@pytest.mark.parametrize("bad", [math.inf, math.nan, -math.inf])
def test_a_line_with_no_usable_time_is_counted_and_skipped(bad: float) -> None:
    fed = fed_connection(CATALOGUE)
    store = TelemetryStore(CATALOGUE, 60.0)
    store.attach(fed)
    fed.feed(tel(T0))
    fed.feed(tel(bad))
    fed.feed(tel(T0 + 1))
    buffer = store.buffers["inclinometerAngleTma"]
    assert list(buffer.times()) == [T0, T0 + 1]
    assert fed.telemetry_stats.bad_lines == 1


def _command(t: float, seq: int) -> WireLine:
    return WireLine(
        t, "command", "out", orjson.dumps({"id": "cmd_clearErrors", "sequence_id": seq})
    )


def _reply(t: float, kind: str, seq: int) -> WireLine:
    return WireLine(t, "command", "in", orjson.dumps({"id": kind, "sequence_id": seq}))


def test_after_a_jump_the_same_lines_make_new_records_only() -> None:
    fed = fed_connection(CATALOGUE)
    history = CommandHistory()
    history.attach(fed)
    fed.feed(_command(T0, 3))
    fed.feed(_reply(T0 + 0.1, "ack", 3))  # in flight when the replay jumps back
    fed.feed(_command(T0 + 1, 4))
    fed.feed(_reply(T0 + 1.1, "success", 4))
    history.clear()
    fed.reset_fed()
    assert not fed.latest_events and not fed.latest_telemetry
    fed.feed(_reply(T0 - 1, "success", 4))  # a reply whose command is before the recording
    fed.feed(_command(T0, 3))
    assert [(r.sequence_id, r.outcome) for r in history.records] == [(3, Outcome.SENT)]
    assert fed.late_replies == 0


async def test_reset_fed_refuses_a_connection_with_sockets() -> None:
    connection = ControllerConnection("127.0.0.1", 1, 1, reconnect=False, connect_timeout=0.1)
    connection.start()
    with pytest.raises(RuntimeError, match="not fed"):
        connection.reset_fed()
    await connection.close()
