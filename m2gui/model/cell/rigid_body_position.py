"""`RigidBodyPosition`: the mirror's latest position and IMS position."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from psygnal import Signal

from .rigid_body import AXES

if TYPE_CHECKING:
    from ..session import Session
    from ..telemetry import TelemetryStore

__all__ = ["POSITION_TOPICS", "RigidBodyPosition", "has_position"]

#: Telemetry topics: the hardpoint-derived position and the independent IMS one.
POSITION_TOPICS = ("position", "positionIMS")

Six = tuple[float, float, float, float, float, float]


class RigidBodyPosition:
    """The latest six-axis values of ``position`` and ``positionIMS``.

    One per session (``session.store(RigidBodyPosition)``). Values are µm and
    arcsec relative to home, in `AXES` order; a value the controller sent as
    something other than a number is NaN (the telemetry store's rule).

    Signals
    -------
    changed(str)
        After a topic's values were updated, with the topic name.
    """

    changed = Signal(str)

    def __init__(self, session: Session) -> None:
        self._telemetry: TelemetryStore = session.telemetry
        self._latest: dict[str, Six] = {}
        for topic in POSITION_TOPICS:
            self._read(topic)
        session.telemetry.arrived.connect(self._on_arrived)

    def values(self, topic: str = "position") -> Six | None:
        """The latest values of ``topic``, None until it arrived."""
        return self._latest.get(topic)

    def signal(self, topic: str, axis: int) -> str:
        """The plottable signal name of one value (``position.xRot``)."""
        return f"{topic}.{AXES[axis].field}"

    def _on_arrived(self, topic: str) -> None:
        if topic in POSITION_TOPICS and self._read(topic):
            self.changed.emit(topic)

    def _read(self, topic: str) -> bool:
        buffer = self._telemetry.buffer(topic)
        if buffer is None or buffer.count == 0:
            return False
        row = buffer.values()[-1]
        values = []
        for axis in AXES:
            columns = buffer.columns.get(axis.field)
            values.append(math.nan if columns is None else float(row[columns.start]))
        self._latest[topic] = (
            values[0],
            values[1],
            values[2],
            values[3],
            values[4],
            values[5],
        )
        return True


def has_position(session: Session) -> str | None:
    """Rule (Jog): the current position is known, as six numbers."""
    values = session.store(RigidBodyPosition).values("position")
    if values is None:
        return "the current position is not known yet (position telemetry comes with motor power)"
    if not all(math.isfinite(v) for v in values):
        return "the current position has a value that is not a number"
    return None
