"""Limit Switch Status: the retract and extend switch of every actuator, by ring.

Red (``TRIP``) for a hardware trip, yellow (``NEAR``) when the measured force
came within 5 % of the software limit of the current mode, green (``OK``)
otherwise; both marks stay until a reset (``clearErrors``). The rules are the
model's (`m2gui.model.ops.limit_switch`); this view shows them, sends the
reset through the validated command path, and offers "Plot" of an actuator's
measured force on its context menu.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QPoint, Qt
from PySide6.QtGui import QFont, QHelpEvent
from PySide6.QtWidgets import (
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QScrollArea,
    QToolTip,
    QVBoxLayout,
    QWidget,
)

from m2gui.model.ops.limit_switch import LimitSwitchChange, LimitSwitches
from m2gui.model.ops.limit_switch_rules import DIRECTIONS
from m2gui.model.ops.overview_lamps import LEVEL_SYMBOLS, Level
from m2gui.model.session import Session

from ..bridge import listen
from ..command_sender import CommandSender
from ..controls import CommandButton
from ..plot_menu import add_plot_menu
from .overview_view import LampLabel

__all__ = ["LimitSwitchView"]

#: Ring order of the incumbent's window.
RINGS = ("B", "C", "D", "A")
#: Actuators per row of a ring's grid.
PER_ROW = 6
RESET_TIP = (
    "Send clearErrors: the controller clears its faults, warnings and limit switches; "
    "m2gui clears the red and yellow marks when it succeeds (as the incumbent's "
    "Reset All Items)."
)


class LimitSwitchView(QWidget):
    """The Limit Switch Status panel (tab title "Limit Switches").

    Parameters
    ----------
    session : `Session`
        Its state comes from ``session.store(LimitSwitches)``.
    parent : `QWidget` or None
        Parent widget.

    Attributes
    ----------
    lamps : `dict` of ``(index, direction)`` to `LampLabel`
        The 156 lamps: 0-based actuator, "retract" or "extend".
    reset_button : `CommandButton`
        Sends ``clearErrors``.
    """

    TITLE = "Limit Switches"

    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.switches = session.store(LimitSwitches)
        self.command_sender = CommandSender(session, self)
        self.lamps: dict[tuple[int, str], LampLabel] = {}

        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 6, 8, 6)
        layout.setSpacing(4)
        top = QHBoxLayout()
        self.limits_label = QLabel()
        self.limits_label.setWordWrap(True)
        self.summary = QLabel()
        bold = QFont(self.summary.font())
        bold.setBold(True)
        self.summary.setFont(bold)
        self.reset_button = CommandButton(
            "Reset (clearErrors)", session, "clearErrors", tip=RESET_TIP
        )
        self.reset_button.clicked.connect(self.reset)
        top.addWidget(self.summary)
        top.addWidget(self.limits_label, 1)
        top.addWidget(self.reset_button)
        layout.addLayout(top)
        legend = QLabel(
            f"{LEVEL_SYMBOLS[Level.OK]} OK · {LEVEL_SYMBOLS[Level.WARNING]} NEAR: measured "
            f"force came within 5 % of the software limit · {LEVEL_SYMBOLS[Level.ERROR]} TRIP: "
            "hardware limit switch. Retract: force ≥ +limit, extend: force ≤ −limit. Marks "
            "stay until a reset. Right-click an actuator to plot its measured force."
        )
        legend.setWordWrap(True)
        layout.addWidget(legend)

        body = QWidget()
        rings = QVBoxLayout(body)
        rings.setContentsMargins(0, 0, 0, 0)
        rings.setSpacing(4)
        for ring in RINGS:
            rings.addWidget(self._ring_box(ring))
        rings.addStretch(1)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setWidget(body)
        layout.addWidget(scroll, 1)

        self.outcome = QLabel()
        self.outcome.setTextFormat(Qt.TextFormat.RichText)
        layout.addWidget(self.outcome)
        self.command_sender.reported.connect(self.outcome.setText)
        self.command_sender.finished.connect(self._sent)

        add_plot_menu(self, session, self.signals_at)
        self._show_all()
        listen(self, self.switches.changed, self._on_changed, mode="batch")

    # ------------------------------------------------------------------
    def _ring_box(self, ring: str) -> QGroupBox:
        indices = [i for i, r in enumerate(self.switches.geometry.rings) if r == ring]
        labels = [self.switches.label(i) for i in indices]
        box = QGroupBox(f"Ring {ring}: {labels[0]}–{labels[-1]}")
        grid = QGridLayout(box)
        grid.setContentsMargins(4, 2, 4, 2)
        grid.setHorizontalSpacing(3)
        grid.setVerticalSpacing(2)
        small = QFont(self.font())
        small.setPixelSize(11)
        small.setBold(True)
        tiny = QFont(self.font())
        tiny.setPixelSize(10)
        for k in range(min(PER_ROW, len(indices))):
            for j, text in enumerate(("", "retract", "extend")):
                header = QLabel(text)
                header.setFont(tiny)
                header.setAlignment(Qt.AlignmentFlag.AlignCenter)
                grid.addWidget(header, 0, 3 * k + j)
        for n, index in enumerate(indices):
            row, k = 1 + n // PER_ROW, n % PER_ROW
            name = QLabel(self.switches.label(index))
            name.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            name.setProperty("actuator", index)
            grid.addWidget(name, row, 3 * k)
            for j, direction in enumerate(DIRECTIONS):
                lamp = LampLabel()
                lamp.radius = 4
                lamp.padding = (0, 2)
                lamp.setFont(small)
                lamp.setMinimumWidth(50)
                lamp.setObjectName(f"switch:{self.switches.label(index)}:{direction}")
                lamp.setProperty("actuator", index)
                lamp.setProperty("direction", direction)
                self.lamps[(index, direction)] = lamp
                grid.addWidget(lamp, row, 3 * k + 1 + j)
        for k in range(PER_ROW):
            grid.setColumnStretch(3 * k, 1)
            grid.setColumnStretch(3 * k + 1, 2)
            grid.setColumnStretch(3 * k + 2, 2)
        return box

    def lamp(self, label: str, direction: str) -> LampLabel:
        """The lamp of an actuator by its ring name (``B1``...) and side."""
        return self.lamps[(self.switches.geometry.labels.index(label), direction)]

    # ------------------------------------------------------------------
    def _on_changed(self, batch: list[tuple[LimitSwitchChange]]) -> None:
        everything = any(change.reset or change.limits for (change,) in batch)
        if everything:
            self._show_all()
            return
        for (change,) in batch:
            for index, direction in change.switches:
                self._show_switch(index, direction)
        self._show_summary()

    def _show_all(self) -> None:
        for index, direction in self.lamps:
            self._show_switch(index, direction)
        self._show_summary()

    def _show_switch(self, index: int, direction: str) -> None:
        lamp = self.lamps.get((index, direction))
        if lamp is not None:
            lamp.set_lamp(self.switches.lamp(index, direction))

    def _show_summary(self) -> None:
        tripped = self.switches.tripped()
        near = self.switches.near()
        parts = []
        if tripped:
            parts.append(f"{LEVEL_SYMBOLS[Level.ERROR]} {len(tripped)} tripped")
        if near:
            parts.append(f"{LEVEL_SYMBOLS[Level.WARNING]} {len(near)} near the limit")
        self.summary.setText(" · ".join(parts) or f"{LEVEL_SYMBOLS[Level.OK]} all OK")
        self.limits_label.setText(f"Software limits now, {self.switches.limits.text}.")

    # ------------------------------------------------------------------
    def reset(self) -> None:
        """Send ``clearErrors`` (through the validated command path)."""
        if self.reset_button.blocked_reason() is not None:
            return
        self.reset_button.set_busy(True)
        self.command_sender.send("clearErrors")

    def _sent(self, record: object) -> None:
        self.reset_button.set_busy(False)

    # ------------------------------------------------------------------
    def _actuator_at(self, position: QPoint) -> tuple[int | None, str | None]:
        child = self.childAt(position)
        if child is None:
            return None, None
        index = child.property("actuator")
        direction = child.property("direction")
        return (
            index if isinstance(index, int) else None,
            direction if isinstance(direction, str) else None,
        )

    def signals_at(self, position: QPoint) -> list[str]:
        """The measured-force signal of the actuator under ``position`` (for "Plot")."""
        index, _ = self._actuator_at(position)
        return [] if index is None else [self.switches.force_signal(index)]

    def event(self, event: QEvent) -> bool:
        """Tool tips of the lamps are made when asked, with the force of that moment."""
        if event.type() == QEvent.Type.ToolTip and isinstance(event, QHelpEvent):
            index, direction = self._actuator_at(event.pos())
            if index is not None and direction is not None:
                detail = self.switches.lamp(index, direction).detail
                QToolTip.showText(event.globalPos(), detail, self)
                return True
        return super().event(event)
