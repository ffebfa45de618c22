"""`Table`: the samples of some signals over a time range, copied out of the store."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from .signals import Signal
from .telemetry import TelemetryStore

__all__ = ["TIME_HEADER", "Table", "column_header", "signals_table"]

#: The header of the time column (receive times, Unix seconds).
TIME_HEADER = "time (s)"


def column_header(name: str, unit: str) -> str:
    """A signal's column header: its name, and its unit in brackets if it has one."""
    return f"{name} ({unit})" if unit else name


@dataclass(frozen=True)
class Table:
    """A snapshot of some signals' samples.

    Attributes
    ----------
    header : list of `str`
        `TIME_HEADER` then one `column_header` per signal (name and unit).
    times : `numpy.ndarray`
        Receive times (n), in time order.
    values : `numpy.ndarray`
        Values (n x signals).
    present : `numpy.ndarray`
        (n x signals) booleans: False where the row is a sample of another
        topic, or a gap row (the cell is left empty).
    precisions : list of `int` or `None`
        Decimals of each signal (the catalogue's ``FieldSpec.precision``;
        None: exact).
    gaps : `int`
        Gap rows: where a topic sent no sample for more than the store's
        ``gap`` seconds, one row, one telemetry period after the last sample
        before the gap, with every cell empty.
    """

    header: list[str]
    times: npt.NDArray[np.float64]
    values: npt.NDArray[np.float64]
    present: npt.NDArray[np.bool_]
    precisions: list[int | None]
    gaps: int = 0


def signals_table(store: TelemetryStore, signals: Sequence[Signal], t0: float, t1: float) -> Table:
    """The samples of ``signals`` received within ``[t0, t1]``, copied out of ``store``.

    Signals of different topics have their own timestamps: rows are merged
    in time order and a signal's cell is present only on rows of its own
    topic. Where a topic has a gap (see `TopicBuffer.gaps`), a row with no
    cell present marks it. The arrays are copies, so a worker thread may read
    them while the store keeps filling. Columns come from each topic's
    `TopicBuffer`; units and precisions from the catalogue.
    """
    position = {signal: i for i, signal in enumerate(signals)}
    by_topic: dict[str, list[Signal]] = {}
    for signal in signals:
        by_topic.setdefault(signal.topic, []).append(signal)
    n = len(signals)
    specs = [store.catalogue.telemetry[s.topic].fields[s.field] for s in signals]
    header = [
        TIME_HEADER,
        *(column_header(s.name, f.unit) for s, f in zip(signals, specs, strict=True)),
    ]
    precisions = [f.precision for f in specs]
    period = store.catalogue.telemetry_period
    blocks_t, blocks_v, blocks_p = [], [], []
    gaps = 0
    for topic, members in by_topic.items():
        buffer = store.buffer(topic)
        if buffer is None or not buffer.count:
            continue
        first = buffer.total - buffer.count
        a0, a1 = buffer.index_range(t0, t1)
        i0, i1 = a0 - first, a1 - first
        times = buffer.times()[i0:i1]
        values = np.full((len(times), n), np.nan)
        present = np.zeros((len(times), n), bool)
        cols = [position[s] for s in members]
        values[:, cols] = buffer.values()[i0:i1][:, [buffer.column(s) for s in members]]
        present[:, cols] = True
        blocks_t.append(times)
        blocks_v.append(values)
        blocks_p.append(present)
        after_gap = buffer.gaps(a0, a1)
        if after_gap.size:
            gaps += after_gap.size
            blocks_t.append(buffer.times_of(after_gap - 1) + period)
            blocks_v.append(np.full((after_gap.size, n), np.nan))
            blocks_p.append(np.zeros((after_gap.size, n), bool))
    if not blocks_t:
        return Table(header, np.empty(0), np.empty((0, n)), np.empty((0, n), bool), precisions)
    times = np.concatenate(blocks_t)
    order = np.argsort(times, kind="stable")
    return Table(
        header,
        times[order],
        np.concatenate(blocks_v)[order],
        np.concatenate(blocks_p)[order],
        precisions,
        gaps,
    )
