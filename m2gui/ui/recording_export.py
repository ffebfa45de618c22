"""File > Export recording: a recording, or a time range of it, to Parquet or CSV.

`ExportRecordingDialog` (opened with ``open()``, never ``exec()``) asks for
the recording (the replay's, or the live recording's folder, or one browsed
for), the format (a Parquet folder: one file per telemetry topic, plus
``events.parquet`` and ``commands.parquet``; or a CSV file of chosen
signals), the time range (the whole recording, or from/to typed as local
times of day) and where to write. The export runs in a worker thread
(`BackgroundJob`): the dialog shows its progress, Cancel stops it and leaves
nothing behind, and at the end it lists the files written, or says it was
cancelled, or why it failed. All file work (even reading the recording's
span) is done by workers; the GUI thread only validates what was typed.

`install_recording_menu` adds the menu entry to a `MainWindow` and the
`RebuildIndicator` to its status bar.
"""

from __future__ import annotations

import functools
import logging
import os
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import shiboken6
from PySide6.QtCore import QObject, QSettings, Qt
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtWidgets import (
    QButtonGroup,
    QDialog,
    QFileDialog,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLayout,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMenu,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from m2gui.model.catalogue import Catalogue
from m2gui.model.memory import format_bytes
from m2gui.record.replay import ReplaySource
from m2gui.record.time_of_day import format_clock

from .background_job import BackgroundJob, JobOutcome
from .export_request import (
    CSV,
    PARQUET,
    ExportRequest,
    RecordingInfo,
    probe_recording,
    resolve_range,
    signal_names,
)
from .plots.exporter import EXPORT_FOLDER_KEY, default_export_folder, export_folder
from .rebuild_indicator import RebuildIndicator

if TYPE_CHECKING:
    from .main_window import MainWindow

__all__ = ["ExportRecordingDialog", "install_recording_menu", "plotted_signals", "window_recording"]

log = logging.getLogger(__name__)

ERROR_STYLE = "color: #d03030"


# ----------------------------------------------------------------------------- the dialog
class ExportRecordingDialog(QDialog):
    """Export a recording or a time range of it to Parquet or CSV, in the background.

    Parameters
    ----------
    catalogue : `Catalogue`
        The signals offered for CSV.
    folder : `pathlib.Path`, optional
        The recording proposed (read in a worker when the dialog is made).
    signals : sequence of `str`
        Signals chosen at first for CSV (the plotted ones).
    live_folder : `pathlib.Path`, optional
        The recording being written now: its end is "now" for the time range.
    settings : `QSettings`, optional
        Where the export folder is remembered (the plots' key); without it the
        documents folder is proposed and nothing is remembered.
    parent : `QWidget`, optional
        The window.

    Attributes
    ----------
    outcome : `str` or None
        How the last export ended: "done", "cancelled", "failed", "refused"
        (the inputs were wrong), or None.
    written : `list` [`pathlib.Path`]
        The files the last export wrote.
    """

    def __init__(
        self,
        catalogue: Catalogue,
        folder: Path | None = None,
        *,
        signals: Sequence[str] = (),
        live_folder: Path | None = None,
        settings: QSettings | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("export_recording_dialog")
        self.setWindowTitle("Export recording")
        self.catalogue = catalogue
        self.settings = settings
        self.live_folder = live_folder
        self.info: RecordingInfo | None = None
        self.job: BackgroundJob | None = None
        self.outcome: str | None = None
        self.written: list[Path] = []
        self.fraction = 0.0
        #: The recording folder proposed (its info is being read, or `info`/`probe_error`).
        self.folder: Path | None = None
        self.probe_error: str | None = None
        self._request: ExportRequest | None = None
        self._output_auto = True
        self._build(signals)
        self._format_changed()
        if folder is not None:
            self.set_folder(folder)
        else:
            self.info_label.setText("Choose a recording folder.")

    # ------------------------------------------------------------------ building
    def _build(self, signals: Sequence[str]) -> None:
        self.folder_edit = QLineEdit()
        self.folder_edit.setObjectName("export_folder")
        self.folder_edit.setPlaceholderText("A recording folder")
        self.folder_edit.editingFinished.connect(self._folder_typed)
        self.browse_button = QPushButton("Browse…")
        self.browse_button.clicked.connect(self.browse_recording)
        self.info_label = QLabel()
        self.info_label.setObjectName("export_info")
        self.info_label.setWordWrap(True)

        self.parquet_radio = QRadioButton(
            "Parquet folder: one file per topic, plus events and commands"
        )
        self.csv_radio = QRadioButton("CSV file of the chosen signals")
        self.parquet_radio.setChecked(True)
        formats = QButtonGroup(self)
        formats.addButton(self.parquet_radio)
        formats.addButton(self.csv_radio)
        self.parquet_radio.toggled.connect(self._format_changed)

        self.signal_box = QGroupBox("Signals for CSV")
        self.filter_edit = QLineEdit()
        self.filter_edit.setObjectName("export_filter")
        self.filter_edit.setPlaceholderText("Filter signals (e.g. axialForce.measured)")
        self.filter_edit.setClearButtonEnabled(True)
        self.filter_edit.textChanged.connect(self._filter)
        self.signal_list = QListWidget()
        self.signal_list.setObjectName("export_signals")
        self.signal_list.setUniformItemSizes(True)
        self.signal_list.setMinimumHeight(220)
        chosen = set(signals)
        for name, tip in signal_names(self.catalogue):
            item = QListWidgetItem(name)
            item.setToolTip(tip)
            item.setData(Qt.ItemDataRole.UserRole, name)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Checked if name in chosen else Qt.CheckState.Unchecked)
            self.signal_list.addItem(item)
        self.signal_list.itemChanged.connect(self._count_chosen)
        self.chosen_label = QLabel()
        self.choose_shown_button = QPushButton("Choose shown")
        self.choose_shown_button.setToolTip("Choose every signal the filter shows")
        self.choose_shown_button.clicked.connect(self._choose_shown)
        self.clear_button = QPushButton("Clear")
        self.clear_button.setToolTip("Choose none")
        self.clear_button.clicked.connect(self._clear_chosen)
        chosen_row = QHBoxLayout()
        chosen_row.addWidget(self.chosen_label, 1)
        chosen_row.addWidget(self.choose_shown_button)
        chosen_row.addWidget(self.clear_button)
        box = QVBoxLayout(self.signal_box)
        box.addWidget(self.filter_edit)
        box.addWidget(self.signal_list, 1)
        box.addLayout(chosen_row)
        self._count_chosen()

        self.whole_radio = QRadioButton("Whole recording")
        self.range_radio = QRadioButton("From")
        self.whole_radio.setChecked(True)
        ranges = QButtonGroup(self)
        ranges.addButton(self.whole_radio)
        ranges.addButton(self.range_radio)
        self.from_edit = QLineEdit()
        self.from_edit.setObjectName("export_from")
        self.to_edit = QLineEdit()
        self.to_edit.setObjectName("export_to")
        for edit in (self.from_edit, self.to_edit):
            edit.setPlaceholderText("HH:MM:SS")
            edit.setMaximumWidth(110)
            edit.setToolTip("Local time of day: HH:MM or HH:MM:SS.s; blank: the recording's own")
            edit.textEdited.connect(self._range_typed)
        range_row = QHBoxLayout()
        range_row.addWidget(self.whole_radio)
        range_row.addSpacing(12)
        range_row.addWidget(self.range_radio)
        range_row.addWidget(self.from_edit)
        range_row.addWidget(QLabel("to"))
        range_row.addWidget(self.to_edit)
        range_row.addStretch(1)

        self.output_edit = QLineEdit()
        self.output_edit.setObjectName("export_output")
        self.output_edit.textEdited.connect(self._output_typed)
        self.output_button = QPushButton("Browse…")
        self.output_button.clicked.connect(self.browse_output)

        self.message = QLabel()
        self.message.setObjectName("export_message")
        self.message.setWordWrap(True)
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.progress = QProgressBar()
        self.progress.setRange(0, 100)
        self.progress.setFormat("%p %")
        self.progress.hide()
        self.files_view = QPlainTextEdit()
        self.files_view.setObjectName("export_files")
        self.files_view.setReadOnly(True)
        self.files_view.setMaximumHeight(110)
        self.files_view.hide()

        self.export_button = QPushButton("Export")
        self.export_button.setObjectName("export_button")
        self.export_button.setDefault(True)
        self.export_button.clicked.connect(self.export)
        self.cancel_button = QPushButton("Cancel export")
        self.cancel_button.setObjectName("export_cancel")
        self.cancel_button.setEnabled(False)
        self.cancel_button.clicked.connect(self.cancel)
        self.close_button = QPushButton("Close")
        self.close_button.setAutoDefault(False)
        self.close_button.clicked.connect(self.reject)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.export_button)
        buttons.addWidget(self.cancel_button)
        buttons.addWidget(self.close_button)

        folder_row = QHBoxLayout()
        folder_row.addWidget(self.folder_edit, 1)
        folder_row.addWidget(self.browse_button)
        output_row = QHBoxLayout()
        output_row.addWidget(self.output_edit, 1)
        output_row.addWidget(self.output_button)
        format_column = QVBoxLayout()
        format_column.addWidget(self.parquet_radio)
        format_column.addWidget(self.csv_radio)

        grid = QGridLayout()
        rows: list[tuple[str, QWidget | QLayout]] = [
            ("Recording", folder_row),
            ("", self.info_label),
            ("Format", format_column),
            ("", self.signal_box),
            ("Time range", range_row),
            ("Write to", output_row),
        ]
        for row, (label, part) in enumerate(rows):
            if label:
                top = isinstance(part, QVBoxLayout)  # the format's two choices
                align = Qt.AlignmentFlag.AlignTop if top else Qt.AlignmentFlag.AlignVCenter
                grid.addWidget(QLabel(label), row, 0, align)
            span = 2 if part is self.signal_box else 1
            if isinstance(part, QWidget):
                grid.addWidget(part, row, 2 - span, 1, span)
            else:
                grid.addLayout(part, row, 1)
        grid.setRowStretch(3, 1)  # the signal list takes the height there is
        grid.setColumnStretch(1, 1)
        layout = QVBoxLayout(self)
        layout.addLayout(grid, 1)
        layout.addWidget(self.message)
        layout.addWidget(self.progress)
        layout.addWidget(self.files_view, 1)
        layout.addLayout(buttons)
        self.setMinimumWidth(620)

    # ------------------------------------------------------------------ the recording
    def set_folder(self, folder: str | Path) -> None:
        """Propose ``folder``: its span is read in a worker and shown."""
        path = Path(folder).expanduser()
        self.folder_edit.setText(str(path))
        self.folder = path
        self.info = None
        self.probe_error = None
        self.info_label.setStyleSheet("")
        self.info_label.setText(f"Reading {path.name}…")
        self._propose_output()
        job = BackgroundJob(functools.partial(probe_recording, path), "recording-info")
        job.finished.connect(self._probed)
        job.start()

    def _probed(self, outcome: JobOutcome) -> None:
        if outcome.error is not None:  # not expected: _probe says why in words
            found: RecordingInfo | str = str(outcome.error)
            path = self.folder
        else:
            path, found = outcome.value
        if path != self.folder:
            return  # another folder was chosen meanwhile
        if isinstance(found, RecordingInfo):
            self.info = found
            self.info_label.setStyleSheet("")
            self.info_label.setText(found.describe())
        else:
            self.probe_error = found
            self.info_label.setStyleSheet(ERROR_STYLE)
            self.info_label.setText(f"⚠ {found}")

    def _folder_typed(self) -> None:
        text = self._current_folder()
        if text and Path(text).expanduser() != self.folder:
            self.set_folder(text)

    def _current_folder(self) -> str:
        return self.folder_edit.text().strip()

    def browse_recording(self) -> QFileDialog:
        """Ask for a recording folder (non-blocking)."""
        dialog = QFileDialog(self, "Recording to export")
        dialog.setFileMode(QFileDialog.FileMode.Directory)
        dialog.setOption(QFileDialog.Option.ShowDirsOnly, True)
        current = Path(self._current_folder()).expanduser()
        if self._current_folder():
            dialog.setDirectory(str(current.parent))
        dialog.fileSelected.connect(self.set_folder)
        dialog.open()
        return dialog

    # ------------------------------------------------------------------ format and output
    @property
    def kind(self) -> str:
        """The format chosen: "parquet" or "csv"."""
        return PARQUET if self.parquet_radio.isChecked() else CSV

    def _format_changed(self) -> None:
        self.signal_box.setVisible(self.kind == CSV)
        self._propose_output()
        self.adjustSize()

    def _propose_output(self) -> None:
        if not self._output_auto:
            return
        base = export_folder(self.settings) if self.settings is not None else None
        name = Path(self._current_folder()).name or "recording"
        suffix = "-parquet" if self.kind == PARQUET else ".csv"
        folder = base if base is not None else default_export_folder()
        self.output_edit.setText(str(folder / f"{name}{suffix}"))

    def _output_typed(self, _text: str) -> None:
        self._output_auto = False

    def _range_typed(self, _text: str) -> None:
        self.range_radio.setChecked(True)

    def browse_output(self) -> QFileDialog:
        """Ask where to write (a folder for Parquet, a file for CSV; non-blocking)."""
        current = Path(self.output_edit.text().strip() or ".").expanduser()
        if self.kind == PARQUET:
            dialog = QFileDialog(self, "Folder for the Parquet files", str(current.parent))
            dialog.setFileMode(QFileDialog.FileMode.Directory)
            dialog.setOption(QFileDialog.Option.ShowDirsOnly, True)
        else:
            dialog = QFileDialog(self, "CSV file", str(current.parent))
            dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
            dialog.setDefaultSuffix("csv")
            dialog.setNameFilter("CSV files (*.csv)")
            dialog.selectFile(current.name)
        dialog.fileSelected.connect(self._output_chosen)
        dialog.open()
        return dialog

    def _output_chosen(self, path: str) -> None:
        self._output_auto = False
        self.output_edit.setText(path)

    # ------------------------------------------------------------------ signals
    def chosen_signals(self) -> list[str]:
        """The signals checked, in list order."""
        names = []
        for row in range(self.signal_list.count()):
            item = self.signal_list.item(row)
            if item.checkState() == Qt.CheckState.Checked:
                names.append(str(item.data(Qt.ItemDataRole.UserRole)))
        return names

    def set_chosen(self, names: Sequence[str]) -> None:
        """Check exactly ``names``."""
        wanted = set(names)
        self.signal_list.blockSignals(True)
        for row in range(self.signal_list.count()):
            item = self.signal_list.item(row)
            name = str(item.data(Qt.ItemDataRole.UserRole))
            item.setCheckState(Qt.CheckState.Checked if name in wanted else Qt.CheckState.Unchecked)
        self.signal_list.blockSignals(False)
        self._count_chosen()

    def _filter(self, text: str) -> None:
        words = text.lower().split()
        for row in range(self.signal_list.count()):
            item = self.signal_list.item(row)
            haystack = item.toolTip().lower()
            item.setHidden(not all(word in haystack for word in words))
        self._count_chosen()

    def _choose_shown(self) -> None:
        self.signal_list.blockSignals(True)
        for row in range(self.signal_list.count()):
            item = self.signal_list.item(row)
            if not item.isHidden():
                item.setCheckState(Qt.CheckState.Checked)
        self.signal_list.blockSignals(False)
        self._count_chosen()

    def _clear_chosen(self) -> None:
        self.set_chosen([])

    def _count_chosen(self, _item: QListWidgetItem | None = None) -> None:
        n = len(self.chosen_signals())
        text = f"{n} signal{'s' if n != 1 else ''} chosen"
        total = self.signal_list.count()
        shown = sum(not self.signal_list.item(row).isHidden() for row in range(total))
        if shown < total:
            text += f" ({shown} shown)"
        self.chosen_label.setText(text)

    # ------------------------------------------------------------------ export
    @property
    def running(self) -> bool:
        """Whether an export runs."""
        return self.job is not None

    def request(self) -> ExportRequest:
        """The export the inputs describe.

        Raises
        ------
        ValueError
            What is missing or wrong, in words.
        """
        folder_text = self._current_folder()
        if not folder_text:
            raise ValueError("Choose a recording folder.")
        folder = Path(folder_text).expanduser()
        if folder != self.folder:
            self.set_folder(folder)
        info = self.info
        if info is None:
            if self.probe_error is not None:
                raise ValueError(f"Not a recording: {self.probe_error}")
            raise ValueError("The recording is still being read; try again in a moment.")
        signals: tuple[str, ...] = ()
        if self.kind == CSV:
            signals = tuple(self.chosen_signals())
            if not signals:
                raise ValueError("Choose at least one signal for the CSV file.")
        start = end = None
        if self.range_radio.isChecked():
            last = info.end
            if last is not None and self.live_folder is not None and folder == self.live_folder:
                last = max(last, time.time())  # still being written
            start, end = resolve_range(self.from_edit.text(), self.to_edit.text(), info.start, last)
        output_text = self.output_edit.text().strip()
        if not output_text:
            raise ValueError("Say where to write the export.")
        output = Path(output_text).expanduser()
        if os.path.abspath(output) == os.path.abspath(folder):
            raise ValueError("Write the export somewhere else than into the recording itself.")
        return ExportRequest(folder, self.kind, output, signals, start, end)

    def export(self) -> None:
        """Start the export the inputs describe (or show why not)."""
        if self.running:
            return
        try:
            request = self.request()
        except ValueError as error:
            self.outcome = "refused"
            self.progress.hide()
            self.files_view.hide()
            self._say(str(error), error=True)
            return
        self.outcome = None
        self.written = []
        self.fraction = 0.0
        self.files_view.hide()
        self.progress.setValue(0)
        self.progress.show()
        span = "the whole recording"
        if request.start is not None or request.end is not None:
            t0 = format_clock(request.start) if request.start is not None else "the start"
            t1 = format_clock(request.end) if request.end is not None else "the end"
            span = f"{t0} to {t1}"
        what = "Parquet" if request.kind == PARQUET else f"CSV ({len(request.signals)} signals)"
        self._say(f"Exporting {span} to {what}…")
        log.info("exporting %s (%s) to %s as %s", request.folder, span, request.output, what)
        self._request = request
        job = self.job = BackgroundJob(request.run, "recording-export")
        job.progressed.connect(self._progressed)
        job.finished.connect(self._ended)
        self._set_running(True)
        job.start()

    def cancel(self) -> None:
        """Stop the export running, if any: it leaves no file behind."""
        if self.job is not None:
            self.job.cancel()
            self.cancel_button.setEnabled(False)
            self._say("Cancelling…")

    def _progressed(self, fraction: float) -> None:
        if self.job is None:
            return
        self.fraction = fraction
        self.progress.setValue(int(fraction * 100))

    def _ended(self, outcome: JobOutcome) -> None:
        request, self._request = self._request, None
        self.job = None
        if request is None:
            return
        self._set_running(False)
        if outcome.error is not None:
            self.outcome = "failed"
            log.error(
                "export of %s to %s failed: %s", request.folder, request.output, outcome.error
            )
            self._say(f"Export failed: {outcome.error}", error=True)
            return
        files: list[tuple[Path, int]] = outcome.value
        if not files:
            self.outcome = "cancelled"
            log.info("export of %s to %s cancelled", request.folder, request.output)
            self._say("Export cancelled, nothing written.")
            return
        self.outcome = "done"
        self.written = [path for path, _size in files]
        self.progress.setValue(100)
        total = sum(size for _path, size in files)
        if request.kind == PARQUET:
            text = f"Wrote {len(files)} files ({format_bytes(total)}) into {request.output}"
        else:
            text = f"Wrote {request.output} ({format_bytes(total)})"
        log.info("export of %s: %s", request.folder, text)
        self._say(text + ".")
        self.files_view.setPlainText(
            "\n".join(f"{path.name}  {format_bytes(size)}" for path, size in files)
        )
        self.files_view.show()
        if self.settings is not None:
            parent = request.output.parent
            self.settings.setValue(EXPORT_FOLDER_KEY, str(parent))

    def _set_running(self, running: bool) -> None:
        for widget in (
            self.export_button,
            self.close_button,
            self.browse_button,
            self.folder_edit,
            self.output_edit,
            self.output_button,
            self.parquet_radio,
            self.csv_radio,
            self.whole_radio,
            self.range_radio,
            self.from_edit,
            self.to_edit,
        ):
            widget.setEnabled(not running)
        self.signal_box.setEnabled(not running)
        self.cancel_button.setEnabled(running)

    def _say(self, text: str, *, error: bool = False) -> None:
        self.message.setStyleSheet(ERROR_STYLE if error else "")
        self.message.setText(f"⚠ {text}" if error else text)

    # ------------------------------------------------------------------ closing
    def reject(self) -> None:
        """Esc or Close: cancels an export running (the dialog stays), else closes."""
        if self.running:
            self.cancel()
            return
        super().reject()

    def closeEvent(self, event: QCloseEvent) -> None:
        if self.running:
            self.cancel()
            event.ignore()
            return
        super().closeEvent(event)


# ----------------------------------------------------------------------------- the window
def window_recording(window: MainWindow) -> Path | None:
    """The recording a window shows: its replay's, or the folder it records into.

    Parameters
    ----------
    window : `MainWindow`
        A live or replay window.

    Returns
    -------
    folder : `pathlib.Path` or None
        None for a live window that has not recorded yet.
    """
    source = window.session.source
    if isinstance(source, ReplaySource):
        return source.recording.path
    if window.recording is not None:
        return window.recording.folder
    return None


def plotted_signals(window: MainWindow) -> list[str]:
    """The signals of the window's current plot panel (else of every panel), in order.

    Parameters
    ----------
    window : `MainWindow`
        The window whose plots are looked at.
    """
    area = window.plot_area
    panels = [area.current] if area.current is not None else area.panels
    names = [signal.name for panel in panels for signal in panel.model.signals]
    return list(dict.fromkeys(names))


class _RecordingMenu(QObject):
    """What `install_recording_menu` adds to one window (a child of it)."""

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window = window
        self.dialog: ExportRecordingDialog | None = None

    def open_dialog(self) -> ExportRecordingDialog:
        """Show the export dialog (the one exporting, if any; else a new one)."""
        dialog = self.dialog
        if dialog is not None and shiboken6.isValid(dialog) and dialog.isVisible():
            dialog.raise_()
            dialog.activateWindow()
            return dialog
        window = self.window
        live = window.recording.folder if window.recording is not None else None
        dialog = ExportRecordingDialog(
            window.session.catalogue,
            window_recording(window),
            signals=plotted_signals(window),
            live_folder=live,
            settings=window.settings,
            parent=window,
        )
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.dialog = dialog
        dialog.open()
        return dialog

    def cancel(self) -> None:
        """The window closes: stop an export running."""
        dialog = self.dialog
        if dialog is not None and shiboken6.isValid(dialog):
            dialog.cancel()


def install_recording_menu(window: MainWindow) -> None:
    """Add File > Export recording… (Ctrl+E, after Open recording…) and the long-history rebuild.

    The `RebuildIndicator` goes into the status bar; closing the window
    cancels an export or a rebuild running. Call it once, at the end of
    ``MainWindow.__init__``.

    Parameters
    ----------
    window : `MainWindow`
        A live or replay window.
    """
    if window.findChild(QAction, "export_recording_action") is not None:
        return  # installed already (MainWindow does it)
    menu = _RecordingMenu(window)
    action = QAction("Export recording…", window)
    action.setObjectName("export_recording_action")
    action.setShortcut(QKeySequence("Ctrl+E"))
    action.setToolTip("Export a recording, or a time range of it, to Parquet or CSV (Ctrl+E)")
    action.triggered.connect(menu.open_dialog)
    window.addAction(action)
    anchor = window.open_recording_action
    file_menu = next((m for m in anchor.associatedObjects() if isinstance(m, QMenu)), None)
    if file_menu is not None:
        actions = file_menu.actions()
        index = actions.index(anchor) + 1 if anchor in actions else len(actions)
        if index < len(actions):
            file_menu.insertAction(actions[index], action)
        else:
            file_menu.addAction(action)
    indicator = RebuildIndicator(window.session, live=window.recording)
    window.statusBar().addPermanentWidget(indicator)
    window.closed.connect(menu.cancel)
    window.closed.connect(indicator.cancel)
