"""ControllerConnection when the controller misbehaves or the link fails."""

from __future__ import annotations

import asyncio
import errno
import itertools
import logging
import socket
import time
from collections.abc import AsyncIterator

import pytest

from m2gui.net import (
    CommandInvalid,
    CommandRecord,
    CommandTimeout,
    ConnectionState,
    ControllerConnection,
    Outcome,
)
from m2gui.net.connection import LATE_INFO_ENTRIES, MAX_UNKNOWN_IDS
from m2gui.sim import ControllerSimulator

from ..conftest import connect_to
from ..waiting import until
from .scripted_peer import ScriptedController

pytestmark = pytest.mark.timeout(25)


class AcceptAndClose:
    """A 'controller' whose ports accept and at once close (a crashing server)."""

    def __init__(self) -> None:
        self.accepts: list[float] = []  # command port
        self.servers: list[asyncio.Server] = []

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.accepts.append(time.monotonic())
        writer.close()

    async def _handle_quietly(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        writer.close()

    async def __aenter__(self) -> AcceptAndClose:
        for handler in (self._handle, self._handle_quietly):
            self.servers.append(await asyncio.start_server(handler, "127.0.0.1", 0))
        return self

    async def __aexit__(self, *exc: object) -> None:
        for server in self.servers:
            server.close()

    def ports(self) -> tuple[int, int]:
        p = [int(s.sockets[0].getsockname()[1]) for s in self.servers]
        return p[0], p[1]


async def test_accept_and_close_backs_off_and_rate_limits_warnings(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async with AcceptAndClose() as peer:
        cmd, tel = peer.ports()
        conn = ControllerConnection(
            "127.0.0.1", cmd, tel, backoff_initial=0.05, backoff_max=0.4, stable_after=5
        )
        states: list[ConnectionState] = []
        conn.add_state_listener(states.append)
        with caplog.at_level(logging.WARNING):
            conn.start()
            # six attempts on the command port
            await until(lambda: len(peer.accepts) >= 6, timeout=10)
            await conn.close()
    cmd_accepts = peer.accepts
    gaps = [b - a for a, b in itertools.pairwise(cmd_accepts)][:5]
    # Each wait at least the backoff: 0.05, 0.1, 0.2, 0.4 (never reset by a
    # TCP connect that delivers nothing).
    assert all(gap >= 0.04 for gap in gaps), gaps
    assert gaps[3] >= 0.3, gaps
    assert ConnectionState.RECONNECTING in states
    lost = [r for r in caplog.records if "connection lost" in r.getMessage()]
    assert len(lost) <= len(cmd_accepts)


async def test_link_warnings_are_rate_limited(caplog: pytest.LogCaptureFixture) -> None:
    async with AcceptAndClose() as peer:
        cmd, tel = peer.ports()
        conn = ControllerConnection(
            "127.0.0.1", cmd, tel, backoff_initial=0.001, backoff_max=0.002, stable_after=5
        )
        started = time.monotonic()
        with caplog.at_level(logging.WARNING, logger="m2gui.net.connection"):
            conn.start()
            await until(lambda: len(peer.accepts) >= 60, timeout=15)
            await conn.close()
        elapsed = time.monotonic() - started
    warnings = [r for r in caplog.records if r.name == "m2gui.net.connection"]
    # sixty drops: ten in full, then at most one a second
    assert len(warnings) <= 10 + int(elapsed) + 2, (len(warnings), elapsed)


async def test_a_stable_link_that_drops_reconnects_at_once(sim: ControllerSimulator) -> None:
    conn = connect_to(sim, backoff_initial=2.0, backoff_max=4.0, stable_after=0.1)
    conn.start()
    await conn.wait_connected(5)
    await until(lambda: conn.telemetry_stats.messages > 5)
    await asyncio.sleep(0.15)  # let the link be up longer than stable_after
    made = conn.connections_made
    await sim.drop_connections()
    # reconnects well before the 2 s backoff would allow
    await until(lambda: conn.connections_made > made and conn.connected, timeout=1.5)
    await conn.close()


@pytest.mark.parametrize("port", ["command", "telemetry"])
async def test_injected_etimedout_reconnects(sim: ControllerSimulator, port: str) -> None:
    conn = connect_to(sim)
    conn.start()
    await conn.wait_connected(5)
    made = conn.connections_made
    client = conn._command_client if port == "command" else conn._telemetry_client
    assert client is not None and client._writer is not None
    client._writer.transport._force_close(  # type: ignore[attr-defined]
        TimeoutError(errno.ETIMEDOUT, "Connection timed out")
    )
    await until(lambda: conn.connections_made > made and conn.connected)
    before = conn.telemetry_stats.messages
    await until(lambda: conn.telemetry_stats.messages > before + 3)
    assert (await conn.command("clearErrors")).outcome is Outcome.SUCCESS
    await conn.close()


@pytest.fixture
async def black_hole() -> AsyncIterator[int]:
    """A listening port whose backlog is full: connection attempts hang."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(0)
    port = listener.getsockname()[1]
    fillers = []
    for _ in range(4):
        s = socket.socket()
        s.setblocking(False)
        try:
            s.connect(("127.0.0.1", port))
        except BlockingIOError:
            pass
        fillers.append(s)
    yield port
    for s in fillers:
        s.close()
    listener.close()


async def test_close_does_not_wait_for_a_hanging_connect(black_hole: int) -> None:
    conn = ControllerConnection("127.0.0.1", black_hole, black_hole, connect_timeout=60)
    conn.start()
    await until(lambda: conn._command_client is not None)
    await asyncio.sleep(0.05)  # inside the connection attempt
    assert conn.state is ConnectionState.CONNECTING
    closing = asyncio.create_task(conn.close())
    done, _ = await asyncio.wait({closing}, timeout=3)  # far less than the 60 s connect timeout
    assert closing in done
    assert conn.state is ConnectionState.DISCONNECTED


async def test_close_propagates_the_callers_cancellation(black_hole: int) -> None:
    conn = ControllerConnection("127.0.0.1", black_hole, black_hole, connect_timeout=60)
    conn.start()
    await until(lambda: conn._command_client is not None)
    closing = asyncio.create_task(conn.close())
    await asyncio.sleep(0)
    closing.cancel()
    with pytest.raises(asyncio.CancelledError):
        await closing
    # the closing still completes in the background
    await until(lambda: conn.state is ConnectionState.DISCONNECTED)


async def test_command_with_unwritable_parameters_ends_invalid(
    conn: ControllerConnection,
) -> None:
    seen: list[tuple[str, Outcome]] = []
    conn.add_command_listener(lambda r: seen.append((r.name, r.outcome)))
    # the simulator checks ids after the first: an id used up by a command
    # that was never written would make every later command wait forever
    assert (await conn.command("clearErrors")).outcome is Outcome.SUCCESS
    with pytest.raises(CommandInvalid) as info:
        await conn.command("clearErrors", {"value": object()})
    assert info.value.record.outcome is Outcome.INVALID
    with pytest.raises(ValueError):  # CommandInvalid is a ValueError
        await conn.command("clearErrors", {"id": "x"})
    assert conn._pending == {}
    assert seen[-1] == ("clearErrors", Outcome.INVALID)
    for _ in range(3):
        assert (await conn.command("clearErrors", timeout=2)).outcome is Outcome.SUCCESS
    assert conn.resyncs == 0


async def test_cancelled_command_ends_cancelled(
    conn: ControllerConnection, sim: ControllerSimulator
) -> None:
    sim.faults.withhold = {"*"}
    records: list[CommandRecord] = []
    conn.add_command_listener(records.append)
    task = asyncio.create_task(conn.command("clearErrors", timeout=10))
    await until(lambda: bool(conn._pending))
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert conn._pending == {}
    assert records[-1].outcome is Outcome.CANCELLED
    assert records[-1].t_done is not None


async def test_a_flood_of_late_replies_stays_bounded(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async with ScriptedController("cpp") as peer:
        conn = ControllerConnection("127.0.0.1", peer.command_port, peer.telemetry_port)
        notified: list[CommandRecord] = []
        conn.add_command_listener(notified.append)
        conn.start()
        await conn.wait_connected(5)
        record = await conn.command("clearErrors", timeout=2)
        n = 20_000
        flood = (
            f'{{"id":"fail","sequence_id":{record.sequence_id},"user_info":"{"x" * 2000}"}}\r\n'
        ).encode()
        with caplog.at_level(logging.INFO):
            await peer.send(flood * n)
            await until(lambda: conn.late_replies >= n, timeout=15)
        assert record.late_replies == n
        assert len(record.user_info) <= LATE_INFO_ENTRIES
        assert sum(map(len, record.user_info)) <= LATE_INFO_ENTRIES * 600
        assert len(notified) < 20
        late_logs = [r for r in caplog.records if "late replies so far" in r.getMessage()]
        assert len(late_logs) < 100
        assert record.outcome is Outcome.SUCCESS
        await conn.close()


async def test_bad_line_log_limit_survives_reconnects(
    sim: ControllerSimulator, caplog: pytest.LogCaptureFixture
) -> None:
    conn = connect_to(sim)
    conn.start()
    await conn.wait_connected(5)
    started = time.monotonic()
    with caplog.at_level(logging.WARNING):
        for round_ in range(5):
            made = conn.connections_made
            for _ in range(12):
                await sim.send_garbage("telemetry", "malformed")
            want = 12 * (round_ + 1)
            await until(lambda w=want: conn.port_stats("telemetry").bad_lines >= w)
            await sim.drop_connections()
            await until(lambda m=made: conn.connections_made > m and conn.connected)
    elapsed = time.monotonic() - started
    total_bad = conn.port_stats("telemetry").bad_lines
    logged = [r for r in caplog.records if "skipped a bad line" in r.getMessage()]
    assert total_bad >= 60
    # burst of 10, then at most one a second for the whole connection
    assert len(logged) <= 10 + int(elapsed) + 1, (len(logged), elapsed)
    await conn.close()


async def test_invented_event_ids_are_capped(
    conn: ControllerConnection, sim: ControllerSimulator
) -> None:
    count = MAX_UNKNOWN_IDS + 400
    for i in range(count):
        for session in sim.sessions["command"]:
            session.send(f'{{"id":"invented{i}","v":{i}}}\r\n'.encode())
    await until(lambda: conn.port_stats("command").unknown_ids >= count)
    invented = [name for name in conn.latest_events if name.startswith("invented")]
    assert len(invented) == MAX_UNKNOWN_IDS
    assert conn.port_stats("command").unknown_dropped == count - MAX_UNKNOWN_IDS
    # a known event after the cap is still kept and delivered
    conn.latest_events.pop("summaryState", None)
    sim.broadcast([{"id": "summaryState", "summaryState": 5}])
    await until(lambda: "summaryState" in conn.latest_events)


async def test_noack_with_id_zero_never_resends(
    conn: ControllerConnection, sim: ControllerSimulator
) -> None:
    assert (await conn.command("clearErrors")).outcome is Outcome.SUCCESS
    sim.faults.withhold = {"clearErrors"}  # keeps the next one waiting for its reply
    task = asyncio.create_task(conn.command("clearErrors", timeout=1))
    await until(lambda: bool(conn._pending))
    await conn.send_line("command", "{not json")  # the controller answers noack, id 0
    await until(lambda: conn.unmatched_replies == 1)
    with pytest.raises(CommandTimeout):
        await task
    assert task.exception().record.resends == 0  # type: ignore[union-attr]
    assert conn.resyncs == 0
    sim.faults.withhold = set()
    assert (await conn.command("clearErrors", timeout=2)).outcome is Outcome.SUCCESS


async def test_unhashable_reply_id_is_an_unknown_id(
    conn: ControllerConnection, sim: ControllerSimulator
) -> None:
    for session in sim.sessions["command"]:
        session.send(b'{"id":["ack"],"sequence_id":1}\r\n{"id":{"a":1}}\r\n')
    await until(lambda: conn.port_stats("command").unknown_ids >= 2)
    assert conn._command_client is not None
    assert conn._command_client.callback_errors == 0


async def test_a_controller_that_stops_reading_cannot_hold_a_command() -> None:
    """The write is bounded by the command's timeout, and close() still returns."""
    stalled: list[asyncio.StreamWriter] = []

    async def never_read(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        stalled.append(writer)
        await asyncio.Event().wait()

    async def telemetry(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        stalled.append(writer)
        await asyncio.Event().wait()

    servers = [
        await asyncio.start_server(never_read, "127.0.0.1", 0),
        await asyncio.start_server(telemetry, "127.0.0.1", 0),
    ]
    try:
        ports = [int(s.sockets[0].getsockname()[1]) for s in servers]
        conn = ControllerConnection("127.0.0.1", *ports)
        conn.start()
        await conn.wait_connected(5)
        big = {"pad": "x" * 30_000_000}  # more than the socket buffers hold
        with pytest.raises(CommandTimeout, match="not written within"):
            await conn.command("clearErrors", big, timeout=1)
        closing = asyncio.create_task(conn.close())
        done, _ = await asyncio.wait({closing}, timeout=5)
        assert closing in done
        assert conn.state is ConnectionState.DISCONNECTED
    finally:
        for writer in stalled:
            writer.transport.abort()
        for server in servers:
            server.close()
