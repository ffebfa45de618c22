"""Export a panel: its visible data as CSV (chunked, with progress), PNG, SVG."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from PySide6.QtCore import QRect
from PySide6.QtGui import QPainter
from PySide6.QtSvg import QSvgGenerator

if TYPE_CHECKING:
    from .panel import PlotPanel

__all__ = ["export_csv", "export_png", "export_svg", "visible_table"]

#: Rows formatted between two returns to the event loop.
CHUNK_ROWS = 2000


def visible_table(panel: PlotPanel) -> tuple[list[str], np.ndarray, np.ndarray]:
    """The samples in the panel's visible time range.

    Returns the header (``time`` then one name per curve), the times (n) and
    the values (n x curves). Curves of different topics have their own
    timestamps: rows are merged in time order and a curve's cell is NaN-free
    only on rows of its own topic (cells of other topics are masked).
    """
    t0, t1 = panel.visible_range()
    curves = panel.curves()
    names = [c.signal.name for c in curves]
    position = {c.signal: i for i, c in enumerate(curves)}
    blocks_t, blocks_v = [], []
    for group in panel.groups.values():
        buffer = panel.store.buffer(group.topic)
        if buffer is None or not buffer.count:
            continue
        a0, a1 = buffer.index_range(t0, t1)
        i0, i1 = a0 - buffer.raw.first, a1 - buffer.raw.first
        times = buffer.times()[i0:i1]
        values = np.full((len(times), len(curves)), np.nan)
        mask = np.zeros((len(times), len(curves)), bool)
        cols = [position[c.signal] for c in group.curves]
        values[:, cols] = buffer.values()[i0:i1][:, group.columns]
        mask[:, cols] = True
        blocks_t.append(times)
        blocks_v.append(np.where(mask, values, np.inf))  # inf marks "not this topic"
    if not blocks_t:
        return ["time", *names], np.empty(0), np.empty((0, len(curves)))
    times = np.concatenate(blocks_t)
    values = np.concatenate(blocks_v)
    order = np.argsort(times, kind="stable")
    return ["time", *names], times[order], values[order]


def _cell(v: float) -> str:
    if v == np.inf:
        return ""
    return repr(float(v))


async def export_csv(
    panel: PlotPanel, path: str | Path, progress: Callable[[float], None] | None = None
) -> int:
    """Write the visible data to CSV without blocking the GUI; return the rows written.

    Values are written with Python's shortest round-trip repr, so reading the
    file back gives exactly the buffer's numbers.
    """
    header, times, values = visible_table(panel)
    path = Path(path)
    partial = path.with_suffix(path.suffix + ".part")
    n = len(times)
    with open(partial, "w", encoding="utf-8") as f:
        f.write(",".join(header) + "\n")
        for start in range(0, n, CHUNK_ROWS):
            stop = min(n, start + CHUNK_ROWS)
            lines = [
                repr(float(t)) + "," + ",".join(_cell(v) for v in row)
                for t, row in zip(times[start:stop], values[start:stop], strict=True)
            ]
            f.write("\n".join(lines) + "\n")
            if progress is not None:
                progress(stop / n)
            await asyncio.sleep(0)
    os.replace(partial, path)
    return n


def export_png(panel: PlotPanel, path: str | Path) -> bool:
    """Save the panel's plot as PNG."""
    return bool(panel.plot.grab().save(str(path)))


def export_svg(panel: PlotPanel, path: str | Path) -> None:
    """Save the panel's plot as SVG (vector).

    Qt's own SVG generator paints the plot widget: pyqtgraph 0.14's
    SVGExporter fails on this Qt (pyqtgraph issue 3485).
    """
    widget = panel.plot
    generator = QSvgGenerator()
    generator.setFileName(str(path))
    generator.setSize(widget.size())
    generator.setViewBox(QRect(0, 0, widget.width(), widget.height()))
    generator.setTitle(panel.title or "m2gui plot")
    painter = QPainter(generator)
    try:
        widget.render(painter)
    finally:
        painter.end()
