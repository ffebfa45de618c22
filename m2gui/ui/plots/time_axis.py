"""The time axis: seconds relative to the newest sample, or wall-clock time."""

from __future__ import annotations

import time
from typing import Any

import pyqtgraph as pg

__all__ = ["TimeAxis"]


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
        for v in values:
            t = v + self.offset + 1e-6
            text = time.strftime("%H:%M:%S", time.localtime(t))
            if spacing < 1:
                text += f".{round((t % 1) * 10) % 10}"
            out.append(text)
        return out

    def tickValues(self, minVal: float, maxVal: float, size: float) -> Any:
        """Ticks at round numbers of the labels shown (relative or clock)."""
        if self.mode == "relative":
            return super().tickValues(minVal, maxVal, size)
        # Round local clock times: shift by the offset and the UTC offset.
        shift = self.offset - time.localtime(self.offset).tm_gmtoff
        levels = super().tickValues(minVal - shift, maxVal - shift, size)
        return [(spacing, [v + shift for v in values]) for spacing, values in levels]
