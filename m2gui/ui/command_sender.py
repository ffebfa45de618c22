"""The one path by which a view sends a command: validate, confirm, send, report.

Every button of every view sends through a `CommandSender`, so each command
is checked against the catalogue, confirmed when the catalogue marks it
dangerous (a non-blocking dialog), refused with the reason when the model
says it may not be sent now, recorded in the command history with its
latencies, and reported as one line of rich text.
"""

from __future__ import annotations

import asyncio
import html
import json
import logging
from collections.abc import Callable
from typing import Any

import shiboken6
from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import QLabel, QMessageBox, QWidget

from m2gui.model.catalogue import CommandValidationError
from m2gui.model.commanding import CommandBlocked
from m2gui.model.format import join_bounded
from m2gui.model.session import Session
from m2gui.net import CommandError, CommandRecord, Outcome

from .controls import CommandButton
from .tasks import spawn

__all__ = ["CommandRunner", "CommandSender", "outcome_html"]

log = logging.getLogger(__name__)

OK_COLOR = "#2e9d4f"
FAIL_COLOR = "#d03030"
#: Characters of the controller's replies shown after a failure.
REASON_CHARS = 300


class CommandSender(QObject):
    """Sends commands for one view.

    Parameters
    ----------
    session : `Session`
        Where commands go.
    parent : `QWidget`
        The view (the confirmation dialog's parent).

    Signals
    -------
    reported(str)
        The outcome as rich text (success with latency, or why not).
    finished(object)
        The `CommandRecord`, or None if nothing was sent.
    """

    reported = Signal(str)
    finished = Signal(object)

    def __init__(self, session: Session, parent: QWidget) -> None:
        super().__init__(parent)
        self.session = session
        self.view = parent
        #: The open confirmation dialog, if one is waiting.
        self.confirm_box: QMessageBox | None = None
        self.task: asyncio.Task[CommandRecord | None] | None = None

    @property
    def busy(self) -> bool:
        """True while a command of this view is being confirmed or is in flight."""
        return self.task is not None and not self.task.done()

    def send(
        self, name: str, params: dict[str, Any] | None = None
    ) -> asyncio.Task[CommandRecord | None]:
        """Validate, confirm if dangerous, and send ``name`` in the background."""
        self.task = spawn(self.run(name, dict(params or {})), f"sending {name}")
        return self.task

    async def run(self, name: str, params: dict[str, Any]) -> CommandRecord | None:
        """Validate, confirm if dangerous, send and report; the record, or None."""
        record: CommandRecord | None = None
        try:
            catalogue = self.session.catalogue
            try:
                params = catalogue.validate_command(name, params)
            except CommandValidationError as error:
                self._report(
                    f"<span style='color:{FAIL_COLOR}'>Not sent: {html.escape(str(error))}</span>"
                )
                return None
            if catalogue.commands[name].needs_confirmation(params) and not await self.confirm(
                name, params
            ):
                self._report(f"{html.escape(name)} not sent: cancelled.")
                log.info("%s not sent: cancelled by the user", name)
                return None
            try:
                record = await self.session.send(name, params, validate=False)
            except CommandBlocked as error:
                self._report(f"<span style='color:{FAIL_COLOR}'>{html.escape(str(error))}</span>")
                return None
            except CommandError as error:
                record = error.record
            self._report(outcome_html(record))
            return record
        finally:
            if shiboken6.isValid(self):  # the view may have closed meanwhile
                self.finished.emit(record)

    async def confirm(self, name: str, params: dict[str, Any]) -> bool:
        """Ask whether to send a dangerous command (a dialog that does not block the loop)."""
        answer: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        text = json.dumps(params) if params else "no parameters"
        box = QMessageBox(
            QMessageBox.Icon.Warning,
            f"Send {name}?",
            f"<b>{html.escape(name)}</b> changes the state of the mirror cell.<br><br>"
            f"{html.escape(self.session.catalogue.commands[name].description)}<br><br>"
            f"<code>{html.escape(text[:300])}</code>",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
            self.view,
        )
        box.setDefaultButton(QMessageBox.StandardButton.Cancel)

        def finished(result: int) -> None:
            if not answer.done():
                answer.set_result(result == QMessageBox.StandardButton.Yes)

        box.finished.connect(finished)
        self.confirm_box = box
        box.open()  # never exec() inside a coroutine
        try:
            return await answer
        finally:
            self.confirm_box = None
            box.deleteLater()

    def outcome_label(self) -> QLabel:
        """A word-wrapped rich-text label that shows each outcome this sender reports."""
        label = QLabel()
        label.setWordWrap(True)
        label.setTextFormat(Qt.TextFormat.RichText)
        self.reported.connect(label.setText)
        return label

    def _report(self, text: str) -> None:
        if shiboken6.isValid(self):
            self.reported.emit(text)


class CommandRunner:
    """Builds a command's parameters, sends them, and keeps its button busy meanwhile.

    Parameters
    ----------
    sender : `CommandSender`
        The view's sender.
    report : callable
        Shows a line of rich text (a refusal before sending).
    """

    def __init__(self, sender: CommandSender, report: Callable[[str], None]) -> None:
        self.sender = sender
        self.report = report

    def run(
        self, button: CommandButton, build: Callable[[], dict[str, Any]]
    ) -> asyncio.Task[CommandRecord | None] | None:
        """Build the parameters (a `ValueError` is reported, nothing sent) and send."""
        name = button.command
        if name is None:
            return None
        try:
            params = build()
        except ValueError as error:
            self.report(
                f"<span style='color:{FAIL_COLOR}'>{html.escape(name)} not sent: "
                f"{html.escape(str(error))}</span>"
            )
            return None
        button.set_busy(True)
        task = self.sender.send(name, params)

        def done(_task: asyncio.Task[CommandRecord | None]) -> None:
            if shiboken6.isValid(button):
                button.set_busy(False)

        task.add_done_callback(done)
        return task


def outcome_html(record: CommandRecord, label: str | None = None) -> str:
    """One line: the outcome, sequence id, latencies and (bounded) replies.

    ``label`` replaces the bold ``name: outcome`` at its start.
    """
    ok = record.outcome is Outcome.SUCCESS
    label = label if label is not None else f"{record.name}: {record.outcome.value}"
    parts = [
        f"<span style='color:{OK_COLOR if ok else FAIL_COLOR}'><b>{html.escape(label)}</b></span>",
        f"seq {record.sequence_id}",
    ]
    if record.ack_latency is not None:
        parts.append(f"ack {record.ack_latency * 1e3:.1f} ms")
    if record.done_latency is not None:
        parts.append(f"done {record.done_latency * 1e3:.1f} ms")
    if not ok:
        reason = join_bounded([record.reason, *record.user_info], REASON_CHARS)
        if reason:
            parts.append(html.escape(reason))
    return " · ".join(parts)
