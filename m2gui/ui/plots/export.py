"""Export a plot: the model's visible data as CSV (in a worker thread, with
progress and cancel), the plot widget as PNG or SVG."""

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
from PySide6.QtCore import QRect
from PySide6.QtGui import QPainter
from PySide6.QtSvg import QSvgGenerator
from PySide6.QtWidgets import QGraphicsView, QWidget

from m2gui.model.plot_panel import PanelModel
from m2gui.model.plot_table import Table

from ..main_thread_gc import gc_on_this_thread

__all__ = [
    "ExportCancelled",
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


def format_rows(
    times: npt.NDArray[np.float64],
    values: npt.NDArray[np.float64],
    present: npt.NDArray[np.bool_],
) -> str:
    """CSV text of some rows, each line ending in a newline.

    Numbers are Python's shortest round-trip ``repr``, so reading the file
    back gives exactly the buffer's numbers; absent cells are empty.
    """
    whole: list[bool] = np.all(present, axis=1).tolist()
    lines = []
    for t, row, all_there, mask in zip(
        times.tolist(), values.tolist(), whole, present.tolist(), strict=True
    ):
        if all_there:
            cells = ",".join(map(repr, row))
        else:
            cells = ",".join([repr(v) if p else "" for v, p in zip(row, mask, strict=True)])
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
    """Save a plot widget as PNG; return whether it was written."""
    return bool(plot.grab().save(str(path)))


def export_svg(plot: QGraphicsView, path: str | Path, title: str = "") -> None:
    """Save a plot view (a pyqtgraph ``PlotWidget``) as SVG (vector).

    Qt's own SVG generator paints the plot widget: pyqtgraph 0.14's
    SVGExporter fails on this Qt (pyqtgraph issue 3485).
    """
    generator = QSvgGenerator()
    generator.setFileName(str(path))
    generator.setSize(plot.size())
    generator.setViewBox(QRect(0, 0, plot.width(), plot.height()))
    generator.setTitle(title or "m2gui plot")
    painter = QPainter(generator)
    try:
        plot.render(painter)
    finally:
        painter.end()
