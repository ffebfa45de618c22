"""Regenerate the README's pictures: drive the real window offscreen, then grab it.

Usage: ``QT_QPA_PLATFORM=offscreen .venv/bin/python docs/make_screenshots.py``
"""

from __future__ import annotations

import asyncio
import os
import tempfile
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("QT_API", "pyside6")

import qasync
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication, QMessageBox

from m2gui.model.session import Session
from m2gui.record.live import LiveRecording, RecordingOptions
from m2gui.sim import ControllerSimulator
from m2gui.ui.main_window import MainWindow

HERE = Path(__file__).resolve().parent


async def send(window: MainWindow, name: str, params: dict) -> None:
    panel = window.command_panel
    panel.load(name, params)
    task = panel.send()
    assert task is not None, panel.outcome.text()
    if window.session.catalogue.commands[name].needs_confirmation(params):
        while panel.confirm_box is None:
            await asyncio.sleep(0.01)
        panel.confirm_box.button(QMessageBox.StandardButton.Yes).click()
    await task


async def main(app: QApplication) -> None:
    async with ControllerSimulator(command_port=0, telemetry_port=0, all_telemetry=True) as sim:
        session = Session("127.0.0.1", sim.command_port, sim.telemetry_port)
        scratch = Path(tempfile.mkdtemp())
        settings = QSettings(str(scratch / "s.ini"), QSettings.Format.IniFormat)
        # Recording on, as m2gui records by default (into the scratch folder).
        recording = LiveRecording(
            session.connection,
            session.telemetry,
            session.catalogue,
            RecordingOptions(scratch / "recordings"),
        )
        recording.start()
        window = MainWindow(session, settings, remember_address=False, recording=recording)
        window.resize(1600, 960)
        window.show()
        window.connect_to_controller()
        await session.connection.wait_connected(5)
        await asyncio.sleep(1.0)
        for name, params in (
            ("switchCommandSource", {"isRemote": False}),
            ("power", {"powerType": 2, "status": True}),
            ("power", {"powerType": 1, "status": True}),
            ("switchForceBalanceSystem", {"status": True}),
        ):
            await send(window, name, params)
            await asyncio.sleep(0.5)
        forces = [0.0] * 72
        for i in range(0, 72, 6):
            forces[i] = 40.0
        await send(window, "applyForces", {"axial": forces, "tangent": [0.0] * 6})
        await asyncio.sleep(4.0)
        try:
            await send(
                window,
                "positionMirror",
                {"x": 9000.0, "y": 0.0, "z": 0.0, "xRot": 0.0, "yRot": 0.0, "zRot": 0.0},
            )
        except Exception:
            pass
        window.command_panel.load("applyForces", {"axial": forces, "tangent": [0.0] * 6})
        window.panels["history"].raise_()
        await asyncio.sleep(1.5)
        window.grab().save(str(HERE / "screenshot-commands.png"))
        window.close()
        await session.disconnect()


if __name__ == "__main__":
    application = QApplication([])
    application.setQuitOnLastWindowClosed(False)
    with asyncio.Runner(loop_factory=lambda: qasync.QEventLoop(application)) as runner:
        runner.run(main(application))
