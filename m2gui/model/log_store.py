"""`LogStore`: Python logging kept as bounded text lines, announced by a signal."""

from __future__ import annotations

import logging
from collections import deque
from dataclasses import dataclass

from psygnal import Signal

__all__ = ["MARK", "MAX_ROWS", "LogLine", "LogStore"]

#: Lines kept; older ones are dropped (the log file keeps all).
MAX_ROWS = 10_000
#: Characters kept of a message, and of a traceback (shown as a tool tip).
MAX_MESSAGE_CHARS = 2000
MAX_TRACEBACK_CHARS = 4000
#: Shown before a message that could not be formatted.
MARK = "⚠"


@dataclass(frozen=True)
class LogLine:
    """One log record as the panel keeps it: text only, no record, no traceback object.

    Attributes
    ----------
    created : `float`
        ``time.time()`` of the record.
    levelno, levelname, name
        As in the `logging.LogRecord`.
    message : `str`
        The formatted message (at most `MAX_MESSAGE_CHARS` characters and an ellipsis).
    exc_summary : `str`
        ``"Type: text"`` of the exception logged with it, or "".
    exc_text : `str`
        Its formatted traceback (bounded), or "".
    """

    created: float
    levelno: int
    levelname: str
    name: str
    message: str
    exc_summary: str = ""
    exc_text: str = ""

    @property
    def text(self) -> str:
        """The message with the exception summary, as shown in the table."""
        return f"{self.message} [{self.exc_summary}]" if self.exc_summary else self.message


class LogStore(logging.Handler):
    """A logging handler that keeps the last lines as text and announces each.

    Emitting only formats the record into a `LogLine`, appends it to a
    bounded deque and emits `appended` (from whatever thread logged): it
    never touches a widget, keeps no record (nor its traceback, frames and
    locals) alive, and never raises into the caller (a message that cannot be
    formatted is kept raw, marked, and reported through
    `logging.Handler.handleError`, which follows ``logging.raiseExceptions``).

    Signals
    -------
    appended(LogLine)
        After a line was kept.

    Attributes
    ----------
    lines : `collections.deque` of `LogLine`
        The last ``capacity`` lines.
    dropped : `int`
        Lines dropped from the front of ``lines`` to keep it bounded.
    errors : `int`
        Records that could not be formatted.
    """

    appended = Signal(LogLine)

    def __init__(self, capacity: int = MAX_ROWS) -> None:
        super().__init__(logging.DEBUG)
        self.lines: deque[LogLine] = deque(maxlen=capacity)
        self.dropped = 0
        self.errors = 0

    def emit(self, record: logging.LogRecord) -> None:
        try:
            line: LogLine | None = self._line(record)
        except Exception:
            self.errors += 1
            line = _fallback(record)
            self.handleError(record)
        if line is None:
            return
        if len(self.lines) == self.lines.maxlen:
            self.dropped += 1
        self.lines.append(line)
        self.appended.emit(line)

    def _line(self, record: logging.LogRecord) -> LogLine:
        message = _cut(record.getMessage())
        summary = text = ""
        if record.exc_info and record.exc_info[1] is not None:
            error = record.exc_info[1]
            summary = _cut(f"{type(error).__name__}: {error}", 200)
            formatter = self.formatter or _DEFAULT_FORMATTER
            text = _cut(formatter.formatException(record.exc_info), MAX_TRACEBACK_CHARS)
        elif record.exc_text:
            text = _cut(record.exc_text, MAX_TRACEBACK_CHARS)
        return LogLine(
            record.created, record.levelno, record.levelname, record.name, message, summary, text
        )


_DEFAULT_FORMATTER = logging.Formatter()


def _fallback(record: logging.LogRecord) -> LogLine | None:
    """A marked line with the raw message of a record that could not be formatted."""
    try:
        raw = _cut(f"{MARK} could not format {record.msg!r} with {record.args!r}")
        return LogLine(record.created, record.levelno, record.levelname, record.name, raw)
    except Exception:
        return None


def _cut(text: str, limit: int = MAX_MESSAGE_CHARS) -> str:
    return text if len(text) <= limit else text[:limit] + "…"
