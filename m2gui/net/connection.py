"""`ControllerConnection`: the two-port link to the M2 cell controller.

Owns a command `TcpClient` (commands out; replies and events in) and a
telemetry `TcpClient` (telemetry in), turns a command into an awaitable result
correlated by sequence id, delivers events and telemetry to subscribers with
their receive time, keeps the latest value of each, and reconnects with
exponential backoff when the controller drops.
"""

from __future__ import annotations

import asyncio
import enum
import logging
import time
from collections import OrderedDict
from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass
from typing import Any, NamedTuple

from .command_record import (
    CommandDisconnected,
    CommandFailed,
    CommandRecord,
    CommandRejected,
    CommandTimeout,
    Outcome,
)
from .msg_type import PREFIXES, MsgType
from .ratelog import RateLimitedLog
from .sequence import sequence_id_generator
from .tcp_client import TcpClient

__all__ = [
    "DEFAULT_COMMAND_PORT",
    "DEFAULT_TELEMETRY_PORT",
    "ConnectionState",
    "ControllerConnection",
    "PortStats",
    "Received",
]

#: The controller's port pair for engineering GUIs (50000/50001 is the CSC's).
DEFAULT_COMMAND_PORT = 50010
DEFAULT_TELEMETRY_PORT = 50011
REPLY_IDS = frozenset(("ack", "noack", "success", "fail"))
#: Finished commands remembered so that late replies are recognised.
FINISHED_MEMORY = 1000


class ConnectionState(enum.Enum):
    """Where the connection stands."""

    DISCONNECTED = "disconnected"
    CONNECTING = "connecting"
    CONNECTED = "connected"
    RECONNECTING = "reconnecting"


class Received(NamedTuple):
    """A message from the controller with its receive time (``time.time()``)."""

    name: str
    message: dict[str, Any]
    time: float
    port: str


@dataclass
class PortStats:
    """Counters of one port, over every connection made so far."""

    messages: int = 0
    bytes: int = 0
    bad_lines: int = 0
    unknown_ids: int = 0


Subscriber = Callable[[Received], None]
StateListener = Callable[[ConnectionState], None]
CommandListener = Callable[[CommandRecord], None]
#: ``(port, direction, message, time)``; direction is "in" or "out".
TrafficListener = Callable[[str, str, Any, float], None]


class _PeekableIds(Iterator[int]):
    """A sequence-id generator whose next value can be known before it is used.

    The pending command must be registered under its id before the write, so
    that a reply processed while the write drains is never missed.
    """

    def __init__(self, ids: Iterator[int]) -> None:
        self._ids = ids
        self._peeked: int | None = None

    def peek(self) -> int:
        if self._peeked is None:
            self._peeked = next(self._ids)
        return self._peeked

    def __next__(self) -> int:
        value = self.peek()
        self._peeked = None
        return value


class ControllerConnection:
    """Command and telemetry connections to one controller.

    Parameters
    ----------
    host : `str`
        Controller host.
    command_port, telemetry_port : `int`
        Ports (default 50010 and 50011, the controller's GUI pair).
    reconnect : `bool`
        Reconnect after a drop or a failed attempt (default True).
    backoff_initial, backoff_max : `float`
        First and largest wait between attempts, seconds; the wait doubles.
    connect_timeout : `float`
        Seconds allowed for each connection attempt.
    default_timeout : `float`
        Command timeout when `command` is given none.
    known_events, known_telemetry : collection of `str` or None
        Message ids the catalogue knows; others are delivered too but counted
        and logged as unknown. None: count nothing as unknown.
    log : `logging.Logger` or None
        Logger.
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        command_port: int = DEFAULT_COMMAND_PORT,
        telemetry_port: int = DEFAULT_TELEMETRY_PORT,
        *,
        reconnect: bool = True,
        backoff_initial: float = 0.5,
        backoff_max: float = 10.0,
        connect_timeout: float = 5.0,
        default_timeout: float = 10.0,
        known_events: Collection[str] | None = None,
        known_telemetry: Collection[str] | None = None,
        log: logging.Logger | None = None,
    ) -> None:
        self.host = host
        self.command_port = command_port
        self.telemetry_port = telemetry_port
        self.reconnect = reconnect
        self.backoff_initial = backoff_initial
        self.backoff_max = backoff_max
        self.connect_timeout = connect_timeout
        self.default_timeout = default_timeout
        self.log = log or logging.getLogger(__name__)
        self._known_events = frozenset(known_events) if known_events is not None else None
        self._known_telemetry = frozenset(known_telemetry) if known_telemetry is not None else None
        self.state = ConnectionState.DISCONNECTED
        self.next_retry_at: float | None = None
        self.last_error = ""
        self.latest_events: dict[str, Received] = {}
        self.latest_telemetry: dict[str, Received] = {}
        self.command_stats = PortStats()
        self.telemetry_stats = PortStats()
        self.late_replies = 0
        self.unmatched_replies = 0
        self.connections_made = 0
        self._ids = _PeekableIds(sequence_id_generator())
        self._command_client: TcpClient | None = None
        self._telemetry_client: TcpClient | None = None
        self._pending: dict[int, tuple[CommandRecord, asyncio.Future[CommandRecord]]] = {}
        self._finished: OrderedDict[int, CommandRecord] = OrderedDict()
        self._subs_by_name: dict[str, list[Subscriber]] = {}
        self._subs_all: dict[str, list[Subscriber]] = {"event": [], "telemetry": []}
        self._state_listeners: list[StateListener] = []
        self._command_listeners: list[CommandListener] = []
        self._traffic_listeners: list[TrafficListener] = []
        self._supervisor: asyncio.Task[None] | None = None
        self._stop: asyncio.Event | None = None
        self._connected_event: asyncio.Event | None = None
        self._problem_log = RateLimitedLog(self.log)

    # ------------------------------------------------------------------
    # Listeners
    # ------------------------------------------------------------------
    def subscribe(
        self, callback: Subscriber, name: str | None = None, kind: str | None = None
    ) -> Callable[[], None]:
        """Call ``callback(received)`` for each message named ``name``.

        With ``name`` None, for every message of ``kind`` ("event" or
        "telemetry"; None: both). Returns a function that unsubscribes.
        """
        if name is not None:
            lists = [self._subs_by_name.setdefault(name, [])]
        elif kind is None:
            lists = list(self._subs_all.values())
        else:
            lists = [self._subs_all[kind]]
        for target in lists:
            target.append(callback)

        def unsubscribe() -> None:
            for target in lists:
                if callback in target:
                    target.remove(callback)

        return unsubscribe

    def add_state_listener(self, callback: StateListener) -> None:
        """Call ``callback(state)`` on every state change."""
        self._state_listeners.append(callback)

    def add_command_listener(self, callback: CommandListener) -> Callable[[], None]:
        """Call ``callback(record)`` when a command is sent and on each reply.

        Returns a function that removes the listener.
        """
        self._command_listeners.append(callback)
        return lambda: self._command_listeners.remove(callback)

    def add_traffic_listener(self, callback: TrafficListener) -> Callable[[], None]:
        """Call ``callback(port, direction, message, time)`` for every message."""
        self._traffic_listeners.append(callback)
        return lambda: self._traffic_listeners.remove(callback)

    def _notify(self, listeners: list[Any], *args: Any) -> None:
        for listener in list(listeners):
            try:
                listener(*args)
            except Exception:
                self._problem_log(
                    logging.ERROR, "listener", f"listener {listener!r} failed", exc_info=True
                )

    def _set_state(self, state: ConnectionState) -> None:
        if state is self.state:
            return
        self.state = state
        self.log.info("controller %s: %s", self.address, state.value)
        if self._connected_event is not None:
            if state is ConnectionState.CONNECTED:
                self._connected_event.set()
            else:
                self._connected_event.clear()
        self._notify(self._state_listeners, state)

    # ------------------------------------------------------------------
    # Lifecycle
    # ------------------------------------------------------------------
    @property
    def address(self) -> str:
        """``host:command_port/telemetry_port``."""
        return f"{self.host}:{self.command_port}/{self.telemetry_port}"

    @property
    def connected(self) -> bool:
        """True while both ports are connected."""
        return self.state is ConnectionState.CONNECTED

    @property
    def retry_in(self) -> float | None:
        """Seconds until the next connection attempt while reconnecting."""
        if self.state is not ConnectionState.RECONNECTING or self.next_retry_at is None:
            return None
        return max(0.0, self.next_retry_at - time.monotonic())

    def start(self) -> None:
        """Start connecting (and keep connected) in the background."""
        if self._supervisor is not None and not self._supervisor.done():
            return
        self._stop = asyncio.Event()
        self._connected_event = asyncio.Event()
        self._supervisor = asyncio.create_task(self._supervise(), name="m2-connection")

    async def wait_connected(self, timeout: float | None = None) -> None:
        """Wait until both ports are connected.

        Raises
        ------
        TimeoutError
            If not connected within ``timeout`` seconds.
        """
        if self._connected_event is None:
            raise RuntimeError("call start() first")
        await asyncio.wait_for(self._connected_event.wait(), timeout)

    async def close(self) -> None:
        """Disconnect and stop reconnecting; commands in flight fail."""
        if self._stop is not None:
            self._stop.set()
        task = self._supervisor
        if task is not None and not task.done():
            try:
                await task
            except asyncio.CancelledError:
                pass
        self._supervisor = None
        await self._close_clients("disconnected by the user")
        self._set_state(ConnectionState.DISCONNECTED)

    async def _supervise(self) -> None:
        assert self._stop is not None
        stop = self._stop
        delay = 0.0
        state = ConnectionState.CONNECTING
        while not stop.is_set():
            self._set_state(state)
            try:
                await self._open()
            except (OSError, TimeoutError) as error:
                self.last_error = str(error)
                self.log.warning("controller %s: %s", self.address, error)
                await self._close_clients("connection failed")
                if not self.reconnect:
                    break
                delay = min(max(delay * 2, self.backoff_initial), self.backoff_max)
                state = ConnectionState.RECONNECTING
                if await self._sleep_or_stop(delay, stop):
                    break
                continue
            self.last_error = ""
            self.connections_made += 1
            delay = 0.0
            self._set_state(ConnectionState.CONNECTED)
            await self._wait_until_lost(stop)
            if stop.is_set():
                break
            self.log.warning("controller %s: connection lost", self.address)
            await self._close_clients("connection lost")
            if not self.reconnect:
                break
            state = ConnectionState.RECONNECTING
            self.next_retry_at = time.monotonic()
        self._set_state(ConnectionState.DISCONNECTED)

    async def _sleep_or_stop(self, delay: float, stop: asyncio.Event) -> bool:
        self.next_retry_at = time.monotonic() + delay
        self._set_state(ConnectionState.RECONNECTING)
        self._notify(self._state_listeners, self.state)  # new retry time
        try:
            await asyncio.wait_for(stop.wait(), delay)
            return True
        except TimeoutError:
            return False

    async def _open(self) -> None:
        cmd = TcpClient(
            self.host,
            self.command_port,
            self._on_command_message,
            log=self.log,
            sequence_generator=self._ids,
            name="command",
        )
        tel = TcpClient(
            self.host,
            self.telemetry_port,
            self._on_telemetry_message,
            log=self.log,
            name="telemetry",
        )
        cmd.connect_timeout = tel.connect_timeout = self.connect_timeout
        self._command_client, self._telemetry_client = cmd, tel
        await asyncio.gather(cmd.connect(self.connect_timeout), tel.connect(self.connect_timeout))

    async def _wait_until_lost(self, stop: asyncio.Event) -> None:
        assert self._command_client is not None and self._telemetry_client is not None
        stopped = asyncio.ensure_future(stop.wait())
        waiters: list[asyncio.Future[Any]] = [
            stopped,
            self._command_client.done_task,
            self._telemetry_client.done_task,
        ]
        await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
        stopped.cancel()

    async def _close_clients(self, reason: str) -> None:
        for client, stats in (
            (self._command_client, self.command_stats),
            (self._telemetry_client, self.telemetry_stats),
        ):
            if client is None:
                continue
            await client.close()
            stats.bytes += client.bytes_received
            stats.bad_lines += client.bad_lines
        self._command_client = self._telemetry_client = None
        for record, future in list(self._pending.values()):
            record.outcome = Outcome.DISCONNECTED
            record.t_done = time.monotonic()
            record.reason = reason
            self._remember(record)
            if not future.done():
                future.set_exception(
                    CommandDisconnected(record, f"{record.name}: {reason} while in flight")
                )
            self._notify(self._command_listeners, record)
        self._pending.clear()

    def port_stats(self, port: str) -> PortStats:
        """Counters of ``port`` ("command" or "telemetry"), live connection included."""
        if port == "command":
            stats, client = self.command_stats, self._command_client
        else:
            stats, client = self.telemetry_stats, self._telemetry_client
        if client is None:
            return PortStats(**vars(stats))
        return PortStats(
            messages=stats.messages,
            bytes=stats.bytes + client.bytes_received,
            bad_lines=stats.bad_lines + client.bad_lines,
            unknown_ids=stats.unknown_ids,
        )

    # ------------------------------------------------------------------
    # Receiving
    # ------------------------------------------------------------------
    async def _on_command_message(self, message: dict[str, Any]) -> None:
        now = time.time()
        self.command_stats.messages += 1
        name = message.get("id")
        if self._traffic_listeners:
            self._notify(self._traffic_listeners, "command", "in", message, now)
        if name in REPLY_IDS:
            self._on_reply(name, message)
            return
        if not isinstance(name, str):
            self._unknown(self.command_stats, "command", message)
            return
        if self._known_events is not None and name not in self._known_events:
            self._unknown(self.command_stats, "command", message)
        received = Received(name, message, now, "command")
        self.latest_events[name] = received
        for callback in self._subs_by_name.get(name, ()):
            self._deliver(callback, received)
        for callback in self._subs_all["event"]:
            self._deliver(callback, received)

    async def _on_telemetry_message(self, message: dict[str, Any]) -> None:
        now = time.time()
        self.telemetry_stats.messages += 1
        name = message.get("id")
        if self._traffic_listeners:
            self._notify(self._traffic_listeners, "telemetry", "in", message, now)
        if not isinstance(name, str):
            self._unknown(self.telemetry_stats, "telemetry", message)
            return
        if self._known_telemetry is not None and name not in self._known_telemetry:
            self._unknown(self.telemetry_stats, "telemetry", message)
        received = Received(name, message, now, "telemetry")
        self.latest_telemetry[name] = received
        for callback in self._subs_by_name.get(name, ()):
            self._deliver(callback, received)
        for callback in self._subs_all["telemetry"]:
            self._deliver(callback, received)

    def _deliver(self, callback: Subscriber, received: Received) -> None:
        try:
            callback(received)
        except Exception:
            self._problem_log(
                logging.ERROR,
                f"subscriber-{received.name}",
                f"subscriber {callback!r} failed on {received.name}",
                exc_info=True,
            )

    def _unknown(self, stats: PortStats, port: str, message: dict[str, Any]) -> None:
        stats.unknown_ids += 1
        self._problem_log(
            logging.WARNING,
            f"unknown-{port}",
            f"{port} port: unknown message id {message.get('id')!r} "
            f"({stats.unknown_ids} so far): {str(message)[:200]}",
        )

    def _remember(self, record: CommandRecord) -> None:
        self._finished[record.sequence_id] = record
        while len(self._finished) > FINISHED_MEMORY:
            self._finished.popitem(last=False)

    def _on_reply(self, kind: str, message: dict[str, Any]) -> None:
        seq = message.get("sequence_id")
        info = message.get("user_info")
        entry = self._pending.get(seq) if isinstance(seq, int) else None
        if entry is None:
            finished = self._finished.get(seq) if isinstance(seq, int) else None
            if finished is not None:
                self.late_replies += 1
                if info:
                    finished.user_info.append(str(info))
                    self._notify(self._command_listeners, finished)
                self.log.info(
                    "%s reply for %s (sequence id %s), which already ended as %s: ignored",
                    kind,
                    finished.name,
                    seq,
                    finished.outcome.value,
                )
                return
            if kind == "noack":
                # The specification answers a wrong sequence id with noack
                # carrying the id the controller expected: blame the oldest
                # command still waiting for its first reply.
                waiting = [e for e in self._pending.values() if e[0].outcome is Outcome.SENT]
                if waiting:
                    entry = waiting[0]
                    info = info or f"wrong sequence id: the controller expected {seq}"
            if entry is None:
                self.unmatched_replies += 1
                self._problem_log(
                    logging.WARNING,
                    "unmatched-reply",
                    f"{kind} reply with unknown sequence id {seq!r}: ignored",
                )
                return
        record, future = entry
        now = time.monotonic()
        if info:
            record.user_info.append(str(info))
        if kind == "ack":
            record.outcome = Outcome.ACK
            record.t_ack = now
            self._notify(self._command_listeners, record)
            return
        del self._pending[record.sequence_id]
        record.t_done = now
        if kind == "success":
            record.outcome = Outcome.SUCCESS
            result: BaseException | None = None
        elif kind == "fail":
            record.outcome = Outcome.FAIL
            record.reason = str(info) if info else "the controller reported fail"
            result = CommandFailed(record, f"{record.name} failed: {record.reason}")
        else:
            record.outcome = Outcome.NOACK
            record.t_ack = record.t_ack or now
            record.reason = str(info) if info else "rejected: unknown command or wrong sequence id"
            result = CommandRejected(record, f"{record.name} rejected: {record.reason}")
        self._remember(record)
        if not future.done():
            if result is None:
                future.set_result(record)
            else:
                future.set_exception(result)
        self._notify(self._command_listeners, record)

    # ------------------------------------------------------------------
    # Sending
    # ------------------------------------------------------------------
    async def command(
        self, name: str, params: dict[str, Any] | None = None, timeout: float | None = None
    ) -> CommandRecord:
        """Send a command and wait for its success.

        Parameters
        ----------
        name : `str`
            Command name without the ``cmd_`` prefix.
        params : `dict` or None
            Parameters (validate them first: see ``Catalogue.validate_command``).
        timeout : `float` or None
            Seconds to wait for the final reply (default ``default_timeout``).

        Returns
        -------
        record : `CommandRecord`
            The command with its ack and success times.

        Raises
        ------
        CommandRejected
            The controller answered noack.
        CommandFailed
            The controller answered fail (``record.reason`` tells why).
        CommandTimeout
            No final reply in time.
        CommandDisconnected
            Not connected, or the connection was lost while in flight.
        """
        params = dict(params or {})
        timeout = self.default_timeout if timeout is None else timeout
        client = self._command_client
        now = time.monotonic()
        if client is None or not client.connected or not self.connected:
            record = CommandRecord(name, params, -1, time.time(), now)
            record.outcome = Outcome.DISCONNECTED
            record.t_done = now
            record.reason = "not connected"
            self._notify(self._command_listeners, record)
            raise CommandDisconnected(record, f"{name}: not connected to the controller")
        seq = self._ids.peek()
        record = CommandRecord(name, params, seq, time.time(), now)
        future: asyncio.Future[CommandRecord] = asyncio.get_running_loop().create_future()
        self._pending[seq] = (record, future)
        self._notify(self._command_listeners, record)
        try:
            await client.write_message(MsgType.Command, name, params)
        except (ConnectionError, RuntimeError) as error:
            self._pending.pop(seq, None)
            record.outcome = Outcome.DISCONNECTED
            record.t_done = time.monotonic()
            record.reason = str(error)
            self._remember(record)
            self._notify(self._command_listeners, record)
            raise CommandDisconnected(record, f"{name}: {error}") from None
        if self._traffic_listeners:
            out = {"id": PREFIXES[MsgType.Command] + name, "sequence_id": seq, **params}
            self._notify(self._traffic_listeners, "command", "out", out, time.time())
        try:
            return await asyncio.wait_for(asyncio.shield(future), timeout)
        except TimeoutError:
            if future.done():
                return future.result()
            self._pending.pop(seq, None)
            record.outcome = Outcome.TIMEOUT
            record.t_done = time.monotonic()
            record.reason = f"no reply within {timeout:g} s"
            self._remember(record)
            self._notify(self._command_listeners, record)
            raise CommandTimeout(record, f"{name}: no reply within {timeout:g} s") from None
        except asyncio.CancelledError:
            if self._pending.pop(seq, None) is not None:
                self._remember(record)
            raise

    async def send_message(
        self,
        msg_type: MsgType,
        name: str,
        details: dict[str, Any] | None = None,
        comp_name: str | None = None,
    ) -> None:
        """Write an event (command port) or telemetry (telemetry port) input.

        Commands go through `command`, which waits for the reply.

        Raises
        ------
        ConnectionError
            If the port is not connected.
        ValueError
            For a command type or an ``id`` in the details.
        """
        if msg_type == MsgType.Command:
            raise ValueError("send commands with command(), which waits for the reply")
        port = "command" if msg_type == MsgType.Event else "telemetry"
        client = self._command_client if port == "command" else self._telemetry_client
        if client is None or not client.connected:
            raise ConnectionError(f"{port} port not connected")
        try:
            await client.write_message(msg_type, name, details, comp_name)
        except RuntimeError as error:
            raise ConnectionError(str(error)) from None
        if self._traffic_listeners:
            out: dict[str, Any] = {"id": PREFIXES[msg_type] + name}
            if comp_name is not None:
                out["compName"] = comp_name
            out.update(details or {})
            self._notify(self._traffic_listeners, port, "out", out, time.time())

    async def send_line(self, port: str, line: str) -> None:
        """Write one raw line (terminator added) to ``port``.

        Raises
        ------
        ConnectionError
            If the port is not connected.
        """
        client = self._command_client if port == "command" else self._telemetry_client
        if client is None or not client.connected:
            raise ConnectionError(f"{port} port not connected")
        await client.write_str(line)
        if self._traffic_listeners:
            self._notify(self._traffic_listeners, port, "out", line, time.time())
