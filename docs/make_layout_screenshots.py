"""The default window (no saved settings) at 1366 x 768 and 1920 x 1080, against the simulator.

Usage: ``QT_QPA_PLATFORM=offscreen .venv/bin/python docs/make_layout_screenshots.py [OUTDIR]``

Writes ``screenshot-1366x768.png`` and ``screenshot-1920x1080.png`` next to this
script (or into OUTDIR), each once connected and the default plots have drawn.
"""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("QT_API", "pyside6")

import qasync
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication

from m2gui.model.session import Session
from m2gui.record.live import LiveRecording, RecordingOptions
from m2gui.sim import ControllerSimulator
from m2gui.ui.main_window import MainWindow

HERE = Path(__file__).resolve().parent
SIZES = ((1366, 768), (1920, 1080))


async def shoot(sim: ControllerSimulator, size: tuple[int, int], out: Path) -> Path:
    """Build the default window at ``size``, connect, let it draw, save it."""
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
    window.apply_default_layout(*size)
    window.show()
    window.connect_to_controller()
    await session.connection.wait_connected(5)
    deadline = time.monotonic() + 10
    while session.link.telemetry_age() is None and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    await asyncio.sleep(2.0)  # a few seconds of curves
    path = out / f"screenshot-{size[0]}x{size[1]}.png"
    if not window.grab().save(str(path)):
        raise OSError(f"could not write {path}")
    print(f"saved {path} ({window.width()} x {window.height()})")  # a script's output
    window.close()
    await session.disconnect()
    recording.close()
    return path


async def main(out: Path) -> None:
    async with ControllerSimulator(command_port=0, telemetry_port=0, all_telemetry=True) as sim:
        for size in SIZES:
            await shoot(sim, size, out)


if __name__ == "__main__":
    application = QApplication.instance() or QApplication([])
    assert isinstance(application, QApplication)
    application.setQuitOnLastWindowClosed(False)
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else HERE
    with asyncio.Runner(loop_factory=lambda: qasync.QEventLoop(application)) as runner:
        runner.run(main(target))
