"""Publisher and viewers against a real Mosquitto and the real simulator."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from m2gui.broker import BrokerSource, Publisher
from m2gui.model import Catalogue
from m2gui.model.history import CommandHistory
from m2gui.net import ConnectionState, ControllerConnection, Outcome, Received
from m2gui.sim import ControllerSimulator

from ..conftest import connect_to
from ..waiting import until
from .mosquitto import Mosquitto


def url(broker: Mosquitto, prefix: str = "m2") -> str:
    return f"mqtt://127.0.0.1:{broker.port}/{prefix}"


@pytest.fixture
async def linked(
    broker: Mosquitto, sim: ControllerSimulator, catalogue: Catalogue
) -> AsyncIterator[tuple[ControllerConnection, Publisher]]:
    """A controller connection published from its first line on."""
    conn = connect_to(sim)
    pub = Publisher(conn, url(broker), identity="ops@m2-gui 4242", catalogue=catalogue)
    pub.start()
    conn.start()
    await conn.wait_connected(5)
    yield conn, pub
    await conn.close()
    await pub.close()


def viewer(broker: Mosquitto, catalogue: Catalogue, **options: Any) -> BrokerSource:
    source = BrokerSource(url(broker), catalogue, backoff_initial=0.05, backoff_max=0.2, **options)
    source.start()
    return source


async def test_a_late_viewer_gets_the_full_event_state_from_retained_messages(
    broker: Mosquitto, linked: tuple[ControllerConnection, Publisher], catalogue: Catalogue
) -> None:
    conn, publisher = linked
    await until(lambda: len(conn.latest_events) >= 15, what="the start-up events")
    await until(lambda: publisher.published >= 20 and not publisher.outbox, what="published")
    late = viewer(broker, catalogue)
    try:
        await _same_events(late, conn)
        await until(lambda: late.connection.state is ConnectionState.CONNECTED, what="connected")
        assert late.read_only == (
            f"Viewer of mqtt://127.0.0.1:{broker.port}/m2: the controller is held by "
            "ops@m2-gui 4242; commands are disabled"
        )
        assert late.kind == "broker" and not late.stale
        assert late.connection.address == conn.address
    finally:
        await late.close()
    assert late.connection.state is ConnectionState.DISCONNECTED


async def _same_events(source: BrokerSource, conn: ControllerConnection) -> None:
    await until(
        lambda: set(source.connection.latest_events) >= set(conn.latest_events),
        what="every event in the viewer",
    )
    for name, received in conn.latest_events.items():
        got = source.connection.latest_events[name]
        assert got.message == received.message, name
        assert got.time == received.time, name  # the receive time travels with it


async def test_a_publisher_started_on_a_live_connection_publishes_the_events_it_has(
    broker: Mosquitto, conn: ControllerConnection, catalogue: Catalogue
) -> None:
    await until(lambda: len(conn.latest_events) >= 15, what="the start-up events")
    publisher = Publisher(conn, url(broker), catalogue=catalogue)
    publisher.start()
    source = viewer(broker, catalogue)
    try:
        await _same_events(source, conn)
    finally:
        await source.close()
        await publisher.close()


async def test_commands_sent_and_their_replies_reach_the_viewers_history(
    broker: Mosquitto, linked: tuple[ControllerConnection, Publisher], catalogue: Catalogue
) -> None:
    conn, _ = linked
    source = viewer(broker, catalogue)
    history = CommandHistory()
    history.attach(source.connection)
    try:
        await until(lambda: source.connection.connected, what="the viewer connected")
        record = await conn.command("clearErrors")
        assert record.outcome is Outcome.SUCCESS
        await until(
            lambda: any(
                r.sequence_id == record.sequence_id and r.outcome is Outcome.SUCCESS
                for r in history.records
            ),
            what="the command and its success in the viewer's history",
        )
        seen = next(r for r in history.records if r.sequence_id == record.sequence_id)
        assert seen.name == "clearErrors"
    finally:
        await source.close()


async def test_bad_lines_are_counted_by_viewers_as_by_the_direct_connection(
    broker: Mosquitto,
    sim: ControllerSimulator,
    linked: tuple[ControllerConnection, Publisher],
    catalogue: Catalogue,
) -> None:
    conn, _ = linked
    source = viewer(broker, catalogue)
    try:
        await until(lambda: source.connection.connected, what="the viewer connected")
        await sim.send_garbage("command", "malformed")
        await sim.send_garbage("telemetry", "malformed")
        await until(lambda: conn.port_stats("command").bad_lines >= 1, what="bad line (direct)")
        await until(
            lambda: (
                source.connection.port_stats("command").bad_lines
                == conn.port_stats("command").bad_lines
                and source.connection.port_stats("telemetry").bad_lines
                == conn.port_stats("telemetry").bad_lines
                and conn.port_stats("telemetry").bad_lines >= 1
            ),
            what="the same bad lines in the viewer",
        )
    finally:
        await source.close()


async def test_telemetry_in_the_viewer_equals_the_direct_connections_over_10000_messages(
    broker: Mosquitto, catalogue: Catalogue
) -> None:
    # 400 cycles/s of every topic: ~7,600 messages/s, 10,000 in under 2 s.
    async with ControllerSimulator(
        command_port=0, telemetry_port=0, rate=400, all_telemetry=True, seed=3
    ) as fast:
        conn = connect_to(fast)
        direct: list[Received] = []
        source = viewer(broker, catalogue)
        viewed: list[Received] = []
        source.connection.subscribe(viewed.append, kind="telemetry")
        pub = Publisher(conn, url(broker), catalogue=catalogue, max_buffer=1_000_000)
        try:
            await until(lambda: source.broker_connected, what="the viewer subscribed")
            pub.start()
            await until(lambda: pub.connected, what="the publisher connected")
            conn.subscribe(direct.append, kind="telemetry")
            conn.start()
            await until(lambda: len(viewed) >= 10_000, timeout=20, what="10,000 in the viewer")
        finally:
            await conn.close()
            await pub.close()
            await source.close()
        assert pub.stats.dropped_telemetry == 0 and pub.stats.lost == 0
        n = 10_000
        assert len(direct) >= n
        assert [(r.name, r.time, r.port) for r in viewed[:n]] == [
            (r.name, r.time, r.port) for r in direct[:n]
        ]
        assert all(v.message == d.message for v, d in zip(viewed[:n], direct[:n], strict=True))
        assert len({r.name for r in viewed[:n]}) == len(catalogue.telemetry)
