"""`GridLines`: the plot grid, drawn in one call at the axes' major ticks.

pyqtgraph's own grid (``showGrid``) replays every tick level from a QPicture
on each paint: about 6 ms per panel here, more than the 72 curves. This item
draws only the major ticks' lines, with one ``drawLines`` call.
"""

from __future__ import annotations

from typing import Any

import pyqtgraph as pg
from PySide6.QtCore import QLineF, QRectF
from PySide6.QtGui import QColor, QPainter, QPen

__all__ = ["GridLines"]


class GridLines(pg.GraphicsObject):  # type: ignore[misc]
    """Vertical and horizontal lines at the major ticks of a plot's axes."""

    def __init__(self, plot_item: pg.PlotItem) -> None:
        super().__init__()
        self.plot_item = plot_item
        self.view = plot_item.getViewBox()
        self.pen = QPen(QColor(128, 128, 128, 70))
        self.pen.setCosmetic(True)
        self.pen.setWidth(0)
        self.setZValue(-100)
        self.view.sigRangeChanged.connect(self._range_changed)

    def _range_changed(self, *args: Any) -> None:
        self.prepareGeometryChange()
        self.update()

    def boundingRect(self) -> QRectF:
        rect: QRectF = self.view.viewRect()
        return rect

    def _major(self, axis_name: str, low: float, high: float, pixels: float) -> list[float]:
        axis = self.plot_item.getAxis(axis_name)
        levels = axis.tickValues(low, high, max(pixels, 1.0))
        return list(levels[0][1]) if levels else []

    def paint(self, painter: QPainter, *args: Any) -> None:
        rect = self.view.viewRect()
        (x0, x1), (y0, y1) = (rect.left(), rect.right()), (rect.top(), rect.bottom())
        lines = [
            QLineF(x, y0, x, y1)
            for x in self._major("bottom", x0, x1, self.view.width())
            if x0 <= x <= x1
        ]
        lines += [
            QLineF(x0, y, x1, y)
            for y in self._major("left", y0, y1, self.view.height())
            if y0 <= y <= y1
        ]
        painter.setPen(self.pen)
        painter.drawLines(lines)
