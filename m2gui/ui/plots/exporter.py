"""`PanelExporter`: a panel's exports, run for the user, with status and cancel."""

from __future__ import annotations

import asyncio
import logging
import threading

import shiboken6
from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QFileDialog, QGraphicsView, QWidget

from m2gui.model.plot_panel import PanelModel

from ..tasks import spawn
from .export import ExportCancelled, export_csv, export_png, export_svg

__all__ = ["PanelExporter"]

log = logging.getLogger(__name__)


class PanelExporter(QObject):
    """Exports the model's visible data as CSV (in a worker thread, with
    progress and cancel) and the plot as PNG or SVG.

    Parameters
    ----------
    model : `PanelModel`
        Whose visible table the CSV export writes.
    plot : `QGraphicsView`
        The plot drawn as PNG or SVG.
    parent : `QWidget`
        The panel (the file dialogs' parent).
    """

    #: The export status to show, and whether a CSV export is running.
    status_changed = Signal(str, bool)

    def __init__(self, model: PanelModel, plot: QGraphicsView, parent: QWidget) -> None:
        super().__init__(parent)
        self.model = model
        self.plot = plot
        self._dialog_parent = parent
        self._cancel: threading.Event | None = None
        self.task: asyncio.Task[None] | None = None
        #: Fraction of the last CSV export written.
        self.fraction = 0.0

    def ask(self, kind: str) -> QFileDialog:
        """Ask where to export (a non-blocking dialog), then export."""
        dialog = QFileDialog(self._dialog_parent, f"Export {kind.upper()}")
        dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
        dialog.setDefaultSuffix(kind)
        dialog.setNameFilter(f"{kind.upper()} files (*.{kind})")
        dialog.fileSelected.connect(lambda path: self.export(kind, path))
        dialog.open()
        return dialog

    def export(self, kind: str, path: str) -> None:
        """Export to ``path``: "csv" runs in a worker thread with progress shown
        and a button to cancel it (an export still running is cancelled)."""
        if kind == "csv":
            self._export_csv(path)
        elif kind == "png":
            ok = export_png(self.plot, path)
            log.log(
                logging.INFO if ok else logging.ERROR,
                "PNG export to %s: %s",
                path,
                "done" if ok else "failed",
            )
        else:
            export_svg(self.plot, path, self.model.title)
            log.info("SVG export to %s: done", path)

    def _export_csv(self, path: str) -> None:
        self.cancel()
        cancel = self._cancel = threading.Event()
        self.fraction = 0.0
        self.status_changed.emit("exporting 0%", True)
        curves = len(self.model.signals)

        def progress(fraction: float) -> None:
            if cancel.is_set() or not shiboken6.isValid(self):
                return
            self.fraction = fraction
            self.status_changed.emit(f"exporting {fraction:.0%}", True)

        async def run() -> None:
            try:
                rows = await export_csv(self.model, path, progress, cancel)
            except ExportCancelled:
                log.info("CSV export to %s cancelled", path)
                self._ended(cancel, "export cancelled")
            except OSError as error:
                log.error("CSV export to %s failed: %s", path, error)
                self._ended(cancel, "export failed")
            else:
                log.info("exported %d rows of %d curves to %s", rows, curves, path)
                self._ended(cancel, f"{rows} rows exported")

        self.task = spawn(run(), "CSV export")

    def cancel(self) -> None:
        """Stop the CSV export in progress, if any (it leaves no file)."""
        cancel, self._cancel = self._cancel, None
        if cancel is not None:
            cancel.set()
            self.status_changed.emit("cancelling export…", False)

    def _ended(self, cancel: threading.Event, text: str) -> None:
        if not shiboken6.isValid(self):
            return  # the panel was closed meanwhile
        if self._cancel is cancel:
            self._cancel = None
        if self._cancel is None:  # not replaced by a newer export
            self.status_changed.emit(text, False)
