"""`ReplayServer`: a recording served as a controller on the two TCP ports.

``m2gui-sim --replay PATH`` runs one, so that any client (m2gui, the lsst-ts
client, netcat) can be exercised on real data.

What a client gets
------------------
- The recording's lines *from* the controller (direction "in"), each to the
  client of its port, byte for byte as recorded, LF terminated (a recorded CR
  is kept, so CR LF lines stay CR LF).
- Not replayed: the recorded replies (``ack``, ``noack``, ``success``,
  ``fail``: they answered commands this client never sent) and the lines the
  recording client sent (direction "out").
- Pacing: line times divided by ``speed`` on one clock shared by both ports,
  so their relative timing is kept (``speed`` inf: as fast as the clients
  read). A client that reads slowly holds the replay back (the server waits
  for its socket to drain, it never buffers without bound); after a hold-up of
  more than `MAX_LAG` seconds the clock restarts from the line being sent
  rather than sending the backlog in a burst.

Clients and runs
----------------
One client per port, as the controller: a second client on a busy port is
closed at once (logged, counted in ``clients_refused``).

A *run* plays the recording once (or again and again with ``loop``). It
starts when a client connects while neither port has one, and ends when both
ports are free again: a client that disconnects and reconnects (the usual
two-port client drops and reopens both) starts the replay from the beginning.
A client on the other port that connects within `JOIN_WINDOW` seconds of the
start of a run gets its port's lines from the beginning too (those already
due at once); one that connects later joins the run where it is, as with a
live controller. When the recording ends without ``loop``, "replay finished"
is logged and the connections stay open and idle.

What a client sends is read and answered as by a read-only controller: a
command (``cmd_*`` with an integer ``sequence_id``) gets a ``noack`` carrying
its sequence id and `READ_ONLY_INFO`, with no ``ack`` before it (as the
controller answers a command it does not take). Event and telemetry inputs
(``evt_*``, ``tel_*``) are ignored. Bad lines, commands without a sequence id
and overlong lines are counted and logged (rate limited), never fatal.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import time
from dataclasses import dataclass, field
from typing import Any

from m2gui.net.codec import BadLine, decode_line, encode_line, preview
from m2gui.net.ratelog import RateLimitedLog
from m2gui.net.wire import PORTS, WireLine
from m2gui.record import Recording

__all__ = [
    "JOIN_WINDOW",
    "MAX_LAG",
    "READ_ONLY_INFO",
    "ReplayServer",
    "is_reply",
]

#: ``user_info`` of the ``noack`` that answers every command.
READ_ONLY_INFO = "m2gui-sim --replay: a recording cannot execute commands"
#: Seconds after the start of a run during which a client on the other port
#: still gets its port's lines from the beginning.
JOIN_WINDOW = 1.0
#: Bytes kept per port for a client expected within `JOIN_WINDOW`; beyond it
#: the replay waits for that client (or the end of the window).
MAX_JOIN_BACKLOG = 4 * 1024 * 1024
#: Longest line read from a client; longer ones are skipped (counted).
LINE_LIMIT = 256 * 1024
#: Bytes written to a client between two waits for its socket to drain.
DRAIN_EVERY = 64 * 1024
#: Seconds behind schedule (a slow client) after which the clock restarts.
MAX_LAG = 1.0
#: Seconds of work between two yields to the event loop at full speed.
SLICE = 0.01
#: A line this early (seconds) is sent now rather than slept for.
EARLY = 0.001
_REPLY_IDS = frozenset(("ack", "noack", "success", "fail"))


def is_reply(line: bytes) -> bool:
    """True if ``line`` is a command reply (``ack``, ``noack``, ``success``, ``fail``)."""
    if b"ack" not in line and b"success" not in line and b"fail" not in line:
        return False
    try:
        msg_id = decode_line(line).get("id")
    except BadLine:
        return False
    return isinstance(msg_id, str) and msg_id in _REPLY_IDS


class _Client:
    """The one client of a port."""

    def __init__(self, port: str, writer: asyncio.StreamWriter) -> None:
        self.port = port
        self.writer = writer
        self.peer = writer.get_extra_info("peername")
        #: Bytes written since the last drain.
        self.unsent = 0

    @property
    def backlog(self) -> int:
        """Bytes written and not yet taken by the socket."""
        return self.writer.transport.get_write_buffer_size()

    def send(self, data: bytes) -> bool:
        """Write ``data``; False if the connection is closing."""
        if self.writer.is_closing():
            return False
        self.writer.write(data)
        self.unsent += len(data)
        return True

    async def drain(self) -> None:
        """Wait until the socket has taken most of what was written."""
        self.unsent = 0
        with contextlib.suppress(ConnectionError):
            await self.writer.drain()


@dataclass
class _Run:
    """One playing of the recording, from a first client until both ports are free."""

    number: int
    began: float = field(default_factory=time.monotonic)
    task: asyncio.Task[None] | None = None
    finished: bool = False
    #: Lines kept for a client expected on a port (within `JOIN_WINDOW`).
    held: dict[str, list[bytes]] = field(default_factory=lambda: {p: [] for p in PORTS})
    held_bytes: dict[str, int] = field(default_factory=lambda: dict.fromkeys(PORTS, 0))
    #: Ports whose lines may still be held (a client may still join in time).
    holding: dict[str, bool] = field(default_factory=lambda: dict.fromkeys(PORTS, True))
    joined: asyncio.Event = field(default_factory=asyncio.Event)

    def window_left(self) -> float:
        """Seconds left of the join window."""
        return JOIN_WINDOW - (time.monotonic() - self.began)

    def take_held(self, port: str) -> tuple[list[bytes], int]:
        """Stop holding lines for ``port``: those held, and how many are thrown away.

        Held lines go to a client that joins within the window; after it they
        are stale (the replay went on without that port) and thrown away.
        """
        held = self.held[port]
        count = self.release(port)
        return (held, 0) if self.window_left() > 0 else ([], count)

    def release(self, port: str) -> int:
        """Stop holding lines for ``port``; return how many were thrown away."""
        count = len(self.held[port])
        self.held[port] = []
        self.held_bytes[port] = 0
        self.holding[port] = False
        return count


class ReplayServer:
    """Serve a recording as a controller on a command and a telemetry port.

    See the module documentation for what clients get and how runs work.

    Parameters
    ----------
    recording : `m2gui.record.Recording`
        The recording to serve (left open: the caller closes it).
    host : `str`
        Address to listen on.
    command_port, telemetry_port : `int`
        Ports; 0 picks free ones (read them back after `start`).
    speed : `float`
        1.0 = recorded speed, 10.0 = ten times faster; ``math.inf`` = as fast
        as the clients read.
    loop : `bool`
        Start over at the end of the recording (else stay idle there).
    start : `float` or None
        Recording time (``time.time()`` seconds) to replay from; None: the
        beginning. Lines before it are not sent.
    log : `logging.Logger` or None
        Logger (default: this module's).

    Raises
    ------
    ValueError
        If ``speed`` is not greater than zero.
    """

    def __init__(
        self,
        recording: Recording,
        host: str = "127.0.0.1",
        command_port: int = 50010,
        telemetry_port: int = 50011,
        *,
        speed: float = 1.0,
        loop: bool = False,
        start: float | None = None,
        log: logging.Logger | None = None,
    ) -> None:
        if not speed > 0:
            raise ValueError(f"speed must be greater than zero, not {speed}")
        self.recording = recording
        self.host = host
        self.speed = speed
        self.loop = loop
        self.start_time = start
        self.log = log or logging.getLogger(__name__)
        self._problem_log = RateLimitedLog(self.log)
        self._ports = {"command": command_port, "telemetry": telemetry_port}
        #: The client of each port, or None.
        self.clients: dict[str, _Client | None] = dict.fromkeys(PORTS)
        #: Lines sent to clients, by port.
        self.lines_sent: dict[str, int] = dict.fromkeys(PORTS, 0)
        #: Lines not sent because their port had no client.
        self.lines_dropped = 0
        #: Recorded replies left out (they answered the recording client).
        self.replies_skipped = 0
        #: Runs started, and passes through the recording completed.
        self.runs = 0
        self.passes = 0
        #: Times the clock restarted after a slow client held the replay back.
        self.clock_restarts = 0
        #: Largest write backlog of a client seen right after a write (bytes).
        self.peak_backlog = 0
        self.commands_refused = 0
        self.bad_lines_received = 0
        self.inputs_ignored = 0
        self.clients_refused = 0
        self._run: _Run | None = None
        self._servers: list[asyncio.Server] = []

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

    @property
    def finished(self) -> bool:
        """True when the current run reached the end of the recording (no loop)."""
        return self._run is not None and self._run.finished

    async def start(self) -> None:
        """Listen on both ports."""
        for port in PORTS:

            async def handler(
                reader: asyncio.StreamReader, writer: asyncio.StreamWriter, port: str = port
            ) -> None:
                await self._session(port, reader, writer)

            server = await asyncio.start_server(
                handler, self.host, self._ports[port], limit=LINE_LIMIT
            )
            self._ports[port] = server.sockets[0].getsockname()[1]
            self._servers.append(server)
        self.log.info(
            "replay server listening on %s: commands %d, telemetry %d; %s",
            self.host,
            self.command_port,
            self.telemetry_port,
            self.describe(),
        )

    async def stop(self) -> None:
        """Stop the replay, close every connection and stop listening."""
        for server in self._servers:
            server.close()
        await self._end_run("the server stops")
        clients = [c for c in self.clients.values() if c is not None]
        for client in clients:
            client.writer.close()
        for client in clients:
            with contextlib.suppress(OSError, TimeoutError):
                await asyncio.wait_for(client.writer.wait_closed(), 1.0)
        for server in self._servers:
            await server.wait_closed()
        self._servers.clear()

    async def __aenter__(self) -> ReplayServer:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    def describe(self) -> str:
        """What is served, at which speed: for the log."""
        rec = self.recording
        first = self.start_time if self.start_time is not None else rec.start
        span = (rec.end - first) if first is not None and rec.end is not None else 0.0
        pace = "as fast as the clients read" if math.isinf(self.speed) else f"at {self.speed:g}x"
        return (
            f"replaying {rec.path} ({max(span, 0.0):.1f} s) {pace}"
            f"{', looping' if self.loop else ''}"
        )

    # ------------------------------------------------------------------
    # Connections
    # ------------------------------------------------------------------
    async def _session(
        self, port: str, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        peer = writer.get_extra_info("peername")
        if self.clients[port] is not None:
            self.clients_refused += 1
            self._problem_log(
                logging.WARNING,
                "refused",
                f"{port} port: closing the connection from {peer}: a client is already "
                f"connected (one client per port, as the controller)",
            )
            writer.close()
            with contextlib.suppress(OSError):
                await writer.wait_closed()
            return
        client = _Client(port, writer)
        self._join(client)
        try:
            await self._read(client, reader)
        except OSError:
            pass
        finally:
            if self.clients[port] is client:
                self.clients[port] = None
            writer.close()
            self.log.info("%s client %s disconnected", port, peer)
            if not any(self.clients.values()):
                await self._end_run("no client on either port")

    def _join(self, client: _Client) -> None:
        """Register ``client``; start a run, or join the one playing."""
        port = client.port
        run = self._run
        if run is None:
            self.runs += 1
            run = self._run = _Run(self.runs)
            self.clients[port] = client
            run.task = asyncio.create_task(self._play(run), name=f"m2-replay-run-{run.number}")
            self.log.info(
                "%s client connected from %s: replay from the beginning (run %d)",
                port,
                client.peer,
                run.number,
            )
            return
        in_time = run.holding[port] and run.window_left() > 0
        held, dropped = run.take_held(port)
        self.lines_dropped += dropped
        if held:
            client.send(b"".join(held))
            self.lines_sent[port] += len(held)
        self.clients[port] = client
        run.joined.set()
        where = (
            f"its lines from the beginning (run {run.number})"
            if in_time
            else f"joins run {run.number} where it is"
        )
        self.log.info("%s client connected from %s: %s", port, client.peer, where)

    async def _end_run(self, why: str) -> None:
        run, self._run = self._run, None
        if run is None or run.task is None:
            return
        run.task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await run.task
        self.log.info("run %d ended: %s", run.number, why)

    # ------------------------------------------------------------------
    # What clients send
    # ------------------------------------------------------------------
    async def _read(self, client: _Client, reader: asyncio.StreamReader) -> None:
        while True:
            try:
                line = await reader.readuntil(b"\n")
            except asyncio.LimitOverrunError as error:
                if not await self._skip_overlong(client.port, reader, error.consumed):
                    return
                continue
            except asyncio.IncompleteReadError:
                return
            if client.port == "command":
                self._on_command_line(client, line)
                if client.backlog > DRAIN_EVERY:
                    # A client that sends commands and reads no replies: stop
                    # reading it rather than pile up replies.
                    await client.drain()
            else:
                self._on_telemetry_line(line)

    async def _skip_overlong(self, port: str, reader: asyncio.StreamReader, consumed: int) -> bool:
        """Skip the rest of an overlong line; False at the end of the stream."""
        self.bad_lines_received += 1
        self._problem_log(
            logging.WARNING,
            "overlong",
            f"{port} port: skipping a line longer than {LINE_LIMIT} bytes "
            f"({self.bad_lines_received} bad lines so far)",
        )
        try:
            await reader.readexactly(consumed)
            while True:
                try:
                    await reader.readuntil(b"\n")
                    return True
                except asyncio.LimitOverrunError as error:
                    await reader.readexactly(error.consumed)
        except asyncio.IncompleteReadError:
            return False

    def _bad_line(self, port: str, why: str, line: bytes) -> None:
        self.bad_lines_received += 1
        self._problem_log(
            logging.WARNING,
            f"bad-{port}",
            f"{port} port: {why}: {preview(line)} ({self.bad_lines_received} bad lines so far)",
        )

    def _on_command_line(self, client: _Client, line: bytes) -> None:
        try:
            message = decode_line(line)
        except BadLine as error:
            self._bad_line("command", f"bad line ({error})", line)
            return
        msg_id = message.get("id")
        if not isinstance(msg_id, str):
            self._bad_line("command", "message without a string 'id'", line)
            return
        if not msg_id.startswith("cmd_"):
            self.inputs_ignored += 1
            self._problem_log(
                logging.INFO, "input", f"command port: {preview(msg_id, 60)} ignored (a replay)"
            )
            return
        seq = message.get("sequence_id")
        if type(seq) is not int:
            self._bad_line("command", f"{preview(msg_id, 60)} without an integer sequence_id", line)
            return
        self.commands_refused += 1
        self._problem_log(
            logging.INFO,
            "command",
            f"{preview(msg_id, 60)} (sequence id {str(seq)[:24]}) refused: "
            f"a recording is being replayed ({self.commands_refused} refused so far)",
        )
        reply: dict[str, Any] = {"id": "noack", "sequence_id": seq, "user_info": READ_ONLY_INFO}
        client.send(encode_line(reply))

    def _on_telemetry_line(self, line: bytes) -> None:
        try:
            message = decode_line(line)
        except BadLine as error:
            self._bad_line("telemetry", f"bad line ({error})", line)
            return
        self.inputs_ignored += 1
        msg_id = message.get("id")
        name = preview(msg_id, 60) if isinstance(msg_id, str) else "a message without an id"
        self._problem_log(logging.INFO, "input", f"telemetry port: {name} ignored (a replay)")

    # ------------------------------------------------------------------
    # Playing
    # ------------------------------------------------------------------
    async def _play(self, run: _Run) -> None:
        try:
            while True:
                sent = await self._pass(run)
                self.passes += 1
                if not self.loop:
                    break
                if not sent:
                    self.log.warning("nothing to replay in %s: not looping", self.recording.path)
                    break
                self._problem_log(
                    logging.INFO,
                    "loop",
                    f"replay of {self.recording.path}: the end, starting over "
                    f"(pass {self.passes + 1})",
                )
        except asyncio.CancelledError:
            raise
        except Exception:
            self.log.exception("replay of %s failed; connections stay open", self.recording.path)
        run.finished = True
        self.log.info(
            "replay finished: %d command and %d telemetry lines sent; the connections stay "
            "open (reconnect to replay again)",
            self.lines_sent["command"],
            self.lines_sent["telemetry"],
        )

    async def _pass(self, run: _Run) -> int:
        """Send the recording once, paced; return how many lines were due to clients."""
        anchor: tuple[float, float] | None = None  # (recording time, monotonic time)
        speed = self.speed
        count = 0
        began = time.monotonic()
        for line in self.recording.iter_messages(self.start_time, None):
            if line.direction != "in":
                continue
            if line.port == "command" and is_reply(line.line):
                self.replies_skipped += 1
                continue
            count += 1
            if not math.isinf(speed):
                now = time.monotonic()
                if anchor is None:
                    anchor = (line.time, now)
                due = anchor[1] + (line.time - anchor[0]) / speed
                if due > now + EARLY:
                    await self._drain_all()
                    now = time.monotonic()
                    if due > now:
                        await asyncio.sleep(due - now)
                    began = time.monotonic()
                elif now - due > MAX_LAG:
                    self.clock_restarts += 1
                    anchor = (line.time, now)
            await self._deliver(run, line)
            if time.monotonic() - began > SLICE:
                await asyncio.sleep(0)  # let the clients' input be read
                began = time.monotonic()
        await self._drain_all()
        return count

    async def _deliver(self, run: _Run, line: WireLine) -> None:
        port = line.port
        data = line.line + b"\n"
        client = self.clients.get(port)
        if client is None:
            await self._hold(run, port, data)
            return
        if not client.send(data):
            self.lines_dropped += 1
            return
        self.lines_sent[port] += 1
        self.peak_backlog = max(self.peak_backlog, client.backlog)
        if client.unsent >= DRAIN_EVERY:
            await client.drain()

    async def _hold(self, run: _Run, port: str, data: bytes) -> None:
        """Keep a line for a client expected on ``port``, or drop it."""
        while run.holding.get(port, False) and run.window_left() > 0:
            if run.held_bytes[port] < MAX_JOIN_BACKLOG:
                run.held[port].append(data)
                run.held_bytes[port] += len(data)
                return
            await self._drain_all()
            run.joined.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(run.joined.wait(), max(run.window_left(), 0.0))
            client = self.clients.get(port)
            if client is not None:  # joined meanwhile: it got the held lines
                if client.send(data):
                    self.lines_sent[port] += 1
                return
        if run.holding.get(port, False):
            self.lines_dropped += run.release(port)
        self.lines_dropped += 1

    async def _drain_all(self) -> None:
        for client in list(self.clients.values()):
            if client is not None and client.unsent:
                await client.drain()
