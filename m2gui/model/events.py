"""Latest value of every event, with what changed, and a bounded history.

Everything kept is bounded whatever the controller sends: distinct unknown
ids and distinct keys of keyed events are capped (the rest are counted),
names, field counts and field sizes are capped (a too-large value is kept as a
`Truncated` preview), and the history is capped in rows and in characters.
"""

from __future__ import annotations

import logging
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from psygnal import Signal

from m2gui.net import ControllerConnection, Received
from m2gui.net.ratelog import RateLimitedLog

from .catalogue import Catalogue, FieldSpec, TopicSpec
from .format import ELLIPSIS, MAX_INT_BITS, Truncated, describe_value, preview

__all__ = ["CLEARED", "EventEntry", "EventStore", "HistoryRow"]

log = logging.getLogger(__name__)

#: Distinct event ids not in the catalogue that are kept; events of further
#: unknown ids are counted (`EventStore.dropped_unknown`), not kept.
MAX_UNKNOWN_IDS = 100
#: Distinct key values kept per keyed event (there are 84 inner-loop addresses).
MAX_KEYS = 128
#: Characters kept of an unknown event name, a key or a field name.
MAX_NAME_CHARS = 80
#: Fields kept per event; the rest are summarised in one ``…`` field.
MAX_FIELDS = 64
#: Characters of JSON kept per event entry; larger fields become previews.
ENTRY_CHARS = 64 * 1024
#: Characters of the preview kept of a field too large to keep.
PREVIEW_CHARS = 200
#: Characters of the text of one history row, and of one field within it.
HISTORY_TEXT_CHARS = 500
HISTORY_FIELD_CHARS = 80
#: Characters of history kept in all (`HistoryRow.size` summed).
HISTORY_CHARS = 2_000_000
#: What a history row costs beyond its text, counted in its size.
ROW_OVERHEAD = 100


@dataclass
class EventEntry:
    """The latest value of one event (one per key value for keyed events)."""

    name: str
    key: str
    fields: dict[str, Any]
    time: float
    count: int = 1
    changed: set[str] = field(default_factory=set)
    changed_at: float = 0.0

    @property
    def title(self) -> str:
        """``name`` or ``name[key]``."""
        return f"{self.name}[{self.key}]" if self.key else self.name


@dataclass(frozen=True)
class HistoryRow:
    """One received event, as bounded text.

    Attributes
    ----------
    time : `float`
        Receive time, ``time.time()`` seconds.
    title : `str`
        ``name`` or ``name[key]``.
    text : `str`
        ``field=value, …``, each value decoded as the events tree shows it
        (`describe_value`: enumeration names, fault codes, bits, units) and cut
        to `HISTORY_FIELD_CHARS`; at most `HISTORY_TEXT_CHARS` characters (and
        an ellipsis).
    truncated : `bool`
        True when ``text`` (or a value in it) was cut.
    """

    time: float
    title: str
    text: str
    truncated: bool = False

    @property
    def size(self) -> int:
        """What this row counts against the history's budget, in characters."""
        return len(self.title) + len(self.text) + ROW_OVERHEAD


#: The row `EventStore.history_appended` carries when the history was cleared
#: (a replay jumped back): a view drops every row it has before the next ones.
CLEARED = HistoryRow(0.0, "", "")


class EventStore:
    """Keeps the latest of every event and a capped history, Qt-free.

    Fields the catalogue marks 1-based (``hardpointList.actuators``,
    ``bypassedActuatorILCs.ilcs``) are converted to 0-based here, once, so that
    everything above shows one convention. Keyed events
    (``powerSystemState`` by power type, ``innerLoopControlMode`` by address)
    keep one entry per key.

    Events the catalogue knows are always kept (up to `MAX_KEYS` keys each);
    at most ``max_unknown_ids`` other ids are kept, and events of further ones
    are counted in `dropped_unknown` and logged (rate limited).

    Parameters
    ----------
    catalogue : `Catalogue`
        Protocol catalogue.
    history : `int`
        Most events kept in `history`.
    max_unknown_ids : `int`, optional
        Most distinct event ids not in the catalogue kept in `latest`.
    history_chars : `int`, optional
        Most characters of history kept (`HistoryRow.size` summed).

    Attributes
    ----------
    received : `int`
        Events received.
    dropped_unknown : `int`
        Events not kept because their id is not in the catalogue and
        ``max_unknown_ids`` others already are.
    dropped_keys : `int`
        Events not kept because their (known) event already has `MAX_KEYS` keys.
    history_chars : `int`
        Characters of history kept now.
    history_dropped : `int`
        History rows dropped to stay within the row and character caps.

    Signals
    -------
    updated(str)
        After an event was stored, with its entry id (``name`` or ``name[key]``).
    history_appended(HistoryRow, int)
        After a row was appended to `history`, with the number of old rows
        dropped from its front to make room.
    """

    updated = Signal(str)
    history_appended = Signal(HistoryRow, int)

    def __init__(
        self,
        catalogue: Catalogue,
        history: int = 5000,
        *,
        max_unknown_ids: int = MAX_UNKNOWN_IDS,
        history_chars: int = HISTORY_CHARS,
    ) -> None:
        self.catalogue = catalogue
        self.latest: dict[str, EventEntry] = {}
        self.history: deque[HistoryRow] = deque()
        self.history_rows = history
        self.history_budget = history_chars
        self.history_chars = 0
        self.history_dropped = 0
        self.max_unknown_ids = max_unknown_ids
        self.received = 0
        self.dropped_unknown = 0
        self.dropped_keys = 0
        self._unknown_kept = 0
        self._keys_kept: dict[str, int] = {}
        self._problem_log = RateLimitedLog(log, burst=3, interval=10.0)

    def clear_history(self) -> None:
        """Forget the history (a replay jumped back in time); latest values stay.

        Emits ``history_appended(CLEARED, dropped)``: in order with the rows,
        so a view that batches them clears at the right place.
        """
        dropped = len(self.history)
        self.history.clear()
        self.history_chars = 0
        self.history_appended.emit(CLEARED, dropped)

    def forget_after(self, t: float) -> list[str]:
        """Forget the latest values received after time ``t`` (a replay jumped back).

        A replay catches up to ``t`` by feeding every event before it again,
        so what remains newer than ``t`` came from the future of the jump:
        those entries are removed and announced with ``updated(entry_id)``
        (a view finds them gone). Returns the ids removed.
        """
        gone = [entry_id for entry_id, entry in self.latest.items() if entry.time > t]
        for entry_id in gone:
            entry = self.latest.pop(entry_id)
            if entry.name not in self.catalogue.events:
                self._unknown_kept = max(0, self._unknown_kept - 1)
            elif entry.key:
                self._keys_kept[entry.name] = max(0, self._keys_kept.get(entry.name, 1) - 1)
        for entry_id in gone:
            self.updated.emit(entry_id)
        return gone

    def attach(self, connection: ControllerConnection) -> None:
        """Receive every event of ``connection``."""
        connection.subscribe(self.on_event, kind="event")

    def on_event(self, received: Received) -> None:
        """Store one event (a connection subscriber)."""
        self.received += 1
        name = received.name
        topic = self.catalogue.events.get(name)
        fields = _bounded_fields(received.message)
        key = ""
        if topic is None:
            name = _cut(name)
        else:
            for fname, spec in topic.fields.items():
                if spec.index_base == 1 and isinstance(fields.get(fname), list):
                    fields[fname] = [
                        v - 1 if isinstance(v, int) and not isinstance(v, bool) else v
                        for v in fields[fname]
                    ]
            if topic.key is not None:
                key = self._key_text(topic.fields.get(topic.key), fields.get(topic.key))
        entry_id = f"{name}[{key}]" if key else name
        entry = self.latest.get(entry_id)
        if entry is None:
            if not self._admit(name, topic is not None, bool(key)):
                return
            entry = EventEntry(name, key, fields, received.time, changed=set(fields))
            self.latest[entry_id] = entry
        else:
            entry.changed = {k for k, v in fields.items() if _differs(entry.fields.get(k), v)}
            entry.fields = fields
            entry.time = received.time
            entry.count += 1
        if entry.changed:
            entry.changed_at = received.time
        row, dropped = self._add_history(received.time, entry.title, topic, fields)
        self.updated.emit(entry_id)
        self.history_appended.emit(row, dropped)

    def _key_text(self, spec: FieldSpec | None, value: Any) -> str:
        """The key of a keyed event as (bounded) text: the enum name if there is one."""
        if isinstance(value, int) and not isinstance(value, bool):
            if spec is not None and spec.enum and value.bit_length() <= 64:
                return _cut(self.catalogue.enum_name(spec.enum, value))
            if value.bit_length() <= MAX_INT_BITS:
                return _cut(str(value))
        if isinstance(value, str):
            return _cut(value)
        return preview(value, MAX_NAME_CHARS)[0]

    def _admit(self, name: str, known: bool, keyed: bool) -> bool:
        """Whether a new entry may be added; counts and logs the ones that may not."""
        if not known:
            if self._unknown_kept >= self.max_unknown_ids:
                self.dropped_unknown += 1
                self._problem_log(
                    logging.WARNING,
                    "unknown-ids",
                    f"{self._unknown_kept} distinct unknown event ids kept already: "
                    f"not keeping {name!r} ({self.dropped_unknown} events dropped so far)",
                )
                return False
            self._unknown_kept += 1
        elif keyed:
            kept = self._keys_kept.get(name, 0)
            if kept >= MAX_KEYS:
                self.dropped_keys += 1
                self._problem_log(
                    logging.WARNING,
                    "keys",
                    f"{kept} distinct keys of {name} kept already: not keeping another "
                    f"({self.dropped_keys} events dropped so far)",
                )
                return False
            self._keys_kept[name] = kept + 1
        return True

    def _add_history(
        self, t: float, title: str, topic: TopicSpec | None, fields: dict[str, Any]
    ) -> tuple[HistoryRow, int]:
        text, truncated = _history_text(self.catalogue, topic, fields)
        row = HistoryRow(t, title, text, truncated)
        self.history.append(row)
        self.history_chars += row.size
        dropped = 0
        while len(self.history) > 1 and (
            len(self.history) > self.history_rows or self.history_chars > self.history_budget
        ):
            self.history_chars -= self.history.popleft().size
            dropped += 1
        self.history_dropped += dropped
        return row, dropped

    def value(self, name: str, field_name: str, default: Any = None) -> Any:
        """The latest value of one field of an (unkeyed) event."""
        entry = self.latest.get(name)
        return default if entry is None else entry.fields.get(field_name, default)


def _cut(text: str) -> str:
    return text if len(text) <= MAX_NAME_CHARS else text[:MAX_NAME_CHARS] + ELLIPSIS


def _differs(old: Any, new: Any) -> bool:
    try:
        return bool(old != new)
    except RecursionError:  # nesting deeper than the interpreter compares
        return True


def _bounded_fields(message: dict[str, Any]) -> dict[str, Any]:
    """The fields of ``message`` (without ``id``), within the entry caps."""
    out: dict[str, Any] = {}
    budget = ENTRY_CHARS
    for name, value in message.items():
        if name == "id":
            continue
        if len(out) >= MAX_FIELDS:
            left = len(message) - len(out) - ("id" in message)
            out[ELLIPSIS] = Truncated(f"{left} more fields not kept", left)
            break
        size = _json_size(value, budget)
        if size > budget:
            text, _ = preview(value, PREVIEW_CHARS)
            value = Truncated(text, size)
            size = len(text)
        out[_cut(name)] = value
        budget -= size + len(name)
    return out


def _json_size(value: Any, limit: int) -> int:
    """About how many characters of JSON ``value`` takes; stops counting past ``limit``."""
    size = 0
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            size += len(item) + 2
        elif isinstance(item, list | tuple):
            size += 2 + len(item)
            if size <= limit:
                stack.extend(item)
        elif isinstance(item, dict):
            size += 2 + len(item)
            if size <= limit:
                for k, v in item.items():
                    size += len(k) + 3 if isinstance(k, str) else 8
                    stack.append(v)
        elif isinstance(item, int) and not isinstance(item, bool):
            size += item.bit_length() // 3 + 1
        elif isinstance(item, Truncated):
            size += len(item.preview)
        else:
            size += 5
        if size > limit:
            return size
    return size


def _history_text(
    catalogue: Catalogue, topic: TopicSpec | None, fields: dict[str, Any]
) -> tuple[str, bool]:
    """``name=value, …`` for one history row, bounded, and whether anything was cut.

    Each value is decoded as the events tree decodes it (`describe_value`).
    """
    parts: list[str] = []
    length = 0
    truncated = False
    for name, value in fields.items():
        spec = topic.fields.get(name) if topic is not None else None
        shown = describe_value(catalogue, spec, value)
        text = shown.text
        truncated |= shown.cut
        if len(text) > HISTORY_FIELD_CHARS:
            text = text[:HISTORY_FIELD_CHARS] + ELLIPSIS
            truncated = True
        part = f"{name}={text}"
        if length + len(part) > HISTORY_TEXT_CHARS:
            parts.append(part[: max(0, HISTORY_TEXT_CHARS - length)])
            return ", ".join(parts) + ELLIPSIS, True
        parts.append(part)
        length += len(part) + 2
    return ", ".join(parts), truncated
