"""`Session`: the catalogue, the controller connection and the stores, wired."""

from __future__ import annotations

from m2gui.net import DEFAULT_COMMAND_PORT, DEFAULT_TELEMETRY_PORT, ControllerConnection

from .catalogue import Catalogue, load_catalogue
from .events import EventStore
from .history import CommandHistory, Preferences
from .telemetry import TelemetryStore

__all__ = ["Session"]


class Session:
    """Everything the UI reads, for one controller.

    The connection lives as long as the session; its address may change while
    it is disconnected (see `set_address`).

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
    ) -> None:
        self.catalogue = catalogue or load_catalogue()
        self.connection = ControllerConnection(
            host,
            command_port,
            telemetry_port,
            reconnect=reconnect,
            known_events=self.catalogue.events,
            known_telemetry=self.catalogue.telemetry,
        )
        self.events = EventStore(self.catalogue)
        self.events.attach(self.connection)
        self.telemetry = TelemetryStore(self.catalogue, history)
        self.telemetry.attach(self.connection)
        self.history = CommandHistory()
        self.history.attach(self.connection)
        self.preferences = Preferences()

    def set_address(self, host: str, command_port: int, telemetry_port: int) -> None:
        """Point the (disconnected) connection at another controller."""
        conn = self.connection
        conn.host, conn.command_port, conn.telemetry_port = host, command_port, telemetry_port

    def connect(self) -> None:
        """Start connecting (and keep connected)."""
        self.connection.start()

    async def disconnect(self) -> None:
        """Disconnect and stop reconnecting."""
        await self.connection.close()
