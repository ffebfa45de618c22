"""`Outbox`: lines waiting for the broker, bounded, losing telemetry first."""

from __future__ import annotations

from collections import deque

from m2gui.net import WireLine

__all__ = ["Outbox"]


class Outbox:
    """A bounded queue of lines in arrival order, where telemetry gives way first.

    Telemetry received (a telemetry-port ``in`` line) is what may be lost:
    once ``limit`` lines wait, each new line pushes the oldest telemetry out
    (counted in `dropped_telemetry`). Every other line (events, replies, lines
    sent, command-port telemetry) is kept, up to ``keep_limit`` such lines;
    beyond that the oldest of them goes too (counted in `dropped_other`), so
    memory stays bounded whatever the controller sends.

    `put` is O(1): it runs in the controller connection's read path.

    Parameters
    ----------
    limit : `int`
        Lines waiting before telemetry is dropped.
    keep_limit : `int`
        Lines other than telemetry kept at most (much larger than ``limit``).
    """

    def __init__(self, limit: int = 10_000, keep_limit: int = 200_000) -> None:
        if limit < 1 or keep_limit < 1:
            raise ValueError("the outbox limits must be at least 1")
        self.limit = limit
        self.keep_limit = keep_limit
        self.dropped_telemetry = 0
        self.dropped_other = 0
        self._telemetry: deque[tuple[int, WireLine]] = deque()
        self._other: deque[tuple[int, WireLine]] = deque()
        self._count = 0

    def __len__(self) -> int:
        return len(self._telemetry) + len(self._other)

    def put(self, line: WireLine) -> None:
        """Queue ``line``, dropping the oldest telemetry (or more) to stay in bounds."""
        self._count += 1
        droppable = line.port == "telemetry" and line.direction == "in"
        full = len(self._telemetry) + len(self._other) >= self.limit
        if droppable:
            if full:
                self.dropped_telemetry += 1
                if not self._telemetry:
                    return  # nothing older to lose: the new one goes
                self._telemetry.popleft()
            self._telemetry.append((self._count, line))
            return
        if full and self._telemetry:
            self._telemetry.popleft()
            self.dropped_telemetry += 1
        elif len(self._other) >= self.keep_limit:
            self._other.popleft()
            self.dropped_other += 1
        self._other.append((self._count, line))

    def take(self, count: int) -> list[WireLine]:
        """Remove and return up to ``count`` of the oldest lines, in arrival order."""
        telemetry, other = self._telemetry, self._other
        out: list[WireLine] = []
        while len(out) < count and (telemetry or other):
            if other and (not telemetry or other[0][0] < telemetry[0][0]):
                out.append(other.popleft()[1])
            else:
                out.append(telemetry.popleft()[1])
        return out

    def clear(self) -> None:
        """Forget every waiting line (not counted as dropped)."""
        self._telemetry.clear()
        self._other.clear()
