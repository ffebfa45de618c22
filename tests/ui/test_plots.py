"""Live plots against the real simulator and real widgets (offscreen)."""

from __future__ import annotations

import asyncio
import csv
import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PySide6.QtCore import QMimeData, QPointF, Qt
from PySide6.QtGui import QDropEvent, QImage
from PySide6.QtWidgets import QToolButton
from pytestqt.qtbot import QtBot

from m2gui.model import load_catalogue
from m2gui.model.plot_layout import DEFAULT_LAYOUT, PanelLayout, PlotLayout
from m2gui.model.session import Session
from m2gui.model.signals import Signal
from m2gui.model.telemetry import TelemetryStore
from m2gui.net import Received
from m2gui.sim import ControllerSimulator
from m2gui.ui.plots.area import PlotArea
from m2gui.ui.plots.browser import SignalBrowser
from m2gui.ui.plots.drop import SIGNAL_MIME
from m2gui.ui.plots.export import export_csv, export_png, export_svg

from .conftest import until

CAT = load_catalogue()


def feed_axial(store: TelemetryStore, n: int, t0: float = 1000.0, dt: float = 0.05) -> None:
    fields = CAT.telemetry["axialForce"].fields
    for i in range(n):
        message = {f: [float(i + k) for k in range(72)] for f in fields}
        message["measured"] = [math.sin(i / 10 + k) * 100 + k for k in range(72)]
        store.on_telemetry(Received("axialForce", message, t0 + i * dt, "telemetry"))


def feed_tangent(store: TelemetryStore, n: int, t0: float = 1000.0, dt: float = 0.05) -> None:
    fields = CAT.telemetry["tangentForce"].fields
    for i in range(n):
        message = {f: [float(-i - k) for k in range(6)] for f in fields}
        store.on_telemetry(Received("tangentForce", message, t0 + 0.01 + i * dt, "telemetry"))


@pytest.fixture
def area(qtbot: QtBot) -> PlotArea:
    store = TelemetryStore(CAT, history=600)
    widget = PlotArea(store, CAT)
    widget.set_live(False)  # tests drive refresh themselves
    widget.resize(1280, 800)
    qtbot.addWidget(widget)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


def distinct_colours(image: QImage, step: int = 3) -> int:
    return len(
        {
            image.pixel(x, y)
            for x in range(0, image.width(), step)
            for y in range(0, image.height(), step)
        }
    )


def test_curves_added_through_the_api(area: PlotArea) -> None:
    panel = area.add_panel()
    added = panel.model.add_signal_names(
        ["axialForce.measured[12]", "powerStatus.motorVoltage", "nope.x", "axialForce.measured[12]"]
    )
    assert [s.name for s in added] == ["axialForce.measured[12]", "powerStatus.motorVoltage"]
    assert [s.name for s in panel.model.signals] == [
        "axialForce.measured[12]",
        "powerStatus.motorVoltage",
    ]
    labels = [c.label for c in panel.model.curves()]
    assert labels == ["axialForce.measured[12] B13", "powerStatus.motorVoltage"]
    colours = {c.name() for c in panel.colors.values()}
    assert len(colours) == 2
    assert panel.item.getAxis("left").labelText == "N, V"


def test_78_curves_render_with_distinct_colours(area: PlotArea) -> None:
    feed_axial(area.store, 400)
    feed_tangent(area.store, 400)
    panel = area.add_panel(
        PanelLayout(
            signals=[f"axialForce.measured[{i}]" for i in range(72)]
            + [f"tangentForce.measured[{i}]" for i in range(6)],
            window=None,
        )
    )
    assert len(panel.model.curves()) == 78
    assert len({panel.colors[s].name() for s in panel.model.signals}) == 78
    assert panel.refresh()
    image = panel.plot.grab().toImage()
    assert distinct_colours(image) > 40  # many curves drawn, not a blank plot
    assert not panel.legend.isVisible()  # 78 entries would take room
    assert panel.legend.count() == 0  # and they are not even built
    panel.toolbar.legend_action.trigger()
    assert panel.model.legend is True
    assert panel.legend.isVisible() and panel.legend.count() == 78


def test_browser_double_click_plot_selected_and_drag(area: PlotArea, qtbot: QtBot) -> None:
    browser = SignalBrowser(CAT)
    qtbot.addWidget(browser)
    browser.plot_requested.connect(area.plot)
    browser.search.setText("motorCurrent")
    proxy = browser.proxy
    topics = [proxy.index(r, 0).data() for r in range(proxy.rowCount())]
    assert topics == ["powerStatusRaw", "powerStatus"]
    power = proxy.index(1, 0)
    leaf = proxy.index(0, 0, power)
    assert leaf.data() == "motorCurrent"
    browser._double_clicked(leaf)
    assert area.current is not None
    assert [s.name for s in area.current.model.signals] == ["powerStatus.motorCurrent"]
    browser.search.setText("B13")
    selection = browser.tree.selectionModel()
    for r in range(proxy.rowCount()):
        selection.select(
            proxy.index(r, 0), selection.SelectionFlag.Select | selection.SelectionFlag.Rows
        )
    names = browser.selected_names()
    assert "axialForce.measured[12]" in names and "axialEncoderPositions.position[12]" in names
    assert all(n.endswith("[12]") for n in names)
    browser.plot_selected()
    assert "axialForce.lutGravity[12]" in [s.name for s in area.current.model.signals]
    # Dragging a whole field gives every element's name.
    browser.search.setText("")
    axial = browser.model.findItems("axialForce")[0]
    measured = axial.child(3)
    assert measured.text() == "measured"
    mime = browser.model.mimeData([measured.index()])
    names = bytes(mime.data(SIGNAL_MIME).data()).decode().split()
    assert names == [f"axialForce.measured[{i}]" for i in range(72)]


def test_drop_adds_curves(area: PlotArea) -> None:
    panel = area.add_panel()
    mime = QMimeData()
    mime.setData(SIGNAL_MIME, b"temperature.ring[0]\ntemperature.ring[1]")
    event = QDropEvent(
        QPointF(50, 50),
        Qt.DropAction.CopyAction,
        mime,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )
    panel.plot.dropEvent(event)
    assert [s.name for s in panel.model.signals] == ["temperature.ring[0]", "temperature.ring[1]"]


def test_window_presets_and_live_range(area: PlotArea) -> None:
    feed_axial(area.store, 2000)  # 100 s of data
    panel = area.add_panel(PanelLayout(signals=["axialForce.measured[0]"], window=10.0))
    panel.refresh()
    x0, x1 = panel.view.viewRange()[0]
    newest = 1000.0 + 1999 * 0.05
    assert x1 + panel.x_offset == pytest.approx(newest)
    assert (x0, x1) == (pytest.approx(-10.0), 0.0)  # relative: the axis stays put
    assert x1 - x0 == pytest.approx(10.0)
    panel.toolbar.window_box.setCurrentText("1 min")
    panel.refresh()
    x0, x1 = panel.view.viewRange()[0]
    assert x1 - x0 == pytest.approx(60.0)
    panel.toolbar.window_box.setCurrentText("all")
    panel.refresh()
    x0, x1 = panel.view.viewRange()[0]
    assert x0 + panel.x_offset == pytest.approx(1000.0)
    assert not panel.refresh()  # nothing changed: no redraw
    panel.toolbar.time_actions["clock"].trigger()
    assert panel.model.time_mode == "clock"
    panel.refresh()
    x0, x1 = panel.view.viewRange()[0]
    assert x0 + panel.origin == pytest.approx(1000.0)
    assert x1 + panel.origin == pytest.approx(newest)
    assert panel.axis.tickStrings([x1], 1, 10)[0].count(":") == 2


def test_pause_freezes_the_view_not_the_buffer(area: PlotArea) -> None:
    feed_axial(area.store, 400)
    panel = area.add_panel(PanelLayout(signals=["axialForce.measured[0]"], window=10.0))
    panel.refresh()
    frozen = panel.view.viewRange()[0]
    frozen_offset = panel.x_offset
    panel.toolbar.pause_button.click()
    assert panel.model.paused and panel.toolbar.pause_button.text() == "Resume"
    buffer = area.store.buffer("axialForce")
    assert buffer is not None
    before = buffer.total
    feed_axial(area.store, 100, t0=1000.0 + 400 * 0.05)
    assert buffer.total == before + 100
    panel.refresh()
    assert panel.view.viewRange()[0] == frozen
    assert panel.x_offset == frozen_offset
    visible = panel.model.visible_range()
    assert visible is not None and visible[1] == pytest.approx(1000.0 + 399 * 0.05)
    panel.toolbar.pause_button.click()
    panel.refresh()
    assert panel.x_offset == pytest.approx(1000.0 + 499 * 0.05)  # following live data again


def test_manual_zoom_pauses(area: PlotArea) -> None:
    feed_axial(area.store, 400)
    panel = area.add_panel(PanelLayout(signals=["axialForce.measured[0]"], window=10.0))
    panel.refresh()
    panel.view.sigRangeChangedManually.emit([True, False])
    assert panel.model.paused and panel.model.auto_y


def test_auto_y_off_keeps_the_y_range(area: PlotArea) -> None:
    feed_axial(area.store, 400)
    panel = area.add_panel(PanelLayout(signals=["axialForce.measured[5]"], window=None))
    panel.refresh()
    lo, hi = panel.view.viewRange()[1]
    assert lo < -90 and hi > 100  # sin * 100 + 5
    panel.toolbar.auto_y_button.click()
    panel.view.setYRange(0, 1, padding=0)
    assert not panel.model.auto_y
    assert panel.model.to_layout().y_range == (0.0, 1.0)  # the model follows the view
    feed_axial(area.store, 10, t0=1000.0 + 400 * 0.05)
    panel.refresh()
    assert panel.view.viewRange()[1] == pytest.approx([0, 1])


def test_crosshair_reads_every_curve(area: PlotArea) -> None:
    feed_axial(area.store, 100)
    panel = area.add_panel(
        PanelLayout(signals=["axialForce.measured[3]", "axialForce.applied[1]"], window=None)
    )
    panel.refresh()
    panel.toolbar.cross_button.click()
    assert panel.crosshair.isVisible()
    values = {c.signal.name: v for c, v in panel.model.values_at(1000.0 + 42 * 0.05 + 0.001)}
    assert values["axialForce.applied[1]"] == 43.0
    assert values["axialForce.measured[3]"] == pytest.approx(math.sin(4.2 + 3) * 100 + 3)
    scene_point = panel.view.mapViewToScene(QPointF(42 * 0.05 + 1000 - panel.x_offset, 0))
    panel._mouse_moved((scene_point,))
    assert "axialForce.applied[1] " in panel.readout.toPlainText()
    assert "43.0 N" in panel.readout.toPlainText()  # at the catalogue's precision


def test_remove_curve_and_clear(area: PlotArea) -> None:
    panel = area.add_panel(
        PanelLayout(
            signals=["axialForce.measured[0]", "axialForce.measured[1]", "powerStatus.commVoltage"]
        )
    )
    panel.toolbar.fill_curves_menu()
    menu = panel.toolbar.curves_menu
    actions = [a.text() for a in menu.actions() if a.text()]
    assert actions[0] == "Remove axialForce.measured[0] B1"
    menu.actions()[0].trigger()
    signals = panel.model.signals
    assert [s.name for s in signals] == ["axialForce.measured[1]", "powerStatus.commVoltage"]
    panel.model.remove_signal(Signal("powerStatus", "commVoltage"))
    assert "powerStatus" not in panel.groups
    panel.model.clear()
    assert panel.model.signals == [] and panel.groups == {}


def test_panels_added_and_removed(area: PlotArea) -> None:
    first = area.add_panel()
    second = area.add_panel()
    assert area.current is second
    area.plot(["position.x"])
    assert [s.name for s in second.model.signals] == ["position.x"]
    close = next(b for b in second.findChildren(QToolButton) if b.text() == "✕")
    close.click()
    assert area.panels == [first] and area.current is first


def test_csv_export_equals_the_buffer(area: PlotArea, tmp_path: Path, run_qasync: Any) -> None:
    feed_axial(area.store, 300)
    feed_tangent(area.store, 300)
    panel = area.add_panel(
        PanelLayout(
            signals=["axialForce.measured[0]", "axialForce.applied[71]", "tangentForce.applied[2]"],
            window=None,
        )
    )
    panel.refresh()
    path = tmp_path / "visible.csv"
    progress: list[float] = []
    rows = run_qasync(export_csv(panel.model, path, progress.append))
    assert rows == 600 and progress[-1] == 1.0
    with open(path) as f:
        table = list(csv.reader(f))
    assert table[0] == [
        "time (s)",
        "axialForce.measured[0] (N)",
        "axialForce.applied[71] (N)",
        "tangentForce.applied[2] (N)",
    ]
    axial = area.store.buffer("axialForce")
    tangent = area.store.buffer("tangentForce")
    assert axial is not None and tangent is not None
    axial_rows = [r for r in table[1:] if r[1] != ""]
    tangent_rows = [r for r in table[1:] if r[3] != ""]
    assert [float(r[0]) for r in axial_rows] == list(axial.times())
    assert [r[1] for r in axial_rows] == [  # forces at 0.1 N
        f"{v:.1f}" for v in axial.values()[:, axial.columns["measured"]][:, 0]
    ]
    assert [float(r[2]) for r in axial_rows] == list(
        axial.values()[:, axial.columns["applied"]][:, 71]
    )
    assert [float(r[3]) for r in tangent_rows] == list(
        tangent.values()[:, tangent.columns["applied"]][:, 2]
    )
    assert all(r[3] == "" for r in axial_rows) and all(r[1] == "" for r in tangent_rows)
    times = [float(r[0]) for r in table[1:]]
    assert times == sorted(times)


def test_png_and_svg_export(area: PlotArea, tmp_path: Path) -> None:
    feed_axial(area.store, 100)
    panel = area.add_panel(PanelLayout(signals=["axialForce.measured[0]"], window=None))
    panel.refresh()
    assert export_png(panel.plot, tmp_path / "p.png")
    assert QImage(str(tmp_path / "p.png")).width() > 100
    export_svg(panel.plot, tmp_path / "p.svg", "a title")
    svg = (tmp_path / "p.svg").read_text()
    assert svg.startswith("<?xml") and "<svg" in svg and "polyline" in svg
    assert "<title>a title</title>" in svg


def test_layout_round_trip(area: PlotArea, tmp_path: Path) -> None:
    area.apply_layout(DEFAULT_LAYOUT)
    area.panels[1].model.set_window(10.0)
    area.panels[1].model.set_time_mode("clock")
    area.panels[2].model.set_auto_y(False)
    area.panels[2].model.set_y_range((-5.0, 25.0))
    area.set_refresh_rate(20)
    path = tmp_path / "layout.json"
    area.save_layout(str(path))
    saved = area.to_layout()
    area.apply_layout(PlotLayout())
    assert area.panels == []
    assert area.load_layout(str(path))
    again = area.to_layout()
    assert again.refresh_hz == 20
    assert [p.signals for p in again.panels] == [p.signals for p in saved.panels]
    assert again.panels[1].window == 10.0 and again.panels[1].time_mode == "clock"
    assert again.panels[2].auto_y is False and again.panels[2].y_range == (-5.0, 25.0)
    assert area.panels[2].view.viewRange()[1] == pytest.approx([-5.0, 25.0])
    assert json.loads(path.read_text())["version"] == 1


def test_bad_layout_file_is_refused_clearly(
    area: PlotArea, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    area.apply_layout(DEFAULT_LAYOUT)
    path = tmp_path / "bad.json"
    path.write_text('{"panels": [{"signals": ["axialForce.measured[99]"]}]}')
    assert not area.load_layout(str(path))
    assert "panel 1" in caplog.text and "index beyond the 72 elements" in caplog.text
    assert len(area.panels) == 3  # unchanged
    for bad, reason in (
        ("not json", "not JSON"),
        ('{"x": 1}', "'panels' list"),
        ('{"panels": [], "refresh_hz": 0}', "refresh_hz"),
    ):
        with pytest.raises(ValueError, match=reason):
            PlotLayout.from_json(bad, CAT)


def test_data_appears_from_the_simulator(run_qasync: Any, qtbot: QtBot, tmp_path: Path) -> None:
    async def scenario() -> None:
        async with ControllerSimulator(command_port=0, telemetry_port=0, all_telemetry=True) as sim:
            session = Session("127.0.0.1", sim.command_port, sim.telemetry_port, history=60)
            area = PlotArea(session.telemetry, session.catalogue, refresh_hz=30)
            qtbot.addWidget(area)
            area.resize(1000, 600)
            area.show()
            panel = area.add_panel(
                PanelLayout(signals=[f"axialForce.measured[{i}]" for i in range(72)], window=10.0)
            )
            session.connect()
            await until(lambda: panel.frames >= 10, timeout=10, what="frames drawn")
            group = panel.groups["axialForce"]
            assert len(group.item._polylines) == 72 and group.item._polylines[0]
            assert panel.last_drawn_time > 0
            buffer = session.telemetry.buffer("axialForce")
            assert buffer is not None and buffer.count >= 10
            await until(lambda: "MiB" in area.memory.text(), what="memory shown")
            await session.disconnect()
            area.close()

    run_qasync(scenario())


def test_main_window_has_plots_and_signals(run_qasync: Any, tmp_path: Path, qtbot: QtBot) -> None:
    from PySide6.QtCore import QSettings

    from m2gui.ui.main_window import MainWindow

    async def scenario() -> None:
        session = Session()
        settings = QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat)
        window = MainWindow(session, settings)
        qtbot.addWidget(window)
        assert [p.title for p in window.plot_area.to_layout().panels] == [
            p.title for p in DEFAULT_LAYOUT.panels
        ]
        window.plot_area.panels[0].model.set_window(10.0)
        window.close()
        again = MainWindow(Session(), settings)
        qtbot.addWidget(again)
        assert again.plot_area.to_layout().panels[0].window == 10.0
        again.close()
        await asyncio.sleep(0)

    run_qasync(scenario())


def test_nan_gaps_are_not_drawn(area: PlotArea) -> None:
    feed_axial(area.store, 50)
    store = area.store
    bad: dict[str, Any] = {f: [1.0] * 72 for f in CAT.telemetry["axialForce"].fields}
    bad["measured"] = ["x"] * 72
    store.on_telemetry(Received("axialForce", bad, 1000.0 + 50 * 0.05, "telemetry"))
    feed_axial(store, 50, t0=1000.0 + 51 * 0.05)
    panel = area.add_panel(PanelLayout(signals=["axialForce.measured[0]"], window=None))
    panel.refresh()
    polylines = panel.groups["axialForce"].item._polylines[0]
    assert len(polylines) == 2  # split at the bad sample
    assert store.bad_values == 1
    buffer = store.buffer("axialForce")
    assert buffer is not None
    assert np.isnan(buffer.values()[50, buffer.columns["measured"].start])


def plots_imports() -> dict[str, set[str]]:
    """Modules of m2gui.ui.plots and the m2gui.ui.plots modules each imports
    (TYPE_CHECKING imports included: they are a circle too)."""
    import ast

    import m2gui.ui.plots as package

    folder = Path(package.__file__).parent
    modules = {p.stem for p in folder.glob("*.py") if p.stem != "__init__"}
    graph: dict[str, set[str]] = {}
    for name in modules:
        tree = ast.parse((folder / f"{name}.py").read_text())
        found: set[str] = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom):
                if node.level == 1 and node.module in modules:
                    found.add(node.module)
                elif node.module and node.module.startswith("m2gui.ui.plots."):
                    found.add(node.module.rsplit(".", 1)[1])
                elif node.level == 1 and node.module is None:
                    found.update(a.name for a in node.names if a.name in modules)
        graph[name] = found
    return graph


def test_no_import_circle_in_the_plots_package() -> None:
    graph = plots_imports()
    assert "panel" not in graph["export"]

    def reaches(start: str, goal: str, seen: set[str]) -> bool:
        for nxt in graph[start]:
            if nxt == goal or (nxt not in seen and reaches(nxt, goal, seen | {nxt})):
                return True
        return False

    circles = [m for m in graph if reaches(m, m, set())]
    assert circles == []


def test_panel_window_is_the_qwidget_method(area: PlotArea) -> None:
    panel = area.add_panel()
    assert panel.window() is area.window()  # not shadowed by the time window
    assert panel.model.window == 60.0


def test_the_panel_follows_its_model(area: PlotArea) -> None:
    feed_axial(area.store, 400)
    panel = area.add_panel()
    model = panel.model
    model.add_signal_names(["axialForce.measured[0]", "axialForce.measured[1]"])
    assert set(panel.groups) == {"axialForce"}
    assert panel.toolbar.title_label.full_text() == "  (2 curves)"
    model.set_title("Forces")
    assert panel.toolbar.title_label.full_text() == "Forces  (2 curves)"
    model.set_window(10.0)
    assert panel.toolbar.window_box.currentText() == "10 s"
    assert panel.refresh()
    x0, x1 = panel.view.viewRange()[0]
    assert x1 - x0 == pytest.approx(10.0)
    model.set_paused(True)
    assert panel.toolbar.pause_button.isChecked()
    assert panel.toolbar.pause_button.text() == "Resume"
    model.set_time_mode("clock")
    assert panel.toolbar.time_actions["clock"].isChecked() and panel.axis.mode == "clock"
    model.set_auto_y(False)
    assert not panel.toolbar.auto_y_button.isChecked()
    model.set_y_range((-3.0, 4.0))
    assert panel.view.viewRange()[1] == pytest.approx([-3.0, 4.0])
    model.set_legend(False)
    assert not panel.toolbar.legend_action.isChecked() and not panel.legend.isVisible()
    model.remove_signal(Signal("axialForce", "measured", 0))
    assert [s.name for s in model.signals] == ["axialForce.measured[1]"]
    assert panel.toolbar.title_label.full_text() == "Forces  (1 curves)"
    # And the toolbar drives the model.
    panel.toolbar.window_box.setCurrentText("all")
    assert model.window is None
    panel.toolbar.pause_button.click()
    assert not model.paused


def test_a_closed_panel_is_collected_and_hears_nothing(area: PlotArea, qtbot: QtBot) -> None:
    import gc
    import weakref

    from PySide6.QtCore import QCoreApplication, QEvent

    panel = area.add_panel(PanelLayout(signals=["axialForce.measured[0]"]))
    model = panel.model
    gone = weakref.ref(panel)
    toolbar = weakref.ref(panel.toolbar)
    area.remove_panel(panel)
    del panel
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    gc.collect()
    assert gone() is None and toolbar() is None
    model.set_window(10.0)  # reaches no deleted widget
    model.add_signal_names(["axialForce.measured[1]"])
    assert len(model.curves_changed) == len(model.window_changed) == 0


def test_panning_a_paused_panel_moves_what_export_writes(area: PlotArea) -> None:
    feed_axial(area.store, 400)
    panel = area.add_panel(PanelLayout(signals=["axialForce.measured[0]"], window=10.0))
    panel.refresh()
    panel.view.setXRange(-15.0, -12.0, padding=0)  # as a mouse drag does, then:
    panel.view.sigRangeChangedManually.emit([True, False])
    assert panel.model.paused
    held = panel.model.visible_range()
    assert held is not None
    assert held[0] == pytest.approx(panel.x_offset - 15.0)
    assert held[1] == pytest.approx(panel.x_offset - 12.0)
    assert panel.refresh()  # the new range is drawn
    assert panel.view.viewRange()[0] == pytest.approx([-15.0, -12.0])
    table = panel.model.visible_table()
    buffer = area.store.buffer("axialForce")
    assert buffer is not None
    times = buffer.times()
    assert list(table.times) == list(times[(held[0] <= times) & (times <= held[1])])
    assert len(table.times) > 50
