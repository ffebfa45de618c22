"""The Diagnostics view: power, tangent load cells, digital I/O, control mode, reboot.

Everything shown comes from the `Diagnostics` store (Qt-free); every button is a
`CommandButton` with the model's rules, and sends through one `CommandSender`
(validated, confirmed when dangerous, recorded in the history). Right-click a
power or load-cell value to plot it.
"""

from __future__ import annotations

import logging
from typing import Any

from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFrame,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QScrollArea,
    QSizePolicy,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from m2gui.model.ops.diagnostics import Diagnostics
from m2gui.model.ops.diagnostics_control_mode import (
    COMMAND as MODE_COMMAND,
)
from m2gui.model.ops.diagnostics_control_mode import (
    control_mode_choices,
    control_mode_params,
    mode_text,
)
from m2gui.model.ops.diagnostics_power import format_reading
from m2gui.model.ops.diagnostics_rules import output_toggle_rule, reboot_rule
from m2gui.model.ops.digital_io import (
    GUIDE_NOTE,
    POLARITY_NOTE,
    Bit,
    output_advice,
    output_lamp,
    switch_output_params,
)
from m2gui.model.ops.local_mode import LocalMode
from m2gui.model.ops.overview_lamps import Lamp
from m2gui.model.procedures.runner import ProcedureRunner
from m2gui.model.session import Session
from m2gui.net import CommandRecord

from ..bridge import listen
from ..command_sender import CommandSender
from ..controls import CommandButton
from ..plot_menu import add_plot_menu

__all__ = ["DiagnosticsView"]

log = logging.getLogger(__name__)

TITLE = "Diagnostics"
ROW_HEIGHT = 20
INPUT_ROW_HEIGHT = 15
#: Room around a cell's text (both sides together), pixels.
CELL_PADDING = 11


def lamp_style(lamp: Lamp) -> str:
    """Style sheet of a lamp label: its colours, bold word."""
    return (
        f"QLabel {{ background: {lamp.color}; color: {lamp.text_color}; font-weight: bold;"
        " border-radius: 3px; padding: 1px 6px; }"
    )


def paint_item(item: QTableWidgetItem, lamp: Lamp) -> None:
    """Show a lamp in a table cell: symbol and word on its colour."""
    item.setText(lamp.text)
    item.setToolTip(lamp.detail)
    item.setBackground(QBrush(QColor(lamp.color)))
    item.setForeground(QBrush(QColor(lamp.text_color)))
    item.setTextAlignment(Qt.AlignmentFlag.AlignCenter)


def _table(rows: int, headers: list[str], row_labels: list[str] | None = None) -> QTableWidget:
    table = QTableWidget(rows, len(headers))
    table.setHorizontalHeaderLabels(headers)
    if row_labels is None:
        table.verticalHeader().hide()
    else:
        table.setVerticalHeaderLabels(row_labels)
    table.verticalHeader().setDefaultSectionSize(ROW_HEIGHT)
    table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
    table.setFocusPolicy(Qt.FocusPolicy.NoFocus)
    table.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAsNeeded)
    table.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
    for r in range(rows):
        for c in range(len(headers)):
            item = QTableWidgetItem("—")
            item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            table.setItem(r, c, item)
    header = table.horizontalHeader()
    header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    header.setStretchLastSection(True)
    return table


def _cell(table: QTableWidget, row: int, column: int) -> QTableWidgetItem:
    item = table.item(row, column)
    assert item is not None  # every cell is made with the table
    return item


def _fit_height(table: QTableWidget) -> None:
    """Make a table exactly as tall as its rows (it never scrolls)."""
    rows = table.verticalHeader().defaultSectionSize() * table.rowCount()
    table.setFixedHeight(table.horizontalHeader().sizeHint().height() + rows + 4)
    table.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)


def _fit_width(table: QTableWidget, samples: list[str], scrollbar: bool = False) -> None:
    """Fix the columns to hold ``samples`` (the widest text of each) and the table to fit."""
    metrics = table.fontMetrics()
    header = table.horizontalHeader()
    header.setStretchLastSection(False)
    width = 4
    for column, sample in enumerate(samples):
        title = table.horizontalHeaderItem(column)
        text_width = metrics.horizontalAdvance(sample)
        if title is not None:
            text_width = max(text_width, metrics.horizontalAdvance(title.text()))
        header.setSectionResizeMode(column, QHeaderView.ResizeMode.Fixed)
        table.setColumnWidth(column, text_width + CELL_PADDING)
        width += text_width + CELL_PADDING
    if not table.verticalHeader().isHidden():
        labels = [table.verticalHeaderItem(r) for r in range(table.rowCount())]
        widest = max((metrics.horizontalAdvance(i.text()) for i in labels if i), default=0)
        width += widest + 12
    if scrollbar:
        width += table.verticalScrollBar().sizeHint().width()
    table.setFixedWidth(width)


class DiagnosticsView(QWidget):
    """Power, load cells, the 8 outputs with toggles, the 32 inputs, mode, reboot.

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
        self.store = session.store(Diagnostics)
        self.catalogue = session.catalogue
        self.command_sender = CommandSender(session, self)
        self.buttons: list[CommandButton] = []

        # power -------------------------------------------------------
        self.power_table = _table(
            len(self.store.power),
            ["Calibrated", "Raw"],
            [r.label.replace("Communication", "Comm") for r in self.store.power],
        )
        _fit_height(self.power_table)
        _fit_width(self.power_table, ["000.00 V", "000.00 V"])
        add_plot_menu(self.power_table, session, self._power_signals_at)

        # load cells --------------------------------------------------
        rows = self.store.load_cells
        self.load_table = _table(
            len(rows), ["Error", "Limit", "Result", "Reported"], [r.key for r in rows]
        )
        _fit_height(self.load_table)
        _fit_width(self.load_table, ["-00000.0", "0000 N", "● no data", "-00000.0"])
        for i, row in enumerate(rows):
            limit = _cell(self.load_table, i, 1)
            limit.setText(f"{row.threshold:g} N")
            limit.setToolTip(f"{row.label}: fails when |error| >= {row.threshold:g} N")
            header = self.load_table.verticalHeaderItem(i)
            if header is not None:
                header.setToolTip(row.label)
        self.load_table.setToolTip(
            "Computed by m2gui from tangentForce.measured and the zenith angle, as the "
            "controller does; 'Reported' is what the controller reports in forceErrorTangent."
        )
        add_plot_menu(self.load_table, session, self._load_signals_at)
        self.fault_label = QLabel()
        self.fault_label.setWordWrap(True)

        # digital outputs ---------------------------------------------
        self.output_lamps: list[QLabel] = []
        self.toggles: list[CommandButton] = []
        outputs = QGridLayout()
        outputs.setVerticalSpacing(2)
        for bit in self.store.outputs_bits:
            name = QLabel(f"{bit.tag} {bit.short_label}")
            name.setToolTip(bit.label)
            lamp = QLabel()
            lamp.setAlignment(Qt.AlignmentFlag.AlignCenter)
            lamp.setMinimumWidth(64)
            button = self._button(
                "Toggle",
                "switchDigitalOutput",
                output_toggle_rule,
                tip=f"switchDigitalOutput {{bit: {bit.value}, status: ToggleBit}}",
            )
            button.clicked.connect(lambda _=False, b=bit: self.toggle(b))
            outputs.addWidget(name, bit.index, 0)
            outputs.addWidget(lamp, bit.index, 1)
            outputs.addWidget(button, bit.index, 2)
            self.output_lamps.append(lamp)
            self.toggles.append(button)
        guide = QLabel(GUIDE_NOTE)
        guide.setWordWrap(True)
        small = guide.font()
        small.setPointSizeF(small.pointSizeF() * 0.85)
        guide.setFont(small)

        # digital inputs: two halves side by side (D0-D15, D16-D31) --
        bits = self.store.inputs_bits
        self.inputs_half = (len(bits) + 1) // 2
        self.inputs_table = _table(self.inputs_half, ["Bit", "Input", "State"] * 2)
        for i, bit in enumerate(bits):
            self.input_item(i, 0).setText(bit.tag)
            cell = self.input_item(i, 1)
            cell.setText(bit.short_label)
            cell.setToolTip(bit.label)
            cell.setTextAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        compact = self.inputs_table.font()
        compact.setPointSizeF(compact.pointSizeF() * 0.9)
        self.inputs_table.setFont(compact)
        self.inputs_table.verticalHeader().setMinimumSectionSize(INPUT_ROW_HEIGHT)
        self.inputs_table.verticalHeader().setDefaultSectionSize(INPUT_ROW_HEIGHT)
        sample = ["D00", "J1-W12-2 Comm Breaker", "■ TRIPPED"]
        _fit_width(self.inputs_table, sample * 2)
        _fit_height(self.inputs_table)
        self.inputs_table.setToolTip(POLARITY_NOTE)

        # control mode ------------------------------------------------
        self.mode_label = QLabel()
        self.mode_label.setToolTip("closedLoopControlMode event")
        self.mode_combo = QComboBox()
        for choice in control_mode_choices(self.catalogue):
            self.mode_combo.addItem(f"{choice.name} ({choice.value})", choice.value)
        timeout = self.catalogue.commands[MODE_COMMAND].timeout
        self.mode_button = self._button(
            "Update",
            MODE_COMMAND,
            tip=f"setClosedLoopControlMode {{mode}}; waits up to {timeout:g} s (catalogue)",
        )
        self.mode_button.clicked.connect(self.update_mode)

        # reboot ------------------------------------------------------
        self.reboot_button = self._button(
            "Reboot Controller…",
            "rebootController",
            reboot_rule,
            tip="rebootController (asks first): both connections drop; Standby and local "
            "control only",
        )
        self.reboot_button.setStyleSheet("QPushButton:enabled { color: #c04400; }")
        self.reboot_button.clicked.connect(self.reboot)

        self.outcome = self.command_sender.outcome_label()
        self.command_sender.finished.connect(self._on_finished)

        self._lay_out(outputs, guide)
        self._show_all()
        listen(self, self.store.changed, self._on_changed, mode="batch", defer_hidden=True)
        listen(self, session.store(LocalMode).changed, self._on_rules, mode="poke")
        listen(self, session.store(ProcedureRunner).changed, self._on_rules, mode="poke")

    # ------------------------------------------------------------------
    def _button(self, text: str, command: str, *rules: Any, tip: str) -> CommandButton:
        button = CommandButton(text, self.session, command, *rules, tip=tip)
        self.buttons.append(button)
        return button

    def _lay_out(self, outputs: QGridLayout, guide: QLabel) -> None:
        def group(title: str, *widgets: QWidget, layout: Any = None) -> QGroupBox:
            box = QGroupBox(title)
            inner = QVBoxLayout(box)
            inner.setContentsMargins(4, 4, 4, 4)
            inner.setSpacing(4)
            if layout is not None:
                inner.addLayout(layout)
            for w in widgets:
                inner.addWidget(w)
            return box

        mode_row = QHBoxLayout()
        mode_row.addWidget(self.mode_label)
        mode_row.addWidget(self.mode_combo, 1)
        mode_row.addWidget(self.mode_button)
        left = QVBoxLayout()
        left.setSpacing(4)
        left.addWidget(group("Power", self.power_table))
        left.addWidget(group("Tangent load cells (N)", self.load_table, self.fault_label))
        left.addWidget(group("Closed-loop control mode", layout=mode_row))
        left.addWidget(self.reboot_button)
        left.addWidget(self.outcome)
        left.addStretch(1)

        outputs_row = QHBoxLayout()
        outputs_row.addLayout(outputs)
        outputs_row.addWidget(guide, 1, Qt.AlignmentFlag.AlignTop)
        right = QVBoxLayout()
        right.setSpacing(4)
        right.addWidget(group("Digital outputs", layout=outputs_row))
        right.addWidget(group("Digital inputs", self.inputs_table))
        right.addStretch(1)

        content = QWidget()
        columns = QHBoxLayout(content)
        columns.setContentsMargins(2, 2, 2, 2)
        columns.setSpacing(4)
        columns.addLayout(left, 0)
        columns.addLayout(right, 1)
        scroll = QScrollArea()
        scroll.setWidget(content)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(scroll)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)

    # ------------------------------------------------------------------
    # Showing the store
    # ------------------------------------------------------------------
    def _on_changed(self, batch: list[tuple[str]]) -> None:
        aspects = {args[0] for args in batch}
        if "power" in aspects:
            self._show_power()
        if aspects & {"load_cell", "fault"}:
            self._show_load_cells()
        if "outputs" in aspects:
            self._show_outputs()
        if "inputs" in aspects:
            self._show_inputs()
        if "mode" in aspects:
            self._show_mode()

    def _on_rules(self) -> None:
        for button in self.buttons:
            button.update_state()

    def _show_all(self) -> None:
        self._show_power()
        self._show_load_cells()
        self._show_outputs()
        self._show_inputs()
        self._show_mode()

    def _show_power(self) -> None:
        for i, row in enumerate(self.store.power):
            cal, raw = row.signals
            for column, (value, signal) in enumerate(((row.calibrated, cal), (row.raw, raw))):
                item = _cell(self.power_table, i, column)
                item.setText(format_reading(value, row.unit))
                item.setToolTip(f"{signal} (right-click to plot)")

    def _show_load_cells(self) -> None:
        for i, row in enumerate(self.store.load_cells):
            _cell(self.load_table, i, 0).setText(format_reading(row.value, "", 1))
            paint_item(_cell(self.load_table, i, 2), row.lamp)
            _cell(self.load_table, i, 3).setText(format_reading(row.reported, "", 1))
        failed = self.store.load_cell_failed
        verdict = {
            None: "no tangent force yet",
            False: "all within their limits",
            True: "<b>a limit is reached: the controller raises fault 6088</b>",
        }[failed]
        fault = {None: "unknown", True: "<b>active</b>", False: "clear"}[self.store.fault_active]
        self.fault_label.setText(f"Check: {verdict}. Fault 6088 in summaryFaultsStatus: {fault}.")
        self.fault_label.setToolTip(self.load_table.toolTip())

    def _show_outputs(self) -> None:
        for bit, lamp_label, button in zip(
            self.store.outputs_bits, self.output_lamps, self.toggles, strict=True
        ):
            on = self.store.output_on(bit.index)
            lamp = output_lamp(bit, on)
            lamp_label.setText(lamp.text)
            lamp_label.setToolTip(lamp.detail)
            lamp_label.setStyleSheet(lamp_style(lamp))
            button.setText({None: "Toggle", True: "Switch off", False: "Switch on"}[on])
            advice = output_advice(self.catalogue, bit, self.store.outputs)
            base = f"switchDigitalOutput {{bit: {bit.value}, status: ToggleBit}}"
            button.tip = f"{base}. Note: {advice}" if advice else base
            button.update_state()

    def input_item(self, index: int, column: int) -> QTableWidgetItem:
        """The cell of digital input ``index``: column 0 bit, 1 name, 2 state."""
        half, row = divmod(index, self.inputs_half)
        return _cell(self.inputs_table, row, 3 * half + column)

    def _show_inputs(self) -> None:
        for i in range(len(self.store.inputs_bits)):
            paint_item(self.input_item(i, 2), self.store.input_lamp(i))

    def _show_mode(self) -> None:
        mode = self.store.mode
        self.mode_label.setText(f"Now <b>{mode_text(self.catalogue, mode)}</b>; set:")
        index = self.mode_combo.findData(mode)
        if index >= 0:
            self.mode_combo.setCurrentIndex(index)

    # ------------------------------------------------------------------
    # "Plot"
    # ------------------------------------------------------------------
    def _power_signals_at(self, position: QPoint) -> list[str]:
        item = self.power_table.itemAt(position)
        if item is None:
            return []
        return [self.store.power[item.row()].signals[item.column()]]

    def _load_signals_at(self, position: QPoint) -> list[str]:
        item = self.load_table.itemAt(position)
        if item is None:
            return []
        return list(self.store.load_cells[item.row()].signals)

    # ------------------------------------------------------------------
    # Sending
    # ------------------------------------------------------------------
    def _send(self, name: str, params: dict[str, Any], note: str = "") -> None:
        for button in self.buttons:
            button.set_busy(True)
        if note:
            self.outcome.setText(note)
        self.command_sender.send(name, params)

    def _on_finished(self, record: CommandRecord | None) -> None:
        for button in self.buttons:
            button.set_busy(False)

    def toggle(self, bit: Bit) -> None:
        """Toggle digital output ``bit`` (as the incumbent: ``ToggleBit``), after confirming."""
        advice = output_advice(self.catalogue, bit, self.store.outputs)
        note = f"Toggling {bit.tag} {bit.label}." + (f" Note: {advice}." if advice else "")
        self._send("switchDigitalOutput", switch_output_params(self.catalogue, bit), note)

    def update_mode(self) -> None:
        """Send the mode chosen in the selector."""
        mode = self.mode_combo.currentData()
        self._send(MODE_COMMAND, control_mode_params(self.catalogue, int(mode)))

    def reboot(self) -> None:
        """Reboot the controller, after confirming."""
        self._send("rebootController", {})
