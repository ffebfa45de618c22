"""Pictures of the recording and fan-out sections: a replay window, and two windows
side by side (the controller's, publishing, and a viewer through a broker).

Usage: ``QT_QPA_PLATFORM=offscreen .venv/bin/python docs/screenshots/make_recording.py``
(needs ``mosquitto`` on the PATH for the second picture).
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
from pathlib import Path

from shots import HERE, run, until

sys.path.insert(0, str(HERE.parent.parent))

from PySide6.QtCore import QSettings
from PySide6.QtGui import QImage, QPainter

from m2gui.broker import BrokerSource, Publisher
from m2gui.model import load_catalogue
from m2gui.model.session import Session
from m2gui.record import Archive
from m2gui.record import open as open_recording
from m2gui.record.live import LiveRecording, RecordingOptions
from m2gui.record.replay import ReplaySource
from m2gui.sim import ControllerSimulator
from m2gui.ui.broker_status import BrokerStatus
from m2gui.ui.main_window import MainWindow
from tests.broker.mosquitto import Mosquitto, available

SIZE = (1366, 768)


def window(session: Session, folder: Path, name: str) -> MainWindow:
    settings = QSettings(str(folder / f"{name}.ini"), QSettings.Format.IniFormat)
    shown = MainWindow(session, settings, remember_address=False)
    shown.resize(*SIZE)
    shown.apply_default_layout(*SIZE)
    shown.show()
    return shown


async def replay_picture(folder: Path) -> None:
    async with ControllerSimulator(
        command_port=0, telemetry_port=0, seed=4, all_telemetry=True
    ) as sim:
        live = Session("127.0.0.1", sim.command_port, sim.telemetry_port, history=60)
        recording = LiveRecording(
            live.connection,
            live.telemetry,
            live.catalogue,
            RecordingOptions(folder, folder / "run"),
        )
        recording.start()
        live.connect()
        await live.connection.wait_connected(5)
        await until(lambda: "commandableByDDS" in live.events.latest)
        await live.send("switchCommandSource", {"isRemote": False})
        await live.send("power", {"powerType": 2, "status": True})
        await live.send("power", {"powerType": 1, "status": True})
        await asyncio.sleep(20)
        await live.send("clearErrors")
        await asyncio.sleep(20)
        await live.disconnect()
        recording.close()
    catalogue = load_catalogue()
    recorded = open_recording(folder / "run")
    source = ReplaySource(recorded, catalogue, speed=1.0)
    session = Session(catalogue=catalogue, source=source, history=60)
    session.long_history = Archive(recorded, catalogue)
    shown = window(session, folder, "replay")
    session.connect()
    source.seek(source.start_time + 30)
    await asyncio.sleep(6)
    source.pause()
    await asyncio.sleep(1)
    path = HERE / "replay.png"
    shown.grab().save(str(path))
    print(f"saved {path}")
    shown.close()
    await session.close()


async def fanout_picture(folder: Path) -> None:
    broker = Mosquitto(folder)
    broker.start()
    url = f"mqtt://127.0.0.1:{broker.port}/m2"
    catalogue = load_catalogue()
    try:
        async with ControllerSimulator(
            command_port=0, telemetry_port=0, seed=4, all_telemetry=True
        ) as sim:
            direct = Session("127.0.0.1", sim.command_port, sim.telemetry_port, history=60)
            publisher = Publisher(direct.connection, url, catalogue=catalogue)
            publisher.start()
            source = BrokerSource(url, catalogue)
            viewer = Session(catalogue=catalogue, source=source, history=60)
            left = window(direct, folder, "direct")
            right = window(viewer, folder, "viewer")
            left.statusBar().addPermanentWidget(BrokerStatus(publisher))
            right.statusBar().addPermanentWidget(BrokerStatus(source))
            direct.connect()
            viewer.connect()
            await until(lambda: "held by" in (viewer.read_only or ""))
            await asyncio.sleep(8)
            a, b = left.grab().toImage(), right.grab().toImage()
            both = QImage(a.width() + b.width() + 6, a.height(), QImage.Format.Format_RGB32)
            both.fill(0x303030)
            painter = QPainter(both)
            painter.drawImage(0, 0, a)
            painter.drawImage(a.width() + 6, 0, b)
            painter.end()
            path = HERE / "fanout.png"
            both.save(str(path))
            print(f"saved {path}")
            left.close()
            right.close()
            await viewer.close()
            await publisher.close()
            await direct.close()
    finally:
        broker.stop()


async def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        await replay_picture(Path(tmp))
    if available():
        with tempfile.TemporaryDirectory() as tmp:
            await fanout_picture(Path(tmp))
    else:
        print("mosquitto not found: fanout.png not made")


if __name__ == "__main__":
    run(main)
