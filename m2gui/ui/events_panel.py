"""Events panel: the latest value of every event as a tree, and the event history."""

from __future__ import annotations

import re
import time
from typing import Any

from PySide6.QtCore import QSortFilterProxyModel, Qt, QTimer
from PySide6.QtGui import QBrush
from PySide6.QtWidgets import (
    QHeaderView,
    QLabel,
    QLineEdit,
    QSplitter,
    QTableView,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from m2gui.model.events import EventEntry, EventStore, HistoryRow
from m2gui.model.format import format_value

from .style import HIGHLIGHT, format_time
from .table_model import Index, RowsModel

__all__ = ["EventHistoryModel", "EventsPanel"]

REFRESH_MS = 200
#: How long a changed value stays highlighted, seconds.
HIGHLIGHT_FOR = 1.5
HISTORY_ROWS = 5000


class EventHistoryModel(RowsModel[HistoryRow]):
    """The last `HISTORY_ROWS` events: time, event, fields."""

    HEADERS = ("Time", "Event", "Fields")

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(HISTORY_ROWS, parent)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role != Qt.ItemDataRole.DisplayRole or not index.isValid():
            return None
        row = self.rows[index.row()]
        column = index.column()
        if column == 0:
            return format_time(row.time)
        if column == 1:
            return row.title
        return ", ".join(f"{k}={_short(v)}" for k, v in row.fields.items())


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _natural_key(text: str) -> list[object]:
    return [int(part) if part.isdigit() else part.lower() for part in re.split(r"(\d+)", text)]


class _EventItem(QTreeWidgetItem):
    """Sorts ``innerLoopControlMode[2]`` before ``innerLoopControlMode[10]``."""

    def __lt__(self, other: QTreeWidgetItem) -> bool:
        column = self.treeWidget().sortColumn() if self.treeWidget() else 0
        return _natural_key(self.text(column)) < _natural_key(other.text(column))


class EventsPanel(QWidget):
    """Latest events (changed values highlighted briefly) above a filterable history.

    Parameters
    ----------
    store : `EventStore`
        The session's event store; the panel redraws only what changed.
    """

    def __init__(self, store: EventStore, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.store = store
        self.catalogue = store.catalogue
        self.filter = QLineEdit()
        self.filter.setPlaceholderText("Filter events…")
        self.filter.setClearButtonEnabled(True)
        self.filter.textChanged.connect(self._apply_filter)
        self.tree = QTreeWidget()
        self.tree.setObjectName("events_tree")
        self.tree.setColumnCount(3)
        self.tree.setHeaderLabels(["Event / field", "Value", "Received"])
        self.tree.setUniformRowHeights(True)
        self.tree.setSortingEnabled(True)
        self.tree.sortByColumn(0, Qt.SortOrder.AscendingOrder)
        header = self.tree.header()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        header.setStretchLastSection(False)
        self.history_model = EventHistoryModel(self)
        self.history_proxy = QSortFilterProxyModel(self)
        self.history_proxy.setSourceModel(self.history_model)
        self.history_proxy.setFilterKeyColumn(-1)
        self.history_proxy.setFilterCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.history_filter = QLineEdit()
        self.history_filter.setPlaceholderText("Filter history…")
        self.history_filter.setClearButtonEnabled(True)
        self.history_filter.textChanged.connect(self.history_proxy.setFilterFixedString)
        self.history = QTableView()
        self.history.setObjectName("events_history")
        self.history.setModel(self.history_proxy)
        self.history.verticalHeader().setVisible(False)
        self.history.verticalHeader().setDefaultSectionSize(20)
        self.history.horizontalHeader().setStretchLastSection(True)
        self.history.setColumnWidth(0, 95)
        self.history.setColumnWidth(1, 180)
        self.history.setSelectionBehavior(QTableView.SelectionBehavior.SelectRows)
        self.count = QLabel()
        top = QWidget()
        top_layout = QVBoxLayout(top)
        top_layout.setContentsMargins(0, 0, 0, 0)
        top_layout.addWidget(self.filter)
        top_layout.addWidget(self.tree)
        bottom = QWidget()
        bottom_layout = QVBoxLayout(bottom)
        bottom_layout.setContentsMargins(0, 0, 0, 0)
        bottom_layout.addWidget(self.history_filter)
        bottom_layout.addWidget(self.history)
        bottom_layout.addWidget(self.count)
        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(top)
        splitter.addWidget(bottom)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.addWidget(splitter)
        self.items: dict[str, QTreeWidgetItem] = {}
        self.field_items: dict[tuple[str, str], QTreeWidgetItem] = {}
        self._highlighted: dict[tuple[str, str], float] = {}
        self.timer = QTimer(self)
        self.timer.setInterval(REFRESH_MS)
        self.timer.timeout.connect(self.refresh)
        self.timer.start()

    def refresh(self) -> None:
        """Redraw the events that changed, age out highlights, add history rows."""
        dirty = self.store.take_dirty()
        if dirty:
            self.tree.setSortingEnabled(False)
            for entry_id in dirty:
                self._show(entry_id, self.store.latest[entry_id])
            self.tree.setSortingEnabled(True)
            self._apply_filter(self.filter.text())
        now = time.time()
        for key, since in list(self._highlighted.items()):
            if now - since > HIGHLIGHT_FOR:
                self.field_items[key].setBackground(1, QBrush())
                del self._highlighted[key]
        added = self.store.take_history_added()
        if added:
            history = self.store.history
            n = min(added, len(history))
            self.history_model.append([history[i] for i in range(len(history) - n, len(history))])
            if self.history_filter.text() == "":
                self.history.scrollToBottom()
        self.count.setText(
            f"{self.store.received} events received, {len(self.store.latest)} distinct"
        )

    def _show(self, entry_id: str, entry: EventEntry) -> None:
        item = self.items.get(entry_id)
        topic = self.catalogue.events.get(entry.name)
        if item is None:
            item = _EventItem([entry.title, "", ""])
            if topic is None:
                item.setToolTip(0, "not in the protocol catalogue")
            self.tree.addTopLevelItem(item)
            self.items[entry_id] = item
        item.setText(2, format_time(entry.time))
        item.setText(1, f"×{entry.count}")
        for field_name, value in entry.fields.items():
            key = (entry_id, field_name)
            child = self.field_items.get(key)
            spec = topic.fields.get(field_name) if topic else None
            if child is None:
                label = field_name
                if spec is not None and spec.index_base is not None:
                    label += " (0-based)"
                child = QTreeWidgetItem([label, "", ""])
                item.addChild(child)
                self.field_items[key] = child
            text = format_value(self.catalogue, spec, value)
            child.setText(1, text)
            child.setToolTip(1, text)
            if field_name in entry.changed and entry.count > 1:
                child.setBackground(1, HIGHLIGHT)
                self._highlighted[key] = time.time()

    def _apply_filter(self, text: str) -> None:
        text = text.strip().lower()
        for entry_id, item in self.items.items():
            item.setHidden(bool(text) and text not in entry_id.lower())
