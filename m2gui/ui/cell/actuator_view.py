"""Actuator Control: select actuators, move them in open loop, offset forces, run scripts.

The selection is the session's `ActuatorSelection`, shared with the mirror
map: a ring button here and a click on the map change the same set. Every
button that sends is a `CommandButton` with the incumbent's mode rules (in
`m2gui.model.cell.actuators_rules`); the commands are built by the model
(`m2gui.model.cell.actuators`, `m2gui.model.cell.scripts`) and sent through a
`CommandSender`.
"""

from __future__ import annotations

import html
import logging
from typing import Any

from PySide6.QtCore import QPoint, Qt, Signal
from PySide6.QtWidgets import (
    QApplication,
    QComboBox,
    QDoubleSpinBox,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from m2gui.model.cell import actuators_rules as rules
from m2gui.model.cell.actuators import (
    APPLY_FORCES,
    FORCE_LIMIT_N,
    MOVE_ACTUATORS,
    RESET_FORCE_OFFSETS,
    ActuatorCommand,
    DisplacementUnit,
    apply_forces,
    displacement_range,
    move_control,
    move_start,
)
from m2gui.model.cell.actuators_labels import actuator_signals, describe_actuators
from m2gui.model.cell.actuators_summary import FORCE_TOPICS, measured_force_summary
from m2gui.model.cell.scripts import (
    RUN_SCRIPT,
    ScriptCommand,
    load_script,
    needs_script_name,
    script_control,
    script_progress,
)
from m2gui.model.cell.selection import ActuatorSelection
from m2gui.model.commanding import Rule
from m2gui.model.geometry import CellGeometry
from m2gui.model.session import Session

from ..bridge import listen
from ..command_sender import CommandRunner, CommandSender
from ..controls import CommandButton
from ..plot_menu import add_plot_menu

__all__ = ["ActuatorGrid", "ActuatorView"]

log = logging.getLogger(__name__)

#: Buttons per row in the actuator grid.
GRID_COLUMNS = 10
#: Selected buttons: white on blue (reads for colour-blind users; the
#: selection is also listed in words).
GRID_STYLE = """
QPushButton { padding: 1px 2px; min-width: 34px; }
QPushButton:checked { background: #1f5fa8; color: white; font-weight: bold;
                      border: 1px solid #0b3566; }
QPushButton[marked="true"] { border: 2px dashed #7a3e00; }
QPushButton[marked="true"]:checked { border: 2px dashed #ffd28a; }
"""
#: Narrower buttons than the platform's 80 px minimum, so the view fits 900 px.
VIEW_STYLE = "QPushButton { padding: 3px 8px; }"
RING_TITLES = {"B": "B", "C": "C", "D": "D", "A": "A (tangent)"}


class ActuatorGrid(QWidget):
    """78 checkable buttons B1…A6, one ring after the other.

    Clicking a button emits `clicked_index`; the owner changes its store
    and calls `set_checked` back (the store is the truth). "Plot" on a
    button's context menu plots that actuator's force, steps and position.

    Signals
    -------
    clicked_index(int)
        The 0-based index of the clicked button.
    """

    clicked_index = Signal(int)

    def __init__(
        self, geometry: CellGeometry, session: Session | None = None, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.cell = geometry
        self.buttons: list[QPushButton] = []
        layout = QGridLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setHorizontalSpacing(2)
        layout.setVerticalSpacing(2)
        row = 0
        for ring in ("B", "C", "D", "A"):
            members = [i for i, r in enumerate(geometry.rings) if r == ring]
            title = QLabel(RING_TITLES[ring] if ring != "A" else "A")
            title.setToolTip(f"ring {RING_TITLES[ring]}")
            layout.addWidget(title, row, 0, Qt.AlignmentFlag.AlignRight)
            for k, index in enumerate(members):
                button = QPushButton(geometry.labels[index])
                button.setCheckable(True)
                button.setFocusPolicy(Qt.FocusPolicy.TabFocus)
                button.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)
                button.setToolTip(f"{geometry.labels[index]} (index {index})")
                button.clicked.connect(self._on_clicked)
                button.setProperty("index", index)
                layout.addWidget(button, row + k // GRID_COLUMNS, 1 + k % GRID_COLUMNS)
                self.buttons.append(button)
            row += (len(members) + GRID_COLUMNS - 1) // GRID_COLUMNS
        self.buttons.sort(key=lambda b: int(b.property("index")))
        self.setStyleSheet(GRID_STYLE)
        if session is not None:
            add_plot_menu(self, session, self.signals_at)

    def set_checked(self, indices: frozenset[int]) -> None:
        """Check exactly ``indices`` (no signal)."""
        for index, button in enumerate(self.buttons):
            if button.isChecked() != (index in indices):
                button.setChecked(index in indices)

    def set_marked(self, indices: frozenset[int], why: str) -> None:
        """Outline ``indices`` (dashed), with ``why`` in their tool tips."""
        for index, button in enumerate(self.buttons):
            marked = index in indices
            name = f"{self.cell.labels[index]} (index {index})"
            button.setToolTip(f"{name}: {why}" if marked else name)
            if bool(button.property("marked")) != marked:
                button.setProperty("marked", marked)
                button.style().unpolish(button)
                button.style().polish(button)

    def index_at(self, position: QPoint) -> int | None:
        """The index of the button at ``position`` (grid coordinates), if any."""
        child = self.childAt(position)
        if isinstance(child, QPushButton) and child in self.buttons:
            return int(child.property("index"))
        return None

    def signals_at(self, position: QPoint) -> list[str]:
        """The telemetry signals of the actuator under ``position``."""
        index = self.index_at(position)
        return [] if index is None else actuator_signals(self.cell, index)

    def _on_clicked(self) -> None:
        button = self.sender()
        if isinstance(button, QPushButton):
            index = int(button.property("index"))
            button.setChecked(not button.isChecked())  # the store decides
            self.clicked_index.emit(index)


class ActuatorView(QWidget):
    """The incumbent's Actuator Control, on the shared selection.

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
        self.selection = session.store(ActuatorSelection)
        self.cell = self.selection.geometry
        self.command_sender = CommandSender(session, self)
        self.outcome = self.command_sender.outcome_label()
        self.runner = CommandRunner(self.command_sender, self.outcome.setText)

        left = QVBoxLayout()
        left.addWidget(self._selection_group())
        left.addWidget(self._summary_group())
        left.addStretch(1)
        right = QVBoxLayout()
        right.addWidget(self._open_loop_group())
        right.addWidget(self._force_group())
        right.addWidget(self._script_group())
        right.addWidget(self.outcome)
        right.addStretch(1)
        columns = QHBoxLayout(self)
        columns.addLayout(left, 1)
        columns.addLayout(right, 1)
        self.setStyleSheet(VIEW_STYLE)

        self._on_selection(self.selection.selected)
        self._on_script_status()
        self._on_forces()
        listen(self, self.selection.changed, self._on_selection, mode="latest")
        listen(self, session.events.updated, self._on_events, mode="batch")
        listen(self, session.telemetry.arrived, self._on_telemetry, mode="batch", defer_hidden=True)

    # ------------------------------------------------------------------
    # Building
    # ------------------------------------------------------------------
    def _button(self, text: str, command: str, *rule_list: Rule, tip: str) -> CommandButton:
        return CommandButton(text, self.session, command, *rule_list, tip=tip, parent=self)

    def _selection_group(self) -> QGroupBox:
        group = QGroupBox("Selection (shared with the mirror map)")
        layout = QVBoxLayout(group)
        row = QHBoxLayout()
        self.ring_buttons: dict[str, QPushButton] = {}
        for ring, text in (("B", "Ring B"), ("C", "Ring C"), ("D", "Ring D"), ("A", "Tangent A")):
            button = QPushButton(text)
            button.setToolTip(f"select ring {ring} (Shift: add it to the selection)")
            button.clicked.connect(self._on_ring)
            button.setProperty("ring", ring)
            row.addWidget(button)
            self.ring_buttons[ring] = button
        self.all_button = QPushButton("All")
        self.all_button.setToolTip("select all 78 actuators")
        self.all_button.clicked.connect(self.selection.select_all)
        self.none_button = QPushButton("None")
        self.none_button.setToolTip("clear the selection")
        self.none_button.clicked.connect(self.selection.clear)
        row.addWidget(self.all_button)
        row.addWidget(self.none_button)
        layout.addLayout(row)
        self.grid = ActuatorGrid(self.cell, self.session)
        self.grid.clicked_index.connect(self.selection.toggle)
        layout.addWidget(self.grid)
        self.selected_label = QLabel()
        self.selected_label.setWordWrap(True)
        self.selected_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.selected_label)
        return group

    def _summary_group(self) -> QGroupBox:
        group = QGroupBox("Measured force (N)")
        grid = QGridLayout(group)
        for col, text in enumerate(("", "minimum", "maximum", "total"), start=0):
            grid.addWidget(QLabel(f"<b>{text}</b>"), 0, col)
        self.summary_labels: dict[str, list[QLabel]] = {}
        for row, group_name in enumerate(("axial", "tangent"), start=1):
            grid.addWidget(QLabel(group_name.capitalize()), row, 0)
            labels = []
            for col in range(1, 4):
                label = QLabel("–")
                label.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                grid.addWidget(label, row, col)
                labels.append(label)
            self.summary_labels[group_name] = labels
        return group

    def _open_loop_group(self) -> QGroupBox:
        group = QGroupBox("Open-loop move (Enable, open loop)")
        layout = QVBoxLayout(group)
        row = QHBoxLayout()
        row.addWidget(QLabel("Displacement"))
        self.displacement = QDoubleSpinBox()
        self.displacement.setToolTip("negative retracts")
        self.unit = QComboBox()
        for unit in DisplacementUnit:
            self.unit.addItem(unit.label, int(unit))
        self.unit.currentIndexChanged.connect(self._on_unit)
        row.addWidget(self.displacement, 1)
        row.addWidget(self.unit)
        layout.addLayout(row)
        open_rules = rules.enable_open_loop
        self.start = self._button(
            "Start",
            MOVE_ACTUATORS,
            *open_rules,
            rules.needs_selection,
            tip="moveActuators Start: move the selected actuators by the displacement",
        )
        self.start.clicked.connect(self._on_start)
        self.move_buttons = {ActuatorCommand.START: self.start}
        buttons = QHBoxLayout()
        buttons.addWidget(self.start)
        for command, text in (
            (ActuatorCommand.STOP, "Stop"),
            (ActuatorCommand.PAUSE, "Pause"),
            (ActuatorCommand.RESUME, "Resume"),
        ):
            button = self._button(
                text,
                MOVE_ACTUATORS,
                *open_rules,
                tip=f"moveActuators {text}: {text.lower()} the move",
            )
            button.setProperty("actuatorCommand", int(command))
            button.clicked.connect(self._on_move_control)
            buttons.addWidget(button)
            self.move_buttons[command] = button
        layout.addLayout(buttons)
        self._on_unit()
        return group

    def _force_group(self) -> QGroupBox:
        group = QGroupBox("Force offset (Enable, closed loop)")
        layout = QHBoxLayout(group)
        layout.addWidget(QLabel("Force"))
        self.force = QDoubleSpinBox()
        self.force.setRange(-FORCE_LIMIT_N, FORCE_LIMIT_N)
        self.force.setDecimals(2)
        self.force.setSuffix(" N")
        self.force.setToolTip(
            f"±{FORCE_LIMIT_N:g} N as the incumbent; the controller refuses more than "
            "its closed-loop limit (444.82 N axial) with the look-up-table forces"
        )
        layout.addWidget(self.force, 1)
        closed = rules.enable_closed_loop
        self.apply = self._button(
            "Apply Force",
            APPLY_FORCES,
            *closed,
            rules.needs_selection,
            tip="applyForces: this force on each selected actuator, 0 N on the others",
        )
        self.apply.clicked.connect(self._on_apply)
        self.clear_force = self._button(
            "Clear Force", RESET_FORCE_OFFSETS, *closed, tip="resetForceOffsets: all offsets to 0 N"
        )
        self.clear_force.clicked.connect(self._on_clear_force)
        layout.addWidget(self.apply)
        layout.addWidget(self.clear_force)
        return group

    def _script_group(self) -> QGroupBox:
        group = QGroupBox("Script (Enable)")
        layout = QVBoxLayout(group)
        row = QHBoxLayout()
        self.script_name = QLineEdit()
        self.script_name.setPlaceholderText("script name (in /u/script on the cRIO)")
        self.script_name.setMaxLength(1000)
        self.load = self._button(
            "Load Script",
            RUN_SCRIPT,
            rules.enable,
            needs_script_name(self.script_name.text),
            tip="runScript LoadScript with the script's base name",
        )
        self.load.clicked.connect(self._on_load)
        self.script_name.textChanged.connect(self.load.update_state)
        row.addWidget(self.script_name, 1)
        row.addWidget(self.load)
        layout.addLayout(row)
        buttons = QHBoxLayout()
        self.script_buttons: dict[ScriptCommand, CommandButton] = {
            ScriptCommand.LOAD_SCRIPT: self.load
        }
        for command, text in (
            (ScriptCommand.RUN, "Run"),
            (ScriptCommand.PAUSE, "Pause"),
            (ScriptCommand.RESUME, "Resume"),
            (ScriptCommand.STOP, "Stop"),
            (ScriptCommand.CLEAR, "Clear"),
        ):
            button = self._button(
                text, RUN_SCRIPT, rules.enable, tip=f"runScript {text}: {text.lower()} the script"
            )
            button.setProperty("scriptCommand", int(command))
            button.clicked.connect(self._on_script_control)
            buttons.addWidget(button)
            self.script_buttons[command] = button
        layout.addLayout(buttons)
        self.progress = QProgressBar()
        self.progress.setRange(0, 100)
        layout.addWidget(self.progress)
        return group

    # ------------------------------------------------------------------
    # Actions
    # ------------------------------------------------------------------
    def _on_ring(self) -> None:
        button = self.sender()
        if isinstance(button, QPushButton):
            add = bool(QApplication.keyboardModifiers() & Qt.KeyboardModifier.ShiftModifier)
            self.selection.select_ring(str(button.property("ring")), add=add)

    def _unit(self) -> DisplacementUnit:
        return DisplacementUnit(int(self.unit.currentData()))

    def _on_unit(self) -> None:
        low, high, decimals = displacement_range(self._unit())
        self.displacement.setDecimals(decimals)
        self.displacement.setRange(low, high)
        self.displacement.setSingleStep(1.0 if decimals == 0 else 0.01)

    def _on_start(self) -> None:
        self.runner.run(
            self.start,
            lambda: move_start(self.selection.selected, self.displacement.value(), self._unit()),
        )

    def _on_move_control(self) -> None:
        button = self.sender()
        if isinstance(button, CommandButton):
            command = ActuatorCommand(int(button.property("actuatorCommand")))
            self.runner.run(button, lambda: move_control(command))

    def _on_apply(self) -> None:
        n_axial = self.cell.n_axial
        n_tangent = len(self.cell.labels) - n_axial
        self.runner.run(
            self.apply,
            lambda: apply_forces(self.selection.selected, self.force.value(), n_axial, n_tangent),
        )

    def _on_clear_force(self) -> None:
        self.runner.run(self.clear_force, dict)

    def _on_load(self) -> None:
        self.runner.run(self.load, lambda: load_script(self.script_name.text()))

    def _on_script_control(self) -> None:
        button = self.sender()
        if isinstance(button, CommandButton):
            command = ScriptCommand(int(button.property("scriptCommand")))
            self.runner.run(button, lambda: script_control(command))

    # ------------------------------------------------------------------
    # Following the stores
    # ------------------------------------------------------------------
    def _on_selection(self, selected: frozenset[int]) -> None:
        self.grid.set_checked(selected)
        text = describe_actuators(self.cell, selected)
        self.selected_label.setText(f"<b>Selected ({len(selected)}):</b> {html.escape(text)}")
        self.start.update_state()
        self.apply.update_state()

    def _on_events(self, batch: list[tuple[Any, ...]]) -> None:
        if any(args and args[0] == "scriptExecutionStatus" for args in batch):
            self._on_script_status()

    def _on_script_status(self) -> None:
        value = script_progress(self.session)
        if value is None:
            self.progress.setValue(0)
            self.progress.setFormat("no progress reported")
        else:
            self.progress.setValue(round(value))
            self.progress.setFormat(f"{value:.0f} % done")

    def _on_telemetry(self, batch: list[tuple[Any, ...]]) -> None:
        if any(args and args[0] in FORCE_TOPICS for args in batch):
            self._on_forces()

    def _on_forces(self) -> None:
        for name, summary in measured_force_summary(self.session).items():
            labels = self.summary_labels[name]
            if summary is None:
                for label in labels:
                    label.setText("–")
                    label.setToolTip("no measured force yet (it comes with motor power)")
            else:
                values = (summary.minimum, summary.maximum, summary.total)
                for label, value in zip(labels, values, strict=True):
                    label.setText(f"{value:.2f}")
                    label.setToolTip("")
