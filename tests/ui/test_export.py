"""CSV export of a panel: formatted off the GUI thread, with progress and cancel."""

from __future__ import annotations

import asyncio
import math
import threading
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QTimer
from pytestqt.qtbot import QtBot

from m2gui.model import load_catalogue
from m2gui.model.plot_layout import PanelLayout
from m2gui.model.telemetry import TelemetryStore
from m2gui.net import Received
from m2gui.ui.plots import export
from m2gui.ui.plots.area import PlotArea
from m2gui.ui.plots.export import ExportCancelled, export_csv
from m2gui.ui.plots.panel import PlotPanel

from .conftest import until

CAT = load_catalogue()
SIGNALS = [f"axialForce.measured[{i}]" for i in range(72)] + [
    f"tangentForce.measured[{i}]" for i in range(6)
]


def feed(store: TelemetryStore, n: int) -> None:
    """``n`` samples of axialForce and tangentForce (78 curves), with NaNs in some."""
    axial_fields = CAT.telemetry["axialForce"].fields
    tangent_fields = CAT.telemetry["tangentForce"].fields
    for i in range(n):
        message: dict[str, Any] = {f: [float(i + k) / 3 for k in range(72)] for f in axial_fields}
        if i % 97 == 0:
            message["measured"] = ["bad"] * 72  # stored as NaN
        store.on_telemetry(Received("axialForce", message, 1000.0 + i * 0.05, "telemetry"))
        tangent = {f: [-float(i + k) / 7 for k in range(6)] for f in tangent_fields}
        store.on_telemetry(Received("tangentForce", tangent, 1000.01 + i * 0.05, "telemetry"))


@pytest.fixture
def panel(qtbot: QtBot) -> PlotPanel:
    store = TelemetryStore(CAT, history=600)
    area = PlotArea(store, CAT)
    area.set_live(False)
    area.resize(1000, 600)
    qtbot.addWidget(area)
    area.show()
    feed(store, 3000)
    panel = area.add_panel(PanelLayout(signals=SIGNALS, window=None))
    panel.refresh()
    return panel


def reference_csv(panel: PlotPanel) -> str:
    """The file the export writes, cell by cell: exact times, forces at 0.1 N."""
    table = panel.model.visible_table()
    assert set(table.precisions) == {1}
    lines = [",".join(table.header)]
    for t, row, present in zip(table.times, table.values, table.present, strict=True):
        cells = [f"{float(v):.1f}" if p else "" for v, p in zip(row, present, strict=True)]
        lines.append(repr(float(t)) + "," + ",".join(cells))
    return "\n".join(lines) + "\n"


def test_export_formats_in_a_worker_while_the_gui_loop_turns(
    panel: PlotPanel,
    tmp_path: Path,
    run_qasync: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(export, "CHUNK_ROWS", 500)
    gui_thread = threading.get_ident()
    format_threads: list[int] = []
    ticks = 0
    gate = threading.Event()  # opened by the GUI thread's timer
    original = export.format_rows

    def format_rows(*args: Any) -> str:
        format_threads.append(threading.get_ident())
        if len(format_threads) == 1:
            # Formatting waits for the GUI loop: if it ran on the GUI thread,
            # the timer could never tick and the gate would never open.
            assert gate.wait(5), "the GUI loop did not turn while formatting"
        return original(*args)

    monkeypatch.setattr(export, "format_rows", format_rows)

    def tick() -> None:
        nonlocal ticks
        ticks += 1
        if ticks >= 5:
            gate.set()

    timer = QTimer()
    timer.setInterval(0)
    timer.timeout.connect(tick)
    path = tmp_path / "all.csv"
    progress: list[float] = []

    async def scenario() -> int:
        timer.start()
        try:
            return await export_csv(panel.model, path, progress.append)
        finally:
            timer.stop()

    rows = run_qasync(scenario())
    assert rows == 6000
    assert gate.is_set() and ticks >= 5
    assert len(format_threads) == 12  # 6000 rows in chunks of 500
    assert gui_thread not in format_threads
    assert progress == sorted(progress) and progress[-1] == 1.0
    assert len(progress) == 12
    assert path.read_text() == reference_csv(panel)
    assert not path.with_suffix(".csv.part").exists()


def test_export_output_is_what_it_was(panel: PlotPanel, tmp_path: Path, run_qasync: Any) -> None:
    # Two topics (merged rows, empty cells for the other topic), NaNs, a short window.
    panel.model.set_window(10.0)
    panel.refresh()
    path = tmp_path / "window.csv"
    rows = run_qasync(export_csv(panel.model, path))
    text = path.read_text()
    assert rows == len(text.splitlines()) - 1 > 300
    assert text == reference_csv(panel)
    assert ",nan," in text and ",," in text


def test_cancel_stops_the_export_and_leaves_no_file(
    panel: PlotPanel, tmp_path: Path, run_qasync: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(export, "CHUNK_ROWS", 500)
    cancel = threading.Event()
    chunks = 0
    original = export.format_rows

    def format_rows(*args: Any) -> str:
        nonlocal chunks
        chunks += 1
        if chunks == 2:
            assert cancel.wait(5)  # hold the second chunk until the user cancels
        return original(*args)

    monkeypatch.setattr(export, "format_rows", format_rows)
    progress: list[float] = []

    def on_progress(fraction: float) -> None:
        progress.append(fraction)
        cancel.set()  # the user cancels after the first chunk

    path = tmp_path / "cancelled.csv"
    with pytest.raises(ExportCancelled):
        run_qasync(export_csv(panel.model, path, on_progress, cancel))
    # Stopped between chunks, not at the end: before the second chunk or after it
    # (the worker may see the cancel before it starts the second one).
    assert 1 <= chunks <= 2
    assert progress and progress[-1] < 1.0
    assert list(tmp_path.iterdir()) == []  # neither the file nor a partial one


def test_cancelling_the_task_leaves_no_file(
    panel: PlotPanel, tmp_path: Path, run_qasync: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(export, "CHUNK_ROWS", 500)
    started = threading.Event()
    original = export.format_rows

    def format_rows(*args: Any) -> str:
        started.set()
        return original(*args)

    monkeypatch.setattr(export, "format_rows", format_rows)
    path = tmp_path / "task.csv"

    async def scenario() -> None:
        task = asyncio.ensure_future(export_csv(panel.model, path))
        await until(started.is_set, what="export started")
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    run_qasync(scenario())
    assert list(tmp_path.iterdir()) == []


def test_panel_export_shows_progress_and_can_be_cancelled(
    panel: PlotPanel, tmp_path: Path, run_qasync: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(export, "CHUNK_ROWS", 500)
    hold = threading.Event()
    original = export.format_rows

    def format_rows(*args: Any) -> str:
        assert hold.wait(5)
        return original(*args)

    monkeypatch.setattr(export, "format_rows", format_rows)

    async def scenario() -> None:
        done = tmp_path / "done.csv"
        hold.set()
        panel.exporter.export("csv", str(done))
        assert panel.toolbar.cancel_export_button.isVisible()
        await until(lambda: panel.toolbar.status.text() == "6000 rows exported", what="export done")
        assert panel.exporter.fraction == 1.0
        assert not panel.toolbar.cancel_export_button.isVisible()
        assert done.read_text() == reference_csv(panel)
        hold.clear()
        cancelled = tmp_path / "cancelled.csv"
        panel.exporter.export("csv", str(cancelled))
        assert panel.toolbar.status.text() == "exporting 0%"
        panel.toolbar.cancel_export_button.click()
        hold.set()
        await until(lambda: panel.toolbar.status.text() == "export cancelled", what="cancelled")
        assert not cancelled.exists() and not Path(str(cancelled) + ".part").exists()
        assert not panel.toolbar.cancel_export_button.isVisible()

    run_qasync(scenario())


def test_real_infinities_are_written_not_blanked(
    qtbot: QtBot, tmp_path: Path, run_qasync: Any
) -> None:
    store = TelemetryStore(CAT, history=60)
    area = PlotArea(store, CAT)
    area.set_live(False)
    qtbot.addWidget(area)
    fields = CAT.telemetry["powerStatus"].fields
    for i, v in enumerate([1.0, math.inf, -math.inf, math.nan, 2.0]):
        message = dict.fromkeys(fields, 0.0)
        message["motorVoltage"] = v
        store.on_telemetry(Received("powerStatus", message, 1000.0 + i * 0.05, "telemetry"))
    panel = area.add_panel(PanelLayout(signals=["powerStatus.motorVoltage"], window=None))
    panel.refresh()
    path = tmp_path / "inf.csv"
    assert run_qasync(export_csv(panel.model, path)) == 5
    cells = [line.split(",")[1] for line in path.read_text().splitlines()[1:]]
    assert cells == ["1.00", "inf", "-inf", "nan", "2.00"]  # volts at 0.01 V
