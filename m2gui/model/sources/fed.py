"""`FedSource`: the base of sources that feed recorded or relayed lines."""

from __future__ import annotations

from m2gui.net import ConnectionState, ControllerConnection, WireLine

from ..catalogue import Catalogue
from .base import Source

__all__ = ["FedSource", "fed_connection"]


def fed_connection(catalogue: Catalogue, address: str = "") -> ControllerConnection:
    """A connection with no sockets, to be fed lines (`ControllerConnection.feed`).

    It knows the catalogue's ids like a live one, so unknown ids are counted
    the same way; ``address`` (``host:port/port``) names what it shows.
    """
    host, _, ports = address.partition(":")
    command_port, _, telemetry_port = ports.partition("/")
    connection = ControllerConnection(
        host or "-",
        int(command_port) if command_port.isdigit() else 0,
        int(telemetry_port) if telemetry_port.isdigit() else 0,
        reconnect=False,
        known_events=catalogue.events,
        known_telemetry=catalogue.telemetry,
    )
    return connection


class FedSource(Source):
    """A read-only source whose connection is fed line by line.

    Subclasses call `deliver` for each line and `set_state` as they start,
    stall or stop; commands are always blocked with `read_only`'s text.
    """

    kind = "fed"

    def __init__(self, connection: ControllerConnection, read_only: str, name: str = "") -> None:
        super().__init__(connection)
        self._read_only = read_only
        self.name = name or read_only
        self.delivered = 0

    def describe(self) -> str:
        """The name given at construction."""
        return self.name

    def start(self) -> None:
        """Nothing to start here: subclasses start their feed."""

    async def close(self) -> None:
        """Stop: the link shows disconnected."""
        self.set_state(ConnectionState.DISCONNECTED)

    @property
    def read_only(self) -> str | None:
        """The banner text: why commands are disabled."""
        return self._read_only

    def set_read_only(self, text: str) -> None:
        """Change the banner text (e.g. once the publisher is known)."""
        if text != self._read_only:
            self._read_only = text
            self.changed.emit()

    def deliver(self, line: WireLine) -> None:
        """Feed one line to the connection (and so to every store)."""
        self.delivered += 1
        self.connection.feed(line)

    def set_state(self, state: ConnectionState, detail: str = "") -> None:
        """Set what the link panel shows for this source."""
        self.connection.set_fed_state(state, detail)
