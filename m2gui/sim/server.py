"""`ControllerSimulator`: the embedded M2 cell controller, on two TCP ports.

Follows the protocol specification where the lsst-ts reference simulator has
quirks: CR LF framing, welcome events on every new command connection, a true
20 Hz telemetry clock, sequence ids checked (the first command of a connection
may use any id), malformed commands answered rather than ignored, uint64
fields exact. Several clients may connect to each port.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import Coroutine, Iterable
from typing import Any

import orjson

from m2gui.model import Catalogue, CommandValidationError, load_catalogue
from m2gui.net.codec import BadLine, decode_line, preview
from m2gui.net.sequence import MAX_SEQUENCE_ID

from .controller import CommandFailure, SimController
from .faults import GARBAGE, Faults
from .injection import Injection
from .plant import Plant

__all__ = ["ControllerSimulator"]

TERMINATOR = b"\r\n"
#: A client this far behind on telemetry gets cycles dropped (counted).
MAX_TELEMETRY_BACKLOG = 4 * 1024 * 1024
#: A client this far behind on its command port is disconnected.
MAX_COMMAND_BACKLOG = 32 * 1024 * 1024
LINE_LIMIT = 256 * 1024
#: With an unlimited rate, seconds between two steps of the physics.
UNLIMITED_STEP = 0.001
#: Telemetry cycles whose start times `ControllerSimulator.cycle_times` keeps.
CYCLE_TIMES_KEPT = 256
ENCODE_OPTIONS = orjson.OPT_SERIALIZE_NUMPY


def encode(message: dict[str, Any]) -> bytes:
    """One CR LF terminated JSON line (numpy arrays allowed)."""
    return orjson.dumps(message, option=ENCODE_OPTIONS) + TERMINATOR


class _Session:
    """One client connection on one port."""

    def __init__(self, port: str, writer: asyncio.StreamWriter) -> None:
        self.port = port
        self.writer = writer
        self.peer = writer.get_extra_info("peername")
        self.expected_seq: int | None = None
        self.dropped_cycles = 0

    @property
    def backlog(self) -> int:
        return self.writer.transport.get_write_buffer_size()

    def send(self, data: bytes) -> None:
        if not self.writer.is_closing():
            self.writer.write(data)

    def close(self) -> None:
        self.writer.close()


class ControllerSimulator:
    """A simulated M2 cell controller serving the command and telemetry ports.

    Parameters
    ----------
    host : `str`
        Address to listen on.
    command_port, telemetry_port : `int`
        Ports; 0 picks free ones (read them back after `start`).
    rate : `float`
        Telemetry cycles per second (0: as fast as the clients read).
    all_telemetry : `bool`
        Send every topic whatever the power state (as the C++ controller
        does); by default only the power topics flow while motor power is off.
    catalogue : `Catalogue` or None
        Protocol catalogue (default: the packaged one).
    faults : `Faults` or None
        Fault injection settings; can be changed while running.
    seed : `int` or None
        Seed for repeatable noise.
    verbose : `bool`
        Log every message in and out.
    injections : iterable of `Injection`
        Conditions to inject once listening (or after their delay), as the
        ``--inject`` flag does; see `inject`.
    script_seconds : `float`
        How long a script takes from 0 to 100 %.
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        command_port: int = 50010,
        telemetry_port: int = 50011,
        *,
        rate: float = 20.0,
        all_telemetry: bool = False,
        catalogue: Catalogue | None = None,
        faults: Faults | None = None,
        seed: int | None = None,
        verbose: bool = False,
        log: logging.Logger | None = None,
        injections: Iterable[Injection] = (),
        script_seconds: float | None = None,
    ) -> None:
        self.host = host
        self._ports = {"command": command_port, "telemetry": telemetry_port}
        self.rate = rate
        self.all_telemetry = all_telemetry
        self.catalogue = catalogue or load_catalogue()
        self.faults = faults or Faults()
        self.seed = seed
        self.verbose = verbose
        self.log = log or logging.getLogger(__name__)
        self.injections = list(injections)
        self.script_seconds = script_seconds
        self.controller = self._new_controller()
        self.plant = Plant(self.controller, seed)
        self.sessions: dict[str, set[_Session]] = {"command": set(), "telemetry": set()}
        self.commands_received = 0
        self.bad_lines_received = 0
        self.telemetry_cycles = 0
        self.telemetry_overruns = 0
        #: When the latest telemetry cycles ran (``time.monotonic()`` seconds):
        #: the simulator's own clock, to measure its telemetry rate.
        self.cycle_times: deque[float] = deque(maxlen=CYCLE_TIMES_KEPT)
        self._servers: list[asyncio.Server] = []
        self._tasks: set[asyncio.Task[Any]] = set()
        self._telemetry_task: asyncio.Task[None] | None = None
        self._topics_all = list(self.catalogue.telemetry)
        self._topics_unpowered = [
            name for name, t in self.catalogue.telemetry.items() if not t.requires_motor_power
        ]

    # ------------------------------------------------------------------
    # Lifecycle
    # ------------------------------------------------------------------
    @property
    def command_port(self) -> int:
        """The command port (the real one once started with port 0)."""
        return self._ports["command"]

    @property
    def telemetry_port(self) -> int:
        """The telemetry port (the real one once started with port 0)."""
        return self._ports["telemetry"]

    async def start(self) -> None:
        """Listen on both ports and start the telemetry clock."""
        for port, handler in (
            ("command", self._command_session),
            ("telemetry", self._telemetry_session),
        ):
            server = await asyncio.start_server(
                handler, self.host, self._ports[port], limit=LINE_LIMIT
            )
            self._ports[port] = server.sockets[0].getsockname()[1]
            self._servers.append(server)
        self._telemetry_task = asyncio.create_task(self._telemetry_loop(), name="sim-telemetry")
        if self.faults.drop_every > 0:
            self._spawn(self._periodic(self.faults.drop_every, self.drop_connections))
        if self.faults.garbage_every > 0:
            self._spawn(self._periodic(self.faults.garbage_every, self._all_garbage))
        self.log.info(
            "simulator listening on %s: commands %d, telemetry %d (%s Hz)",
            self.host,
            self.command_port,
            self.telemetry_port,
            self.rate or "unlimited",
        )
        for injection in self.injections:
            self.schedule(injection)

    async def stop(self) -> None:
        """Close every connection and stop listening."""
        for task in [self._telemetry_task, *self._tasks]:
            if task is not None:
                task.cancel()
        for task in [self._telemetry_task, *self._tasks]:
            if task is not None:
                try:
                    await task
                except (asyncio.CancelledError, Exception):
                    pass
        self._tasks.clear()
        for server in self._servers:
            server.close()
        await self.drop_connections()
        for server in self._servers:
            await server.wait_closed()
        self._servers.clear()

    async def __aenter__(self) -> ControllerSimulator:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    def _spawn(self, coro: Coroutine[Any, Any, Any]) -> None:
        task = asyncio.create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _periodic(self, period: float, action: Any) -> None:
        while True:
            await asyncio.sleep(period)
            await action()

    def _new_controller(self) -> SimController:
        controller = SimController(self.catalogue)
        if self.script_seconds is not None:
            controller.script_duration = self.script_seconds
        return controller

    # ------------------------------------------------------------------
    # Fault injection
    # ------------------------------------------------------------------
    def inject(self, kind: str, **kwargs: Any) -> None:
        """Inject a condition and send every command client the controller's events.

        Kinds and keyword arguments (each also takes ``active: bool = True``;
        False undoes the injection, its code included):

        ``fault``, ``code``: set the bit of that code of the fault-bit table in
        ``summaryFaultsStatus`` (ignored while ``enabledFaultsMask`` masks it).
        ``limit_switch``, ``actuator`` (0-77), ``direction`` ("retract" or
        "extend"): ``limitSwitchStatus`` and 6056 (closed loop) or 6057.
        ``ilc_fault``, ``address`` (0-83): ``innerLoopControlMode`` Fault, and
        6051 (actuator ILC) or 6052 (sensor ILC).
        ``cell_temperature_high``: ``cellTemperatureHiWarning`` (every cycle
        while true) and 6075; the exhaust air warms up by 3 degC.
        ``interlock``: ``digitalInput`` (InterlockPowerRelay set), ``interlock``.
        ``breaker``, ``power`` ("motor" or "communication"), ``index`` (0-8 or
        0-5): the breaker's ``digitalInput`` bit set (open), 6071 for a single
        open breaker on a line, 6070/6069 for two or more on one line (codes
        only while the feed is powered), ``summaryFaultsStatus``.

        A new fault-class code stops open- or closed-loop control:
        ``forceBalanceSystemStatus`` false, ``closedLoopControlMode``
        TelemetryOnly, ``digitalOutput``. ``clearErrors`` clears everything.

        Raises
        ------
        ValueError
            For an unknown kind, code, actuator, address or breaker.
        """
        events = self.controller.inject(kind, **kwargs)
        args = ", ".join(f"{k}={v!r}" for k, v in kwargs.items())
        self.log.warning("injecting %s(%s): %d event(s)", kind, args, len(events))
        self.broadcast(events)

    def schedule(self, injection: Injection) -> None:
        """Apply ``injection`` now, or after its delay (needs a running loop)."""
        if injection.delay <= 0:
            self.inject(injection.kind, **injection.kwargs)
            return

        async def later() -> None:
            await asyncio.sleep(injection.delay)
            self.inject(injection.kind, **injection.kwargs)

        self._spawn(later())

    async def drop_connections(self) -> None:
        """Close every client connection on both ports (servers keep listening)."""
        sessions = [s for group in self.sessions.values() for s in group]
        if sessions:
            self.log.warning("dropping %d client connection(s)", len(sessions))
        for session in sessions:
            session.close()
        for session in sessions:
            try:
                await asyncio.wait_for(session.writer.wait_closed(), 1.0)
            except (OSError, TimeoutError):
                pass

    async def send_garbage(self, port: str, kind: str) -> None:
        """Send a bad line to every client of ``port``.

        ``kind`` is one of `GARBAGE`'s keys, or "truncated": half a message,
        then the connection closes (a controller that vanishes mid-message).
        """
        sessions = list(self.sessions[port])
        self.log.warning("injecting %s line on the %s port", kind, port)
        if kind == "truncated":
            for session in sessions:
                session.send(b'{"id": "powerStatus", "motorVolt')
                try:
                    await session.writer.drain()
                except ConnectionError:
                    pass
                session.close()
            return
        for session in sessions:
            session.send(GARBAGE[kind])

    async def _all_garbage(self) -> None:
        for kind in GARBAGE:
            for port in ("command", "telemetry"):
                await self.send_garbage(port, kind)

    # ------------------------------------------------------------------
    # Command port
    # ------------------------------------------------------------------
    async def _command_session(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        session = _Session("command", writer)
        self.sessions["command"].add(session)
        self.log.info("command client connected from %s", session.peer)
        try:
            session.send(b"".join(encode(e) for e in self.controller.welcome()))
            while True:
                try:
                    line = await reader.readuntil(b"\n")
                except asyncio.LimitOverrunError as error:
                    await self._skip_overlong(reader, error.consumed)
                    self._reply(session, "noack", 0, f"line longer than {LINE_LIMIT} bytes")
                    continue
                except asyncio.IncompleteReadError:
                    break
                if self.verbose:
                    self.log.info("command in: %s", preview(line.rstrip()))
                await self._on_command_line(session, line)
        except ConnectionError:
            pass
        finally:
            self.sessions["command"].discard(session)
            session.close()
            self.log.info("command client %s disconnected", session.peer)

    async def _skip_overlong(self, reader: asyncio.StreamReader, consumed: int) -> None:
        self.bad_lines_received += 1
        self.log.warning("skipping an overlong line (> %d bytes)", LINE_LIMIT)
        while True:
            try:
                await reader.readuntil(b"\n")
                return
            except asyncio.LimitOverrunError as error:
                await reader.readexactly(error.consumed)

    def _reply(self, session: _Session, kind: str, seq: int, info: str = "") -> None:
        reply: dict[str, Any] = {"id": kind, "sequence_id": seq}
        if info:
            reply["user_info"] = info
        if self.verbose:
            self.log.info("command out: %s", reply)
        session.send(encode(reply))

    def broadcast(self, events: list[dict[str, Any]]) -> None:
        """Send events to every command client."""
        if not events:
            return
        data = b"".join(encode(e) for e in events)
        if self.verbose:
            for e in events:
                self.log.info("event out: %s", preview(str(e)))
        for session in list(self.sessions["command"]):
            if session.backlog > MAX_COMMAND_BACKLOG:
                self.log.error("command client %s is not reading: disconnecting", session.peer)
                session.close()
                continue
            session.send(data)

    async def _on_command_line(self, session: _Session, line: bytes) -> None:
        try:
            message = decode_line(line)
        except BadLine as error:
            self.bad_lines_received += 1
            self.log.warning("bad line on the command port (%s): %s", error, preview(line))
            self._reply(session, "noack", 0, f"bad line: {error}")
            return
        msg_id = message.get("id")
        if not isinstance(msg_id, str):
            self._reply(session, "noack", 0, "message has no string 'id'")
            return
        if msg_id.lower().startswith("evt_"):
            if not message.get("compName"):
                self.log.warning("event input %s without compName", msg_id)
            self.controller.input_event(msg_id[4:].lower(), message)
            return
        if not msg_id.startswith("cmd_"):
            self._reply(session, "noack", 0, f"{msg_id!r} is not a command (cmd_<name>)")
            return
        seq = message.get("sequence_id")
        if type(seq) is not int:
            self._reply(session, "noack", 0, f"{msg_id}: missing or non-integer sequence_id")
            return
        expected = session.expected_seq
        if expected is not None and seq != expected:
            self._reply(session, "noack", expected, f"wrong sequence id {seq}: expected {expected}")
            return
        session.expected_seq = 1 if seq >= MAX_SEQUENCE_ID else seq + 1
        self.commands_received += 1
        name = msg_id[4:]
        if name not in self.catalogue.commands:
            self._reply(session, "noack", seq, f"unknown command {name!r}")
            return
        if self.faults.withholds(name):
            self.log.warning("withholding the replies to %s (sequence id %d)", name, seq)
            return
        if self.faults.reply_delay > 0:
            await asyncio.sleep(self.faults.reply_delay)
        self._reply(session, "ack", seq)
        params = {k: v for k, v in message.items() if k not in ("id", "sequence_id")}
        try:
            params = self.catalogue.validate_command(name, params)
        except CommandValidationError as error:
            self._reply(session, "fail", seq, str(error))
            return
        if self.faults.fail_next > 0:
            self.faults.fail_next -= 1
            self._reply(session, "fail", seq, self.faults.fail_reason)
            return
        try:
            events = self.controller.execute(name, params)
        except CommandFailure as error:
            self.log.info("%s failed: %s", name, error)
            self._reply(session, "fail", seq, f"{name}: {error}")
            return
        self.broadcast(events)
        self._reply(session, "success", seq)
        if self.controller.reboot_requested:
            self._spawn(self._reboot())

    async def _reboot(self) -> None:
        await asyncio.sleep(0.5)
        self.log.warning("rebooting: all connections drop, state resets")
        await self.drop_connections()
        self.controller = self._new_controller()
        self.plant = Plant(self.controller, self.seed)

    # ------------------------------------------------------------------
    # Telemetry port
    # ------------------------------------------------------------------
    async def _telemetry_session(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        session = _Session("telemetry", writer)
        self.sessions["telemetry"].add(session)
        self.log.info("telemetry client connected from %s", session.peer)
        try:
            while True:
                try:
                    line = await reader.readuntil(b"\n")
                except asyncio.LimitOverrunError as error:
                    await self._skip_overlong(reader, error.consumed)
                    continue
                except asyncio.IncompleteReadError:
                    break
                self._on_telemetry_input(line)
        except ConnectionError:
            pass
        finally:
            self.sessions["telemetry"].discard(session)
            session.close()
            self.log.info("telemetry client %s disconnected", session.peer)

    def _on_telemetry_input(self, line: bytes) -> None:
        try:
            message = decode_line(line)
        except BadLine as error:
            self.bad_lines_received += 1
            self.log.warning("bad line on the telemetry port (%s): %s", error, preview(line))
            return
        msg_id = str(message.get("id", ""))
        if self.verbose:
            self.log.info("telemetry in: %s", preview(line.rstrip()))
        if msg_id.lower().startswith("tel_"):
            self.controller.input_telemetry(msg_id[4:].lower(), message)
        else:
            self.log.warning("ignoring %r on the telemetry port", msg_id)

    def telemetry_topics(self) -> list[str]:
        """Topics sent this cycle: all with motor power (or ``all_telemetry``)."""
        if self.all_telemetry or self.controller.motor_on:
            return self._topics_all
        return self._topics_unpowered

    def cycle(self, dt: float) -> bytes:
        """Advance the simulation one cycle; return the telemetry to send."""
        self.plant.step(dt)
        self.broadcast(self.controller.tick(dt, self.plant.settled, self.plant.measured))
        self.telemetry_cycles += 1
        if not self.sessions["telemetry"]:
            return b""
        return b"".join(encode(m) for m in self.plant.telemetry(self.telemetry_topics()))

    async def _telemetry_loop(self) -> None:
        loop = asyncio.get_running_loop()
        period = 1.0 / self.rate if self.rate > 0 else 0.0
        next_time = loop.time()
        last = time.monotonic()
        payload = b""
        while True:
            now = time.monotonic()
            # Unlimited rate: the physics advances at most every millisecond and
            # the last cycle is sent again in between, so that the clients, not
            # the simulator, set the pace.
            if period or now - last >= UNLIMITED_STEP or not payload:
                dt = period or max(now - last, 1e-4)
                last = now
                self.cycle_times.append(now)
                try:
                    payload = self.cycle(dt)
                except Exception:
                    self.log.exception("telemetry cycle failed")
                    payload = b""
            sessions = list(self.sessions["telemetry"])
            for session in sessions:
                if session.backlog > MAX_TELEMETRY_BACKLOG:
                    session.dropped_cycles += 1
                    continue
                session.send(payload)
            if period:
                next_time += period
                delay = next_time - loop.time()
                if delay < -period:
                    self.telemetry_overruns += 1
                    next_time = loop.time()
                    delay = 0.0
                await asyncio.sleep(max(0.0, delay))
            else:
                for session in sessions:
                    try:
                        await session.writer.drain()
                    except ConnectionError:
                        pass
                await asyncio.sleep(0)
