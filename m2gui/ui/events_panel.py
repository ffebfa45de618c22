"""Events panel: the latest value of every event as a tree, and the event history."""

from __future__ import annotations

import bisect
import logging
import re
import time
from dataclasses import dataclass
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

from m2gui.model.events import CLEARED, EventEntry, EventStore, HistoryRow
from m2gui.model.format import describe_value
from m2gui.net.ratelog import RateLimitedLog

from .bridge import listen
from .style import HIGHLIGHT, format_time
from .table_model import Index, RowsModel

__all__ = ["EventHistoryModel", "EventsPanel", "RefreshStats", "natural_key"]

log = logging.getLogger(__name__)

#: How often highlights are aged out while there are some, ms.
HIGHLIGHT_TICK_MS = 250
#: How long a changed value stays highlighted, seconds.
HIGHLIGHT_FOR = 1.5
HISTORY_ROWS = 5000
#: Characters of history rows the view keeps (`HistoryRow.size` summed).
HISTORY_CHARS = 2_000_000
_DIGITS = re.compile(r"(\d+)")


class EventHistoryModel(RowsModel[HistoryRow]):
    """The last events: time, event, fields; capped in rows and in characters.

    Attributes
    ----------
    chars : `int`
        Characters of the rows kept (`HistoryRow.size` summed).
    dropped : `int`
        Rows dropped (oldest first) to stay within the caps.
    """

    HEADERS = ("Time", "Event", "Fields")

    def __init__(
        self,
        parent: QWidget | None = None,
        max_rows: int = HISTORY_ROWS,
        max_chars: int = HISTORY_CHARS,
    ) -> None:
        super().__init__(max_rows, parent, max_chars)

    def row_size(self, row: HistoryRow) -> int:
        return row.size

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        row = self.rows[index.row()]
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return (format_time(row.time), row.title, row.text)[column]
        if role == Qt.ItemDataRole.ToolTipRole and column == 2 and row.truncated:
            return f"{row.text}\n(truncated: only the beginning of this event is kept)"
        return None


def natural_key(text: str) -> list[object]:
    """Sort key putting ``innerLoopControlMode[2]`` before ``innerLoopControlMode[10]``."""
    parts = _DIGITS.split(text)
    return [int(part) if i % 2 else part.lower() for i, part in enumerate(parts)]


@dataclass
class RefreshStats:
    """What one refresh of the tree did."""

    #: Events redrawn (top-level rows updated).
    entries: int = 0
    #: Top-level rows inserted.
    inserted: int = 0
    #: Field rows whose value text changed.
    fields: int = 0


class EventsPanel(QWidget):
    """Latest events (changed values highlighted briefly) above a filterable history.

    A refresh costs what changed, not what is shown: events are kept in
    natural name order by inserting each new one in place (no re-sort), only
    the rows of updated events are redrawn, and the filter is applied to new
    rows only (to all rows when its text changes).

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
        self.tree.setSortingEnabled(False)  # kept in order by inserting in place
        header = self.tree.header()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        header.setStretchLastSection(False)
        self.history_model = EventHistoryModel(
            self,
            min(HISTORY_ROWS, store.history_rows),
            min(HISTORY_CHARS, store.history_budget),
        )
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
        self.count.setObjectName("events_count")
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
        self.last_refresh = RefreshStats()
        #: Events that could not be shown (an error drawing them; logged).
        self.errors = 0
        self._order: list[tuple[list[object], str]] = []
        self._shown: dict[tuple[str, str], Any] = {}
        self._filter_text = ""
        self._highlighted: dict[tuple[str, str], float] = {}
        self._problem_log = RateLimitedLog(log)
        #: Ages out the highlights; runs only while there are some.
        self.highlight_timer = QTimer(self)
        self.highlight_timer.setInterval(HIGHLIGHT_TICK_MS)
        self.highlight_timer.timeout.connect(self._age_highlights)
        self.listeners = (
            listen(self, store.updated, self._updated),
            listen(self, store.history_appended, self._history_appended),
        )
        # What the store holds already (a panel opened after connecting).
        self._updated([(entry_id,) for entry_id in store.latest])
        self._history_appended([(row, 0) for row in store.history])

    def refresh(self) -> None:
        """Show now what the store announced (it is otherwise shown at the display rate)."""
        for listener in self.listeners:
            listener.flush()

    def _updated(self, batch: list[tuple[str]]) -> None:
        """Redraw the events that changed: only their rows."""
        stats = RefreshStats()
        for entry_id in dict.fromkeys(entry_id for (entry_id,) in batch):
            entry = self.store.latest.get(entry_id)
            if entry is None:
                self._remove(entry_id)  # forgotten (a replay jumped back)
                continue
            try:
                self._show(entry_id, entry, stats)
            except Exception:
                self.errors += 1
                self._problem_log(
                    logging.ERROR, "show", f"could not show event {entry_id!r}", exc_info=True
                )
        self.last_refresh = stats
        if self._highlighted and not self.highlight_timer.isActive():
            self.highlight_timer.start()
        self._show_count()

    def _age_highlights(self) -> None:
        now = time.time()
        for key, since in list(self._highlighted.items()):
            if now - since > HIGHLIGHT_FOR:
                self.field_items[key].setBackground(1, QBrush())
                del self._highlighted[key]
        if not self._highlighted:
            self.highlight_timer.stop()

    def _history_appended(self, batch: list[tuple[HistoryRow, int]]) -> None:
        """New history rows (the view keeps its own bounded copy)."""
        rows = [row for row, _ in batch]
        if any(row is CLEARED for row in rows):
            last = max(i for i, row in enumerate(rows) if row is CLEARED)
            rows = rows[last + 1 :]
            self.history_model.clear()
        self.history_model.append(rows)
        if self.history_filter.text() == "":
            self.history.scrollToBottom()
        self._show_count()

    def _show_count(self) -> None:
        self.count.setText(self._count_text())

    def _count_text(self) -> str:
        store = self.store
        parts = [f"{store.received} events received, {len(store.latest)} distinct"]
        if store.dropped_unknown:
            parts.append(f"{store.dropped_unknown} of unknown ids not kept")
        if store.dropped_keys:
            parts.append(f"{store.dropped_keys} with too many keys not kept")
        if self.history_model.dropped:
            parts.append(f"{self.history_model.dropped} older history rows dropped")
        return "; ".join(parts)

    def _show(self, entry_id: str, entry: EventEntry, stats: RefreshStats) -> None:
        item = self.items.get(entry_id)
        topic = self.catalogue.events.get(entry.name)
        if item is None:
            item = QTreeWidgetItem([entry.title, "", ""])
            if topic is None:
                item.setToolTip(0, "not in the protocol catalogue")
            key = (natural_key(entry.title), entry_id)
            position = bisect.bisect_left(self._order, key)
            self._order.insert(position, key)
            self.tree.insertTopLevelItem(position, item)
            self.items[entry_id] = item
            item.setHidden(self._hidden(entry_id))
            stats.inserted += 1
        stats.entries += 1
        item.setText(2, format_time(entry.time))
        item.setText(1, f"×{entry.count}")
        for field_name, value in entry.fields.items():
            field_key = (entry_id, field_name)
            child = self.field_items.get(field_key)
            if child is not None and _same(self._shown.get(field_key), value):
                continue
            spec = topic.fields.get(field_name) if topic else None
            if child is None:
                label = field_name
                if spec is not None and spec.index_base is not None:
                    label += " (0-based)"
                child = QTreeWidgetItem([label, "", ""])
                item.addChild(child)
                self.field_items[field_key] = child
            elif entry.count > 1:
                child.setBackground(1, HIGHLIGHT)
                self._highlighted[field_key] = time.time()
            self._shown[field_key] = value
            shown = describe_value(self.catalogue, spec, value)
            child.setText(1, shown.text)
            child.setToolTip(1, f"{shown.problem}\n{shown.text}" if shown.problem else shown.text)
            stats.fields += 1

    def _remove(self, entry_id: str) -> None:
        item = self.items.pop(entry_id, None)
        if item is None:
            return
        for position, (_, shown_id) in enumerate(self._order):
            if shown_id == entry_id:
                del self._order[position]
                break
        self.tree.takeTopLevelItem(self.tree.indexOfTopLevelItem(item))
        for field_key in [k for k in self.field_items if k[0] == entry_id]:
            del self.field_items[field_key]
            self._shown.pop(field_key, None)
            self._highlighted.pop(field_key, None)

    def _hidden(self, entry_id: str) -> bool:
        return bool(self._filter_text) and self._filter_text not in entry_id.lower()

    def _apply_filter(self, text: str) -> None:
        self._filter_text = text.strip().lower()
        for entry_id, item in self.items.items():
            item.setHidden(self._hidden(entry_id))


def _same(shown: Any, value: Any) -> bool:
    """Whether ``value`` shows as ``shown`` does (True and 1 do not)."""
    try:
        return shown is value or (type(shown) is type(value) and bool(shown == value))
    except RecursionError:
        return False
