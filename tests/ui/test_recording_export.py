"""File > Export recording and the long-history rebuild, driven as a user would.

A real recording (the simulator traffic of the fixture, several frames) in
a real replay window; the dialog is driven by clicks and keys; exports and
rebuilds run in their worker threads and the tests wait on conditions.
"""

from __future__ import annotations

import csv
import shutil
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest
from PySide6.QtCore import QPoint, QSettings, Qt, QTimer
from PySide6.QtWidgets import QMenu, QRadioButton
from pytestqt.qtbot import QtBot

from m2gui.model import load_catalogue
from m2gui.model.session import Session
from m2gui.net import WireLine
from m2gui.record import Archive, Recorder, rebuild_pyramid
from m2gui.record import open as open_recording
from m2gui.record.live import LiveRecording, RecordingOptions
from m2gui.record.pyramid_format import pyramid_folder
from m2gui.record.replay import ReplaySource
from m2gui.record.time_of_day import format_clock
from m2gui.ui import export_request
from m2gui.ui.main_window import MainWindow
from m2gui.ui.rebuild_indicator import RebuildIndicator
from m2gui.ui.recording_export import (
    ExportRecordingDialog,
    install_recording_menu,
    plotted_signals,
)

from ..record.conftest import T0, simulator_lines

#: Times the fixture's traffic (3.2 s) is repeated, one after the other.
REPEATS = 4
SPAN = 3.2


def write_recording(folder: Path) -> list[WireLine]:
    """The fixture's traffic ``REPEATS`` times, in frames of 30 lines."""
    lines = [
        WireLine(line.time + k * SPAN, line.port, line.direction, line.line)
        for k in range(REPEATS)
        for line in simulator_lines()
    ]
    recorder = Recorder(folder, {"host": "127.0.0.1"}, flush_interval=60)
    for i, line in enumerate(lines):
        recorder.write(line)
        if i % 30 == 29:
            assert recorder.flush(5)
    recorder.close()
    return lines


@pytest.fixture
def recorded(tmp_path: Path) -> tuple[Path, list[WireLine]]:
    folder = tmp_path / "night"
    return folder, write_recording(folder)


@pytest.fixture
def window(
    qtbot: QtBot, tmp_path: Path, recorded: tuple[Path, list[WireLine]]
) -> Iterator[MainWindow]:
    """A replay window of the recording, with the recording menu installed."""
    catalogue = load_catalogue()
    source = ReplaySource(open_recording(recorded[0]), catalogue)
    session = Session(catalogue=catalogue, source=source)
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    win = MainWindow(session, settings)
    qtbot.addWidget(win)
    install_recording_menu(win)
    win.show()
    yield win
    source.recording.close()


def open_dialog(window: MainWindow, qtbot: QtBot) -> ExportRecordingDialog:
    action = next(a for a in window.actions() if a.objectName() == "export_recording_action")
    action.trigger()
    dialog = window.findChild(ExportRecordingDialog)
    assert isinstance(dialog, ExportRecordingDialog)
    qtbot.waitUntil(lambda: dialog.info is not None, timeout=5000)
    return dialog


def type_into(qtbot: QtBot, edit: Any, text: str) -> None:
    edit.setFocus()
    edit.selectAll()
    qtbot.keyClick(edit, Qt.Key.Key_Delete)
    qtbot.keyClicks(edit, text)


def click(qtbot: QtBot, button: Any) -> None:
    """Click a button; a radio button on its circle (its row may be wider than its text)."""
    if isinstance(button, QRadioButton):
        at = QPoint(8, button.height() // 2)
        qtbot.mouseClick(button, Qt.MouseButton.LeftButton, pos=at)
    else:
        qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


def held_export(
    monkeypatch: pytest.MonkeyPatch, name: str, until: Callable[[threading.Event], bool]
) -> list[int]:
    """Hold the real export after its first progress report until ``until(cancel)``.

    Returns the list of the threads the export ran in.
    """
    real = getattr(export_request, name)
    threads: list[int] = []

    def export(*args: Any) -> Any:
        threads.append(threading.get_ident())
        *rest, progress, cancel = args

        def report(fraction: float) -> None:
            progress(fraction)
            if fraction < 1.0:
                assert until(cancel), "the hold was never released"

        return real(*rest, report, cancel)

    monkeypatch.setattr(export_request, name, export)
    return threads


# ----------------------------------------------------------------------------- the menu
def test_menu_entry_follows_open_recording(window: MainWindow, qtbot: QtBot) -> None:
    anchor = window.open_recording_action
    menu = next(m for m in anchor.associatedObjects() if isinstance(m, QMenu))
    names = [a.text() for a in menu.actions()]
    assert names[names.index("Open recording…") + 1] == "Export recording…"
    dialog = open_dialog(window, qtbot)
    assert dialog.isVisible()
    assert dialog.windowModality() == Qt.WindowModality.WindowModal  # open(), not exec()
    assert dialog.folder_edit.text() == str(window.session.source.recording.path)  # type: ignore[attr-defined]
    assert "0:00:12" in dialog.info_label.text()  # 4 x 3.2 s
    assert "1 200 lines" in dialog.info_label.text()
    # The plotted signals are chosen for CSV at first.
    assert dialog.chosen_signals() == plotted_signals(window) != []


# ----------------------------------------------------------------------------- parquet
def test_parquet_export_of_the_whole_recording(
    window: MainWindow, qtbot: QtBot, tmp_path: Path
) -> None:
    dialog = open_dialog(window, qtbot)
    assert dialog.parquet_radio.isChecked() and dialog.whole_radio.isChecked()
    assert dialog.output_edit.text().endswith("night-parquet")
    out = tmp_path / "exported"
    type_into(qtbot, dialog.output_edit, str(out))
    click(qtbot, dialog.export_button)
    assert dialog.running and dialog.cancel_button.isEnabled()
    assert not dialog.export_button.isEnabled() and not dialog.close_button.isEnabled()
    qtbot.waitUntil(lambda: dialog.outcome == "done", timeout=10_000)
    assert not dialog.running and dialog.export_button.isEnabled()
    assert dialog.progress.value() == 100
    names = sorted(p.name for p in out.iterdir())
    assert names == sorted(p.name for p in dialog.written)
    assert {"events.parquet", "commands.parquet", "axialForce.parquet"} <= set(names)
    assert dialog.message.text().startswith(f"Wrote {len(names)} files")
    assert "axialForce.parquet" in dialog.files_view.toPlainText()
    with open_recording(tmp_path / "night") as recording:
        for path in out.iterdir():
            assert pq.read_table(path).equals(recording.to_arrow(path.stem)), path.name
    assert pq.read_table(out / "axialForce.parquet").num_rows == 5 * REPEATS
    # The folder is remembered for the next export.
    assert window.settings.value("plots/export_folder") == str(tmp_path)


# ----------------------------------------------------------------------------- csv
def test_csv_of_two_signals_over_a_range(
    window: MainWindow, qtbot: QtBot, tmp_path: Path, recorded: tuple[Path, list[WireLine]]
) -> None:
    dialog = open_dialog(window, qtbot)
    assert not dialog.signal_box.isVisible()  # Parquet takes every signal
    click(qtbot, dialog.csv_radio)
    assert dialog.signal_box.isVisible() and dialog.output_edit.text().endswith("night.csv")
    click(qtbot, dialog.clear_button)
    assert dialog.chosen_signals() == [] and dialog.chosen_label.text() == "0 signals chosen"
    type_into(qtbot, dialog.filter_edit, "netforcestotal f")
    shown = [
        dialog.signal_list.item(row).text()
        for row in range(dialog.signal_list.count())
        if not dialog.signal_list.item(row).isHidden()
    ]
    assert shown == ["netForcesTotal.fx", "netForcesTotal.fy", "netForcesTotal.fz"]
    for name in ("netForcesTotal.fy", "netForcesTotal.fz"):
        item = dialog.signal_list.findItems(name, Qt.MatchFlag.MatchExactly)[0]
        dialog.signal_list.setCurrentItem(item)
        qtbot.keyClick(dialog.signal_list, Qt.Key.Key_Space)
    assert dialog.chosen_signals() == ["netForcesTotal.fy", "netForcesTotal.fz"]
    assert dialog.chosen_label.text() == "2 signals chosen (3 shown)"
    # A range typed as times of day (typing selects "From").
    t0, t1 = T0 + 2.0, T0 + 9.0
    type_into(qtbot, dialog.from_edit, format_clock(t0))
    type_into(qtbot, dialog.to_edit, format_clock(t1))
    assert dialog.range_radio.isChecked()
    out = tmp_path / "forces.csv"
    type_into(qtbot, dialog.output_edit, str(out))
    click(qtbot, dialog.export_button)
    qtbot.waitUntil(lambda: dialog.outcome == "done", timeout=10_000)
    assert dialog.written == [out]
    assert dialog.message.text().startswith(f"Wrote {out} (")
    with out.open(newline="") as file:
        rows = list(csv.reader(file))
    assert rows[0] == ["time", "netForcesTotal.fy", "netForcesTotal.fz"]
    _, lines = recorded
    lo, hi = dialog.request().start, dialog.request().end
    assert lo is not None and hi is not None and abs(lo - t0) < 0.1 and abs(hi - t1) < 0.1
    expected = [
        line for line in lines if b'"netForcesTotal"' in line.line and lo <= line.time <= hi
    ]
    assert len(rows) - 1 == len(expected) > 0
    first = expected[0].line.decode()
    assert rows[1][1] in first and rows[1][2] in first


# ----------------------------------------------------------------------------- refusals
def test_a_bad_time_range_is_explained_and_exports_nothing(
    window: MainWindow, qtbot: QtBot, tmp_path: Path
) -> None:
    dialog = open_dialog(window, qtbot)
    out = tmp_path / "never"
    type_into(qtbot, dialog.output_edit, str(out))
    cases = [
        ("99:00", "", "From: not a time of day: '99:00'"),
        ("", "3 pm", "To: not a time of day: '3 pm'"),
        (format_clock(T0 + 9), format_clock(T0 + 2), "before it starts"),
        (format_clock(T0 + 3600), "", "is not in the recording ("),
    ]
    for start, end, message in cases:
        type_into(qtbot, dialog.from_edit, start)
        type_into(qtbot, dialog.to_edit, end)
        click(qtbot, dialog.export_button)
        assert dialog.outcome == "refused" and not dialog.running
        assert message in dialog.message.text(), dialog.message.text()
        assert dialog.message.text().startswith("⚠")
    # No signal for CSV: refused too.
    click(qtbot, dialog.whole_radio)
    click(qtbot, dialog.csv_radio)
    click(qtbot, dialog.clear_button)
    click(qtbot, dialog.export_button)
    assert "Choose at least one signal" in dialog.message.text()
    # A folder that is not a recording: said as soon as it is chosen.
    (tmp_path / "empty").mkdir()
    type_into(qtbot, dialog.folder_edit, str(tmp_path / "empty"))
    qtbot.keyClick(dialog.folder_edit, Qt.Key.Key_Tab)
    qtbot.waitUntil(lambda: dialog.probe_error is not None, timeout=5000)
    assert "no recording parts" in dialog.info_label.text()
    click(qtbot, dialog.parquet_radio)
    click(qtbot, dialog.export_button)
    assert dialog.message.text().startswith("⚠ Not a recording:")
    qtbot.wait(50)  # let any stray job report (there must be none)
    assert not out.exists() and dialog.written == []


# ----------------------------------------------------------------------------- cancel
def test_cancel_mid_way_leaves_nothing(
    window: MainWindow, qtbot: QtBot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    held_export(monkeypatch, "export_parquet", lambda cancel: cancel.wait(5))
    dialog = open_dialog(window, qtbot)
    out = tmp_path / "cancelled"
    type_into(qtbot, dialog.output_edit, str(out))
    click(qtbot, dialog.export_button)
    qtbot.waitUntil(lambda: dialog.progress.value() > 0, timeout=5000)
    assert dialog.progress.value() < 100
    assert out.is_dir()  # it is writing there (into a hidden work folder)
    click(qtbot, dialog.cancel_button)
    qtbot.waitUntil(lambda: dialog.outcome == "cancelled", timeout=5000)
    assert dialog.message.text() == "Export cancelled, nothing written."
    assert not out.exists()  # the folder it made is gone too
    assert dialog.written == [] and dialog.export_button.isEnabled()


def test_escape_cancels_a_running_csv_export_and_keeps_the_dialog(
    window: MainWindow, qtbot: QtBot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    held_export(monkeypatch, "export_csv", lambda cancel: cancel.wait(5))
    dialog = open_dialog(window, qtbot)
    click(qtbot, dialog.csv_radio)
    out = tmp_path / "cancelled.csv"
    type_into(qtbot, dialog.output_edit, str(out))
    click(qtbot, dialog.export_button)
    qtbot.waitUntil(lambda: dialog.progress.value() > 0, timeout=5000)
    qtbot.keyClick(dialog, Qt.Key.Key_Escape)
    assert dialog.isVisible()
    qtbot.waitUntil(lambda: dialog.outcome == "cancelled", timeout=5000)
    assert [p.name for p in tmp_path.iterdir() if "cancelled" in p.name] == []
    qtbot.keyClick(dialog, Qt.Key.Key_Escape)  # now it closes
    assert not dialog.isVisible()


def test_the_gui_loop_turns_while_the_worker_exports(
    window: MainWindow, qtbot: QtBot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ticks = 0
    gate = threading.Event()

    def tick() -> None:
        nonlocal ticks
        ticks += 1
        if ticks >= 5:
            gate.set()

    # The worker waits for the GUI thread's timer: if the export ran on the
    # GUI thread the timer could never tick and the gate never open.
    threads = held_export(monkeypatch, "export_parquet", lambda _cancel: gate.wait(5))
    dialog = open_dialog(window, qtbot)
    type_into(qtbot, dialog.output_edit, str(tmp_path / "out"))
    timer = QTimer()
    timer.setInterval(0)
    timer.timeout.connect(tick)
    timer.start()
    try:
        click(qtbot, dialog.export_button)
        qtbot.waitUntil(lambda: dialog.outcome is not None, timeout=10_000)
    finally:
        timer.stop()
    assert dialog.outcome == "done" and gate.is_set() and ticks >= 5
    assert threads and threading.get_ident() not in threads


# ----------------------------------------------------------------------------- rebuild
@pytest.fixture
def stale(recorded: tuple[Path, list[WireLine]]) -> Path:
    """The recording with its long-history pyramid built, then deleted."""
    folder = recorded[0]
    assert rebuild_pyramid(folder)
    shutil.rmtree(pyramid_folder(folder))
    return folder


def indicator_of(window: MainWindow) -> RebuildIndicator:
    indicator = window.findChild(RebuildIndicator)
    assert isinstance(indicator, RebuildIndicator)
    return indicator


def test_a_stale_long_history_is_rebuilt_in_the_background(
    qtbot: QtBot, tmp_path: Path, stale: Path
) -> None:
    catalogue = load_catalogue()
    session = Session(catalogue=catalogue, source=ReplaySource(open_recording(stale), catalogue))
    archive = Archive(stale, catalogue)
    session.long_history = archive
    assert archive.rebuild_needed == "full"
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    window = MainWindow(session, settings)
    qtbot.addWidget(window)
    install_recording_menu(window)
    window.show()
    indicator = indicator_of(window)
    assert indicator.job is not None  # started at once, in a worker
    qtbot.waitUntil(lambda: indicator.result == "done", timeout=10_000)
    assert archive.rebuild_needed is None and pyramid_folder(stale).is_dir()
    assert indicator.isVisible()
    assert indicator.label.text() == "Long history of night rebuilt"
    assert indicator.parentWidget() is window.statusBar()
    indicator.check()  # a later look: nothing more to do
    assert indicator.job is None
    archive.close()


def test_a_rebuild_can_be_cancelled_and_started_again(
    window: MainWindow, qtbot: QtBot, stale: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    hold = threading.Event()
    real = rebuild_pyramid

    def held(recording: Any, progress: Any, cancel: threading.Event, **kw: Any) -> bool:
        def report(fraction: float) -> None:
            progress(fraction)
            if not hold.is_set():
                cancel.wait(5)

        return real(recording, report, cancel, **kw)

    monkeypatch.setattr("m2gui.record.archive.rebuild_pyramid", held)
    indicator = indicator_of(window)
    assert indicator.isHidden()  # a replay without long history: nothing to say
    archive = Archive(stale, window.session.catalogue)
    window.session.long_history = archive
    indicator.check()  # its next look (every second)
    qtbot.waitUntil(lambda: "Rebuilding the long history of night: 0 %" in indicator.label.text())
    assert indicator.isVisible() and indicator.button.text() == "Cancel"
    click(qtbot, indicator.button)
    qtbot.waitUntil(lambda: indicator.result == "cancelled", timeout=5000)
    assert indicator.label.text() == "Rebuild of the long history of night cancelled"
    assert archive.rebuild_needed == "full" and not pyramid_folder(stale).exists()
    indicator.check()  # not restarted by itself after a cancel
    assert indicator.job is None
    hold.set()
    assert indicator.button.text() == "Rebuild"
    click(qtbot, indicator.button)
    qtbot.waitUntil(lambda: indicator.result == "done", timeout=10_000)
    assert archive.rebuild_needed is None
    archive.close()


def test_the_recording_being_written_is_left_to_its_writer(
    qtbot: QtBot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An idle live writer looks stale to the archive: it must not get a second writer."""
    monkeypatch.setattr("m2gui.record.archive.LIVE_TIMEOUT", 0.05)
    session = Session(history=60)
    options = RecordingOptions(tmp_path, tmp_path / "live")
    live = LiveRecording(session.connection, session.telemetry, session.catalogue, options)
    live.start()
    assert live.recorder is not None
    for line in simulator_lines():
        live.recorder.write(line)
    assert live.recorder.flush(5)
    archive = live.archive()
    assert archive is not None
    session.long_history = archive

    def judged_stale() -> bool:
        archive.refresh()
        return archive.rebuild_needed == "resume"

    qtbot.waitUntil(judged_stale, timeout=5000)
    indicator = RebuildIndicator(session, live=live)
    qtbot.addWidget(indicator)
    assert indicator.being_written(archive)
    assert indicator.job is None and indicator.isHidden()
    indicator.start(archive)  # not even when asked
    assert indicator.job is None
    live.close()
    assert not indicator.being_written(archive)
