"""Screenshots of the Diagnostics and Configuration views against the real simulator.

Usage: ``QT_QPA_PLATFORM=offscreen .venv/bin/python docs/screenshots/make_diagnostics.py``

Takes command and grabs the Configuration view in Standby with a file chosen;
then runs the real Standby → Diagnostic transition, powers the cell, trips a
breaker (when the simulator offers fault injection) and grabs the Diagnostics
view. Both at the 1366x768 tab size (900x550), into ``docs/screenshots/``.
"""

from __future__ import annotations

import asyncio
import logging
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("QT_API", "pyside6")

import qasync
from PySide6.QtWidgets import QApplication, QWidget

from m2gui.model.ops.configuration import Configuration
from m2gui.model.ops.local_mode import Local, LocalMode
from m2gui.model.session import Session
from m2gui.sim import ControllerSimulator
from m2gui.ui.ops.configuration_view import ConfigurationView
from m2gui.ui.ops.diagnostics_view import DiagnosticsView

log = logging.getLogger("make_diagnostics")
HERE = Path(__file__).resolve().parent
SIZE = (900, 550)


async def wait_for(condition: Callable[[], object], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out waiting for {condition}")
        await asyncio.sleep(0.02)


async def grab(widget: QWidget, name: str) -> None:
    widget.resize(*SIZE)
    widget.show()
    await asyncio.sleep(0.3)  # let it lay out and paint
    path = HERE / f"{name}.png"
    widget.grab().save(str(path))
    log.info("saved %s", path)


async def main() -> None:
    async with ControllerSimulator(command_port=0, telemetry_port=0, seed=3) as sim:
        session = Session("127.0.0.1", sim.command_port, sim.telemetry_port)
        diagnostics = DiagnosticsView(session)
        configuration = ConfigurationView(session)
        session.connect()
        await session.connection.wait_connected(5)
        await wait_for(lambda: "commandableByDDS" in session.events.latest)
        await session.send("switchCommandSource", {"isRemote": False})
        store = session.store(Configuration)
        store.choose(store.files[1])  # in Standby: Set Configuration File is enabled
        await grab(configuration, "configuration")
        local = session.store(LocalMode)
        local.start(Local.DIAGNOSTIC)
        await wait_for(lambda: local.mode is Local.DIAGNOSTIC, 30)
        await session.send("power", {"powerType": 2, "status": True})
        await session.send("power", {"powerType": 1, "status": True})
        inject = getattr(sim, "inject", None)
        if inject is not None:
            inject("breaker", power="communication", index=1)
        await wait_for(lambda: session.telemetry.buffer("tangentForce") is not None)
        await asyncio.sleep(1.0)
        await grab(diagnostics, "diagnostics")
        diagnostics.close()
        configuration.close()
        await session.disconnect()


if __name__ == "__main__":
    logging.basicConfig(level=logging.WARNING, format="%(message)s")
    log.setLevel(logging.INFO)
    application = QApplication(sys.argv[:1])
    application.setQuitOnLastWindowClosed(False)
    qasync.run(main())
