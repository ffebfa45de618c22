"""`Session`: the façade the UI talks to: stores to read, and ways to send."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any, TypeVar

from m2gui.net import (
    DEFAULT_COMMAND_PORT,
    DEFAULT_TELEMETRY_PORT,
    CommandRecord,
    ControllerConnection,
    MsgType,
)

from .catalogue import Catalogue, load_catalogue
from .commanding import Rule, blocked_reason, send_command
from .events import EventStore
from .history import CommandHistory, Preferences
from .link import LinkStore
from .long_history import LongHistory
from .plot_requests import PlotRequests
from .sources import LiveSource, Source
from .telemetry import TelemetryStore
from .traffic import TrafficFeed

__all__ = ["Session"]

T = TypeVar("T")


class Session:
    """Everything the UI reads, and every way it sends, for one controller.

    Widgets read the stores (``events``, ``telemetry``, ``history``, ``link``,
    ``traffic``) and listen to their signals; they send through the methods
    here. Only this class touches the `ControllerConnection`.

    Parameters
    ----------
    host, command_port, telemetry_port
        Controller address.
    reconnect : `bool`
        Reconnect after drops.
    catalogue : `Catalogue` or None
        Protocol catalogue (default: the packaged one).
    history : `float`
        Seconds of telemetry history kept (at 20 Hz).
    source : `Source` or None
        Where the traffic comes from (default: a `LiveSource` on a new
        connection to ``host``). A read-only source (replay, broker viewer)
        blocks every command with its `Source.read_only` text.

    Raises
    ------
    ValueError
        If ``history`` is not a finite number of seconds greater than zero.
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        command_port: int = DEFAULT_COMMAND_PORT,
        telemetry_port: int = DEFAULT_TELEMETRY_PORT,
        *,
        reconnect: bool = True,
        catalogue: Catalogue | None = None,
        history: float = 600.0,
        source: Source | None = None,
    ) -> None:
        self.catalogue = catalogue or load_catalogue()
        if source is None:
            source = LiveSource(
                ControllerConnection(
                    host,
                    command_port,
                    telemetry_port,
                    reconnect=reconnect,
                    known_events=self.catalogue.events,
                    known_telemetry=self.catalogue.telemetry,
                )
            )
        self.source = source
        self.connection = source.connection
        source.reset.connect(self._reset_stores)
        source.caught_up.connect(self.forget_after)
        self.link = LinkStore(self.connection)
        self.events = EventStore(self.catalogue)
        self.events.attach(self.connection)
        self.telemetry = TelemetryStore(self.catalogue, history)
        self.telemetry.attach(self.connection)
        self.history = CommandHistory()
        self.history.attach(self.connection)
        self.traffic = TrafficFeed(self.connection)
        self.plots = PlotRequests()
        #: Telemetry older than the in-memory window (the recording on disk),
        #: set by whoever records or replays; None: memory only.
        self.long_history: LongHistory | None = None
        self.preferences = Preferences()
        self._stores: dict[Callable[..., Any], Any] = {}

    def _reset_stores(self) -> None:
        """The source jumped in time: forget telemetry, event and command histories."""
        self.telemetry.clear()
        self.events.clear_history()
        self.history.clear()

    def forget_after(self, t: float) -> None:
        """After a replay's catch-up to ``t``: drop event values from after it."""
        self.events.forget_after(t)

    def store(self, factory: Callable[[Session], T]) -> T:
        """The one instance of a domain store for this session, made on first use.

        Domain views share state this way without the session knowing their
        types: ``session.store(FaultLog)`` makes ``FaultLog(session)`` once
        (attached to the other stores' signals) and returns it every time.
        """
        if factory not in self._stores:
            self._stores[factory] = factory(self)
        return self._stores[factory]  # type: ignore[no-any-return]

    # ------------------------------------------------------------------
    # The link
    # ------------------------------------------------------------------
    @property
    def address(self) -> tuple[str, int, int]:
        """``(host, command_port, telemetry_port)``."""
        conn = self.connection
        return conn.host, conn.command_port, conn.telemetry_port

    def set_address(self, host: str, command_port: int, telemetry_port: int) -> None:
        """Point the (disconnected) connection at another controller."""
        conn = self.connection
        conn.host, conn.command_port, conn.telemetry_port = host, command_port, telemetry_port

    @property
    def connected(self) -> bool:
        """True while both ports are connected."""
        return self.connection.connected

    @property
    def read_only(self) -> str | None:
        """Why no command can be sent through this session's source, or None."""
        return self.source.read_only

    def connect(self) -> None:
        """Start the source (connect, play, subscribe)."""
        self.source.start()

    async def disconnect(self) -> None:
        """Stop the source (disconnect and stop reconnecting)."""
        await self.source.close()

    async def close(self) -> None:
        """End the session: stop the domain stores' work (``shutdown()``), then disconnect."""
        for store in list(self._stores.values()):
            shutdown = getattr(store, "shutdown", None)
            if callable(shutdown):
                result = shutdown()
                if inspect.isawaitable(result):
                    await result
        await self.disconnect()

    # ------------------------------------------------------------------
    # Sending
    # ------------------------------------------------------------------
    def blocked_reason(self, name: str, *rules: Rule) -> str | None:
        """Why command ``name`` may not be sent now (None if it may).

        See `m2gui.model.commanding.blocked_reason`.
        """
        return blocked_reason(self, name, *rules)

    async def send(
        self,
        name: str,
        params: dict[str, Any] | None = None,
        *,
        validate: bool = True,
        timeout: float | None = None,
    ) -> CommandRecord:
        """Validate, check the command-source rule, send and wait for success.

        ``timeout``: seconds to wait for the final reply (default: the
        catalogue's for the command). See `m2gui.model.commanding.send_command`
        for what it raises.
        """
        return await send_command(self, name, params, validate=validate, timeout=timeout)

    async def send_message(
        self, kind: str, name: str, details: dict[str, Any], comp_name: str | None = None
    ) -> None:
        """Send an ``event`` (command port) or ``telemetry`` (telemetry port) input.

        Raises
        ------
        ConnectionError
            If the port is not connected, or the source is read-only.
        ValueError
            For another ``kind``, or an ``id`` in ``details``.
        """
        self._check_writable()
        types = {"event": MsgType.Event, "telemetry": MsgType.Telemetry}
        if kind not in types:
            raise ValueError(f"cannot send a {kind!r} message: only event or telemetry")
        await self.connection.send_message(types[kind], name, details, comp_name)

    async def send_raw(self, port: str, line: str) -> None:
        """Send one line as typed (terminator added) on ``port``.

        Raises
        ------
        ConnectionError
            If the port is not connected, or the source is read-only.
        UnicodeError
            If the line cannot be encoded.
        """
        self._check_writable()
        await self.connection.send_line(port, line)

    def _check_writable(self) -> None:
        if self.source.read_only is not None:
            raise ConnectionError(self.source.read_only)
