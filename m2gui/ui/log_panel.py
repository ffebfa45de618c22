"""Log panel: Python logging in a table with a level filter and text search."""

from __future__ import annotations

import logging
from typing import Any

from PySide6.QtCore import QSortFilterProxyModel, Qt
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

from m2gui.model.log_store import MAX_ROWS, LogLine, LogStore

from .bridge import listen
from .style import LEVEL_COLORS, format_time
from .table_model import Index, RowsModel

__all__ = ["LogModel", "LogPanel"]

LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")


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
    handler : `LogStore`
        The handler installed on the root logger by the application.
    """

    def __init__(self, handler: LogStore, parent: QWidget | None = None) -> None:
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
        self.model.append(list(handler.lines))
        self.listener = listen(self, handler.appended, self._appended)

    def refresh(self) -> None:
        """Show now the lines logged since the last delivery."""
        self.listener.flush()

    def _appended(self, batch: list[tuple[LogLine]]) -> None:
        lines = [line for (line,) in batch]
        bar = self.table.verticalScrollBar()
        at_bottom = bar.value() >= bar.maximum() - 2
        self.model.append(lines)
        if at_bottom:
            self.table.scrollToBottom()
        dropped = self.model.dropped
        self.status.setText(f"{dropped} dropped" if dropped else "")
