"""`ForcesView`: the detailed per-actuator forces table, sortable, filtered by ring.

A thin view over the Qt-free `ForcesTable` store: the table model reads the
store's text, tool tips and flags; when telemetry arrives the store announces
the columns that changed and the view emits ``dataChanged`` for them (the
model is never reset, so sorting, selection and scrolling stay). Below the
table, min/max/total rows summarise the actuators the ring filter shows.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np
from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QPersistentModelIndex,
    QPoint,
    QSortFilterProxyModel,
    Qt,
)
from PySide6.QtGui import QColor, QFont
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from m2gui.model.cell.forces import (
    COLUMNS,
    FLAG_COLORS,
    FLAG_MARKS,
    FLAG_TEXT_COLORS,
    RING_FILTERS,
    ForcesTable,
    LimitFlag,
    SummaryRow,
)
from m2gui.model.format import format_index_list
from m2gui.model.session import Session

from ..bridge import listen
from ..plot_menu import add_plot_menu

__all__ = ["ForcesTableModel", "ForcesView", "SummaryModel"]

Index = QModelIndex | QPersistentModelIndex
#: Role giving the number a column sorts by.
SORT_ROLE = Qt.ItemDataRole.UserRole
#: Role giving what the ring filters match.
FILTER_ROLE = Qt.ItemDataRole.UserRole + 1
#: Seconds between two re-sorts of the rows as values change.
RESORT_S = 1.0
#: Most signals one "Plot" of a cell selection sends.
MAX_PLOT_SIGNALS = 24
_KEYS = [c.key for c in COLUMNS]
_RIGHT = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
_LEFT = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter
_ALIGN_RIGHT, _ALIGN_LEFT = int(_RIGHT), int(_LEFT)
_DISPLAY = int(Qt.ItemDataRole.DisplayRole)
_SORT = int(SORT_ROLE)
_FILTER = int(FILTER_ROLE)
_ALIGN = int(Qt.ItemDataRole.TextAlignmentRole)
_TOOLTIP = int(Qt.ItemDataRole.ToolTipRole)
_FONT = int(Qt.ItemDataRole.FontRole)
_BACKGROUND = int(Qt.ItemDataRole.BackgroundRole)
_FOREGROUND = int(Qt.ItemDataRole.ForegroundRole)
#: The roles the table answers (Qt asks for many more, for every cell).
_ROLES = frozenset({_DISPLAY, _SORT, _FILTER, _ALIGN, _TOOLTIP, _FONT, _BACKGROUND, _FOREGROUND})
_HEADER_TIPS = {
    "force_error": "LUT gravity + LUT temperature (axial only) + applied + hardpoint correction"
    " − measured; 0 at the hardpoints, as the incumbent and the vendor's code do",
    "measured": "Checked against the force limits of the current control mode: "
    "⚠ beyond the limit, ! within 5 % of it",
    "position": "Encoder position, received in µm, shown in mm",
    "hardpoint_correction": "Kept from the last full list while the controller is faulted",
}


class ForcesTableModel(QAbstractTableModel):
    """The 78 rows of a `ForcesTable`, for a table view (sorted by a proxy).

    Qt asks for a cell's text and sort key many times a frame (the proxy's
    sort compares them pairwise): both are cached per column and dropped
    when the column changes.

    Parameters
    ----------
    table : `ForcesTable`
        The store it shows.
    """

    def __init__(self, table: ForcesTable, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.table = table
        self._rows = table.n
        self._columns = len(COLUMNS)
        self._bold = QFont()
        self._bold.setBold(True)
        self._text: list[list[str | None]] = [[None] * self._rows for _ in COLUMNS]
        self._sort: list[list[float] | None] = [None] * self._columns

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else self._rows

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else self._columns

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = 0) -> Any:
        if orientation != Qt.Orientation.Horizontal or not 0 <= section < len(COLUMNS):
            return None
        column = COLUMNS[section]
        if role == Qt.ItemDataRole.DisplayRole:
            return column.short_header
        if role == Qt.ItemDataRole.ToolTipRole:
            tip = _HEADER_TIPS.get(column.key)
            return f"{column.header}: {tip}" if tip else column.header
        return None

    def data(self, index: Index, role: int = 0) -> Any:
        if role not in _ROLES or not index.isValid():
            return None  # most roles Qt asks for: answered first, cheaply
        row, column = index.row(), index.column()
        if role == _SORT:
            return self._sort_keys(column)[row]
        key = _KEYS[column]
        table = self.table
        if role == _DISPLAY:
            text = self._text[column][row]
            if text is None:
                text = self._text[column][row] = table.text(row, key)
            return text
        if role == _FILTER:
            return table.filter_key(row)
        if role == _ALIGN:
            return _ALIGN_LEFT if key == "actuator" else _ALIGN_RIGHT
        if role == _TOOLTIP:
            return table.tooltip(row, key)
        if role == _FONT:
            return self._bold if key == "actuator" and table.is_hardpoint(row) else None
        if key != "measured":
            return None
        flag = table.flag(row, key)
        if flag is LimitFlag.OK:
            return None
        return QColor((FLAG_COLORS if role == _BACKGROUND else FLAG_TEXT_COLORS)[flag])

    def _sort_keys(self, column: int) -> list[float]:
        keys = self._sort[column]
        if keys is None:
            key = _KEYS[column]
            if key == "actuator":
                keys = [float(i) for i in range(self._rows)]
            else:
                values = self.table.values[key]
                keys = np.where(np.isfinite(values), values, np.inf).tolist()
            self._sort[column] = keys
        return keys

    def columns_changed(self, keys: set[str]) -> None:
        """Announce new values in the columns ``keys`` (every row), never a reset."""
        columns = [i for i, key in enumerate(_KEYS) if key in keys]
        for column in columns:
            self._text[column] = [None] * self._rows
            self._sort[column] = None
        if columns and self._rows:
            self.dataChanged.emit(
                self.index(0, min(columns)), self.index(self._rows - 1, max(columns))
            )


class SummaryModel(QAbstractTableModel):
    """Min/max/total rows of the actuators shown, column-aligned with the table."""

    def __init__(self, table: ForcesTable, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.table = table
        self.rows: list[SummaryRow] = []

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(COLUMNS)

    def data(self, index: Index, role: int = 0) -> Any:
        if not index.isValid() or index.row() >= len(self.rows):
            return None
        row, key = self.rows[index.row()], _KEYS[index.column()]
        if role == Qt.ItemDataRole.DisplayRole:
            return self.table.summary_text(row, key)
        if role == Qt.ItemDataRole.ToolTipRole:
            return self.table.summary_tooltip(row, key)
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return _ALIGN_LEFT if key == "actuator" else _ALIGN_RIGHT
        return None

    def set_rows(self, rows: list[SummaryRow]) -> None:
        """Show ``rows``: new values in place, a reset only when the rows themselves change."""
        if [r.title for r in rows] == [r.title for r in self.rows]:
            self.rows = rows
            if rows:
                self.dataChanged.emit(self.index(0, 0), self.index(len(rows) - 1, len(COLUMNS) - 1))
            return
        self.beginResetModel()
        self.rows = rows
        self.endResetModel()


class ForcesView(QWidget):
    """Detailed forces of the 78 actuators: LUTs, applied, measured, error, steps, position.

    Sort by any column (click its header; the order follows the live values
    once a second, so rows do not jitter), show one ring with the filter,
    read min/max/total of the rows shown below the table. Measured forces
    beyond the limit of the current control mode are marked ⚠ (vermilion),
    within 5 % of it ! (orange). Right-click a cell (or a selection of cells)
    and "Plot" it; double-click plots one cell.

    Parameters
    ----------
    session : `Session`
        Where the forces come from (``session.store(ForcesTable)``).
    """

    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.store = store = session.store(ForcesTable)

        self.ring = QComboBox()
        self.ring.addItems(list(RING_FILTERS))
        self.ring.setToolTip("Show one ring (A is the tangent links) or the hardpoints")
        self.ring.currentTextChanged.connect(self._filter_changed)
        self.hardpoints_label = QLabel()
        self.hardpoints_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.limits_label = QLabel()
        self.limits_label.setWordWrap(True)

        self.model = ForcesTableModel(store, self)
        self.proxy = QSortFilterProxyModel(self)
        self.proxy.setSourceModel(self.model)
        self.proxy.setSortRole(SORT_ROLE)
        self.proxy.setFilterRole(FILTER_ROLE)
        self.proxy.setFilterKeyColumn(0)
        # Re-sorted at most every RESORT_S as values change (see `_changed`).
        self.proxy.setDynamicSortFilter(False)
        self._sorted_at = 0.0
        self.table = QTableView()
        self.table.setObjectName("forces_table")
        self.table.setModel(self.proxy)
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(0, Qt.SortOrder.AscendingOrder)
        self.table.setAlternatingRowColors(True)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().setVisible(False)
        self.table.verticalHeader().setDefaultSectionSize(22)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(True)
        self.table.doubleClicked.connect(self._double_clicked)
        add_plot_menu(self.table.viewport(), session, self.signals_at)

        self.summary_model = SummaryModel(store, self)
        self.summary = QTableView()
        self.summary.setObjectName("forces_summary")
        self.summary.setModel(self.summary_model)
        self.summary.horizontalHeader().setVisible(False)
        self.summary.horizontalHeader().setStretchLastSection(True)
        self.summary.verticalHeader().setVisible(False)
        self.summary.verticalHeader().setDefaultSectionSize(22)
        self.summary.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.summary.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.summary.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.summary.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.summary.setStyleSheet("QTableView { font-weight: bold; }")
        widths = [100, 88, 106, 84, 96, 98, 84, 70, 80]
        for column, width in enumerate(widths):
            self.table.setColumnWidth(column, width)
            self.summary.setColumnWidth(column, width)
        header.sectionResized.connect(self._column_resized)
        self.table.horizontalScrollBar().valueChanged.connect(
            self.summary.horizontalScrollBar().setValue
        )

        top = QHBoxLayout()
        top.addWidget(QLabel("Show"))
        top.addWidget(self.ring)
        top.addSpacing(12)
        top.addWidget(self.hardpoints_label, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(top)
        layout.addWidget(self.limits_label)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.summary)

        self._filter_changed(self.ring.currentText())
        self._refresh_labels()
        listen(self, store.changed, self._changed, defer_hidden=True)

    # ------------------------------------------------------------------
    def _changed(self, batch: list[tuple[tuple[str, ...]]]) -> None:
        keys = {key for (keys,) in batch for key in keys}
        self.model.columns_changed(keys)
        if "actuator" in keys:  # the hardpoints changed: the "Hardpoints" filter too
            self.proxy.invalidate()
        elif _KEYS[self.proxy.sortColumn()] in keys and (
            time.monotonic() - self._sorted_at >= RESORT_S
        ):
            self.resort()
        self._refresh_summary()
        if keys & {"actuator", "measured"}:
            self._refresh_labels()

    def resort(self) -> None:
        """Put the rows in the order of the sort column's values now.

        Values change at the display rate; the order follows them at most
        once every `RESORT_S`, so that rows of close values do not jitter.
        """
        self._sorted_at = time.monotonic()
        self.proxy.sort(self.proxy.sortColumn(), self.proxy.sortOrder())

    def _filter_changed(self, name: str) -> None:
        self.proxy.setFilterRegularExpression(self.store.filter_pattern(name))
        self._refresh_summary()

    def _refresh_summary(self) -> None:
        indices = self.store.filter_indices(self.ring.currentText())
        self.summary_model.set_rows(self.store.summary(indices))
        rows = self.summary_model.rowCount()
        height = rows * self.summary.verticalHeader().defaultSectionSize() + 4
        self.summary.setFixedHeight(max(height, 6))

    def _refresh_labels(self) -> None:
        store = self.store
        points = store.hardpoints
        if points:
            names = [store.geometry.labels[i] for i in points]
            axial = ", ".join(n for i, n in zip(points, names, strict=True) if i < store.n_axial)
            tangent = ", ".join(n for i, n in zip(points, names, strict=True) if i >= store.n_axial)
            self.hardpoints_label.setText(
                f"Hardpoints (HP): {axial} axial · {tangent} tangent "
                f"(0-based {format_index_list(list(points))})"
            )
        else:
            self.hardpoints_label.setText("Hardpoints: not reported yet")
        beyond = store.flags()
        over = (
            f" · <b>{FLAG_MARKS[LimitFlag.BEYOND]}{len(beyond)} beyond</b>: "
            + ", ".join(store.geometry.labels[i] for i in beyond[:12])
            + ("…" if len(beyond) > 12 else "")
            if beyond
            else ""
        )
        self.limits_label.setText(
            f"Measured forces against the {store.limits_text}: "
            f"<span style='background:{FLAG_COLORS[LimitFlag.BEYOND]}; color:white'>"
            f"&nbsp;{FLAG_MARKS[LimitFlag.BEYOND]}beyond&nbsp;</span> "
            f"<span style='background:{FLAG_COLORS[LimitFlag.NEAR]}; color:black'>"
            f"&nbsp;{FLAG_MARKS[LimitFlag.NEAR]}within 5 %&nbsp;</span>{over}"
        )

    def _column_resized(self, column: int, _old: int, new: int) -> None:
        self.summary.setColumnWidth(column, new)

    # ------------------------------------------------------------------
    def source_index(self, index: QModelIndex) -> tuple[int, str]:
        """``(actuator index, column key)`` of a cell of the (sorted) table."""
        source = self.proxy.mapToSource(index)
        return source.row(), _KEYS[source.column()]

    def signals_at(self, position: QPoint) -> list[str]:
        """The telemetry signals of the cell under ``position`` (or of the selection it is in)."""
        index = self.table.indexAt(position)
        if not index.isValid():
            return []
        selection = self.table.selectionModel()
        cells = [index]
        if selection is not None and selection.isSelected(index):
            cells = sorted(selection.selectedIndexes(), key=lambda i: (i.column(), i.row()))
        names: list[str] = []
        for cell in cells:
            row, key = self.source_index(cell)
            names.extend(self.store.signals(row, key))
        return list(dict.fromkeys(names))[:MAX_PLOT_SIGNALS]

    def _double_clicked(self, index: QModelIndex) -> None:
        row, key = self.source_index(index)
        self.session.plots.request(self.store.signals(row, key))

    def visible_actuators(self) -> list[int]:
        """The actuator indices shown, in the table's order."""
        return [
            self.proxy.mapToSource(self.proxy.index(r, 0)).row()
            for r in range(self.proxy.rowCount())
        ]
