"""Curve colours: a qualitative palette, then evenly spread hues."""

from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtGui import QColor

__all__ = ["PALETTE", "curve_color"]

PALETTE = [
    "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
    "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf",
]  # fmt: skip


def curve_color(i: int, n: int) -> QColor:
    """The colour of curve ``i`` of ``n``: distinct for any ``n``."""
    if n <= len(PALETTE):
        return QColor(PALETTE[i])
    color: QColor = pg.intColor(i, hues=max(n, 12), values=1, maxValue=230, sat=200)
    return color
