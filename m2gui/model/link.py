"""`LinkStore`: the state of the controller link, for whoever shows it."""

from __future__ import annotations

import time
from dataclasses import dataclass

from psygnal import Signal

from m2gui.net import ConnectionState, ControllerConnection, PortStats

__all__ = ["STALE_AFTER", "STATE_COLORS", "LinkStatus", "LinkStore"]

#: Seconds without telemetry after which it is shown as stale.
STALE_AFTER = 1.0
#: Colour of each connection state (work on light and dark palettes).
STATE_COLORS = {
    ConnectionState.CONNECTED: "#2e9d4f",
    ConnectionState.CONNECTING: "#c9a000",
    ConnectionState.RECONNECTING: "#e07b00",
    ConnectionState.DISCONNECTED: "#8a8a8a",
}


@dataclass(frozen=True)
class LinkStatus:
    """A snapshot of the link, as announced by `LinkStore.changed`."""

    state: ConnectionState
    address: str
    retry_in: float | None
    last_error: str

    @property
    def connected(self) -> bool:
        """True while both ports are connected."""
        return self.state is ConnectionState.CONNECTED

    @property
    def text(self) -> str:
        """The state as shown: ``connected``, ``reconnecting in 1.5 s``..."""
        if self.state is ConnectionState.RECONNECTING:
            return f"reconnecting in {self.retry_in:.1f} s" if self.retry_in else "reconnecting"
        if self.state is ConnectionState.DISCONNECTED and self.last_error:
            return "disconnected (error)"
        return str(self.state.value)

    @property
    def color(self) -> str:
        """The colour of the state light."""
        return STATE_COLORS[self.state]


class LinkStore:
    """Connection state, address, counters and telemetry age of one controller link.

    Parameters
    ----------
    connection : `ControllerConnection`
        The link it follows.

    Signals
    -------
    changed(LinkStatus)
        After the connection's state (or its next retry time) changed.
    """

    changed = Signal(LinkStatus)

    def __init__(self, connection: ControllerConnection) -> None:
        self._connection = connection
        connection.add_state_listener(self._on_state)

    def _on_state(self, state: ConnectionState) -> None:
        self.changed.emit(self.status)

    @property
    def status(self) -> LinkStatus:
        """The link now."""
        conn = self._connection
        return LinkStatus(conn.state, conn.address, conn.retry_in, conn.last_error)

    @property
    def connected(self) -> bool:
        """True while both ports are connected."""
        return self._connection.connected

    def port_stats(self, port: str) -> PortStats:
        """Counters of ``port`` ("command" or "telemetry") over every connection."""
        return self._connection.port_stats(port)

    def telemetry_age(self, now: float | None = None) -> float | None:
        """Seconds since the last telemetry message, or None if none came or disconnected."""
        conn = self._connection
        if not conn.connected:
            return None
        latest = max((r.time for r in conn.latest_telemetry.values()), default=None)
        if latest is None:
            return None
        return max(0.0, (time.time() if now is None else now) - latest)
