"""A logger wrapper that cannot be flooded by a misbehaving peer."""

from __future__ import annotations

import logging
import time

__all__ = ["RateLimitedLog"]


class RateLimitedLog:
    """Log each kind of problem in full a few times, then at most once a second.

    A controller that sends garbage at full line rate would otherwise turn the
    log (and the GUI's log view) into the bottleneck. Every occurrence is still
    counted by the caller; the suppressed ones are reported as a count with the
    next message of the same kind.

    Parameters
    ----------
    log : `logging.Logger`
        Where to log.
    burst : `int`, optional
        How many messages of one kind are logged before limiting starts.
    interval : `float`, optional
        Seconds between messages of one kind once limiting has started.
    """

    def __init__(self, log: logging.Logger, burst: int = 10, interval: float = 1.0) -> None:
        self.log = log
        self.burst = burst
        self.interval = interval
        self._seen: dict[str, int] = {}
        self._suppressed: dict[str, int] = {}
        self._last: dict[str, float] = {}

    def __call__(self, level: int, kind: str, msg: str, *, exc_info: bool = False) -> None:
        """Log ``msg`` unless messages of ``kind`` are being rate limited."""
        seen = self._seen.get(kind, 0) + 1
        self._seen[kind] = seen
        now = time.monotonic()
        if seen > self.burst and now - self._last.get(kind, 0.0) < self.interval:
            self._suppressed[kind] = self._suppressed.get(kind, 0) + 1
            return
        self._last[kind] = now
        suppressed = self._suppressed.pop(kind, 0)
        if suppressed:
            msg = f"{msg} ({suppressed} more like this not logged)"
        self.log.log(level, msg, exc_info=exc_info)
