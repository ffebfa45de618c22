"""Pictures of the actuator, hardpoint and rigid-body views against the real simulator.

Usage: ``QT_QPA_PLATFORM=offscreen .venv/bin/python docs/screenshots/make_actuators.py``

Each view is grabbed at 900 x 550, the tab area of a 1366 x 768 screen.
"""

from __future__ import annotations

import asyncio
import logging
import os
from pathlib import Path
from typing import Any

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("QT_API", "pyside6")

import qasync
from PySide6.QtWidgets import QApplication, QMessageBox, QWidget
from shots import until

from m2gui.model.cell.hardpoints_selection import HardpointSelection
from m2gui.model.cell.selection import ActuatorSelection
from m2gui.model.session import Session
from m2gui.sim import ControllerSimulator
from m2gui.ui.cell.actuator_view import ActuatorView
from m2gui.ui.cell.hardpoints_view import HardpointsView
from m2gui.ui.cell.rigid_body_view import RigidBodyView

log = logging.getLogger(__name__)
HERE = Path(__file__).resolve().parent
SIZE = (900, 550)


async def click(view: Any, button: Any) -> None:
    """Click a view's button, confirming a dangerous command, and wait for its outcome."""
    before = len(view.session.history.records)
    button.click()
    sender = view.command_sender
    task = sender.task
    await until(lambda: sender.confirm_box is not None or (task is not None and task.done()))
    if sender.confirm_box is not None:
        sender.confirm_box.button(QMessageBox.StandardButton.Yes).click()
    await until(lambda: len(view.session.history.records) > before)
    await until(lambda: view.session.history.records[-1].outcome.final)


def grab(view: QWidget, name: str) -> None:
    view.grab().save(str(HERE / name))
    log.info("saved %s", HERE / name)


async def main() -> None:
    async with ControllerSimulator(command_port=0, telemetry_port=0, seed=3) as sim:
        session = Session("127.0.0.1", sim.command_port, sim.telemetry_port)
        session.connect()
        await until(lambda: "commandableByDDS" in session.events.latest)
        for name, params in (
            ("switchCommandSource", {"isRemote": False}),
            ("power", {"powerType": 2, "status": True}),
            ("power", {"powerType": 1, "status": True}),
            ("setClosedLoopControlMode", {"mode": 3}),
        ):
            await session.send(name, params)
        if hasattr(sim, "inject"):
            sim.inject("fault", code=6071)
        else:
            sim.broadcast([{"id": "summaryFaultsStatus", "status": 1 << 19}])

        views: list[QWidget] = []
        actuators = ActuatorView(session)
        hardpoints = HardpointsView(session)
        rigid = RigidBodyView(session)
        for view in (actuators, hardpoints, rigid):
            view.resize(*SIZE)
            view.show()
            views.append(view)

        # Open loop: the B ring selected, a move and a script running.
        selection = session.store(ActuatorSelection)
        selection.select_ring("B")
        selection.toggle(72)
        actuators.displacement.setValue(0.25)
        await until(lambda: actuators.start.isEnabled())
        await click(actuators, actuators.start)
        actuators.script_name.setText("/u/script/demo_bending_mode.py")
        await click(actuators, actuators.load)
        await click(actuators, actuators.script_buttons[3])  # Run
        await until(lambda: actuators.progress.value() >= 20)
        await until(lambda: actuators.summary_labels["axial"][2].text() != "–")
        grab(actuators, "actuators.png")

        # Closed loop: forces applied, the mirror moved.
        await session.send("switchForceBalanceSystem", {"status": True})
        await until(lambda: actuators.apply.isEnabled())
        actuators.force.setValue(25.0)
        await click(actuators, actuators.apply)
        rigid.target[0].setValue(150.0)
        rigid.target[4].setValue(-12.5)
        await until(lambda: rigid.go_to.isEnabled())
        await click(rigid, rigid.go_to)
        rigid.offsets[2].setValue(10.0)
        await asyncio.sleep(1.5)  # let the mirror settle for the picture
        grab(rigid, "rigid_body.png")
        grab(actuators, "actuators_closed_loop.png")

        # Hardpoints: a C-ring suggestion, not applicable outside Standby.
        store = session.store(HardpointSelection)
        store.set([30, 72])
        hardpoints.suggest.click()
        await until(lambda: store.draft == frozenset({30, 38, 46, 72, 74, 76}))
        await asyncio.sleep(0.1)
        grab(hardpoints, "hardpoints.png")
        store.set([30, 38, 47, 72, 73, 74])
        await asyncio.sleep(0.1)
        grab(hardpoints, "hardpoints_invalid.png")

        for view in views:
            view.close()
        await session.disconnect()


if __name__ == "__main__":
    logging.basicConfig(level=logging.WARNING, format="%(message)s")
    log.setLevel(logging.INFO)
    application = QApplication([])
    application.setQuitOnLastWindowClosed(False)
    with asyncio.Runner(loop_factory=lambda: qasync.QEventLoop(application)) as runner:
        runner.run(main())
