"""`LiveSource`: a controller reached over its two TCP ports."""

from __future__ import annotations

from m2gui.net import ControllerConnection

from .base import Source

__all__ = ["LiveSource"]


class LiveSource(Source):
    """The controller itself: commands allowed, the connection keeps itself up."""

    kind = "live"

    def __init__(self, connection: ControllerConnection) -> None:
        super().__init__(connection)

    def describe(self) -> str:
        """``controller host:port/port``."""
        return f"controller {self.connection.address}"

    def start(self) -> None:
        """Connect, and keep connected."""
        self.connection.start()

    async def close(self) -> None:
        """Disconnect and stop reconnecting."""
        await self.connection.close()
