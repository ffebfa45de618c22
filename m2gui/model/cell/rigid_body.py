"""Rigid-body moves as the incumbent builds them: jog, absolute, home, set home, save.

The six degrees of freedom are x, y, z in micrometres and xRot, yRot, zRot
in arcseconds, relative to home. The incumbent's boxes accept ±4000 µm and
±4125 arcsec (20000 µrad) for both the jog offsets and the absolute target;
the controller then refuses a target beyond its travel (radial 7.74 mm,
z 7.89 mm), which the catalogue checks before sending.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

__all__ = [
    "AXES",
    "MAX_DISTANCE_UM",
    "MAX_ROTATION_ARCSEC",
    "POSITION_MIRROR",
    "SAVE_MIRROR_POSITION",
    "SET_MIRROR_HOME",
    "Axis",
    "absolute_move",
    "go_home",
    "jog",
]

POSITION_MIRROR = "positionMirror"
SET_MIRROR_HOME = "setMirrorHome"
SAVE_MIRROR_POSITION = "saveMirrorPosition"

#: The incumbent's range of a distance box, micrometres (±).
MAX_DISTANCE_UM = 4000.0
#: The incumbent's range of a rotation box, arcseconds (±, about 20000 µrad).
MAX_ROTATION_ARCSEC = 4125.0


@dataclass(frozen=True)
class Axis:
    """One degree of freedom: its protocol field, label, unit and box range."""

    field: str
    label: str
    unit: str
    limit: float


#: The six axes in the protocol's order (``position``, ``positionIMS``, ``positionMirror``).
AXES: tuple[Axis, ...] = (
    Axis("x", "x", "µm", MAX_DISTANCE_UM),
    Axis("y", "y", "µm", MAX_DISTANCE_UM),
    Axis("z", "z", "µm", MAX_DISTANCE_UM),
    Axis("xRot", "rx", "arcsec", MAX_ROTATION_ARCSEC),
    Axis("yRot", "ry", "arcsec", MAX_ROTATION_ARCSEC),
    Axis("zRot", "rz", "arcsec", MAX_ROTATION_ARCSEC),
)


def _checked(values: Sequence[float], what: str) -> list[float]:
    if len(values) != len(AXES):
        raise ValueError(f"{what}: expected {len(AXES)} values, got {len(values)}")
    out = []
    for axis, value in zip(AXES, values, strict=True):
        value = float(value)
        if not math.isfinite(value) or abs(value) > axis.limit:
            raise ValueError(
                f"{what} {axis.label} {value:g} {axis.unit} is outside ±{axis.limit:g} {axis.unit}"
            )
        out.append(value)
    return out


def _params(values: Sequence[float]) -> dict[str, Any]:
    return {axis.field: float(v) for axis, v in zip(AXES, values, strict=True)}


def jog(current: Sequence[float], offsets: Sequence[float]) -> dict[str, Any]:
    """``positionMirror`` to the current position plus ``offsets`` (the incumbent's Jog).

    Raises
    ------
    ValueError
        If an offset is outside the incumbent's range, or the current
        position is unknown or not six finite numbers.
    """
    steps = _checked(offsets, "offset")
    if len(current) != len(AXES) or not all(math.isfinite(float(v)) for v in current):
        raise ValueError("the current position is not known")
    return _params([float(c) + s for c, s in zip(current, steps, strict=True)])


def absolute_move(target: Sequence[float]) -> dict[str, Any]:
    """``positionMirror`` to ``target`` relative to home (Go to Position).

    Raises
    ------
    ValueError
        If a value is outside the incumbent's range.
    """
    return _params(_checked(target, "position"))


def go_home() -> dict[str, Any]:
    """``positionMirror`` to all zeros (Go to Home)."""
    return _params([0.0] * len(AXES))
