"""`RebuildIndicator`: rebuild a stale long history in the background, shown in the status bar.

When the session's long history is an `Archive` whose pyramid is missing,
unusable or stops before its recording (`Archive.rebuild_needed`), the
indicator runs `Archive.rebuild` in a worker thread by itself and shows
"Rebuilding the long history of <folder>: 42 %" with a Cancel button. The
plots meanwhile draw what is there. When it ends it says so (and logs it):
rebuilt (the message goes after a while), or cancelled or failed (a
Rebuild button stays, to start it again; it is not restarted by itself).

The long history of the recording this window is writing right now is never
rebuilt: its pyramid belongs to its writer (an idle writer, e.g. while the
connection is down, can look stale to `Archive`).
"""

from __future__ import annotations

import logging
import weakref

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QWidget

from m2gui.model.session import Session
from m2gui.record import Archive
from m2gui.record.live import LiveRecording

from .background_job import BackgroundJob, JobOutcome

__all__ = ["RebuildIndicator"]

log = logging.getLogger(__name__)

#: How often the session's long history is looked at, ms.
CHECK_MS = 1000
#: How long "rebuilt" stays shown, ms.
DONE_SHOWN_MS = 10_000
ERROR_STYLE = "color: #d03030; font-weight: bold"


class RebuildIndicator(QWidget):
    """Rebuilds the session's long history when it needs it; a small status-bar widget.

    Hidden while there is nothing to say.

    Parameters
    ----------
    session : `Session`
        Whose ``long_history`` is watched (it may be set or replaced later).
    parent : `QWidget`, optional
        The status bar, usually.
    live : `LiveRecording`, optional
        The window's own recording: while it is active, its folder's long
        history is left to its writer.
    check_ms : `int`
        How often ``session.long_history`` is looked at.
    """

    def __init__(
        self,
        session: Session,
        parent: QWidget | None = None,
        *,
        live: LiveRecording | None = None,
        check_ms: int = CHECK_MS,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("rebuild_indicator")
        self.session = session
        self.live = live
        self.label = QLabel()
        self.label.setObjectName("rebuild_label")
        self.button = QPushButton("Cancel")
        self.button.setObjectName("rebuild_button")
        self.button.clicked.connect(self._clicked)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(4, 0, 4, 0)
        layout.setSpacing(6)
        layout.addWidget(self.label)
        layout.addWidget(self.button)
        #: The rebuild running, if any, and its archive.
        self.job: BackgroundJob | None = None
        self.archive: Archive | None = None
        #: Fraction done of the rebuild running (or of the last one).
        self.fraction = 0.0
        #: How the last rebuild ended: "done", "cancelled", "failed" (None: none ended yet).
        self.result: str | None = None
        # Archives whose rebuild was cancelled or failed: not restarted by themselves.
        self._left: weakref.WeakSet[Archive] = weakref.WeakSet()
        self._hide_timer = QTimer(self)
        self._hide_timer.setSingleShot(True)
        self._hide_timer.timeout.connect(self._hide_done)
        self.timer = QTimer(self)
        self.timer.setInterval(check_ms)
        self.timer.timeout.connect(self.check)
        self.timer.start()
        self.hide()
        self.check()

    def check(self) -> None:
        """Start a rebuild if the session's long history needs one (and none runs)."""
        archive = self.session.long_history
        if (
            self.job is None
            and isinstance(archive, Archive)
            and archive.rebuild_needed is not None
            and archive not in self._left
            and not self.being_written(archive)
        ):
            self.start(archive)

    def being_written(self, archive: Archive) -> bool:
        """Whether ``archive`` is the long history the live recording is writing now."""
        live = self.live
        return (
            live is not None
            and live.active
            and live.folder is not None
            and archive.recording.path == live.folder
        )

    def start(self, archive: Archive) -> None:
        """Rebuild ``archive`` in a worker thread (a rebuild running is left to finish;
        the recording being written is never rebuilt)."""
        if self.job is not None or self.being_written(archive):
            return
        self._left.discard(archive)
        self._hide_timer.stop()
        self.archive = archive
        self.fraction = 0.0
        self.result = None
        how = archive.rebuild_needed or "full"
        log.info(
            "rebuilding the long history of %s (%s): %s",
            archive.recording.path,
            how,
            archive.problem or "stale",
        )
        job = self.job = BackgroundJob(archive.rebuild, "long-history-rebuild")
        job.progressed.connect(self._progressed)
        job.finished.connect(self._ended)
        self._show_running()
        job.start()

    def cancel(self) -> None:
        """Stop the rebuild running, if any (a full rebuild leaves the old pyramid as it was)."""
        if self.job is not None:
            self.job.cancel()
            self.label.setText(f"Cancelling the rebuild of the long history of {self._name()}…")
            self.button.setEnabled(False)

    # ------------------------------------------------------------------
    def _name(self) -> str:
        return self.archive.recording.path.name if self.archive is not None else ""

    def _show_running(self) -> None:
        self.label.setStyleSheet("")
        self.label.setText(
            f"Rebuilding the long history of {self._name()}: {int(self.fraction * 100)} %"
        )
        if self.archive is not None:
            self.setToolTip(
                f"The plots' long history of {self.archive.recording.path} is being rebuilt "
                "from the recording; the plots show what is there meanwhile."
            )
        self.button.setText("Cancel")
        self.button.setEnabled(True)
        self.show()

    def _progressed(self, fraction: float) -> None:
        if self.job is None or self.job.cancel_requested:
            return
        self.fraction = fraction
        self._show_running()

    def _ended(self, outcome: JobOutcome) -> None:
        archive, self.job = self.archive, None
        if archive is None:
            return
        name = self._name()
        if outcome.value is True:
            self.result = "done"
            self.fraction = 1.0
            log.info("long history of %s rebuilt", archive.recording.path)
            self.label.setStyleSheet("")
            self.label.setText(f"Long history of {name} rebuilt")
            self.button.hide()
            self._hide_timer.start(DONE_SHOWN_MS)
            return
        self._left.add(archive)
        self.button.setText("Rebuild")
        self.button.setEnabled(True)
        self.button.show()
        if outcome.cancel_requested and outcome.error is None:
            self.result = "cancelled"
            log.info("rebuild of the long history of %s cancelled", archive.recording.path)
            self.label.setStyleSheet("")
            self.label.setText(f"Rebuild of the long history of {name} cancelled")
            self.setToolTip("The plots show the long history there is; Rebuild starts it again.")
            return
        self.result = "failed"
        reason = str(outcome.error) if outcome.error is not None else "see the log"
        log.error("long history of %s not rebuilt: %s", archive.recording.path, reason)
        self.label.setStyleSheet(ERROR_STYLE)
        self.label.setText(f"⚠ Long history of {name} not rebuilt: {reason}")
        self.setToolTip(archive.problem or reason)

    def _clicked(self) -> None:
        if self.job is not None:
            self.cancel()
        elif self.archive is not None:
            self.start(self.archive)

    def _hide_done(self) -> None:
        if self.job is None and self.result == "done":
            self.hide()
            self.button.show()
