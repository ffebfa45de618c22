"""Plot panels read beyond memory from a real recording on disk, never on the GUI thread."""

from __future__ import annotations

import gc
import logging
import threading
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import QPointF
from pytestqt.qtbot import QtBot

from m2gui.model import load_catalogue
from m2gui.model.long_history import LongHistory
from m2gui.model.plot_layout import PanelLayout
from m2gui.model.session import Session
from m2gui.model.telemetry import Envelope
from m2gui.net import Received
from m2gui.record.archive import Archive
from m2gui.ui.plots.area import PlotArea
from m2gui.ui.plots.history_fetch import HistoryFetcher
from m2gui.ui.plots.panel import PlotPanel

from .test_long_history_data import PERIOD, Night, _rows, fill_memory, write_night

CAT = load_catalogue()
MEMORY = 300.0  # seconds the session keeps in memory
VOLTAGE = "powerStatus.motorVoltage"


@pytest.fixture(scope="session", name="night")
def night_fixture(tmp_path_factory: pytest.TempPathFactory) -> Night:
    """Two hours of powerStatus at 20 Hz, recorded with its pyramid (written fast)."""
    return write_night(tmp_path_factory.mktemp("night") / "rec", CAT, 2.0, ("powerStatus",))


class Watched:
    """A long history that notes the threads asking it and can hold its queries."""

    def __init__(self, inner: LongHistory, hold: threading.Event | None = None) -> None:
        self.inner = inner
        self.hold = hold
        self.threads: list[int] = []
        self.queries: list[tuple[str, float, float, int]] = []
        self.waiting = threading.Event()
        self.fail: Exception | None = None

    def envelope(
        self, topic: str, columns: slice | Sequence[int], t0: float, t1: float, max_blocks: int
    ) -> Envelope:
        self.threads.append(threading.get_ident())
        self.queries.append((topic, t0, t1, max_blocks))
        if self.hold is not None:
            self.waiting.set()
            assert self.hold.wait(10), "never released"
        if self.fail is not None:
            raise self.fail
        return self.inner.envelope(topic, columns, t0, t1, max_blocks)

    def span(self, topic: str) -> tuple[float, float] | None:
        self.threads.append(threading.get_ident())
        return self.inner.span(topic)

    def refresh(self) -> None:
        self.threads.append(threading.get_ident())
        self.inner.refresh()


@pytest.fixture(name="archive")
def archive_fixture(night: Night) -> Iterator[Archive]:
    with Archive(night.folder, CAT) as opened:
        assert opened.rebuild_needed is None
        yield opened


MakeArea = Callable[[LongHistory | None], tuple[PlotArea, Session]]


@pytest.fixture(name="make_area")
def make_area_fixture(qtbot: QtBot, night: Night) -> Iterator[MakeArea]:
    """A plot area on a session that keeps the last 5 minutes of the night in memory."""
    made: list[PlotArea] = []

    def make(history: LongHistory | None) -> tuple[PlotArea, Session]:
        session = Session(catalogue=CAT, history=MEMORY)
        fill_memory(session.telemetry, CAT, night, MEMORY)
        session.long_history = history
        area = PlotArea(session.telemetry, CAT, long_history=lambda: session.long_history)
        area.set_live(False)  # the tests draw frames themselves
        area.resize(1200, 700)
        qtbot.addWidget(area)
        area.show()
        qtbot.waitExposed(area)
        made.append(area)
        return area, session

    yield make
    for area in made:
        area.shutdown()


def settle(qtbot: QtBot, area: PlotArea) -> None:
    """Draw and wait for the long history's answers until a frame asks for nothing more
    (the first frames lay the panels out: their widths change)."""
    for _ in range(5):
        area.refresh()
        if not area.fetcher.busy:
            return
        qtbot.waitUntil(lambda: not area.fetcher.busy, timeout=5000)
    raise AssertionError("the panels keep asking the long history")


def drawn_times(panel: PlotPanel) -> np.ndarray:
    """The times of the points the panel's (one topic's) curves are drawn through."""
    (group,) = panel.groups.values()
    return group.item.x + panel.x_offset


def oldest_in_memory(session: Session) -> float:
    buffer = session.telemetry.buffer("powerStatus")
    assert buffer is not None
    return float(buffer.times()[0])


def test_a_panel_showing_all_draws_the_night_from_disk(
    qtbot: QtBot, make_area: MakeArea, archive: Archive, night: Night
) -> None:
    area, session = make_area(archive)
    qtbot.waitUntil(lambda: "powerStatus" in area.disk.spans, timeout=5000)
    assert area.navigator.isVisible()
    panel = area.add_panel(PanelLayout(signals=[VOLTAGE], window=60.0))
    names = [panel.toolbar.window_box.itemText(i) for i in range(panel.toolbar.window_box.count())]
    assert names == ["10 s", "1 min", "10 min", "1 h", "6 h", "12 h", "all"]
    panel.toolbar.window_box.setCurrentText("all")
    assert panel.model.window is None
    settle(qtbot, area)
    times = drawn_times(panel)
    assert oldest_in_memory(session) > night.start + 1.9 * 3600  # memory lost the night
    assert abs(times.min() - night.start) < 10.0  # ... the panel draws it from disk
    assert times.max() == pytest.approx(night.end, abs=1.0)  # memory's newest block
    assert panel.disk_parts.received >= 1 and not panel.loading.isVisible()
    x0 = panel.view.viewRange()[0][0]
    assert x0 + panel.x_offset == pytest.approx(night.start, abs=1.0)
    # The whole night in a few hundred points, not 144 000.
    assert len(times) < 4 * panel.view.width()


def test_points_across_the_boundary_are_the_samples_once_each(
    qtbot: QtBot, make_area: MakeArea, archive: Archive, night: Night
) -> None:
    area, session = make_area(archive)
    panel = area.add_panel(PanelLayout(signals=[VOLTAGE], time_mode="clock"))
    boundary = oldest_in_memory(session)
    panel.model.hold(boundary - 10.0, boundary + 10.0)
    settle(qtbot, area)
    times = drawn_times(panel)
    assert times.min() < boundary - 9.9 and times.max() > boundary + 9.9
    # No sample twice, none missing: one every period across the boundary.
    steps = np.diff(times)
    assert np.all(steps > 0)
    np.testing.assert_allclose(steps, PERIOD, atol=1e-3)
    # The values are the samples' own, on disk as in memory.
    numbers = np.round((times - night.start) / PERIOD).astype(int)
    expected = _rows("powerStatus", numbers, night.start + numbers * PERIOD)[:, 0]
    (group,) = panel.groups.values()
    np.testing.assert_array_equal(group.item.y[:, 0], expected)
    in_memory = times >= boundary
    assert 0 < in_memory.sum() < len(times)


def test_queries_run_in_the_worker_thread_only(
    qtbot: QtBot, make_area: MakeArea, archive: Archive
) -> None:
    watched = Watched(archive)
    area, _ = make_area(watched)
    panel = area.add_panel(PanelLayout(signals=[VOLTAGE], window=None))
    settle(qtbot, area)
    area.navigator.refresh_overview()
    settle(qtbot, area)
    assert watched.queries and len(watched.threads) > len(watched.queries)  # spans too
    assert threading.get_ident() not in watched.threads
    assert len(set(watched.threads)) == 1  # one worker thread
    assert panel.disk_parts.received >= 1


def test_frames_are_drawn_while_the_disk_holds_a_query(
    qtbot: QtBot, make_area: MakeArea, archive: Archive, night: Night
) -> None:
    release = threading.Event()
    watched = Watched(archive, hold=release)
    area, session = make_area(watched)
    try:
        panel = area.add_panel(PanelLayout(signals=[VOLTAGE], window=None))
        qtbot.waitUntil(lambda: "powerStatus" in area.disk.spans, timeout=5000)
        area.refresh()
        assert watched.waiting.wait(5)  # the worker is in the query, held
        assert panel.loading.isVisible() and not gc.isenabled()  # collected on the GUI thread
        frames = panel.frames
        for k in range(20):  # live data keeps coming: every frame is drawn, from memory
            t = night.end + (k + 1) * PERIOD
            message = {"id": "powerStatus", "motorVoltage": 30.0, "motorCurrent": 1.0}
            session.telemetry.on_telemetry(Received("powerStatus", message, t, "telemetry"))
            area.refresh()
        assert panel.frames == frames + 20
        assert drawn_times(panel).min() > night.end - MEMORY  # memory only, meanwhile
        assert not release.is_set() and area.fetcher.busy
    finally:
        release.set()
    settle(qtbot, area)
    qtbot.waitUntil(gc.isenabled, timeout=5000)  # once the worker has been idle a while
    assert not panel.loading.isVisible()
    assert abs(drawn_times(panel).min() - night.start) < 10.0


def test_a_live_panel_asks_the_disk_again_only_now_and_then(
    qtbot: QtBot, make_area: MakeArea, archive: Archive, night: Night
) -> None:
    watched = Watched(archive)
    area, session = make_area(watched)
    panel = area.add_panel(PanelLayout(signals=[VOLTAGE], window=3600.0))
    settle(qtbot, area)
    asked = panel.disk_parts.asked
    assert asked >= 1
    for k in range(40):  # 2 s of live data, a frame per sample
        t = night.end + (k + 1) * PERIOD
        message = {"id": "powerStatus", "motorVoltage": 24.0}
        session.telemetry.on_telemetry(Received("powerStatus", message, t, "telemetry"))
        area.refresh()
        qtbot.waitUntil(lambda: not area.fetcher.busy, timeout=5000)
    assert panel.frames >= 41
    # The old part is reused: asked again at most once (its range moved across the grid).
    assert panel.disk_parts.asked <= asked + 1
    assert drawn_times(panel).min() < night.end - 3500


def test_a_failing_disk_leaves_memory_drawn(
    qtbot: QtBot, make_area: MakeArea, archive: Archive, caplog: pytest.LogCaptureFixture
) -> None:
    watched = Watched(archive)
    watched.fail = OSError("the disk went away")
    area, session = make_area(watched)
    panel = area.add_panel(PanelLayout(signals=[VOLTAGE], window=None))
    with caplog.at_level(logging.ERROR):
        settle(qtbot, area)
    assert area.fetcher.failures >= 1
    assert "the disk went away" in caplog.text
    assert not panel.loading.isVisible()
    assert drawn_times(panel).min() >= oldest_in_memory(session) - 1e-6
    asked = panel.disk_parts.asked
    area.refresh()  # the failed range is not asked again on every frame
    assert panel.disk_parts.asked == asked and not area.fetcher.busy


def test_the_long_history_may_come_later(
    qtbot: QtBot, make_area: MakeArea, archive: Archive, night: Night
) -> None:
    area, session = make_area(None)
    panel = area.add_panel(PanelLayout(signals=[VOLTAGE], window=None))
    settle(qtbot, area)
    box = panel.toolbar.window_box
    assert [box.itemText(i) for i in range(box.count())] == ["10 s", "1 min", "10 min", "all"]
    assert not area.navigator.isVisible()
    assert drawn_times(panel).min() >= oldest_in_memory(session) - 1e-6
    session.long_history = archive  # recording started
    area.follow_long_history()  # what the area's one-second timer does
    qtbot.waitUntil(lambda: "powerStatus" in area.disk.spans, timeout=5000)
    assert area.navigator.isVisible() and box.count() == 7
    settle(qtbot, area)
    assert abs(drawn_times(panel).min() - night.start) < 10.0


def test_the_newest_request_wins_and_stale_answers_are_dropped(qtbot: QtBot) -> None:
    fetcher = HistoryFetcher()
    release = threading.Event()
    started = threading.Event()
    ran: list[int] = []
    got: list[tuple[object, object]] = []

    def work(n: int) -> Callable[[], int]:
        def run() -> int:
            ran.append(n)
            if n == 1:
                started.set()
                assert release.wait(10)
            return n * 10

        return run

    def deliver(tag: object, result: object, error: BaseException | None) -> None:
        got.append((tag, result))

    try:
        fetcher.fetch("key", 1, work(1), deliver)
        assert started.wait(5)
        fetcher.fetch("key", 2, work(2), deliver)  # waits behind 1 ...
        fetcher.fetch("key", 3, work(3), deliver)  # ... and is replaced by 3
        fetcher.fetch("other", 9, work(9), deliver)
        release.set()
        qtbot.waitUntil(lambda: not fetcher.busy, timeout=5000)
    finally:
        release.set()
        fetcher.close()
    assert ran == [1, 3, 9]  # 2 never ran
    assert got == [(3, 30), (9, 90)]  # 1 ran, but was stale when it ended


def test_closing_a_panel_drops_its_requests(
    qtbot: QtBot, make_area: MakeArea, archive: Archive
) -> None:
    release = threading.Event()
    watched = Watched(archive, hold=release)
    area, _ = make_area(watched)
    try:
        panel = area.add_panel(PanelLayout(signals=[VOLTAGE], window=None))
        qtbot.waitUntil(lambda: "powerStatus" in area.disk.spans, timeout=5000)
        area.refresh()
        assert watched.waiting.wait(5)
        key = (panel.disk_parts.key, "powerStatus")
        assert area.fetcher.wanted(key) is not None
        area.remove_panel(panel)
        assert area.fetcher.wanted(key) is None
    finally:
        release.set()
    qtbot.waitUntil(lambda: not area.fetcher.busy, timeout=5000)
    assert panel.disk_parts.received == 0


def test_the_night_picture(
    qtbot: QtBot, make_area: MakeArea, archive: Archive, night: Night, tmp_path: Path
) -> None:
    area, _ = make_area(archive)
    for signals in ([VOLTAGE, "powerStatus.motorCurrent"], ["powerStatus.commVoltage"]):
        area.add_panel(PanelLayout(signals=signals, window=None, time_mode="clock"))
    qtbot.waitUntil(lambda: "powerStatus" in area.disk.spans, timeout=5000)
    settle(qtbot, area)
    area.navigator.refresh_overview()
    settle(qtbot, area)
    area.navigator.refresh_overview()
    path = tmp_path / "night.png"
    assert area.grab().save(str(path))
    assert path.stat().st_size > 10_000


def test_the_cursor_reads_values_from_disk(
    qtbot: QtBot, make_area: MakeArea, archive: Archive, night: Night
) -> None:
    area, _ = make_area(archive)
    panel = area.add_panel(PanelLayout(signals=[VOLTAGE], time_mode="clock"))
    panel.toolbar.cross_button.click()
    at = night.start + 3600.0
    panel.model.hold(at - 10.0, at + 10.0)  # an hour before memory: single samples
    settle(qtbot, area)
    number = round((at - night.start) / PERIOD)
    value = _rows("powerStatus", np.array([number]), np.array([night.start + number * PERIOD]))
    spec = CAT.telemetry["powerStatus"].fields["motorVoltage"]

    def read(t: float) -> str:
        y = sum(panel.view.viewRange()[1]) / 2
        scene_point = panel.view.mapViewToScene(QPointF(t - panel.x_offset, y))
        panel._mouse_moved((scene_point,))
        return str(panel.readout.toPlainText())

    assert f"motorVoltage: {spec.format_number(float(value[0, 0]))}" in read(at + 0.001)
    panel.model.hold(night.start, night.start + 3600.0)  # zoomed out: blocks
    settle(qtbot, area)
    text = read(at - 1800.0)
    assert "motorVoltage: " in text and " … " in text  # the block's lowest … highest
    assert "no samples here" not in text
