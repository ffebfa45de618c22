"""`AlarmsView`: every fault and warning code, the enabled-faults mask, and a fault timeline.

What it shows comes from `FaultLog` and `FaultMaskEditor`
(``m2gui/model/ops``), which hold the states, the rules and the colours; this
module only lays them out and turns clicks into draft edits or commands sent
through a `CommandSender`.
"""

from __future__ import annotations

import asyncio
import html
import logging
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QItemSelection,
    QItemSelectionModel,
    QModelIndex,
    Qt,
)
from PySide6.QtGui import QBrush, QColor, QFont, QFontDatabase
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QSizePolicy,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from m2gui.model.commanding import requires_mode
from m2gui.model.ops.fault_mask import describe_change, mask_bits, mask_hex
from m2gui.model.ops.fault_mask_editor import APPLY_RULES, MASK_COMMAND, FaultMaskEditor
from m2gui.model.ops.faults import RESET_COMMAND, FaultChange, FaultEntry, FaultLog, FaultState
from m2gui.model.ops.faults_style import BYPASSED_COLOR, Look, mask_look, state_look
from m2gui.model.session import Session
from m2gui.net import CommandRecord

from ..bridge import listen
from ..command_sender import CommandSender
from ..controls import CommandButton
from ..style import format_time
from ..table_model import Index
from .fault_timeline import FaultTimeline

__all__ = ["FILTERS", "AlarmsView", "FaultTableModel", "MaskSender"]

log = logging.getLogger(__name__)

#: The filter choices: which states a row must be in to be shown (None: every code).
FILTERS: dict[str, frozenset[FaultState] | None] = {
    "All codes": None,
    "Active or latched": frozenset({FaultState.ACTIVE, FaultState.LATCHED}),
    "Active only": frozenset({FaultState.ACTIVE}),
}
MAX_LIMIT_COMMAND = "enableOpenLoopMaxLimit"


class FaultTableModel(QAbstractTableModel):
    """One row per fault or warning code (and per reserved code that was ever set).

    The Mask column is checkable: a tick enables the code in the draft mask,
    no tick bypasses it (sent only by Apply).
    """

    HEADERS = ("Code", "Summary", "Class", "State", "First seen", "Last seen", "Count", "Mask")
    CODE, SUMMARY, CLASS, STATE, FIRST, LAST, COUNT, MASK = range(8)

    def __init__(self, faults: FaultLog, editor: FaultMaskEditor, parent: QWidget) -> None:
        super().__init__(parent)
        self.faults = faults
        self.editor = editor
        self.shown: frozenset[FaultState] | None = None
        #: The codes shown, in row order.
        self.codes: list[int] = []
        self.refresh()

    # ------------------------------------------------------------------
    def set_filter(self, shown: frozenset[FaultState] | None) -> None:
        """Show only codes in the states ``shown`` (None: all)."""
        self.shown = shown
        self.refresh()

    def refresh(self) -> None:
        """Follow the fault log: new rows if the set changed, else new values."""
        entries = sorted(
            (e for e in self.faults.entries.values() if not e.row.reserved or e.ever_seen),
            key=lambda e: e.code,
        )
        codes = [e.code for e in entries if self.shown is None or e.state in self.shown]
        if codes != self.codes:
            self.beginResetModel()
            self.codes = codes
            self.endResetModel()
        elif codes:
            self.dataChanged.emit(self.index(0, 0), self.index(len(codes) - 1, self.MASK))

    def entry(self, row: int) -> FaultEntry:
        """The entry shown in ``row``."""
        return self.faults.entry(self.codes[row])

    def row_of(self, code: int) -> int | None:
        """The row showing ``code``, or None if it is filtered out."""
        return self.codes.index(code) if code in self.codes else None

    # ------------------------------------------------------------------
    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.codes)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return len(self.HEADERS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = 0) -> Any:
        if orientation != Qt.Orientation.Horizontal:
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return self.HEADERS[section]
        if role == Qt.ItemDataRole.ToolTipRole and section == self.MASK:
            return "Ticked: enabled in the mask. Unticked: bypassed. Edits change the draft."
        return None

    def look(self, entry: FaultEntry, column: int) -> Look | None:
        """The word and colours of the State and Mask cells."""
        if column == self.STATE:
            return state_look(entry)
        if column == self.MASK:
            draft = self.editor.draft
            in_draft = None if draft is None else bool(draft & entry.row.value)
            by_default = bool(self.faults.default_mask & entry.row.value)
            return mask_look(entry.enabled, in_draft, by_default)
        return None

    def data(self, index: Index, role: int = 0) -> Any:
        if not index.isValid() or index.row() >= len(self.codes):
            return None
        entry = self.entry(index.row())
        column = index.column()
        look = self.look(entry, column)
        R = Qt.ItemDataRole
        if role == R.DisplayRole:
            return look.word if look is not None else self._text(entry, column)
        if role == R.ToolTipRole:
            return self._tip(entry, column)
        if role == R.CheckStateRole and column == self.MASK and self.editor.draft is not None:
            ticked = bool(self.editor.draft & entry.row.value)
            return Qt.CheckState.Checked if ticked else Qt.CheckState.Unchecked
        if look is None:
            if role == R.TextAlignmentRole and column in (self.CODE, self.COUNT):
                return Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
            return None
        if role == R.BackgroundRole and look.background:
            return QBrush(QColor(look.background))
        if role == R.ForegroundRole and look.foreground:
            return QBrush(QColor(look.foreground))
        if role == R.FontRole and look.bold:
            font = QFont()
            font.setBold(True)
            return font
        return None

    def _text(self, entry: FaultEntry, column: int) -> str:
        if column == self.CODE:
            return str(entry.code)
        if column == self.SUMMARY:
            return entry.row.summary
        if column == self.CLASS:
            return entry.row.class_word
        if column == self.FIRST:
            return _clock(entry.first_seen)
        if column == self.LAST:
            return "now" if entry.active else _clock(entry.last_seen)
        if column == self.COUNT:
            return str(entry.count)
        return ""

    def _tip(self, entry: FaultEntry, column: int) -> str:
        row = entry.row
        if column == self.FIRST:
            return _full(entry.first_seen, "first rose since m2gui started")
        if column == self.LAST:
            return _full(entry.last_seen, "last known set")
        if column == self.MASK:
            return f"bit {row.bit}; tick to enable, untick to bypass (in the draft; Apply sends it)"
        if column == self.STATE:
            return {
                FaultState.ACTIVE: "set in the latest summaryFaultsStatus",
                FaultState.LATCHED: "set since the last Reset All Items, clear now",
                FaultState.CLEAR: "not set since the last Reset All Items",
            }[entry.state]
        return f"{row.code} {row.summary} (bit {row.bit}, {row.class_word}): {row.cause}"

    def flags(self, index: Index) -> Qt.ItemFlag:
        flags = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
        if index.column() == self.MASK and self.editor.draft is not None:
            flags |= Qt.ItemFlag.ItemIsUserCheckable
        return flags

    def setData(self, index: Index, value: Any, role: int = 0) -> bool:
        if role != Qt.ItemDataRole.CheckStateRole or index.column() != self.MASK:
            return False
        if not index.isValid() or self.editor.draft is None:
            return False
        checked = Qt.CheckState(value) == Qt.CheckState.Checked
        self.editor.set_enabled(self.entry(index.row()).code, checked)
        return True


def _clock(t: float | None) -> str:
    return "" if t is None else format_time(t)[:8]


def _full(t: float | None, what: str) -> str:
    if t is None:
        return f"never ({what})"
    return f"{format_time(t)} ({what})"


class MaskSender(CommandSender):
    """The view's `CommandSender`; its confirmation of a new mask lists the codes it changes."""

    def __init__(self, session: Session, parent: QWidget, editor: FaultMaskEditor) -> None:
        super().__init__(session, parent)
        self.editor = editor

    async def confirm(self, name: str, params: dict[str, Any]) -> bool:
        """Ask before sending; for the mask, say which codes it bypasses and enables."""
        if name != MASK_COMMAND:
            return await super().confirm(name, params)
        editor = self.editor
        change = describe_change(editor.current, int(params["mask"]), editor.default, editor.table)
        answer: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        lines = "<br>".join(html.escape(line) for line in change.text().splitlines())
        box = QMessageBox(
            QMessageBox.Icon.Warning,
            "Change the enabled faults mask?",
            "<b>setEnabledFaultsMask</b>: bypassed codes are not reported by the controller "
            f"and do not stop the mirror.<br><br>{lines}",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
            self.view,
        )
        box.setDefaultButton(QMessageBox.StandardButton.Cancel)

        def finished(result: int) -> None:
            if not answer.done():
                answer.set_result(result == QMessageBox.StandardButton.Yes)

        box.finished.connect(finished)
        self.confirm_box = box
        box.open()
        try:
            return await answer
        finally:
            self.confirm_box = None
            box.deleteLater()


class AlarmsView(QWidget):
    """Alarms and warnings: the code table, the enabled-faults mask and the timeline.

    Parameters
    ----------
    session : `Session`
        Its ``FaultLog`` and ``FaultMaskEditor`` stores are shown and edited.
    parent : `QWidget` or None
        Parent widget.
    """

    TITLE = "Alarms / Warnings"

    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.faults = session.store(FaultLog)
        self.editor = session.store(FaultMaskEditor)
        self.command_sender = MaskSender(session, self, self.editor)

        # --- the status strip
        self.status_label = QLabel()
        self.status_label.setTextFormat(Qt.TextFormat.RichText)
        self.status_label.setWordWrap(True)
        self.status_label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.filter_box = QComboBox()
        self.filter_box.addItems(list(FILTERS))
        self.filter_box.setToolTip("Which codes the table shows")
        self.filter_box.currentTextChanged.connect(self._filter_picked)

        # --- the table and the selected code's cause
        self.model = FaultTableModel(self.faults, self.editor, self)
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.table.verticalHeader().setVisible(False)
        self.table.verticalHeader().setDefaultSectionSize(22)
        self.table.setWordWrap(False)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setSectionResizeMode(FaultTableModel.SUMMARY, QHeaderView.ResizeMode.Stretch)
        for column, width in ((0, 44), (2, 58), (3, 72), (4, 70), (5, 70), (6, 44), (7, 106)):
            self.table.setColumnWidth(column, width)
        self.table.selectionModel().selectionChanged.connect(self._selection_changed)
        self._reselect: list[int] = []
        self.model.modelAboutToBeReset.connect(self._keep_selection)
        self.model.modelReset.connect(self._restore_selection)
        self.cause = QLabel("Select a code to read what raises it.")
        self.cause.setWordWrap(True)
        self.cause.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Minimum)

        # --- the mask
        fixed = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
        self.mask_label = QLabel()
        self.mask_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.draft_edit = QLineEdit()
        self.draft_edit.setFont(fixed)
        self.draft_edit.setMinimumWidth(self.draft_edit.fontMetrics().horizontalAdvance("0" * 19))
        self.draft_edit.setToolTip("The draft mask: type hex (0x...) or decimal, then Enter")
        self.draft_edit.editingFinished.connect(self._draft_typed)
        self.draft_problem = QLabel()
        self.draft_problem.setWordWrap(True)
        self.bits_label = QLabel()
        self.bits_label.setFont(fixed)
        self.bits_label.setToolTip("The draft's 64 bits; bit n enables the code of fault bit n")
        self.bypassed_label = QLabel()
        self.bypassed_label.setWordWrap(True)
        self.bypassed_label.setTextFormat(Qt.TextFormat.RichText)
        self.bypass_button = QPushButton("Bypass selected")
        self.bypass_button.setToolTip(
            "Untick the selected codes in the draft, with 1000-1002 and 6052 as the incumbent "
            "does; Apply sends it"
        )
        self.bypass_button.clicked.connect(self._bypass_selected)
        self.default_button = QPushButton("Reset to default")
        self.default_button.setToolTip(
            "Put the default mask 0xFF800007FFFFFFFF (every code enabled) in the draft"
        )
        self.default_button.clicked.connect(self._reset_to_default)
        self.revert_button = QPushButton("Revert")
        self.revert_button.setToolTip("Drop the draft's edits: the controller's mask again")
        self.revert_button.clicked.connect(self.editor.revert)
        self.apply_button = CommandButton(
            "Apply mask…",
            session,
            MASK_COMMAND,
            *APPLY_RULES,
            tip="Send the draft as setEnabledFaultsMask (asks first)",
        )
        self.apply_button.clicked.connect(self._apply)

        # --- the actions
        self.reset_button = CommandButton(
            "Reset All Items",
            session,
            RESET_COMMAND,
            tip="Send clearErrors: the controller clears what it can; latched rows clear",
        )
        self.reset_button.clicked.connect(self._reset_all)
        self.max_limit_button = CommandButton(
            "Enable Open-Loop Max Limits",
            session,
            MAX_LIMIT_COMMAND,
            requires_mode(1, 2, 3),
            tip="Send enableOpenLoopMaxLimit {status: true}: raises the open-loop force limits "
            "to 622.75 N axial and 6227.51 N tangent (not in closed loop)",
        )
        self.max_limit_button.clicked.connect(self._enable_max_limits)
        self.outcome = self.command_sender.outcome_label()
        self.command_sender.finished.connect(self._finished)

        self.timeline = FaultTimeline(session)
        self._build_layout()

        listen(self, self.faults.changed, self._on_faults, mode="batch")
        listen(self, self.editor.changed, self._on_draft, mode="poke")
        listen(self, session.link.changed, self._show_status, mode="poke")
        self._show_status()
        self._on_draft()
        self._selection_changed()

    # ------------------------------------------------------------------
    def _build_layout(self) -> None:
        top = QHBoxLayout()
        top.addWidget(self.status_label, 1)
        top.addWidget(QLabel("Show:"))
        top.addWidget(self.filter_box)

        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addWidget(self.table, 1)
        left_layout.addWidget(self.cause)

        mask_box = QGroupBox("Enabled faults mask")
        grid = QGridLayout(mask_box)
        grid.addWidget(self.mask_label, 0, 0, 1, 2)
        grid.addWidget(QLabel("Draft:"), 1, 0)
        grid.addWidget(self.draft_edit, 1, 1)
        grid.addWidget(self.bits_label, 2, 0, 1, 2)
        grid.addWidget(self.draft_problem, 3, 0, 1, 2)
        grid.addWidget(self.bypassed_label, 4, 0, 1, 2)
        grid.addWidget(self.bypass_button, 5, 0)
        grid.addWidget(self.default_button, 5, 1)
        grid.addWidget(self.revert_button, 6, 0)
        grid.addWidget(self.apply_button, 6, 1)
        grid.setRowStretch(7, 1)
        mask_box.setMaximumWidth(270)

        middle = QSplitter(Qt.Orientation.Horizontal)
        middle.addWidget(left)
        middle.addWidget(mask_box)
        middle.setStretchFactor(0, 1)
        middle.setChildrenCollapsible(False)

        vertical = QSplitter(Qt.Orientation.Vertical)
        vertical.addWidget(middle)
        vertical.addWidget(self.timeline)
        vertical.setStretchFactor(0, 3)
        vertical.setStretchFactor(1, 1)
        vertical.setSizes([380, 150])
        vertical.setChildrenCollapsible(False)
        self.timeline.setMinimumHeight(110)

        actions = QHBoxLayout()
        actions.addWidget(self.reset_button)
        actions.addWidget(self.max_limit_button)
        actions.addWidget(self.outcome, 1)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addLayout(top)
        layout.addWidget(vertical, 1)
        layout.addLayout(actions)

    # ------------------------------------------------------------------
    # Showing the stores
    # ------------------------------------------------------------------
    def _on_faults(self, batch: list[tuple[FaultChange]]) -> None:
        self.model.refresh()
        self._show_status()
        if any(c.mask for (c,) in batch):
            self._show_mask()
        self._selection_changed()

    def _on_draft(self) -> None:
        self._show_mask()
        self.model.refresh()
        self.apply_button.update_state()

    def _show_status(self) -> None:
        faults = self.faults
        status = "not reported yet" if faults.status is None else mask_hex(faults.status)
        counts = faults.counts()
        active = counts["faults"] + counts["warnings"] + counts["other"]
        parts = [f"Summary faults status <b>{status}</b>"]
        if active:
            parts.append(
                f"<b>{active} active</b>: {counts['faults']} fault(s), "
                f"{counts['warnings']} warning(s)"
            )
        else:
            parts.append("none active")
        parts.append(f"{counts['latched']} latched")
        if not self.session.link.connected:
            parts.append("<i>disconnected: states as last reported</i>")
        self.status_label.setText(" · ".join(parts))

    def _show_mask(self) -> None:
        editor = self.editor
        current = editor.current
        self.mask_label.setText(
            "Controller: " + ("not reported yet" if current is None else mask_hex(current))
        )
        draft = editor.draft
        if not self.draft_edit.hasFocus():
            self.draft_edit.setText("" if draft is None else mask_hex(draft))
        groups = mask_bits(draft or 0).split() if draft is not None else []
        self.bits_label.setText(
            "\n".join(
                f"{63 - 16 * i:2d}-{48 - 16 * i:2d} {groups[2 * i]} {groups[2 * i + 1]}"
                for i in range(4)
            )
            if groups
            else ""
        )
        problem = editor.problem() if editor.edited or draft == 0 else None
        self.draft_problem.setText(
            f"<span style='color:{BYPASSED_COLOR}'>{html.escape(problem)}</span>"
            if problem
            else ("Draft edited: Apply to send it." if editor.edited else "")
        )
        bypassed = self.faults.bypassed
        self.bypassed_label.setText(
            "Bypassed: "
            + (
                f"<b style='color:{BYPASSED_COLOR}'>"
                + html.escape(", ".join(str(r.code) for r in bypassed))
                + "</b>"
                if bypassed
                else "none"
            )
        )
        self.bypassed_label.setToolTip(
            "\n".join(f"{r.code} {r.summary}" for r in bypassed) or "No code is bypassed"
        )
        self.revert_button.setEnabled(editor.edited)
        self.default_button.setEnabled(draft is not None and draft != editor.default)

    def _selection_changed(self, *_: QItemSelection) -> None:
        codes = self.selected_codes()
        if codes:
            row = self.faults.entry(codes[0]).row
            more = f" (and {len(codes) - 1} more selected)" if len(codes) > 1 else ""
            self.cause.setText(
                f"<b>{row.code} {html.escape(row.summary)}</b>: {html.escape(row.cause)}{more}"
            )
        alarms = [c for c in codes if not self.faults.entry(c).row.reserved]
        self.bypass_button.setEnabled(bool(alarms) and self.editor.draft is not None)

    def _keep_selection(self) -> None:
        self._reselect = self.selected_codes()

    def _restore_selection(self) -> None:
        selection = self.table.selectionModel()
        for code in self._reselect:
            row = self.model.row_of(code)
            if row is not None:
                selection.select(
                    self.model.index(row, 0),
                    QItemSelectionModel.SelectionFlag.Select
                    | QItemSelectionModel.SelectionFlag.Rows,
                )
        self._reselect = []

    def selected_codes(self) -> list[int]:
        """The codes of the selected rows, by code."""
        rows = {i.row() for i in self.table.selectionModel().selectedRows()}
        return sorted(self.model.codes[r] for r in rows if r < len(self.model.codes))

    # ------------------------------------------------------------------
    # Actions
    # ------------------------------------------------------------------
    def _filter_picked(self, text: str) -> None:
        self.model.set_filter(FILTERS.get(text))
        self._selection_changed()

    def _draft_typed(self) -> None:
        try:
            self.editor.set_text(self.draft_edit.text())
        except ValueError as error:
            self.draft_problem.setText(
                f"<span style='color:{BYPASSED_COLOR}'>{html.escape(str(error))}</span>"
            )

    def _bypass_selected(self) -> None:
        try:
            self.editor.bypass(self.selected_codes())
        except (ValueError, KeyError) as error:
            self.outcome.setText(html.escape(str(error)))

    def _reset_to_default(self) -> None:
        self.editor.reset_to_default()

    def _apply(self) -> None:
        try:
            params = self.editor.params()
        except ValueError as error:
            self.outcome.setText(html.escape(str(error)))
            return
        self._send(MASK_COMMAND, params)

    def _reset_all(self) -> None:
        self._send(RESET_COMMAND, {})

    def _enable_max_limits(self) -> None:
        self._send(MAX_LIMIT_COMMAND, {"status": True})

    def _send(self, name: str, params: dict[str, Any]) -> None:
        if self.command_sender.busy:
            return
        for button in self._command_buttons():
            button.set_busy(True)
        self.command_sender.send(name, params)

    def _finished(self, record: CommandRecord | None) -> None:
        for button in self._command_buttons():
            button.set_busy(False)

    def _command_buttons(self) -> tuple[CommandButton, ...]:
        return (self.apply_button, self.reset_button, self.max_limit_button)
