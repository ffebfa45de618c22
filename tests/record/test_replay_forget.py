"""A jump back forgets event values from after the jump, in the store and in the events panel."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest
from pytestqt.qtbot import QtBot

from m2gui.model import load_catalogue
from m2gui.model.session import Session
from m2gui.net import WireLine
from m2gui.record import Recorder
from m2gui.record import open as open_recording
from m2gui.record.replay import FASTEST, ReplaySource
from m2gui.ui.bridge import Listener
from m2gui.ui.events_panel import EventsPanel

from ..waiting import until

pytestmark = pytest.mark.timeout(30)
T0 = 1_780_000_000.0


def _line(t: float, message: dict[str, object]) -> WireLine:
    return WireLine(T0 + t, "command", "in", orjson.dumps(message))


def _recording(folder: Path) -> None:
    recorder = Recorder(folder, {"host": "127.0.0.1"}, flush_interval=60)
    recorder.write(_line(1.0, {"id": "interlock", "state": False}))
    recorder.write(_line(2.0, {"id": "commandableByDDS", "state": True}))
    recorder.write(_line(8.0, {"id": "interlock", "state": True}))
    recorder.write(_line(9.0, {"id": "tcpIpConnected", "isConnected": True}))
    recorder.close()


async def test_a_jump_back_forgets_what_came_after_it(tmp_path: Path, qtbot: QtBot) -> None:
    _recording(tmp_path / "rec")
    catalogue = load_catalogue()
    source = ReplaySource(open_recording(tmp_path / "rec"), catalogue, speed=FASTEST)
    session = Session(catalogue=catalogue, source=source, history=30)
    panel = EventsPanel(session.events)
    qtbot.addWidget(panel)
    ended: list[bool] = []
    source.finished.connect(lambda: ended.append(True))
    session.connect()
    await until(lambda: ended, what="the end")
    assert set(session.events.latest) >= {"interlock", "commandableByDDS", "tcpIpConnected"}
    caught: list[float] = []
    source.caught_up.connect(caught.append)
    source.seek(T0 + 5.0)
    source.pause()
    await until(lambda: caught, what="the catch-up")
    events = session.events.latest
    assert "tcpIpConnected" not in events  # first seen at 9 s: the jump's future
    assert events["interlock"].fields == {"state": False}  # its value at 5 s
    assert "commandableByDDS" in events
    for listener in panel.findChildren(Listener):
        listener.flush()
    assert "tcpIpConnected" not in panel.items and "interlock" in panel.items
    titles = [panel.tree.topLevelItem(i).text(0) for i in range(panel.tree.topLevelItemCount())]
    assert "tcpIpConnected" not in titles
    await session.close()
