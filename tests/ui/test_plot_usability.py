"""Plot panels as an engineer uses them in the first hour (issue 17): gaps,
names, legends, compact toolbars, export names, units, pause all, next panel."""

from __future__ import annotations

import csv
import math
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QPoint, QPointF, QSettings, Qt, QTimer
from PySide6.QtGui import QColor, QImage
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QFileDialog, QMenu, QToolButton, QWidget
from pytestqt.qtbot import QtBot

from m2gui.model import load_catalogue
from m2gui.model.plot_layout import DEFAULT_LAYOUT, PanelLayout
from m2gui.model.session import Session
from m2gui.model.telemetry import TelemetryStore
from m2gui.net import Received
from m2gui.sim import ControllerSimulator
from m2gui.ui.plots import exporter
from m2gui.ui.plots.area import PlotArea
from m2gui.ui.plots.panel import PlotPanel

from .conftest import until

CAT = load_catalogue()
PERIOD = CAT.telemetry_period
#: No sample for this long is a gap: five telemetry periods.
GAP = 5 * PERIOD
POWER = [
    "powerStatus.motorVoltage",
    "powerStatus.motorCurrent",
    "powerStatus.commVoltage",
    "powerStatus.commCurrent",
]


def feed(
    store: TelemetryStore,
    topic: str,
    n: int,
    t0: float,
    value: Callable[[int, int], float] = lambda i, k: 1.0,
) -> float:
    """``n`` samples of ``topic`` every telemetry period from ``t0``; return the next time."""
    fields = CAT.telemetry[topic].fields
    for i in range(n):
        message = {
            name: [value(i, k) for k in range(spec.width)] if spec.is_array else value(i, 0)
            for name, spec in fields.items()
        }
        store.on_telemetry(Received(topic, message, t0 + i * PERIOD, "telemetry"))
    return t0 + n * PERIOD


@pytest.fixture
def settings(tmp_path: Path) -> QSettings:
    return QSettings(str(tmp_path / "m2gui.ini"), QSettings.Format.IniFormat)


@pytest.fixture
def area(qtbot: QtBot, settings: QSettings) -> PlotArea:
    store = TelemetryStore(CAT, history=600)
    widget = PlotArea(store, CAT, settings=settings)
    widget.set_live(False)  # tests drive refresh themselves
    widget.resize(900, 550)
    qtbot.addWidget(widget)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


def settle(area: PlotArea) -> None:
    """Let the layouts settle, then draw every panel."""
    QApplication.processEvents()
    area.refresh()
    QApplication.processEvents()


def choose(qtbot: QtBot, button: QToolButton, *path: str) -> None:
    """Click ``button`` and pick ``path`` in its menu (submenus by title), as a user would."""

    def pick() -> None:
        menu = QApplication.activePopupWidget()
        assert isinstance(menu, QMenu), "no menu opened"
        for i, text in enumerate(path):
            action = next((a for a in menu.actions() if a.text() == text), None)
            assert action is not None, f"{text!r} not in {[a.text() for a in menu.actions()]}"
            if i + 1 < len(path):
                sub = action.menu()
                assert isinstance(sub, QMenu)
                sub.aboutToShow.emit()
                menu = sub
            else:  # Qt closes the menus, then triggers the action
                popup = QApplication.activePopupWidget()
                while popup is not None:
                    popup.close()
                    popup = QApplication.activePopupWidget()
                action.trigger()

    QTimer.singleShot(0, pick)
    QTest.mouseClick(button, Qt.MouseButton.LeftButton)


def pixel_of(panel: PlotPanel, x: float, y: float | None = None) -> QPoint:
    """The plot widget's pixel showing view coordinates (x, y); y: mid-height if None."""
    if y is None:
        y = sum(panel.view.viewRange()[1]) / 2
    scene = panel.view.mapViewToScene(QPointF(x, y))
    return QPoint(panel.plot.mapFromScene(scene))


def has_colour(image: QImage, column: int, colour: QColor) -> bool:
    target = colour.rgb()
    return any(image.pixel(column, row) == target for row in range(image.height()))


# ----------------------------------------------------------------------
# Gaps
# ----------------------------------------------------------------------
def test_a_gap_in_the_telemetry_is_drawn_as_a_gap(area: PlotArea) -> None:
    store = area.store
    t = feed(store, "powerStatus", 200, 1000.0)  # 10 s
    feed(store, "powerStatus", 200, t + 10.0)  # nothing for 10 s, then 10 s more
    panel = area.add_panel(PanelLayout(signals=["powerStatus.motorVoltage"], window=None))
    settle(area)
    item = panel.groups["powerStatus"].item
    assert len(item._polylines[0]) == 2  # two pieces
    image = panel.plot.grab().toImage()
    colour = panel.colors[panel.model.signals[0]]
    before = pixel_of(panel, 1005.0 - panel.x_offset, 1.0).x()
    inside = pixel_of(panel, t + 5.0 - panel.x_offset, 1.0).x()
    after = pixel_of(panel, t + 15.0 - panel.x_offset, 1.0).x()
    assert has_colour(image, before, colour) and has_colour(image, after, colour)
    assert not has_colour(image, inside, colour)  # no line across the gap


def test_a_short_delay_is_not_a_gap_and_a_lone_sample_is_a_dot(area: PlotArea) -> None:
    store = area.store
    t = feed(store, "powerStatus", 100, 1000.0)
    t = feed(store, "powerStatus", 100, t + 3 * PERIOD)  # late, but within 5 periods
    t = feed(store, "powerStatus", 1, t + 1.0)  # alone between two gaps
    feed(store, "powerStatus", 100, t + 1.0)
    panel = area.add_panel(PanelLayout(signals=["powerStatus.motorVoltage"], window=None))
    settle(area)
    item = panel.groups["powerStatus"].item
    assert [line.size() for line in item._polylines[0]] == [200, 100]
    dots = item._dots[0]
    assert dots is not None and dots.size() == 1


def test_a_gap_is_cut_in_a_decimated_view_too(area: PlotArea) -> None:
    store = area.store
    t = feed(store, "axialForce", 4000, 1000.0, lambda i, k: float(i % 50 + k))
    feed(store, "axialForce", 4000, t + 60.0, lambda i, k: float(i % 50 + k))
    panel = area.add_panel(
        PanelLayout(signals=[f"axialForce.measured[{i}]" for i in range(3)], window=None)
    )
    settle(area)
    item = panel.groups["axialForce"].item
    for lines in item._polylines:
        assert len(lines) == 2
        first_end = lines[0].at(lines[0].size() - 1).x() + panel.x_offset
        second_start = lines[1].at(0).x() + panel.x_offset
        assert first_end < t <= t + 60.0 <= second_start + 1e-9
        assert lines[0].size() + lines[1].size() < 2000  # drawn from the pyramid


def test_many_gaps_make_one_path_per_curve_not_thousands_of_polylines(area: PlotArea) -> None:
    store = area.store
    t = 1000.0
    for _ in range(100):  # bursts of 3 samples, 0.5 s apart: 100 gaps
        t = feed(store, "powerStatus", 3, t) + 0.5
    panel = area.add_panel(PanelLayout(signals=POWER[:1], window=None))
    settle(area)
    item = panel.groups["powerStatus"].item
    assert item._polylines == [[]]  # too many pieces for polylines
    path = item._paths[0]
    assert path is not None and path.elementCount() == 300
    colour = panel.colors[panel.model.signals[0]]
    image = panel.plot.grab().toImage()
    burst = 1000.0 + 50 * (3 * PERIOD + 0.5)
    inside = pixel_of(panel, burst + PERIOD - panel.x_offset).x()
    in_gap = pixel_of(panel, burst + 2 * PERIOD + 0.3 - panel.x_offset).x()
    assert has_colour(image, inside, colour) and not has_colour(image, in_gap, colour)


def test_a_disconnection_is_a_gap_in_every_panel(
    run_qasync: Any, qtbot: QtBot, settings: QSettings
) -> None:
    async def scenario() -> None:
        async with ControllerSimulator(command_port=0, telemetry_port=0, all_telemetry=True) as sim:
            session = Session("127.0.0.1", sim.command_port, sim.telemetry_port, history=60)
            area = PlotArea(session.telemetry, session.catalogue, settings=settings)
            qtbot.addWidget(area)
            area.resize(900, 550)
            area.show()
            panels = [
                area.add_panel(PanelLayout(signals=["axialForce.measured[0]"], window=None)),
                area.add_panel(PanelLayout(signals=["powerStatus.motorVoltage"], window=None)),
            ]
            store = session.telemetry

            def samples(topic: str) -> int:
                buffer = store.buffer(topic)
                return buffer.total if buffer is not None else 0

            session.connect()
            await until(
                lambda: samples("axialForce") >= 5 and samples("powerStatus") >= 5,
                timeout=10,
                what="telemetry",
            )
            await session.disconnect()
            stopped = max(b.last_time for b in store.buffers.values())
            await until(lambda: time.time() > stopped + 3 * GAP, what="a gap")
            before = {t: b.total for t, b in store.buffers.items()}
            session.connect()
            await until(
                lambda: all(store.buffers[t].total >= n + 3 for t, n in before.items()),
                timeout=10,
                what="telemetry again",
            )
            await session.disconnect()
            area.refresh()
            for panel, topic in zip(panels, ["axialForce", "powerStatus"], strict=True):
                lines = panel.groups[topic].item._polylines[0]
                assert len(lines) == 2, f"{topic}: {[p.size() for p in lines]}"
                end = lines[0].at(lines[0].size() - 1).x() + panel.x_offset
                start = lines[1].at(0).x() + panel.x_offset
                assert end <= stopped < start
            area.close()

    run_qasync(scenario())


def export_csv_as_user(panel: PlotPanel, path: Path, run_qasync: Any) -> list[list[str]]:
    """Export the panel's CSV to ``path`` (as the file dialog does) and read it back."""

    async def scenario() -> None:
        panel.exporter.export("csv", str(path))
        await until(lambda: "exported" in panel.toolbar.status.text(), what="export")

    run_qasync(scenario())
    with path.open() as f:
        return list(csv.reader(f))


def test_csv_marks_a_gap_with_a_row_of_empty_cells(
    area: PlotArea, run_qasync: Any, tmp_path: Path
) -> None:
    store = area.store
    t = feed(store, "powerStatus", 10, 1000.0, lambda i, k: i + 0.123)
    feed(store, "powerStatus", 10, t + 2.0, lambda i, k: i + 0.123)
    panel = area.add_panel(PanelLayout(signals=["powerStatus.motorVoltage"], window=None))
    settle(area)
    rows = export_csv_as_user(panel, tmp_path / "gap.csv", run_qasync)
    assert len(rows) == 1 + 20 + 1
    gap = rows[11]
    assert gap[1] == ""  # the gap row: a time, no value
    assert float(gap[0]) == pytest.approx(1000.0 + 9 * PERIOD + PERIOD)
    assert float(rows[10][0]) < float(gap[0]) < float(rows[12][0])
    assert rows[0] == ["time (s)", "powerStatus.motorVoltage (V)"]
    assert [r[1] for r in rows[1:3]] == ["0.12", "1.12"]  # volts at 0.01 V
    assert all(r[1] for r in rows[1:11] + rows[12:])
    assert panel.model.visible_table().gaps == 1


# ----------------------------------------------------------------------
# Names
# ----------------------------------------------------------------------
def test_double_click_the_title_to_rename_the_panel(
    area: PlotArea, qtbot: QtBot, tmp_path: Path
) -> None:
    panel = area.add_panel(PanelLayout(signals=POWER, title="Power"))
    settle(area)
    toolbar = panel.toolbar
    QTest.mouseDClick(toolbar.title_label, Qt.MouseButton.LeftButton)
    editor = toolbar.title.editor
    assert editor.isVisible() and not toolbar.title_label.isVisible()
    assert editor.text() == "Power" and editor.selectedText() == "Power"
    QTest.keyClicks(editor, "Motor power")  # replaces the selected name
    QTest.keyClick(editor, Qt.Key.Key_Return)
    assert panel.model.title == "Motor power"
    assert not editor.isVisible() and toolbar.title_label.isVisible()
    assert toolbar.title_label.full_text() == "Motor power  (4 curves)"
    # Saved in the layout, and back when it is loaded.
    path = tmp_path / "layout.json"
    area.save_layout(str(path))
    area.apply_layout(DEFAULT_LAYOUT)
    assert area.load_layout(str(path))
    assert area.panels[0].model.title == "Motor power"
    assert area.panels[0].toolbar.title_label.full_text().startswith("Motor power")


def test_escape_keeps_the_old_name(area: PlotArea, qtbot: QtBot) -> None:
    panel = area.add_panel(PanelLayout(signals=POWER, title="Power"))
    settle(area)
    changes: list[str] = []
    panel.model.changed.connect(changes.append)
    QTest.mouseDClick(panel.toolbar.title_label, Qt.MouseButton.LeftButton)
    editor = panel.toolbar.title.editor
    QTest.keyClicks(editor, "Something else")
    QTest.keyClick(editor, Qt.Key.Key_Escape)
    assert panel.model.title == "Power" and changes == []
    assert not editor.isVisible()
    # The "more" menu renames too; a multi-line paste becomes one line.
    choose(qtbot, panel.toolbar.more_button, "Rename panel…")
    assert editor.isVisible()
    editor.setText("  Line one\n  line two ")
    QTest.keyClick(editor, Qt.Key.Key_Enter)
    assert panel.model.title == "Line one line two" and changes == ["title"]


# ----------------------------------------------------------------------
# Legends
# ----------------------------------------------------------------------
def four_panels(area: PlotArea) -> list[PlotPanel]:
    area.apply_layout(DEFAULT_LAYOUT)
    area.add_panel(PanelLayout(signals=[f"tangentForce.measured[{i}]" for i in range(6)]))
    t = 1000.0
    for topic in ("axialForce", "powerStatus", "temperature", "tangentForce"):
        feed(area.store, topic, 400, t, lambda i, k: math.sin(i / 20 + k))
    settle(area)
    return area.panels


def panel_rect(panel: PlotPanel, widget: QWidget) -> Any:
    return widget.rect().translated(widget.mapTo(panel, QPoint(0, 0)))


def test_the_legend_fits_beside_the_plot_with_four_panels(area: PlotArea) -> None:
    panels = four_panels(area)
    assert len(panels) == 4
    for panel in panels[1:]:  # the 72-curve panel hides its legend
        legend = panel.legend
        assert legend.isVisible()
        assert legend.count() == len(panel.model.signals)
        # Never over the curves: the legend and the plot's drawing area are apart.
        view = panel.plot.mapFromScene(panel.view.sceneBoundingRect()).boundingRect()
        drawing = view.translated(panel.plot.viewport().mapTo(panel, QPoint(0, 0)))
        assert drawing.width() > 100 and drawing.height() > 40
        assert panel_rect(panel, legend).left() >= drawing.right()
    power = panels[1]
    viewport = power.legend.viewport().rect()
    for i in range(4):  # every entry whole, the third included
        item = power.legend.item(i)
        assert viewport.contains(power.legend.visualItemRect(item))
        assert item.text() == POWER[i].split(".")[1]  # the topic, common to all, left out
        assert item.toolTip().startswith(POWER[i])
    temperatures = panels[2].legend  # 12 entries in a short panel: it scrolls
    last = temperatures.item(11)
    temperatures.scrollToItem(last)
    assert temperatures.viewport().rect().contains(temperatures.visualItemRect(last))


def test_pictures_show_the_legend(area: PlotArea, tmp_path: Path) -> None:
    panel = area.add_panel(PanelLayout(signals=POWER, window=None))
    feed(area.store, "powerStatus", 100, 1000.0)
    settle(area)
    panel.exporter.export("png", str(tmp_path / "p.png"))
    picture = QImage(str(tmp_path / "p.png"))
    assert picture.width() == panel.figure.width() > panel.plot.width()
    panel.exporter.export("svg", str(tmp_path / "p.svg"))
    svg = (tmp_path / "p.svg").read_text()
    assert "polyline" in svg and "motorVoltage" in svg


# ----------------------------------------------------------------------
# Compact toolbars
# ----------------------------------------------------------------------
def test_a_panel_is_usable_450_px_wide(area: PlotArea, qtbot: QtBot) -> None:
    area.resize(450, 400)
    panel = area.add_panel(PanelLayout(signals=POWER, title="Axial forces, measured, ring A"))
    feed(area.store, "powerStatus", 100, 1000.0)
    settle(area)
    toolbar = panel.toolbar
    assert toolbar.minimumSizeHint().width() <= 450
    assert panel.width() <= 450
    controls: list[QWidget] = [
        toolbar.window_box,
        toolbar.pause_button,
        toolbar.auto_y_button,
        toolbar.cross_button,
        toolbar.export_button,
        toolbar.more_button,
        toolbar.close_button,
    ]
    rects = [panel_rect(panel, w) for w in controls]
    for widget, rect in zip(controls, rects, strict=True):
        assert widget.isVisible() and widget.toolTip()
        assert panel.rect().contains(rect), f"{widget.toolTip()} is cut off"
    for i, rect in enumerate(rects):
        assert not any(rect.intersects(other) for other in rects[i + 1 :])
    title = toolbar.title_label
    assert title.isVisible() and title.width() >= 40 and title.is_elided()
    assert "Axial forces, measured, ring A" in title.toolTip()
    # The controls work at that size.
    QTest.mouseClick(toolbar.pause_button, Qt.MouseButton.LeftButton)
    assert panel.model.paused and toolbar.pause_button.toolTip().startswith("Resume")
    QTest.mouseClick(toolbar.pause_button, Qt.MouseButton.LeftButton)
    assert not panel.model.paused
    QTest.mouseClick(toolbar.auto_y_button, Qt.MouseButton.LeftButton)
    assert not panel.model.auto_y
    choose(qtbot, toolbar.more_button, "Time axis: local clock time")
    assert panel.model.time_mode == "clock"
    choose(qtbot, toolbar.more_button, "Legend")
    assert panel.model.legend is False and not panel.legend.isVisible()
    choose(qtbot, toolbar.more_button, "Remove curves", "Remove powerStatus.commCurrent")
    assert len(panel.model.signals) == 3


# ----------------------------------------------------------------------
# Export names and folder
# ----------------------------------------------------------------------
def test_export_proposes_the_title_and_time_range_in_the_remembered_folder(
    area: PlotArea,
    qtbot: QtBot,
    settings: QSettings,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    run_qasync: Any,
) -> None:
    documents = tmp_path / "Documents"
    documents.mkdir()
    monkeypatch.setattr(exporter, "default_export_folder", lambda: documents)
    start = time.mktime((2026, 11, 30, 14, 2, 5, 0, 0, -1))
    feed(area.store, "powerStatus", 12000, start)  # ten minutes
    panel = area.add_panel(
        PanelLayout(signals=["powerStatus.motorVoltage"], window=None, title="Power: B/C?")
    )
    settle(area)

    def open_dialog() -> QFileDialog:
        shown = [d for d in panel.findChildren(QFileDialog) if d.isVisible()]
        assert len(shown) == 1
        return shown[0]

    choose(qtbot, panel.toolbar.export_button, "Visible data as CSV…")
    dialog = open_dialog()
    name = "Power- B-C- 2026-11-30 14-02-05 to 14-12-04.csv"
    assert [Path(f) for f in dialog.selectedFiles()] == [documents / name]
    assert Path(dialog.directory().absolutePath()) == documents != Path.cwd()
    # The user picks another folder: the file goes there, and the folder is remembered.
    chosen = tmp_path / "runs"
    chosen.mkdir()

    async def save() -> None:
        dialog.selectFile(str(chosen / name))
        dialog.accept()
        await until(lambda: (chosen / name).exists(), what="CSV written")

    run_qasync(save())
    assert settings.value(exporter.EXPORT_FOLDER_KEY) == str(chosen)
    choose(qtbot, panel.toolbar.export_button, "Picture as PNG…")
    again = open_dialog()
    assert [Path(f) for f in again.selectedFiles()] == [chosen / name.replace(".csv", ".png")]
    again.reject()


def test_the_default_export_folder_is_documents_or_home(settings: QSettings) -> None:
    folder = exporter.default_export_folder()
    assert folder.is_dir() and folder in (Path.home() / "Documents", Path.home())
    assert exporter.export_folder(settings) == folder
    settings.setValue(exporter.EXPORT_FOLDER_KEY, "/no/such/folder")
    assert exporter.export_folder(settings) == folder  # a vanished folder is forgotten


# ----------------------------------------------------------------------
# Units and precision
# ----------------------------------------------------------------------
def test_the_cursor_reads_values_with_unit_and_precision(area: PlotArea, qtbot: QtBot) -> None:
    t = feed(area.store, "temperature", 100, 1000.0, lambda i, k: 21.0 + i / 1000 + k / 7)
    feed(area.store, "temperature", 100, t + 10.0, lambda i, k: 22.0)
    feed(area.store, "axialForce", 100, 1000.0, lambda i, k: 123.456 + k)
    panel = area.add_panel(
        PanelLayout(signals=["temperature.ring[1]", "axialForce.measured[2]"], window=None)
    )
    settle(area)
    QTest.mouseClick(panel.toolbar.cross_button, Qt.MouseButton.LeftButton)
    assert panel.crosshair.isVisible()
    viewport = panel.plot.viewport()
    at_sample = pixel_of(panel, 1000.0 + 50 * PERIOD - panel.x_offset)
    QTest.mouseMove(viewport, at_sample)
    qtbot.waitUntil(lambda: "degC" in panel.readout.toPlainText(), timeout=2000)
    text = panel.readout.toPlainText()
    assert "temperature.ring[1]" in text and "21.19 degC" in text  # 0.01 degC
    assert "125.5 N" in text  # 0.1 N
    in_gap = pixel_of(panel, t + 5.0 - panel.x_offset)
    QTest.mouseMove(viewport, in_gap)
    qtbot.waitUntil(lambda: "no samples here" in panel.readout.toPlainText(), timeout=2000)


def test_csv_headers_carry_units_and_values_the_catalogue_precision(
    area: PlotArea, tmp_path: Path, run_qasync: Any
) -> None:
    feed(area.store, "position", 5, 1000.0, lambda i, k: 1.23456 + i)
    feed(area.store, "temperature", 5, 1000.01, lambda i, k: 20.0 + 1 / 3)
    panel = area.add_panel(PanelLayout(signals=["position.x", "temperature.ring[0]"], window=None))
    settle(area)
    rows = export_csv_as_user(panel, tmp_path / "units.csv", run_qasync)
    unit = CAT.telemetry["position"].fields["x"].unit
    assert rows[0] == ["time (s)", f"position.x ({unit})", "temperature.ring[0] (degC)"]
    assert rows[1][1:] == ["1.23", ""] and rows[2][1:] == ["", "20.33"]


# ----------------------------------------------------------------------
# Pause all, next panel
# ----------------------------------------------------------------------
def test_pause_all_and_select_panel(area: PlotArea) -> None:
    assert area.select_panel(1) is None and not area.all_paused  # no panels: nothing happens
    panels = [area.add_panel(PanelLayout(signals=POWER)) for _ in range(3)]
    feed(area.store, "powerStatus", 50, 1000.0)
    settle(area)
    area.pause_all(True)
    assert area.all_paused
    assert all(p.model.paused and p.toolbar.pause_button.text() == "Resume" for p in panels)
    area.pause_all(False)
    assert not any(p.model.paused for p in panels)
    assert area.current is panels[2]
    assert area.select_panel(1) is panels[0]  # wraps around
    assert area.current is panels[0] and area.window().focusWidget() is panels[0]
    assert panels[0].toolbar.title_label.font().underline()
    assert not panels[2].toolbar.title_label.font().underline()
    assert area.select_panel(-1) is panels[2]
    assert area.select_panel(-1) is panels[1]
    assert area.window().focusWidget() is panels[1]
    area.plot(["powerStatus.commVoltage", "position.x"])  # new curves go to the selected panel
    assert "position.x" in [s.name for s in panels[1].model.signals]
