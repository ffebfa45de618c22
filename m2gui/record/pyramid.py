"""Build the long-history pyramid of a recording: live (`PyramidWriter`) or from the wire log.

The format is in `m2gui.record.pyramid_format`. `PyramidWriter` accumulates
rows in preallocated numpy blocks on the caller's thread (cheap) and reduces
and appends whole blocks in `PyramidWriter.flush` (from a background thread).
``meta.json`` is replaced atomically after the rows it counts are written, so
a reader never counts rows that are not there. The samples of an incomplete
block are only in memory until `PyramidWriter.close` writes them as the tail
(a crash loses them); `rebuild_pyramid` catches up from the wire log.
"""

from __future__ import annotations

import logging
import math
import shutil
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from m2gui.model.catalogue import Catalogue, TopicSpec, load_catalogue
from m2gui.model.telemetry import RowParser, TelemetryStore
from m2gui.net.codec import BadLine, decode_line
from m2gui.net.ratelog import RateLimitedLog

from .pyramid_format import (
    B1,
    FACTOR,
    LEVELS,
    LIVE_TIMEOUT,
    META_NAME,
    PyramidError,
    PyramidMeta,
    TopicMeta,
    check_files,
    is_telemetry,
    layout_of,
    level_path,
    pyramid_folder,
    read_meta,
    read_tail,
    row_dtype,
    tail_path,
    write_atomic,
)

if TYPE_CHECKING:
    from .reader import Recording

__all__ = ["MAX_PENDING_BYTES", "PyramidWriter", "TopicRows", "rebuild_pyramid"]

log = logging.getLogger(__name__)
_problem_log = RateLimitedLog(log)

FloatArray = npt.NDArray[np.float64]
Float32Array = npt.NDArray[np.float32]

#: Rows held per topic at first between flushes (grown on demand).
_FIRST_CAPACITY = 64
#: Bytes of rows held per topic between flushes at most; beyond, rows are dropped.
MAX_PENDING_BYTES = 32 * 1024 * 1024
#: Seconds between heartbeats of ``meta.json`` while no data arrives.
_HEARTBEAT = LIVE_TIMEOUT / 3


# ----------------------------------------------------------------------------- reduction
def _reduce(
    t0: FloatArray, t1: FloatArray, mins: npt.NDArray[Any], maxs: npt.NDArray[Any], group: int
) -> tuple[FloatArray, FloatArray, Float32Array, Float32Array]:
    """Reduce ``len(t0)`` (a multiple of ``group``) rows into rows of ``group``, NaN-aware."""
    n = len(t0) // group
    width = mins.shape[1]
    lo = np.fmin.reduce(mins.reshape(n, group, width), axis=1)
    hi = np.fmax.reduce(maxs.reshape(n, group, width), axis=1)
    return (
        t0[::group].copy(),
        t1[group - 1 :: group].copy(),
        lo.astype(np.float32),
        hi.astype(np.float32),
    )


@dataclass
class TopicRows:
    """Rows of one level (or samples): times, minimums, maximums."""

    t0: FloatArray
    t1: FloatArray
    mins: npt.NDArray[Any]
    maxs: npt.NDArray[Any]

    def __len__(self) -> int:
        return len(self.t0)

    @classmethod
    def empty(cls, width: int, dtype: type = np.float32) -> TopicRows:
        values: npt.NDArray[Any] = np.empty((0, width), dtype)
        return cls(np.empty(0), np.empty(0), values, values)

    def concat(self, other: TopicRows) -> TopicRows:
        if not len(self):
            return other
        return TopicRows(
            np.concatenate([self.t0, other.t0]),
            np.concatenate([self.t1, other.t1]),
            np.concatenate([self.mins, other.mins]),
            np.concatenate([self.maxs, other.maxs]),
        )

    def split(self, at: int) -> tuple[TopicRows, TopicRows]:
        a = TopicRows(self.t0[:at], self.t1[:at], self.mins[:at], self.maxs[:at])
        b = TopicRows(self.t0[at:], self.t1[at:], self.mins[at:], self.maxs[at:])
        return a, b


class _Topic:
    """One topic's state in a `PyramidWriter`."""

    def __init__(self, spec: TopicSpec, meta: TopicMeta | None = None) -> None:
        self.spec = spec
        self.name = spec.name
        self.parser = RowParser(spec, log_bad=False)
        self.width = self.parser.width
        self.scratch = np.empty(self.width)
        self.last_time = -math.inf
        # Filled by add_row (under the writer's lock), emptied by flush.
        self.times = np.empty(_FIRST_CAPACITY)
        self.rows = np.empty((_FIRST_CAPACITY, self.width))
        self.count = 0
        self.spare: tuple[FloatArray, FloatArray] | None = None
        # Flush side (under the flush lock): the meta entry (made at the first
        # flush of a new topic) and the rows carried up the levels: stage 0 the
        # samples of the incomplete level-1 block, stage k the rows of level k
        # not yet reduced into level k + 1.
        self.meta = meta
        self.carry: list[TopicRows] = [TopicRows.empty(self.width, np.float64)] + [
            TopicRows.empty(self.width) for _ in range(LEVELS - 1)
        ]
        self.row_bytes = row_dtype(self.width).itemsize

    def rows_of(self, level: int) -> int:
        """Complete rows of ``level`` on disk."""
        samples = self.meta.samples if self.meta is not None else 0
        return int(samples // (B1 * FACTOR ** (level - 1)))


class PyramidWriter:
    """Build the pyramid of a recording folder as samples arrive.

    Parameters
    ----------
    folder : `pathlib.Path`
        The recording folder; the pyramid goes into ``folder/pyramid``.
    catalogue : `Catalogue`
        Topics and their fields (the columns).
    resume : `bool`
        Continue an existing pyramid of the same layout (complete blocks and a
        closed pyramid's tail are kept; samples must then come after each
        topic's ``t_last``). False (the default) starts a new, empty pyramid.
    directory : `pathlib.Path`, optional
        Write into this folder instead of ``folder/pyramid``.

    Attributes
    ----------
    error : `str` or None
        Why writing stopped (an OSError: disk full, permission denied, the
        folder vanished), or None. Disk errors never raise; they are logged.
    dropped : `int`
        Rows not stored: the writer stopped or closed, or more rows than
        `MAX_PENDING_BYTES` waited for a flush.
    unknown : `dict` [`str`, `int`]
        Rows of topics the catalogue does not know, or of the wrong width.

    Notes
    -----
    `add_row` and `add_message` are cheap and may be called from one thread
    (the GUI's) while `flush` runs in another: the caller only ever takes a
    short lock and copies a row. Flush at least once a second.
    """

    def __init__(
        self,
        folder: Path,
        catalogue: Catalogue,
        *,
        resume: bool = False,
        directory: Path | None = None,
    ) -> None:
        self.folder = Path(folder)
        self.catalogue = catalogue
        self.directory = Path(directory) if directory is not None else pyramid_folder(self.folder)
        self._lock = threading.Lock()  # add_row vs flush's swap of the blocks
        self._flush_lock = threading.Lock()  # one flush (and meta write) at a time
        self._topics: dict[str, _Topic] = {}
        self._covered: float | None = None
        self._closed = False
        self._meta_written = 0.0
        self.error: str | None = None
        self.dropped = 0
        self.unknown: dict[str, int] = {}
        self.meta = PyramidMeta()
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            self.meta = self._resume() if resume else self._start()
            self._write_meta()
        except OSError as error:
            self._fail(error)

    # ------------------------------------------------------------------ setup
    def _start(self) -> PyramidMeta:
        for path in self.directory.iterdir():
            if path.is_file() and (path.suffix.startswith(".l") or path.suffix == ".tail"):
                path.unlink()
        return PyramidMeta()

    def _remove_files(self, topic: str) -> None:
        for level in range(1, LEVELS + 1):
            level_path(self.directory, topic, level).unlink(missing_ok=True)
        tail_path(self.directory, topic).unlink(missing_ok=True)

    def _resume(self) -> PyramidMeta:
        try:
            meta = read_meta(self.directory)
            if (meta.b1, meta.factor, meta.levels) != (B1, FACTOR, LEVELS):
                raise PyramidError("other block sizes")
            check_files(self.directory, meta)
        except PyramidError as error:
            log.info("pyramid %s: starting anew (%s)", self.directory, error)
            return self._start()
        self._covered = meta.covered
        tails: dict[str, tuple[FloatArray, FloatArray]] = {}
        for name, t in list(meta.topics.items()):
            spec = self.catalogue.telemetry.get(name)
            if spec is None or layout_of(spec) != t.layout:
                log.info("pyramid %s: %s has another layout now; dropped", self.directory, name)
                del meta.topics[name]
                self._remove_files(name)
            elif t.tail:
                tails[name] = read_tail(self.directory, name, t)
        meta.closed = False
        for name, t in meta.topics.items():
            state = self._topics[name] = _Topic(self.catalogue.telemetry[name], t)
            self._truncate(state)
            self._load_carries(state)
            times, rows = tails.get(name, (np.empty(0), np.empty((0, t.width))))
            state.carry[0] = TopicRows(times, times, rows, rows)
            state.last_time = t.t_last if t.t_last is not None else -math.inf
            t.tail = 0
            t.pending_from = float(times[0]) if len(times) else None
            tail_path(self.directory, name).unlink(missing_ok=True)
        return meta

    def _truncate(self, state: _Topic) -> None:
        """Cut each level file to the rows the meta counts (a crash may leave more)."""
        for level in range(1, LEVELS + 1):
            path = level_path(self.directory, state.name, level)
            if path.exists():
                with path.open("r+b") as f:
                    f.truncate(state.rows_of(level) * state.row_bytes)

    def _load_carries(self, state: _Topic) -> None:
        """Rows of level k not yet reduced into level k + 1 come back from disk."""
        for level in range(1, LEVELS):
            rows = state.rows_of(level)
            done = state.rows_of(level + 1) * FACTOR
            if rows > done:
                data = np.fromfile(
                    level_path(self.directory, state.name, level),
                    dtype=row_dtype(state.width),
                    count=rows - done,
                    offset=done * state.row_bytes,
                )
                state.carry[level] = TopicRows(
                    data["t0"].copy(), data["t1"].copy(), data["min"].copy(), data["max"].copy()
                )

    # ------------------------------------------------------------------ caller side
    def add_row(self, topic: str, t: float, row: FloatArray) -> None:
        """Add one sample (a row in the `TopicBuffer` layout) received at ``t``.

        Cheap (a copy into a preallocated block); never raises for bad input.
        """
        state = self._topics.get(topic) or self._new_topic(topic)
        if state is None:
            return
        if len(row) != state.width:
            self._unknown(topic)
            return
        with self._lock:
            if self._closed or self.error is not None:
                self.dropped += 1
                return
            if t < state.last_time:
                t = state.last_time  # the wall clock stepped back: keep time order
            state.last_time = t
            n = state.count
            if n == len(state.times) and not self._grow(state):
                self.dropped += 1
                return
            state.times[n] = t
            state.rows[n] = row
            state.count = n + 1
            if self._covered is None or t > self._covered:
                self._covered = t

    def add_message(self, topic: str, t: float, message: dict[str, Any]) -> None:
        """Add one telemetry message, parsed like `TopicBuffer.append` (the same parser).

        Call from one thread at a time (it parses into a per-topic scratch row).
        """
        state = self._topics.get(topic) or self._new_topic(topic)
        if state is not None:
            state.parser.parse(message, state.scratch)
            self.add_row(topic, t, state.scratch)

    def cover(self, t: float) -> None:
        """Declare that every sample received up to time ``t`` was added.

        The meta's ``covered`` time (how far the wire log was looked at) is
        otherwise the latest sample's time; call this with a later time when
        only other lines (events, commands) came after it.
        """
        with self._lock:
            if self._covered is None or t > self._covered:
                self._covered = t

    def attach(self, store: TelemetryStore) -> Callable[[], None]:
        """Add every sample ``store`` stores, as stored; returns a function that detaches."""

        def on_arrived(topic: str) -> None:
            buffer = store.buffers.get(topic)
            if buffer is not None and buffer.count:
                raw = buffer.raw
                i = raw.end - 1
                self.add_row(topic, float(raw.times[i]), raw.mins[i])

        store.arrived.connect(on_arrived)
        return lambda: store.arrived.disconnect(on_arrived)

    def _new_topic(self, topic: str) -> _Topic | None:
        spec = self.catalogue.telemetry.get(topic)
        if spec is None:
            self._unknown(topic)
            return None
        state = _Topic(spec)
        with self._lock:  # flush iterates the topics under this lock
            return self._topics.setdefault(topic, state)

    def _unknown(self, topic: str) -> None:
        if topic in self.unknown or len(self.unknown) < 100:
            self.unknown[topic] = self.unknown.get(topic, 0) + 1
        _problem_log(logging.WARNING, "unknown", f"pyramid: rows of {topic[:60]!r} ignored")

    def _grow(self, state: _Topic) -> bool:
        """Double a topic's block (under the lock); False if it would hold too much."""
        n = len(state.times)
        if 2 * n * (state.width + 1) * 8 > MAX_PENDING_BYTES:
            _problem_log(
                logging.WARNING,
                "backlog",
                f"pyramid {self.directory}: flush is late; rows of {state.name} dropped",
            )
            return False
        times = np.empty(2 * n)
        rows = np.empty((2 * n, state.width))
        times[:n] = state.times
        rows[:n] = state.rows
        state.times, state.rows = times, rows
        return True

    # ------------------------------------------------------------------ flush side
    def flush(self) -> None:
        """Reduce the rows added since the last flush and append the complete blocks.

        Thread-safe against `add_row`; never raises on disk errors (sets `error`).
        """
        with self._flush_lock:
            if self.error is not None:
                return
            with self._lock:  # read first: rows added from now on come after it
                covered = self._covered
                topics = list(self._topics.values())
            try:
                changed = False
                for state in topics:
                    changed |= self._flush_topic(state)
                if changed or covered != self.meta.covered:
                    self.meta.covered = covered
                    self._write_meta()
                elif time.time() - self._meta_written > _HEARTBEAT:
                    self._write_meta()
            except OSError as error:
                self._fail(error)

    def _flush_topic(self, state: _Topic) -> bool:
        with self._lock:
            n = state.count
            if not n:
                return False
            times, rows = state.times, state.rows
            if state.spare is not None:
                state.times, state.rows = state.spare
            else:
                state.times = np.empty(len(times))
                state.rows = np.empty_like(rows)
            state.count = 0
            state.spare = None
        try:
            if state.meta is None:  # a new topic: no rows of an older pyramid may remain
                self._remove_files(state.name)
                state.meta = self.meta.topics[state.name] = TopicMeta(
                    width=state.width, layout=layout_of(state.spec)
                )
            if state.meta.t_first is None:
                state.meta.t_first = float(times[0])
            self._push(state, TopicRows(times[:n], times[:n], rows[:n], rows[:n]))
        finally:
            if state.meta is not None:
                carry = state.carry[0]
                state.meta.pending_from = float(carry.t0[0]) if len(carry) else None
            with self._lock:
                state.spare = (times, rows)
        return True

    def _push(self, state: _Topic, rows: TopicRows) -> None:
        """Carry samples (stage 0) up the levels, appending every complete row."""
        assert state.meta is not None
        for stage in range(LEVELS):
            group = B1 if stage == 0 else FACTOR
            rows = state.carry[stage].concat(rows)
            complete = len(rows) // group * group
            done, state.carry[stage] = rows.split(complete)
            if stage == 0:
                state.carry[0] = _own(state.carry[0])  # the block it views gets reused
            if not complete:
                return
            level_rows = TopicRows(*_reduce(done.t0, done.t1, done.mins, done.maxs, group))
            self._append(state, stage + 1, level_rows)
            if stage == 0:
                state.meta.samples += complete
                state.meta.t_last = float(done.t1[-1])
            rows = level_rows

    def _append(self, state: _Topic, level: int, rows: TopicRows) -> None:
        out = np.empty(len(rows), dtype=row_dtype(state.width))
        out["t0"] = rows.t0
        out["t1"] = rows.t1
        out["min"] = rows.mins
        out["max"] = rows.maxs
        with level_path(self.directory, state.name, level).open("ab") as f:
            f.write(out.tobytes())

    def _write_meta(self) -> None:
        self.meta.updated = time.time()
        self._meta_written = self.meta.updated
        write_atomic(self.directory / META_NAME, self.meta.dumps())

    def _fail(self, error: OSError) -> None:
        self.error = f"pyramid {self.directory}: {error.strerror or error}"
        log.error("%s; the long history stops growing (rebuildable from the recording)", self.error)

    # ------------------------------------------------------------------ life
    def close(self) -> None:
        """Flush, write each topic's incomplete block as its tail, mark closed (idempotent)."""
        with self._lock:
            if self._closed:
                return
            self._closed = True  # add_row drops from now on: nothing is left behind
        self.flush()
        with self._flush_lock:
            if self.error is not None:
                return
            with self._lock:
                topics = list(self._topics.values())
            try:
                for state in topics:
                    meta = state.meta
                    carry = state.carry[0]
                    if meta is None:
                        continue
                    meta.tail = len(carry)
                    meta.pending_from = None
                    if len(carry):
                        data = np.empty((len(carry), 1 + state.width), "<f8")
                        data[:, 0] = carry.t0
                        data[:, 1:] = carry.mins
                        tail_path(self.directory, state.name).write_bytes(data.tobytes())
                        meta.t_last = float(carry.t0[-1])
                self.meta.closed = True
                self._write_meta()
            except OSError as error:
                self._fail(error)

    def abandon(self) -> None:
        """Stop without writing anything more (the files stay as they are: a crash)."""
        with self._flush_lock, self._lock:
            self._closed = True

    def __enter__(self) -> PyramidWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _own(rows: TopicRows) -> TopicRows:
    """A copy of carried samples (they must not alias a block that gets reused)."""
    if not len(rows):
        return rows
    t = rows.t0.copy()
    values = rows.mins.copy()
    return TopicRows(t, t, values, values)


# ----------------------------------------------------------------------------- rebuild
#: Frames read between two flushes of a rebuild.
_REBUILD_FLUSH_FRAMES = 64
#: Seconds between two progress reports of a rebuild.
_PROGRESS_PERIOD = 0.1


def rebuild_pyramid(
    recording: Recording | str | Path,
    progress: Callable[[float], None] | None = None,
    cancel: threading.Event | None = None,
    *,
    catalogue: Catalogue | None = None,
    full: bool = False,
) -> bool:
    """Rebuild a recording's pyramid from its wire log, or catch up where it stops.

    A usable pyramid of the same layout is continued from the first sample it
    lacks (the crash case: its writer lost the samples of incomplete blocks
    and everything after its last flush); anything else (missing, corrupt,
    another layout, or ``full``) is built anew in ``pyramid.new`` and swapped
    in when complete, so a cancelled rebuild leaves the old pyramid as it was.

    Parameters
    ----------
    recording : `Recording` or path
        The recording (or its folder, opened and closed here).
    progress : callable, optional
        Called with the fraction done (0 to 1), at most about ten times a second.
    cancel : `threading.Event`, optional
        Set it to stop early.
    catalogue : `Catalogue`, optional
        The columns (default: the packaged catalogue).
    full : `bool`
        Rebuild from scratch even if the pyramid could be continued.

    Returns
    -------
    done : `bool`
        False if cancelled (a continued pyramid keeps what was done).
    """
    from .reader import Recording, open

    if isinstance(recording, Recording):
        return _rebuild(recording, progress, cancel, catalogue or load_catalogue(), full)
    with open(recording) as opened:
        return _rebuild(opened, progress, cancel, catalogue or load_catalogue(), full)


def _rebuild(
    recording: Recording,
    progress: Callable[[float], None] | None,
    cancel: threading.Event | None,
    catalogue: Catalogue,
    full: bool,
) -> bool:
    directory = pyramid_folder(recording.path)
    folder = directory.parent
    start = None if full else resume_point(directory, catalogue)
    if start is not None:
        writer = PyramidWriter(folder, catalogue, resume=True)
        after = {name: t.t_last for name, t in writer.meta.topics.items()}
        frames = recording.frames_in(start, None)
        log.info("pyramid %s: catching up from the wire log (%d frames)", directory, len(frames))
    else:
        new = directory.with_name(directory.name + ".new")
        shutil.rmtree(new, ignore_errors=True)
        writer = PyramidWriter(folder, catalogue, directory=new)
        after = {}
        frames = recording.frames_in()
        log.info("pyramid %s: rebuilding from the wire log (%d frames)", directory, len(frames))
    if writer.error is not None:
        return False
    last_report = -math.inf
    cancelled = False
    for i, ref in enumerate(frames):
        if cancel is not None and cancel.is_set():
            cancelled = True
            break
        for line in recording.read_frame(ref):
            if line.direction != "in":
                continue
            try:
                message = decode_line(line.line)
            except BadLine:
                continue
            name = message.get("id")
            if type(name) is not str or not is_telemetry(catalogue, line.port, name):
                continue
            t_last = after.get(name)
            if t_last is not None and line.time <= t_last:
                continue  # already in the pyramid
            writer.add_message(name, line.time, message)
        writer.cover(ref.t_last)
        if i % _REBUILD_FLUSH_FRAMES == _REBUILD_FLUSH_FRAMES - 1:
            writer.flush()
        if progress is not None and time.monotonic() - last_report >= _PROGRESS_PERIOD:
            last_report = time.monotonic()
            progress(i / len(frames))
    if cancelled and start is None:
        writer.abandon()
        shutil.rmtree(writer.directory, ignore_errors=True)
        log.info("pyramid %s: rebuild cancelled", directory)
        return False
    writer.close()
    if writer.error is not None:
        return False
    if start is None:
        try:
            _swap(writer.directory, directory)
        except OSError as error:
            log.error("pyramid %s: cannot put the rebuilt one in place (%s)", directory, error)
            return False
    if progress is not None and not cancelled:
        progress(1.0)
    return not cancelled


def resume_point(directory: Path, catalogue: Catalogue) -> float | None:
    """Where a usable pyramid's data stops (-inf: from the start); None if unusable.

    The earliest of the time covered and the first sample of each topic not
    stored; every sample after it is read again from the wire log.
    """
    try:
        meta = read_meta(directory)
        if (meta.b1, meta.factor, meta.levels) != (B1, FACTOR, LEVELS):
            raise PyramidError("other block sizes")
        check_files(directory, meta)
    except PyramidError:
        return None
    for name, t in meta.topics.items():
        spec = catalogue.telemetry.get(name)
        if spec is None or layout_of(spec) != t.layout:
            return None
    starts = [t.pending_from for t in meta.topics.values() if t.pending_from is not None]
    if meta.covered is not None:
        starts.append(meta.covered)
    else:
        starts.append(-math.inf)
    return min(starts)


def _swap(new: Path, directory: Path) -> None:
    """Put the rebuilt pyramid ``new`` in place of ``directory``."""
    old = directory.with_name(directory.name + ".old")
    shutil.rmtree(old, ignore_errors=True)
    for attempt in range(5):
        try:
            if directory.exists():
                directory.rename(old)
            new.rename(directory)
            break
        except PermissionError:  # Windows: a reader has a file open right now
            if attempt == 4:
                raise
            time.sleep(0.05 * (attempt + 1))
    shutil.rmtree(old, ignore_errors=True)
