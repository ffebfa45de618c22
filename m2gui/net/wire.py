"""`WireLine`: one line as it crossed the wire, the unit of recording and fan-out."""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

__all__ = ["PORTS", "WireLine", "WireListener"]

#: The two ports of a controller, in the order recordings number them.
PORTS = ("command", "telemetry")


class WireLine(NamedTuple):
    """One line received or sent on a controller port, exactly as on the wire.

    Attributes
    ----------
    time : `float`
        ``time.time()`` when the line was received or sent.
    port : `str`
        ``"command"`` or ``"telemetry"``.
    direction : `str`
        ``"in"`` (from the controller) or ``"out"`` (to it).
    line : `bytes`
        The line without its LF terminator (a CR before it is kept).
    """

    time: float
    port: str
    direction: str
    line: bytes


WireListener = Callable[[WireLine], None]
