"""`NavigatorModel`: the time navigator above the plot panels, Qt-free.

The navigator shows one signal over the whole recording (the long history on
disk and the memory after it) and, over it, the time range the panels show.
Dragging the range holds every panel to it; "Live" has them follow the
latest data again. Here are its rules: which signal, the span shown, and
the range arithmetic (union of the panels' ranges, clamping a dragged range
into the span).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

from psygnal import Signal as EventSignal

from .signals import Signal

__all__ = [
    "MIN_WIDTH",
    "NavigatorModel",
    "clamp_region",
    "overview_width",
    "union_range",
    "whole_span",
]

TimeRange = tuple[float, float]

#: The narrowest range the navigator selects, seconds.
MIN_WIDTH = 1.0


def _usable(span: TimeRange | None) -> bool:
    return span is not None and math.isfinite(span[0]) and math.isfinite(span[1])


def whole_span(*spans: TimeRange | None) -> TimeRange | None:
    """The smallest range holding every given span (None and non-finite ones
    are left out); None if there is none."""
    kept = [s for s in spans if s is not None and _usable(s)]
    if not kept:
        return None
    return min(min(s) for s in kept), max(max(s) for s in kept)


def union_range(ranges: Iterable[TimeRange | None]) -> TimeRange | None:
    """The smallest range holding every range in view (None: no range)."""
    return whole_span(*ranges)


def clamp_region(
    region: TimeRange,
    span: TimeRange | None,
    min_width: float = MIN_WIDTH,
    *,
    move: bool = True,
) -> TimeRange:
    """``region`` as the navigator selects it: ordered, at least ``min_width``
    wide, and inside ``span``.

    A region that sticks out of ``span`` is moved inside whole (``move``: the
    user drags the whole range) or cut at its edge (the user drags one
    edge); one wider than ``span`` is cut to it.

    Raises
    ------
    ValueError
        If ``region`` is not two finite times.
    """
    a, b = sorted((float(region[0]), float(region[1])))
    if not (math.isfinite(a) and math.isfinite(b)):
        raise ValueError(f"a navigator range needs two finite times, not {region!r}")
    if b - a < min_width:
        middle = (a + b) / 2
        a, b = middle - min_width / 2, middle + min_width / 2
    if span is None or not _usable(span):
        return a, b
    lo, hi = sorted(span)
    if hi - lo <= b - a:
        return lo, max(hi, lo + min_width)
    if move:
        if a < lo:
            a, b = lo, lo + (b - a)
        elif b > hi:
            a, b = hi - (b - a), hi
        return a, b
    a, b = max(a, lo), min(b, hi)
    if b - a < min_width:  # an edge dragged onto the other, at the span's end
        a, b = (a, a + min_width) if a + min_width <= hi else (b - min_width, b)
    return a, b


class NavigatorModel:
    """Which signal the navigator shows, among those of the panels.

    The default is the first curve of the first panel; a signal the user
    chose stays chosen while a panel shows it.
    """

    #: The signals offered changed (a tuple of `Signal`).
    choices_changed = EventSignal(tuple)
    #: The signal shown changed (a `Signal`, or None when no panel has a curve).
    signal_changed = EventSignal(object)

    def __init__(self) -> None:
        #: The signals of the panels, each once, in panel and curve order.
        self.choices: tuple[Signal, ...] = ()
        #: The signal shown (None: no panel has a curve).
        self.signal: Signal | None = None
        self._chosen: Signal | None = None

    def set_panels(self, panels: Sequence[Sequence[Signal]]) -> None:
        """The panels' signals changed: ``panels`` holds each panel's curves, in order."""
        choices = tuple(dict.fromkeys(s for signals in panels for s in signals))
        if choices != self.choices:
            self.choices = choices
            self.choices_changed.emit(choices)
        self._show(self._chosen if self._chosen in choices else None)

    def choose(self, signal: Signal | None) -> None:
        """Show ``signal`` (one of `choices`); None: back to the default."""
        if signal is not None and signal not in self.choices:
            raise ValueError(f"{signal.name} is not on a panel")
        self._chosen = signal
        self._show(signal)

    def _show(self, signal: Signal | None) -> None:
        if signal is None:
            signal = self.choices[0] if self.choices else None
        if signal != self.signal:
            self.signal = signal
            self.signal_changed.emit(signal)


def overview_width(length: float, min_width: float = MIN_WIDTH) -> float:
    """The width the overview asks its data for, for a recording ``length`` seconds long.

    At least ``length``, in steps of a quarter octave: the overview of a
    growing recording asks the long history again only once it grew by a
    fifth, not on every refresh.
    """
    length = max(float(length), min_width)
    if not math.isfinite(length):
        raise ValueError(f"a recording length must be finite, not {length!r}")
    width = float(2.0 ** (math.ceil(math.log2(length) * 4) / 4))
    return max(width, length)
