"""`HistoryFetcher`: long-history queries in one worker thread, results on the GUI thread.

A query of the recording on disk takes from a few to a couple of hundred
milliseconds: no frame waits for one. The plot area owns one fetcher; each
panel (per topic) and the navigator ask under their own key. The newest
request of a key wins: one not started yet is replaced, a result that is no
longer wanted when it arrives is dropped.

While a query runs, Python's cyclic garbage collector is kept on the GUI
thread (`m2gui.ui.main_thread_gc`): the worker must never destroy Qt objects.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Hashable
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Any

import shiboken6
from PySide6.QtCore import QObject, QTimer, Signal

from m2gui.net.ratelog import RateLimitedLog

from ..main_thread_gc import gc_on_this_thread

__all__ = ["Deliver", "HistoryFetcher"]

log = logging.getLogger(__name__)
_fail_log = RateLimitedLog(log)

#: Called on the GUI thread with the request's tag, the result, and the error (or None).
Deliver = Callable[[Hashable, Any, BaseException | None], None]


@dataclass(eq=False)
class _Job:
    tag: Hashable
    work: Callable[[], Any] = field(repr=False)
    deliver: Deliver = field(repr=False)


#: Milliseconds the worker must stay idle before the collector resumes.
GC_RESUME_MS = 1500


class HistoryFetcher(QObject):
    """Run long-history queries off the GUI thread, newest request per key first.

    Attributes
    ----------
    failures : `int`
        Queries that raised (logged, rate limited; delivered as the error).
    """

    _finished = Signal(object, object, object, object)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._executor = ThreadPoolExecutor(1, thread_name_prefix="m2gui-plot-history")
        self._lock = threading.Lock()
        self._wanted: dict[Hashable, _Job] = {}
        self._queued: set[Hashable] = set()
        self._busy = 0  # jobs submitted and not delivered (GUI thread)
        self._gc_pause: AbstractContextManager[None] | None = None
        # The collector is resumed (with a full collection on this thread, tens
        # of ms) only once the worker has been idle a while: not after every
        # query of a pan, whose frames must stay short.
        self._resume_timer = QTimer(self)
        self._resume_timer.setSingleShot(True)
        self._resume_timer.setInterval(GC_RESUME_MS)
        self._resume_timer.timeout.connect(self._resume_gc)
        self._closed = False
        self.failures = 0
        # Emitted from the worker thread: delivered on this object's (the GUI) thread.
        self._finished.connect(self._deliver)

    @property
    def busy(self) -> bool:
        """Whether a query is queued or running."""
        return self._busy > 0

    def fetch(
        self, key: Hashable, tag: Hashable, work: Callable[[], Any], deliver: Deliver
    ) -> None:
        """Run ``work()`` in the worker; then call ``deliver(tag, result, error)`` here.

        Only the newest request of ``key`` is run if several wait, and only
        if it is still the newest when it ends is it delivered (a request
        with an equal ``tag`` counts as the same).
        """
        if self._closed:
            return
        with self._lock:
            self._wanted[key] = _Job(tag, work, deliver)
            if key in self._queued:
                return  # the job waiting will run this request
            self._queued.add(key)
        self._resume_timer.stop()
        if self._gc_pause is None:
            self._gc_pause = gc_on_this_thread()
            self._gc_pause.__enter__()
        self._busy += 1
        self._executor.submit(self._run, key)

    def wanted(self, key: Hashable) -> Hashable | None:
        """The tag of the request of ``key`` not delivered yet, if any."""
        with self._lock:
            job = self._wanted.get(key)
        return None if job is None else job.tag

    def forget(self, keep: Callable[[Hashable], bool]) -> None:
        """Drop the requests whose key ``keep`` refuses (a panel closed)."""
        with self._lock:
            for key in [k for k in self._wanted if not keep(k)]:
                del self._wanted[key]

    def _run(self, key: Hashable) -> None:
        """In the worker: run the newest request of ``key``."""
        with self._lock:
            self._queued.discard(key)
            job = self._wanted.get(key)
        result: Any = None
        error: BaseException | None = None
        if job is not None and not self._closed:
            try:
                result = job.work()
            except Exception as exc:  # a broken file must not stop the plots
                error = exc
        if self._closed:
            return
        try:
            self._finished.emit(key, job, result, error)
        except RuntimeError:  # pragma: no cover - the plot area was deleted meanwhile
            pass

    def _deliver(self, key: Hashable, job: _Job | None, result: Any, error: Any) -> None:
        """On the GUI thread: hand a result that is still wanted to its requester."""
        if self._closed:
            return
        self._busy = max(0, self._busy - 1)
        if self._busy == 0:
            self._resume_timer.start()
        if job is None:
            return
        with self._lock:
            current = self._wanted.get(key)
            if current is None or current.tag != job.tag:
                return  # stale: a newer request is on its way
            del self._wanted[key]
        if error is not None:
            self.failures += 1
            _fail_log(
                logging.ERROR,
                f"query:{type(error).__name__}",
                f"long history query failed ({self.failures} so far): {error!r}",
                exc_info=error,
            )
        owner = getattr(job.deliver, "__self__", None)
        if isinstance(owner, QObject) and not shiboken6.isValid(owner):
            return  # its panel was closed meanwhile
        job.deliver(job.tag, result, error)

    def _resume_gc(self) -> None:
        pause, self._gc_pause = self._gc_pause, None
        if pause is not None:
            pause.__exit__(None, None, None)

    def close(self) -> None:
        """Stop: queued requests are dropped, nothing more is delivered."""
        if self._closed:
            return
        self._closed = True
        with self._lock:
            self._wanted.clear()
        self._executor.shutdown(wait=False, cancel_futures=True)
        self._busy = 0
        self._resume_timer.stop()
        self._resume_gc()
