"""The controller's closed-loop control mode: the choices and the command that sets it."""

from __future__ import annotations

from dataclasses import dataclass

from ..catalogue import Catalogue

__all__ = [
    "COMMAND",
    "ENUM",
    "ControlModeChoice",
    "control_mode_choices",
    "control_mode_params",
    "mode_text",
]

#: The command the "Update Control Mode" button sends, and its enumeration.
COMMAND = "setClosedLoopControlMode"
ENUM = "ClosedLoopControlMode"


@dataclass(frozen=True)
class ControlModeChoice:
    """One entry of the mode selector."""

    value: int
    name: str


def control_mode_choices(catalogue: Catalogue) -> list[ControlModeChoice]:
    """Every ``ClosedLoopControlMode`` of the catalogue, in value order."""
    modes = catalogue.enums[ENUM]
    return [ControlModeChoice(v, k) for k, v in sorted(modes.items(), key=lambda kv: kv[1])]


def control_mode_params(catalogue: Catalogue, mode: int) -> dict[str, int]:
    """``setClosedLoopControlMode`` parameters, as the incumbent sends them.

    Raises
    ------
    ValueError
        If ``mode`` is not a ``ClosedLoopControlMode``.
    """
    if mode not in catalogue.enums[ENUM].values():
        raise ValueError(f"{mode!r} is not a {ENUM}")
    return {"mode": mode}


def mode_text(catalogue: Catalogue, mode: object) -> str:
    """``Idle (1)``, or ``unknown`` when no mode was reported."""
    if isinstance(mode, bool) or not isinstance(mode, int):
        return "unknown"
    return f"{catalogue.enum_name(ENUM, mode)} ({mode})"
