"""Command history, recent parameter values and favourite commands."""

from __future__ import annotations

import csv
import io
import json
import time
from collections import deque
from typing import Any

from psygnal import Signal

from m2gui.net import CommandRecord, ControllerConnection

__all__ = ["CLEARED", "CommandHistory", "Preferences"]

HISTORY_SIZE = 2000
#: The record `CommandHistory.appended` carries when the history was cleared.
CLEARED = CommandRecord("", {}, -1, 0.0, 0.0)
RECENT_PER_COMMAND = 8


class CommandHistory:
    """Every command sent (the newest ``size``), updated as its replies arrive.

    Signals
    -------
    appended(CommandRecord, int)
        After a command was added at the end, with the number of the oldest
        commands dropped from the front to make room (0 or 1).
    updated(CommandRecord)
        After a command already in the history changed (ack, outcome, replies).
    """

    appended = Signal(CommandRecord, int)
    updated = Signal(CommandRecord)

    def __init__(self, size: int = HISTORY_SIZE) -> None:
        self.records: deque[CommandRecord] = deque(maxlen=size)
        self._ids: set[int] = set()

    @property
    def size(self) -> int:
        """Most commands kept."""
        return self.records.maxlen or 0

    def clear(self) -> None:
        """Forget every command (a replay jumped back in time).

        Emits ``appended(CLEARED, dropped)``, in order with the records, so a
        view drops every row it has before the next ones.
        """
        dropped = len(self.records)
        self.records.clear()
        self._ids.clear()
        self.appended.emit(CLEARED, dropped)

    def attach(self, connection: ControllerConnection) -> None:
        """Record every command of ``connection``."""
        connection.add_command_listener(self.on_record)

    def on_record(self, record: CommandRecord) -> None:
        """A command was sent or its state changed (a connection listener)."""
        key = id(record)
        if key in self._ids:
            self.updated.emit(record)
            return
        dropped = 0
        if len(self.records) == self.records.maxlen:
            self._ids.discard(id(self.records[0]))
            dropped = 1
        self.records.append(record)
        self._ids.add(key)
        self.appended.emit(record, dropped)

    def to_csv(self) -> str:
        """The history as CSV text: one row per command."""
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(
            [
                "time",
                "command",
                "parameters",
                "sequence_id",
                "ack_ms",
                "done_ms",
                "outcome",
                "reason",
            ]
        )
        for r in self.records:
            writer.writerow(
                [
                    time.strftime("%Y-%m-%dT%H:%M:%S", time.localtime(r.sent_at))
                    + f".{int((r.sent_at % 1) * 1000):03d}",
                    r.name,
                    json.dumps(r.params),
                    r.sequence_id,
                    "" if r.ack_latency is None else f"{r.ack_latency * 1e3:.3f}",
                    "" if r.done_latency is None else f"{r.done_latency * 1e3:.3f}",
                    r.outcome.value,
                    "; ".join(filter(None, [r.reason, *r.user_info])),
                ]
            )
        return out.getvalue()


class Preferences:
    """Recent parameter values per command, and pinned favourite commands.

    Saved as JSON (the UI keeps it in its settings).
    """

    def __init__(self) -> None:
        self.recent: dict[str, list[dict[str, Any]]] = {}
        self.favourites: list[str] = []

    def remember(self, name: str, params: dict[str, Any]) -> None:
        """Put ``params`` first among the recent values of ``name``."""
        entries = [p for p in self.recent.get(name, []) if p != params]
        self.recent[name] = [params, *entries][:RECENT_PER_COMMAND]

    def toggle_favourite(self, name: str) -> bool:
        """Pin or unpin a command; return whether it is now pinned."""
        if name in self.favourites:
            self.favourites.remove(name)
            return False
        self.favourites.append(name)
        return True

    def to_json(self) -> str:
        return json.dumps({"recent": self.recent, "favourites": self.favourites})

    @classmethod
    def from_json(cls, text: str) -> Preferences:
        """Read saved preferences; anything malformed is ignored."""
        prefs = cls()
        try:
            data = json.loads(text)
        except (TypeError, ValueError):
            return prefs
        if isinstance(data, dict):
            recent = data.get("recent")
            if isinstance(recent, dict):
                prefs.recent = {
                    k: [p for p in v if isinstance(p, dict)][:RECENT_PER_COMMAND]
                    for k, v in recent.items()
                    if isinstance(v, list)
                }
            favourites = data.get("favourites")
            if isinstance(favourites, list):
                prefs.favourites = [f for f in favourites if isinstance(f, str)]
        return prefs
