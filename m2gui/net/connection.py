"""`ControllerConnection`: the two-port link to the M2 cell controller.

Owns a command `TcpClient` (commands out; replies and events in) and a
telemetry `TcpClient` (telemetry in), turns a command into an awaitable result
correlated by sequence id, delivers events and telemetry to subscribers with
their receive time, keeps the latest value of each, and reconnects with
exponential backoff when the controller drops.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import dataclasses
import enum
import functools
import logging
import math
import time
from collections import OrderedDict
from collections.abc import Callable, Collection
from dataclasses import dataclass
from typing import Any, NamedTuple

from .codec import BadLine, decode_line, preview
from .command_record import (
    CommandDisconnected,
    CommandFailed,
    CommandInvalid,
    CommandRecord,
    CommandRejected,
    CommandTimeout,
    Outcome,
)
from .msg_type import PREFIXES, MsgType
from .ratelog import RateLimitedLog
from .sequence import MAX_SEQUENCE_ID, PeekableIds, high_water_mark
from .tcp_client import TcpClient
from .wire import WireLine, WireListener

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
#: Texts of late replies kept on one record, and characters kept of each.
LATE_INFO_ENTRIES = 10
INFO_CHARS = 500
#: Seconds a command must have left to be sent again after its id was refused.
RESEND_MIN_TIME = 0.2
#: Distinct unknown message ids kept per port; the rest are counted, dropped.
MAX_UNKNOWN_IDS = 100
#: Seconds a link must stay up, delivering telemetry, before the reconnect
#: backoff starts again from nothing.
STABLE_AFTER = 5.0
#: Commands fed (`ControllerConnection.feed`) that wait for a reply at most;
#: older ones end as timed out ("no reply in the source").
MAX_FED_PENDING = 256


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
    #: Messages with an unknown id dropped once `MAX_UNKNOWN_IDS` were kept.
    unknown_dropped: int = 0


Subscriber = Callable[[Received], None]
StateListener = Callable[[ConnectionState], None]
CommandListener = Callable[[CommandRecord], None]
#: ``(port, direction, message, time)``; direction is "in" or "out".
TrafficListener = Callable[[str, str, Any, float], None]


def _retrieve(future: asyncio.Future[Any]) -> None:
    """Mark a command future's exception retrieved: the caller may have gone."""
    if not future.cancelled():
        future.exception()


def _loop_time(monotonic_deadline: float) -> float:
    """A ``time.monotonic()`` deadline on the running loop's clock."""
    loop = asyncio.get_running_loop()
    return loop.time() + (monotonic_deadline - time.monotonic())


class _Resend(Exception):
    """Set on a pending command's future: its id was refused, send it again."""


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
    stable_after : `float`
        Seconds a link must stay up and deliver telemetry before a drop
        reconnects at once and the backoff starts again; a link that drops
        sooner (a controller that accepts and closes) keeps backing off.
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
        stable_after: float = STABLE_AFTER,
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
        self.stable_after = stable_after
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
        self._ids = PeekableIds()
        self._command_client: TcpClient | None = None
        self._telemetry_client: TcpClient | None = None
        self._pending: dict[int, tuple[CommandRecord, asyncio.Future[CommandRecord]]] = {}
        self._finished: OrderedDict[int, CommandRecord] = OrderedDict()
        #: Ids the controller refused, whose command was sent again under a
        #: new id: their other replies (the C++ controller's fail) are late.
        self._superseded: OrderedDict[int, CommandRecord] = OrderedDict()
        self._unknown_names: dict[str, set[str]] = {"command": set(), "telemetry": set()}
        self.resyncs = 0
        self._subs_by_name: dict[str, list[Subscriber]] = {}
        self._subs_all: dict[str, list[Subscriber]] = {"event": [], "telemetry": []}
        self._state_listeners: list[StateListener] = []
        self._command_listeners: list[CommandListener] = []
        self._traffic_listeners: list[TrafficListener] = []
        self._wire_listeners: list[WireListener] = []
        #: The receive time of the line being fed (`feed`), else None.
        self._fed_time: float | None = None
        self._supervisor: asyncio.Task[None] | None = None
        self._closing: asyncio.Future[None] | None = None
        self._stop: asyncio.Event | None = None
        self._connected_event: asyncio.Event | None = None
        #: One rate limit for every problem message of this controller link,
        #: shared by every TcpClient it makes, so reconnects do not re-arm it.
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

    def add_wire_listener(self, callback: WireListener) -> Callable[[], None]:
        """Call ``callback(wire_line)`` for every line received and sent, as on the wire.

        Lines received include bad ones (not overlong ones); lines given to
        `feed` are passed on too. Returns a function that removes the listener.
        """
        self._wire_listeners.append(callback)

        def remove() -> None:
            if callback in self._wire_listeners:
                self._wire_listeners.remove(callback)

        return remove

    def _wire(self, port: str, direction: str, line: bytes) -> None:
        if self._wire_listeners:
            self._notify(self._wire_listeners, WireLine(time.time(), port, direction, line))

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
        """Disconnect and stop reconnecting; commands in flight fail.

        Returns at once, even in the middle of a connection attempt. If the
        caller is cancelled while closing, the cancellation propagates and
        the closing finishes in the background.
        """
        if self._closing is None or self._closing.done():
            self._closing = asyncio.ensure_future(self._close_now())
        await asyncio.shield(self._closing)

    async def _close_now(self) -> None:
        if self._stop is not None:
            self._stop.set()
        task, self._supervisor = self._supervisor, None
        if task is not None and not task.done():
            task.cancel()  # it closes its own clients
            await asyncio.wait([task])
        if self._supervisor is not None:
            return  # started again while closing: the new link is not ours to close
        await self._close_clients("disconnected by the user")
        self._set_state(ConnectionState.DISCONNECTED)

    def _backoff(self, delay: float) -> float:
        return min(max(delay * 2, self.backoff_initial), self.backoff_max)

    async def _supervise(self) -> None:
        try:
            await self._keep_connected()
        except asyncio.CancelledError:
            await self._close_clients("disconnected by the user")
            raise
        except Exception:
            self.log.exception("controller %s: the connection supervisor failed", self.address)
            await self._close_clients("the connection supervisor failed")
            self._set_state(ConnectionState.DISCONNECTED)

    async def _keep_connected(self) -> None:
        assert self._stop is not None
        stop = self._stop
        delay = 0.0
        state = ConnectionState.CONNECTING
        while not stop.is_set():
            self._set_state(state)
            try:
                await self._open()
            except Exception as error:  # OSError, TimeoutError, or worse
                self.last_error = str(error) or type(error).__name__
                self._problem_log(logging.WARNING, "link", f"controller {self.address}: {error}")
                await self._close_clients("connection failed")
                if not self.reconnect:
                    break
                delay = self._backoff(delay)
                state = ConnectionState.RECONNECTING
                if await self._sleep_or_stop(delay, stop):
                    break
                continue
            self.last_error = ""
            self.connections_made += 1
            up_since = time.monotonic()
            telemetry_before = self.telemetry_stats.messages
            self._set_state(ConnectionState.CONNECTED)
            await self._wait_until_lost(stop)
            if stop.is_set():
                break
            up_for = time.monotonic() - up_since
            stable = (
                up_for >= self.stable_after and self.telemetry_stats.messages > telemetry_before
            )
            self.last_error = f"connection lost after {up_for:.1f} s"
            self._problem_log(
                logging.WARNING,
                "link",
                f"controller {self.address}: connection lost after {up_for:.1f} s",
            )
            await self._close_clients("connection lost")
            if not self.reconnect:
                break
            state = ConnectionState.RECONNECTING
            if stable:
                delay = 0.0
                self.next_retry_at = time.monotonic()
                continue
            delay = self._backoff(delay)
            if await self._sleep_or_stop(delay, stop):
                break
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
        cmd.wire_listener = functools.partial(self._wire_from, cmd, "command")
        tel.wire_listener = functools.partial(self._wire_from, tel, "telemetry")
        cmd._problem_log = tel._problem_log = self._problem_log
        self._command_client, self._telemetry_client = cmd, tel
        await asyncio.gather(cmd.connect(self.connect_timeout), tel.connect(self.connect_timeout))

    def _wire_from(self, client: TcpClient, port: str, direction: str, line: bytes) -> None:
        if self._wire_listeners:
            t = client.line_time if direction == "in" else time.time()
            self._notify(self._wire_listeners, WireLine(t, port, direction, line))

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
        clients = (
            (self._command_client, self.command_stats),
            (self._telemetry_client, self.telemetry_stats),
        )
        # Forget them first: a second caller (a cancelled close, a new
        # supervisor) must not close or count them twice.
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
        for client, stats in clients:
            if client is None:
                continue
            await client.close()
            stats.bytes += client.bytes_received
            stats.bad_lines += client.bad_lines

    def port_stats(self, port: str) -> PortStats:
        """Counters of ``port`` ("command" or "telemetry"), live connection included."""
        if port == "command":
            stats, client = self.command_stats, self._command_client
        else:
            stats, client = self.telemetry_stats, self._telemetry_client
        if client is None:
            return dataclasses.replace(stats)
        return dataclasses.replace(
            stats,
            bytes=stats.bytes + client.bytes_received,
            bad_lines=stats.bad_lines + client.bad_lines,
        )

    # ------------------------------------------------------------------
    # Receiving
    # ------------------------------------------------------------------
    async def _on_command_message(self, message: dict[str, Any]) -> None:
        client = self._command_client
        self._receive_command(message, client.line_time if client is not None else time.time())

    def _receive_command(self, message: dict[str, Any], now: float) -> None:
        self.command_stats.messages += 1
        name = message.get("id")
        if self._traffic_listeners:
            self._notify(self._traffic_listeners, "command", "in", message, now)
        if not isinstance(name, str):
            self._unknown(self.command_stats, "command", message)
            return
        if name in REPLY_IDS:
            self._on_reply(name, message)
            return
        if self._known_events is not None and name not in self._known_events:
            if self._known_telemetry is not None and name in self._known_telemetry:
                # The C++ controller sends some telemetry (netForcesTotal,
                # netMomentsTotal) on the command port too.
                self._dispatch_telemetry(name, message, now, "command")
                return
            if not self._unknown(self.command_stats, "command", message):
                return
        received = Received(name, message, now, "command")
        self.latest_events[name] = received
        for callback in self._subs_by_name.get(name, ()):
            self._deliver(callback, received)
        for callback in self._subs_all["event"]:
            self._deliver(callback, received)

    async def _on_telemetry_message(self, message: dict[str, Any]) -> None:
        client = self._telemetry_client
        self._receive_telemetry(message, client.line_time if client is not None else time.time())

    def _receive_telemetry(self, message: dict[str, Any], now: float) -> None:
        self.telemetry_stats.messages += 1
        name = message.get("id")
        if self._traffic_listeners:
            self._notify(self._traffic_listeners, "telemetry", "in", message, now)
        if not isinstance(name, str):
            self._unknown(self.telemetry_stats, "telemetry", message)
            return
        known = self._known_telemetry
        if (
            known is not None
            and name not in known
            and not self._unknown(self.telemetry_stats, "telemetry", message)
        ):
            return
        self._dispatch_telemetry(name, message, now, "telemetry")

    def _dispatch_telemetry(
        self, name: str, message: dict[str, Any], now: float, port: str
    ) -> None:
        received = Received(name, message, now, port)
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
                "subscriber",
                f"subscriber {callback!r} failed on {received.name[:100]}",
                exc_info=True,
            )

    def _unknown(self, stats: PortStats, port: str, message: dict[str, Any]) -> bool:
        """Count a message with an unknown id; True if it is to be kept.

        The first `MAX_UNKNOWN_IDS` distinct ids of a port are kept (stored
        and delivered like known ones); messages with further new ids are
        counted and dropped, so a controller that invents ids cannot grow
        memory without bound.
        """
        stats.unknown_ids += 1
        name = message.get("id")
        names = self._unknown_names[port]
        keep = isinstance(name, str) and (name in names or len(names) < MAX_UNKNOWN_IDS)
        if keep:
            assert isinstance(name, str)
            names.add(name)
        else:
            stats.unknown_dropped += 1
        self._problem_log(
            logging.WARNING,
            f"unknown-{port}",
            f"{port} port: unknown message id {str(name)[:100]!r} "
            f"({stats.unknown_ids} so far"
            + (f", {stats.unknown_dropped} dropped" if stats.unknown_dropped else "")
            + f"): {str(message)[:200]}",
        )
        return keep

    def _remember(self, record: CommandRecord) -> None:
        self._finished[record.sequence_id] = record
        while len(self._finished) > FINISHED_MEMORY:
            self._finished.popitem(last=False)

    def _late_reply(self, kind: str, seq: object, record: CommandRecord, info: object) -> None:
        """A reply for a command that has already ended (or was sent again)."""
        self.late_replies += 1
        record.late_replies += 1
        if info and len(record.user_info) < LATE_INFO_ENTRIES:
            record.user_info.append(f"late {kind}: {str(info)[:INFO_CHARS]}")
            self._notify(self._command_listeners, record)
        self._problem_log(
            logging.INFO,
            "late-reply",
            f"{kind} reply for {record.name} (sequence id {seq}), which already ended as "
            f"{record.outcome.value}: ignored ({self.late_replies} late replies so far)",
        )

    def _oldest_waiting(self) -> tuple[CommandRecord, asyncio.Future[CommandRecord]] | None:
        """The oldest command still waiting for its first reply (replies come in order)."""
        for entry in self._pending.values():
            if entry[0].outcome is Outcome.SENT:
                return entry
        return None

    def _on_reply(self, kind: str, message: dict[str, Any]) -> None:
        seq = message.get("sequence_id")
        info = message.get("user_info")
        key = seq if type(seq) is int else None
        entry = self._pending.get(key) if key is not None else None
        if kind == "noack" and self._fed_time is None and self._on_noack(key, entry, info):
            return
        if entry is None:
            superseded = self._superseded.get(key) if key is not None else None
            if superseded is not None:
                self._late_reply(kind, seq, superseded, None)
                return
            finished = self._finished.get(key) if key is not None else None
            if finished is not None:
                self._late_reply(kind, seq, finished, info)
                return
            self.unmatched_replies += 1
            self._problem_log(
                logging.WARNING,
                "unmatched-reply",
                f"{kind} reply with unknown sequence id {str(seq)[:40]}: ignored "
                f"({self.unmatched_replies} so far)",
            )
            return
        self._apply_reply(kind, entry, info)

    def _on_noack(
        self,
        key: int | None,
        entry: tuple[CommandRecord, asyncio.Future[CommandRecord]] | None,
        info: object,
    ) -> bool:
        """Handle a noack that refuses a sequence id; False for any other noack.

        Two forms refuse an id, and the command refused is then sent once
        more under the id the controller wants (it was not executed):

        - the C++ controller's, with the command's own id and a text such as
          "Bad sequence_id 1 ... previous sequence_id was 4": continue at 5;
        - the specification's, carrying the id it expected instead of the
          command's: it refuses the oldest command waiting for a reply
          (replies come in order), and the controller wants the expected id.
        """
        previous = high_water_mark(info)
        if entry is not None and previous is not None:
            if entry[0].resends:
                return False  # refused twice: it ends as noack
            next_id = max(previous + 1, self._ids.peek())
            self._resend(entry, next_id, str(info)[:INFO_CHARS])
            return True
        oldest = self._oldest_waiting()
        if oldest is None or key is None or key == oldest[0].sequence_id:
            return False
        if entry is None and (key in self._superseded or key in self._finished):
            return False  # a late noack for a command that has ended
        if not 1 <= key <= MAX_SEQUENCE_ID:
            return False  # e.g. the noack with id 0 that answers a malformed line
        if oldest[0].resends:
            self._apply_reply("noack", oldest, info or f"wrong sequence id: expected {key}")
            return True
        # The expected id may belong to newer commands in flight, which the
        # controller then accepts in turn: continue after their run of ids.
        next_id = key
        while next_id in self._pending:
            next_id += 1
        self._resend(oldest, next_id, f"the controller expected sequence id {key}")
        return True

    def _apply_reply(
        self,
        kind: str,
        entry: tuple[CommandRecord, asyncio.Future[CommandRecord]],
        info: object,
    ) -> None:
        record, future = entry
        now = time.monotonic() if self._fed_time is None else self._fed_time
        if info and len(record.user_info) < LATE_INFO_ENTRIES:
            record.user_info.append(str(info)[:INFO_CHARS])
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
            record.reason = str(info)[:INFO_CHARS] if info else "the controller reported fail"
            result = CommandFailed(record, f"{record.name} failed: {record.reason}")
        else:
            record.outcome = Outcome.NOACK
            record.t_ack = record.t_ack or now
            record.reason = (
                str(info)[:INFO_CHARS] if info else "rejected: unknown command or wrong sequence id"
            )
            result = CommandRejected(record, f"{record.name} rejected: {record.reason}")
        self._remember(record)
        if not future.done():
            if result is None:
                future.set_result(record)
            else:
                future.set_exception(result)
        self._notify(self._command_listeners, record)

    def _resend(
        self,
        entry: tuple[CommandRecord, asyncio.Future[CommandRecord]],
        next_id: int,
        why: str,
    ) -> None:
        """The controller refused a command's sequence id: resync, send it again.

        The command was not executed, so `command` sends it once more under
        the id the controller wants. Any other reply to the refused id is then
        a late reply.
        """
        record, future = entry
        old = record.sequence_id
        del self._pending[old]
        self._superseded[old] = record
        while len(self._superseded) > FINISHED_MEMORY:
            self._superseded.popitem(last=False)
        self._ids.resync(next_id)
        self.resyncs += 1
        record.user_info.append(f"sequence id {old} refused ({why}); sent again")
        self.log.warning(
            "controller %s refused sequence id %d of %s (%s): resynchronised, sending it again",
            self.address,
            old,
            record.name,
            why,
        )
        if not future.done():
            future.set_exception(_Resend())

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
        record = CommandRecord(name, params, self._ids.peek(), time.time(), now)
        deadline = now + timeout
        while True:
            seq = record.sequence_id = self._ids.peek()
            future: asyncio.Future[CommandRecord] = asyncio.get_running_loop().create_future()
            future.add_done_callback(_retrieve)
            self._pending[seq] = (record, future)
            self._notify(self._command_listeners, record)
            try:
                # A controller that stops reading must not hold us past the deadline.
                async with asyncio.timeout_at(_loop_time(deadline)):
                    await client.write_message(MsgType.Command, name, params)
            except TimeoutError:
                self._end(record, Outcome.TIMEOUT, f"could not be written within {timeout:g} s")
                raise CommandTimeout(record, f"{name}: not written within {timeout:g} s") from None
            except (OSError, RuntimeError) as error:
                self._end(record, Outcome.DISCONNECTED, str(error))
                raise CommandDisconnected(record, f"{name}: {error}") from None
            except (ValueError, TypeError) as error:
                # Not JSON-serialisable, or an "id" key: nothing was sent.
                self._end(record, Outcome.INVALID, str(error)[:INFO_CHARS])
                raise CommandInvalid(record, f"{name}: {error}") from error
            except asyncio.CancelledError:
                self._end(record, Outcome.CANCELLED, "cancelled while sending")
                raise
            if self._traffic_listeners:
                out = {"id": PREFIXES[MsgType.Command] + name, "sequence_id": seq, **params}
                self._notify(self._traffic_listeners, "command", "out", out, time.time())
            try:
                # asyncio.wait, not wait_for: on Python 3.11 wait_for can swallow
                # a cancellation that comes as the reply arrives.
                await asyncio.wait({future}, timeout=max(0.0, deadline - time.monotonic()))
            except asyncio.CancelledError:
                self._end(record, Outcome.CANCELLED, "cancelled while waiting for the reply")
                raise
            if not future.done():
                self._end(record, Outcome.TIMEOUT, f"no reply within {timeout:g} s")
                raise CommandTimeout(record, f"{name}: no reply within {timeout:g} s")
            problem = future.exception()
            if problem is None:
                return future.result()
            if not isinstance(problem, _Resend):
                raise problem
            record.resends += 1
            if deadline - time.monotonic() < RESEND_MIN_TIME:
                self._end(
                    record,
                    Outcome.NOACK,
                    "sequence id refused, and too little time left to send it again",
                )
                raise CommandRejected(record, f"{name} rejected: {record.reason}")

    def _end(self, record: CommandRecord, outcome: Outcome, reason: str) -> None:
        """End a command that is not over yet with ``outcome``, and tell the listeners."""
        entry = self._pending.get(record.sequence_id)
        if entry is not None and entry[0] is record:
            del self._pending[record.sequence_id]
        if record.outcome.final:
            return
        record.outcome = outcome
        record.t_done = time.monotonic()
        record.reason = reason
        if outcome is not Outcome.INVALID:  # an invalid command never used its id
            self._remember(record)
        self._notify(self._command_listeners, record)

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

    # ------------------------------------------------------------------
    # Fed by a source (replay, broker) instead of sockets
    # ------------------------------------------------------------------
    def feed(self, wire: WireLine) -> None:
        """Process one line with no socket, as if it crossed the wire at ``wire.time``.

        ``"in"`` lines are decoded and dispatched exactly like received ones
        (subscribers, replies, counters; bad lines are counted and logged);
        an ``"out"`` command line makes a command record that command
        listeners see and later ``"in"`` replies complete. Wire listeners see
        every fed line. Used by sources that replay or relay a controller's
        traffic; never raises on the line's content.
        """
        port, direction, line = wire.port, wire.direction, wire.line
        if port not in ("command", "telemetry") or direction not in ("in", "out"):
            raise ValueError(f"unknown port or direction: {port!r}, {direction!r}")
        if self._wire_listeners:
            self._notify(self._wire_listeners, wire)
        stats = self.command_stats if port == "command" else self.telemetry_stats
        if direction == "in":
            stats.bytes += len(line) + 1
        if not math.isfinite(wire.time):
            # One such line would pin every later sample's time (the stores
            # keep time order): the source is damaged or hostile.
            if direction == "in":
                stats.bad_lines += 1
            self._problem_log(
                logging.WARNING,
                f"{port}-fed-time",
                f"{port}: skipped a line with no usable time ({wire.time!r}; "
                f"{stats.bad_lines} bad so far): {preview(line)}",
            )
            return
        try:
            message = decode_line(line)
        except BadLine as error:
            if direction == "in":
                stats.bad_lines += 1
                self._problem_log(
                    logging.WARNING,
                    f"{port}-fed-{error.kind}",
                    f"{port}: skipped a bad line ({error}; {stats.bad_lines} bad so far): "
                    f"{preview(line)}",
                )
            return
        if not isinstance(message, dict):
            return
        self._fed_time = wire.time
        try:
            if direction == "out":
                self._feed_sent(port, message, wire.time)
            elif port == "command":
                self._receive_command(message, wire.time)
            else:
                self._receive_telemetry(message, wire.time)
        finally:
            self._fed_time = None

    def _feed_sent(self, port: str, message: dict[str, Any], t: float) -> None:
        name = message.get("id")
        if self._traffic_listeners:
            self._notify(self._traffic_listeners, port, "out", message, t)
        prefix = PREFIXES[MsgType.Command]
        seq = message.get("sequence_id")
        if port != "command" or not isinstance(name, str) or not name.startswith(prefix):
            return
        if type(seq) is not int:
            return
        params = {k: v for k, v in message.items() if k not in ("id", "sequence_id")}
        record = CommandRecord(name[len(prefix) :], params, seq, t, t)
        old = self._pending.pop(seq, None)
        if old is not None:
            self._end_fed(old[0], "its sequence id was used again")
        while len(self._pending) >= MAX_FED_PENDING:
            oldest = next(iter(self._pending))
            self._end_fed(self._pending.pop(oldest)[0], "no reply in the source")
        future: concurrent.futures.Future[CommandRecord] = concurrent.futures.Future()
        self._pending[seq] = (record, future)  # type: ignore[assignment]
        self._notify(self._command_listeners, record)

    def _end_fed(self, record: CommandRecord, reason: str) -> None:
        if record.outcome.final:
            return
        record.outcome = Outcome.TIMEOUT
        record.t_done = self._fed_time
        record.reason = reason
        self._remember(record)
        self._notify(self._command_listeners, record)

    def set_fed_state(self, state: ConnectionState, detail: str = "") -> None:
        """Set the state of a connection fed by a source (replay, broker).

        ``detail`` becomes `last_error` (what the link panel says); a new
        detail in the same state is announced to the state listeners too.
        """
        changed = detail != self.last_error
        self.last_error = detail
        if state is not self.state:
            self._set_state(state)
        elif changed:
            self._notify(self._state_listeners, state)

    def reset_fed(self) -> None:
        """Forget what fed lines left behind: the source jumped in time (a replay's seek).

        Commands waiting for a reply, the finished ones late replies would
        match, and the latest message of each id are dropped without telling
        anyone, so lines fed again make new records instead of ending or
        completing those of the other side of the jump.

        Raises
        ------
        RuntimeError
            If this connection has sockets (`start` was called).
        """
        if self._supervisor is not None:
            raise RuntimeError("reset_fed: this connection is not fed but connected")
        self._pending.clear()
        self._finished.clear()
        self._superseded.clear()
        self.latest_events.clear()
        self.latest_telemetry.clear()
