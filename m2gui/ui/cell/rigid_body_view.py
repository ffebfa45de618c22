"""Rigid Body Position: where the mirror is, and moving it (jog, absolute, home).

Position and IMS position come from the session's `RigidBodyPosition`
store; the moves are built by `m2gui.model.cell.rigid_body` with the
incumbent's ranges and need Enable and closed-loop control, as the
incumbent's do.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QDoubleSpinBox,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from m2gui.model.cell.actuators_rules import enable_closed_loop
from m2gui.model.cell.rigid_body import (
    AXES,
    POSITION_MIRROR,
    SAVE_MIRROR_POSITION,
    SET_MIRROR_HOME,
    absolute_move,
    go_home,
    jog,
)
from m2gui.model.cell.rigid_body_position import POSITION_TOPICS, RigidBodyPosition, has_position
from m2gui.model.session import Session

from ..bridge import listen
from ..command_sender import CommandRunner, CommandSender
from ..controls import CommandButton
from ..plot_menu import add_plot_menu
from .actuator_view import VIEW_STYLE

__all__ = ["RigidBodyView"]

#: Decimals shown and typed (µm and arcsec).
DECIMALS = 2
TOPIC_TITLES = {"position": "Position", "positionIMS": "IMS"}


class RigidBodyView(QWidget):
    """The incumbent's Rigid Body Position table.

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
        self.store = session.store(RigidBodyPosition)
        self.command_sender = CommandSender(session, self)
        self.outcome = self.command_sender.outcome_label()
        self.runner = CommandRunner(self.command_sender, self.outcome.setText)

        first = QVBoxLayout()
        first.addWidget(self._current_group())
        first.addWidget(self._home_group())
        first.addStretch(1)
        self.offsets = self._boxes()
        self.target = self._boxes()
        second = QVBoxLayout()
        second.addWidget(self._move_group("Jog: offset from the current position", self.offsets))
        second.addStretch(1)
        third = QVBoxLayout()
        third.addWidget(self._move_group("Go to position (relative to home)", self.target))
        third.addStretch(1)
        columns = QHBoxLayout()
        columns.addLayout(first, 1)
        columns.addLayout(second, 1)
        columns.addLayout(third, 1)
        layout = QVBoxLayout(self)
        layout.addLayout(columns)
        layout.addWidget(self.outcome)
        layout.addStretch(1)
        self.setStyleSheet(VIEW_STYLE)

        for topic in POSITION_TOPICS:
            self._show(topic)
        self._show_in_position()
        listen(self, self.store.changed, self._on_position, mode="batch", defer_hidden=True)
        listen(self, session.events.updated, self._on_events, mode="batch")

    # ------------------------------------------------------------------
    # Building
    # ------------------------------------------------------------------
    def _button(self, text: str, command: str, *rules: Any, tip: str) -> CommandButton:
        return CommandButton(text, self.session, command, *rules, tip=tip, parent=self)

    def _current_group(self) -> QGroupBox:
        group = QGroupBox("Current position (relative to home)")
        self.current_group = group
        grid = QGridLayout()
        for col, text in enumerate(("", "Position", "IMS", "")):
            grid.addWidget(QLabel(f"<b>{text}</b>"), 0, col)
        mono = QFont("monospace")
        mono.setStyleHint(QFont.StyleHint.TypeWriter)
        self.value_labels: dict[str, list[QLabel]] = {topic: [] for topic in POSITION_TOPICS}
        self.axis_labels: list[QLabel] = []
        for row, axis in enumerate(AXES, start=1):
            name = QLabel(axis.label)
            name.setToolTip(f"{axis.field} ({axis.unit}); right-click to plot")
            grid.addWidget(name, row, 0)
            self.axis_labels.append(name)
            for col, topic in enumerate(POSITION_TOPICS, start=1):
                label = QLabel("–")
                label.setFont(mono)
                label.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                label.setMinimumWidth(80)
                label.setToolTip(f"{self.store.signal(topic, row - 1)}; right-click to plot")
                grid.addWidget(label, row, col)
                self.value_labels[topic].append(label)
            grid.addWidget(QLabel(axis.unit), row, 3)
        self.in_position = QLabel()
        layout = QVBoxLayout(group)
        layout.addLayout(grid)
        layout.addWidget(self.in_position)
        self.save = self._button(
            "Save Position", SAVE_MIRROR_POSITION, tip="saveMirrorPosition: save the position"
        )
        self.save.clicked.connect(self._on_save)
        layout.addWidget(self.save)
        add_plot_menu(group, self.session, self.signals_at)
        return group

    def _home_group(self) -> QGroupBox:
        group = QGroupBox("Home")
        layout = QHBoxLayout(group)
        self.go_home = self._button(
            "Go to Home",
            POSITION_MIRROR,
            *enable_closed_loop,
            tip="positionMirror to all zeros",
        )
        self.go_home.clicked.connect(self._on_go_home)
        self.set_home = self._button(
            "Set Home",
            SET_MIRROR_HOME,
            tip="setMirrorHome: the current position becomes home",
        )
        self.set_home.clicked.connect(self._on_set_home)
        layout.addWidget(self.go_home)
        layout.addWidget(self.set_home)
        return group

    def _boxes(self) -> list[QDoubleSpinBox]:
        boxes = []
        for axis in AXES:
            box = QDoubleSpinBox()
            box.setDecimals(DECIMALS)
            box.setRange(-axis.limit, axis.limit)
            box.setSuffix(f" {axis.unit}")
            box.setToolTip(f"{axis.field}: ±{axis.limit:g} {axis.unit}")
            boxes.append(box)
        return boxes

    def _move_group(self, title: str, boxes: list[QDoubleSpinBox]) -> QGroupBox:
        group = QGroupBox(title)
        layout = QVBoxLayout(group)
        form = QFormLayout()
        for axis, box in zip(AXES, boxes, strict=True):
            form.addRow(axis.label, box)
        layout.addLayout(form)
        row = QHBoxLayout()
        clear = QPushButton("Clear Values")
        clear.setToolTip("set the boxes to 0")
        if boxes is self.offsets:
            self.jog = self._button(
                "Jog",
                POSITION_MIRROR,
                *enable_closed_loop,
                has_position,
                tip="positionMirror to the current position plus these offsets",
            )
            self.jog.clicked.connect(self._on_jog)
            self.clear_offsets = clear
            row.addWidget(self.jog)
        else:
            self.go_to = self._button(
                "Go to Position",
                POSITION_MIRROR,
                *enable_closed_loop,
                tip="positionMirror to this position relative to home",
            )
            self.go_to.clicked.connect(self._on_go_to)
            self.clear_target = clear
            row.addWidget(self.go_to)
        clear.clicked.connect(self._on_clear)
        row.addWidget(clear)
        layout.addLayout(row)
        return group

    # ------------------------------------------------------------------
    # Actions
    # ------------------------------------------------------------------
    def _on_jog(self) -> None:
        def build() -> dict[str, Any]:
            current = self.store.values("position")
            if current is None:
                raise ValueError("the current position is not known")
            return jog(current, [box.value() for box in self.offsets])

        self.runner.run(self.jog, build)

    def _on_clear(self) -> None:
        button = self.sender()
        boxes = self.offsets if button is self.clear_offsets else self.target
        for box in boxes:
            box.setValue(0.0)

    def _on_save(self) -> None:
        self.runner.run(self.save, dict)

    def _on_go_home(self) -> None:
        self.runner.run(self.go_home, go_home)

    def _on_set_home(self) -> None:
        self.runner.run(self.set_home, dict)

    def _on_go_to(self) -> None:
        self.runner.run(self.go_to, lambda: absolute_move([box.value() for box in self.target]))

    def signals_at(self, position: QPoint) -> list[str]:
        """The signals under ``position`` of the current-position group."""
        child = self.current_group.childAt(position)
        for topic, labels in self.value_labels.items():
            if child in labels:
                return [self.store.signal(topic, labels.index(child))]
        if child in self.axis_labels:
            axis = self.axis_labels.index(child)
            return [self.store.signal(topic, axis) for topic in POSITION_TOPICS]
        return []

    # ------------------------------------------------------------------
    # Following the stores
    # ------------------------------------------------------------------
    def _on_position(self, batch: list[tuple[Any, ...]]) -> None:
        for topic in {args[0] for args in batch if args}:
            self._show(topic)
        self.jog.update_state()

    def _show(self, topic: str) -> None:
        values = self.store.values(topic)
        for i, label in enumerate(self.value_labels[topic]):
            label.setText("–" if values is None else f"{values[i]:.{DECIMALS}f}")

    def _on_events(self, batch: list[tuple[Any, ...]]) -> None:
        if any(args and args[0] == "m2AssemblyInPosition" for args in batch):
            self._show_in_position()

    def _show_in_position(self) -> None:
        value = self.session.events.value("m2AssemblyInPosition", "inPosition")
        words = {True: "yes", False: "no (moving or settling)"}.get(value, "not reported")
        self.in_position.setText(f"In position: <b>{words}</b>")
