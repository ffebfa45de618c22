"""The time axis: seconds relative to the newest sample, or wall-clock time."""

from __future__ import annotations

import math
import time
from typing import Any

import pyqtgraph as pg

__all__ = ["CLOCK_STEPS", "TimeAxis"]

#: Tick spacings of the clock axis, seconds: round numbers on a clock.
CLOCK_STEPS = (
    *(0.1, 0.2, 0.5, 1, 2, 5, 10, 15, 30),
    *(60, 120, 300, 600, 900, 1800),
    *(3600, 7200, 10800, 21600, 43200, 86400),
)
#: Pixels a clock label needs ("00:00:00" and some room).
LABEL_PIXELS = 80


class TimeAxis(pg.AxisItem):  # type: ignore[misc]
    """Bottom axis of a plot panel.

    A plotted x is a wall-clock time minus ``offset`` (small numbers keep the
    drawing exact). In "relative" mode the panel sets ``offset`` to the newest
    sample, so x is already "seconds before the latest" and the axis does not
    move while data streams; in "clock" mode labels are ``x + offset`` as
    local time.
    """

    def __init__(self, offset: float) -> None:
        super().__init__("bottom")
        self.offset = offset
        self.mode = "relative"
        self.set_mode("relative")

    def set_mode(self, mode: str) -> None:
        self.mode = mode
        self.setLabel("time (s before latest)" if mode == "relative" else "local time")
        self.picture = None
        self.update()

    def tickStrings(self, values: list[float], scale: float, spacing: float) -> list[str]:
        if self.mode == "relative":
            digits = 0 if spacing >= 1 else 1 if spacing >= 0.1 else 2
            return [f"{v:.{digits}f}" for v in values]
        out = []
        layout = "%H:%M" if spacing >= 60 else "%H:%M:%S"
        for v in values:
            t = v + self.offset + 1e-6
            text = time.strftime(layout, time.localtime(t))
            if spacing < 1:
                text += f".{round((t % 1) * 10) % 10}"
            out.append(text)
        return out

    def tickValues(self, minVal: float, maxVal: float, size: float) -> Any:
        """Ticks at round numbers of the labels shown: relative seconds, or
        round clock times (every 10 s, 15 min, 3 h, ...) in local time."""
        if self.mode == "relative" or not maxVal > minVal:
            return super().tickValues(minVal, maxVal, size)
        span = maxVal - minVal
        most = max(2.0, size / LABEL_PIXELS)
        index = next((i for i, s in enumerate(CLOCK_STEPS) if span / s <= most), None)
        if index is None:
            return super().tickValues(minVal, maxVal, size)
        # x + shift is seconds since a local midnight: round there.
        shift = self.offset + time.localtime(self.offset).tm_gmtoff
        levels = []
        for step in (CLOCK_STEPS[index], CLOCK_STEPS[max(0, index - 1)]):
            first = math.ceil((minVal + shift) / step) * step - shift
            count = int((maxVal - first) / step) + 1
            levels.append((step, [first + k * step for k in range(max(0, count))]))
        if levels[1][0] == levels[0][0]:
            levels.pop()
        return levels
