"""`TrafficFeed`: every message in and out of the controller link, as a signal."""

from __future__ import annotations

from typing import Any

from psygnal import Signal

from m2gui.net import ControllerConnection

__all__ = ["TrafficFeed"]


class TrafficFeed:
    """Relays the connection's traffic (both ports, both directions).

    It keeps nothing: the views that show traffic bound what they keep.

    Signals
    -------
    message(port, direction, message, time)
        ``port`` is "command" or "telemetry", ``direction`` "in" or "out",
        ``message`` the decoded dict (or the raw line sent), ``time`` the
        ``time.time()`` of receipt or sending.
    """

    message = Signal(str, str, object, float)

    def __init__(self, connection: ControllerConnection) -> None:
        connection.add_traffic_listener(self._on_traffic)

    def _on_traffic(self, port: str, direction: str, message: Any, t: float) -> None:
        if len(self.message):
            self.message.emit(port, direction, message, t)
