"""Export a plot: the model's visible data as CSV (in a worker thread, with
progress and cancel), the plot and its legend as PNG or SVG.

The CSV file has a header row (``time (s)``, then each signal's name with its
unit: ``axialForce.measured[12] (N)``), then one row per sample, in time
order. Times are Unix seconds, exact; values are written at the catalogue's
precision (forces 0.1 N, positions 0.01 um, temperatures 0.01 degC; exact
where the catalogue sets none). A cell is empty on the rows of another
topic's samples, and a row with only a time marks a gap: that topic sent
nothing for more than five telemetry periods (stopped, or disconnected).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import numpy.typing as npt
from PySide6.QtCore import QPoint, QRect
from PySide6.QtGui import QPainter
from PySide6.QtSvg import QSvgGenerator
from PySide6.QtWidgets import QWidget

from m2gui.model.plot_panel import PanelModel
from m2gui.model.plot_table import Table

from ..main_thread_gc import gc_on_this_thread

__all__ = [
    "ExportCancelled",
    "cell_formats",
    "export_csv",
    "export_png",
    "export_svg",
    "format_rows",
    "write_csv",
]

log = logging.getLogger(__name__)

#: Rows formatted between two looks at the cancel flag (and progress reports).
CHUNK_ROWS = 2000


class ExportCancelled(Exception):
    """The export was cancelled; it left no file behind."""


def cell_formats(precisions: list[int | None] | None, n: int) -> list[str]:
    """A ``str.format`` field per column: ``{:.1f}`` at a precision, ``{!r}``
    (the shortest round-trip ``repr``: exact) without one."""
    if precisions is None:
        return ["{!r}"] * n
    return ["{!r}" if p is None else f"{{:.{p}f}}" for p in precisions]


def format_rows(
    times: npt.NDArray[np.float64],
    values: npt.NDArray[np.float64],
    present: npt.NDArray[np.bool_],
    precisions: list[int | None] | None = None,
) -> str:
    """CSV text of some rows, each line ending in a newline.

    Times are Python's shortest round-trip ``repr`` (exact); values are
    written with ``precisions[column]`` decimals, or exactly where that is
    None (or ``precisions`` is None); absent cells are empty.
    """
    formats = cell_formats(precisions, values.shape[1])
    whole_row = "{!r}," + ",".join(formats) + "\n"
    whole: list[bool] = np.all(present, axis=1).tolist()
    lines = []
    for t, row, all_there, mask in zip(
        times.tolist(), values.tolist(), whole, present.tolist(), strict=True
    ):
        if all_there:
            lines.append(whole_row.format(t, *row))
        else:
            cells = ",".join(
                [f.format(v) if p else "" for f, v, p in zip(formats, row, mask, strict=True)]
            )
            lines.append(f"{t!r},{cells}\n")
    return "".join(lines)


def write_csv(
    path: str | Path,
    table: Table,
    progress: Callable[[float], None] | None = None,
    cancel: threading.Event | None = None,
) -> int:
    """Write ``table`` to ``path`` in chunks; return the rows written (blocking).

    Runs in any thread. ``cancel`` is looked at before each chunk: once set,
    the partial file is removed and `ExportCancelled` raised. The file is
    written as ``path.part`` and renamed at the end, so ``path`` never holds
    a partial export; on any error the partial file is removed.
    """
    path = Path(path)
    partial = path.with_suffix(path.suffix + ".part")
    n = len(table.times)
    try:
        with open(partial, "w", encoding="utf-8") as f:
            f.write(",".join(table.header) + "\n")
            for start in range(0, n, CHUNK_ROWS):
                if cancel is not None and cancel.is_set():
                    raise ExportCancelled(f"export to {path} cancelled at row {start} of {n}")
                stop = min(n, start + CHUNK_ROWS)
                f.write(
                    format_rows(
                        table.times[start:stop],
                        table.values[start:stop],
                        table.present[start:stop],
                        table.precisions,
                    )
                )
                if progress is not None:
                    progress(stop / n)
        os.replace(partial, path)
    except BaseException:
        with contextlib.suppress(OSError):
            partial.unlink(missing_ok=True)
        raise
    return n


async def export_csv(
    model: PanelModel,
    path: str | Path,
    progress: Callable[[float], None] | None = None,
    cancel: threading.Event | None = None,
) -> int:
    """Write the model's visible table to CSV without blocking the GUI; return
    the rows written.

    The visible samples are copied on the calling (GUI) thread; formatting
    and writing happen in a worker thread, chunk by chunk. ``progress`` is
    called on the event loop's thread with the fraction done after each
    chunk. Setting ``cancel`` stops the export at the next chunk and raises
    `ExportCancelled`; cancelling the awaiting task does the same and raises
    `asyncio.CancelledError`. Either way no file is left behind.
    """
    table = model.visible_table()
    stop = cancel if cancel is not None else threading.Event()
    loop = asyncio.get_running_loop()
    report: Callable[[float], None] | None = None
    if progress is not None:
        callback = progress

        def report(fraction: float) -> None:
            loop.call_soon_threadsafe(callback, fraction)

    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="m2gui-csv-export")
    try:
        with gc_on_this_thread():  # never collect Qt objects in the worker
            future = loop.run_in_executor(pool, write_csv, path, table, report, stop)
            try:
                return await asyncio.shield(future)
            except asyncio.CancelledError:
                stop.set()  # the worker stops before its next chunk and removes the file
                with contextlib.suppress(Exception):
                    await future
                raise
    finally:
        pool.shutdown(wait=False)


def export_png(plot: QWidget, path: str | Path) -> bool:
    """Save a plot widget (and what it holds: the legend) as PNG; return whether it was written."""
    return bool(plot.grab().save(str(path)))


def export_svg(plot: QWidget, path: str | Path, title: str = "") -> None:
    """Save a plot widget (a pyqtgraph ``PlotWidget``, or a widget holding
    one and its legend) as SVG (vector).

    Qt's own SVG generator paints the widget: pyqtgraph 0.14's SVGExporter
    fails on this Qt (pyqtgraph issue 3485).
    """
    generator = QSvgGenerator()
    generator.setFileName(str(path))
    generator.setSize(plot.size())
    generator.setViewBox(QRect(0, 0, plot.width(), plot.height()))
    generator.setTitle(title or "m2gui plot")
    painter = QPainter(generator)
    try:
        QWidget.render(plot, painter, QPoint(0, 0))  # the widget, not QGraphicsView.render
    finally:
        painter.end()
