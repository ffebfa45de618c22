"""`m2gui-sim --replay`: a recording served as a controller on the two ports."""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import socket
import struct
import subprocess
import sys
import time
import zlib
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, Protocol

import pytest

from m2gui.model import load_catalogue
from m2gui.net import CommandRejected, ControllerConnection, Outcome, WireLine, decode_line
from m2gui.record import Recorder
from m2gui.record import open as open_recording
from m2gui.record.format import FILE_HEADER, MAGIC
from m2gui.sim import ControllerSimulator, replay_server
from m2gui.sim.__main__ import main
from m2gui.sim.replay_server import (
    DRAIN_EVERY,
    LINE_LIMIT,
    READ_ONLY_INFO,
    ReplayServer,
    is_reply,
)

from ..waiting import until

REPLIES = {"ack", "noack", "success", "fail"}
#: asyncio's default high-water mark of a transport's write buffer.
HIGH_WATER = 64 * 1024


# ----------------------------------------------------------------------
# Recordings
# ----------------------------------------------------------------------
class HasPorts(Protocol):
    @property
    def command_port(self) -> int: ...
    @property
    def telemetry_port(self) -> int: ...


class Ports:
    def __init__(self, command_port: int, telemetry_port: int) -> None:
        self.command_port = command_port
        self.telemetry_port = telemetry_port


def connect(server: HasPorts, **kwargs: Any) -> ControllerConnection:
    """Our client on ``server``'s two ports (started)."""
    catalogue = load_catalogue()
    options: dict[str, Any] = dict(
        known_events=catalogue.events,
        known_telemetry=catalogue.telemetry,
        backoff_initial=0.05,
        backoff_max=0.2,
    )
    options.update(kwargs)
    connection = ControllerConnection(
        "127.0.0.1", server.command_port, server.telemetry_port, **options
    )
    connection.start()
    return connection


async def _record_a_run(folder: Path) -> None:
    """A real simulator run with two commands, recorded from our client's wire."""
    async with ControllerSimulator(command_port=0, telemetry_port=0, seed=3) as sim:
        recorder = Recorder(folder, {"host": "127.0.0.1"}, flush_interval=0.2, fsync=False)
        connection = connect(sim)
        connection.add_wire_listener(recorder.write)
        await connection.wait_connected(5)
        await until(lambda: "commandableByDDS" in connection.latest_events, what="welcome")
        await connection.command("switchCommandSource", {"isRemote": False})
        await connection.command("clearErrors")
        await until(lambda: connection.telemetry_stats.messages >= 20, what="telemetry")
        await connection.close()
        recorder.close()


@pytest.fixture(scope="module")
def recorded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One recorded simulator run for the module (recorded on a thread of its own)."""
    folder = tmp_path_factory.mktemp("replay") / "run"
    with ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, _record_a_run(folder)).result(timeout=30)
    return folder


def synthetic(folder: Path, lines: list[WireLine]) -> Path:
    """Record ``lines`` (made up, with chosen times) into ``folder``."""
    recorder = Recorder(folder, {"host": "127.0.0.1"}, fsync=False)
    for line in lines:
        recorder.write(line)
    recorder.close()
    return folder


def expected_lines(folder: Path) -> dict[str, list[bytes]]:
    """What a client should get: the recorded "in" lines of each port, replies left out."""
    with open_recording(folder) as recording:
        lines = list(recording.iter_messages())
    return {
        port: [
            w.line for w in lines if w.port == port and w.direction == "in" and not is_reply(w.line)
        ]
        for port in ("command", "telemetry")
    }


class Wire:
    """Lines a client received, per port, with their receive times."""

    def __init__(self) -> None:
        self.lines: dict[str, list[bytes]] = {"command": [], "telemetry": []}
        self.times: dict[str, list[float]] = {"command": [], "telemetry": []}

    def __call__(self, wire: WireLine) -> None:
        if wire.direction == "in":
            self.lines[wire.port].append(wire.line)
            self.times[wire.port].append(time.monotonic())

    def has(self, expected: dict[str, list[bytes]]) -> bool:
        return all(len(self.lines[p]) >= len(expected[p]) for p in expected)


@asynccontextmanager
async def serving(folder: Path, **options: Any) -> AsyncIterator[ReplayServer]:
    with open_recording(folder) as recording:
        async with ReplayServer(recording, "127.0.0.1", 0, 0, **options) as server:
            yield server


@asynccontextmanager
async def client_of(server: ReplayServer) -> AsyncIterator[tuple[ControllerConnection, Wire]]:
    wire = Wire()
    connection = connect(server)
    connection.add_wire_listener(wire)
    try:
        await connection.wait_connected(5)
        yield connection, wire
    finally:
        await connection.close()


# ----------------------------------------------------------------------
# What a client gets
# ----------------------------------------------------------------------
async def test_a_client_gets_the_recorded_lines_of_each_port_but_no_replies(
    recorded: Path,
) -> None:
    expected = expected_lines(recorded)
    with open_recording(recorded) as recording:
        everything = list(recording.iter_messages())
    replies = [w for w in everything if w.direction == "in" and is_reply(w.line)]
    assert len(replies) >= 4, "the recording holds the replies to its two commands"
    assert any(w.direction == "out" for w in everything), "and the commands sent"
    assert expected["telemetry"] and all(line.endswith(b"\r") for line in expected["command"])
    async with serving(recorded, speed=1000.0) as server, client_of(server) as (connection, wire):
        await until(lambda: server.finished and wire.has(expected), what="the whole replay")
        # Byte for byte, in order, port by port (CR LF kept) ...
        assert wire.lines == expected
        # ... so the messages are the recorded ones, and no reply among them.
        for port in ("command", "telemetry"):
            assert [decode_line(x) for x in wire.lines[port]] == [
                decode_line(x) for x in expected[port]
            ]
        assert not any(decode_line(x)["id"] in REPLIES for x in wire.lines["command"])
        assert server.replies_skipped == len(replies)
        assert server.lines_sent == {p: len(expected[p]) for p in expected}
        # The end: the connections stay open, idle.
        for _ in range(20):
            await asyncio.sleep(0)
        assert connection.connected and all(server.clients.values())
        assert wire.has(expected) and not any(
            len(wire.lines[p]) > len(expected[p]) for p in expected
        )


async def test_a_client_that_reconnects_gets_the_replay_from_the_beginning(
    recorded: Path,
) -> None:
    expected = expected_lines(recorded)
    async with serving(recorded, speed=1000.0) as server:
        for run in (1, 2):
            async with client_of(server) as (_, wire):
                await until(lambda: server.finished and wire.has(expected), what=f"run {run}")
                assert wire.lines == expected
                assert server.runs == run
            await until(lambda: not any(server.clients.values()), what="both ports free")


async def test_loop_starts_over_at_the_end(recorded: Path) -> None:
    expected = expected_lines(recorded)
    first = expected["command"][0]
    # Not too fast: the client must keep up with many passes of a short run.
    async with serving(recorded, speed=20.0, loop=True) as server, client_of(server) as (_, wire):
        await until(lambda: server.passes >= 2, what="two passes")
        await until(lambda: wire.lines["command"].count(first) >= 2, what="the second pass")
        count = len(expected["command"])
        assert wire.lines["command"][count : 2 * count] == expected["command"]
        assert not server.finished


async def read_lines(reader: asyncio.StreamReader, count: int) -> list[bytes]:
    """``count`` lines, without their LF."""
    return [(await asyncio.wait_for(reader.readuntil(b"\n"), 5))[:-1] for _ in range(count)]


async def test_a_client_on_the_other_port_soon_after_gets_its_lines_from_the_start(
    recorded: Path,
) -> None:
    expected = expected_lines(recorded)
    async with serving(recorded, speed=1000.0) as server:
        reader, writer = await asyncio.open_connection("127.0.0.1", server.command_port)
        t_writer: asyncio.StreamWriter | None = None
        try:
            assert await read_lines(reader, len(expected["command"])) == expected["command"]
            await until(lambda: server.finished, what="the end")
            # Within the join window (1 s) of the start: the telemetry from the start.
            t_reader, t_writer = await asyncio.open_connection("127.0.0.1", server.telemetry_port)
            telemetry = await read_lines(t_reader, len(expected["telemetry"]))
            assert telemetry == expected["telemetry"]
            assert server.lines_dropped == 0
        finally:
            writer.close()
            if t_writer is not None:
                t_writer.close()


@pytest.mark.parametrize("window", [0.0, 0.2])
async def test_a_client_on_the_other_port_after_the_join_window_joins_where_it_is(
    recorded: Path, monkeypatch: pytest.MonkeyPatch, window: float
) -> None:
    """0: telemetry is dropped as it comes; 0.2: it is held, then thrown away."""
    monkeypatch.setattr(replay_server, "JOIN_WINDOW", window)
    expected = expected_lines(recorded)
    async with serving(recorded, speed=1000.0) as server:
        began = time.monotonic()
        reader, writer = await asyncio.open_connection("127.0.0.1", server.command_port)
        writers = [writer]
        try:
            assert await read_lines(reader, len(expected["command"])) == expected["command"]
            await until(lambda: server.finished, what="the end")
            await until(lambda: time.monotonic() - began > window, what="the window's end")
            t_reader, t_writer = await asyncio.open_connection("127.0.0.1", server.telemetry_port)
            writers.append(t_writer)
            await until(lambda: server.clients["telemetry"] is not None, what="the join")
            t_writer.write(b'{"id": "cmd_power", "sequence_id": 1}\n')  # not answered there
            # The telemetry went by with no client: dropped, as a live controller's.
            assert server.lines_dropped == len(expected["telemetry"])
            await until(lambda: server.inputs_ignored == 1, what="the input")
            assert server.lines_sent["telemetry"] == 0 and not t_reader.at_eof()
        finally:
            for each in writers:
                each.close()


async def test_a_command_is_answered_noack_as_by_a_read_only_controller(recorded: Path) -> None:
    async with serving(recorded, speed=1000.0) as server, client_of(server) as (connection, _):
        with pytest.raises(CommandRejected) as refused:
            await connection.command("clearErrors", timeout=5)
        record = refused.value.record
        assert record.outcome is Outcome.NOACK
        assert READ_ONLY_INFO in record.reason
        assert server.commands_refused == 1
        # Nothing resynchronised or sent again: the refusal is final.
        assert connection.resyncs == 0


async def test_a_second_client_on_a_port_is_refused(recorded: Path) -> None:
    async with serving(recorded, speed=1000.0) as server, client_of(server) as (connection, _):
        for number, port in enumerate((server.command_port, server.telemetry_port), start=1):
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            assert await asyncio.wait_for(reader.read(), 5) == b""  # closed at once
            writer.close()
            assert server.clients_refused == number
        # The first client is still served.
        assert connection.connected
        with pytest.raises(CommandRejected):
            await connection.command("clearErrors", timeout=5)


async def test_hostile_lines_from_a_client_do_not_stop_the_server(recorded: Path) -> None:
    expected = expected_lines(recorded)
    hostile = [
        b"\xff\xfe\x80 not utf-8\n",
        b"[1, 2, 3]\n",
        b'{"id": 5}\n',
        b'{"id": ["cmd_power"], "sequence_id": 1}\n',
        b'{"id": "cmd_power"}\n',
        b'{"id": "cmd_power", "sequence_id": "1"}\n',
        b"[" * 100_000 + b"\n",
        b'{"pad": "' + b"x" * (LINE_LIMIT + 10) + b'"}\n',
        b'{"id": "evt_mountInPosition", "compName": "MTMount", "inPosition": true}\n',
        b'{"id": "cmd_power", "sequence_id": 123456789012345678901234567890}\n',
        b'{"id": "cmd_power", "sequence_id": 18446744073709551615}\n',
        b'{"id": "cmd_power", "sequence_id": 7}\r\n',
    ]
    async with serving(recorded, speed=1000.0) as server:
        reader, writer = await asyncio.open_connection(
            "127.0.0.1", server.command_port, limit=2**20
        )
        _t_reader, t_writer = await asyncio.open_connection("127.0.0.1", server.telemetry_port)
        try:
            for line in hostile:
                writer.write(line)
                t_writer.write(line)
            replies: list[dict[str, Any]] = []
            received: list[bytes] = []
            while not any(r.get("sequence_id") == 7 for r in replies):
                line = await asyncio.wait_for(reader.readuntil(b"\n"), 5)
                message = json.loads(line)
                if message["id"] == "noack":
                    replies.append(message)
                else:
                    received.append(line[:-1])
            # Two commands with an integer sequence id: two noacks, in order (an
            # integer beyond 64 bits decodes as a float: a bad sequence id).
            assert [r["sequence_id"] for r in replies] == [2**64 - 1, 7]
            assert all(r["user_info"] == READ_ONLY_INFO for r in replies)
            assert line.endswith(b"\r\n")
            await until(lambda: server.finished, what="the end of the replay")
            while len(received) < len(expected["command"]):
                line = await asyncio.wait_for(reader.readuntil(b"\n"), 5)
                received.append(line[:-1])
            assert received == expected["command"]  # the replay went on, untouched
            # Bad: 9 on the command port, 4 on the telemetry port (which
            # ignores the rest: it takes no commands).
            await until(
                lambda: server.bad_lines_received >= 13 and server.inputs_ignored >= 9,
                what="every hostile line counted",
            )
            assert server.bad_lines_received == 13
            assert server.inputs_ignored == 9
            assert server.commands_refused == 2
            assert all(server.clients.values())  # both clients still connected
        finally:
            writer.close()
            t_writer.close()


async def test_a_slow_client_holds_the_replay_back(tmp_path: Path) -> None:
    """The server drains: a client that does not read gets a bounded backlog."""
    t0 = 1_780_000_000.0
    size = 8000
    lines = [
        WireLine(
            t0 + i * 0.001,
            "telemetry",
            "in",
            b'{"id": "axialForce", "p": "%s"}\r' % (b"%06d" % i + b"x" * size),
        )
        for i in range(2000)
    ]
    folder = synthetic(tmp_path / "big", lines)
    async with serving(folder, speed=float("inf")) as server:
        sock = socket.socket()
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        sock.setblocking(False)
        await asyncio.get_running_loop().sock_connect(sock, ("127.0.0.1", server.telemetry_port))
        reader, writer = await asyncio.open_connection(sock=sock, limit=2**20)
        try:
            await until(lambda: server.peak_backlog >= HIGH_WATER, what="a backlog")
            for _ in range(50):
                await asyncio.sleep(0)
            assert not server.finished
            assert server.lines_sent["telemetry"] < len(lines)
            assert server.peak_backlog <= HIGH_WATER + DRAIN_EVERY + 2 * size
            got = [await asyncio.wait_for(reader.readuntil(b"\n"), 5) for _ in lines]
            assert [g[:-1] for g in got] == [w.line for w in lines]
            await until(lambda: server.finished, what="the end once read")
            assert server.peak_backlog <= HIGH_WATER + DRAIN_EVERY + 2 * size
        finally:
            writer.close()


async def test_pacing_keeps_the_recorded_timing_of_both_ports(tmp_path: Path) -> None:
    """At speed 1, lines come spread as recorded, both ports on one clock."""
    t0 = 1_780_000_000.0
    span = 2.0
    lines = [
        WireLine(t0 + i * 0.05, "telemetry", "in", b'{"id": "powerStatus", "n": %d}\r' % i)
        for i in range(41)
    ]
    events = [
        WireLine(t0 + t, "command", "in", b'{"id": "interlock", "state": %d}\r' % i)
        for i, t in enumerate((0.0, 0.5, 1.0, 1.5, 2.0))
    ]
    folder = synthetic(tmp_path / "paced", sorted(lines + events))
    expected = expected_lines(folder)
    async with serving(folder, speed=1.0) as server, client_of(server) as (_, wire):
        await until(lambda: wire.has(expected), timeout=15, what="the replay")
        assert wire.lines == expected  # in order, port by port
        first = min(wire.times["telemetry"][0], wire.times["command"][0])
        last = max(wire.times["telemetry"][-1], wire.times["command"][-1])
        # Generous bounds: this checks the pacing, not the machine's speed.
        assert span * 0.75 <= last - first <= span + 1.0
        # Not all at once: the second half came well after the first line.
        middle = wire.times["telemetry"][len(lines) // 2]
        assert middle - first >= span / 4
        # One clock: each event arrives about when the telemetry of its time does.
        for event, at in zip(events, wire.times["command"], strict=True):
            index = round((event.time - t0) / 0.05)
            assert abs(at - wire.times["telemetry"][index]) < 0.5, event
        assert server.clock_restarts == 0


# ----------------------------------------------------------------------
# The m2gui-sim entry point
# ----------------------------------------------------------------------
async def test_m2gui_sim_replay_serves_a_client(recorded: Path) -> None:
    expected = expected_lines(recorded)
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "m2gui.sim",
        "--replay",
        str(recorded),
        "--command-port",
        "0",
        "--telemetry-port",
        "0",
        "--speed",
        "100",
        stderr=asyncio.subprocess.PIPE,
        env=dict(os.environ, PYTHONUNBUFFERED="1"),
    )
    assert proc.stderr is not None
    try:
        match = None
        for _ in range(20):
            text = (await asyncio.wait_for(proc.stderr.readline(), 15)).decode()
            match = re.search(r"listening on .*: commands (\d+), telemetry (\d+)", text)
            if match or not text:
                break
        assert match, text
        wire = Wire()
        connection = connect(Ports(int(match.group(1)), int(match.group(2))))
        connection.add_wire_listener(wire)
        try:
            await connection.wait_connected(5)
            await until(lambda: wire.has(expected), timeout=10, what="the replay")
            assert wire.lines == expected
            with pytest.raises(CommandRejected, match="cannot execute commands"):
                await connection.command("clearErrors", timeout=5)
        finally:
            await connection.close()
        proc.send_signal(signal.SIGINT)
        rest = (await asyncio.wait_for(proc.stderr.read(), 10)).decode()
        assert await asyncio.wait_for(proc.wait(), 10) == 0
        assert "replay finished" in rest and "replay server stopped" in rest
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()


def _future_version(path: Path) -> Path:
    metadata = b"{}"
    path.write_bytes(
        FILE_HEADER.pack(MAGIC, 99, 0, len(metadata))
        + metadata
        + struct.pack("<I", zlib.crc32(metadata))
    )
    return path


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda tmp: tmp / "missing", "missing: no such recording file or folder"),
        (lambda tmp: tmp, "no recording parts"),
        (lambda tmp: _write(tmp / "notes.txt", b"hello, world"), "not an m2gui recording"),
        (lambda tmp: _future_version(tmp / "future.m2rec"), "format version 99 is newer"),
    ],
    ids=["missing", "empty-folder", "not-a-recording", "future-version"],
)
def test_m2gui_sim_replay_of_a_bad_recording_exits_2(
    tmp_path: Path, make: Any, message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    path = make(tmp_path)
    with pytest.raises(SystemExit) as exit_:
        main(["--replay", str(path), "--command-port", "0", "--telemetry-port", "0"])
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("m2gui-sim: error: ") and message in err, err


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def test_m2gui_sim_replay_exit_status_of_a_missing_recording(tmp_path: Path) -> None:
    missing = tmp_path / "missing"
    done = subprocess.run(
        [sys.executable, "-m", "m2gui.sim", "--replay", str(missing)],
        capture_output=True,
        text=True,
        timeout=20,
    )
    assert done.returncode == 2
    assert f"m2gui-sim: error: {missing}: no such recording" in done.stderr


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--replay", "x", "--inject", "fault:6055"], "not allowed with --inject"),
        (["--replay", "x", "--garbage-every", "1", "--rate", "5"], "--rate, --garbage-every"),
        (["--replay", "x", "--withhold", ""], "not allowed with --withhold"),
        (["--speed", "10"], "--speed: only with --replay"),
        (["--loop"], "--loop: only with --replay"),
        (["--replay", "x", "--speed", "0"], "must be greater than 0"),
        (["--replay", "x", "--speed", "fast"], "not a number"),
    ],
)
def test_m2gui_sim_replay_option_errors(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(argv)
    assert exit_.value.code == 2
    assert message in capsys.readouterr().err
