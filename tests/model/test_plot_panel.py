"""`PanelModel`: a plot panel's state without Qt, and the signals it announces."""

from __future__ import annotations

import gc
import logging
import math
import subprocess
import sys
import time
from typing import Any

import numpy as np
import pytest

from m2gui.model import load_catalogue
from m2gui.model.plot_layout import PanelLayout
from m2gui.model.plot_limits import PLOT_LIMIT, drawable
from m2gui.model.plot_names import NAME_LIMIT, export_file_name
from m2gui.model.plot_panel import LEGEND_LIMIT, TITLE_LIMIT, PanelModel, clean_title
from m2gui.model.signals import Signal
from m2gui.model.telemetry import TelemetryStore, TopicBuffer
from m2gui.net import Received

CAT = load_catalogue()
AXIAL = CAT.telemetry["axialForce"].fields
TANGENT = CAT.telemetry["tangentForce"].fields


def feed_axial(store: TelemetryStore, start: int, n: int, bad: float | None = None) -> None:
    """Samples ``start .. start + n`` at 20 Hz from t = 1000; ``bad`` in measured[0..1]."""
    for i in range(start, start + n):
        message: dict[str, Any] = {f: [float(i * 100 + k) for k in range(72)] for f in AXIAL}
        if bad is not None:
            message["measured"][:2] = [bad, bad]
        store.on_telemetry(Received("axialForce", message, 1000.0 + i * 0.05, "telemetry"))


def feed_tangent(store: TelemetryStore, start: int, n: int) -> None:
    for i in range(start, start + n):
        message = {f: [-float(i * 10 + k) for k in range(6)] for f in TANGENT}
        store.on_telemetry(Received("tangentForce", message, 1000.01 + i * 0.05, "telemetry"))


class Recorder:
    """Records every signal of a model with the model's state at emit time."""

    def __init__(self, model: PanelModel) -> None:
        self.model = model
        self.events: list[tuple[str, tuple[Any, ...], dict[str, Any]]] = []
        for name in (
            "changed",
            "curves_changed",
            "title_changed",
            "window_changed",
            "time_mode_changed",
            "paused_changed",
            "held_range_changed",
            "auto_y_changed",
            "y_range_changed",
            "legend_changed",
        ):
            getattr(model, name).connect(self._slot(name))

    def _slot(self, name: str) -> Any:
        def record(*args: Any) -> None:
            m = self.model
            state = {
                "signals": list(m.signals),
                "title": m.title,
                "window": m.window,
                "time_mode": m.time_mode,
                "paused": m.paused,
                "view_range": m.view_range,
                "auto_y": m.auto_y,
                "y_range": m.y_range,
                "legend": m.legend,
            }
            self.events.append((name, args, state))

        return record

    def names(self) -> list[str]:
        return [e[0] for e in self.events]


@pytest.fixture
def store() -> TelemetryStore:
    return TelemetryStore(CAT, history=60)


@pytest.fixture
def model(store: TelemetryStore) -> PanelModel:
    return PanelModel(store, CAT)


def test_the_model_imports_no_qt() -> None:
    code = (
        "import sys, m2gui.model.plot_panel, m2gui.model.plot_table, m2gui.model.plot_limits, "
        "m2gui.model.plot_names; "
        "bad = [m for m in sys.modules if m.split('.')[0] in ('PySide6', 'pyqtgraph', 'qasync')]; "
        "assert not bad, bad"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=20)


def test_signals_are_added_once_in_order_with_labels(
    model: PanelModel, caplog: pytest.LogCaptureFixture
) -> None:
    seen = Recorder(model)
    with caplog.at_level(logging.WARNING):
        added = model.add_signal_names(
            ["axialForce.measured[12]", "nope.x", "powerStatus.motorVoltage"]
        )
    assert "cannot plot 'nope.x'" in caplog.text
    assert [s.name for s in added] == ["axialForce.measured[12]", "powerStatus.motorVoltage"]
    assert [(c.label, c.unit) for c in model.curves()] == [
        ("axialForce.measured[12] B13", "N"),
        ("powerStatus.motorVoltage", "V"),
    ]
    assert list(model.groups) == ["axialForce", "powerStatus"]
    # Emitted after the update, with what changed.
    assert seen.names() == ["curves_changed", "changed"]
    _, args, state = seen.events[0]
    assert args == (tuple(added), ())
    assert state["signals"] == added
    assert seen.events[1][1] == ("signals",)
    # Nothing new: nothing emitted.
    assert model.add_signal_names(["axialForce.measured[12]"]) == []
    assert len(seen.events) == 2
    model.remove_signal(Signal("axialForce", "measured", 12))
    assert seen.events[-2][1] == ((), (Signal("axialForce", "measured", 12),))
    assert seen.events[-2][2]["signals"] == [Signal("powerStatus", "motorVoltage")]
    assert list(model.groups) == ["powerStatus"]
    model.remove_signal(Signal("axialForce", "measured", 1))  # not shown: no signal
    assert len(seen.events) == 4
    model.clear()
    assert seen.events[-2][1] == ((), (Signal("powerStatus", "motorVoltage"),))
    assert model.signals == [] and model.groups == {}


def test_columns_come_from_the_topic_buffer_once_per_buffer(
    model: PanelModel, store: TelemetryStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[Signal] = []
    original = TopicBuffer.column

    def column(self: TopicBuffer, signal: Signal) -> int:
        calls.append(signal)
        return original(self, signal)

    monkeypatch.setattr(TopicBuffer, "column", column)
    model.add_signal_names(["axialForce.applied[3]", "axialForce.measured[71]"])
    feed_axial(store, 0, 10)
    buffer = store.buffer("axialForce")
    assert buffer is not None
    group = model.groups["axialForce"]
    for _ in range(5):  # every frame asks; the buffer is asked once
        assert group.columns(buffer) == [
            original(buffer, Signal("axialForce", "applied", 3)),
            original(buffer, Signal("axialForce", "measured", 71)),
        ]
    assert len(calls) == 2
    model.add_signal_names(["axialForce.measured[0]"])  # the curves changed: asked again
    assert len(group.columns(buffer)) == 3 and len(calls) == 5


@pytest.mark.parametrize(
    ("setter", "value", "signal", "attribute"),
    [
        ("set_title", "Forces", "title_changed", "title"),
        ("set_window", 10.0, "window_changed", "window"),
        ("set_window", None, "window_changed", "window"),
        ("set_time_mode", "clock", "time_mode_changed", "time_mode"),
        ("set_auto_y", False, "auto_y_changed", "auto_y"),
        ("set_y_range", (-1.0, 2.0), "y_range_changed", "y_range"),
        ("set_legend", False, "legend_changed", "legend"),
    ],
)
def test_options_announce_after_the_update(
    model: PanelModel, setter: str, value: Any, signal: str, attribute: str
) -> None:
    seen = Recorder(model)
    getattr(model, setter)(value)
    assert getattr(model, attribute) == value
    first = seen.events[0]
    assert first[0] == signal and first[1] == (value,)
    assert first[2][attribute] == value  # the state was updated before the emit
    assert ("changed", (attribute,)) in [(e[0], e[1]) for e in seen.events]
    count = len(seen.events)
    getattr(model, setter)(value)  # the same again: nothing to announce
    assert len(seen.events) == count


def test_bad_options_are_refused(model: PanelModel) -> None:
    for bad in (0.0, -5.0, math.nan, math.inf):
        with pytest.raises(ValueError, match="window"):
            model.set_window(bad)
    with pytest.raises(ValueError, match="time mode"):
        model.set_time_mode("utc")
    assert model.window == 60.0 and model.time_mode == "relative"


def test_live_window_pause_and_hold(model: PanelModel, store: TelemetryStore) -> None:
    model.add_signal_names(["axialForce.measured[0]"])
    assert model.next_view_range() is None  # no samples yet
    feed_axial(store, 0, 400)  # 20 s
    newest = 1000.0 + 399 * 0.05
    model.set_window(10.0)
    assert model.next_view_range() == (newest - 10.0, newest)
    model.set_window(None)
    assert model.next_view_range() == (1000.0, newest)
    model.set_window(10.0)
    model.next_view_range()
    seen = Recorder(model)
    model.set_paused(True)
    assert seen.events[0][:2] == ("paused_changed", (True,))
    assert seen.events[0][2]["view_range"] == (newest - 10.0, newest)
    assert "changed" not in seen.names()  # pausing is not part of the layout
    feed_axial(store, 400, 100)  # the store keeps filling
    assert model.next_view_range() == (newest - 10.0, newest)
    assert model.visible_range() == (newest - 10.0, newest)
    model.hold(1001.0, 1002.0)  # the user moved the view
    assert seen.events[-1][:2] == ("held_range_changed", (1001.0, 1002.0))
    assert model.next_view_range() == (1001.0, 1002.0)
    model.set_paused(False)
    latest = 1000.0 + 499 * 0.05
    assert model.next_view_range() == (latest - 10.0, latest)
    seen.events.clear()
    model.hold(1003.0, 1004.0)  # moving the view by hand pauses
    assert seen.names() == ["paused_changed", "held_range_changed"]
    assert seen.events[0][2]["view_range"] == (1003.0, 1004.0)


def test_auto_y_off_keeps_a_fixed_range_that_auto_y_on_forgets(model: PanelModel) -> None:
    model.set_auto_y(False)
    model.set_y_range((-3, 4))
    assert model.y_range == (-3.0, 4.0)
    assert model.to_layout().y_range == (-3.0, 4.0)
    model.set_auto_y(True)
    assert model.y_range is None and model.to_layout().y_range is None


def test_visible_table_is_a_copy_of_the_visible_window(
    model: PanelModel, store: TelemetryStore
) -> None:
    feed_axial(store, 0, 400)
    feed_tangent(store, 0, 400)
    model.add_signal_names(
        ["tangentForce.applied[2]", "axialForce.measured[5]", "axialForce.applied[0]"]
    )
    model.set_window(1.0)
    model.next_view_range()
    table = model.visible_table()
    t1 = 1000.01 + 399 * 0.05  # the newest sample: tangentForce's
    t0 = t1 - 1.0
    assert model.visible_range() == (t0, t1)
    assert table.header == [
        "time (s)",
        "tangentForce.applied[2] (N)",
        "axialForce.measured[5] (N)",
        "axialForce.applied[0] (N)",
    ]
    assert table.precisions == [1, 1, 1] and table.gaps == 0
    assert np.all(np.diff(table.times) >= 0) and t0 <= table.times[0] and table.times[-1] <= t1
    axial_rows = table.present[:, 1]
    assert np.array_equal(axial_rows, table.present[:, 2])
    assert np.array_equal(axial_rows, ~table.present[:, 0])
    axial = store.buffer("axialForce")
    assert axial is not None
    a0, a1 = axial.index_range(t0, t1)
    first = axial.total - axial.count
    expected = axial.values()[a0 - first : a1 - first]
    assert np.array_equal(table.times[axial_rows], axial.times()[a0 - first : a1 - first])
    measured, applied = axial.columns["measured"].start, axial.columns["applied"].start
    assert np.array_equal(table.values[axial_rows, 1], expected[:, measured + 5])
    assert np.array_equal(table.values[axial_rows, 2], expected[:, applied])
    tangent_values = table.values[~axial_rows, 0]
    assert tangent_values[-1] == -(399 * 10 + 2)
    assert np.isnan(table.values[~axial_rows, 1]).all()
    # A copy: the store filling up (and wrapping) does not change it.
    before = table.values.copy()
    feed_axial(store, 400, 2000)
    assert np.array_equal(table.values, before, equal_nan=True)


def test_an_empty_panel_has_an_empty_table(model: PanelModel) -> None:
    model.add_signal_names(["powerStatus.motorVoltage"])
    table = model.visible_table()
    assert table.header == ["time (s)", "powerStatus.motorVoltage (V)"]
    assert table.values.shape == (0, 1) and table.present.shape == (0, 1)


def test_values_at_a_time(model: PanelModel, store: TelemetryStore) -> None:
    feed_axial(store, 0, 100)
    model.add_signal_names(["axialForce.applied[1]", "powerStatus.motorVoltage"])
    values = model.values_at(1000.0 + 42 * 0.05 + 0.001)
    assert [(c.signal.name, v) for c, v in values] == [("axialForce.applied[1]", 4201.0)]


@pytest.mark.parametrize(
    ("value", "counted"),
    [
        (math.nan, True),
        (math.inf, True),
        (-math.inf, True),
        (1.7e308, True),
        (-2e300, True),
        (PLOT_LIMIT, False),
        (-1e299, False),
        (0.0, False),
    ],
)
def test_undrawable_values_are_counted(
    model: PanelModel, store: TelemetryStore, value: float, counted: bool
) -> None:
    assert bool(~drawable(np.array([value]))[0]) == counted
    model.add_signal_names(["axialForce.measured[0]", "axialForce.measured[5]"])
    feed_axial(store, 0, 10)
    feed_axial(store, 10, 3, bad=value)
    buffer = store.buffer("axialForce")
    assert buffer is not None
    group = model.groups["axialForce"]
    group.count_undrawable(buffer)
    assert model.undrawable == (3 if counted else 0)
    assert [(c.label, n) for c, n in model.undrawable_curves()] == (
        [("axialForce.measured[0] B1", 3)] if counted else []
    )
    group.count_undrawable(buffer)  # nothing new: nothing counted twice
    assert model.undrawable == (3 if counted else 0)
    assert group.undrawable.counted == buffer.total


def test_undrawable_counts_follow_the_curves(model: PanelModel, store: TelemetryStore) -> None:
    model.add_signal_names(["axialForce.measured[1]", "tangentForce.measured[0]"])
    feed_axial(store, 0, 5, bad=math.inf)
    feed_tangent(store, 0, 5)
    for topic in ("axialForce", "tangentForce"):
        buffer = store.buffer(topic)
        assert buffer is not None
        model.groups[topic].count_undrawable(buffer)
    assert model.undrawable == 5
    model.remove_signal(Signal("axialForce", "measured", 1))
    assert model.undrawable == 0


def test_layout_round_trip(store: TelemetryStore) -> None:
    layout = PanelLayout(
        signals=["temperature.ring[0]", "temperature.ring[3]"],
        window=600.0,
        time_mode="clock",
        auto_y=False,
        y_range=(10.0, 30.0),
        legend=True,
        title="Mirror",
    )
    model = PanelModel(store, CAT)
    model.apply_layout(layout)
    assert model.to_layout() == layout
    again = PanelModel(store, CAT)
    again.apply_layout(model.to_layout())
    assert again.to_layout() == layout
    seen = Recorder(model)
    model.apply_layout(PanelLayout(signals=["temperature.ring[0]", "bad.name"]))
    assert model.to_layout() == PanelLayout(signals=["temperature.ring[0]"])
    ring = [Signal("temperature", "ring", i) for i in (0, 3)]
    assert seen.events[0][:2] == ("curves_changed", ((), tuple(ring)))  # cleared first
    assert seen.events[2][:2] == ("title_changed", ("",))


def test_legend_is_shown_for_few_curves_unless_chosen(model: PanelModel) -> None:
    model.add_signal_names([f"axialForce.measured[{i}]" for i in range(LEGEND_LIMIT)])
    assert model.legend_shown
    model.add_signal_names(["axialForce.measured[71]"])
    assert not model.legend_shown
    model.set_legend(True)
    assert model.legend_shown


def test_listeners_are_held_weakly(model: PanelModel) -> None:
    class View:
        def __init__(self) -> None:
            self.windows: list[float | None] = []

        def show_window(self, window: float | None) -> None:
            self.windows.append(window)

    view = View()
    model.window_changed.connect(view.show_window)
    model.set_window(10.0)
    assert view.windows == [10.0]
    del view
    gc.collect()
    model.set_window(600.0)  # reaches nothing
    assert len(model.window_changed) == 0


# ----------------------------------------------------------------------
# Issue 17: gaps, names, legend labels, values near a time
# ----------------------------------------------------------------------
def power(i: int) -> dict[str, Any]:
    return dict.fromkeys(CAT.telemetry["powerStatus"].fields, float(i))


def test_the_store_records_gaps_of_more_than_five_periods() -> None:
    store = TelemetryStore(CAT, history=60)
    assert store.gap == pytest.approx(5 * CAT.telemetry_period)
    times = [0.0, 0.05, 0.1, 0.1 + 0.24, 0.1 + 0.24 + 0.26, 5.0, 5.05, 5.05]
    for i, t in enumerate(times):
        store.on_telemetry(Received("powerStatus", power(i), 1000.0 + t, "telemetry"))
    buffer = store.buffer("powerStatus")
    assert buffer is not None
    assert buffer.gaps(0, 8).tolist() == [4, 5]  # 0.26 s and 4.4 s; not 0.24 s
    assert buffer.gaps(4, 8).tolist() == [5]  # sample 3 (before 4) is not in the range
    assert buffer.gaps(0, 5).tolist() == [4]
    assert buffer.times_of(buffer.gaps(0, 8)).tolist() == [1000.6, 1005.0]


def test_recorded_gaps_stay_bounded_through_wrap_around() -> None:
    buffer = TopicBuffer(CAT.telemetry["powerStatus"], 64, gap=0.25)
    for i in range(10_000):
        buffer.append(float(i), power(i))  # one second apart: every sample after a gap
    gaps = buffer.gaps(0, buffer.total)
    assert gaps.tolist() == list(range(buffer.total - buffer.count + 1, buffer.total))
    assert len(buffer._gaps.indices) <= 2 * 64  # never more than the samples retained
    never = TopicBuffer(CAT.telemetry["powerStatus"], 64)  # no gap given: none recorded
    for i in range(100):
        never.append(float(i * 100), power(i))
    assert never.gaps(0, 100).size == 0


def test_the_table_marks_each_gap_with_an_empty_row(store: TelemetryStore) -> None:
    for i in range(4):
        store.on_telemetry(Received("powerStatus", power(i), 1000.0 + i * 0.05, "telemetry"))
    for i in range(4):
        store.on_telemetry(Received("powerStatus", power(i), 1010.0 + i * 0.05, "telemetry"))
    feed_axial(store, 0, 300)  # 1000 to 1015 without a gap
    model = PanelModel(store, CAT)
    model.add_signal_names(["powerStatus.motorVoltage", "axialForce.measured[0]"])
    table = model.visible_table()
    assert table.gaps == 1
    empty = ~table.present.any(axis=1)
    assert empty.sum() == 1
    assert table.times[empty].tolist() == [pytest.approx(1000.15 + CAT.telemetry_period)]
    assert np.all(np.diff(table.times) >= 0)


def test_values_near_a_time_leave_out_curves_in_a_gap(
    model: PanelModel, store: TelemetryStore
) -> None:
    feed_axial(store, 0, 100)  # 1000 to 1004.95
    model.add_signal_names(["axialForce.applied[1]"])
    assert model.values_at(1002.0, within=model.gap) != []
    assert model.values_at(1010.0, within=model.gap) == []
    assert model.values_at(1010.0) != []  # the nearest, however far


def test_titles_are_one_bounded_line(model: PanelModel) -> None:
    model.set_title("  Axial\n forces\t measured  ")
    assert model.title == "Axial forces measured"
    model.set_title("x" * 500)
    assert model.title == "x" * TITLE_LIMIT
    assert clean_title(" \n ") == ""


def test_legend_labels_leave_out_a_common_topic(model: PanelModel) -> None:
    model.add_signal_names(["temperature.ring[0]", "temperature.intake[1]"])
    assert model.legend_labels() == [c.label.removeprefix("temperature.") for c in model.curves()]
    assert model.legend_labels()[0].startswith("ring[0]")
    model.add_signal_names(["powerStatus.motorVoltage"])
    assert model.legend_labels() == [c.label for c in model.curves()]


def test_curves_format_values_at_the_catalogue_precision(model: PanelModel) -> None:
    model.add_signal_names(
        ["axialForce.measured[0]", "position.x", "temperature.ring[0]", "powerStatus.motorVoltage"]
    )
    texts = [c.format(1.23456) for c in model.curves()]
    unit = CAT.telemetry["position"].fields["x"].unit
    assert texts == ["1.2 N", f"1.23 {unit}", "1.23 degC", "1.23 V"]


@pytest.mark.parametrize(
    ("title", "span", "name"),
    [
        (
            "Axial forces",
            ((2026, 11, 30, 14, 2, 5), (2026, 11, 30, 14, 12, 5)),
            "Axial forces 2026-11-30 14-02-05 to 14-12-05.csv",
        ),
        (
            "Night: A/B <test>?",
            ((2026, 11, 30, 23, 58, 0), (2026, 12, 1, 0, 8, 0)),
            "Night- A-B -test-- 2026-11-30 23-58-00 to 2026-12-01 00-08-00.csv",
        ),
        ("", None, "plot.csv"),
        ("...", None, "plot.csv"),
        ("CON", None, "CON_.csv"),
        ("a\x00b\tc", None, "a-b-c.csv"),
        ("y" * 300, None, "y" * NAME_LIMIT + ".csv"),
    ],
)
def test_export_file_names(
    title: str, span: tuple[tuple[int, ...], tuple[int, ...]] | None, name: str
) -> None:
    times = None
    if span is not None:
        times = tuple(time.mktime((s[0], s[1], s[2], s[3], s[4], s[5], 0, 0, -1)) for s in span)
    assert export_file_name(title, times, "csv") == name  # type: ignore[arg-type]
    assert export_file_name("t", (math.inf, math.inf), "png") == "t.png"  # no clock shows that
