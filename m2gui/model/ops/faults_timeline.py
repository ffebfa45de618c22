"""The fault timeline: when each code rose and fell, bounded, and its bars.

Times are ``time.time()`` seconds (the receive time of the
``summaryFaultsStatus`` event), the clock the plots use.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass

__all__ = ["DEFAULT_TRANSITIONS", "Bar", "Timeline", "Transition"]

#: Transitions kept by default (a bit flapping at 20 Hz fills it in ~2 minutes).
DEFAULT_TRANSITIONS = 5000


@dataclass(frozen=True)
class Transition:
    """A code rose (``up``) or fell at ``time``."""

    time: float
    code: int
    up: bool


@dataclass(frozen=True)
class Bar:
    """One interval during which a code was set.

    Attributes
    ----------
    code : `int`
        The code.
    start : `float`
        When it rose; the oldest time kept if the rise was dropped (``clipped``).
    end : `float` or None
        When it fell; None while it is still set.
    clipped : `bool`
        True when the rise is older than what the timeline keeps.
    """

    code: int
    start: float
    end: float | None
    clipped: bool = False


class Timeline:
    """The newest rises and falls, oldest first, at most ``size`` of them.

    Parameters
    ----------
    size : `int`
        Most transitions kept; older ones are dropped (counted in `dropped`).
    """

    def __init__(self, size: int = DEFAULT_TRANSITIONS) -> None:
        if size < 1:
            raise ValueError(f"a timeline keeps at least one transition, not {size}")
        self.transitions: deque[Transition] = deque(maxlen=size)
        #: Transitions dropped from the front to stay within ``size``.
        self.dropped = 0

    @property
    def size(self) -> int:
        """Most transitions kept."""
        return self.transitions.maxlen or 0

    def __len__(self) -> int:
        return len(self.transitions)

    def add(self, transitions: Iterable[Transition]) -> None:
        """Append transitions (in time order)."""
        for transition in transitions:
            if len(self.transitions) == self.size:
                self.dropped += 1
            self.transitions.append(transition)

    @property
    def start(self) -> float | None:
        """Time of the oldest transition kept, or None if there is none."""
        return self.transitions[0].time if self.transitions else None

    def bars(self, active: Iterable[int] = ()) -> list[Bar]:
        """The intervals each code was set, from the transitions kept.

        Parameters
        ----------
        active : iterable of `int`
            Codes set now. One whose rise is no longer kept still gets an open
            bar, clipped at the oldest time kept.

        Returns
        -------
        bars : `list` of `Bar`
            In the order their rises happened; open bars (``end`` None) last.
        """
        opened: dict[int, Bar] = {}
        bars: list[Bar] = []
        oldest = self.start
        for t in self.transitions:
            if t.up:
                if t.code not in opened:
                    opened[t.code] = Bar(t.code, t.time, None)
            elif t.code in opened:
                bar = opened.pop(t.code)
                bars.append(Bar(t.code, bar.start, t.time, bar.clipped))
            elif oldest is not None:  # its rise was dropped
                bars.append(Bar(t.code, oldest, t.time, clipped=True))
        for code in active:
            if code not in opened and oldest is not None:
                opened[code] = Bar(code, oldest, None, clipped=True)
        bars.extend(opened.values())
        return bars
