"""Two real windows: one on the controller that publishes, one viewer through the broker."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
import qasync
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from m2gui.broker import BrokerSource, Publisher
from m2gui.model import load_catalogue
from m2gui.model.session import Session
from m2gui.sim import ControllerSimulator
from m2gui.ui.broker_status import BrokerStatus
from m2gui.ui.controls import CommandButton
from m2gui.ui.main_window import MainWindow

from ..waiting import until
from .mosquitto import Mosquitto

pytestmark = pytest.mark.timeout(60)


def _window(session: Session, tmp_path: Path, name: str, qtbot: QtBot) -> MainWindow:
    settings = QSettings(str(tmp_path / f"{name}.ini"), QSettings.Format.IniFormat)
    window = MainWindow(session, settings, remember_address=False)
    qtbot.addWidget(window)
    window.resize(1366, 768)
    window.show()
    return window


def test_a_viewer_window_shows_the_cell_and_sends_nothing(
    qapp: QApplication, qtbot: QtBot, broker: Mosquitto, tmp_path: Path
) -> None:
    catalogue = load_catalogue()
    url = f"mqtt://127.0.0.1:{broker.port}/m2"

    async def scenario() -> None:
        async with ControllerSimulator(
            command_port=0, telemetry_port=0, seed=2, all_telemetry=True
        ) as sim:
            direct = Session("127.0.0.1", sim.command_port, sim.telemetry_port, history=60)
            publisher = Publisher(direct.connection, url, catalogue=catalogue)
            publisher.start()
            direct.connect()
            source = BrokerSource(url, catalogue, backoff_initial=0.05, stale_after=2.0)
            viewer = Session(catalogue=catalogue, source=source, history=60)
            direct_window = _window(direct, tmp_path, "direct", qtbot)
            viewer_window = _window(viewer, tmp_path, "viewer", qtbot)
            status = BrokerStatus(source)
            viewer_window.statusBar().addPermanentWidget(status)
            viewer.connect()
            try:
                await until(lambda: viewer.connected, what="the viewer connected")
                await until(
                    lambda: "held by" in (viewer.read_only or ""), what="the publisher named"
                )
                assert viewer_window.banner.isVisible()
                assert "held by" in viewer_window.banner.label.text()
                await until(
                    lambda: set(viewer.events.latest) >= set(direct.events.latest) - {""},
                    what="the events in the viewer",
                )
                await until(lambda: len(viewer.telemetry.buffers) >= 10, what="telemetry")
                buttons = viewer_window.findChildren(CommandButton)
                for button in buttons:
                    button.update_state()
                assert buttons and not any(b.isEnabled() for b in buttons)
                status.refresh()
                assert status.text().startswith("viewer: data")
                await asyncio.sleep(1.0)  # let both windows draw their plots for the picture
                direct_window.grab().save(str(tmp_path / "direct.png"))
                viewer_window.grab().save(str(tmp_path / "viewer.png"))
                # The publisher goes: the viewer says its data are stale.
                await publisher.close()

                def stale() -> bool:
                    status.refresh()
                    return source.stale and "STALE" in status.text()

                await until(stale, timeout=10, what="stale shown")
            finally:
                await viewer.close()
                await publisher.close()
                await direct.close()
                direct_window.close()
                viewer_window.close()

    qapp.setQuitOnLastWindowClosed(False)
    with asyncio.Runner(loop_factory=lambda: qasync.QEventLoop(qapp)) as runner:
        runner.run(asyncio.wait_for(scenario(), 40))
