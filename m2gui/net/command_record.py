"""What happened to one command, and the errors `ControllerConnection.command` raises."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "CommandDisconnected",
    "CommandError",
    "CommandFailed",
    "CommandInvalid",
    "CommandRecord",
    "CommandRejected",
    "CommandTimeout",
    "Outcome",
]


class Outcome(enum.Enum):
    """The state of a command; all but the first two are final."""

    SENT = "sent"
    ACK = "ack"
    SUCCESS = "success"
    FAIL = "fail"
    NOACK = "noack"
    TIMEOUT = "timeout"
    DISCONNECTED = "disconnected"
    #: The caller cancelled the wait (the controller may still execute it).
    CANCELLED = "cancelled"
    #: The parameters could not be written as JSON; nothing was sent.
    INVALID = "invalid"

    @property
    def final(self) -> bool:
        """True once the command is over."""
        return self not in (Outcome.SENT, Outcome.ACK)


@dataclass
class CommandRecord:
    """One command sent to the controller, with its replies and their times.

    Times ``t_*`` are ``time.monotonic()`` seconds; ``sent_at`` is wall-clock.
    """

    name: str
    params: dict[str, Any]
    sequence_id: int
    sent_at: float
    t_sent: float
    outcome: Outcome = Outcome.SENT
    t_ack: float | None = None
    t_done: float | None = None
    reason: str = ""
    user_info: list[str] = field(default_factory=list)
    #: Times the command was sent again under a new sequence id after the
    #: controller rejected its id (at most once).
    resends: int = 0
    #: Replies that came after the command had ended (counted, text bounded).
    late_replies: int = 0

    @property
    def ack_latency(self) -> float | None:
        """Seconds from sending to the ack (or noack), if one came."""
        return None if self.t_ack is None else self.t_ack - self.t_sent

    @property
    def done_latency(self) -> float | None:
        """Seconds from sending to the final outcome, if there is one."""
        return None if self.t_done is None else self.t_done - self.t_sent


class CommandError(Exception):
    """A command did not succeed. ``record`` tells what happened."""

    def __init__(self, record: CommandRecord, message: str) -> None:
        super().__init__(message)
        self.record = record


class CommandRejected(CommandError):
    """The controller answered noack: unknown command or wrong sequence id."""


class CommandFailed(CommandError):
    """The controller answered fail; ``record.reason`` has its reason if any."""


class CommandInvalid(CommandError, ValueError):
    """The parameters could not be sent (not JSON-serialisable, or an ``id`` key)."""


class CommandTimeout(CommandError, TimeoutError):
    """No final reply within the command's timeout."""


class CommandDisconnected(CommandError, ConnectionError):
    """The connection was lost (or not there) while the command was in flight."""
