"""Screenshots of the Overview and Limit Switches views against the real simulator.

The simulator is powered, put in closed loop, given forces that bring two
actuators within 5 % of their limits, and made to report limit-switch trips,
faults and the cell temperature warning (with ``sim.inject`` where the
simulator has it, else by broadcasting the controller's own events).

Usage: ``QT_QPA_PLATFORM=offscreen .venv/bin/python docs/screenshots/make_overview.py``
"""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path
from typing import Any

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("QT_API", "pyside6")

import qasync
from PySide6.QtWidgets import QApplication, QWidget
from shots import until

from m2gui.model.ops.limit_switch import LimitSwitches
from m2gui.model.session import Session
from m2gui.sim import ControllerSimulator
from m2gui.ui.ops.limit_switch_view import LimitSwitchView
from m2gui.ui.ops.overview_view import OverviewView

HERE = Path(__file__).resolve().parent
#: The tab area of the main window at 1366x768.
SIZE = (900, 550)


def inject(sim: ControllerSimulator, kind: str, events: list[dict[str, Any]], **kw: Any) -> None:
    """The simulator's fault injection if it has it, else the controller's events."""
    if hasattr(sim, "inject"):
        sim.inject(kind, **kw)
    else:
        sim.broadcast(events)


def save(widget: QWidget, name: str) -> None:
    path = HERE / name
    widget.grab().save(str(path))
    print(f"wrote {path}", file=sys.stderr)


async def main() -> None:
    async with ControllerSimulator(command_port=0, telemetry_port=0, seed=3) as sim:
        session = Session("127.0.0.1", sim.command_port, sim.telemetry_port, history=30)
        overview = OverviewView(session)
        switches = LimitSwitchView(session)
        for view in (overview, switches):
            view.resize(*SIZE)
            view.show()
        session.connect()
        await session.connection.wait_connected(5)
        await until(lambda: "commandableByDDS" in session.events.latest)
        await session.send("switchCommandSource", {"isRemote": False})
        await session.send("power", {"powerType": 2, "status": True})
        await session.send("power", {"powerType": 1, "status": True})
        await session.send("switchForceBalanceSystem", {"status": True})
        await until(lambda: session.telemetry.buffer("axialForce") is not None)
        axial = session.telemetry.buffer("axialForce")
        assert axial is not None
        lut_axial = (
            axial.values(axial.columns["lutGravity"])[-1]
            + axial.values(axial.columns["lutTemperature"])[-1]
        )
        store = session.store(LimitSwitches)
        limits = store.limits
        applied_axial = [0.0] * 72
        # B5 and C10 pushed to 99 % of the closed-loop limit (retract side). The
        # simulator's force balance spreads the net load of an applied pattern over
        # the other actuators, so the measured force ends a little lower.
        for index in (4, 39):
            applied_axial[index] = 0.99 * limits.axial - float(lut_axial[index])
        applied_tangent = [0.0] * 6
        await session.send("applyForces", {"axial": applied_axial, "tangent": applied_tangent})
        await until(lambda: len(store.near()) >= 2)
        inject(
            sim,
            "limit_switch",
            [{"id": "limitSwitchStatus", "retract": [12], "extend": [40, 76]}],
            actuator=12,
            direction="retract",
        )
        if hasattr(sim, "inject"):
            sim.inject("limit_switch", actuator=40, direction="extend")
            sim.inject("limit_switch", actuator=76, direction="extend")
        inject(
            sim,
            "cell_temperature_high",
            [{"id": "cellTemperatureHiWarning", "hiWarning": True}],
        )
        if not hasattr(sim, "inject"):
            sim.broadcast([{"id": "summaryFaultsStatus", "status": (1 << 6) | (1 << 34)}])
        await until(lambda: len(store.tripped()) >= 3)
        await until(lambda: overview.lamp("alarm").text().endswith("ALARM"))
        await asyncio.sleep(0.3)  # one display refresh
        save(overview, "overview.png")
        save(switches, "limit_switches.png")
        await session.disconnect()
        overview.close()
        switches.close()


if __name__ == "__main__":
    app = QApplication.instance() or QApplication(sys.argv)
    qasync.run(main())
