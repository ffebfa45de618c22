"""`LiveRecording`: record a session's connection (wire log + long-history pyramid)."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import psygnal

from m2gui.model.catalogue import Catalogue
from m2gui.model.telemetry import TelemetryStore
from m2gui.net import ControllerConnection, WireLine

from .archive import Archive
from .errors import RecordingError
from .pyramid import PyramidWriter
from .reader import FrameRef
from .retention import apply_retention
from .writer import Recorder, RecorderStatus, folder_name

__all__ = ["LiveRecording", "RecordingOptions"]

log = logging.getLogger(__name__)


class RecordingOptions:
    """Where and how much to record.

    Parameters
    ----------
    root : `pathlib.Path`
        The folder holding the recording folders (one per start).
    folder : `pathlib.Path` or None
        Record into exactly this folder instead (``--record PATH``).
    retention_days, retention_bytes : `float`, `int` or None
        Recordings older or beyond this total size are deleted at start
        (oldest first; never the one being written). None: no limit.
    rotate_bytes, rotate_seconds
        A new part file every this many bytes or seconds.
    """

    def __init__(
        self,
        root: Path,
        folder: Path | None = None,
        *,
        retention_days: float | None = 30.0,
        retention_bytes: int | None = 50 * 2**30,
        rotate_bytes: int = 512 * 2**20,
        rotate_seconds: float = 3600.0,
    ) -> None:
        self.root = root
        self.folder = folder
        self.retention_days = retention_days
        self.retention_bytes = retention_bytes
        self.rotate_bytes = rotate_bytes
        self.rotate_seconds = rotate_seconds


class LiveRecording:
    """Records everything a connection receives and sends, and the plots' long history.

    While active, every wire line goes to a `Recorder` (compressed frames,
    flushed every second) and every telemetry sample the store keeps goes to
    a `PyramidWriter`, flushed after each frame. `archive` opens the folder
    for the plots once the first frame is on disk.

    Signals
    -------
    changed()
        Recording started or stopped (by the user or on an error).
    failed(str)
        Recording stopped on a disk error; the message names the folder and
        the reason. May be emitted from the writer thread.
    """

    changed = psygnal.Signal()
    failed = psygnal.Signal(str)

    def __init__(
        self,
        connection: ControllerConnection,
        telemetry: TelemetryStore,
        catalogue: Catalogue,
        options: RecordingOptions,
    ) -> None:
        self.connection = connection
        self.telemetry = telemetry
        self.catalogue = catalogue
        self.options = options
        self.recorder: Recorder | None = None
        self.pyramid: PyramidWriter | None = None
        self.folder: Path | None = None
        self.error: str | None = None
        self._detach: list[Callable[[], None]] = []
        self._archive: Archive | None = None
        self._first_frame = threading.Event()
        #: Whether the user wants recording (the setting, or the Record
        #: toggle): a reconnect starts it again only while this is true.
        self.wanted = False
        self._last_status: RecorderStatus | None = None

    @property
    def active(self) -> bool:
        """True while recording (not after a stop or a disk error)."""
        return self.recorder is not None and self.error is None

    def start(self) -> Path:
        """Start recording into a new folder (or the one given); return it.

        Raises
        ------
        RecordingError
            If the folder cannot be made (the message says why); nothing
            is then recorded.
        """
        if self.recorder is not None:
            if self.error is None and self.folder is not None:
                return self.folder
            self.stop()  # it stopped on an error: close it, start anew
        options = self.options
        conn = self.connection
        folder = options.folder or _new_folder(options.root, folder_name(conn.host))
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            message = f"cannot record into {folder}: {error.strerror or error}"
            self.error = message
            self.changed.emit()
            raise RecordingError(message) from None
        metadata: dict[str, Any] = {
            "host": conn.host,
            "command_port": conn.command_port,
            "telemetry_port": conn.telemetry_port,
        }
        self.error = None
        self.folder = folder
        self._first_frame.clear()
        # The folder may hold an earlier recording (``--record PATH`` after a
        # restart or a crash, Record off and on): its long history goes on.
        self.pyramid = PyramidWriter(folder, self.catalogue, resume=True)
        self.recorder = Recorder(
            folder,
            metadata,
            rotate_bytes=options.rotate_bytes,
            rotate_seconds=options.rotate_seconds,
            on_frame=self._on_frame,
        )
        self.recorder.on_error = self._on_error
        self._detach = [
            conn.add_wire_listener(self.recorder.write),
            self.pyramid.attach(self.telemetry),
        ]
        log.info("recording into %s", folder)
        if options.folder is None:
            threading.Thread(
                target=self._retention, args=(folder,), name="m2gui-retention", daemon=True
            ).start()
        self.changed.emit()
        return folder

    def stop(self) -> None:
        """Stop recording: flush and close the files (the folder stays)."""
        for detach in self._detach:
            detach()
        self._detach = []
        recorder, pyramid = self.recorder, self.pyramid
        if recorder is not None:
            recorder.close()  # its last frames still reach the pyramid (`_on_frame`)
            self._last_status = recorder.status()
        if pyramid is not None:
            pyramid.close()
        self.recorder = self.pyramid = None
        if recorder is not None:
            log.info("recording stopped: %s", self.folder)
            self.changed.emit()

    def heartbeat(self) -> None:
        """Tell readers the pyramid's writer is alive while no frame comes (link down).

        Call every few seconds, off the GUI thread (it writes the pyramid's meta).
        """
        pyramid = self.pyramid
        if pyramid is not None and self.active:
            pyramid.cover(time.time())
            pyramid.flush()

    def status(self) -> RecorderStatus | None:
        """The recorder's status (the last one after a stop), or None before any start."""
        if self.recorder is not None:
            return self.recorder.status()
        return self._last_status

    def archive(self) -> Archive | None:
        """The long history of the current recording, once a frame is on disk."""
        if self._archive is not None and self._archive.recording.path == self.folder:
            return self._archive
        if self.folder is None or not self._first_frame.is_set():
            return None
        try:
            self._archive = Archive(self.folder, self.catalogue)
        except RecordingError as error:
            log.warning("long history of %s not available: %s", self.folder, error)
            return None
        return self._archive

    def close(self) -> None:
        """Stop, and close the archive."""
        self.stop()
        if self._archive is not None:
            self._archive.close()
            self._archive = None

    # ------------------------------------------------------------------ writer thread
    def _on_frame(self, ref: FrameRef, lines: Sequence[WireLine]) -> None:
        pyramid = self.pyramid
        if pyramid is not None:
            pyramid.cover(ref.t_last)
            pyramid.flush()
        self._first_frame.set()

    def _on_error(self, message: str) -> None:
        self.error = message
        self.wanted = False  # the user starts it again, once the disk is fixed
        log.error("recording stopped: %s", message)
        for detach in self._detach:
            try:
                detach()
            except Exception:  # a listener already gone
                pass
        self._detach = []
        self.failed.emit(message)

    def _retention(self, keep: Path) -> None:
        options = self.options
        try:
            removed = apply_retention(
                options.root, options.retention_days, options.retention_bytes, keep=keep
            )
        except OSError as error:
            log.warning("recording retention in %s failed: %s", options.root, error)
            return
        for path in removed:
            log.info("recording retention: removed %s", path)


def _new_folder(root: Path, name: str) -> Path:
    """``root/name``, or ``root/name-2``, ... if a recording started in the same second."""
    folder = root / name
    number = 1
    while folder.exists():
        number += 1
        folder = root / f"{name}-{number}"
    return folder
