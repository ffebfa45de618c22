"""`FaultTimeline`: when each code rose and fell, one row per code, on the plots' clock."""

from __future__ import annotations

import time
from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QVBoxLayout, QWidget

from m2gui.model.ops.faults import FaultChange, FaultLog
from m2gui.model.ops.faults_style import KIND_COLORS
from m2gui.model.ops.faults_timeline import Bar
from m2gui.model.session import Session

from ..bridge import listen
from ..plots.time_axis import TimeAxis

__all__ = ["FaultTimeline"]

#: Milliseconds between redraws while a code is set (its bar grows with the clock).
GROW_MS = 1000
BAR_HEIGHT = 0.6


class FaultTimeline(QWidget):
    """Bars from rise to fall for every code that has risen since m2gui started.

    The x axis is wall-clock local time (``time.time()``, as the plots in clock
    mode); a bar still open grows to now. Rises are marked with an up
    triangle and falls with a down triangle, so the shape tells what the colour
    (red fault, yellow warning) tells. A bar whose rise is older than the
    bounded timeline starts at the oldest time kept, drawn paler.

    Parameters
    ----------
    session : `Session`
        Its `FaultLog` is drawn.
    parent : `QWidget` or None
        Parent widget.
    """

    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.faults = session.store(FaultLog)
        self.offset = time.time()
        self.axis = TimeAxis(self.offset)
        self.axis.set_mode("clock")
        self.plot = pg.PlotWidget(axisItems={"bottom": self.axis}, background=None)
        self.plot.setMenuEnabled(False)
        self.plot.showGrid(x=True, y=False, alpha=0.25)
        item = self.plot.getPlotItem()
        item.getViewBox().setMouseEnabled(x=True, y=False)
        item.setLabel("left", "code")
        self.bars_item = pg.BarGraphItem(x0=[], x1=[], y0=[], height=[])
        self.marks = pg.ScatterPlotItem(size=9, pxMode=True)
        self.plot.addItem(self.bars_item)
        self.plot.addItem(self.marks)
        self.empty = pg.TextItem("No code has risen since m2gui started", anchor=(0.5, 0.5))
        self.plot.addItem(self.empty)
        #: Codes drawn, bottom row first.
        self.rows: list[int] = []
        #: The bars drawn (for tests and tool tips).
        self.bars: list[Bar] = []
        self._was_empty = True
        self._timer = QTimer(self)
        self._timer.setInterval(GROW_MS)
        self._timer.timeout.connect(self.redraw)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.plot)
        listen(self, self.faults.changed, self._on_faults, mode="batch")
        self.redraw()

    def _on_faults(self, batch: list[tuple[FaultChange]]) -> None:
        if any(c.rose or c.fell for (c,) in batch):
            self.redraw()

    def redraw(self) -> None:
        """Draw the bars and markers from the fault log, up to now."""
        faults = self.faults
        seen = sorted(e.code for e in faults.entries.values() if e.ever_seen)
        self.rows = seen
        row_of = {code: i for i, code in enumerate(seen)}
        now = time.time()
        bars = [b for b in faults.timeline.bars(faults.active_codes) if b.code in row_of]
        self.bars = bars
        self.empty.setVisible(not bars)
        kinds = {code: faults.entry(code).row.kind for code in seen}
        x0 = np.array([b.start - self.offset for b in bars], dtype=float)
        x1 = np.array([(now if b.end is None else b.end) - self.offset for b in bars], dtype=float)
        y0 = np.array([row_of[b.code] - BAR_HEIGHT / 2 for b in bars], dtype=float)
        brushes = [_brush(kinds[b.code], b.clipped) for b in bars]
        pens = [pg.mkPen(KIND_COLORS.get(kinds[b.code], "#6a6a6a"), width=1) for b in bars]
        self.bars_item.setOpts(
            x0=x0, x1=x1, y0=y0, height=BAR_HEIGHT, brushes=brushes or None, pens=pens or None
        )
        self._draw_marks(row_of, kinds)
        left = self.plot.getPlotItem().getAxis("left")
        left.setTicks([[(i, str(code)) for i, code in enumerate(seen)]])
        self.plot.setYRange(-0.8, max(len(seen), 1) - 0.2, padding=0)
        if not bars:
            self.empty.setPos(now - self.offset - 150, 0.0)
            self.plot.setXRange(now - self.offset - 300, now - self.offset, padding=0)
        elif self._was_empty:  # follow the data from the first bar on (the A button too)
            self.plot.enableAutoRange(axis="x")
        self._was_empty = not bars
        if faults.active_codes:
            if not self._timer.isActive():
                self._timer.start()
        else:
            self._timer.stop()

    def _draw_marks(self, row_of: dict[int, int], kinds: dict[int, str]) -> None:
        spots: list[dict[str, Any]] = []
        for t in self.faults.timeline.transitions:
            row = row_of.get(t.code)
            if row is None:
                continue
            color = KIND_COLORS.get(kinds[t.code], "#6a6a6a")
            spots.append(
                {
                    "pos": (t.time - self.offset, row + (0.45 if t.up else -0.45)),
                    "symbol": "t1" if t.up else "t",
                    "brush": pg.mkBrush(color),
                    "pen": pg.mkPen("#000000", width=0.5),
                }
            )
        self.marks.setData(spots)


def _brush(kind: str, clipped: bool) -> Any:
    color = pg.mkColor(KIND_COLORS.get(kind, "#6a6a6a"))
    color.setAlpha(90 if clipped else 200)
    return pg.mkBrush(color)
