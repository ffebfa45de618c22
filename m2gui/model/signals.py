"""Signals: one plottable number, ``topic.field`` or ``topic.field[i]``."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from .catalogue import Catalogue, FieldSpec
from .geometry import load_geometry

__all__ = ["Signal", "element_labels", "labels_for", "parse_signal"]

_NAME = re.compile(r"^(\w+)\.(\w+)(?:\[(\d+)\])?$")


@dataclass(frozen=True, order=True)
class Signal:
    """One plottable number of a telemetry topic."""

    topic: str
    field: str
    index: int | None = None

    @property
    def name(self) -> str:
        """``topic.field`` or ``topic.field[i]`` (0-based)."""
        base = f"{self.topic}.{self.field}"
        return base if self.index is None else f"{base}[{self.index}]"

    def __str__(self) -> str:
        return self.name


def parse_signal(text: str, catalogue: Catalogue | None = None) -> Signal:
    """Parse ``topic.field[i]``; check it against the catalogue when given.

    Raises
    ------
    ValueError
        If the text is not a signal name, or not one of the catalogue's.
    """
    match = _NAME.match(text.strip())
    if match is None:
        raise ValueError(f"{text!r} is not a signal name (topic.field or topic.field[i])")
    topic, field, index = match.group(1), match.group(2), match.group(3)
    signal = Signal(topic, field, None if index is None else int(index))
    if catalogue is not None:
        spec = catalogue.telemetry.get(topic)
        if spec is None:
            raise ValueError(f"{text!r}: no telemetry topic {topic!r}")
        fspec = spec.fields.get(field)
        if fspec is None:
            raise ValueError(f"{text!r}: {topic} has no field {field!r}")
        if fspec.is_array != (signal.index is not None):
            raise ValueError(
                f"{text!r}: {topic}.{field} needs "
                + ("an element index [i]" if fspec.is_array else "no element index")
            )
        if signal.index is not None and signal.index >= fspec.width:
            raise ValueError(f"{text!r}: index beyond the {fspec.width} elements")
    return signal


def labels_for(elements: str, labels: Sequence[str], n: int) -> list[str]:
    """Names of ``n`` array elements: explicit labels, else actuator names
    (``elements`` "axial", "tangent" or "actuators"), else ``[i]``."""
    if labels:
        return list(labels)[:n]
    if elements:
        geometry = load_geometry()
        first = geometry.n_axial if elements == "tangent" else 0
        names = list(geometry.labels[first : first + n])
        if len(names) == n:
            return names
    return [f"[{i}]" for i in range(n)]


def element_labels(spec: FieldSpec) -> list[str]:
    """Names of an array field's elements (see `labels_for`)."""
    return labels_for(spec.elements, spec.labels, spec.width)
