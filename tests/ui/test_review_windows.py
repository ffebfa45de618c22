"""Review of the replay bar's loop controls and of the replay windows' life."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import shiboken6
from PySide6.QtCore import QSettings
from pytestqt.qtbot import QtBot

from m2gui.app import ReplayWindows
from m2gui.model import load_catalogue
from m2gui.model.log_store import LogStore
from m2gui.net import WireLine
from m2gui.record import Recorder
from m2gui.record import open as open_recording
from m2gui.record.replay import ReplaySource
from m2gui.ui.replay_bar import ReplayBar

from .conftest import until

pytestmark = pytest.mark.timeout(30)

#: Not on a tenth of a second: the time-of-day text of the start rounds down.
T0 = 1_780_000_000.37


def _record(folder: Path) -> None:
    recorder = Recorder(folder, {"host": "127.0.0.1"})
    for i in range(100):
        line = f'{{"id":"inclinometerAngleTma","inclinometer":{i}}}'.encode()
        recorder.write(WireLine(T0 + i * 0.1, "telemetry", "in", line))
    recorder.close()


@pytest.fixture
def bar(qtbot: QtBot, tmp_path: Path) -> ReplayBar:
    _record(tmp_path / "rec")
    source = ReplaySource(open_recording(tmp_path / "rec"), load_catalogue())
    widget = ReplayBar(source)
    qtbot.addWidget(widget)
    widget.show()
    return widget


def test_loop_with_the_range_left_empty_loops_over_the_whole_recording(bar: ReplayBar) -> None:
    source = bar.source
    bar.loop_box.setChecked(True)
    assert bar.message.text() == ""
    assert source.loop == (source.start_time, source.end_time)
    bar.loop_box.setChecked(False)
    assert source.loop is None


@pytest.mark.parametrize(
    ("start", "end", "says"),
    [("99:00", "", "not a time of day"), ("", "", "empty")],
)
def test_a_loop_that_cannot_be_set_says_why(
    bar: ReplayBar, start: str, end: str, says: str
) -> None:
    source = bar.source
    bar.loop_from.setText(start)
    bar.loop_to.setText(end)
    if says == "empty":  # both ends at the same moment
        moment = f"{bar.position.text()[:8]}.9"
        bar.loop_from.setText(moment)
        bar.loop_to.setText(moment)
    bar.loop_box.setChecked(True)
    assert bar.message.text().startswith("loop:") and says in bar.message.text()
    assert not bar.loop_box.isChecked() and source.loop is None


def test_a_closed_replay_window_is_deleted(run_qasync: Any, tmp_path: Path) -> None:
    async def body() -> None:
        _record(tmp_path / "rec")
        settings = QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat)
        windows = ReplayWindows(settings, LogStore(), 60.0)
        window = windows.open(str(tmp_path / "rec"))
        assert window is not None
        source = window.session.source
        assert isinstance(source, ReplaySource)
        window.close()
        await until(lambda: not windows.windows and source.recording._closed, what="closed")
        await until(lambda: not shiboken6.isValid(window), what="the window deleted")

    run_qasync(body())
