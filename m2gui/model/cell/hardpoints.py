"""Hardpoint rules: which six actuators may be hardpoints, and the Suggest completion.

The controller (ts_m2com ``check_hardpoints``) accepts three axial and three
tangent hardpoints, 0-based and ascending:

- the tangent group is A1 A3 A5 (72, 74, 76) or A2 A4 A6 (73, 75, 77);
- the axial group is what `select_axial_hardpoints` gives for its lowest
  member: take that actuator's radius and angle, add 120 and 240 degrees, and
  take the actuator nearest to each point, which is a near-equilateral
  triangle on one ring (B6 B16 B26 by default).

Everything here is 0-based; the 1-based ``hardpointList`` event is converted
once, by the `EventStore`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..geometry import CellGeometry

__all__ = [
    "NUM_AXIAL_HARDPOINTS",
    "SET_HARDPOINT_LIST",
    "TANGENT_OPTIONS",
    "HardpointCheck",
    "check_hardpoints",
    "names",
    "select_axial_hardpoints",
    "set_hardpoint_list",
    "suggest_hardpoints",
    "suggest_problem",
]

SET_HARDPOINT_LIST = "setHardpointList"
NUM_AXIAL_HARDPOINTS = 3
#: The two tangent groups the controller accepts (0-based).
TANGENT_OPTIONS: tuple[tuple[int, ...], ...] = ((72, 74, 76), (73, 75, 77))


@dataclass(frozen=True)
class HardpointCheck:
    """Whether a selection may be applied, and why in words."""

    valid: bool
    text: str


def names(geometry: CellGeometry, indices: Iterable[int]) -> str:
    """``"B6 B16 B26"`` for ``[5, 15, 25]`` (sorted; unknown indices as numbers)."""
    count = len(geometry.labels)
    return " ".join(geometry.labels[i] if 0 <= i < count else str(i) for i in sorted(indices))


def select_axial_hardpoints(geometry: CellGeometry, index: int) -> list[int]:
    """The three axial hardpoints that ``index`` (an axial actuator) belongs to, sorted.

    The actuators nearest to the points at the same radius, 120 and 240
    degrees on from ``index`` (ts_m2com ``select_axial_hardpoints``).

    Raises
    ------
    ValueError
        If ``index`` is not an axial actuator.
    """
    n_axial = geometry.n_axial
    if not 0 <= index < n_axial:
        raise ValueError(f"{index} is not an axial actuator (0..{n_axial - 1})")
    x, y = geometry.x[:n_axial], geometry.y[:n_axial]
    radius = float(np.hypot(x[index], y[index]))
    theta = float(np.arctan2(y[index], x[index]))
    chosen = {index}
    for turn in (120.0, 240.0):
        angle = theta + np.deg2rad(turn)
        distance = np.hypot(x - radius * np.cos(angle), y - radius * np.sin(angle))
        chosen.add(int(np.argmin(distance)))
    return sorted(chosen)


def _split(geometry: CellGeometry, selection: Iterable[int]) -> tuple[list[int], list[int]]:
    chosen = sorted(set(selection))
    n_axial = geometry.n_axial
    axial = [i for i in chosen if 0 <= i < n_axial]
    tangent = [i for i in chosen if n_axial <= i < len(geometry.labels)]
    return axial, tangent


def check_hardpoints(geometry: CellGeometry, selection: Iterable[int]) -> HardpointCheck:
    """Whether ``selection`` is a hardpoint set the controller accepts, in words."""
    chosen = sorted(set(selection))
    axial, tangent = _split(geometry, chosen)
    if len(axial) + len(tangent) != len(chosen):
        return HardpointCheck(False, f"not actuator indices: {names(geometry, chosen)}")
    if len(chosen) != 2 * NUM_AXIAL_HARDPOINTS:
        return HardpointCheck(
            False,
            f"select 6 hardpoints (3 axial and 3 tangent): {len(chosen)} selected "
            f"({len(axial)} axial, {len(tangent)} tangent)",
        )
    if len(axial) != NUM_AXIAL_HARDPOINTS:
        return HardpointCheck(
            False,
            f"select 3 axial and 3 tangent hardpoints: {len(axial)} axial and "
            f"{len(tangent)} tangent selected",
        )
    problems = []
    expected = select_axial_hardpoints(geometry, axial[0])
    if expected != axial:
        problems.append(
            "the axial hardpoints must be a near-equilateral triangle on one ring: "
            f"with {geometry.labels[axial[0]]} that is {names(geometry, expected)}, "
            f"not {names(geometry, axial)}"
        )
    if tuple(tangent) not in TANGENT_OPTIONS:
        options = " or ".join(names(geometry, option) for option in TANGENT_OPTIONS)
        problems.append(f"the tangent hardpoints must be {options}, not {names(geometry, tangent)}")
    if problems:
        return HardpointCheck(False, "; ".join(problems))
    return HardpointCheck(
        True, f"valid: axial {names(geometry, axial)}, tangent {names(geometry, tangent)}"
    )


def suggest_problem(geometry: CellGeometry, selection: Iterable[int]) -> str | None:
    """Why Suggest cannot complete ``selection`` now (None if it can)."""
    axial, tangent = _split(geometry, selection)
    if not axial and not tangent:
        return "select one axial and one tangent actuator first"
    if not axial:
        return "select at least one axial actuator first"
    if not tangent:
        return "select at least one tangent link first"
    return None


def suggest_hardpoints(geometry: CellGeometry, selection: Iterable[int]) -> list[int]:
    """Complete ``selection`` to a valid set, as the incumbent's Suggest does.

    The lowest selected axial actuator gives the axial triangle; the lowest
    selected tangent link gives its group (A1 A3 A5 or A2 A4 A6).

    Raises
    ------
    ValueError
        Without at least one axial and one tangent actuator selected.
    """
    problem = suggest_problem(geometry, selection)
    if problem is not None:
        raise ValueError(problem)
    axial, tangent = _split(geometry, selection)
    group = next((o for o in TANGENT_OPTIONS if tangent[0] in o), TANGENT_OPTIONS[1])
    return select_axial_hardpoints(geometry, axial[0]) + list(group)


def set_hardpoint_list(geometry: CellGeometry, selection: Sequence[int]) -> dict[str, Any]:
    """``setHardpointList`` parameters: six 0-based indices, axial first, ascending.

    Raises
    ------
    ValueError
        If the selection is not a valid hardpoint set (the reason in words).
    """
    check = check_hardpoints(geometry, selection)
    if not check.valid:
        raise ValueError(check.text)
    return {"actuators": sorted(set(selection))}
