"""The Configuration view: the controller's configuration, and the file it uses.

Left, the cRIO's configuration files (``configurationFiles``) with the one in use
marked; choose one and press Set Configuration File (Standby only; the controller
uses it from the next Enable). Right, the ``config`` event in the incumbent's
groups, each value with its unit; values changed by the last ``config`` event
are highlighted.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QFont
from PySide6.QtWidgets import (
    QAbstractItemView,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from m2gui.model.ops.configuration import (
    COMMAND,
    NOTE,
    Configuration,
    set_file_rules,
    short_file_name,
)
from m2gui.model.ops.local_mode import LocalMode
from m2gui.model.procedures.runner import ProcedureRunner
from m2gui.model.session import Session
from m2gui.net import CommandRecord

from ..bridge import listen
from ..command_sender import CommandSender
from ..controls import CommandButton
from ..style import HIGHLIGHT

__all__ = ["ConfigurationView"]

TITLE = "Configuration"
CURRENT_MARK = "  ◀ in use"


class ConfigurationView(QWidget):
    """The ``config`` event with units, and the configuration file chooser.

    Parameters
    ----------
    session : `Session`
        The controller session.
    parent : `QWidget` or None
        Parent widget.
    """

    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.store = session.store(Configuration)
        self.command_sender = CommandSender(session, self)

        self.files = QListWidget()
        self.files.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        self.files.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.files.itemSelectionChanged.connect(self._on_selection)
        self.set_button = CommandButton(
            "Set Configuration File",
            session,
            COMMAND,
            *set_file_rules(),
            tip="setConfigurationFile {file} with the chosen file (asks first)",
        )
        self.set_button.clicked.connect(self.set_file)
        note = QLabel(f"Standby only. {NOTE}")
        note.setWordWrap(True)
        self.outcome = self.command_sender.outcome_label()
        self.command_sender.finished.connect(self._on_finished)

        self.table = QTableWidget(0, 3)
        self.table.setHorizontalHeaderLabels(["Parameter", "Value", "Unit"])
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setDefaultSectionSize(20)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setWordWrap(False)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.ResizeToContents)

        left_box = QGroupBox("Configuration files (cRIO)")
        left = QVBoxLayout(left_box)
        left.addWidget(self.files, 1)
        left.addWidget(self.set_button)
        left.addWidget(note)
        left.addWidget(self.outcome)
        right_box = QGroupBox("Configuration in use (config event)")
        right = QVBoxLayout(right_box)
        right.addWidget(self.table)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(left_box, 4)
        layout.addWidget(right_box, 5)

        self._show_files()
        self._show_config()
        listen(self, self.store.changed, self._on_changed, mode="batch")
        listen(self, session.store(LocalMode).changed, self._on_rules, mode="poke")
        listen(self, session.store(ProcedureRunner).changed, self._on_rules, mode="poke")

    # ------------------------------------------------------------------
    def _on_changed(self, batch: list[tuple[str]]) -> None:
        aspects = {args[0] for args in batch}
        if aspects & {"files", "config"}:
            self._show_files()
        if "config" in aspects:
            self._show_config()
        if "chosen" in aspects:
            self._show_chosen()
        self.set_button.update_state()

    def _on_rules(self) -> None:
        self.set_button.update_state()

    def _show_files(self) -> None:
        self.files.blockSignals(True)
        try:
            self.files.clear()
            for name in self.store.files:
                current = name == self.store.current
                item = QListWidgetItem(short_file_name(name) + (CURRENT_MARK if current else ""))
                item.setData(Qt.ItemDataRole.UserRole, name)
                item.setToolTip(name + (" (in use now)" if current else ""))
                if current:
                    font = QFont(item.font())
                    font.setBold(True)
                    item.setFont(font)
                self.files.addItem(item)
        finally:
            self.files.blockSignals(False)
        self._show_chosen()

    def _show_chosen(self) -> None:
        self.files.blockSignals(True)
        try:
            for row in range(self.files.count()):
                item = self.files.item(row)
                item.setSelected(item.data(Qt.ItemDataRole.UserRole) == self.store.chosen)
        finally:
            self.files.blockSignals(False)

    def _show_config(self) -> None:
        rows = sum(1 + len(g.rows) for g in self.store.groups)
        self.table.clearSpans()
        self.table.setRowCount(rows)
        bold = QFont(self.table.font())
        bold.setBold(True)
        highlight = QBrush(HIGHLIGHT)
        row = 0
        for group in self.store.groups:
            title = QTableWidgetItem(group.title)
            title.setFont(bold)
            self.table.setItem(row, 0, title)
            self.table.setSpan(row, 0, 1, 3)
            row += 1
            for line in group.rows:
                cells = [QTableWidgetItem("  " + line.label), QTableWidgetItem(line.text)]
                cells.append(QTableWidgetItem(line.unit))
                cells[1].setToolTip(f"config.{line.field} = {line.text}")
                for column, cell in enumerate(cells):
                    if line.changed:
                        cell.setBackground(highlight)
                        cell.setToolTip(f"config.{line.field}: changed by the last config event")
                    self.table.setItem(row, column, cell)
                row += 1

    # ------------------------------------------------------------------
    def _on_selection(self) -> None:
        selected = self.files.selectedItems()
        name = selected[0].data(Qt.ItemDataRole.UserRole) if selected else None
        self.store.choose(name if isinstance(name, str) else None)

    def _on_finished(self, record: CommandRecord | None) -> None:
        self.set_button.set_busy(False)

    def set_file(self) -> None:
        """Send ``setConfigurationFile`` for the chosen file (after confirming)."""
        if self.store.chosen is None:
            return
        self.set_button.set_busy(True)
        self.command_sender.send(COMMAND, self.store.set_params())
