"""`NetForces`: the mirror's total net force and moment, and the force balance status.

Twelve numbers: the total net force (``netForcesTotal`` fx, fy, fz) and
moment (``netMomentsTotal`` mx, my, mz) the actuators apply, and the force
balance status (``forceBalance``: what the hardpoint correction still has to
take up, which should stay small). Each is one telemetry signal, so a view
can plot it by name.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

from psygnal import Signal

if TYPE_CHECKING:
    from ..session import Session

__all__ = ["BALANCE", "GROUPS", "NET", "NetForces", "Quantity", "number_text", "unit_text"]

#: How units of the catalogue are written for people.
_UNITS = {"newton*meter": "N·m", "degC": "°C", "um": "µm", "deg": "°"}


def unit_text(unit: str) -> str:
    """A catalogue unit as written for people (``newton*meter`` -> ``N·m``)."""
    return _UNITS.get(unit, unit)


def number_text(value: float, decimals: int) -> str:
    """``value`` with ``decimals`` decimals, never ``-0.0``; ``—`` when not finite."""
    if not math.isfinite(value):
        return "—"
    rounded = round(value, decimals)
    return f"{rounded if rounded != 0 else 0.0:.{decimals}f}"


@dataclass(frozen=True)
class Quantity:
    """One number shown and plotted.

    Attributes
    ----------
    topic, field : `str`
        Telemetry topic and field.
    title : `str`
        Short name (``Fx``).
    unit : `str`
        Unit as written.
    """

    topic: str
    field: str
    title: str
    unit: str

    @property
    def signal(self) -> str:
        """The telemetry signal name (``topic.field``)."""
        return f"{self.topic}.{self.field}"


def _six(topics: tuple[str, str]) -> tuple[Quantity, ...]:
    forces, moments = topics
    return tuple(
        Quantity(forces, axis, axis.capitalize(), "N") for axis in ("fx", "fy", "fz")
    ) + tuple(Quantity(moments, axis, axis.capitalize(), "N·m") for axis in ("mx", "my", "mz"))


#: Total net force and moment of the actuators.
NET: tuple[Quantity, ...] = _six(("netForcesTotal", "netMomentsTotal"))
#: Force balance status (from the hardpoint correction).
BALANCE: tuple[Quantity, ...] = _six(("forceBalance", "forceBalance"))
#: The two groups: title, what it is, and its six quantities.
GROUPS: tuple[tuple[str, str, tuple[Quantity, ...]], ...] = (
    (
        "Total net force and moment",
        "What all 78 actuators apply together (netForcesTotal, netMomentsTotal). "
        "|Mx| peaks near 1250-1300 N·m with the telescope at the horizon.",
        NET,
    ),
    (
        "Force balance status",
        "What the hardpoint correction still has to take up (forceBalance): it should stay small.",
        BALANCE,
    ),
)
_TOPICS = frozenset(q.topic for q in NET + BALANCE)


class NetForces:
    """The latest value of the twelve net force, moment and balance numbers.

    One per session (``session.store(NetForces)``).

    Parameters
    ----------
    session : `Session`
        Its telemetry is followed.

    Attributes
    ----------
    values : `dict` [`str`, `float`]
        Signal name -> latest value (NaN until it arrives).

    Signals
    -------
    changed(tuple)
        After values changed, with the signal names that changed.
    """

    changed = Signal(tuple)

    def __init__(self, session: Session) -> None:
        self.session = session
        self.values: dict[str, float] = {q.signal: math.nan for q in NET + BALANCE}
        for topic in _TOPICS:
            self._copy(topic)
        session.telemetry.arrived.connect(self.on_telemetry)

    def on_telemetry(self, topic: str) -> None:
        """Copy the latest sample of one of the three topics (a store subscriber)."""
        if topic in _TOPICS:
            changed = self._copy(topic)
            if changed:
                self.changed.emit(tuple(changed))

    def _copy(self, topic: str) -> list[str]:
        buffer = self.session.telemetry.buffer(topic)
        if buffer is None or buffer.count == 0:
            return []
        row = buffer.values()[-1]
        changed = []
        for quantity in NET + BALANCE:
            if quantity.topic == topic and quantity.field in buffer.columns:
                self.values[quantity.signal] = float(row[buffer.columns[quantity.field]][0])
                changed.append(quantity.signal)
        return changed

    def text(self, signal: str, decimals: int = 1) -> str:
        """The value as shown (``—`` until it arrives)."""
        return number_text(self.values.get(signal, math.nan), decimals)
