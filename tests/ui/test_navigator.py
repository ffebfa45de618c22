"""The time navigator above the panels: an overview of the night, drag to hold, "Live"."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import numpy as np
import pyqtgraph as pg
import pytest
from PySide6.QtCore import QEvent, QPoint, QPointF, Qt
from PySide6.QtGui import QMouseEvent
from PySide6.QtWidgets import QApplication, QWidget
from pytestqt.qtbot import QtBot

from m2gui.model.plot_layout import PanelLayout
from m2gui.record.archive import Archive
from m2gui.ui.plots.area import PlotArea
from m2gui.ui.plots.navigator import TimeNavigator

from .test_long_history import (  # noqa: F401 - the fixtures night, archive, make_area
    VOLTAGE,
    MakeArea,
    Watched,
    archive_fixture,
    make_area_fixture,
    night_fixture,
    settle,
)
from .test_long_history_data import Night

CURRENT = "powerStatus.motorCurrent"


@pytest.fixture(autouse=True)
def every_mouse_move() -> Iterator[None]:
    """pyqtgraph drops mouse moves closer than 10 ms apart; a test sends them faster."""
    before = pg.getConfigOption("mouseRateLimit")
    pg.setConfigOption("mouseRateLimit", -1)
    yield
    pg.setConfigOption("mouseRateLimit", before)


@pytest.fixture
def two_panels(
    qtbot: QtBot, make_area: MakeArea, archive: Archive
) -> Iterator[tuple[PlotArea, Watched]]:
    """An area with a long history and two live panels, the overview drawn."""
    watched = Watched(archive)
    area, _ = make_area(watched)
    area.add_panel(PanelLayout(signals=[VOLTAGE, CURRENT], window=60.0))
    area.add_panel(PanelLayout(signals=["powerStatus.commVoltage"], window=600.0))
    qtbot.waitUntil(lambda: "powerStatus" in area.disk.spans, timeout=5000)
    drawn(qtbot, area)
    yield area, watched


def drawn(qtbot: QtBot, area: PlotArea) -> None:
    """Frames and overview drawn, every answer of the long history in."""
    for _ in range(5):
        area.navigator.refresh_overview()
        settle(qtbot, area)
        if not area.fetcher.busy:
            return
    raise AssertionError("still asking")


def overview_times(navigator: TimeNavigator) -> np.ndarray:
    return navigator.curve.x + navigator.origin


def to_pixel(navigator: TimeNavigator, t: float) -> QPoint:
    """Where time ``t`` is on the strip, in its viewport's pixels."""
    view = navigator.view
    scene = view.mapViewToScene(QPointF(t - navigator.origin, 0.0))
    y = view.sceneBoundingRect().center().y()
    return QPoint(navigator.plot.mapFromScene(QPointF(scene.x(), y)))


def mouse(widget: QWidget, kind: QEvent.Type, at: QPoint, buttons: Qt.MouseButton) -> None:
    button = Qt.MouseButton.LeftButton if kind != QEvent.Type.MouseMove else Qt.MouseButton.NoButton
    event = QMouseEvent(
        kind,
        QPointF(at),
        QPointF(widget.mapToGlobal(at)),
        button,
        buttons,
        Qt.KeyboardModifier.NoModifier,
    )
    QApplication.sendEvent(widget, event)


def drag(navigator: TimeNavigator, start: QPoint, end: QPoint, steps: int = 8) -> None:
    """Press, move in steps and release the left button on the strip, as a user drags."""
    viewport = navigator.plot.viewport()
    left = Qt.MouseButton.LeftButton
    mouse(viewport, QEvent.Type.MouseMove, start, Qt.MouseButton.NoButton)
    mouse(viewport, QEvent.Type.MouseButtonPress, start, left)
    for k in range(1, steps + 1):
        at = start + (end - start) * k / steps
        mouse(viewport, QEvent.Type.MouseMove, at, left)
    mouse(viewport, QEvent.Type.MouseButtonRelease, end, Qt.MouseButton.NoButton)


def test_the_overview_spans_the_night_and_memory(
    qtbot: QtBot, two_panels: tuple[PlotArea, Watched], night: Night
) -> None:
    area, watched = two_panels
    navigator = area.navigator
    assert navigator.isVisible() and navigator.height() <= 80
    assert navigator.model.signal is not None and navigator.model.signal.name == VOLTAGE
    assert navigator.combo.currentText() == VOLTAGE
    times = overview_times(navigator)
    assert abs(times.min() - night.start) < 30.0 and times.max() == pytest.approx(night.end, abs=2)
    assert navigator.span == pytest.approx((night.start, night.end))
    # A few points per pixel, not 144 000 samples.
    assert len(times) < 4 * navigator.view.width()
    assert threading.get_ident() not in watched.threads
    # The range shown is the panels' (the union of the last 60 s and the last 10 min), live.
    lo, hi = (x + navigator.origin for x in navigator.region.getRegion())
    assert lo == pytest.approx(night.end - 600, abs=1) and hi == pytest.approx(night.end, abs=1)
    assert navigator.live_button.isChecked()


def test_dragging_the_range_holds_every_panel_to_it(
    qtbot: QtBot, two_panels: tuple[PlotArea, Watched], night: Night
) -> None:
    area, _ = two_panels
    navigator = area.navigator
    lo, hi = navigator.region.getRegion()
    middle = navigator.plot.mapFromScene(navigator.view.mapViewToScene(QPointF((lo + hi) / 2, 0.0)))
    grab_at = QPoint(middle.x(), navigator.plot.viewport().height() // 3)
    target = to_pixel(navigator, night.start + 3600)
    drag(navigator, grab_at, QPoint(target.x(), grab_at.y()))
    t0, t1 = (x + navigator.origin for x in navigator.region.getRegion())
    assert t1 - t0 == pytest.approx(600, rel=0.02)  # moved whole, not resized
    assert t1 < night.end - 3000  # an hour back
    for panel in area.panels:
        assert panel.model.paused
        assert panel.model.view_range == pytest.approx((t0, t1))
    drawn(qtbot, area)
    assert not navigator.live_button.isChecked()
    for panel in area.panels:
        x0, x1 = panel.view.viewRange()[0]
        assert (x0 + panel.x_offset, x1 + panel.x_offset) == pytest.approx((t0, t1), abs=1e-3)
        (group,) = panel.groups.values()
        shown = group.item.x + panel.x_offset
        assert shown.min() < t0 + 5 and shown.max() > t1 - 5  # drawn from disk
    # Live: every panel follows the latest data again.
    navigator.live_button.click()
    assert not any(p.model.paused for p in area.panels)
    drawn(qtbot, area)
    assert navigator.live_button.isChecked()
    for panel in area.panels:
        assert panel.model.view_range is not None
        assert panel.model.view_range[1] == pytest.approx(night.end)
    lo, hi = (x + navigator.origin for x in navigator.region.getRegion())
    assert hi == pytest.approx(night.end, abs=1)


def test_a_range_dragged_past_the_end_stays_inside_the_night(
    qtbot: QtBot, two_panels: tuple[PlotArea, Watched], night: Night
) -> None:
    area, _ = two_panels
    navigator = area.navigator
    t0, t1 = navigator.select((night.start - 900, night.start + 300))  # as a drag leaves it
    assert (t0, t1) == pytest.approx((night.start, night.start + 1200))
    assert all(p.model.view_range == (t0, t1) for p in area.panels)


def test_clicking_the_strip_moves_the_range_there(
    qtbot: QtBot, two_panels: tuple[PlotArea, Watched], night: Night
) -> None:
    area, _ = two_panels
    navigator = area.navigator
    at = to_pixel(navigator, night.start + 1800)
    viewport = navigator.plot.viewport()
    mouse(viewport, QEvent.Type.MouseButtonPress, at, Qt.MouseButton.LeftButton)
    mouse(viewport, QEvent.Type.MouseButtonRelease, at, Qt.MouseButton.NoButton)
    t0, t1 = area.panels[0].model.view_range or (0.0, 0.0)
    assert (t0 + t1) / 2 == pytest.approx(night.start + 1800, abs=30)
    assert t1 - t0 == pytest.approx(600, rel=0.02)
    assert all(p.model.paused for p in area.panels)


def test_unchecking_live_holds_every_panel_where_it_is(
    qtbot: QtBot, two_panels: tuple[PlotArea, Watched]
) -> None:
    area, _ = two_panels
    area.navigator.live_button.click()
    assert all(p.model.paused for p in area.panels)
    assert not area.navigator.live_button.isChecked()


def test_the_signal_shown_follows_the_panels(
    qtbot: QtBot, two_panels: tuple[PlotArea, Watched], night: Night
) -> None:
    area, _ = two_panels
    navigator = area.navigator
    combo = navigator.combo
    assert [combo.itemText(i) for i in range(combo.count())] == [
        VOLTAGE,
        CURRENT,
        "powerStatus.commVoltage",
    ]
    before = navigator.curve.y.copy()
    combo.setCurrentText("powerStatus.commVoltage")
    assert navigator.model.signal is not None
    assert navigator.model.signal.name == "powerStatus.commVoltage"
    drawn(qtbot, area)
    assert navigator.curve.y.shape != before.shape or not np.array_equal(navigator.curve.y, before)
    assert abs(overview_times(navigator).min() - night.start) < 30.0
    # Its panel closes: back to the first curve of the first panel.
    area.remove_panel(area.panels[1])
    assert combo.count() == 2 and navigator.model.signal is not None
    assert navigator.model.signal.name == VOLTAGE and combo.currentText() == VOLTAGE
