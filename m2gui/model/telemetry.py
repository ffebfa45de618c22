"""Telemetry history: per-topic numpy buffers with an incremental min/max pyramid.

Each topic keeps one sample-major matrix (samples x signals; every field is a
range of columns, an array field one column per element) in a linear buffer
with slack: appending writes one row (O(1)); when the slack is used up the
retained rows move to the front (amortised O(1)), so the retained history is
always one contiguous block and plotting reads views, not copies.

Beside the samples, a min/max pyramid (each level reduces 4 entries of the
level below) is updated as samples arrive. Drawing a window of n samples onto
p pixels reads about p blocks from the right level instead of reducing n
samples per frame: the cost of a frame follows pixels, not history length.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import psygnal

from m2gui.net import ControllerConnection, Received
from m2gui.net.ratelog import RateLimitedLog

from .catalogue import Catalogue, TopicSpec
from .signals import Signal

__all__ = [
    "GAP_PERIODS",
    "Envelope",
    "RowParser",
    "TelemetryStore",
    "TopicBuffer",
    "buffer_nbytes",
    "check_history",
    "history_capacity",
    "largest_history",
    "planned_nbytes",
]

log = logging.getLogger(__name__)

FloatArray = npt.NDArray[np.float64]
#: Each pyramid level reduces this many entries of the level below.
FACTOR = 4
#: The nominal telemetry rate, used to turn a history length into samples.
NOMINAL_RATE_HZ = 20.0
#: Telemetry periods without a sample after which the history has a gap
#: (drawn as a gap, marked in exports): telemetry stopped, or the link was down.
GAP_PERIODS = 5


@dataclass
class Envelope:
    """Points to draw for some columns of a topic over a time window.

    ``x`` (n) and ``y`` (n x columns). Where the window holds more samples than
    asked for, each block of samples contributes two points at the block's
    time: its minimum, then its maximum (a peak-preserving reduction).
    """

    x: FloatArray
    y: FloatArray
    level: int
    samples: int


def _rows_size(capacity: int) -> int:
    """Rows a `_Rows` of ``capacity`` allocates: the capacity and its slack."""
    return capacity + max(capacity // 4, 16)


def _level_capacities(capacity: int) -> list[int]:
    """Capacity of each pyramid level of a buffer of ``capacity`` samples."""
    capacities = []
    block = FACTOR
    while capacity // block >= 8:
        capacities.append(capacity // block + 2)
        block *= FACTOR
    return capacities


def buffer_nbytes(width: int, capacity: int) -> int:
    """Bytes a `TopicBuffer` of ``width`` columns and ``capacity`` samples allocates.

    The samples (a time and ``width`` doubles per row) and every pyramid level
    (a time, ``width`` minimums and ``width`` maximums per row), each with its
    slack: exactly what `TopicBuffer` preallocates.
    """
    item = np.dtype(np.float64).itemsize
    total = _rows_size(capacity) * (1 + width) * item
    for level in _level_capacities(capacity):
        total += _rows_size(level) * (1 + 2 * width) * item
    return total


def check_history(history: float) -> float:
    """Return ``history`` (seconds) if it is usable, else raise `ValueError`.

    Usable means a finite number greater than zero.
    """
    if isinstance(history, bool) or not isinstance(history, (int, float)):
        raise ValueError(f"history must be a number of seconds, not {history!r:.40}")
    if not math.isfinite(history) or history <= 0:
        raise ValueError(
            f"history must be a finite number of seconds greater than zero, not {history!r}"
        )
    return float(history)


def history_capacity(history: float) -> int:
    """Samples kept per topic for ``history`` seconds at the nominal rate."""
    return max(64, round(check_history(history) * NOMINAL_RATE_HZ))


def planned_nbytes(catalogue: Catalogue, history: float) -> int:
    """Bytes a `TelemetryStore` holds once every topic of ``catalogue`` arrived.

    Buffers are allocated when a topic's first sample arrives, so this is
    what the store reaches, not what it takes at start.
    """
    capacity = history_capacity(history)
    return sum(
        buffer_nbytes(sum(f.width for f in spec.fields.values()), capacity)
        for spec in catalogue.telemetry.values()
    )


def largest_history(catalogue: Catalogue, budget: int) -> int:
    """The longest history, in whole seconds, whose `planned_nbytes` fit in ``budget``.

    Zero if not even one second fits.
    """
    if planned_nbytes(catalogue, 1.0) > budget:
        return 0
    lo, hi = 1, 2
    while planned_nbytes(catalogue, float(hi)) <= budget:
        lo, hi = hi, hi * 2
    while hi - lo > 1:  # planned_nbytes(lo) fits, planned_nbytes(hi) does not
        mid = (lo + hi) // 2
        if planned_nbytes(catalogue, float(mid)) <= budget:
            lo = mid
        else:
            hi = mid
    return lo


class _Rows:
    """A growable window of rows in a fixed array: append at the end, drop at the front."""

    def __init__(self, capacity: int, width: int) -> None:
        self.capacity = capacity
        size = _rows_size(capacity)
        self.times = np.empty(size)
        self.mins = np.empty((size, width))
        self.maxs: FloatArray | None = None
        self.start = 0
        self.end = 0
        self.first = 0  # absolute index of row `start`

    def with_maxs(self) -> _Rows:
        self.maxs = np.empty_like(self.mins)
        return self

    @property
    def count(self) -> int:
        return self.end - self.start

    @property
    def next_index(self) -> int:
        """Absolute index the next appended row will get."""
        return self.first + self.count

    def claim(self) -> int:
        """Make room for one more row; return its array index."""
        if self.end == len(self.times):
            n = self.count
            self.times[:n] = self.times[self.start : self.end]
            self.mins[:n] = self.mins[self.start : self.end]
            if self.maxs is not None:
                self.maxs[:n] = self.maxs[self.start : self.end]
            self.start, self.end = 0, n
        row = self.end
        self.end += 1
        if self.count > self.capacity:
            self.start += 1
            self.first += 1
        return row

    def clear(self) -> None:
        """Forget every row (the arrays stay allocated)."""
        self.start = self.end = self.first = 0

    def row_of(self, index: int) -> int:
        """Array row of an absolute index (which must be retained)."""
        return self.start + index - self.first

    @property
    def nbytes(self) -> int:
        total = self.times.nbytes + self.mins.nbytes
        return total + (self.maxs.nbytes if self.maxs is not None else 0)


class _Marks:
    """Ascending absolute sample indices: append at the end, drop at the front
    (both amortised O(1)); never more than the samples retained."""

    def __init__(self) -> None:
        self.indices = np.empty(16, np.int64)
        self.start = 0
        self.end = 0

    def append(self, index: int) -> None:
        if self.end == len(self.indices):
            n = self.end - self.start
            if 2 * n > len(self.indices):
                grown = np.empty(2 * len(self.indices), np.int64)
                grown[:n] = self.indices[self.start : self.end]
                self.indices = grown
            else:
                self.indices[:n] = self.indices[self.start : self.end]
            self.start, self.end = 0, n
        self.indices[self.end] = index
        self.end += 1

    def drop_before(self, first: int) -> None:
        while self.start < self.end and self.indices[self.start] < first:
            self.start += 1

    def within(self, lo: int, hi: int) -> npt.NDArray[np.int64]:
        """The indices ``i`` with ``lo <= i < hi`` (a view)."""
        kept = self.indices[self.start : self.end]
        i0, i1 = np.searchsorted(kept, [lo, hi], "left")
        return kept[i0:i1]


class RowParser:
    """Turns telemetry messages of one topic into rows of its columns.

    The columns are the topic's fields in catalogue order, an array field one
    column per element: the layout of `TopicBuffer` (and of the long-history
    store on disk), so a column index means the same thing everywhere.

    Parameters
    ----------
    spec : `TopicSpec`
        The topic's fields (from the catalogue).
    log_bad : `bool`
        Log each bad value (rate-limited); False only counts them.
    """

    def __init__(self, spec: TopicSpec, log_bad: bool = True) -> None:
        self.name = spec.name
        #: The columns of each field.
        self.columns: dict[str, slice] = {}
        self._layout: list[tuple[str, int, int, bool]] = []
        width = 0
        for fname, fspec in spec.fields.items():
            w = fspec.width
            self.columns[fname] = slice(width, width + w)
            self._layout.append((fname, width, w, fspec.is_array))
            width += w
        #: Columns of a row.
        self.width = width
        self.log_bad = log_bad
        #: Values stored as NaN (wrong type, beyond a double, nested), per field.
        self.bad_values: dict[str, int] = {}
        #: Arrays of the wrong length (NaN-padded or cut), per field.
        self.short_arrays: dict[str, int] = {}

    def parse(self, message: dict[str, Any], row: FloatArray) -> None:
        """Convert ``message`` into ``row`` (``width`` doubles), in place.

        Values of the wrong type (or that no double can hold, or nested
        arrays) become NaN and are counted per field in `bad_values`; arrays
        of the wrong length are NaN-padded or cut and counted in
        `short_arrays`. Every column of ``row`` is written.
        """
        for fname, a, w, is_array in self._layout:
            value = message.get(fname)
            try:
                if is_array:
                    if type(value) is list:
                        if len(value) == w:
                            arr = np.asarray(value)
                            if arr.ndim == 1 and arr.dtype.kind in "fiub":
                                row[a : a + w] = arr
                                continue
                        else:
                            arr = np.asarray(value[:w])
                            if arr.ndim == 1 and arr.dtype.kind in "fiub":
                                row[a : a + w] = np.nan
                                row[a : a + len(arr)] = arr
                                self.short_arrays[fname] = self.short_arrays.get(fname, 0) + 1
                                continue
                else:
                    kind = type(value)
                    if kind is float or kind is int or kind is bool:
                        row[a] = value
                        continue
            except (ValueError, TypeError, OverflowError, RecursionError):
                pass  # nested, ragged, or beyond a double: a bad value
            row[a : a + w] = np.nan
            self._bad(fname, value)

    def _bad(self, fname: str, value: Any) -> None:
        self.bad_values[fname] = self.bad_values.get(fname, 0) + 1
        if self.log_bad:
            _problem_log(
                logging.WARNING,
                f"{self.name}.{fname}",
                f"telemetry {self.name}.{fname}: bad value {_short_repr(value)} "
                f"({self.bad_values[fname]} so far), stored as NaN",
            )


class TopicBuffer:
    """The retained history of one telemetry topic, with its pyramid.

    Parameters
    ----------
    spec : `TopicSpec`
        The topic's fields (from the catalogue).
    capacity : `int`
        Samples retained.
    gap : `float`
        Seconds without a sample that make a gap in the history (see
        `gaps`); infinite (the default): no gaps are recorded.
    """

    def __init__(self, spec: TopicSpec, capacity: int, gap: float = math.inf) -> None:
        self.spec = spec
        self.name = spec.name
        self.parser = RowParser(spec)
        self.columns = self.parser.columns
        width = self.width = self.parser.width
        self.capacity = capacity
        self.raw = _Rows(capacity, width)
        self.levels = [_Rows(c, width).with_maxs() for c in _level_capacities(capacity)]
        #: A sample is converted here first, then committed whole.
        self._scratch = np.empty(width)
        self.total = 0
        self.version = 0
        self.last_time = -math.inf
        self.gap = gap
        #: Samples that came more than `gap` seconds after the previous one.
        self._gaps = _Marks()
        #: Values stored as NaN, per field (the parser's counters).
        self.bad_values = self.parser.bad_values
        #: Arrays of the wrong length, NaN-padded or cut, per field.
        self.short_arrays = self.parser.short_arrays

    def clear(self) -> None:
        """Forget every sample (a replay jumped back in time); `version` still grows."""
        self.raw.clear()
        for level in self.levels:
            level.clear()
        self.total = 0
        self.last_time = -math.inf
        self._gaps = _Marks()
        self.version += 1

    # ------------------------------------------------------------------
    @property
    def count(self) -> int:
        """Samples retained."""
        return self.raw.count

    @property
    def nbytes(self) -> int:
        """Memory held by the samples and the pyramid."""
        return self.raw.nbytes + sum(level.nbytes for level in self.levels)

    def times(self) -> FloatArray:
        """Receive times of the retained samples (a view)."""
        return self.raw.times[self.raw.start : self.raw.end]

    def values(self, columns: slice | Sequence[int] | None = None) -> FloatArray:
        """Retained samples (a view for a slice of columns, a copy otherwise)."""
        rows = self.raw.mins[self.raw.start : self.raw.end]
        return rows if columns is None else rows[:, columns]

    def column(self, signal: Signal) -> int:
        """The column of one signal of this topic."""
        cols = self.columns[signal.field]
        return int(cols.start) + (signal.index or 0)

    # ------------------------------------------------------------------
    def append(self, t: float, message: dict[str, Any]) -> None:
        """Store one message received at time ``t``.

        Values of the wrong type (or that no double can hold, or nested
        arrays) become NaN and are counted per field in `bad_values`; arrays
        of the wrong length are NaN-padded or cut and counted in
        `short_arrays`. The sample is converted into a scratch row first and
        then stored whole: a bad value never leaves a half-written row.
        """
        if t < self.last_time:
            t = self.last_time  # the wall clock stepped back: keep time order
        row = self._scratch
        self.parser.parse(message, row)
        if t - self.last_time > self.gap and self.total:
            self._gaps.append(self.total)
        self.last_time = t
        raw = self.raw
        row_index = raw.claim()
        raw.times[row_index] = t
        raw.mins[row_index] = row
        self.total += 1
        self.version += 1
        if self._gaps.end > self._gaps.start:
            self._gaps.drop_before(raw.first)
        self._reduce()

    def _reduce(self) -> None:
        """Complete the pyramid blocks the last sample closed."""
        total = self.total
        lower_times = self.raw.times
        lower_mins = self.raw.mins
        lower_maxs = self.raw.mins
        lower_end = self.raw.end
        block = FACTOR
        for level in self.levels:
            if total % block:
                return
            row = level.claim()
            a = lower_end - FACTOR
            level.times[row] = lower_times[a]
            level.mins[row] = lower_mins[a:lower_end].min(axis=0)
            assert level.maxs is not None
            level.maxs[row] = lower_maxs[a:lower_end].max(axis=0)
            lower_times, lower_mins, lower_maxs = level.times, level.mins, level.maxs
            lower_end = level.end
            block *= FACTOR

    # ------------------------------------------------------------------
    def index_range(self, t0: float, t1: float) -> tuple[int, int]:
        """Absolute sample indices ``[a0, a1)`` received within ``[t0, t1]``."""
        times = self.times()
        i0 = int(np.searchsorted(times, t0, "left"))
        i1 = int(np.searchsorted(times, t1, "right"))
        return self.raw.first + i0, self.raw.first + i1

    def gaps(self, a0: int, a1: int) -> npt.NDArray[np.int64]:
        """Gaps among samples ``[a0, a1)``: the absolute index of each sample
        that came more than `gap` seconds after the previous one (which is in
        the range too), ascending."""
        return self._gaps.within(max(a0, self.raw.first) + 1, a1)

    def times_of(self, indices: npt.NDArray[np.int64]) -> FloatArray:
        """Receive times of retained samples given by absolute index."""
        raw = self.raw
        return raw.times[indices - raw.first + raw.start]

    def envelope(
        self, columns: slice | Sequence[int], a0: int, a1: int, max_blocks: int
    ) -> Envelope:
        """Points to draw samples ``[a0, a1)`` of ``columns``: the raw samples
        if there are at most ``max_blocks``, else at most ``max_blocks`` blocks
        (two points each).

        Complete blocks of the coarsest useful level cover the window; the
        right edge, where that level's block is not complete yet, comes from
        finer levels and finally raw samples.
        """
        raw = self.raw
        a0 = max(a0, raw.first)
        a1 = min(a1, raw.next_index)
        n = max(0, a1 - a0)
        if n <= max_blocks or not self.levels:
            r0, r1 = raw.row_of(a0), raw.row_of(a1)
            return Envelope(raw.times[r0:r1], raw.mins[r0:r1, columns], 0, n)
        level_index = 1
        block = FACTOR
        while n / block > max_blocks and level_index < len(self.levels):
            level_index += 1
            block *= FACTOR
        xs: list[FloatArray] = []
        ys: list[FloatArray] = []
        pos = a0
        for k in range(level_index, 0, -1):
            level = self.levels[k - 1]
            size = FACTOR**k
            b_lo = max(pos // size, level.first)
            b_hi = min(level.next_index, a1 // size)
            if b_hi > b_lo:
                r0, r1 = level.row_of(b_lo), level.row_of(b_hi)
                assert level.maxs is not None
                mins = level.mins[r0:r1, columns]
                maxs = level.maxs[r0:r1, columns]
                y = np.empty((2 * (r1 - r0), mins.shape[1]))
                y[0::2] = mins
                y[1::2] = maxs
                ys.append(y)
                xs.append(np.repeat(level.times[r0:r1], 2))
                pos = b_hi * size
        if pos < a1:
            r0, r1 = raw.row_of(max(pos, raw.first)), raw.row_of(a1)
            xs.append(raw.times[r0:r1])
            ys.append(raw.mins[r0:r1, columns])
        return Envelope(np.concatenate(xs), np.concatenate(ys), level_index, n)

    def value_at(self, t: float, columns: slice | Sequence[int]) -> tuple[float, FloatArray]:
        """The sample nearest to time ``t``: its time and values."""
        times = self.times()
        if len(times) == 0:
            raise LookupError("no samples")
        i = int(np.searchsorted(times, t))
        if i > 0 and (i == len(times) or t - times[i - 1] <= times[i] - t):
            i -= 1
        return float(times[i]), self.values()[i, columns]


_problem_log = RateLimitedLog(log)


def _short_repr(value: Any, limit: int = 60) -> str:
    """``repr(value)`` cut to ``limit`` characters; never raises.

    ``repr`` refuses integers of more than 4300 digits and recurses into
    nested lists, both of which a peer controls.
    """
    try:
        return repr(value)[:limit]
    except (ValueError, RecursionError):
        if type(value) is int:
            return f"<integer of {value.bit_length()} bits>"
        return f"<{type(value).__name__}>"


class TelemetryStore:
    """The history of every telemetry topic received, Qt-free.

    Parameters
    ----------
    catalogue : `Catalogue`
        Protocol catalogue (fields of each topic).
    history : `float`
        Seconds of history kept at the nominal 20 Hz (default 10 minutes).

    Raises
    ------
    ValueError
        If ``history`` is not a finite number greater than zero.

    Signals
    -------
    arrived(str)
        After a message of a topic was stored, with the topic name (20 Hz per
        topic: receivers must be cheap, or coalesce).
    """

    arrived = psygnal.Signal(str)

    def __init__(self, catalogue: Catalogue, history: float = 600.0) -> None:
        self.catalogue = catalogue
        self.history = check_history(history)
        #: Seconds without a sample of a topic that make a gap in its history:
        #: `GAP_PERIODS` telemetry periods.
        self.gap = GAP_PERIODS * catalogue.telemetry_period
        self.buffers: dict[str, TopicBuffer] = {}
        self.unknown_topics: dict[str, int] = {}

    @property
    def capacity(self) -> int:
        """Samples kept per topic."""
        return history_capacity(self.history)

    @property
    def planned_nbytes(self) -> int:
        """Memory the store holds once every topic of the catalogue arrived."""
        return planned_nbytes(self.catalogue, self.history)

    def attach(self, connection: ControllerConnection) -> None:
        """Receive every telemetry message of ``connection``."""
        connection.subscribe(self.on_telemetry, kind="telemetry")

    def on_telemetry(self, received: Received) -> None:
        """Store one telemetry message (a connection subscriber)."""
        buffer = self.buffers.get(received.name)
        if buffer is None:
            spec = self.catalogue.telemetry.get(received.name)
            if spec is None:
                self.unknown_topics[received.name] = self.unknown_topics.get(received.name, 0) + 1
                return
            buffer = self.buffers[received.name] = TopicBuffer(spec, self.capacity, self.gap)
        buffer.append(received.time, received.message)
        self.arrived.emit(received.name)

    def clear(self) -> None:
        """Forget every sample of every topic (a replay jumped back in time).

        Emits `arrived` for each topic, so views redraw without the old samples.
        """
        for buffer in self.buffers.values():
            buffer.clear()
        for topic in list(self.buffers):
            self.arrived.emit(topic)

    def buffer(self, topic: str) -> TopicBuffer | None:
        """The buffer of a topic, if any sample arrived."""
        return self.buffers.get(topic)

    @property
    def nbytes(self) -> int:
        """Memory held by all buffers."""
        return sum(b.nbytes for b in self.buffers.values())

    @property
    def bad_values(self) -> int:
        """Values stored as NaN because of a wrong type, over all topics."""
        return sum(sum(b.bad_values.values()) for b in self.buffers.values())

    def signals(self) -> list[Signal]:
        """Every signal of the catalogue, in catalogue order."""
        out: list[Signal] = []
        for topic, spec in self.catalogue.telemetry.items():
            for fname, fspec in spec.fields.items():
                if fspec.is_array:
                    out.extend(Signal(topic, fname, i) for i in range(fspec.width))
                else:
                    out.append(Signal(topic, fname))
        return out
