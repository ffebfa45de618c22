"""Message ids of a recording, their kinds, and the ``topics.json`` sidecar.

Listing the ids of a 12-hour recording by reading it back means
decompressing gigabytes, so the `Recorder` keeps the list as it writes: the
id of each line is found with one pattern search (no JSON decoding) and a
new id is saved to ``topics.json`` *before* the frame holding it, so the
sidecar always covers what is on disk. The reader trusts the sidecar only
when it covers every part of the folder, and scans otherwise. The sidecar is
plain JSON, bounded in size.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import re
from collections.abc import Iterable
from pathlib import Path
from typing import NamedTuple

from m2gui.net import WireLine

__all__ = [
    "MAX_TOPICS",
    "TOPICS_FILE",
    "Sidecar",
    "TopicIndex",
    "classify",
    "message_id",
    "read_sidecar",
]

log = logging.getLogger(__name__)

TOPICS_FILE = "topics.json"
#: Distinct ids kept at most (the controller decides them: bounded).
MAX_TOPICS = 1000
#: The sidecar is refused beyond this size.
_MAX_SIDECAR_BYTES = 1024 * 1024
_ID = re.compile(rb'"id"\s*:\s*"((?:[^"\\]|\\.){1,200})"')
KINDS = ("telemetry", "event", "reply", "command")


def message_id(line: bytes) -> str | None:
    """The ``id`` of a JSON line, found without decoding it (None if none)."""
    match = _ID.search(line)
    return match.group(1).decode("utf-8", "replace") if match else None


def classify(name: str, port: str, direction: str) -> str:
    """The kind of a message id: ``"command"``, ``"reply"``, ``"telemetry"`` or ``"event"``.

    Commands are ``cmd_*`` ids; replies the catalogue's reply ids on the
    command port; everything else follows its port (telemetry port:
    telemetry, command port: event), which also covers ``evt_``/``tel_``
    inputs and ids the catalogue does not know.
    """
    if name.startswith("cmd_"):
        return "command"
    if port == "command" and name in _replies():
        return "reply"
    return "telemetry" if port == "telemetry" else "event"


def _replies() -> frozenset[str]:
    from m2gui.model import load_catalogue

    return load_catalogue().replies


class Sidecar(NamedTuple):
    """A valid ``topics.json``: the ids, and the part numbers it covers."""

    topics: dict[str, str]
    parts: frozenset[int]
    complete: bool


def read_sidecar(folder: Path) -> Sidecar | None:
    """The folder's ``topics.json`` if it is there and well formed, else None."""
    path = folder / TOPICS_FILE
    try:
        with path.open("rb") as file:
            data = file.read(_MAX_SIDECAR_BYTES + 1)
    except OSError:
        return None
    if len(data) > _MAX_SIDECAR_BYTES:
        return None
    try:
        content = json.loads(data)
        topics = content["topics"]
        parts = content["parts"]
        complete = content["complete"]
    except (ValueError, TypeError, KeyError, RecursionError):
        return None
    if (
        content.get("format") != 1
        or not isinstance(topics, dict)
        or not isinstance(parts, list)
        or not all(type(p) is int for p in parts)
        or not all(isinstance(k, str) and v in KINDS for k, v in topics.items())
        or type(complete) is not bool
    ):
        return None
    return Sidecar(dict(topics), frozenset(parts), complete)


class TopicIndex:
    """The writer's side: ids seen so far, saved to the sidecar when they change."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.topics: dict[str, str] = {}
        self.parts: list[int] = []
        self.complete = True
        self._dirty = False

    def start(self, existing: Iterable[int]) -> None:
        """Continue the sidecar of parts already in the folder, if it covers them."""
        existing = set(existing)
        if not existing:
            return
        side = read_sidecar(self.folder)
        if side is not None and existing <= side.parts:
            self.topics = dict(side.topics)
            self.parts = sorted(existing)
            self.complete = side.complete
        # else: older parts are not covered; readers will scan (parts lists ours only)

    def add_part(self, number: int) -> None:
        self.parts.append(number)
        self._dirty = True

    def add_lines(self, lines: Iterable[WireLine]) -> None:
        topics = self.topics
        for line in lines:
            name = message_id(line.line)
            if name is None or name in topics:
                continue
            if len(topics) >= MAX_TOPICS:
                if self.complete:
                    log.warning("recording: more than %d message ids; not listing more", MAX_TOPICS)
                    self.complete = False
                    self._dirty = True
                continue
            topics[name] = classify(name, line.port, line.direction)
            self._dirty = True

    def save(self, fsync: bool) -> bool:
        """Write the sidecar if it changed (atomically: a temporary file, then rename).

        Returns whether it wrote (the caller then makes the rename durable).

        Raises
        ------
        OSError
            As the frame write would.
        """
        if not self._dirty:
            return False
        content = {
            "format": 1,
            "complete": self.complete,
            "parts": self.parts,
            "topics": self.topics,
        }
        path = self.folder / TOPICS_FILE
        partial = self.folder / (TOPICS_FILE + ".partial")
        data = json.dumps(content, indent=0).encode("utf-8")  # ids in order of appearance
        with partial.open("wb") as file:
            file.write(data)
            if fsync:
                file.flush()
                os.fsync(file.fileno())
        os.replace(partial, path)
        self._dirty = False
        return True

    def discard(self) -> None:
        """Remove a leftover temporary file (after an error)."""
        with contextlib.suppress(OSError):
            (self.folder / (TOPICS_FILE + ".partial")).unlink()
