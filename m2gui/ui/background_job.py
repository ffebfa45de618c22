"""`BackgroundJob`: blocking file work in a worker thread, progress and the end as Qt signals.

The work runs in a plain Python thread and touches no widget: it gets a
``progress(fraction)`` callable and a cancel `threading.Event`. What crosses
to the GUI thread is the job's own signals (queued connections, since the
job lives on the GUI thread): `BackgroundJob.progressed` when the whole
percent changes, and `BackgroundJob.finished` once, with a `JobOutcome`.

While a job runs, Python's cyclic collector is kept on the GUI thread
(`gc_on_this_thread`): a collection started by the worker's allocations
could otherwise destroy Qt objects from the wrong thread.

The job object is a child of the application, not of a widget: a window
closed meanwhile cannot delete it under the worker's feet; it deletes itself
(`deleteLater`) once its end was delivered.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QCoreApplication, QObject, Signal

from .main_thread_gc import gc_on_this_thread

__all__ = ["BackgroundJob", "JobOutcome", "Work"]

log = logging.getLogger(__name__)

#: What a job runs: ``work(progress, cancel)``, in the worker thread.
Work = Callable[[Callable[[float], None], threading.Event], Any]


@dataclass(frozen=True)
class JobOutcome:
    """How a job ended.

    Attributes
    ----------
    value : `object`
        What the work returned (None if it raised).
    error : `Exception` or None
        What it raised.
    cancel_requested : `bool`
        Whether `BackgroundJob.cancel` was called before it ended (the work
        itself says whether it stopped early, by what it returns).
    """

    value: Any
    error: Exception | None
    cancel_requested: bool


class BackgroundJob(QObject):
    """Run ``work(progress, cancel)`` in a worker thread.

    Parameters
    ----------
    work : callable
        ``work(progress, cancel)``: blocking, Qt-free; calls ``progress``
        with the fraction done (0..1) and stops early once ``cancel`` is set.
    name : `str`
        Names the thread and the log messages.

    Signals
    -------
    progressed(float)
        The fraction done, delivered on the GUI thread (at most 101 times).
    finished(object)
        The `JobOutcome`, delivered on the GUI thread, once.
    """

    progressed = Signal(float)
    finished = Signal(object)

    def __init__(self, work: Work, name: str) -> None:
        super().__init__(QCoreApplication.instance())
        self.name = name
        self._work = work
        self._cancel = threading.Event()
        self._percent = -1
        self._thread: threading.Thread | None = None
        self._gc = contextlib.ExitStack()
        self._running = False
        # Connected first: runs before the slots of the job's users.
        self.finished.connect(self._ended)

    @property
    def running(self) -> bool:
        """True from `start` until `finished` was delivered."""
        return self._running

    @property
    def cancel_requested(self) -> bool:
        """Whether `cancel` was called."""
        return self._cancel.is_set()

    def start(self) -> None:
        """Start the worker thread (once)."""
        if self._thread is not None:
            raise RuntimeError(f"{self.name}: already started")
        self._gc.enter_context(gc_on_this_thread())
        self._running = True
        self._thread = threading.Thread(target=self._run, name=f"m2gui-{self.name}", daemon=True)
        self._thread.start()

    def cancel(self) -> None:
        """Ask the work to stop (it stops at its next look at the flag)."""
        self._cancel.set()

    # -------------------------------------------------------------- worker thread
    def _report(self, fraction: float) -> None:
        percent = int(min(max(fraction, 0.0), 1.0) * 100)
        if percent != self._percent:
            self._percent = percent
            with contextlib.suppress(RuntimeError):  # the application is gone
                self.progressed.emit(fraction)

    def _run(self) -> None:
        value: Any = None
        error: Exception | None = None
        try:
            value = self._work(self._report, self._cancel)
        except Exception as caught:  # reported on the GUI thread
            error = caught
        with contextlib.suppress(RuntimeError):
            self.finished.emit(JobOutcome(value, error, self._cancel.is_set()))

    # -------------------------------------------------------------- GUI thread
    def _ended(self, outcome: JobOutcome) -> None:
        self._running = False
        self._gc.close()
        if outcome.error is not None:
            log.debug("%s raised", self.name, exc_info=outcome.error)
        self.deleteLater()
