"""`ColourBar`: one vertical colour bar of the mirror map, with its numbers."""

from __future__ import annotations

import math

from PySide6.QtCore import QRect, QSize, Qt
from PySide6.QtGui import QColor, QImage, QPainter, QPaintEvent, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

from m2gui.model.cell.colormaps import LEVELS, Colormap

__all__ = ["ColourBar", "colormap_image"]

_IMAGES: dict[str, QImage] = {}


def colormap_image(cmap: Colormap) -> QImage:
    """A 1 x `LEVELS` image of the map, high values at the top (cached)."""
    image = _IMAGES.get(cmap.name)
    if image is None:
        image = QImage(1, LEVELS, QImage.Format.Format_RGB32)
        for k in range(LEVELS):
            r, g, b = (int(c) for c in cmap.rgb[LEVELS - 1 - k])
            image.setPixelColor(0, k, QColor(r, g, b))
        _IMAGES[cmap.name] = image
    return image


class ColourBar(QWidget):
    """The colours of one group of actuators and the values they stand for.

    Repainted only when its range, map or title changes.

    Parameters
    ----------
    title : `str`
        The group ("Axial", "Tangent").
    """

    def __init__(self, title: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.title = title
        self.unit = ""
        self.cmap: Colormap | None = None
        self.low = math.nan
        self.high = math.nan
        self.tick_values: list[float] = []
        self.decimals = 0
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Expanding)
        self.setMinimumHeight(120)

    def sizeHint(self) -> QSize:
        return QSize(96, 220)

    def set_scale(
        self,
        cmap: Colormap,
        low: float,
        high: float,
        ticks: list[float],
        unit: str,
        decimals: int,
    ) -> None:
        """Show ``cmap`` spanning ``low``..``high`` with numbers at ``ticks``."""
        state = (cmap.name, low, high, tuple(ticks), unit, decimals)
        old = (
            self.cmap.name if self.cmap else None,
            self.low,
            self.high,
            tuple(self.tick_values),
            self.unit,
            self.decimals,
        )
        if state == old:
            return
        self.cmap, self.low, self.high = cmap, low, high
        self.tick_values, self.unit, self.decimals = list(ticks), unit, decimals
        self.setToolTip(self.describe())
        self.update()

    def describe(self) -> str:
        """The range in words."""
        if not (math.isfinite(self.low) and math.isfinite(self.high)):
            return f"{self.title}: no value yet"
        d = self.decimals
        return f"{self.title}: {self.low:.{d}f} to {self.high:.{d}f} {self.unit}".rstrip()

    def tick_text(self, value: float) -> str:
        """A tick label: as many decimals as the tick step needs."""
        step = abs(self.tick_values[1] - self.tick_values[0]) if len(self.tick_values) > 1 else 1
        decimals = max(0, -math.floor(math.log10(step))) if step > 0 else 0
        return f"{value:.{min(decimals, 6)}f}"

    def bar_rect(self) -> QRect:
        """Where the colours are painted."""
        top = self.fontMetrics().height() * 2 + 6
        bottom = self.height() - self.fontMetrics().height() // 2 - 2
        return QRect(4, top, 18, max(10, bottom - top))

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        metrics = self.fontMetrics()
        text = self.palette().windowText().color()
        painter.setPen(text)
        painter.drawText(QRect(0, 0, self.width(), metrics.height()), 0, self.title)
        unit = f"({self.unit})" if self.unit else ""
        painter.drawText(QRect(0, metrics.height(), self.width(), metrics.height()), 0, unit)
        rect = self.bar_rect()
        if self.cmap is None or not (math.isfinite(self.low) and math.isfinite(self.high)):
            painter.drawRect(rect)
            painter.drawText(rect.right() + 6, rect.center().y(), "no value")
            painter.end()
            return
        painter.drawImage(rect, colormap_image(self.cmap))
        painter.setPen(QPen(text, 1))
        painter.drawRect(rect.adjusted(0, 0, -1, -1))
        span = self.high - self.low
        for value in self.tick_values:
            y = rect.bottom() - (value - self.low) / span * rect.height()
            yi = round(y)
            painter.drawLine(rect.right(), yi, rect.right() + 4, yi)
            painter.drawText(
                QRect(rect.right() + 7, yi - metrics.height() // 2, 80, metrics.height()),
                int(Qt.AlignmentFlag.AlignVCenter),
                self.tick_text(value),
            )
        painter.end()
