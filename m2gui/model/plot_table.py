"""`Table`: the samples of some signals over a time range, copied out of the store."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from .signals import Signal
from .telemetry import TelemetryStore

__all__ = ["Table", "signals_table"]


@dataclass(frozen=True)
class Table:
    """A snapshot of some signals' samples.

    Attributes
    ----------
    header : list of `str`
        ``time`` then one name per signal.
    times : `numpy.ndarray`
        Receive times (n), in time order.
    values : `numpy.ndarray`
        Values (n x signals).
    present : `numpy.ndarray`
        (n x signals) booleans: False where the row is a sample of another
        topic (the cell is left empty).
    """

    header: list[str]
    times: npt.NDArray[np.float64]
    values: npt.NDArray[np.float64]
    present: npt.NDArray[np.bool_]


def signals_table(store: TelemetryStore, signals: Sequence[Signal], t0: float, t1: float) -> Table:
    """The samples of ``signals`` received within ``[t0, t1]``, copied out of ``store``.

    Signals of different topics have their own timestamps: rows are merged
    in time order and a signal's cell is present only on rows of its own
    topic. The arrays are copies, so a worker thread may read them while the
    store keeps filling. Columns come from each topic's `TopicBuffer`.
    """
    position = {signal: i for i, signal in enumerate(signals)}
    by_topic: dict[str, list[Signal]] = {}
    for signal in signals:
        by_topic.setdefault(signal.topic, []).append(signal)
    n = len(signals)
    blocks_t, blocks_v, blocks_p = [], [], []
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
    header = ["time", *(s.name for s in signals)]
    if not blocks_t:
        return Table(header, np.empty(0), np.empty((0, n)), np.empty((0, n), bool))
    times = np.concatenate(blocks_t)
    order = np.argsort(times, kind="stable")
    return Table(
        header, times[order], np.concatenate(blocks_v)[order], np.concatenate(blocks_p)[order]
    )
