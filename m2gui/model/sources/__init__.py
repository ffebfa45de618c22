"""Sources of controller traffic behind one interface: live, replay, broker."""

from .base import Source
from .fed import FedSource, fed_connection
from .live import LiveSource

__all__ = ["FedSource", "LiveSource", "Source", "fed_connection"]
