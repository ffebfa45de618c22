"""The traffic view and the command history keep bounded text whatever the peer sends."""

from __future__ import annotations

import time
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from m2gui.model.history import CommandHistory
from m2gui.model.session import Session
from m2gui.net import CommandRecord, CommandRejected, Outcome
from m2gui.ui.commands import console as console_module
from m2gui.ui.commands.console import ConsolePanel
from m2gui.ui.commands.history_panel import HistoryPanel


def make_console(qtbot: QtBot, **kw: Any) -> ConsolePanel:
    session = Session("127.0.0.1", 1, 2, reconnect=False)
    console = ConsolePanel(session, **kw)
    qtbot.addWidget(console)
    console.resize(900, 500)
    console.show()
    return console


def delivered(qtbot: QtBot, console: ConsolePanel) -> None:
    """Let the bridge hand the traffic over to the view."""
    qtbot.waitUntil(lambda: not console.traffic_listener._armed, timeout=5000)


def test_traffic_view_is_bounded_in_bytes_and_says_so(qtbot: QtBot) -> None:
    console = make_console(qtbot, max_chars=1_000_000)
    listener = console.session.connection._traffic_listeners[0]  # what the connection calls
    big = {"id": "configurationFiles", "files": ["z" * 250_000]}
    for i in range(5000):
        listener("command", "in", big, time.time())
        listener("command", "in", "r" * 250_000, time.time())  # a raw line
        if i % 1000 == 0:
            delivered(qtbot, console)
    delivered(qtbot, console)
    model = console.model
    assert model.chars <= 1_000_000
    assert model.chars == sum(len(row[3]) + console_module.ROW_OVERHEAD for row in model.rows)
    assert 0 < model.rowCount() < 10_000
    assert model.dropped > 0
    assert "dropped" in console.dropped.text()
    text = model.rows[-1][3]
    assert len(text) <= console_module.TEXT_CHARS + 1 and text.endswith("…")
    tip = model.data(model.index(model.rowCount() - 1, 3), Qt.ItemDataRole.ToolTipRole)
    assert "truncated" in tip
    QApplication.processEvents()  # lay out the label's new text
    console.grab().save("/tmp/console_bounds.png")


def test_a_message_json_cannot_encode_is_shown(qtbot: QtBot) -> None:
    console = make_console(qtbot)
    listener = console.session.connection._traffic_listeners[0]
    listener("command", "in", {"id": "x", "n": 10**5000}, time.time())  # json.dumps raises
    delivered(qtbot, console)
    assert console.model.rowCount() == 1
    assert "bits" in console.model.rows[0][3]


def flooded_record() -> CommandRecord:
    record = CommandRecord("applyForces", {}, 7, time.time(), time.monotonic())
    record.outcome = Outcome.FAIL
    record.reason = "r" * 100_000
    record.user_info = [f"late reply {i}: " + "u" * 200 for i in range(20_000)]
    return record


def test_history_never_joins_unbounded_text(qtbot: QtBot) -> None:
    history = CommandHistory()
    panel = HistoryPanel(history)
    qtbot.addWidget(panel)
    history.on_record(flooded_record())
    qtbot.waitUntil(lambda: panel.model.rowCount() == 1, timeout=5000)
    model = panel.model
    cell = model.data(model.index(0, 7))
    assert len(cell) <= 400
    assert "…" in cell and "20001" in cell  # the reason and 20,000 replies, counted
    tip = model.data(model.index(0, 7), Qt.ItemDataRole.ToolTipRole)
    assert len(tip) <= 4000
    panel.table.selectRow(0)
    details = panel.details.toPlainText()
    assert len(details) <= 20_000
    assert "more not shown" in details


def test_console_result_is_bounded(qtbot: QtBot) -> None:
    console = make_console(qtbot)
    record = flooded_record()
    console.show_failure("applyForces", CommandRejected(record, "no"))
    assert len(console.result.text()) <= 1000
