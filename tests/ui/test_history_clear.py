"""A replay that jumps back clears the event and command histories, in order with new rows."""

from __future__ import annotations

import time

import pytest
from pytestqt.qtbot import QtBot

from m2gui.model import load_catalogue
from m2gui.model.events import EventStore
from m2gui.model.history import CommandHistory
from m2gui.net import CommandRecord, Received
from m2gui.ui.bridge import Listener
from m2gui.ui.commands.history_panel import HistoryPanel
from m2gui.ui.events_panel import EventsPanel

pytestmark = pytest.mark.timeout(30)
CAT = load_catalogue()


def _event(name: str, t: float, **fields: object) -> Received:
    return Received(name, {"id": name, **fields}, t, "command")


def test_events_panel_drops_rows_from_before_the_clear_only(qtbot: QtBot) -> None:
    store = EventStore(CAT)
    panel = EventsPanel(store)
    qtbot.addWidget(panel)
    store.on_event(_event("interlock", 1.0, state=True))
    store.on_event(_event("interlock", 2.0, state=False))
    # One batch: two old rows, the clear, one new row.
    store.clear_history()
    store.on_event(_event("interlock", 0.5, state=True))
    for listener in panel.findChildren(Listener):
        listener.flush()
    assert [row.time for row in panel.history_model.rows] == [0.5]
    assert store.latest["interlock"].fields == {"state": True}


def test_history_panel_drops_commands_from_before_the_clear(qtbot: QtBot) -> None:
    history = CommandHistory()
    panel = HistoryPanel(history, catalogue=CAT)
    qtbot.addWidget(panel)
    now = time.monotonic()
    for seq in (1, 2):
        history.on_record(CommandRecord("clearErrors", {}, seq, time.time(), now))
    history.clear()
    history.on_record(CommandRecord("enterControl", {}, 3, time.time(), now))
    for listener in panel.findChildren(Listener):
        listener.flush()
    assert [r.sequence_id for r in panel.model.rows] == [3]
    assert [r.sequence_id for r in history.records] == [3]
