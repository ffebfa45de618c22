"""Non-finite and huge values, and failing panels, never stop the plots drawing."""

from __future__ import annotations

import logging
import math
from typing import Any

import numpy as np
import pytest
from pytestqt.qtbot import QtBot

from m2gui.model import load_catalogue
from m2gui.model.plot_layout import PanelLayout
from m2gui.model.telemetry import TelemetryStore
from m2gui.net import Received
from m2gui.ui.plots.area import PlotArea
from m2gui.ui.plots.curves import PLOT_LIMIT, MultiCurveItem
from m2gui.ui.plots.panel import PlotPanel

CAT = load_catalogue()
AXIAL = CAT.telemetry["axialForce"].fields
TANGENT = CAT.telemetry["tangentForce"].fields
#: What a hostile controller can make a telemetry value decode to.
HOSTILE = [math.inf, -math.inf, math.nan, 1.7e308, -1.7e308, 1e999, 2e300, 1e300, -5e299]


def axial(i: int, hostile: float | None = None) -> dict[str, Any]:
    message: dict[str, Any] = {f: [float(i % 50 + k) for k in range(72)] for f in AXIAL}
    if hostile is not None:
        message["measured"] = [hostile] * 4 + message["measured"][4:]
    return message


def tangent(i: int) -> dict[str, Any]:
    return {f: [-float(i % 30 + k) for k in range(6)] for f in TANGENT}


def feed(store: TelemetryStore, start: int, n: int, hostile_every: int = 0) -> int:
    """Feed samples ``start .. start + n``; every ``hostile_every``-th carries the
    next hostile value in axialForce.measured[0..3]. Return the hostile samples fed."""
    fed = 0
    for i in range(start, start + n):
        value = None
        if hostile_every and i % hostile_every == 0:
            value = HOSTILE[(i // hostile_every) % len(HOSTILE)]
            fed += 1
        t = 1000.0 + i * 0.05
        store.on_telemetry(Received("axialForce", axial(i, value), t, "telemetry"))
        store.on_telemetry(Received("tangentForce", tangent(i), t + 0.01, "telemetry"))
    return fed


@pytest.fixture
def area(qtbot: QtBot) -> PlotArea:
    store = TelemetryStore(CAT, history=600)
    widget = PlotArea(store, CAT)
    widget.set_live(False)  # tests drive refresh themselves
    widget.resize(1000, 900)
    qtbot.addWidget(widget)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


def three_panels(area: PlotArea) -> tuple[PlotPanel, PlotPanel, PlotPanel]:
    hostile = area.add_panel(
        PanelLayout(signals=[f"axialForce.measured[{i}]" for i in range(6)], window=None)
    )
    calm_same_topic = area.add_panel(PanelLayout(signals=["axialForce.measured[10]"], window=None))
    calm_other_topic = area.add_panel(
        PanelLayout(signals=["tangentForce.measured[0]"], window=None)
    )
    return hostile, calm_same_topic, calm_other_topic


def drawn_points(panel: PlotPanel) -> int:
    return sum(
        polyline.size()
        for group in panel.groups.values()
        for polylines in group.item._polylines
        for polyline in polylines
    )


@pytest.mark.parametrize("value", HOSTILE, ids=[repr(v) for v in HOSTILE])
def test_one_hostile_value_never_stops_a_frame(
    area: PlotArea, value: float, caplog: pytest.LogCaptureFixture
) -> None:
    panels = three_panels(area)
    store = area.store
    feed(store, 0, 100)
    store.on_telemetry(Received("axialForce", axial(100, value), 1005.0, "telemetry"))
    feed(store, 101, 100)
    for panel in panels:
        panel.model.set_auto_y(True)
    with caplog.at_level(logging.ERROR):
        area.refresh()
    assert all(p.frames == 1 for p in panels), [p.frames for p in panels]
    hostile = panels[0]
    lo, hi = hostile.view.viewRange()[1]
    assert math.isfinite(lo) and math.isfinite(hi)
    if abs(value) <= PLOT_LIMIT:  # huge but drawable: in range
        assert lo <= value <= hi and hostile.model.undrawable == 0
    else:  # a gap, counted, and the range fits the rest of the data
        assert lo <= 0.0 and 54.0 <= hi < 1e6
        assert hostile.model.undrawable == 4  # measured[0..3] of one sample
        assert hostile.toolbar.undrawn_label.isVisible()
        assert hostile.toolbar.undrawn_label.text() == "4 values not drawn"
        tip = hostile.toolbar.undrawn_label.toolTip()
        assert "axialForce.measured[0] B1: 1" in tip and "measured[4]" not in tip
    assert panels[1].model.undrawable == panels[2].model.undrawable == 0
    assert not panels[1].toolbar.undrawn_label.isVisible()
    assert area.frame_errors == 0 and "Traceback" not in caplog.text
    # The grab paints every item (grid, curves, axes) with these values.
    image = area.grab().toImage()
    assert image.width() > 0


def test_a_stream_of_hostile_values_keeps_every_panel_drawing(area: PlotArea) -> None:
    panels = three_panels(area)
    store = area.store
    start = 0
    fed = 0
    for frame in range(1, 16):
        fed += feed(store, start, 20, hostile_every=3)
        start += 20
        area.refresh()
        for panel in panels:
            assert panel.frames == frame
            assert drawn_points(panel) > 0
            lo, hi = panel.view.viewRange()[1]
            assert math.isfinite(lo) and math.isfinite(hi) and lo < hi
    drawable = sum(
        1 for i in range(0, start, 3) if abs(HOSTILE[(i // 3) % len(HOSTILE)]) <= PLOT_LIMIT
    )
    assert panels[0].model.undrawable == 4 * (fed - drawable)
    assert panels[1].model.undrawable == panels[2].model.undrawable == 0
    assert area.frame_errors == 0
    # Frames stay cheap: each frame counts only the samples that arrived since.
    buffer = store.buffer("axialForce")
    assert buffer is not None
    assert panels[0].model.groups["axialForce"].undrawable.counted == buffer.raw.next_index


def test_a_failing_panel_does_not_stop_the_next(
    area: PlotArea, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    first, second, third = three_panels(area)
    feed(area.store, 0, 50)

    def broken_draw(t0: float, t1: float) -> None:
        raise RuntimeError("this panel is broken")

    monkeypatch.setattr(first, "_draw", broken_draw)
    with caplog.at_level(logging.ERROR):
        for frame in range(1, 31):
            feed(area.store, 50 + frame, 1)
            area.refresh()
            assert second.frames == third.frames == frame
    assert first.frames == 0 and first.frame_errors == 30
    assert area.frame_errors == 30
    assert first.toolbar.undrawn_label.isVisible()
    assert "30 frames failed" in first.toolbar.undrawn_label.toolTip()
    failures = [r for r in caplog.records if "this panel is broken" in r.getMessage()]
    assert 1 <= len(failures) <= 12  # logged, but rate limited
    assert failures[0].exc_info is not None  # with its traceback


def test_a_failing_paint_is_counted_and_does_not_stop_other_items(
    area: PlotArea, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    first, second, _ = three_panels(area)
    feed(area.store, 0, 200)
    area.refresh()
    broken = first.groups["axialForce"].item
    original = MultiCurveItem._draw_curves

    def draw_curves(self: MultiCurveItem, painter: Any) -> None:
        if self is broken:
            raise ValueError("cannot paint this")
        original(self, painter)

    monkeypatch.setattr(MultiCurveItem, "_draw_curves", draw_curves)
    with caplog.at_level(logging.ERROR):
        image = first.plot.grab().toImage()
        healthy = second.plot.grab().toImage()
    assert broken.paint_errors >= 1
    assert second.groups["axialForce"].item.paint_errors == 0
    assert image.width() > 0
    pen = second.colors[second.model.signals[0]].rgb()
    pixels = {healthy.pixel(x, y) for x in range(healthy.width()) for y in range(healthy.height())}
    assert pen in pixels  # the healthy panel drew its curve
    assert "cannot paint this" in caplog.text


def test_item_data_bounds_ignore_undrawable_values() -> None:
    item = MultiCurveItem([])
    x = np.arange(6, dtype=float)
    y = np.array(
        [[1.0, math.inf], [2.0, 3.0], [math.nan, 1.7e308], [4.0, -1.7e308], [5.0, 6.0], [-1.0, 7.0]]
    )
    item.set_data(x, y)
    assert item.y_range == (-1.0, 7.0)
    # Gaps where undrawable: [1, 2] [4, 5, -1] and [3] [6, 7]; 3 alone is a dot.
    assert [[p.size() for p in runs] for runs in item._polylines] == [[2, 3], [2]]
    dots = item._dots[1]
    assert item._dots[0] is None and dots is not None and dots.size() == 1
    assert (dots.at(0).x(), dots.at(0).y()) == (1.0, 3.0)
    rect = item.boundingRect()
    assert math.isfinite(rect.height()) and rect.top() == -1.0
    item.set_data(x[:2], np.array([[math.nan], [math.inf]]))
    assert item.y_range is None and item._polylines == [[]]


def test_undrawable_values_are_counted_once_through_wrap_around(
    qtbot: QtBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    from m2gui.model import plot_limits

    monkeypatch.setattr(plot_limits, "COUNT_BLOCK", 7)  # many blocks, ragged end
    store = TelemetryStore(CAT, history=3.2)  # 64 samples: the buffer wraps
    area = PlotArea(store, CAT)
    area.set_live(False)
    qtbot.addWidget(area)
    area.show()

    def undrawable_in(indices: range) -> int:
        return 4 * sum(
            1
            for i in indices
            if i % 3 == 0 and not abs(HOSTILE[(i // 3) % len(HOSTILE)]) <= PLOT_LIMIT
        )

    feed(store, 0, 500, hostile_every=3)
    panel = area.add_panel(
        PanelLayout(signals=[f"axialForce.measured[{i}]" for i in range(6)], window=None)
    )
    area.refresh()
    assert panel.model.undrawable == undrawable_in(range(500 - 64, 500))  # the retained ones
    for k in range(10):
        feed(store, 500 + 10 * k, 10, hostile_every=3)
        area.refresh()
    assert panel.model.undrawable == undrawable_in(range(500 - 64, 600))
    # A panel hidden for longer than the history counts what is still there.
    panel.hide()
    feed(store, 600, 200, hostile_every=3)
    area.refresh()
    panel.show()
    area.refresh()
    assert panel.model.undrawable == undrawable_in(range(500 - 64, 600)) + undrawable_in(
        range(800 - 64, 800)
    )


def test_removing_the_hostile_curve_clears_the_count(area: PlotArea) -> None:
    panel = area.add_panel(
        PanelLayout(signals=["axialForce.measured[0]", "axialForce.measured[10]"], window=None)
    )
    store = area.store
    feed(store, 0, 10)
    store.on_telemetry(Received("axialForce", axial(10, math.inf), 1000.5, "telemetry"))
    area.refresh()
    assert panel.model.undrawable == 1 and panel.toolbar.undrawn_label.isVisible()
    panel.model.remove_signal(panel.model.signals[0])
    area.refresh()
    assert panel.model.undrawable == 0 and not panel.toolbar.undrawn_label.isVisible()
