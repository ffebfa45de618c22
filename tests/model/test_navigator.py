"""The navigator's rules and the panels' long-history rules, without Qt."""

from __future__ import annotations

import math
import subprocess
import sys
from typing import Any

import pytest

from m2gui.model import load_catalogue
from m2gui.model.navigator import (
    MIN_WIDTH,
    NavigatorModel,
    clamp_region,
    overview_width,
    union_range,
    whole_span,
)
from m2gui.model.plot_panel import (
    DISK_GRID,
    DiskHistory,
    PanelModel,
    disk_range,
    layout_column,
    window_choices,
)
from m2gui.model.signals import parse_signal
from m2gui.model.telemetry import TelemetryStore
from m2gui.net import Received

CAT = load_catalogue()


def sig(name: str) -> Any:
    return parse_signal(name, CAT)


def test_the_navigator_imports_no_qt() -> None:
    code = (
        "import sys, m2gui.model.navigator; "
        "bad = [m for m in sys.modules if m.split('.')[0] in ('PySide6', 'pyqtgraph', 'qasync')]; "
        "assert not bad, bad"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=20)


def test_whole_span_and_union_leave_out_missing_and_non_finite() -> None:
    assert whole_span() is None
    assert whole_span(None, (math.nan, 3.0)) is None
    assert whole_span((10.0, 20.0), None, (5.0, 12.0)) == (5.0, 20.0)
    assert whole_span((10.0, 20.0), (15.0, math.inf)) == (10.0, 20.0)
    assert union_range([(1.0, 2.0), None, (1.5, 4.0)]) == (1.0, 4.0)
    assert union_range([]) is None


def test_a_dragged_range_moves_inside_the_span_whole() -> None:
    span = (100.0, 200.0)
    assert clamp_region((120.0, 150.0), span) == (120.0, 150.0)
    assert clamp_region((90.0, 120.0), span) == (100.0, 130.0)  # moved, width kept
    assert clamp_region((190.0, 230.0), span) == (160.0, 200.0)
    assert clamp_region((150.0, 120.0), span) == (120.0, 150.0)  # ordered
    assert clamp_region((50.0, 500.0), span) == (100.0, 200.0)  # wider: cut to the span
    assert clamp_region((120.0, 120.0), span) == (120.0 - MIN_WIDTH / 2, 120.0 + MIN_WIDTH / 2)
    assert clamp_region((5.0, 9.0), None) == (5.0, 9.0)


def test_a_dragged_edge_is_cut_at_the_span() -> None:
    span = (100.0, 200.0)
    assert clamp_region((150.0, 230.0), span, move=False) == (150.0, 200.0)
    assert clamp_region((80.0, 130.0), span, move=False) == (100.0, 130.0)
    # An edge dragged onto the other at the end keeps the smallest width, inside.
    assert clamp_region((199.9, 230.0), span, move=False) == (199.0, 200.0)


def test_a_range_needs_finite_times() -> None:
    with pytest.raises(ValueError, match="finite"):
        clamp_region((math.nan, 3.0), (0.0, 10.0))


def test_overview_width_grows_in_steps() -> None:
    widths = [overview_width(length) for length in (1000.0, 1010.0, 1020.0, 1300.0)]
    assert all(w >= n for w, n in zip(widths, (1000.0, 1010.0, 1020.0, 1300.0), strict=True))
    assert widths[0] == widths[1] == widths[2]  # a growing recording: the same width
    assert widths[3] > widths[2]
    assert overview_width(3600.0) < 3600.0 * 1.2
    assert overview_width(0.0) >= MIN_WIDTH
    with pytest.raises(ValueError):
        overview_width(math.inf)


class Source:
    """A long history that is never asked here (only its identity matters)."""

    def envelope(self, topic: str, columns: Any, t0: float, t1: float, max_blocks: int) -> Any:
        raise AssertionError("not on the GUI thread")

    def span(self, topic: str) -> tuple[float, float] | None:
        raise AssertionError("not on the GUI thread")

    def refresh(self) -> None:
        raise AssertionError("not on the GUI thread")


class Seen:
    def __init__(self, model: NavigatorModel) -> None:
        self.events: list[tuple[str, Any, Any]] = []
        model.choices_changed.connect(lambda c: self.events.append(("choices", c, model.signal)))
        model.signal_changed.connect(lambda s: self.events.append(("signal", s, model.choices)))


def test_the_signal_shown_is_the_first_curve_of_the_first_panel_by_default() -> None:
    model = NavigatorModel()
    seen = Seen(model)
    a, b, c = sig("powerStatus.motorVoltage"), sig("position.x"), sig("temperature.ring[3]")
    model.set_panels([[a, b], [b, c]])
    assert model.choices == (a, b, c)  # each once, in order
    assert model.signal == a
    # Emitted after the update, with what changed.
    assert seen.events == [("choices", (a, b, c), None), ("signal", a, (a, b, c))]
    model.set_panels([[b], [a, c]])
    assert model.signal == b  # not chosen: follows the first panel
    model.set_panels([])
    assert model.signal is None and len(model.choices) == 0


def test_a_chosen_signal_stays_while_a_panel_shows_it() -> None:
    model = NavigatorModel()
    a, b, c = sig("powerStatus.motorVoltage"), sig("position.x"), sig("temperature.ring[3]")
    model.set_panels([[a], [b, c]])
    model.choose(c)
    assert model.signal == c
    model.set_panels([[b], [c]])
    assert model.signal == c
    model.set_panels([[b]])  # its panel closed: the default again
    assert model.signal == b
    model.set_panels([[b], [c]])
    assert model.signal == c  # shown again: still the choice
    model.choose(None)
    assert model.signal == b
    with pytest.raises(ValueError, match="not on a panel"):
        model.choose(a)


# ----------------------------------------------------------------------
# The panels' long-history rules (m2gui.model.plot_panel)
# ----------------------------------------------------------------------
def test_disk_range_is_the_part_older_than_memory_on_a_grid() -> None:
    assert disk_range(1000.0, 1600.0, 900.0, 500) is None  # memory holds the view
    assert disk_range(1000.0, 1000.0, 2000.0, 500) is None
    assert disk_range(math.nan, 1600.0, 2000.0, 500) is None
    start, end, blocks = disk_range(1010.0, 1650.0, 1300.0, 500) or (0.0, 0.0, 0)
    step = 640.0 / DISK_GRID
    assert start <= 1010.0 < start + step and 1300.0 <= end < 1300.0 + step
    assert start % step == pytest.approx(0.0, abs=1e-6)
    assert blocks >= 500 * (end - start) / 640.0  # at least the view's resolution
    # Memory has nothing: the whole view.
    start, end, _ = disk_range(1010.0, 1650.0, math.inf, 500) or (0.0, 0.0, 0)
    assert start <= 1010.0 and end >= 1650.0


def test_a_live_view_asks_for_the_same_range_until_it_moved_a_grid_step() -> None:
    window, boundary = 3600.0, 1_780_000_000.0
    asked = {
        disk_range(t1 - window, t1, boundary + (t1 - 1_780_003_000.0), 600)
        for t1 in [1_780_003_000.0 + k / 30 for k in range(300)]  # 10 s of frames
    }
    assert len(asked) <= 2
    # Resized by a few pixels: the same blocks.
    assert disk_range(0.0, 3600.0, 1800.0, 600) == disk_range(0.0, 3600.0, 1800.0, 606)


def test_window_choices_reach_hours_with_a_long_history() -> None:
    assert list(window_choices(False)) == ["10 s", "1 min", "10 min", "all"]
    choices = window_choices(True)
    assert list(choices) == ["10 s", "1 min", "10 min", "1 h", "6 h", "12 h", "all"]
    assert choices["12 h"] == 43200.0 and choices["all"] is None
    assert "6 h" in window_choices(False, 21600.0)  # a layout saved with one keeps it


def test_disk_history_keeps_the_spans_of_its_source() -> None:
    disk = DiskHistory()
    changes: list[int] = []
    disk.changed.connect(lambda: changes.append(len(disk.spans)))
    assert not disk.available
    source, other = Source(), Source()
    disk.set_source(source)
    assert disk.available and changes == [0]
    disk.set_spans(other, {"position": (1.0, 2.0)})
    assert disk.spans == {}  # not the source's: ignored
    disk.set_spans(source, {"position": (1.0, 5.0), "temperature": None, "x": (math.nan, 2.0)})
    assert disk.spans == {"position": (1.0, 5.0)} and changes == [0, 1]
    disk.set_spans(source, {"position": (1.0, 5.0)})
    assert changes == [0, 1]  # nothing new
    disk.set_spans(source, {"position": (1.0, 5.0), "powerStatus": (0.5, 3.0)})
    assert disk.first_time(["position", "powerStatus"]) == 0.5
    assert disk.last_time(["position", "powerStatus"]) == 5.0
    assert disk.first_time(["temperature"]) is None
    disk.set_source(None)
    assert disk.spans == {} and not disk.available


def test_a_panel_reaches_back_to_the_first_sample_on_disk() -> None:
    store = TelemetryStore(CAT, history=60)
    disk = DiskHistory()
    model = PanelModel(store, CAT, disk)
    model.add_signal_names(["powerStatus.motorVoltage"])
    model.set_window(None)
    assert model.live_range() is None  # nothing anywhere
    source = Source()
    disk.set_source(source)
    disk.set_spans(source, {"powerStatus": (100.0, 900.0)})
    assert model.live_range() == (100.0, 900.0)  # on disk only: its own end
    message = {"motorVoltage": 24.0}
    for k in range(10):
        store.on_telemetry(Received("powerStatus", message, 1000.0 + k * 0.05, "telemetry"))
    assert model.live_range() == (100.0, 1000.45)  # to memory's newest
    model.set_window(60.0)
    assert model.live_range() == pytest.approx((940.45, 1000.45))


def test_layout_columns_equal_the_buffer_s() -> None:
    store = TelemetryStore(CAT, history=60)
    store.on_telemetry(Received("temperature", {}, 1.0, "telemetry"))
    buffer = store.buffer("temperature")
    assert buffer is not None
    for name in ["temperature.ring[3]", "temperature.exhaust[1]", "temperature.intake[0]"]:
        signal = sig(name)
        assert layout_column(CAT.telemetry["temperature"], signal) == buffer.column(signal)
