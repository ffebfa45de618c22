"""Writing recordings: `Recorder` appends wire lines to a folder of parts.

`Recorder.write` runs on the asyncio/GUI thread for every line and only
appends to a list under a lock (O(1), never touches the disk, never raises).
A background thread wakes every ``flush_interval`` seconds, packs what
arrived into one frame, compresses it, appends it to the current part and
fsyncs, so a killed process or a power cut loses at most the last interval.

Parts rotate by size and age. An `OSError` (disk full, permission denied,
the folder removed) stops the recording, never the app: the status carries
the message, the log gets it, and ``on_error`` is called once.
"""

from __future__ import annotations

import collections
import datetime
import errno
import logging
import os
import re
import stat
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from m2gui.net import WireLine

from .format import (
    FORMAT_VERSION,
    PORTS,
    RECORD,
    encode_file_header,
    encode_frame,
    is_valid,
    list_parts,
    parse_frame_header,
    part_name,
    part_number,
)
from .reader import FrameRef
from .topics import TopicIndex

__all__ = ["Recorder", "RecorderStatus", "folder_name"]

log = logging.getLogger(__name__)

MiB = 1024 * 1024
#: Seconds `Recorder.close` waits for the writer thread.
CLOSE_TIMEOUT = 10.0
#: Raw bytes packed into one frame at most (a bigger backlog makes several frames).
FRAME_RAW_BYTES = 16 * MiB
#: The writer thread wakes early when this much is waiting.
EARLY_BYTES = 8 * MiB
#: Seconds over which ``status().rate`` is measured.
RATE_WINDOW = 5.0
_OPEN_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_APPEND | getattr(os, "O_BINARY", 0)

FrameListener = Callable[[FrameRef, Sequence[WireLine]], None]
ErrorListener = Callable[[str], None]


@dataclass(frozen=True)
class RecorderStatus:
    """A snapshot of a `Recorder` for the status bar.

    Attributes
    ----------
    folder : `pathlib.Path`
        The recording folder.
    part : `pathlib.Path` or None
        The part being written (None before the first frame or after a stop).
    bytes_on_disk : `int`
        Bytes written to the parts (headers and frames).
    wire_bytes : `int`
        Bytes of the lines accepted, with their LF terminators.
    messages : `int`
        Lines accepted.
    rate : `float`
        Disk bytes per second over the last few seconds.
    error : `str` or None
        Why recording stopped, if it stopped on an error.
    active : `bool`
        Whether lines are still being recorded.
    dropped : `int`
        Lines dropped because the in-memory backlog was full, or not recordable.
    """

    folder: Path
    part: Path | None
    bytes_on_disk: int
    wire_bytes: int
    messages: int
    rate: float
    error: str | None
    active: bool
    dropped: int = 0


def folder_name(host: str, when: float | None = None) -> str:
    """A recording folder name: ``20261130-153000-<host>`` (UTC), file-system safe."""
    stamp = datetime.datetime.fromtimestamp(
        time.time() if when is None else when, tz=datetime.UTC
    ).strftime("%Y%m%d-%H%M%S")
    safe = re.sub(r"[^A-Za-z0-9._-]+", "_", host).strip("._") or "controller"
    return f"{stamp}-{safe[:64]}"


class Recorder:
    """Record wire lines into ``folder`` (created if needed).

    Parameters
    ----------
    folder : `pathlib.Path`
        The recording folder. Existing parts are never written to: a new
        recorder on the same folder continues with the next part number.
    metadata : `dict`
        JSON-able metadata for each part's header (``host``,
        ``command_port``, ``telemetry_port``, ...); ``format``, ``created``,
        ``m2gui`` and ``part`` are filled in.
    rotate_bytes : `int`
        Start a new part when the current one would grow beyond this.
    rotate_seconds : `float`
        Start a new part when the current one is this old.
    flush_interval : `float`
        Seconds between frames while data arrives (the most a crash loses).
    fsync : `bool`
        fsync each frame (and each new part's folder entry).
    level : `int`
        zlib compression level (0-9).
    max_backlog : `int`
        Bytes of lines held in memory at most; beyond it lines are dropped
        and counted.
    on_error : callable, optional
        Also settable as the ``on_error`` attribute: called once, from the
        writer thread, with the message when recording stops on an OSError.
    on_frame : callable, optional
        ``on_frame(ref, lines)`` called from the writer thread after each frame
        is on disk (e.g. to feed the long-history pyramid). Exceptions are
        logged, never propagated.
    """

    def __init__(
        self,
        folder: Path,
        metadata: Mapping[str, Any],
        *,
        rotate_bytes: int = 512 * MiB,
        rotate_seconds: float = 3600.0,
        flush_interval: float = 1.0,
        fsync: bool = True,
        level: int = 3,
        max_backlog: int = 64 * MiB,
        on_error: ErrorListener | None = None,
        on_frame: FrameListener | None = None,
    ) -> None:
        self.folder = Path(folder)
        self._metadata = dict(metadata)
        self._rotate_bytes = rotate_bytes
        self._rotate_seconds = rotate_seconds
        self._flush_interval = flush_interval
        self._fsync = fsync
        self._level = level
        self._max_backlog = max_backlog
        self.on_frame = on_frame
        self._on_error = on_error
        self._error_reported = False

        self._cond = threading.Condition(threading.Lock())
        self._pending: list[WireLine] = []
        self._pending_bytes = 0
        self._accepting = True
        self._closing = False
        self._flush_requests = 0
        self._flushes_done = 0
        self._messages = 0
        self._wire_bytes = 0
        self._dropped = 0

        # Written by the writer thread only; read under the lock for status().
        self._error: str | None = None
        self._part: Path | None = None
        self._bytes_on_disk = 0
        self._recent: collections.deque[tuple[float, int]] = collections.deque()
        self._started = time.monotonic()
        self._fd: int | None = None
        self._part_bytes = 0
        self._part_frames = 0
        self._part_opened = 0.0
        self._next_number: int | None = None
        self._topics = TopicIndex(self.folder)

        self._thread = threading.Thread(target=self._run, name="m2gui-recorder", daemon=True)
        self._thread.start()

    # ------------------------------------------------------------------ caller side
    @property
    def on_error(self) -> ErrorListener | None:
        """Called once with the message when recording stops on an OSError.

        Setting it after the recorder already stopped calls it at once (so an
        early error is never missed).
        """
        return self._on_error

    @on_error.setter
    def on_error(self, callback: ErrorListener | None) -> None:
        with self._cond:
            self._on_error = callback
            late = self._error if (self._error and not self._error_reported) else None
            if late is not None and callback is not None:
                self._error_reported = True
        if late is not None and callback is not None:
            self._call_error(callback, late)

    def write(self, line: WireLine) -> None:
        """Queue one line for recording (O(1); never blocks on disk, never raises)."""
        try:
            size = len(line.line) + RECORD.size
            with self._cond:
                if not self._accepting:
                    return
                if self._pending_bytes + size > self._max_backlog:
                    self._dropped += 1
                    return
                self._pending.append(line)
                self._pending_bytes += size
                self._messages += 1
                self._wire_bytes += size - RECORD.size + 1
                if self._pending_bytes >= EARLY_BYTES:
                    self._cond.notify()
        except Exception:  # a malformed WireLine: count it, never raise
            with self._cond:
                self._dropped += 1

    def flush(self, timeout: float | None = None) -> bool:
        """Write what is queued now and wait until it is on disk.

        Returns
        -------
        done : `bool`
            False if the recorder stopped or ``timeout`` passed first.
        """
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._cond:
            if not self._thread.is_alive():
                return False
            self._flush_requests += 1
            wanted = self._flush_requests
            self._cond.notify_all()
            while self._flushes_done < wanted:
                if not self._thread.is_alive():
                    return False
                left = None if deadline is None else deadline - time.monotonic()
                if left is not None and left <= 0:
                    return False
                self._cond.wait(0.1 if left is None else min(left, 0.1))
            return self._error is None

    def status(self) -> RecorderStatus:
        """A snapshot of the recording state (cheap; call it from the GUI timer)."""
        now = time.monotonic()
        with self._cond:
            window = min(RATE_WINDOW, max(now - self._started, 1e-3))
            recent = sum(n for t, n in self._recent if t >= now - RATE_WINDOW)
            return RecorderStatus(
                folder=self.folder,
                part=self._part,
                bytes_on_disk=self._bytes_on_disk,
                wire_bytes=self._wire_bytes,
                messages=self._messages,
                rate=recent / window,
                error=self._error,
                active=self._accepting,
                dropped=self._dropped,
            )

    def close(self) -> None:
        """Write everything queued, close the part and stop the thread (idempotent)."""
        with self._cond:
            self._closing = True
            self._cond.notify_all()
        if threading.current_thread() is not self._thread:
            self._thread.join(CLOSE_TIMEOUT)
            if self._thread.is_alive():  # a hung disk (NFS): never freeze the caller
                log.error(
                    "recording into %s: the writer did not finish within %g s; "
                    "the last lines may be lost",
                    self.folder,
                    CLOSE_TIMEOUT,
                )

    # ------------------------------------------------------------------ writer thread
    def _run(self) -> None:
        try:
            self._loop()
        except Exception as error:  # a bug must stop recording visibly, not silently
            log.exception("recording into %s: the writer failed", self.folder)
            failure = OSError(f"internal error: {type(error).__name__}: {error}")
            self._fail(failure)
        finally:
            self._close_part()
            with self._cond:
                self._accepting = False
                self._part = None if self._error else self._part
                self._flushes_done = self._flush_requests
                self._cond.notify_all()

    def _loop(self) -> None:
        next_frame = time.monotonic() + self._flush_interval
        while True:
            with self._cond:
                while (
                    not self._closing
                    and self._flushes_done >= self._flush_requests
                    and self._pending_bytes < EARLY_BYTES
                ):
                    left = next_frame - time.monotonic()
                    if left <= 0:
                        break
                    self._cond.wait(left)
                batch = self._pending
                self._pending = []
                self._pending_bytes = 0
                closing = self._closing
                requested = self._flush_requests
                if closing:
                    self._accepting = False
            next_frame = time.monotonic() + self._flush_interval
            if batch:
                try:
                    self._write_batch(batch)
                except OSError as error:
                    self._fail(error)
                    return
            with self._cond:
                self._flushes_done = requested
                self._cond.notify_all()
            if closing:
                return

    def _write_batch(self, batch: list[WireLine]) -> None:
        lines = [line for line in batch if is_valid(line)]
        if len(lines) != len(batch):
            bad = len(batch) - len(lines)
            log.warning("recording: %d lines with an unknown port or direction left out", bad)
            with self._cond:
                self._dropped += bad
        # Each port's lines in frames of their own (events are then read
        # without decompressing telemetry).
        for port in PORTS:
            of_port = [line for line in lines if line.port == port]
            start = 0
            while start < len(of_port):
                stop = start
                size = 0
                while stop < len(of_port) and (stop == start or size < FRAME_RAW_BYTES):
                    size += RECORD.size + len(of_port[stop].line)
                    stop += 1
                self._write_frame(of_port[start:stop])
                start = stop

    def _write_frame(self, lines: list[WireLine]) -> None:
        frame = encode_frame(lines, self._level)
        if self._fd is not None and (
            (self._part_frames and self._part_bytes + len(frame) > self._rotate_bytes)
            or time.monotonic() - self._part_opened >= self._rotate_seconds
        ):
            self._close_part()
        if self._fd is None:
            self._open_part()
        assert self._fd is not None and self._part is not None
        # New ids reach the sidecar before the frame holding them reaches the part.
        self._topics.add_lines(lines)
        try:
            if self._topics.save(self._fsync) and self._fsync:
                _fsync_folder(self.folder)
        except OSError:
            self._topics.discard()
            raise
        offset = self._part_bytes
        self._write_all(frame)
        if self._fsync:
            os.fsync(self._fd)
        if os.fstat(self._fd).st_nlink == 0:
            raise FileNotFoundError(
                errno.ENOENT, "the recording folder or part file was removed", str(self._part)
            )
        self._part_frames += 1
        now = time.monotonic()
        with self._cond:
            self._bytes_on_disk += len(frame)
            self._recent.append((now, len(frame)))
            while self._recent and self._recent[0][0] < now - RATE_WINDOW:
                self._recent.popleft()
        listener = self.on_frame
        if listener is not None:
            header = parse_frame_header(frame)
            ref = FrameRef.of(self._part, offset, header)
            try:
                listener(ref, lines)
            except Exception:
                log.exception("recording: the frame listener failed")

    def _open_part(self) -> None:
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
        except FileExistsError:  # a file where the folder should be
            raise NotADirectoryError(
                errno.ENOTDIR, os.strerror(errno.ENOTDIR), str(self.folder)
            ) from None
        if self._next_number is None:
            numbers = [part_number(p) or 0 for p in list_parts(self.folder)]
            self._next_number = max(numbers, default=0) + 1
            self._topics.start(numbers)
        while True:
            number = self._next_number
            self._next_number += 1
            path = self.folder / part_name(number)
            fd = os.open(path, _OPEN_FLAGS, 0o644)
            info = os.fstat(fd)
            if stat.S_ISREG(info.st_mode) and info.st_size > 0:
                os.close(fd)  # never append to an existing part
                continue
            break
        self._fd = fd
        self._topics.add_part(number)
        self._part_bytes = 0
        self._part_frames = 0
        self._part_opened = time.monotonic()
        with self._cond:
            self._part = path
        metadata = dict(self._metadata)
        metadata.setdefault("m2gui", _version())
        metadata["format"] = FORMAT_VERSION
        metadata["created"] = datetime.datetime.now(datetime.UTC).isoformat(timespec="milliseconds")
        metadata["part"] = number
        header = encode_file_header(metadata)
        self._write_all(header)
        with self._cond:
            self._bytes_on_disk += len(header)
        if self._fsync:
            os.fsync(fd)
            _fsync_folder(self.folder)
        log.info("recording into %s", path)

    def _write_all(self, data: bytes) -> None:
        assert self._fd is not None
        view = memoryview(data)
        while view:
            written = os.write(self._fd, view)
            view = view[written:]
            self._part_bytes += written

    def _close_part(self) -> None:
        fd, self._fd = self._fd, None
        if fd is None:
            return
        try:
            if self._fsync:
                os.fsync(fd)
        except OSError as error:
            log.warning("recording: fsync on close failed: %s", error)
        finally:
            os.close(fd)

    def _fail(self, error: OSError) -> None:
        reason = error.strerror or str(error)
        where = (
            f" ({error.filename})"
            if error.filename and str(error.filename) != str(self.folder)
            else ""
        )
        message = f"Recording into {self.folder} stopped: {reason}{where}"
        log.error("%s", message)
        try:
            self._close_part()
        except OSError:
            pass
        with self._cond:
            self._error = message
            self._accepting = False
            self._pending = []
            self._pending_bytes = 0
            callback = self._on_error
            report = callback is not None and not self._error_reported
            if report:
                self._error_reported = True
        if report and callback is not None:
            self._call_error(callback, message)

    @staticmethod
    def _call_error(callback: ErrorListener, message: str) -> None:
        try:
            callback(message)
        except Exception:
            log.exception("recording: the error listener failed")


def _fsync_folder(folder: Path) -> None:
    """Make a new part's folder entry durable (POSIX; a no-op where unsupported)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _version() -> str:
    from m2gui import __version__

    return __version__
