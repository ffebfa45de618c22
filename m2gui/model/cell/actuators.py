"""Actuator commands as the incumbent builds them: open-loop moves and force offsets.

Each function returns the parameters of one command, exactly as the
incumbent's Actuator Control view sends them for the same action, or raises
`ValueError` with a reason an engineer can act on (nothing selected, a value
out of the incumbent's range).
"""

from __future__ import annotations

import enum
import math
from collections.abc import Iterable
from typing import Any

__all__ = [
    "APPLY_FORCES",
    "FORCE_LIMIT_N",
    "MM_LIMIT",
    "MOVE_ACTUATORS",
    "RESET_FORCE_OFFSETS",
    "STEP_LIMIT",
    "ActuatorCommand",
    "DisplacementUnit",
    "apply_forces",
    "displacement_range",
    "move_control",
    "move_start",
]

MOVE_ACTUATORS = "moveActuators"
APPLY_FORCES = "applyForces"
RESET_FORCE_OFFSETS = "resetForceOffsets"

#: The incumbent's open-loop displacement range in millimetres (±).
MM_LIMIT = 200.0
#: The incumbent's open-loop displacement range in steps (±, integers).
STEP_LIMIT = 10_000_000
#: The incumbent's force-offset range in newtons (±). The catalogue (and the
#: controller) refuse more than the closed-loop limit, 444.82 N axial.
FORCE_LIMIT_N = 500.0
#: Decimals of a displacement in millimetres (one step is about 2e-5 mm).
MM_DECIMALS = 5


class ActuatorCommand(enum.IntEnum):
    """CommandActuator."""

    START = 1
    STOP = 2
    PAUSE = 3
    RESUME = 4


class DisplacementUnit(enum.IntEnum):
    """ActuatorDisplacementUnit."""

    MILLIMETER = 1
    STEP = 2

    @property
    def label(self) -> str:
        """The unit as shown beside a value."""
        return "mm" if self is DisplacementUnit.MILLIMETER else "steps"


def displacement_range(unit: DisplacementUnit) -> tuple[float, float, int]:
    """``(minimum, maximum, decimals)`` of a displacement in ``unit``."""
    if unit is DisplacementUnit.MILLIMETER:
        return -MM_LIMIT, MM_LIMIT, MM_DECIMALS
    return -float(STEP_LIMIT), float(STEP_LIMIT), 0


def move_start(
    actuators: Iterable[int], displacement: float, unit: DisplacementUnit, n_actuators: int = 78
) -> dict[str, Any]:
    """``moveActuators`` Start: move ``actuators`` by ``displacement`` (negative retracts).

    Raises
    ------
    ValueError
        No actuator selected, an index out of range, or a displacement
        outside ±200 mm / ±1e7 steps (or not finite).
    """
    chosen = sorted(set(actuators))
    if not chosen:
        raise ValueError("no actuator is selected")
    bad = [i for i in chosen if not 0 <= i < n_actuators]
    if bad:
        raise ValueError(f"actuator index {bad[0]} is not 0..{n_actuators - 1}")
    unit = DisplacementUnit(unit)
    low, high, _ = displacement_range(unit)
    if not math.isfinite(displacement) or not low <= displacement <= high:
        shown = (
            f"{displacement:g}" if unit is DisplacementUnit.MILLIMETER else f"{displacement:.0f}"
        )
        raise ValueError(f"displacement {shown} {unit.label} is outside ±{high:.0f} {unit.label}")
    value: float | int = displacement
    if unit is DisplacementUnit.STEP:
        value = int(displacement)  # the incumbent sends whole steps
    return {
        "actuatorCommand": int(ActuatorCommand.START),
        "actuators": chosen,
        "displacement": value,
        "unit": int(unit),
    }


def move_control(command: ActuatorCommand) -> dict[str, Any]:
    """``moveActuators`` Stop, Pause or Resume (no other parameter).

    Raises
    ------
    ValueError
        For Start (use `move_start`).
    """
    command = ActuatorCommand(command)
    if command is ActuatorCommand.START:
        raise ValueError("Start needs actuators and a displacement: use move_start")
    return {"actuatorCommand": int(command)}


def apply_forces(
    actuators: Iterable[int], force: float, n_axial: int = 72, n_tangent: int = 6
) -> dict[str, Any]:
    """``applyForces``: ``force`` on each selected actuator, 0 elsewhere.

    Raises
    ------
    ValueError
        No actuator selected, an index out of range, or a force outside
        ±500 N (or not finite).
    """
    chosen = sorted(set(actuators))
    if not chosen:
        raise ValueError("no actuator is selected")
    if not math.isfinite(force) or abs(force) > FORCE_LIMIT_N:
        raise ValueError(f"force {force:g} N is outside ±{FORCE_LIMIT_N:g} N")
    axial = [0.0] * n_axial
    tangent = [0.0] * n_tangent
    for index in chosen:
        if 0 <= index < n_axial:
            axial[index] = float(force)
        elif n_axial <= index < n_axial + n_tangent:
            tangent[index - n_axial] = float(force)
        else:
            raise ValueError(f"actuator index {index} is not 0..{n_axial + n_tangent - 1}")
    return {"axial": axial, "tangent": tangent}
