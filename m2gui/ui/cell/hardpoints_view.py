"""Hardpoints: choose the six hardpoints, see whether the choice is valid, apply it.

The draft and its rules are the session's `HardpointSelection` (Qt-free,
0-based; the 1-based ``hardpointList`` event is converted by the event
store). Apply sends ``setHardpointList`` and, as the incumbent's code does
(its user guide says Diagnostic), only in Standby.
"""

from __future__ import annotations

import html
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from m2gui.model.cell.actuators_rules import standby
from m2gui.model.cell.hardpoints import SET_HARDPOINT_LIST
from m2gui.model.cell.hardpoints_selection import HardpointSelection, valid_hardpoints
from m2gui.model.session import Session

from ..bridge import listen
from ..command_sender import FAIL_COLOR, OK_COLOR, CommandRunner, CommandSender
from ..controls import CommandButton
from .actuator_view import VIEW_STYLE, ActuatorGrid

__all__ = ["HardpointsView"]


class HardpointsView(QWidget):
    """The incumbent's Hardpoints table: selector, Suggest, Apply, Reset.

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
        self.store = session.store(HardpointSelection)
        self.command_sender = CommandSender(session, self)
        self.outcome = self.command_sender.outcome_label()
        self.runner = CommandRunner(self.command_sender, self.outcome.setText)

        group = QGroupBox("Hardpoint selector (3 axial on one ring, 3 tangent)")
        inner = QVBoxLayout(group)
        self.grid = ActuatorGrid(self.store.geometry, session)
        self.grid.clicked_index.connect(self.store.toggle)
        inner.addWidget(self.grid)
        self.validity = QLabel()
        self.validity.setWordWrap(True)
        self.validity.setTextFormat(Qt.TextFormat.RichText)
        inner.addWidget(self.validity)
        self.reported = QLabel()
        self.reported.setWordWrap(True)
        self.reported.setTextFormat(Qt.TextFormat.RichText)
        inner.addWidget(self.reported)

        self.suggest = QPushButton("Suggest Hardpoints")
        self.suggest.clicked.connect(self._on_suggest)
        self.apply = CommandButton(
            "Apply Selection",
            session,
            SET_HARDPOINT_LIST,
            standby,
            valid_hardpoints,
            tip="setHardpointList with the six selected hardpoints (0-based, ascending)",
            parent=self,
        )
        self.apply.clicked.connect(self._on_apply)
        self.reset = QPushButton("Reset to Reported")
        self.reset.clicked.connect(self.store.reset)
        buttons = QHBoxLayout()
        buttons.addWidget(self.suggest)
        buttons.addWidget(self.apply)
        buttons.addWidget(self.reset)
        buttons.addStretch(1)
        self.apply_reason = QLabel()
        self.apply_reason.setWordWrap(True)
        note = QLabel(
            "Suggest completes the lowest selected axial actuator to its triangle and the "
            "lowest selected tangent link to its group. Apply is allowed in Standby only "
            "(as the incumbent's code; its guide says Diagnostic)."
        )
        note.setWordWrap(True)

        layout = QVBoxLayout(self)
        layout.addWidget(group)
        layout.addLayout(buttons)
        layout.addWidget(self.apply_reason)
        layout.addWidget(note)
        layout.addWidget(self.outcome)
        layout.addStretch(1)
        self.setStyleSheet(VIEW_STYLE)

        self._on_changed()
        listen(self, self.store.changed, self._on_changed, mode="poke")
        listen(self, session.events.updated, self._show_apply_reason, mode="poke")
        listen(self, session.link.changed, self._show_apply_reason, mode="poke")

    def _on_suggest(self) -> None:
        try:
            self.store.suggest()
        except ValueError as error:
            self.outcome.setText(
                f"<span style='color:{FAIL_COLOR}'>Suggest: {html.escape(str(error))}</span>"
            )

    def _on_apply(self) -> None:
        self.runner.run(self.apply, self.store.params)

    def _on_changed(self, *_: Any) -> None:
        store = self.store
        self.grid.set_checked(store.draft)
        if store.reported is not None:
            self.grid.set_marked(frozenset(store.reported), "a hardpoint now")
        check = store.check
        words = html.escape(check.text)
        if check.valid:
            text = f"<span style='color:{OK_COLOR}'><b>✔ {words}</b></span>"
        else:
            text = f"<span style='color:{FAIL_COLOR}'><b>✘ not valid:</b></span> {words}"
        self.validity.setText(text)
        reported = html.escape(store.describe_reported())
        differs = " (your selection differs: Reset goes back to it)" if store.differs else ""
        self.reported.setText(
            f"<b>Reported by the controller</b> (dashed outline): {reported}{differs}"
        )
        problem = store.suggest_problem()
        self.suggest.setEnabled(problem is None)
        self.suggest.setToolTip(problem or "complete the selection to a valid hardpoint set")
        problem = store.reset_problem()
        self.reset.setEnabled(problem is None)
        self.reset.setToolTip(problem or "select the hardpoints the controller reported")
        self._show_apply_reason()

    def _show_apply_reason(self) -> None:
        self.apply.update_state()
        reason = self.apply.reason
        self.apply_reason.setText(
            "Apply Selection sends setHardpointList now."
            if reason is None
            else f"Apply Selection is disabled: {reason}."
        )
