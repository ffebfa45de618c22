"""Recording in the window: the Record toggle and the status-bar figure (file, size, rate)."""

from __future__ import annotations

import logging

from PySide6.QtCore import QTimer
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QLabel, QWidget

from m2gui.model.memory import format_bytes
from m2gui.record import RecordingError
from m2gui.record.live import LiveRecording

from .bridge import listen

__all__ = ["RecordingStatus", "record_action"]

log = logging.getLogger(__name__)

#: How often the size and rate are redrawn, ms.
REFRESH_MS = 1000
ERROR_STYLE = "color: #d03030; font-weight: bold"
ON_STYLE = "color: #c02020"


def status_text(recording: LiveRecording) -> tuple[str, str, str]:
    """What the status bar says of ``recording``: text, tool tip and style."""
    status = recording.status()
    if recording.error:
        return f"⚠ recording stopped: {recording.error}", recording.error, ERROR_STYLE
    if not recording.active or status is None:
        return "recording off", "Nothing is being recorded (Record in the toolbar)", ""
    part = status.part.name if status.part is not None else "(first frame pending)"
    folder = status.folder
    ratio = status.bytes_on_disk / status.wire_bytes if status.wire_bytes else 0.0
    text = (
        f"● REC {folder.name}/{part}  {format_bytes(status.bytes_on_disk)}  "
        f"{format_bytes(status.rate)}/s"
    )
    tip = (
        f"Recording into {folder}\n{status.messages} lines, "
        f"{format_bytes(status.wire_bytes)} on the wire, {format_bytes(status.bytes_on_disk)} "
        f"on disk ({ratio:.2f} of the wire)"
    )
    if status.dropped:
        tip += f"\n{status.dropped} lines dropped (the disk was too slow)"
    return text, tip, ON_STYLE


class RecordingStatus(QLabel):
    """The status-bar figure of a `LiveRecording`; red and explicit when it stopped on an error."""

    def __init__(self, recording: LiveRecording, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("recording_status")
        self.recording = recording
        self.timer = QTimer(self)
        self.timer.setInterval(REFRESH_MS)
        self.timer.timeout.connect(self.refresh)
        self.timer.start()
        listen(self, recording.changed, self.refresh, mode="poke")
        listen(self, recording.failed, self.refresh, mode="poke")
        self.refresh()

    def refresh(self) -> None:
        """Redraw from the recorder's status."""
        text, tip, style = status_text(self.recording)
        self.setText(text)
        self.setToolTip(tip)
        self.setStyleSheet(style)


def record_action(recording: LiveRecording, parent: QWidget) -> QAction:
    """A checkable Record action (Ctrl+R) that starts and stops ``recording``."""
    action = QAction("● Record", parent)
    action.setObjectName("record_action")
    action.setCheckable(True)
    action.setShortcut(QKeySequence("Ctrl+R"))
    action.setToolTip("Record everything the connection receives and sends (Ctrl+R)")

    def toggled(on: bool) -> None:
        recording.wanted = on  # a reconnect follows the user's choice
        if on and not recording.active:
            try:
                recording.start()
            except RecordingError as error:
                log.error("%s", error)
        elif not on and recording.active:
            recording.stop()

    def follow() -> None:
        action.blockSignals(True)
        action.setChecked(recording.active and not recording.error)
        action.blockSignals(False)

    action.toggled.connect(toggled)
    listen(parent, recording.changed, follow, mode="poke")
    listen(parent, recording.failed, follow, mode="poke")
    follow()
    return action
