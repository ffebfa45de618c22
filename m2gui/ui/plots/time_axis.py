"""The time axis: seconds relative to the newest sample, or wall-clock time."""

from __future__ import annotations

import time
from typing import Any

import pyqtgraph as pg

__all__ = ["TimeAxis"]


class TimeAxis(pg.AxisItem):  # type: ignore[misc]
    """Bottom axis of a plot panel.

    Plotted x values are seconds since ``origin`` (a wall-clock time), which
    keeps coordinates small. In "relative" mode labels are seconds before
    ``reference`` (the newest sample drawn); in "clock" mode they are local time.
    """

    def __init__(self, origin: float) -> None:
        super().__init__("bottom")
        self.origin = origin
        self.mode = "relative"
        self.reference = origin
        self.setLabel("time", units="s")

    def set_mode(self, mode: str) -> None:
        self.mode = mode
        self.setLabel("time (s before latest)" if mode == "relative" else "local time")
        self.picture = None
        self.update()

    def tickStrings(self, values: list[float], scale: float, spacing: float) -> list[str]:
        if self.mode == "relative":
            ref = self.reference - self.origin
            digits = 0 if spacing >= 1 else 1 if spacing >= 0.1 else 2
            return [f"{v - ref:.{digits}f}" for v in values]
        out = []
        for v in values:
            t = v + self.origin + 1e-6
            text = time.strftime("%H:%M:%S", time.localtime(t))
            if spacing < 1:
                text += f".{round((t % 1) * 10) % 10}"
            out.append(text)
        return out

    def tickValues(self, minVal: float, maxVal: float, size: float) -> Any:
        """Ticks at round numbers of the labels shown (relative or clock)."""
        shift = self.reference - self.origin if self.mode == "relative" else self.origin
        if self.mode == "clock":
            # Round clock times: shift by the local UTC offset too.
            shift -= time.localtime(self.origin).tm_gmtoff
        levels = super().tickValues(minVal - shift, maxVal - shift, size)
        return [(spacing, [v + shift for v in values]) for spacing, values in levels]
