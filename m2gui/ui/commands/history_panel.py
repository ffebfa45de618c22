"""`HistoryPanel`: every command sent, its replies, latencies and outcome."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from itertools import chain
from typing import Any

from PySide6.QtCore import QModelIndex, Qt, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from m2gui.model.catalogue import Catalogue, load_catalogue
from m2gui.model.format import format_params, join_bounded
from m2gui.model.history import CLEARED, CommandHistory
from m2gui.net import CommandRecord, Outcome

from ..bridge import listen
from ..style import format_time
from ..table_model import Index, RowsModel

__all__ = ["HistoryModel", "HistoryPanel"]

log = logging.getLogger(__name__)

OUTCOME_COLORS = {
    Outcome.SUCCESS: QColor("#2e9d4f"),
    Outcome.ACK: QColor("#c9a000"),
    Outcome.SENT: QColor("#8a8a8a"),
}
FAILED = QColor("#d03030")
#: Characters of the reason and replies shown in the table cell, and in its tool tip.
REASON_CHARS = 200
REASON_TIP_CHARS = 2000
#: Replies shown in the details, and characters of each.
DETAIL_REPLIES = 50
DETAIL_CHARS = 500
#: Characters of the parameters in the table cell, and in its tool tip and the details.
PARAMS_CHARS = 200
PARAMS_TIP_CHARS = 2000


def _ms(value: float | None) -> str:
    return "" if value is None else f"{value * 1e3:.1f}"


def _replies(record: CommandRecord) -> Iterable[str]:
    return chain((record.reason,), record.user_info)


def _params_text(catalogue: Catalogue, record: CommandRecord, limit: int, sep: str) -> str:
    """The parameters with their units at the catalogue's precision, enumeration names."""
    return format_params(catalogue, record.name, record.params, limit, sep)


def _cell(catalogue: Catalogue, record: CommandRecord, column: int) -> str:
    if column == 2:
        return _params_text(catalogue, record, PARAMS_CHARS, ", ")
    if column == 7:  # never join unbounded replies (a flood of late ones) into one cell
        return join_bounded(_replies(record), REASON_CHARS)
    values = (
        format_time(record.sent_at),
        record.name,
        "",
        str(record.sequence_id),
        _ms(record.ack_latency),
        _ms(record.done_latency),
        record.outcome.value,
    )
    return values[column]


def _cut(text: str) -> str:
    return text if len(text) <= DETAIL_CHARS else text[:DETAIL_CHARS] + "…"


class HistoryModel(RowsModel[CommandRecord]):
    """The command history as rows; the newest last.

    Parameters are shown as the events are: numbers with their unit at the
    catalogue's precision (``x=12.35 um``), enumeration names; the tool tip
    and the details also give them exactly as sent.
    """

    HEADERS = ("Time", "Command", "Parameters", "Seq", "Ack ms", "Done ms", "Outcome", "Reason")

    def __init__(
        self,
        history: CommandHistory,
        parent: QWidget | None = None,
        catalogue: Catalogue | None = None,
    ) -> None:
        super().__init__(history.size or 10**9, parent)
        self.history = history
        self.catalogue = catalogue or load_catalogue()
        self._serial: dict[int, int] = {}  # id(record) -> its serial number
        self._first = 0  # serial of rows[0]
        self.append(list(history.records))

    def append(self, rows: list[CommandRecord]) -> None:
        """Add commands at the end (the oldest leave beyond the cap)."""
        serial = self._first + len(self.rows)
        for offset, record in enumerate(rows):
            self._serial[id(record)] = serial + offset
        super().append(rows)

    def drop_front(self, count: int, chars: int | None = None) -> None:
        """Remove the oldest commands; the selection of the others is kept."""
        for record in self.rows[: max(0, count)]:
            self._serial.pop(id(record), None)
        self._first += max(0, min(count, len(self.rows)))
        super().drop_front(count, chars)

    def row_of(self, record: CommandRecord) -> int | None:
        """The row showing ``record``, if it is shown."""
        serial = self._serial.get(id(record))
        if serial is None:
            return None
        row = serial - self._first
        return row if 0 <= row < len(self.rows) and self.rows[row] is record else None

    def record_changed(self, record: CommandRecord) -> int | None:
        """Redraw the row of ``record``; return it."""
        row = self.row_of(record)
        if row is not None:
            self.dataChanged.emit(self.index(row, 0), self.index(row, len(self.HEADERS) - 1))
        return row

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        record = self.rows[index.row()]
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return _cell(self.catalogue, record, column)
        if role == Qt.ItemDataRole.ForegroundRole and column == 6:
            return OUTCOME_COLORS.get(record.outcome, FAILED)
        if role == Qt.ItemDataRole.ToolTipRole and column == 2:
            shown = _params_text(self.catalogue, record, PARAMS_TIP_CHARS, "\n")
            return f"{shown}\n\nas sent: {_cut(json.dumps(record.params))}"
        if role == Qt.ItemDataRole.ToolTipRole and column == 7:
            return join_bounded(_replies(record), REASON_TIP_CHARS, "\n")
        return None


class HistoryPanel(QWidget):
    """The command history with details, re-send and CSV export.

    Parameters
    ----------
    history : `CommandHistory`
        The session's command history.
    parent : `QWidget` or None
        Parent widget.
    catalogue : `Catalogue` or None
        Units, precision and enumerations of the parameters (the packaged
        catalogue by default; pass ``session.catalogue``).
    """

    #: Emitted with (name, params) to put a past command back in the form.
    resend_requested = Signal(str, dict)

    def __init__(
        self,
        history: CommandHistory,
        parent: QWidget | None = None,
        catalogue: Catalogue | None = None,
    ) -> None:
        super().__init__(parent)
        self.history = history
        self.model = HistoryModel(history, self, catalogue)
        self.table = QTableView()
        self.table.setObjectName("history_table")
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QTableView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QTableView.SelectionMode.SingleSelection)
        self.table.verticalHeader().setVisible(False)
        self.table.verticalHeader().setDefaultSectionSize(20)
        self.table.horizontalHeader().setStretchLastSection(True)
        for column, width in enumerate((95, 170, 220, 50, 60, 65, 90)):
            self.table.setColumnWidth(column, width)
        self.table.selectionModel().currentRowChanged.connect(self._show_details)
        self.table.doubleClicked.connect(lambda index: self.resend(index.row()))
        self.details = QPlainTextEdit()
        self.details.setReadOnly(True)
        self.details.setPlaceholderText("Select a command to see all its parameters and replies")
        resend = QPushButton("Re-send into form")
        resend.setToolTip("Put the selected command and its parameters in the command form")
        resend.clicked.connect(lambda: self.resend(self.table.currentIndex().row()))
        export = QPushButton("Export CSV…")
        export.clicked.connect(self._ask_export)
        self.count = QLabel()
        bar = QHBoxLayout()
        bar.addWidget(resend)
        bar.addWidget(export)
        bar.addStretch(1)
        bar.addWidget(self.count)
        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(self.table)
        splitter.addWidget(self.details)
        splitter.setStretchFactor(0, 3)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.addLayout(bar)
        layout.addWidget(splitter, 1)
        self._show_count()
        listen(self, history.appended, self._appended)
        listen(self, history.updated, self._updated)

    def _appended(self, batch: list[tuple[CommandRecord, int]]) -> None:
        """New commands: add their rows (the oldest leave, the selection stays)."""
        bar = self.table.verticalScrollBar()
        at_end = bar.value() >= bar.maximum()
        records = [record for record, _ in batch]
        if any(record is CLEARED for record in records):
            last = max(i for i, record in enumerate(records) if record is CLEARED)
            records = records[last + 1 :]
            self.model.drop_front(len(self.model.rows))
        self.model.append(records)
        if at_end:
            self.table.scrollToBottom()
        self._show_count()

    def _updated(self, batch: list[tuple[CommandRecord]]) -> None:
        """Commands whose replies came: redraw their rows (and the details shown)."""
        current = self.table.currentIndex()
        for record in {id(r): r for (r,) in batch}.values():
            row = self.model.record_changed(record)
            if row is not None and current.isValid() and current.row() == row:
                self._show_details(current)

    def _show_count(self) -> None:
        self.count.setText(f"{len(self.model.rows)} commands")

    def _show_details(self, index: QModelIndex, _: Any = None) -> None:
        if not index.isValid() or index.row() >= len(self.model.rows):
            return
        r = self.model.rows[index.row()]
        lines = [
            f"{r.name}  (sequence id {r.sequence_id})",
            f"outcome: {r.outcome.value}",
            f"ack: {_ms(r.ack_latency) or '-'} ms   done: {_ms(r.done_latency) or '-'} ms",
        ]
        if r.reason:
            lines.append(f"reason: {_cut(r.reason)}")
        lines += [f"controller says: {_cut(info)}" for info in r.user_info[:DETAIL_REPLIES]]
        if len(r.user_info) > DETAIL_REPLIES:
            lines.append(
                f"… {len(r.user_info) - DETAIL_REPLIES} more not shown "
                f"({len(r.user_info)} replies in all)"
            )
        lines.append("parameters:")
        lines.append(_params_text(self.model.catalogue, r, PARAMS_TIP_CHARS, "\n"))
        lines.append("as sent:")
        lines.append(json.dumps(r.params, indent=1))
        self.details.setPlainText("\n".join(lines))

    def resend(self, row: int) -> None:
        """Ask for a past command to be put back in the form."""
        if 0 <= row < len(self.model.rows):
            record = self.model.rows[row]
            self.resend_requested.emit(record.name, dict(record.params))

    def export_csv(self, path: str) -> None:
        """Write the history to a CSV file."""
        with open(path, "w", encoding="utf-8", newline="") as f:
            f.write(self.history.to_csv())
        log.info("command history (%d commands) exported to %s", len(self.history.records), path)

    def _ask_export(self) -> QFileDialog:
        dialog = QFileDialog(self, "Export the command history")
        dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
        dialog.setDefaultSuffix("csv")
        dialog.setNameFilter("CSV files (*.csv)")
        dialog.fileSelected.connect(self.export_csv)
        dialog.open()
        return dialog
