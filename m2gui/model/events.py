"""Latest value of every event, with what changed, and a bounded history."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from typing import Any

from m2gui.net import ControllerConnection, Received

from .catalogue import Catalogue

__all__ = ["EventEntry", "EventStore", "HistoryRow"]


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
    """One received event."""

    time: float
    title: str
    fields: dict[str, Any]


class EventStore:
    """Keeps the latest of every event and a capped history, Qt-free.

    Fields the catalogue marks 1-based (``hardpointList.actuators``,
    ``bypassedActuatorILCs.ilcs``) are converted to 0-based here, once, so that
    everything above shows one convention. Keyed events
    (``powerSystemState`` by power type, ``innerLoopControlMode`` by address)
    keep one entry per key.

    Parameters
    ----------
    catalogue : `Catalogue`
        Protocol catalogue.
    history : `int`
        Most events kept in `history`.
    """

    def __init__(self, catalogue: Catalogue, history: int = 5000) -> None:
        self.catalogue = catalogue
        self.latest: dict[str, EventEntry] = {}
        self.history: deque[HistoryRow] = deque(maxlen=history)
        self.received = 0
        self._dirty: set[str] = set()
        self._history_added = 0

    def attach(self, connection: ControllerConnection) -> None:
        """Receive every event of ``connection``."""
        connection.subscribe(self.on_event, kind="event")

    def on_event(self, received: Received) -> None:
        """Store one event (a connection subscriber)."""
        name = received.name
        fields = {k: v for k, v in received.message.items() if k != "id"}
        topic = self.catalogue.events.get(name)
        key = ""
        if topic is not None:
            for fname, spec in topic.fields.items():
                if spec.index_base == 1 and isinstance(fields.get(fname), list):
                    fields[fname] = [
                        v - 1 if isinstance(v, int) and not isinstance(v, bool) else v
                        for v in fields[fname]
                    ]
            if topic.key is not None:
                key_value = fields.get(topic.key)
                key_spec = topic.fields.get(topic.key)
                if key_spec is not None and key_spec.enum and isinstance(key_value, int):
                    key = self.catalogue.enum_name(key_spec.enum, key_value)
                else:
                    key = str(key_value)
        entry_id = f"{name}[{key}]" if key else name
        entry = self.latest.get(entry_id)
        if entry is None:
            entry = EventEntry(name, key, fields, received.time, changed=set(fields))
            self.latest[entry_id] = entry
        else:
            entry.changed = {k for k, v in fields.items() if entry.fields.get(k) != v}
            entry.fields = fields
            entry.time = received.time
            entry.count += 1
        if entry.changed:
            entry.changed_at = received.time
        self.received += 1
        self.history.append(HistoryRow(received.time, entry.title, fields))
        self._history_added += 1
        self._dirty.add(entry_id)

    def take_dirty(self) -> set[str]:
        """Return the entries updated since the last call (and forget them)."""
        dirty, self._dirty = self._dirty, set()
        return dirty

    def take_history_added(self) -> int:
        """Return how many history rows were added since the last call."""
        added, self._history_added = self._history_added, 0
        return added

    def value(self, name: str, field_name: str, default: Any = None) -> Any:
        """The latest value of one field of an (unkeyed) event."""
        entry = self.latest.get(name)
        return default if entry is None else entry.fields.get(field_name, default)
