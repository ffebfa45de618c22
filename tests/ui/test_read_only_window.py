"""A window on a read-only source (replay, broker viewer): a banner, and nothing can be sent."""

from __future__ import annotations

import time
from pathlib import Path

import orjson
import pytest
from PySide6.QtCore import QSettings
from pytestqt.qtbot import QtBot

from m2gui.model import load_catalogue
from m2gui.model.session import Session
from m2gui.model.sources import FedSource, fed_connection
from m2gui.net import ConnectionState, WireLine
from m2gui.ui.controls import CommandButton
from m2gui.ui.main_window import MainWindow

pytestmark = pytest.mark.timeout(30)
TEXT = "Replay of night: commands are disabled"


def test_banner_shows_and_every_command_control_is_disabled(qtbot: QtBot, tmp_path: Path) -> None:
    catalogue = load_catalogue()
    source = FedSource(fed_connection(catalogue, "replay:50010/50011"), TEXT, "replay of night")
    session = Session(catalogue=catalogue, source=source)
    settings = QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat)
    window = MainWindow(session, settings)
    qtbot.addWidget(window)
    window.resize(1366, 768)
    window.show()
    source.set_state(ConnectionState.CONNECTED)
    source.deliver(
        WireLine(
            time.time(), "command", "in", orjson.dumps({"id": "commandableByDDS", "state": False})
        )
    )
    qtbot.waitUntil(lambda: "commandableByDDS" in session.events.latest, timeout=5000)
    assert window.banner.isVisible() and window.banner.label.text() == TEXT
    assert "replay of night" in window.windowTitle()
    assert not window.connect_action.isEnabled() and not window.disconnect_action.isEnabled()
    buttons = window.findChildren(CommandButton)
    assert buttons, "no command buttons found"

    def all_disabled() -> bool:
        for button in buttons:
            button.update_state()
        return all(
            not b.isEnabled() and (b.toolTip() == TEXT or b.command is None) for b in buttons
        )

    qtbot.waitUntil(all_disabled, timeout=5000)
    window.grab().save(str(tmp_path / "read-only.png"))
    source.set_read_only("Viewer of mqtt://broker/m2: held by ops; commands are disabled")
    qtbot.waitUntil(lambda: "held by ops" in window.banner.label.text(), timeout=5000)
