"""`PanelExporter`: a panel's exports, run for the user, with status and cancel."""

from __future__ import annotations

import asyncio
import logging
import threading
from pathlib import Path

import shiboken6
from PySide6.QtCore import QObject, QSettings, QStandardPaths, Signal
from PySide6.QtWidgets import QFileDialog, QWidget

from m2gui.model.plot_names import export_file_name
from m2gui.model.plot_panel import PanelModel

from ..settings import open_settings
from ..tasks import spawn
from .export import ExportCancelled, export_csv, export_png, export_svg

__all__ = ["EXPORT_FOLDER_KEY", "PanelExporter", "default_export_folder", "export_folder"]

log = logging.getLogger(__name__)

#: The settings key of the folder the last export went to.
EXPORT_FOLDER_KEY = "plots/export_folder"


def default_export_folder() -> Path:
    """The user's documents folder, or their home folder if there is none."""
    documents = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.DocumentsLocation)
    if documents and Path(documents).is_dir():
        return Path(documents)
    return Path.home()


def export_folder(settings: QSettings) -> Path:
    """The folder the last export went to, if it still exists, else `default_export_folder`."""
    saved = settings.value(EXPORT_FOLDER_KEY, "")
    if isinstance(saved, str) and saved and Path(saved).is_dir():
        return Path(saved)
    return default_export_folder()


class PanelExporter(QObject):
    """Exports the model's visible data as CSV (in a worker thread, with
    progress and cancel) and the plot as PNG or SVG.

    Parameters
    ----------
    model : `PanelModel`
        Whose visible table the CSV export writes.
    plot : `QWidget`
        What a picture shows (the plot and its legend).
    parent : `QWidget`
        The panel (the file dialogs' parent).
    settings : `QSettings`, optional
        Where the export folder is remembered (default: m2gui's settings
        file, opened when first needed).
    """

    #: The export status to show, and whether a CSV export is running.
    status_changed = Signal(str, bool)

    def __init__(
        self,
        model: PanelModel,
        plot: QWidget,
        parent: QWidget,
        settings: QSettings | None = None,
    ) -> None:
        super().__init__(parent)
        self.model = model
        self.plot = plot
        self._settings = settings
        self._dialog_parent = parent
        self._cancel: threading.Event | None = None
        self.task: asyncio.Task[None] | None = None
        #: Fraction of the last CSV export written.
        self.fraction = 0.0

    @property
    def settings(self) -> QSettings:
        """Where the export folder is remembered."""
        if self._settings is None:
            self._settings = open_settings()
        return self._settings

    def proposed_path(self, kind: str) -> Path:
        """The file proposed for an export: the panel's title and the time
        range in view (see `export_file_name`), in the remembered export folder."""
        name = export_file_name(self.model.title, self.model.visible_range(), kind)
        return export_folder(self.settings) / name

    def ask(self, kind: str) -> QFileDialog:
        """Ask where to export (a non-blocking dialog proposing `proposed_path`),
        remember the folder chosen, then export."""
        proposed = self.proposed_path(kind)
        dialog = QFileDialog(self._dialog_parent, f"Export {kind.upper()}", str(proposed.parent))
        dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
        dialog.setDefaultSuffix(kind)
        dialog.setNameFilter(f"{kind.upper()} files (*.{kind})")
        dialog.selectFile(proposed.name)
        dialog.fileSelected.connect(lambda path: self._chosen(kind, path))
        dialog.open()
        return dialog

    def _chosen(self, kind: str, path: str) -> None:
        self.settings.setValue(EXPORT_FOLDER_KEY, str(Path(path).parent))
        self.export(kind, path)

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
