"""Plot queries over a whole recording: envelopes from the pyramid, raw samples from the wire log.

`Archive.envelope` answers like `m2gui.model.telemetry.TopicBuffer.envelope`:
the raw samples when the time range holds at most ``max_blocks`` of them
(decoded from the wire frames of the range, cached), else about
``max_blocks`` min/max blocks read from the coarsest pyramid level that has
at least ``max_blocks`` blocks in the range (only those rows are read, by
seek and read). The cost of a query follows the blocks drawn, not the length
of the recording.

`merge_envelopes` joins an older part from the archive with the newer part
the in-memory `TelemetryStore` holds.
"""

from __future__ import annotations

import collections
import io
import logging
import math
import os
import struct
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from m2gui.model.catalogue import Catalogue
from m2gui.model.telemetry import Envelope, RowParser
from m2gui.net.codec import BadLine, decode_line
from m2gui.net.ratelog import RateLimitedLog

from .pyramid import rebuild_pyramid
from .pyramid_format import (
    LIVE_TIMEOUT,
    META_NAME,
    PyramidError,
    PyramidMeta,
    check_files,
    is_telemetry,
    layout_of,
    level_path,
    pyramid_folder,
    read_meta,
    read_tail,
    row_dtype,
)
from .reader import FrameRef, Recording
from .reader import open as open_recording

__all__ = ["Archive", "merge_envelopes"]

log = logging.getLogger(__name__)
_problem_log = RateLimitedLog(log)

FloatArray = npt.NDArray[np.float64]
Columns = slice | Sequence[int]

#: Bytes of decoded samples kept by an archive's cache by default.
CACHE_BYTES = 64 * 1024 * 1024
_HAVE_PREAD = hasattr(os, "pread")
_TIMES = struct.Struct("<dd")


def merge_envelopes(disk: Envelope, memory: Envelope, boundary: float) -> Envelope:
    """Join the points of ``disk`` before ``boundary`` and of ``memory`` from it on.

    Parameters
    ----------
    disk : `Envelope`
        From `Archive.envelope` (older data).
    memory : `Envelope`
        From `TopicBuffer.envelope` (the in-memory window).
    boundary : `float`
        The time of the oldest sample memory holds: disk points at or after
        it are dropped (memory has them), so no sample is drawn twice.

    Raises
    ------
    ValueError
        If the two have different columns.
    """
    if disk.y.shape[1:] != memory.y.shape[1:]:
        raise ValueError(f"columns differ: {disk.y.shape[1:]} and {memory.y.shape[1:]}")
    i = int(np.searchsorted(disk.x, boundary, "left"))
    j = int(np.searchsorted(memory.x, boundary, "left"))
    return Envelope(
        np.concatenate([disk.x[:i], memory.x[j:]]),
        np.concatenate([disk.y[:i], memory.y[j:]]),
        max(disk.level if i else 0, memory.level if j < len(memory.x) else 0),
        disk.samples + memory.samples,
    )


def _empty(width: int, columns: Columns) -> Envelope:
    """No points, with as many columns as ``columns`` selects."""
    if width:
        return Envelope(np.empty(0), np.empty((0, width))[:, columns], 0, 0)
    count = 0 if isinstance(columns, slice) else len(columns)
    return Envelope(np.empty(0), np.empty((0, count)), 0, 0)


class _LRU:
    """Decoded samples of (frame, topic), least recently used dropped first."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.nbytes = 0
        self._items: collections.OrderedDict[tuple[Path, int, str], tuple[FloatArray, FloatArray]]
        self._items = collections.OrderedDict()

    def get(self, key: tuple[Path, int, str]) -> tuple[FloatArray, FloatArray] | None:
        item = self._items.get(key)
        if item is not None:
            self._items.move_to_end(key)
        return item

    def put(self, key: tuple[Path, int, str], item: tuple[FloatArray, FloatArray]) -> None:
        size = item[0].nbytes + item[1].nbytes + 200
        if size > self.limit:
            return
        old = self._items.pop(key, None)
        if old is not None:
            self.nbytes -= old[0].nbytes + old[1].nbytes + 200
        self._items[key] = item
        self.nbytes += size
        while self.nbytes > self.limit:
            _, (t, v) = self._items.popitem(last=False)
            self.nbytes -= t.nbytes + v.nbytes + 200

    def clear(self) -> None:
        self._items.clear()
        self.nbytes = 0


class _FrameIndex:
    """The recording's frames as arrays, for finding those of a time range fast."""

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self.refs: list[FrameRef] = []
        self.first = np.empty(0)
        self.last = np.empty(0)
        self._prefix_last = np.empty(0)  # running max of t_last: ascending
        self._suffix_first = np.empty(0)  # running min of t_first from the end: ascending
        self.end = -math.inf

    def update(self, frames: list[FrameRef]) -> None:
        if len(frames) == len(self.refs):
            return
        if len(frames) < len(self.refs):  # never expected: start over
            self.reset()
        new = frames[len(self.refs) :]
        self.refs = list(frames)
        self.first = np.concatenate([self.first, [f.t_first for f in new]])
        self.last = np.concatenate([self.last, [f.t_last for f in new]])
        self._prefix_last = np.maximum.accumulate(self.last)
        self._suffix_first = np.minimum.accumulate(self.first[::-1])[::-1]
        self.end = float(self._prefix_last[-1])

    def between(self, t0: float, t1: float) -> list[FrameRef]:
        """The frames that may hold lines in ``[t0, t1]``, in file order."""
        i0 = int(np.searchsorted(self._prefix_last, t0, "left"))
        i1 = int(np.searchsorted(self._suffix_first, t1, "right"))
        if i1 <= i0:
            return []
        keep = (self.last[i0:i1] >= t0) & (self.first[i0:i1] <= t1)
        return [self.refs[i0 + i] for i in np.flatnonzero(keep)]


class _LevelFile:
    """Positional reads of whole rows of one level file."""

    def __init__(self, path: Path, width: int) -> None:
        self.dtype = row_dtype(width)
        self.size = self.dtype.itemsize
        self._file = io.FileIO(path, "r")

    def read(self, lo: int, hi: int) -> npt.NDArray[np.void]:
        want = (hi - lo) * self.size
        if _HAVE_PREAD:
            data = os.pread(self._file.fileno(), want, lo * self.size)
        else:  # pragma: no cover - Windows
            self._file.seek(lo * self.size)
            data = self._file.read(want) or b""
        if len(data) < want:
            raise OSError(f"{self._file.name}: {len(data)} bytes where {want} were expected")
        return np.frombuffer(data, self.dtype)

    def times(self, row: int) -> tuple[float, float]:
        """``(t_first, t_last)`` of one row (reads 16 bytes)."""
        if _HAVE_PREAD:
            data = os.pread(self._file.fileno(), 16, row * self.size)
        else:  # pragma: no cover - Windows
            self._file.seek(row * self.size)
            data = self._file.read(16) or b""
        if len(data) < 16:
            raise OSError(f"{self._file.name}: no row {row}")
        t0, t1 = _TIMES.unpack(data)
        return t0, t1

    def close(self) -> None:
        self._file.close()


class Archive:
    """The long history of one recording: envelopes and raw samples of any range.

    Parameters
    ----------
    recording_or_folder : `Recording` or path
        An opened recording (kept open; yours to close) or its folder (opened
        here and closed by `close`).
    catalogue : `Catalogue`
        Topics and their fields (the columns).
    cache_bytes : `int`
        Bytes of decoded raw samples kept at most.

    Attributes
    ----------
    rebuild_needed : `str` or None
        ``"full"`` if the pyramid is missing or unusable, ``"resume"`` if it
        stops before the wire log does and its writer is gone, else None. Run
        `rebuild` (in a worker thread) to fix it; queries meanwhile use what
        is there.
    problem : `str` or None
        Why, in words.
    """

    def __init__(
        self,
        recording_or_folder: Recording | str | Path,
        catalogue: Catalogue,
        *,
        cache_bytes: int = CACHE_BYTES,
    ) -> None:
        if isinstance(recording_or_folder, Recording):
            self.recording = recording_or_folder
            self._owns_recording = False
        else:
            self.recording = open_recording(recording_or_folder)
            self._owns_recording = True
        self.catalogue = catalogue
        self.directory = pyramid_folder(self.recording.path)
        self.meta: PyramidMeta | None = None
        self.rebuild_needed: str | None = None
        self.problem: str | None = None
        self._lock = threading.RLock()
        self._frames = _FrameIndex()
        self._cache = _LRU(cache_bytes)
        self._parsers: dict[str, RowParser] = {}
        self._tails: dict[str, tuple[FloatArray, FloatArray]] = {}
        self._meta_stamp: tuple[int, int] | None = None
        self._frames.update(self.recording.frames)
        self.refresh()

    # ------------------------------------------------------------------ state
    def refresh(self) -> None:
        """Pick up frames and pyramid rows written since the last look (a live recording grows)."""
        with self._lock:
            self._frames.update(self.recording.frames)
            new = self.recording.refresh()
            if new:
                self._frames.update(self.recording.frames)
            self._load_meta()
            self._judge()

    def _load_meta(self) -> None:
        try:
            st = (self.directory / META_NAME).stat()
            stamp: tuple[int, int] | None = (st.st_mtime_ns, st.st_size)
        except OSError:
            stamp = None
        if stamp is not None and stamp == self._meta_stamp:
            return
        self._meta_stamp = stamp
        self.meta = None
        self._tails = {}
        try:
            meta = read_meta(self.directory)
            check_files(self.directory, meta)
            for name, topic in meta.topics.items():
                spec = self.catalogue.telemetry.get(name)
                if spec is None or layout_of(spec) != topic.layout:
                    raise PyramidError(f"{name}: stored with another catalogue layout")
            tails = {
                name: read_tail(self.directory, name, topic)
                for name, topic in meta.topics.items()
                if topic.tail
            }
        except (PyramidError, OSError, ValueError) as error:
            self.problem = str(error)
            self.rebuild_needed = "full"
            if stamp is not None:
                log.warning("long history %s unusable, to be rebuilt: %s", self.directory, error)
            return
        self.meta = meta
        self._tails = tails

    def _judge(self) -> None:
        meta = self.meta
        wire_end = self._frames.end
        if meta is None:
            if self._meta_stamp is None:
                has_data = bool(self._frames.refs)
                self.rebuild_needed = "full" if has_data else None
                self.problem = f"{self.directory}: missing" if has_data else None
            return
        covered = -math.inf if meta.covered is None else meta.covered
        if meta.closed:
            behind = wire_end > covered
        else:
            behind = time.time() - meta.updated > LIVE_TIMEOUT  # its writer is gone
        if behind:
            self.rebuild_needed = "resume"
            self.problem = f"{self.directory}: stops before the recording does"
        else:
            self.rebuild_needed = None
            self.problem = None

    def rebuild(
        self,
        progress: Callable[[float], None] | None = None,
        cancel: threading.Event | None = None,
    ) -> bool:
        """Rebuild or catch up the pyramid from the wire log, then `refresh`.

        Does nothing unless `rebuild_needed` says so (a live pyramid belongs
        to its writer). Blocking (about 10 s per hour of recording): run it
        in a worker thread; queries go on meanwhile.

        Returns
        -------
        done : `bool`
            False if cancelled or a disk error stopped it (logged).
        """
        if self.rebuild_needed is None:
            return True
        done = rebuild_pyramid(
            self.recording,
            progress,
            cancel,
            catalogue=self.catalogue,
            full=self.rebuild_needed == "full",
        )
        with self._lock:
            self._meta_stamp = None
            self.refresh()
        return done

    def span(self, topic: str) -> tuple[float, float] | None:
        """Times of the first and last sample of ``topic`` in the pyramid, or None."""
        with self._lock:
            meta = self.meta.topics.get(topic) if self.meta is not None else None
            if meta is None or meta.t_first is None or meta.t_last is None:
                return None
            return meta.t_first, meta.t_last

    def close(self) -> None:
        """Drop the cache; close the recording if this archive opened it."""
        with self._lock:
            self._cache.clear()
            if self._owns_recording:
                self.recording.close()

    def __enter__(self) -> Archive:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------------ raw samples
    def raw(
        self, topic: str, columns: Columns, t0: float, t1: float
    ) -> tuple[FloatArray, FloatArray]:
        """The samples of ``topic`` received within ``[t0, t1]``: ``(times, values)``.

        Decoded from the wire frames of the range (cached), parsed like
        `TopicBuffer.append`; times kept ascending like there.
        """
        with self._lock:
            times, rows = self._raw(topic, t0, t1)
            if not rows.shape[1]:
                return times, _empty(0, columns).y
            return times, rows[:, columns]

    def _raw(self, topic: str, t0: float, t1: float) -> tuple[FloatArray, FloatArray]:
        parser = self._parser(topic)
        width = parser.width if parser is not None else 0
        if parser is None or not t0 <= t1:
            return np.empty(0), np.empty((0, width))
        pieces = [self._frame_samples(ref, topic, parser) for ref in self._frames.between(t0, t1)]
        if not pieces:
            return np.empty(0), np.empty((0, width))
        times = np.concatenate([p[0] for p in pieces])
        rows = np.concatenate([p[1] for p in pieces])
        times = np.maximum.accumulate(times)  # a clock step back: as TopicBuffer stores it
        i0 = int(np.searchsorted(times, t0, "left"))
        i1 = int(np.searchsorted(times, t1, "right"))
        return times[i0:i1], rows[i0:i1]

    def _parser(self, topic: str) -> RowParser | None:
        parser = self._parsers.get(topic)
        if parser is None:
            spec = self.catalogue.telemetry.get(topic)
            if spec is None:
                return None
            parser = self._parsers[topic] = RowParser(spec, log_bad=False)
        return parser

    def _frame_samples(
        self, ref: FrameRef, topic: str, parser: RowParser
    ) -> tuple[FloatArray, FloatArray]:
        key = (ref.part, ref.offset, topic)
        cached = self._cache.get(key)
        if cached is not None:
            return cached
        needle = b'"' + topic.encode() + b'"'
        times: list[float] = []
        messages: list[dict[str, Any]] = []
        for line in self.recording.read_frame(ref):
            if line.direction != "in" or needle not in line.line:
                continue  # cheap: most lines are other topics
            try:
                message = decode_line(line.line)
            except BadLine:
                continue
            if message.get("id") == topic and is_telemetry(self.catalogue, line.port, topic):
                times.append(line.time)
                messages.append(message)
        rows = np.empty((len(messages), parser.width))
        for i, message in enumerate(messages):
            parser.parse(message, rows[i])
        item = (np.array(times, dtype=np.float64), rows)
        self._cache.put(key, item)
        return item

    # ------------------------------------------------------------------ envelopes
    def envelope(
        self, topic: str, columns: Columns, t0: float, t1: float, max_blocks: int
    ) -> Envelope:
        """Points to draw ``columns`` of ``topic`` over ``[t0, t1]`` (see `TopicBuffer.envelope`).

        The raw samples if the range holds at most ``max_blocks``; else at most
        about ``max_blocks`` blocks, each two points at the block's first
        time: its minimum, then its maximum (NaN-aware).
        """
        with self._lock:
            try:
                return self._envelope(topic, columns, t0, t1, max(1, int(max_blocks)))
            except OSError as error:  # a file vanished or shrank (a rebuild swapped it)
                _problem_log(logging.WARNING, "read", f"long history {topic}: {error}")
                self._meta_stamp = None
                parser = self._parser(topic)
                return _empty(parser.width if parser is not None else 0, columns)

    def _envelope(
        self, topic: str, columns: Columns, t0: float, t1: float, max_blocks: int
    ) -> Envelope:
        parser = self._parser(topic)
        width = parser.width if parser is not None else 0
        empty = _empty(width, columns)
        if parser is None or not t0 <= t1:
            return empty
        meta = self.meta
        stored = meta.topics.get(topic) if meta is not None else None
        rows1 = meta.rows(topic, 1) if meta is not None else 0
        b1 = meta.b1 if meta is not None else 1
        tail_t, tail_v = self._tails.get(topic, (np.empty(0), np.empty((0, width))))
        with _Levels(self.directory, topic, width) as levels:
            # Level-1 rows overlapping the range: [r0, r1), and bounds on the samples.
            r0 = r1 = 0
            upper = lower = 0
            if rows1:
                l1 = levels.get(1)
                r0 = _bisect(rows1, lambda r: l1.times(r)[1] < t0)
                r1 = _bisect(rows1, lambda r: l1.times(r)[0] <= t1)
                if r1 > r0:
                    upper = (r1 - r0) * b1
                    inside = r1 - r0 - (l1.times(r0)[0] < t0) - (l1.times(r1 - 1)[1] > t1)
                    lower = max(0, inside) * b1
            in_tail = int(np.count_nonzero((tail_t >= t0) & (tail_t <= t1)))
            upper += in_tail
            lower += in_tail
            stored_end = stored.t_last if stored is not None and stored.t_last is not None else None
            wire_end = self._frames.end
            lo_unc = t0 if stored_end is None else max(t0, stored_end)
            hi_unc = min(t1, wire_end)
            if hi_unc >= lo_unc:  # lines not in the pyramid (yet): a live tail, or stale
                upper += int((hi_unc - lo_unc) / self.catalogue.telemetry_period) + 2
            if upper <= max_blocks + 2 * b1:
                times, rows = self._raw(topic, t0, t1)
                if len(times) <= max_blocks:
                    return Envelope(times, rows[:, columns], 0, len(times))
                return _blocks_of_samples(times, rows[:, columns], max_blocks)
            if r1 <= r0 and not in_tail:
                return empty
            assert meta is not None
            return self._blocks(
                levels,
                meta,
                topic,
                columns,
                (r0, r1),
                (t0, t1),
                max_blocks,
                upper,
                (tail_t, tail_v),
            )

    def _blocks(
        self,
        levels: _Levels,
        meta: PyramidMeta,
        topic: str,
        columns: Columns,
        rows: tuple[int, int],
        window: tuple[float, float],
        max_blocks: int,
        samples: int,
        tail: tuple[FloatArray, FloatArray],
    ) -> Envelope:
        """Blocks of the coarsest level with >= max_blocks blocks in range, merged
        down to at most ``max_blocks``; the right edge from finer levels and the tail."""
        r0, r1 = rows
        chosen = 1
        for level in range(meta.levels, 1, -1):
            unit = meta.factor ** (level - 1)  # level-1 rows per row of this level
            if -(-r1 // unit) - r0 // unit >= max_blocks and meta.rows(topic, level) > r0 // unit:
                chosen = level
                break
        xs: list[FloatArray] = []
        ys: list[FloatArray] = []
        pos = r0
        for level in range(chosen, 0, -1):
            unit = meta.factor ** (level - 1)
            b_lo = pos // unit
            b_hi = min(meta.rows(topic, level), -(-r1 // unit))
            if b_hi <= b_lo:
                continue
            data = levels.get(level).read(b_lo, b_hi)
            t = data["t0"]
            mins = data["min"][:, columns]
            maxs = data["max"][:, columns]
            group = -(-(b_hi - b_lo) // max_blocks)
            if level == chosen and group > 1:
                # Groups aligned on absolute rows, so that panning keeps them.
                starts = np.unique(np.r_[0, np.arange((-b_lo) % group, b_hi - b_lo, group)])
                t = t[starts]
                mins = np.fmin.reduceat(mins, starts, axis=0)
                maxs = np.fmax.reduceat(maxs, starts, axis=0)
            y = np.empty((2 * len(t), mins.shape[1]))
            y[0::2] = mins
            y[1::2] = maxs
            xs.append(np.repeat(t, 2))
            ys.append(y)
            pos = b_hi * unit
        tail_t, tail_v = tail
        t0, t1 = window
        keep = (tail_t >= t0) & (tail_t <= t1)
        if keep.any():
            xs.append(tail_t[keep])
            ys.append(tail_v[keep][:, columns])
        if not xs:
            return _empty(tail_v.shape[1], columns)
        return Envelope(np.concatenate(xs), np.concatenate(ys), chosen, samples)


class _Levels:
    """The level files of one topic, opened on first use during one query."""

    def __init__(self, directory: Path, topic: str, width: int) -> None:
        self.directory = directory
        self.topic = topic
        self.width = width
        self._open: dict[int, _LevelFile] = {}

    def get(self, level: int) -> _LevelFile:
        f = self._open.get(level)
        if f is None:
            f = self._open[level] = _LevelFile(
                level_path(self.directory, self.topic, level), self.width
            )
        return f

    def __enter__(self) -> _Levels:
        return self

    def __exit__(self, *exc: object) -> None:
        for f in self._open.values():
            f.close()


def _bisect(n: int, before: Callable[[int], bool]) -> int:
    """The first index in ``[0, n)`` where ``before`` is False (it is True, then False)."""
    lo, hi = 0, n
    while lo < hi:
        mid = (lo + hi) // 2
        if before(mid):
            lo = mid + 1
        else:
            hi = mid
    return lo


def _blocks_of_samples(times: FloatArray, values: FloatArray, max_blocks: int) -> Envelope:
    """At most ``max_blocks`` min/max blocks of equal numbers of samples."""
    n = len(times)
    group = -(-n // max_blocks)
    starts = np.arange(0, n, group)
    mins = np.fmin.reduceat(values, starts, axis=0)
    maxs = np.fmax.reduceat(values, starts, axis=0)
    y = np.empty((2 * len(starts), values.shape[1]))
    y[0::2] = mins
    y[1::2] = maxs
    return Envelope(np.repeat(times[starts], 2), y, 1, n)
