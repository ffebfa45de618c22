"""Limit-switch rules: the software force limit of each mode and the 5 % margin.

The incumbent GUI colours each actuator's retract and extend limit switch:
red for a hardware trip (``limitSwitchStatus``), yellow when the measured
force comes within 5 % of the software limit of the current mode, green
otherwise. Retract is the positive side (force >= +limit), extend the
negative side (force <= -limit), as ts_m2com's ``check_limit_switches``; the
incumbent compares the measured force with ``limit * (1 - 0.05)``, inclusive.

Limits (catalogue constants, from ts_m2com and the protocol notes section 7):
closed loop 444.82 N axial / 5800 N tangent; open loop 489.3 / 6005.1 N;
open loop with the max limit enabled 622.75 / 6227.51 N. The mode is the
incumbent's: closed loop while the force balance system is on
(``forceBalanceSystemStatus``), else the open-loop max limits when
``openLoopMaxLimit`` is on, else open loop.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any

from ..catalogue import Catalogue
from .overview_lamps import Lamp, Level

__all__ = [
    "DIRECTIONS",
    "NEAR_FRACTION",
    "ForceLimits",
    "LimitMode",
    "SwitchState",
    "force_limits",
    "limit_mode",
    "switch_lamp",
]

#: The margin: yellow within this fraction of the software limit.
NEAR_FRACTION = 0.05
#: The two switches of an actuator: retract (force >= +limit), extend (force <= -limit).
DIRECTIONS = ("retract", "extend")


class LimitMode(enum.Enum):
    """Which software force limits apply."""

    CLOSED_LOOP = "closed loop"
    OPEN_LOOP = "open loop"
    OPEN_LOOP_MAX = "open loop, max limits enabled"


@dataclass(frozen=True)
class ForceLimits:
    """The software force limits of one mode, and where yellow starts.

    Attributes
    ----------
    mode : `LimitMode`
        The mode they belong to.
    axial, tangent : `float`
        Limits in newtons (magnitude; the same on both sides).
    """

    mode: LimitMode
    axial: float
    tangent: float

    def limit(self, tangent: bool) -> float:
        """The limit of an axial actuator or a tangent link."""
        return self.tangent if tangent else self.axial

    def threshold(self, tangent: bool) -> float:
        """The force magnitude from which a switch is yellow: ``limit * (1 - 5 %)``."""
        return self.limit(tangent) * (1.0 - NEAR_FRACTION)

    @property
    def text(self) -> str:
        """The limits as shown: mode, limits and yellow thresholds."""
        return (
            f"{self.mode.value}: axial ±{self.axial:g} N, tangent ±{self.tangent:g} N "
            f"(yellow from {self.threshold(False):.1f} / {self.threshold(True):.1f} N)"
        )


_CONSTANTS = {
    LimitMode.CLOSED_LOOP: ("LIMIT_FORCE_AXIAL_CLOSED_LOOP_N", "LIMIT_FORCE_TANGENT_CLOSED_LOOP_N"),
    LimitMode.OPEN_LOOP: ("LIMIT_FORCE_AXIAL_OPEN_LOOP_N", "LIMIT_FORCE_TANGENT_OPEN_LOOP_N"),
    LimitMode.OPEN_LOOP_MAX: (
        "MAX_LIMIT_FORCE_AXIAL_OPEN_LOOP_N",
        "MAX_LIMIT_FORCE_TANGENT_OPEN_LOOP_N",
    ),
}


def force_limits(catalogue: Catalogue, mode: LimitMode) -> ForceLimits:
    """The limits of ``mode`` from the catalogue's constants.

    Raises
    ------
    KeyError
        If the catalogue lacks the constants.
    """
    axial, tangent = _CONSTANTS[mode]
    c = catalogue.constants
    return ForceLimits(mode, float(c[axial]), float(c[tangent]))


def limit_mode(force_balance: Any, max_limit: Any, control_mode: Any = None) -> LimitMode:
    """The mode whose limits apply, as the incumbent decides it.

    Parameters
    ----------
    force_balance : `bool` or None
        ``forceBalanceSystemStatus.status`` (closed loop running).
    max_limit : `bool` or None
        ``openLoopMaxLimit.status``.
    control_mode : `int` or None
        ``closedLoopControlMode.mode``: used only while the force balance
        status is not known (4 = ClosedLoop).
    """
    closed = force_balance is True or (not isinstance(force_balance, bool) and control_mode == 4)
    if closed:
        return LimitMode.CLOSED_LOOP
    if max_limit is True:
        return LimitMode.OPEN_LOOP_MAX
    return LimitMode.OPEN_LOOP


@dataclass(frozen=True)
class SwitchState:
    """One limit switch (an actuator's retract or extend side).

    Attributes
    ----------
    tripped : `bool`
        A hardware trip was reported since the last reset (red).
    near : `bool`
        The measured force came within 5 % of the limit since the last reset
        (yellow unless tripped).
    near_now : `bool`
        The latest measured force is within 5 % of the limit now.
    tripped_at, near_at : `float` or None
        When it first tripped / came near since the last reset (``time.time()``).
    peak : `float`
        Largest force towards this side since the last reset (N, >= 0).
    """

    tripped: bool = False
    near: bool = False
    near_now: bool = False
    tripped_at: float | None = None
    near_at: float | None = None
    peak: float = 0.0

    @property
    def level(self) -> Level:
        """Red when tripped; else yellow when it came near; else green."""
        if self.tripped:
            return Level.ERROR
        if self.near:
            return Level.WARNING
        return Level.OK


def switch_lamp(
    state: SwitchState, label: str, direction: str, limit: float, force: float | None
) -> Lamp:
    """The lamp of one switch: colour, word (``TRIP``, ``NEAR``, ``OK``) and detail."""
    level = state.level
    word = {Level.ERROR: "TRIP", Level.WARNING: "NEAR", Level.OK: "OK"}[level]
    side = "+" if direction == "retract" else "-"
    lines = [f"{label} {direction} limit switch: {word}"]
    if state.tripped:
        lines.append("hardware trip reported by the controller (limitSwitchStatus)")
    if state.near:
        lines.append(
            "measured force within 5 % of the software limit "
            + ("now" if state.near_now else "earlier (kept until a reset)")
        )
    now = "no measured force yet" if force is None else f"measured now {force:.1f} N"
    lines.append(f"{now}; limit {side}{limit:g} N; peak towards it {state.peak:.1f} N")
    if level is not Level.OK:
        lines.append("Only a reset (clearErrors) clears it.")
    return Lamp(level, word, "\n".join(lines))
