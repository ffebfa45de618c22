"""The simulator on the wire: welcome burst, sequence ids, bad input, telemetry."""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import subprocess
import sys
from collections import Counter
from itertools import pairwise
from pathlib import Path

from m2gui.model import Catalogue
from m2gui.net import ControllerConnection, MsgType, Received, TcpClient
from m2gui.sim import ControllerSimulator

from ..conftest import connect_to
from ..waiting import until

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


class Inbox:
    def __init__(self) -> None:
        self.messages: list[dict] = []
        self.queue: asyncio.Queue[dict] = asyncio.Queue()

    async def __call__(self, message: dict) -> None:
        self.messages.append(message)
        await self.queue.put(message)

    async def next_reply(self, timeout: float = 5.0) -> dict:
        while True:
            message = await asyncio.wait_for(self.queue.get(), timeout)
            if message["id"] in ("ack", "noack", "success", "fail"):
                return message


async def raw_client(sim: ControllerSimulator) -> tuple[TcpClient, Inbox]:
    inbox = Inbox()
    client = TcpClient("127.0.0.1", sim.command_port, inbox)
    await client.connect(5)
    return client, inbox


async def test_welcome_events_in_order(sim: ControllerSimulator, catalogue: Catalogue) -> None:
    client, inbox = await raw_client(sim)
    for _ in range(200):
        if len(inbox.messages) >= 15 + 84 + 3:
            break
        await asyncio.sleep(0.01)
    names = [m["id"] for m in inbox.messages]
    assert names[:15] == catalogue.welcome
    ilc = inbox.messages[15:99]
    assert [m["id"] for m in ilc] == ["innerLoopControlMode"] * 84
    assert [m["address"] for m in ilc] == list(range(84))
    assert {m["mode"] for m in ilc} == {8}
    assert names[99:102] == ["forceBalanceSystemStatus", "openLoopMaxLimit", "summaryFaultsStatus"]
    power = inbox.messages[13:15]
    assert [(m["powerType"], m["state"]) for m in power] == [(2, 1), (1, 1)]
    assert inbox.messages[11]["mask"] == 18410715311050326015  # uint64, exact
    assert inbox.messages[2]["actuators"] == [6, 16, 26, 74, 76, 78]  # 1-based
    await client.close()


async def test_welcome_on_every_new_connection(sim: ControllerSimulator) -> None:
    for _ in range(2):
        client, inbox = await raw_client(sim)
        first = await asyncio.wait_for(inbox.queue.get(), 5)
        assert first == {"id": "tcpIpConnected", "isConnected": True}
        await client.close()


async def test_unknown_command_noack_without_ack(sim: ControllerSimulator) -> None:
    client, inbox = await raw_client(sim)
    await client.write_message(MsgType.Command, "noSuchCommand")
    reply = await inbox.next_reply()
    assert reply["id"] == "noack" and reply["sequence_id"] == 1
    assert "unknown command" in reply["user_info"]
    await client.close()


async def test_sequence_ids_are_checked(sim: ControllerSimulator) -> None:
    client, inbox = await raw_client(sim)
    await client.write_json({"id": "cmd_clearErrors", "sequence_id": 41})  # first: any id
    assert (await inbox.next_reply())["id"] == "ack"
    assert (await inbox.next_reply())["id"] == "success"
    await client.write_json({"id": "cmd_clearErrors", "sequence_id": 43})
    reply = await inbox.next_reply()
    assert reply == {
        "id": "noack",
        "sequence_id": 42,
        "user_info": "wrong sequence id 43: expected 42",
    }
    await client.write_json({"id": "cmd_clearErrors", "sequence_id": 42})
    assert (await inbox.next_reply())["id"] == "ack"
    await client.close()


async def test_bad_input_is_answered_and_the_connection_survives(
    sim: ControllerSimulator,
) -> None:
    client, inbox = await raw_client(sim)
    bad = [
        (b'{"id": "cmd_power", "sequence_id": \r\n', "invalid JSON"),
        (b'{"id": "cmd_\xff"}\r\n', "invalid UTF-8"),
        (b'{"id": "cmd_power"}\r\n', "missing or non-integer sequence_id"),
        (b'{"sequence_id": 3}\r\n', "no string 'id'"),
        (b'{"id": "hello", "sequence_id": 3}\r\n', "not a command"),
        (b'{"id": "cmd_x", "pad": "' + b"y" * 400_000 + b'"}\r\n', "longer than"),
    ]
    for line, reason in bad:
        await client.write(line)
        reply = await inbox.next_reply()
        assert reply["id"] == "noack" and reply["sequence_id"] == 0, reason
        assert reason in reply["user_info"]
    assert sim.bad_lines_received == 3
    # Wrong parameter type: ack, then fail with the validator's reason.
    await client.write_json({"id": "cmd_power", "sequence_id": 1, "powerType": 2, "status": 1})
    assert (await inbox.next_reply())["id"] == "ack"
    fail = await inbox.next_reply()
    assert fail["id"] == "fail"
    assert "power.status: expected true or false" in fail["user_info"]
    await client.write_json({"id": "cmd_clearErrors", "sequence_id": 2})
    assert (await inbox.next_reply())["id"] == "ack"
    assert (await inbox.next_reply())["id"] == "success"
    await client.close()


async def count_cycles(
    conn: ControllerConnection, sim: ControllerSimulator, cycles: int
) -> Counter[str]:
    """Count telemetry samples per topic over ``cycles`` whole simulator cycles.

    The simulator sends a cycle's topics in catalogue order, so the first topic
    of the list marks the start of a cycle: counting starts at one marker and
    stops at the one that starts cycle ``cycles + 1``.
    """
    marker = sim.telemetry_topics()[0]
    counts: Counter[str] = Counter()
    markers = 0
    done = asyncio.Event()

    def on_sample(received: Received) -> None:
        nonlocal markers
        if done.is_set():
            return
        if received.name == marker:
            markers += 1
            if markers > cycles:
                done.set()
                return
        if markers:
            counts[received.name] += 1

    unsubscribe = conn.subscribe(on_sample, kind="telemetry")
    try:
        await asyncio.wait_for(done.wait(), 5 + 3 * cycles / sim.rate)
    finally:
        unsubscribe()
    return counts


async def test_only_power_topics_without_motor_power(
    conn: ControllerConnection, sim: ControllerSimulator, catalogue: Catalogue
) -> None:
    counts = await count_cycles(conn, sim, 5)
    unpowered = {n for n, t in catalogue.telemetry.items() if not t.requires_motor_power}
    assert unpowered == {"powerStatusRaw", "powerStatus", "displacementSensors"}
    assert counts == dict.fromkeys(unpowered, 5)


async def test_every_topic_at_about_20_hz(
    conn: ControllerConnection, sim: ControllerSimulator, catalogue: Catalogue
) -> None:
    await conn.command("power", {"powerType": 2, "status": True})
    await conn.command("power", {"powerType": 1, "status": True})
    await until(lambda: "axialForce" in conn.latest_telemetry, what="motor-power telemetry")
    # Every topic, once in every cycle.
    counts = await count_cycles(conn, sim, 20)
    assert counts == dict.fromkeys(catalogue.telemetry, 20)
    # Cycles 1/20 s apart on the simulator's own clock (the median interval,
    # so that a loaded machine's late cycle does not count).
    times = list(sim.cycle_times)[-21:]
    intervals = sorted(b - a for a, b in pairwise(times))
    assert 0.8 / 20 <= intervals[len(intervals) // 2] <= 1.2 / 20, intervals
    message = conn.latest_telemetry["axialForce"].message
    assert len(message["measured"]) == 72
    assert conn.telemetry_stats.bad_lines == 0


async def test_all_telemetry_flag(catalogue: Catalogue) -> None:
    async with ControllerSimulator(command_port=0, telemetry_port=0, all_telemetry=True) as sim:
        conn = connect_to(sim)
        conn.start()
        await conn.wait_connected(5)
        counts = await count_cycles(conn, sim, 3)
        assert counts == dict.fromkeys(catalogue.telemetry, 3)
        await conn.close()


async def test_several_clients_per_port(sim: ControllerSimulator) -> None:
    conns = [connect_to(sim) for _ in range(2)]
    for c in conns:
        c.start()
    for c in conns:
        await c.wait_connected(5)
    await conns[0].command("switchCommandSource", {"isRemote": False})

    def everyone_told() -> bool:
        events = [c.latest_events.get("commandableByDDS") for c in conns]
        return all(e is not None and e.message["state"] is False for e in events) and all(
            "powerStatus" in c.latest_telemetry for c in conns
        )

    await until(everyone_told, what="the event and telemetry on every connection")
    for c in conns:
        await c.close()


async def test_mount_elevation_input(conn: ControllerConnection) -> None:
    await conn.command("power", {"powerType": 1, "status": True})
    await conn.send_message(MsgType.Telemetry, "elevation", {"actualPosition": 33.5}, "MTMount")
    await conn.send_message(MsgType.Event, "mountInPosition", {"inPosition": True}, "MTMount")

    def tma_used() -> bool:
        tma = conn.latest_telemetry.get("inclinometerAngleTma")
        return tma is not None and tma.message["inclinometer"] == 33.5

    await until(tma_used, what="the mount's elevation in inclinometerAngleTma")


async def test_uint64_mask_round_trip(conn: ControllerConnection) -> None:
    await conn.command("setEnabledFaultsMask", {"mask": 2**64 - 1})
    assert conn.latest_events["enabledFaultsMask"].message["mask"] == 2**64 - 1


def test_m2gui_sim_command_line() -> None:
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    proc = subprocess.Popen(
        [sys.executable, "-m", "m2gui.sim", "--command-port", "0", "--telemetry-port", "0"],
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        assert proc.stderr is not None
        line = proc.stderr.readline()
        match = re.search(r"commands (\d+), telemetry (\d+)", line)
        assert match, line
        cmd_port = int(match.group(1))

        async def talk() -> dict:
            inbox = Inbox()
            async with TcpClient("127.0.0.1", cmd_port, inbox) as client:
                assert client.connected
                return await asyncio.wait_for(inbox.queue.get(), 5)

        assert asyncio.run(talk())["id"] == "tcpIpConnected"
        proc.send_signal(signal.SIGINT)
        rest = proc.stderr.read()
        assert proc.wait(timeout=10) == 0
        assert "simulator stopped" in rest
    finally:
        proc.kill()


async def test_welcome_json_is_the_reference_spelling(
    sim: ControllerSimulator, catalogue: Catalogue
) -> None:
    """The welcome lines on the wire decode to what the reference simulator sends.

    Compared with its recorded traffic: names, field order, values and number
    types (``21.0``, not ``21``) of the welcome events and the 84 ILC modes.
    """
    text = (FIXTURES / "traffic-reference-simulator.jsonl").read_text()
    recorded = [json.loads(line) for line in text.splitlines()]
    reference = [r["line"] for r in recorded if (r["port"], r["dir"]) == ("command", "in")]
    count = len(catalogue.welcome) + 84
    reader, writer = await asyncio.open_connection("127.0.0.1", sim.command_port)
    try:
        lines = [await asyncio.wait_for(reader.readuntil(b"\n"), 5) for _ in range(count)]
    finally:
        writer.close()
        await writer.wait_closed()
    assert all(line.endswith(b"\r\n") for line in lines)
    ours = [json.dumps(json.loads(line)) for line in lines]
    theirs = [json.dumps(json.loads(line)) for line in reference[:count]]
    assert [json.loads(m)["id"] for m in theirs[: len(catalogue.welcome)]] == catalogue.welcome
    for mine, reference_line in zip(ours, theirs, strict=True):
        assert mine == reference_line
