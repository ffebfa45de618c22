"""Measured force summary: minimum, maximum and total, axial and tangent (N)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from ..session import Session

__all__ = ["FORCE_TOPICS", "ForceSummary", "measured_force_summary"]

#: The topics the summary is computed from (a view redraws when one arrives).
FORCE_TOPICS = ("axialForce", "tangentForce")


@dataclass(frozen=True)
class ForceSummary:
    """Minimum, maximum and total of one group's measured forces, newtons."""

    minimum: float
    maximum: float
    total: float


def _latest(session: Session, topic: str) -> ForceSummary | None:
    buffer = session.telemetry.buffer(topic)
    if buffer is None or buffer.count == 0 or "measured" not in buffer.columns:
        return None
    row = np.asarray(buffer.values(buffer.columns["measured"])[-1], dtype=float)
    row = row[np.isfinite(row)]
    if row.size == 0:
        return None
    return ForceSummary(float(row.min()), float(row.max()), float(row.sum()))


def measured_force_summary(session: Session) -> dict[str, ForceSummary | None]:
    """The latest measured forces summarised: ``{"axial": ..., "tangent": ...}``.

    A group is None until its telemetry arrived (it comes with motor power);
    values the controller sent as something other than a number are left out.
    """
    return {
        "axial": _latest(session, "axialForce"),
        "tangent": _latest(session, "tangentForce"),
    }
