"""ControllerConnection against the real simulator (and a scripted C++-like peer)."""

from __future__ import annotations

import asyncio
import json
import logging
import socket

import pytest

from m2gui.net import (
    CommandDisconnected,
    CommandFailed,
    CommandRejected,
    CommandTimeout,
    ConnectionState,
    ControllerConnection,
    Outcome,
    PortStats,
    Received,
)
from m2gui.sim import GARBAGE, ControllerSimulator

from ..conftest import connect_to
from ..waiting import until
from .conftest import LineServer


async def wait_for_state(
    conn: ControllerConnection, state: ConnectionState, timeout: float = 5.0
) -> None:
    for _ in range(int(timeout / 0.01)):
        if conn.state is state:
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"state is {conn.state}, expected {state}")


class StateLog:
    """Every state the connection passes through, even briefly."""

    def __init__(self, conn: ControllerConnection) -> None:
        self.states: list[ConnectionState] = []
        conn.add_state_listener(self.states.append)

    async def wait_for(self, *sequence: ConnectionState, timeout: float = 5.0) -> None:
        """Wait until ``sequence`` appears, in order, among the recorded states."""
        for _ in range(int(timeout / 0.01)):
            it = iter(self.states)
            if all(state in it for state in sequence):
                return
            await asyncio.sleep(0.01)
        raise AssertionError(f"states {self.states}, expected {sequence} in order")


async def test_command_success_records_latency(conn: ControllerConnection) -> None:
    records = []
    conn.add_command_listener(lambda r: records.append((r.sequence_id, r.outcome)))
    record = await conn.command("clearErrors")
    assert record.outcome is Outcome.SUCCESS
    assert record.sequence_id >= 1
    assert 0 < record.ack_latency <= record.done_latency < 1.0  # type: ignore[operator]
    assert [o for s, o in records if s == record.sequence_id] == [
        Outcome.SENT,
        Outcome.ACK,
        Outcome.SUCCESS,
    ]


async def test_sequence_ids_increase_across_commands(conn: ControllerConnection) -> None:
    ids = [(await conn.command("clearErrors")).sequence_id for _ in range(5)]
    assert ids == list(range(ids[0], ids[0] + 5))


async def test_noack_raises_rejected(conn: ControllerConnection) -> None:
    with pytest.raises(CommandRejected, match="unknown command") as info:
        await conn.command("noSuchCommand")
    assert info.value.record.outcome is Outcome.NOACK


async def test_fail_raises_with_reason(conn: ControllerConnection) -> None:
    with pytest.raises(CommandFailed, match="motor power is off") as info:
        await conn.command("switchForceBalanceSystem", {"status": True})
    assert info.value.record.outcome is Outcome.FAIL
    assert info.value.record.t_ack is not None


async def test_injected_failure(conn: ControllerConnection, sim: ControllerSimulator) -> None:
    sim.faults.fail_next = 1
    with pytest.raises(CommandFailed, match="injected failure"):
        await conn.command("clearErrors")
    assert (await conn.command("clearErrors")).outcome is Outcome.SUCCESS


async def test_timeout_when_replies_are_withheld(
    conn: ControllerConnection, sim: ControllerSimulator
) -> None:
    sim.faults.withhold = {"clearErrors"}
    with pytest.raises(CommandTimeout, match=r"no reply within 0\.3 s") as info:
        await conn.command("clearErrors", timeout=0.3)
    assert info.value.record.outcome is Outcome.TIMEOUT
    sim.faults.withhold.clear()
    assert (await conn.command("clearErrors")).outcome is Outcome.SUCCESS


async def test_late_reply_is_not_taken_for_the_next_command(
    conn: ControllerConnection, sim: ControllerSimulator
) -> None:
    sim.faults.reply_delay = 0.4
    with pytest.raises(CommandTimeout):
        await conn.command("clearErrors", timeout=0.1)
    sim.faults.reply_delay = 0.0
    # The late ack/success of the first command arrive while this one waits.
    record = await conn.command("loadConfiguration", timeout=5)
    assert record.outcome is Outcome.SUCCESS
    assert conn.late_replies == 2
    assert conn.unmatched_replies == 0


async def test_wrong_sequence_id_is_resynchronised_and_resent(conn: ControllerConnection) -> None:
    first = await conn.command("clearErrors")
    skipped = next(conn._ids)  # skip an id, as a second client sharing the generator would
    record = await conn.command("clearErrors", timeout=2)
    # The simulator follows the specification: noack with the expected id.
    assert record.outcome is Outcome.SUCCESS
    assert record.resends == 1
    assert record.sequence_id == first.sequence_id + 1 != skipped + 1
    assert conn.resyncs == 1
    assert any("refused" in text for text in record.user_info)


async def test_disconnect_while_in_flight(
    conn: ControllerConnection, sim: ControllerSimulator
) -> None:
    sim.faults.withhold = {"*"}
    task = asyncio.create_task(conn.command("clearErrors", timeout=10))
    await until(lambda: bool(conn._pending))
    await sim.drop_connections()
    with pytest.raises(CommandDisconnected, match="connection lost while in flight") as info:
        await asyncio.wait_for(task, 5)
    assert info.value.record.outcome is Outcome.DISCONNECTED


async def test_command_while_disconnected(sim: ControllerSimulator) -> None:
    conn = connect_to(sim)
    with pytest.raises(CommandDisconnected, match="not connected"):
        await conn.command("clearErrors")


async def test_reconnect_after_drop(conn: ControllerConnection, sim: ControllerSimulator) -> None:
    log = StateLog(conn)
    welcome: list[Received] = []
    conn.subscribe(welcome.append, "tcpIpConnected")
    await sim.drop_connections()
    await log.wait_for(ConnectionState.RECONNECTING, ConnectionState.CONNECTED)
    assert log.states[-1] is ConnectionState.CONNECTED
    assert (await conn.command("clearErrors")).outcome is Outcome.SUCCESS
    assert len(welcome) == 1  # the welcome burst refreshed the state
    assert conn.connections_made == 2


async def test_reboot_controller_reconnects(
    conn: ControllerConnection, sim: ControllerSimulator
) -> None:
    log = StateLog(conn)
    await conn.command("power", {"powerType": 2, "status": True})
    await conn.command("rebootController")
    await log.wait_for(ConnectionState.RECONNECTING, ConnectionState.CONNECTED)
    assert (await conn.command("clearErrors")).outcome is Outcome.SUCCESS
    # State was reset by the reboot and refreshed by the welcome events.
    for _ in range(50):
        if conn.latest_events["powerSystemState"].message["state"] == 1:
            break
        await asyncio.sleep(0.02)
    assert conn.latest_events["powerSystemState"].message["state"] == 1


async def test_no_reconnect_when_turned_off(sim: ControllerSimulator) -> None:
    conn = connect_to(sim, reconnect=False)
    conn.start()
    await conn.wait_connected(5)
    await sim.drop_connections()
    await wait_for_state(conn, ConnectionState.DISCONNECTED)
    # the supervisor has ended: nothing will reconnect
    await until(lambda: conn._supervisor is not None and conn._supervisor.done())
    assert conn.state is ConnectionState.DISCONNECTED
    assert conn.connections_made == 1
    await conn.close()


async def test_backoff_until_the_controller_appears() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        cmd_port = s.getsockname()[1]
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        tel_port = s.getsockname()[1]
    conn = ControllerConnection(
        "127.0.0.1", cmd_port, tel_port, backoff_initial=0.05, backoff_max=0.2
    )
    conn.start()
    await wait_for_state(conn, ConnectionState.RECONNECTING)
    assert conn.retry_in is not None and 0 <= conn.retry_in <= 0.2
    assert f"127.0.0.1:{cmd_port}" in conn.last_error
    async with ControllerSimulator(command_port=cmd_port, telemetry_port=tel_port):
        await conn.wait_connected(5)
        assert (await conn.command("clearErrors")).outcome is Outcome.SUCCESS
    await conn.close()
    assert conn.state is ConnectionState.DISCONNECTED


@pytest.mark.parametrize("kind", sorted(GARBAGE))
async def test_injected_garbage_is_survived_counted_and_logged(
    conn: ControllerConnection,
    sim: ControllerSimulator,
    kind: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    odd: list[Received] = []
    conn.subscribe(
        lambda r: odd.append(r) if r.message.get("motorVoltage") == "high" else None,
        "powerStatus",
    )

    def stats() -> list[PortStats]:
        return [conn.port_stats(p) for p in ("command", "telemetry")]

    with caplog.at_level(logging.WARNING):
        for port in ("command", "telemetry"):
            await sim.send_garbage(port, kind)
        if kind == "unknown-id":
            await until(lambda: [s.unknown_ids for s in stats()] == [1, 1])
            assert "unknown message id 'noSuchMessage'" in caplog.text
        elif kind == "wrong-type":
            # Well-formed JSON with bad field types reaches the model, which
            # checks types (the transport does not know field types).
            await until(lambda: len(odd) == 2)
            assert {r.port for r in odd} == {"command", "telemetry"}
            assert odd[0].message["commVoltage"] == [1]
        else:
            await until(lambda: [s.bad_lines for s in stats()] == [1, 1])
            assert "skipped" in caplog.text
    assert conn.state is ConnectionState.CONNECTED
    assert (await conn.command("clearErrors")).outcome is Outcome.SUCCESS
    before = conn.port_stats("telemetry").messages
    await until(lambda: conn.port_stats("telemetry").messages > before)


async def test_controller_vanishing_mid_message(
    conn: ControllerConnection, sim: ControllerSimulator, caplog: pytest.LogCaptureFixture
) -> None:
    log = StateLog(conn)
    with caplog.at_level(logging.WARNING):
        await sim.send_garbage("telemetry", "truncated")
        await log.wait_for(ConnectionState.RECONNECTING, ConnectionState.CONNECTED)
    assert conn.port_stats("telemetry").bad_lines == 1
    assert "in the middle of a message" in caplog.text


async def test_subscribers_by_name_kind_and_unsubscribe(conn: ControllerConnection) -> None:
    by_name: list[str] = []
    events: list[str] = []
    telemetry: list[str] = []
    stop = conn.subscribe(lambda r: by_name.append(r.name), "powerStatus")
    conn.subscribe(lambda r: events.append(r.name), kind="event")
    conn.subscribe(lambda r: telemetry.append(r.name), kind="telemetry")

    def broken(received: Received) -> None:
        raise RuntimeError("subscriber bug")

    conn.subscribe(broken, "powerStatus")
    await conn.command("clearErrors")
    await until(lambda: len(by_name) >= 2 and "summaryFaultsStatus" in events)
    assert set(by_name) == {"powerStatus"}
    assert "summaryFaultsStatus" in events and "powerStatus" not in events
    assert "powerStatus" in telemetry
    stop()
    n = len(by_name)
    after = len(telemetry)
    await until(lambda: telemetry[after:].count("powerStatus") >= 2)
    assert len(by_name) == n
    latest = conn.latest_events["summaryFaultsStatus"]
    assert latest.port == "command" and latest.time > 0


async def test_traffic_listener_sees_both_directions(conn: ControllerConnection) -> None:
    traffic: list[tuple[str, str, object]] = []
    conn.add_traffic_listener(lambda port, d, m, t: traffic.append((port, d, m)))
    record = await conn.command("clearErrors")
    out = [m for p, d, m in traffic if d == "out"]
    assert out == [{"id": "cmd_clearErrors", "sequence_id": record.sequence_id}]
    assert any(d == "in" and m.get("id") == "success" for p, d, m in traffic)  # type: ignore[union-attr]


class CppLikeController:
    """A scripted peer answering like the C++ controller: two replies per command."""

    def __init__(self) -> None:
        self.cmd = LineServer()
        self.tel = LineServer()

    async def start(self) -> None:
        await self.cmd.start()
        await self.tel.start()
        self.task = asyncio.create_task(self._serve())

    async def _serve(self) -> None:
        await self.cmd.connected.wait()
        while True:
            line = json.loads(await self.cmd.received.get())
            seq = line["sequence_id"]
            if line["id"] == "cmd_noSuchCommand":
                replies = [
                    {"id": "noack", "sequence_id": seq, "user_info": "Original command not found"},
                    {"id": "fail", "sequence_id": seq, "user_info": ""},
                ]
            else:
                replies = [
                    {"id": "ack", "sequence_id": seq, "user_info": "cmd_power COMM1"},
                    {"id": "success", "sequence_id": seq, "user_info": ""},
                ]
            await self.cmd.send(b"".join(json.dumps(r).encode() + b"\r\n" for r in replies))

    async def stop(self) -> None:
        self.task.cancel()
        await self.cmd.stop()
        await self.tel.stop()


async def test_cpp_controller_double_replies() -> None:
    peer = CppLikeController()
    await peer.start()
    conn = ControllerConnection("127.0.0.1", peer.cmd.port, peer.tel.port)
    conn.start()
    await conn.wait_connected(5)
    with pytest.raises(CommandRejected, match="Original command not found"):
        await conn.command("noSuchCommand")
    record = await conn.command("power", {"powerType": 2, "status": True})
    assert record.outcome is Outcome.SUCCESS
    assert record.user_info == ["cmd_power COMM1"]
    assert conn.late_replies == 1  # the fail after the noack, before the power replies
    assert conn.unmatched_replies == 0
    await conn.close()
    await peer.stop()
