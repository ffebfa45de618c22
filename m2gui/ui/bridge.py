"""The one way widgets listen to the Qt-free stores.

A store announces a change with a psygnal signal, after it has updated. A
widget calls `listen` with that signal and one of its methods; the bridge

- delivers on the Qt thread (whatever thread the store emitted from);
- coalesces bursts: the first change after a quiet spell is delivered at the
  next turn of the event loop, further ones at most once per ``interval_ms``
  (the display rate), all of them together;
- disconnects when the widget is destroyed, and holds the widget only
  weakly, so a closed widget is collected and never called again.

The slot receives the list of argument tuples of every emission since the
last delivery (``mode="batch"``), only the last one's arguments
(``mode="latest"``), or nothing (``mode="poke"``).
"""

from __future__ import annotations

import logging
import threading
import time
import weakref
from collections.abc import Callable
from typing import Any, Literal

import shiboken6
from psygnal import SignalInstance
from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import QWidget

from m2gui.net.ratelog import RateLimitedLog

__all__ = ["DISPLAY_MS", "Listener", "listen"]

log = logging.getLogger(__name__)
_problem_log = RateLimitedLog(log)

#: Shortest time between two deliveries to one widget: the display rate.
DISPLAY_MS = 33
#: Batch entries kept (merged) for a deferred delivery to a hidden view.
DEFERRED_BATCH = 1000

Mode = Literal["batch", "latest", "poke"]


class Listener(QObject):
    """Delivers one store signal to one widget method; see `listen`."""

    _wake = Signal()

    def __init__(
        self,
        owner: QObject,
        signal: SignalInstance,
        slot: Callable[..., Any],
        mode: Mode = "batch",
        interval_ms: int = DISPLAY_MS,
        defer_hidden: bool = False,
    ) -> None:
        super().__init__(owner)
        self.setObjectName(f"listener:{signal.name}")
        self.mode = mode
        self._owner = weakref.ref(owner)
        self.defer_hidden = defer_hidden
        #: True while a delivery waits for the owner to be shown again.
        self.deferred = False
        self.interval = interval_ms / 1000
        #: Deliveries made (for tests and diagnostics).
        self.deliveries = 0
        self._signal: SignalInstance | None = signal
        self._slot = _weak(slot)
        self._pending: list[tuple[Any, ...]] = []
        self._lock = threading.Lock()
        self._armed = False
        self._last = 0.0
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self._deliver)
        self._wake.connect(self._arm, Qt.ConnectionType.QueuedConnection)
        signal.connect(self._on_emit, check_nargs=False)
        owner.destroyed.connect(self.detach)

    def _on_emit(self, *args: Any) -> None:
        """Called by the store (any thread): remember, and make sure a delivery is due."""
        with self._lock:
            if self.mode == "batch":
                self._pending.append(args)
                if self.deferred and len(self._pending) > DEFERRED_BATCH:
                    self._pending = _squeeze(self._pending)
            else:
                self._pending[:] = [args]
            if self._armed:
                return
            self._armed = True
        if not shiboken6.isValid(self):
            self.detach()
            return
        self._wake.emit()

    def _arm(self) -> None:
        owner = self._owner()
        if self.defer_hidden and owner is not None and _hidden_in_shown_window(owner):
            # A tab not shown: deliver when it is (see eventFilter), not now.
            if not self.deferred:
                self.deferred = True
                owner.installEventFilter(self)
                if self.mode == "batch":
                    with self._lock:
                        self._pending = _squeeze(self._pending)
            return
        wait = self._last + self.interval - time.monotonic()
        self._timer.start(max(0, int(wait * 1000)))

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        """The owner was shown: hand over what came while it was hidden."""
        if event.type() == QEvent.Type.Show and self.deferred and watched is self._owner():
            self.deferred = False
            watched.removeEventFilter(self)
            self._timer.start(0)
        return False

    def _deliver(self) -> None:
        with self._lock:
            pending, self._pending = self._pending, []
            self._armed = False
        slot = self._slot()
        if slot is None:
            self.detach()
            return
        self._last = time.monotonic()
        self.deliveries += 1
        try:
            if self.mode == "batch":
                slot(pending)
            elif self.mode == "latest":
                slot(*pending[-1])
            else:
                slot()
        except Exception:
            _problem_log(
                logging.ERROR, f"slot-{self.objectName()}", f"{slot!r} failed", exc_info=True
            )

    def flush(self) -> None:
        """Deliver what is pending now, without waiting for the display rate."""
        with self._lock:
            due = self._armed
        if due:
            self._timer.stop()
            self._deliver()

    def detach(self, *_: Any) -> None:
        """Stop listening (called when the owner is destroyed)."""
        signal, self._signal = self._signal, None
        if signal is not None:
            try:
                signal.disconnect(self._on_emit, missing_ok=True)
            except Exception:  # at interpreter exit the store may be half torn down
                log.debug("could not disconnect %s", self.objectName(), exc_info=True)


def listen(
    owner: QObject,
    signal: SignalInstance,
    slot: Callable[..., Any],
    *,
    mode: Mode = "batch",
    interval_ms: int = DISPLAY_MS,
    defer_hidden: bool = False,
) -> Listener:
    """Call ``slot`` on the Qt thread when ``signal`` fires, coalesced.

    Parameters
    ----------
    owner : `QObject`
        The widget that listens: the listener is its child, ends with it,
        and holds it only weakly.
    signal : `psygnal.SignalInstance`
        A store's signal, e.g. ``session.events.updated``.
    slot : callable
        Usually a method of ``owner``. With ``mode="batch"`` it is called
        with a list of the argument tuples of every emission since the last
        call; with ``"latest"`` with the last emission's arguments; with
        ``"poke"`` with none.
    mode : {"batch", "latest", "poke"}
        How emissions are handed over.
    interval_ms : `int`
        Shortest time between two calls (default: the display rate).
    defer_hidden : `bool`
        For a view that redraws from its store: while it sits hidden in a
        shown window (a tab not in front), hold deliveries and make one when
        it is shown again, so hidden tabs cost nothing. Identical batch
        entries are merged meanwhile; use it only for slots that read the
        store's state rather than rebuild it from the entries.

    Returns
    -------
    listener : `Listener`
        Its ``deliveries`` counts the calls; ``detach()`` stops it early.
    """
    return Listener(owner, signal, slot, mode, interval_ms, defer_hidden)


def _hidden_in_shown_window(owner: QObject) -> bool:
    """True for a widget not visible inside a window that is (a tab behind another)."""
    if not isinstance(owner, QWidget):
        return False
    return not owner.isVisible() and owner.window().isVisible()


def _squeeze(pending: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    """Merge identical entries (keeping the last order); keep the newest if unhashable."""
    try:
        return list(dict.fromkeys(pending))[-DEFERRED_BATCH:]
    except TypeError:
        return pending[-DEFERRED_BATCH:]


def _weak(slot: Callable[..., Any]) -> Callable[[], Callable[..., Any] | None]:
    """A weak reference to a bound method (its object may go), or a strong one."""
    if hasattr(slot, "__self__") and hasattr(slot, "__func__"):
        return weakref.WeakMethod(slot)
    return lambda: slot
