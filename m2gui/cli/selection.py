"""What ``listen`` shows: topics, fields and elements such as ``axialForce.measured[12]``."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from m2gui.model.catalogue import Catalogue, FieldSpec, TopicSpec

from .names import did_you_mean

__all__ = ["Selection", "Selections", "parse_selection"]

_PATTERN = re.compile(r"^(\w+)(?:\.(\w+)(?:\[(\d*)(?:(:)(\d*))?\])?)?$")


@dataclass(frozen=True)
class Selection:
    """A topic, one field of it, or elements of an array field.

    ``start``/``stop`` select elements ``[start:stop]``; ``single`` means one
    element (``[i]``), shown as a value rather than a list.
    """

    topic: str
    kind: str
    field: str | None = None
    start: int | None = None
    stop: int | None = None
    single: bool = False

    @property
    def label(self) -> str:
        """The field as selected: ``measured``, ``measured[12]``, ``measured[0:6]``."""
        if self.field is None:
            return self.topic
        if self.single:
            return f"{self.field}[{self.start}]"
        if self.start is None and self.stop is None:
            return self.field
        start = "" if self.start is None else str(self.start)
        stop = "" if self.stop is None else str(self.stop)
        return f"{self.field}[{start}:{stop}]"

    def pick(self, message: Mapping[str, Any]) -> Any:
        """The selected value of ``message`` (None if it is not there)."""
        assert self.field is not None
        value = message.get(self.field)
        if self.start is None and self.stop is None:
            return value
        if not isinstance(value, list):
            return None
        if self.single:
            assert self.start is not None
            return value[self.start] if self.start < len(value) else None
        return value[self.start : self.stop]

    def columns(self, spec: TopicSpec) -> list[tuple[str, str, int | None]]:
        """The CSV columns: ``(field, header, element index or None)``."""
        fields = [self.field] if self.field is not None else list(spec.fields)
        out: list[tuple[str, str, int | None]] = []
        for name in fields:
            fspec = spec.fields[name]
            width = fspec.length if isinstance(fspec.length, int) else None
            if self.single:
                out.append((name, f"{self.topic}.{self.label}", self.start))
            elif width is None:
                out.append((name, f"{self.topic}.{name}", None))
            else:
                lo = (self.start or 0) if self.field is not None else 0
                hi = width if self.field is None or self.stop is None else self.stop
                out.extend(
                    (name, f"{self.topic}.{name}[{i}]", i) for i in range(lo, min(hi, width))
                )
        return out


def _topic(catalogue: Catalogue, name: str) -> TopicSpec | None:
    return catalogue.telemetry.get(name) or catalogue.events.get(name)


def parse_selection(text: str, catalogue: Catalogue) -> Selection:
    """``topic``, ``topic.field``, ``topic.field[i]`` or ``topic.field[a:b]``, checked.

    Raises
    ------
    ValueError
        Saying what is wrong, with the closest names.
    """
    match = _PATTERN.match(text.strip())
    if match is None:
        raise ValueError(f"{text!r} is not TOPIC, TOPIC.FIELD, TOPIC.FIELD[i] or TOPIC.FIELD[a:b]")
    topic, field, start, colon, stop = match.groups()
    spec = _topic(catalogue, topic)
    if spec is None:
        known = [*catalogue.events, *catalogue.telemetry]
        raise ValueError(f"no event or telemetry topic {topic!r}{did_you_mean(topic, known)}")
    if field is None:
        return Selection(topic, spec.kind)
    fspec: FieldSpec | None = spec.fields.get(field)
    if fspec is None:
        fields = ", ".join(spec.fields)
        raise ValueError(f"{topic} has no field {field!r} (fields: {fields})")
    if start is None and colon is None:
        return Selection(topic, spec.kind, field)
    if not fspec.is_array:
        raise ValueError(f"{topic}.{field} is not an array: leave out the [...]")
    width = fspec.length if isinstance(fspec.length, int) else None
    if colon is None:
        if not start:
            raise ValueError(f"{text!r}: give an element index, e.g. {topic}.{field}[0]")
        index = int(start)
        if width is not None and index >= width:
            raise ValueError(f"{text!r}: {topic}.{field} has {width} elements (0-{width - 1})")
        return Selection(topic, spec.kind, field, index, index + 1, single=True)
    lo = int(start) if start else None
    hi = int(stop) if stop else None
    if lo is not None and hi is not None and hi <= lo:
        raise ValueError(f"{text!r}: the range [{lo}:{hi}] is empty")
    return Selection(topic, spec.kind, field, lo, hi)


class Selections:
    """The selections of one ``listen``, by topic.

    Parameters
    ----------
    selections : sequence of `Selection`
        What was asked for; empty: every topic of ``kinds``.
    kinds : iterable of `str`
        ``"event"`` and/or ``"telemetry"``, when no topic is named.
    """

    def __init__(self, selections: Sequence[Selection], kinds: Iterable[str]) -> None:
        self.items = list(selections)
        self.kinds = frozenset(kinds)
        self.by_topic: dict[str, list[Selection]] = {}
        for item in self.items:
            self.by_topic.setdefault(item.topic, []).append(item)

    @property
    def everything(self) -> bool:
        """True when no topic was named."""
        return not self.items

    def wants(self, topic: str, kind: str) -> bool:
        """True if messages of ``topic`` are shown."""
        if self.everything:
            return kind in self.kinds
        return topic in self.by_topic

    def fields(self, topic: str, message: Mapping[str, Any]) -> dict[str, Any]:
        """The selected fields of a message, by label (every field for a whole topic)."""
        chosen = self.by_topic.get(topic)
        if not chosen or any(s.field is None for s in chosen):
            return {k: v for k, v in message.items() if k != "id"}
        return {s.label: s.pick(message) for s in chosen}
