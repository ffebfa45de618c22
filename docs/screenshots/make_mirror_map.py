"""Screenshots of the mirror map against the real simulator, with forces applied.

Writes ``docs/screenshots/mirror_map*.png``. Run from the repository root::

    QT_QPA_PLATFORM=offscreen .venv/bin/python docs/screenshots/make_mirror_map.py
"""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("QT_API", "pyside6")

import numpy as np
import qasync
from PySide6.QtWidgets import QApplication
from shots import until

from m2gui.model.cell.selection import ActuatorSelection
from m2gui.model.geometry import load_geometry
from m2gui.model.session import Session
from m2gui.sim import ControllerSimulator
from m2gui.ui.cell.mirror_map import MirrorMapView

OUT = Path(__file__).resolve().parent
SIZE = (900, 550)  # the tab area at 1366 x 768


def inject(sim: ControllerSimulator, kind: str, **kw: object) -> None:
    """``sim.inject``, or the controller's injection broadcast by hand until it lands."""
    if hasattr(sim, "inject"):
        sim.inject(kind, **kw)
    else:
        sim.broadcast(sim.controller.inject(kind, **kw))


async def main() -> None:
    async with ControllerSimulator(
        command_port=0, telemetry_port=0, all_telemetry=True, seed=3
    ) as sim:
        session = Session("127.0.0.1", sim.command_port, sim.telemetry_port, history=60)
        view = MirrorMapView(session)
        view.resize(*SIZE)
        view.show()
        session.connect()
        await session.connection.wait_connected(5)
        await until(lambda: "commandableByDDS" in session.events.latest)
        # as an engineer would: take command, power on, force balance on, then a
        # tilt of applied forces and a push on two tangent links
        geometry = load_geometry()
        await session.send("switchCommandSource", {"isRemote": False})
        await session.send("power", {"powerType": 2, "status": True})
        await session.send("power", {"powerType": 1, "status": True})
        await session.send("switchForceBalanceSystem", {"status": True})
        axial = [round(120.0 * y / 1.6, 2) for y in geometry.y[:72]]
        tangent = [0.0, 0.0, 300.0, 0.0, 0.0, -300.0]
        await session.send("applyForces", {"axial": axial, "tangent": tangent})
        inject(sim, "cell_temperature_high")  # a warning injected; the loop keeps running
        await until(lambda: np.isfinite(view.model.values).all())
        session.store(ActuatorSelection).set([0, 1, 2, 73])
        await asyncio.sleep(1.5)  # let the measured forces settle
        view.focus = 11
        view.redraw()
        await asyncio.sleep(0.3)
        view.grab().save(str(OUT / "mirror_map.png"))

        view.model.set_quantity("force_error")
        axial = [a + (25.0 if i < 40 else 0.0) for i, a in enumerate(axial)]
        await session.send("applyForces", {"axial": axial, "tangent": tangent})
        await asyncio.sleep(0.2)  # a step: the force error shows while it settles
        view.model.set_labels("value")
        await asyncio.sleep(0.3)
        view.grab().save(str(OUT / "mirror_map_force_error.png"))

        view.model.set_quantity("position")
        view.model.set_labels("index")
        await asyncio.sleep(0.5)
        view.grab().save(str(OUT / "mirror_map_position.png"))
        view.close()
        await session.disconnect()


if __name__ == "__main__":
    app = QApplication.instance() or QApplication(sys.argv)
    assert isinstance(app, QApplication)
    app.setQuitOnLastWindowClosed(False)
    with asyncio.Runner(loop_factory=lambda: qasync.QEventLoop(app)) as runner:
        runner.run(main())
