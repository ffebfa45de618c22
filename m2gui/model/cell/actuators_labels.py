"""Actuators in words: a selection as compact ring ranges, and the signals of one actuator."""

from __future__ import annotations

from collections.abc import Iterable

from ..geometry import CellGeometry

__all__ = ["actuator_signals", "describe_actuators"]

#: Characters of a selection's description (the rest becomes "…").
MAX_CHARS = 400


def describe_actuators(geometry: CellGeometry, indices: Iterable[int]) -> str:
    """The selection in words: neighbours on a ring joined into runs ("B1" to "B5" by a dash).

    Returns ``"none"`` for an empty selection; indices outside the cell are
    left out.
    """
    count = len(geometry.labels)
    chosen = sorted({i for i in indices if 0 <= i < count})
    if not chosen:
        return "none"
    parts: list[str] = []
    start = previous = chosen[0]
    for index in [*chosen[1:], None]:
        if (
            index is not None
            and index == previous + 1
            and geometry.rings[index] == geometry.rings[previous]
        ):
            previous = index
            continue
        first, last = geometry.labels[start], geometry.labels[previous]
        if start == previous:
            parts.append(first)
        elif previous == start + 1:
            parts.extend((first, last))
        else:
            parts.append(f"{first}–{last}")
        if index is not None:
            start = previous = index
    text = ", ".join(parts)
    return text if len(text) <= MAX_CHARS else text[: MAX_CHARS - 1] + "…"


def actuator_signals(geometry: CellGeometry, index: int) -> list[str]:
    """The telemetry signals of one actuator: measured force, steps, encoder position."""
    n_axial = geometry.n_axial
    if 0 <= index < n_axial:
        return [
            f"axialForce.measured[{index}]",
            f"axialActuatorSteps.steps[{index}]",
            f"axialEncoderPositions.position[{index}]",
        ]
    if n_axial <= index < len(geometry.labels):
        j = index - n_axial
        return [
            f"tangentForce.measured[{j}]",
            f"tangentActuatorSteps.steps[{j}]",
            f"tangentEncoderPositions.position[{j}]",
        ]
    return []
