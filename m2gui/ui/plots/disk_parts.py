"""`DiskParts`: what a panel draws from the long history, older than memory.

Per topic, the part of the view older than the oldest sample in memory is
asked of the long history through the plot area's `HistoryFetcher` (never on
the GUI thread), kept, and reused while the range asked for is unchanged
(`m2gui.model.plot_panel.disk_range` widens it to a grid, so a live view asks
again only now and then). Until a new part arrives the last one of the same
curves is drawn (it holds true samples, only of another range or
resolution), or memory alone.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from m2gui.model.long_history import LongHistory
from m2gui.model.plot_panel import disk_range
from m2gui.model.telemetry import Envelope
from m2gui.record.archive import merge_envelopes

from .history_fetch import HistoryFetcher

__all__ = ["DiskParts", "DiskQuery", "join"]


@dataclass(frozen=True)
class DiskQuery:
    """One request to the long history: columns of a topic over a time range."""

    topic: str
    columns: tuple[int, ...]
    start: float
    end: float
    blocks: int

    def run(self, source: LongHistory) -> Envelope:
        """Ask ``source`` (in the worker thread)."""
        return source.envelope(self.topic, list(self.columns), self.start, self.end, self.blocks)


class DiskParts:
    """The disk parts of one panel's topics.

    Parameters
    ----------
    key : `Hashable`
        The panel's key: requests are keyed ``(key, topic)``.
    arrived : callable
        Called (on the GUI thread) when a part to draw arrived.
    """

    def __init__(self, key: Hashable, arrived: Callable[[], None]) -> None:
        self.key = key
        self._arrived = arrived
        self.fetcher: HistoryFetcher | None = None
        self._asked: dict[str, tuple[LongHistory, DiskQuery]] = {}
        self._have: dict[str, tuple[LongHistory, DiskQuery, Envelope]] = {}
        #: Topics whose part for the current view is on its way.
        self.loading: set[str] = set()
        #: Parts asked for and received (for tests and the curious).
        self.asked = 0
        self.received = 0

    def part(
        self,
        source: LongHistory | None,
        topic: str,
        columns: Sequence[int],
        view: tuple[float, float],
        boundary: float,
        max_blocks: int,
    ) -> Envelope | None:
        """The disk part to draw now for ``topic`` (None: none), asking for it if needed.

        ``view`` is the time range in view, ``boundary`` the time of the
        oldest sample in memory (``inf`` if none).
        """
        self.loading.discard(topic)
        wanted = disk_range(view[0], view[1], boundary, max_blocks)
        if source is None or self.fetcher is None or wanted is None:
            return None
        query = DiskQuery(topic, tuple(columns), *wanted)
        have = self._have.get(topic)
        if have is not None and have[0] is source and have[1] == query:
            return have[2]
        if self._asked.get(topic) != (source, query):
            self._asked[topic] = (source, query)
            self.asked += 1
            self.fetcher.fetch(
                (self.key, topic),
                (id(source), query),
                lambda: query.run(source),
                lambda tag, result, error: self._received(topic, source, query, result),
            )
        self.loading.add(topic)
        if have is not None and have[0] is source and have[1].columns == query.columns:
            return have[2]  # true samples of another range, until the new part is here
        return None

    def _received(
        self, topic: str, source: LongHistory, query: DiskQuery, result: Envelope | None
    ) -> None:
        if self._asked.get(topic) != (source, query):
            return
        if result is None:  # the query failed (logged): draw memory only for this range
            width = len(query.columns)
            result = Envelope(np.empty(0), np.empty((0, width)), 0, 0)
        self._have[topic] = (source, query, result)
        self.received += 1
        self._arrived()

    def values_at(
        self, topic: str, t: float, within: float
    ) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]] | None:
        """The lowest and highest value of each curve of ``topic`` drawn at time
        ``t`` from disk: a sample's (both the same) or its block's; None if
        no disk part is drawn there (or the nearest sample is more than
        ``within`` seconds away)."""
        have = self._have.get(topic)
        if have is None or not len(have[2].x):
            return None
        envelope = have[2]
        x, y = envelope.x, envelope.y
        i = int(np.searchsorted(x, t, "right")) - 1
        if envelope.level == 0:
            j = min((k for k in (i, i + 1) if 0 <= k < len(x)), key=lambda k: abs(x[k] - t))
            if abs(x[j] - t) > within:
                return None
            return y[j], y[j]
        if i < 0:
            return None
        lo = int(np.searchsorted(x, x[i], "left"))
        hi = int(np.searchsorted(x, x[i], "right"))
        width = (x[hi] - x[i]) if hi < len(x) else within
        if t - x[i] > max(within, width):
            return None
        rows = y[lo:hi]
        return np.fmin.reduce(rows, axis=0), np.fmax.reduce(rows, axis=0)

    def keep_topics(self, topics: Sequence[str]) -> None:
        """Forget the parts of topics no longer drawn."""
        for cache in (self._asked, self._have):
            for topic in [t for t in cache if t not in topics]:
                del cache[topic]
        self.loading.intersection_update(topics)


def join(
    disk: Envelope, memory: Envelope, boundary: float, gap: float
) -> tuple[Envelope, npt.NDArray[np.intp]]:
    """``disk`` before ``boundary`` and ``memory`` after, and where the disk part has gaps.

    Returns the merged envelope and the indices before which its curves are
    cut: where the disk part's samples (or blocks, much further apart than
    the others) stopped for a while, and between the two parts if memory
    starts long after the disk part ends.
    """
    merged = merge_envelopes(disk, memory, boundary)
    kept = int(np.searchsorted(disk.x, boundary, "left"))
    if kept < 1:
        return merged, np.empty(0, np.intp)
    end = kept + 1 if kept < len(merged.x) else kept
    steps = np.diff(merged.x[:end])
    limit = gap
    if disk.level > 0:
        apart = steps[steps > 0]
        if apart.size:
            limit = max(gap, 4.0 * float(np.median(apart)))
    return merged, (np.flatnonzero(steps > limit) + 1).astype(np.intp)
