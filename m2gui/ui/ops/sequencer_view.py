"""Command source and local-mode sequencer: Remote/Local, Standby/Diagnostic/Enable, step list.

The transitions are procedures of the model (`m2gui.model.ops.local_mode`);
this view starts them (after one confirmation), shows the running one step
by step (current step, elapsed time, each command's outcome and latency),
cancels it, and shows the banner of an automatic drop to Diagnostic until
it is acknowledged.
"""

from __future__ import annotations

import html
import logging
from collections.abc import Callable

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QBrush, QColor, QFont
from PySide6.QtWidgets import (
    QFrame,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMessageBox,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from m2gui.model.ops.local_mode import (
    TRANSITION_COMMAND,
    Local,
    LocalMode,
    commander_text,
)
from m2gui.model.procedures import Procedure, ProcedureRunner, StepRun, StepStatus
from m2gui.model.procedures.cell_state import closed_loop_running, state_text
from m2gui.model.procedures.control_mode import enter_closed_loop, enter_open_loop
from m2gui.model.procedures.local_mode import transition
from m2gui.model.procedures.looks import outcome_look, step_look
from m2gui.model.session import Session
from m2gui.net import CommandRecord

from ..bridge import listen
from ..command_sender import CommandSender
from ..controls import CommandButton

__all__ = ["SequencerView"]

log = logging.getLogger(__name__)

#: Columns of the step list.
COLUMNS = ("Step", "Status", "Tries", "Time", "Commands and notes")
#: Refresh of the elapsed time while a procedure runs (it moves with the clock).
ELAPSED_MS = 200
BANNER_STYLE = (
    "QFrame#banner { background: #fde2e2; border: 2px solid #d03030; border-radius: 4px; }"
)
TIPS = {
    Local.STANDBY: "Diagnostic → Standby: communication power off, controller Idle",
    Local.DIAGNOSTIC: (
        "Standby → Diagnostic: fault mask, digital outputs, Idle, configuration, "
        "control parameters, resets; or Enable → Diagnostic: stop the script, resets, "
        "TelemetryOnly, motor power off"
    ),
    Local.ENABLE: (
        "Diagnostic → Enable: communication and motor power on, ILCs to Enabled "
        "(3 tries, 20 s), controller OpenLoop"
    ),
}


def duration_text(seconds: float | None) -> str:
    """``0.8 ms``, ``120 ms``, ``2.35 s`` ("" for None)."""
    if seconds is None:
        return ""
    if seconds < 0.01:
        return f"{seconds * 1e3:.1f} ms"
    if seconds < 1.0:
        return f"{seconds * 1e3:.0f} ms"
    return f"{seconds:.2f} s"


def command_text(record: CommandRecord) -> str:
    """``power: success · 12 ms``."""
    parts = [f"{record.name}: {record.outcome.value}"]
    if record.done_latency is not None:
        parts.append(duration_text(record.done_latency))
    elif record.ack_latency is not None:
        parts.append(f"ack {duration_text(record.ack_latency)}")
    return " · ".join(parts)


class SequencerView(QWidget):
    """Command source, local mode and the running procedure.

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
        self.local = session.store(LocalMode)
        self.runner = session.store(ProcedureRunner)
        self.command_sender = CommandSender(session, self)
        #: The open confirmation dialog, if one is waiting.
        self.confirm_box: QMessageBox | None = None
        self._shown: Procedure | None = None
        self._items: list[QTreeWidgetItem] = []

        # Command source
        self.commander = QLabel()
        self.remote = CommandButton(
            "Remote",
            session,
            "switchCommandSource",
            self.local.source_rule(True),
            tip="Give command to the CSC: switchCommandSource {isRemote: true}",
        )
        self.local_button = CommandButton(
            "Local",
            session,
            "switchCommandSource",
            self.local.source_rule(False),
            tip="Take command for this GUI: switchCommandSource {isRemote: false}",
        )
        self.remote.clicked.connect(self._remote)
        self.local_button.clicked.connect(self._take)
        self.source_outcome = QLabel()
        self.source_outcome.setTextFormat(Qt.TextFormat.RichText)
        self.command_sender.reported.connect(self.source_outcome.setText)
        self.command_sender.finished.connect(self._sent)
        source = QGroupBox("Command source")
        row = QHBoxLayout(source)
        row.addWidget(QLabel("Commander:"))
        row.addWidget(self.commander, 1)
        row.addWidget(self.remote)
        row.addWidget(self.local_button)

        # Local mode
        self.mode_label = QLabel()
        font = QFont(self.mode_label.font())
        font.setPointSizeF(font.pointSizeF() * 1.6)
        font.setBold(True)
        self.mode_label.setFont(font)
        self.state_label = QLabel()
        self.state_label.setWordWrap(True)
        self.state_label.setTextFormat(Qt.TextFormat.PlainText)
        self.buttons: dict[Local, CommandButton] = {}
        modes = QGroupBox("Local mode")
        mode_row = QHBoxLayout(modes)
        mode_row.addWidget(self.mode_label)
        for target in Local:
            button = CommandButton(
                target.value,
                session,
                TRANSITION_COMMAND[target],
                self.local.rule(target),
                tip=TIPS[target],
            )
            button.clicked.connect(lambda _=False, t=target: self.ask(t))
            self.buttons[target] = button
            mode_row.addWidget(button)

        # Control mode (open / closed loop)
        self.loop_label = QLabel()
        self.open_loop = CommandButton(
            "Enter open loop",
            session,
            "switchForceBalanceSystem",
            self.local.control_rule(False),
            tip="switchForceBalanceSystem {status: false}",
        )
        self.closed_loop = CommandButton(
            "Enter closed loop",
            session,
            "switchForceBalanceSystem",
            self.local.control_rule(True),
            tip=(
                "enableOpenLoopMaxLimit {status: false}, then "
                "switchForceBalanceSystem {status: true}"
            ),
        )
        self.open_loop.clicked.connect(lambda: self.ask_control(False))
        self.closed_loop.clicked.connect(lambda: self.ask_control(True))
        mode_row.addWidget(self.state_label, 1)
        control = QGroupBox("Control mode")
        control_row = QHBoxLayout(control)
        control_row.addWidget(self.loop_label)
        control_row.addWidget(self.open_loop)
        control_row.addWidget(self.closed_loop)

        # Fault-drop banner
        self.banner = QFrame()
        self.banner.setObjectName("banner")
        self.banner.setStyleSheet(BANNER_STYLE)
        self.banner_text = QLabel()
        self.banner_text.setWordWrap(True)
        self.banner_text.setTextFormat(Qt.TextFormat.PlainText)
        self.acknowledge = QPushButton("Acknowledge")
        self.acknowledge.setToolTip("I have seen it: remove this banner")
        self.acknowledge.clicked.connect(self.local.acknowledge)
        banner_row = QHBoxLayout(self.banner)
        icon = QLabel("⚠ FAULT")
        icon.setStyleSheet("color: #d03030; font-weight: bold;")
        banner_row.addWidget(icon)
        banner_row.addWidget(self.banner_text, 1)
        banner_row.addWidget(self.acknowledge)

        # The procedure
        self.title = QLabel("No procedure has run yet.")
        title_font = QFont(self.title.font())
        title_font.setBold(True)
        self.title.setFont(title_font)
        self.elapsed = QLabel()
        self.cancel = QPushButton("Cancel")
        self.cancel.setToolTip("Stop the running procedure; its clean-up runs")
        self.cancel.clicked.connect(self._cancel)
        self.result = QLabel()
        self.result.setWordWrap(True)
        self.result.setTextFormat(Qt.TextFormat.PlainText)
        self.result.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.steps = QTreeWidget()
        self.steps.setColumnCount(len(COLUMNS))
        self.steps.setHeaderLabels(list(COLUMNS))
        self.steps.setRootIsDecorated(True)
        self.steps.setUniformRowHeights(True)
        header = self.steps.header()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        for column in (1, 2, 3):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)
        procedure = QGroupBox("Procedure")
        box = QVBoxLayout(procedure)
        head = QHBoxLayout()
        head.addWidget(self.title, 1)
        head.addWidget(self.elapsed)
        head.addWidget(self.cancel)
        box.addLayout(head)
        box.addWidget(self.result)
        box.addWidget(self.steps, 1)

        layout = QVBoxLayout(self)
        top = QHBoxLayout()
        top.addWidget(source, 1)
        top.addWidget(control)
        layout.addLayout(top)
        layout.addWidget(self.source_outcome)
        layout.addWidget(modes)
        layout.addWidget(self.banner)
        layout.addWidget(procedure, 1)

        self._timer = QTimer(self)
        self._timer.setInterval(ELAPSED_MS)
        self._timer.timeout.connect(self._tick)

        self.refresh()
        self._show_procedure(self.runner.last)
        listen(self, self.local.changed, self.refresh, mode="poke")
        listen(self, session.events.updated, self._on_events, mode="poke")
        listen(self, session.link.changed, self.refresh, mode="poke")
        listen(self, self.runner.changed, self._on_procedure, mode="poke")
        listen(self, self.runner.step, self._on_steps, mode="batch")

    # ------------------------------------------------------------------
    # State
    # ------------------------------------------------------------------
    def refresh(self) -> None:
        """Commander, local mode, buttons and banner from the model."""
        self.commander.setText(commander_text(self.session))
        self.mode_label.setText(self.local.mode.value)
        self.state_label.setText(state_text(self.session))
        for button in self._buttons():
            button.update_state()
        self._loop_text()
        banner = self.local.banner
        self.banner.setVisible(banner is not None)
        if banner is not None:
            self.banner_text.setText(banner.text)
        running = self.runner.busy
        self.cancel.setEnabled(running)
        self.cancel.setToolTip(
            "Stop the running procedure; its clean-up runs" if running else "nothing is running"
        )

    def _on_events(self) -> None:
        self.commander.setText(commander_text(self.session))
        self.state_label.setText(state_text(self.session))
        self._loop_text()
        for button in (self.remote, self.local_button, self.open_loop, self.closed_loop):
            button.update_state()

    def _buttons(self) -> list[CommandButton]:
        return [
            self.remote,
            self.local_button,
            *self.buttons.values(),
            self.open_loop,
            self.closed_loop,
        ]

    def _loop_text(self) -> None:
        running = closed_loop_running(self.session)
        self.loop_label.setText("closed loop" if running else "open loop")

    # ------------------------------------------------------------------
    # Actions
    # ------------------------------------------------------------------
    def _remote(self) -> None:
        self.remote.set_busy(True)
        self.command_sender.send("switchCommandSource", {"isRemote": True})

    def _take(self) -> None:
        self.local_button.set_busy(True)
        self.command_sender.send("switchCommandSource", {"isRemote": False})

    def _sent(self, record: object) -> None:
        self.remote.set_busy(False)
        self.local_button.set_busy(False)

    def ask(self, target: Local) -> None:
        """Confirm (non-blocking), then start the transition to ``target``."""
        reason = self.buttons[target].blocked_reason()
        if reason is not None:
            self.result.setText(f"{target.value} not started: {reason}")
            return
        preview = transition(self.session, self.local.mode, target)
        self._confirm(preview, lambda: self.start(target))

    def ask_control(self, closed: bool) -> None:
        """Confirm (non-blocking), then enter closed-loop (``closed``) or open-loop control."""
        button = self.closed_loop if closed else self.open_loop
        reason = button.blocked_reason()
        if reason is not None:
            self.result.setText(f"{button.text()} not started: {reason}")
            return
        preview = enter_closed_loop(self.session) if closed else enter_open_loop(self.session)
        self._confirm(preview, lambda: self.start_control(closed))

    def start_control(self, closed: bool) -> Procedure | None:
        """Enter closed-loop (``closed``) or open-loop control now (no confirmation)."""
        try:
            return self.local.start_control(closed)
        except RuntimeError as error:
            self.result.setText(str(error))
            return None

    def _confirm(self, preview: Procedure, go: Callable[[], object]) -> None:
        if self.confirm_box is not None:
            return
        steps = "".join(f"<li>{html.escape(s.title)}</li>" for s in preview.steps)
        box = QMessageBox(
            QMessageBox.Icon.Warning,
            f"{preview.name}?",
            f"<b>{html.escape(preview.name)}</b> runs these steps:<ol>{steps}</ol>"
            "You can cancel it while it runs.",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
            self,
        )
        box.setDefaultButton(QMessageBox.StandardButton.Cancel)

        def answered(result: int) -> None:
            self.confirm_box = None
            box.deleteLater()
            if result == QMessageBox.StandardButton.Yes:
                go()

        box.finished.connect(answered)
        self.confirm_box = box
        box.open()

    def start(self, target: Local) -> Procedure | None:
        """Start the transition to ``target`` now (no confirmation)."""
        try:
            return self.local.start(target)
        except RuntimeError as error:
            self.result.setText(str(error))
            return None

    def _cancel(self) -> None:
        self.local.cancel()

    # ------------------------------------------------------------------
    # The procedure's step list
    # ------------------------------------------------------------------
    def _on_procedure(self) -> None:
        self._show_procedure(self.runner.last)
        self.refresh()

    def _show_procedure(self, procedure: Procedure | None) -> None:
        if procedure is not self._shown:
            self._shown = procedure
            self.steps.clear()
            self._items = []
            if procedure is not None:
                for run in procedure.runs:
                    self._add_item(run)
        if procedure is not None:
            for run in procedure.all_runs:
                self._update_run(run)
        self._update_head()
        if procedure is not None and procedure.running:
            self._timer.start()
        else:
            self._timer.stop()

    def _add_item(self, run: StepRun) -> QTreeWidgetItem:
        prefix = "clean-up: " if run.cleanup else f"{run.index + 1}. "
        item = QTreeWidgetItem([prefix + run.title, "", "", "", ""])
        self.steps.addTopLevelItem(item)
        self._items.append(item)
        return item

    def _on_steps(self, batch: list[tuple[Procedure, StepRun]]) -> None:
        if self.runner.last is not self._shown:
            self._show_procedure(self.runner.last)
        for procedure, run in batch:
            if procedure is self._shown:
                self._update_run(run)
        self._update_head()

    def _update_run(self, run: StepRun) -> None:
        while run.index >= len(self._items):
            procedure = self._shown
            assert procedure is not None
            self._add_item(procedure.all_runs[len(self._items)])
        item = self._items[run.index]
        color, word = step_look(run.status)
        if run.status is StepStatus.RUNNING and run.sending:
            word = f"running: {run.sending}…"
        item.setText(1, word)
        item.setBackground(1, QBrush(QColor(color)))
        item.setForeground(1, QBrush(QColor("#000000")))
        item.setText(2, str(run.tries) if run.tries else "")
        item.setText(3, duration_text(run.latency))
        commands = "; ".join(command_text(r) for r in run.commands)
        detail = " — ".join(part for part in (commands, run.note) if part)
        item.setText(4, detail)
        item.setToolTip(4, detail)
        font = item.font(0)
        font.setBold(run.status is StepStatus.RUNNING)
        item.setFont(0, font)
        # One child per command: its outcome, sequence id and latencies.
        while item.childCount() < len(run.commands):
            item.addChild(QTreeWidgetItem(["", "", "", "", ""]))
        for child_index, record in enumerate(run.commands):
            child = item.child(child_index)
            if child is None:
                continue
            child.setText(0, record.name)
            child.setText(1, record.outcome.value)
            child.setText(2, f"seq {record.sequence_id}")
            child.setText(3, duration_text(record.done_latency))
            params = ", ".join(f"{k}={v}" for k, v in record.params.items())
            text = " · ".join(p for p in (params[:200], record.reason) if p)
            child.setText(4, text)
            child.setToolTip(4, text)
        if run.status is StepStatus.RUNNING:
            self.steps.scrollToItem(item)

    def _update_head(self) -> None:
        procedure = self._shown
        if procedure is None:
            self.title.setText("No procedure has run yet.")
            self.elapsed.setText("")
            self.result.setText("")
            return
        color, word = outcome_look(procedure.outcome)
        self.title.setText(f"{procedure.name}: {word}")
        self.title.setStyleSheet(f"background: {color}; color: #000000; padding: 2px;")
        self._tick()
        current = procedure.current
        if procedure.result is not None:
            self.result.setText(procedure.result.text)
        elif current is not None:
            self.result.setText(f"Step {current.index + 1}: {current.title}")

    def _tick(self) -> None:
        procedure = self._shown
        if procedure is None:
            return
        self.elapsed.setText(f"elapsed {duration_text(procedure.elapsed)}")
        current = procedure.current
        if current is not None and current.index < len(self._items):
            self._items[current.index].setText(3, duration_text(current.latency))
        if not procedure.running:
            self._timer.stop()
