"""Log panel: Python logging in a table with a level filter and text search."""

from __future__ import annotations

import logging
from collections import deque
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QSortFilterProxyModel, Qt, QTimer
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from .style import LEVEL_COLORS, format_time
from .table_model import Index, RowsModel

__all__ = ["LogLine", "LogModel", "LogPanel", "QtLogHandler"]

#: Rows kept in the table; older ones are dropped (the log file keeps all).
MAX_ROWS = 10_000
REFRESH_MS = 200
LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
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


class QtLogHandler(logging.Handler):
    """Collects log lines for the panel; the panel takes them on its timer.

    Emitting only formats the record into a `LogLine` and appends it to a
    bounded deque: it never touches a widget, keeps no record (nor its
    traceback, frames and locals) alive, and never raises into the caller (a
    message that cannot be formatted is kept raw, marked, and reported through
    `logging.Handler.handleError`, which follows ``logging.raiseExceptions``).

    Attributes
    ----------
    dropped : `int`
        Lines dropped because the panel had not taken them yet.
    errors : `int`
        Records that could not be formatted.
    """

    def __init__(self, capacity: int = MAX_ROWS) -> None:
        super().__init__(logging.DEBUG)
        self.pending: deque[LogLine] = deque(maxlen=capacity)
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
        if len(self.pending) == self.pending.maxlen:
            self.dropped += 1
        self.pending.append(line)

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

    def take(self) -> list[LogLine]:
        """Return the lines emitted since the last call (and forget them)."""
        lines = list(self.pending)
        self.pending.clear()
        return lines


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


class LogModel(RowsModel[LogLine]):
    """Log lines as rows: time, level, logger, message."""

    HEADERS = ("Time", "Level", "Logger", "Message")

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(MAX_ROWS, parent)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        line = self.rows[index.row()]
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return (format_time(line.created), line.levelname, line.name, line.text)[column]
        if role == Qt.ItemDataRole.ForegroundRole:
            return LEVEL_COLORS.get(line.levelname)
        if role == Qt.ItemDataRole.ToolTipRole and column == 3:
            return f"{line.message}\n\n{line.exc_text}" if line.exc_text else line.message
        if role == Qt.ItemDataRole.UserRole:
            return line.levelno
        return None


class LogFilter(QSortFilterProxyModel):
    """Rows at or above a level whose logger or message contains a text."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.min_level = logging.DEBUG
        self.text = ""

    def set_level(self, level: int) -> None:
        self.beginFilterChange()
        self.min_level = level
        self.endFilterChange(QSortFilterProxyModel.Direction.Rows)

    def set_text(self, text: str) -> None:
        self.beginFilterChange()
        self.text = text.lower()
        self.endFilterChange(QSortFilterProxyModel.Direction.Rows)

    def filterAcceptsRow(self, row: int, parent: Index) -> bool:
        model = self.sourceModel()
        assert isinstance(model, LogModel)
        line = model.rows[row]
        if line.levelno < self.min_level:
            return False
        if self.text:
            return self.text in line.text.lower() or self.text in line.name.lower()
        return True


class LogPanel(QWidget):
    """The log as a table, newest at the bottom, with level filter and search.

    Parameters
    ----------
    handler : `QtLogHandler`
        The handler installed on the root logger by the application.
    """

    def __init__(self, handler: QtLogHandler, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.handler = handler
        self.model = LogModel(self)
        self.proxy = LogFilter(self)
        self.proxy.setSourceModel(self.model)
        self.level = QComboBox()
        self.level.addItems(LEVELS)
        self.level.setCurrentText("INFO")
        self.level.currentTextChanged.connect(
            lambda name: self.proxy.set_level(logging.getLevelNamesMapping()[name])
        )
        self.proxy.set_level(logging.INFO)
        self.search = QLineEdit()
        self.search.setPlaceholderText("Search the log…")
        self.search.setClearButtonEnabled(True)
        self.search.textChanged.connect(self.proxy.set_text)
        clear = QPushButton("Clear")
        clear.clicked.connect(self.model.clear)
        self.status = QLabel()
        bar = QHBoxLayout()
        bar.addWidget(QLabel("Level"))
        bar.addWidget(self.level)
        bar.addWidget(self.search, 1)
        bar.addWidget(self.status)
        bar.addWidget(clear)
        self.table = QTableView()
        self.table.setObjectName("log_table")
        self.table.setModel(self.proxy)
        self.table.verticalHeader().setVisible(False)
        self.table.verticalHeader().setDefaultSectionSize(20)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.setColumnWidth(0, 95)
        self.table.setColumnWidth(1, 70)
        self.table.setColumnWidth(2, 200)
        self.table.setWordWrap(False)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.addLayout(bar)
        layout.addWidget(self.table)
        self.timer = QTimer(self)
        self.timer.setInterval(REFRESH_MS)
        self.timer.timeout.connect(self.refresh)
        self.timer.start()

    def refresh(self) -> None:
        """Move new records into the table."""
        lines = self.handler.take()
        if not lines:
            return
        bar = self.table.verticalScrollBar()
        at_bottom = bar.value() >= bar.maximum() - 2
        self.model.append(lines)
        if at_bottom:
            self.table.scrollToBottom()
        dropped = self.handler.dropped
        self.status.setText(f"{dropped} dropped" if dropped else "")
