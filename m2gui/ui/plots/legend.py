"""`LegendList`: a panel's legend, beside the plot: it never covers a curve."""

from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QColor, QFont, QIcon, QPainter, QPalette, QPen, QPixmap
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFrame,
    QListWidget,
    QListWidgetItem,
    QStyle,
    QWidget,
)

__all__ = ["LegendList"]

#: Size of the colour sample in front of each entry.
SAMPLE = QSize(16, 8)


def _sample(color: QColor) -> QIcon:
    """A short line in the curve's colour."""
    pixmap = QPixmap(SAMPLE)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    try:
        painter.setPen(QPen(color, 2))
        middle = SAMPLE.height() // 2
        painter.drawLine(0, middle, SAMPLE.width(), middle)
    finally:
        painter.end()
    return QIcon(pixmap)


class LegendList(QListWidget):
    """One entry per curve (a colour sample and the label), in a column beside
    the plot that scrolls when the entries do not fit its height.

    Labels too long for the column are elided at the left (the end of a
    signal name tells curves apart); the whole name is the entry's tool tip.
    The column is as wide as its longest label, at most `max_width`.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("legend")
        font = QFont(self.font())
        font.setPointSizeF(max(6.0, font.pointSizeF() - 1))
        self.setFont(font)
        self.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setTextElideMode(Qt.TextElideMode.ElideLeft)
        self.setUniformItemSizes(True)
        self.setIconSize(SAMPLE)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        # The plot's colours: the legend reads as part of the picture.
        palette = self.palette()
        palette.setColor(QPalette.ColorRole.Base, pg.mkColor(pg.getConfigOption("background")))
        palette.setColor(QPalette.ColorRole.Text, pg.mkColor(pg.getConfigOption("foreground")))
        self.setPalette(palette)
        #: The widest the column gets (the panel sets it from its own width).
        self.max_width = 200
        self._content_width = 0

    def show_entries(self, entries: list[tuple[str, str, QColor]]) -> None:
        """Show ``(label, tool tip, colour)`` entries, in order."""
        self.clear()
        metrics = self.fontMetrics()
        widest = 0
        # A narrow size hint: entries take the list's width, and labels wider
        # than that are elided rather than cut.
        row = QSize(1, max(metrics.height(), SAMPLE.height()) + 2)
        for label, tip, color in entries:
            item = QListWidgetItem(_sample(color), label)
            item.setToolTip(tip)
            item.setFlags(Qt.ItemFlag.ItemIsEnabled)
            item.setSizeHint(row)
            self.addItem(item)
            widest = max(widest, metrics.horizontalAdvance(label))
        # Sample, the item's margins and spacing, text, and room for the scroll bar.
        scroll = self.style().pixelMetric(QStyle.PixelMetric.PM_ScrollBarExtent)
        self._content_width = SAMPLE.width() + 24 + widest + 2 * self.frameWidth() + scroll
        self._fit_width()

    def set_max_width(self, width: int) -> None:
        """Never wider than ``width`` pixels."""
        if width != self.max_width:
            self.max_width = width
            self._fit_width()

    def _fit_width(self) -> None:
        self.setFixedWidth(max(40, min(self._content_width, self.max_width)))

    def labels(self) -> list[str]:
        """The entries' labels, in order."""
        return [self.item(i).text() for i in range(self.count())]
