"""Log panel: Python logging in a table with a level filter and text search."""

from __future__ import annotations

import logging
from collections import deque
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

__all__ = ["LogModel", "LogPanel", "QtLogHandler"]

#: Rows kept in the table; older ones are dropped (the log file keeps all).
MAX_ROWS = 10_000
REFRESH_MS = 200
LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")


class QtLogHandler(logging.Handler):
    """Collects log records for the panel; the panel takes them on its timer.

    Emitting only appends to a bounded deque, so logging stays cheap and never
    touches a widget.
    """

    def __init__(self, capacity: int = MAX_ROWS) -> None:
        super().__init__(logging.DEBUG)
        self.pending: deque[logging.LogRecord] = deque(maxlen=capacity)
        self.dropped = 0

    def emit(self, record: logging.LogRecord) -> None:
        if len(self.pending) == self.pending.maxlen:
            self.dropped += 1
        record.message = record.getMessage()
        self.pending.append(record)

    def take(self) -> list[logging.LogRecord]:
        records = list(self.pending)
        self.pending.clear()
        return records


class LogModel(RowsModel[logging.LogRecord]):
    """Log records as rows: time, level, logger, message."""

    HEADERS = ("Time", "Level", "Logger", "Message")

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(MAX_ROWS, parent)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        record = self.rows[index.row()]
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            if column == 0:
                return format_time(record.created)
            if column == 1:
                return record.levelname
            if column == 2:
                return record.name
            text = record.message
            if record.exc_info and record.exc_info[1] is not None:
                text += f" [{type(record.exc_info[1]).__name__}: {record.exc_info[1]}]"
            return text
        if role == Qt.ItemDataRole.ForegroundRole:
            return LEVEL_COLORS.get(record.levelname)
        if role == Qt.ItemDataRole.ToolTipRole and column == 3:
            return record.message
        if role == Qt.ItemDataRole.UserRole:
            return record.levelno
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
        record = model.rows[row]
        if record.levelno < self.min_level:
            return False
        if self.text:
            return self.text in record.message.lower() or self.text in record.name.lower()
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
            lambda name: self.proxy.set_level(logging.getLevelName(name))
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
        records = self.handler.take()
        if not records:
            return
        bar = self.table.verticalScrollBar()
        at_bottom = bar.value() >= bar.maximum() - 2
        self.model.append(records)
        if at_bottom:
            self.table.scrollToBottom()
        dropped = self.handler.dropped
        self.status.setText(f"{dropped} dropped" if dropped else "")
