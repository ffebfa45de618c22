"""Pictures of the forces, net force and utility views against the real simulator.

The simulator runs with all telemetry, both feeds powered, closed loop, forces
applied on ring B (two actuators pushed near and beyond the closed-loop limit),
and a motor breaker tripped by the simulator's fault injection (warning 6071).

Usage: ``QT_QPA_PLATFORM=offscreen .venv/bin/python docs/screenshots/make_forces.py``
"""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
from typing import Any

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("QT_API", "pyside6")

import numpy as np
import qasync
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QWidget

from m2gui.model.cell.forces import ForcesTable
from m2gui.model.session import Session
from m2gui.sim import ControllerSimulator
from m2gui.ui.cell.forces_view import ForcesView
from m2gui.ui.cell.net_force_view import NetForceView
from m2gui.ui.cell.utility_view import UtilityView

HERE = Path(__file__).resolve().parent
SIZE = (900, 550)  # the tab area at 1366x768


async def wait(condition: Any, timeout: float = 10.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        if loop.time() > deadline:
            raise TimeoutError("the simulator did not get there")
        await asyncio.sleep(0.05)


async def main() -> None:
    async with ControllerSimulator(
        command_port=0, telemetry_port=0, all_telemetry=True, seed=3
    ) as sim:
        session = Session("127.0.0.1", sim.command_port, sim.telemetry_port, history=60)
        session.connect()
        await session.connection.wait_connected(5)
        await wait(lambda: "commandableByDDS" in session.events.latest)
        for name, params in (
            ("switchCommandSource", {"isRemote": False}),
            ("power", {"powerType": 2, "status": True}),
            ("power", {"powerType": 1, "status": True}),
            ("switchForceBalanceSystem", {"status": True}),
        ):
            await session.send(name, params)
        table = session.store(ForcesTable)
        await wait(lambda: table.closed_loop)
        await wait(lambda: bool(np.isfinite(table.values["lut_temperature"][:72]).all()))
        lut = sim.plant.lut_gravity_axial + sim.plant.lut_temperature_axial
        axial = [0.0] * 72
        # B8 and C13 commanded to 444 N in all, the most the controller accepts:
        # with the hardpoint correction their measured forces settle within 5 %
        # of the 444.82 N limit.
        for i in (7, 42):
            axial[i] = 444.0 - float(lut[i])
        await session.send("applyForces", {"axial": axial, "tangent": [0.0] * 6})
        # A motor breaker trips (a warning: closed loop goes on).
        sim.inject("breaker", power="motor", index=4)
        await asyncio.sleep(3.0)  # let the forces settle

        views: dict[str, QWidget] = {
            "forces": ForcesView(session),
            "net_force": NetForceView(session),
            "utility": UtilityView(session),
        }
        for view in views.values():
            view.resize(*SIZE)
            view.show()
        forces = views["forces"]
        assert isinstance(forces, ForcesView)
        await asyncio.sleep(1.0)
        for name, view in views.items():
            view.grab().save(str(HERE / f"{name}.png"))
        forces.ring.setCurrentText("Axial (rings B, C, D)")
        forces.table.sortByColumn(4, Qt.SortOrder.DescendingOrder)
        await asyncio.sleep(0.3)
        forces.grab().save(str(HERE / "forces_sorted.png"))
        for view in views.values():
            view.close()
        await session.disconnect()


if __name__ == "__main__":
    application = QApplication([])
    application.setQuitOnLastWindowClosed(False)
    with asyncio.Runner(loop_factory=lambda: qasync.QEventLoop(application)) as runner:
        runner.run(main())
