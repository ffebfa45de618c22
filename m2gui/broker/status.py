"""The publisher's status (``PREFIX/status``, retained JSON) and its last will.

Fields (all optional to a reader; unknown ones are ignored)::

    {"online": true,                  # false: the publisher stopped or died
     "publisher": "ops@m2-gui 4242",  # user@host pid of the publishing process
     "controller": "m2-ctrl:50010/50011",
     "connected": true,               # its controller link is up
     "state": "connected",            # the controller link's state
     "commander": "CSC",              # who holds command (commandableByDDS): CSC, GUI, unknown
     "started": 1712345678.9,         # when the publisher started (time.time())
     "time": 1712345700.1,            # when this status was published
     "published": 1234, "dropped_telemetry": 0, "dropped_other": 0,
     "reason": "..."}                 # why offline (last will, or stopped)
"""

from __future__ import annotations

import getpass
import os
import socket
import time
from dataclasses import dataclass
from typing import Any

import orjson

from m2gui.model.commanding import SOURCE_EVENT
from m2gui.model.ops.overview_rules import commander_text
from m2gui.net import ControllerConnection

__all__ = ["MAX_STATUS", "PublisherStatus", "commander_of", "default_identity", "status_payload"]

#: Largest status payload a viewer reads, in bytes.
MAX_STATUS = 4096
#: Characters kept of each text field a viewer reads.
_TEXT = 200


def default_identity() -> str:
    """``user@host pid``: who publishes, as viewers see it."""
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = "unknown"
    return f"{user}@{socket.gethostname()} {os.getpid()}"


def commander_of(connection: ControllerConnection) -> str:
    """Who holds command, from the latest ``commandableByDDS``: CSC, GUI or unknown."""
    received = connection.latest_events.get(SOURCE_EVENT)
    return commander_text(received.message.get("state") if received is not None else None)


def status_payload(
    *,
    online: bool,
    identity: str,
    connection: ControllerConnection,
    started: float,
    counters: dict[str, int] | None = None,
    reason: str = "",
) -> bytes:
    """The JSON status of a publisher of ``connection``."""
    status: dict[str, Any] = {
        "online": online,
        "publisher": identity,
        "controller": connection.address,
        "connected": connection.connected if online else False,
        "state": connection.state.value if online else "unknown",
        "commander": commander_of(connection) if online else "unknown",
        "started": started,
        "time": time.time(),
    }
    status.update(counters or {})
    if reason:
        status["reason"] = reason
    return orjson.dumps(status)


@dataclass(frozen=True)
class PublisherStatus:
    """A publisher's status as a viewer read it (see the module docstring)."""

    online: bool
    publisher: str
    controller: str
    connected: bool
    commander: str
    started: float | None
    reason: str

    @classmethod
    def parse(cls, payload: bytes) -> PublisherStatus | None:
        """The status in ``payload``, or None if it is not a status JSON object."""
        if len(payload) > MAX_STATUS:
            return None
        try:
            data = orjson.loads(payload)
        except orjson.JSONDecodeError:
            return None
        if not isinstance(data, dict) or not isinstance(data.get("online"), bool):
            return None
        started = data.get("started")
        return cls(
            online=data["online"],
            publisher=_text(data.get("publisher")) or "an unknown publisher",
            controller=_text(data.get("controller")),
            connected=data.get("connected") is True,
            commander=_text(data.get("commander")) or "unknown",
            started=float(started) if isinstance(started, int | float) else None,
            reason=_text(data.get("reason")),
        )


def _text(value: object) -> str:
    return value[:_TEXT] if isinstance(value, str) else ""
