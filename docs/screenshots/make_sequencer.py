"""Pictures of the sequencer and ILC views, driven against the real simulator.

Usage: ``QT_QPA_PLATFORM=offscreen .venv/bin/python docs/screenshots/make_sequencer.py``

Writes ``sequencer.png`` (Standby → Diagnostic → Enable done, then a fault
that drops Enable to Diagnostic: the banner and the clean-up's step list),
``sequencer_failed.png`` (Enable failing at its OpenLoop step, the motor
switched off again), ``ilc.png`` (the ILCs after the bring-up, one of them in
Fault) and ``ilc_unknown.png`` (after Diagnostic → Standby: every mode Unknown).
Each view is 900 x 550, the tab area at 1366 x 768.
"""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("QT_API", "pyside6")

import qasync
from PySide6.QtWidgets import QApplication, QWidget

from m2gui.model.ops.local_mode import Local, LocalMode
from m2gui.model.procedures import ProcedureRunner
from m2gui.model.session import Session
from m2gui.sim import ControllerSimulator
from m2gui.ui.ops.ilc_view import IlcView
from m2gui.ui.ops.sequencer_view import SequencerView

HERE = Path(__file__).resolve().parent
SIZE = (900, 550)


async def settle(app: QApplication, seconds: float = 0.3) -> None:
    """Let the bridge deliver and the widgets repaint."""
    await asyncio.sleep(seconds)


def save(widget: QWidget, name: str) -> None:
    widget.grab().save(str(HERE / name))
    print(f"wrote {HERE / name}")


async def go(local: LocalMode, target: Local) -> None:
    procedure = local.start(target)
    assert procedure.task is not None
    result = await procedure.task
    print(result.text)


async def main(app: QApplication) -> None:
    async with ControllerSimulator(command_port=0, telemetry_port=0, seed=3) as sim:
        session = Session("127.0.0.1", sim.command_port, sim.telemetry_port)
        sequencer = SequencerView(session)
        ilcs = IlcView(session)
        for view in (sequencer, ilcs):
            view.resize(*SIZE)
            view.show()
        session.connect()
        await session.connection.wait_connected(5)
        await settle(app, 0.5)
        await session.send("switchCommandSource", {"isRemote": False})
        await session.send("clearErrors")
        local = session.store(LocalMode)
        runner = session.store(ProcedureRunner)

        # Enable fails at OpenLoop: the motor is switched off again.
        await go(local, Local.DIAGNOSTIC)

        def fail_open_loop(procedure: object, run: object) -> None:
            if getattr(run, "sending", "") == "setClosedLoopControlMode":
                sim.faults.fail_next = 1
                sim.faults.fail_reason = "closed-loop controller not ready"
                runner.step.disconnect(fail_open_loop)

        runner.step.connect(fail_open_loop)
        await go(local, Local.ENABLE)
        await settle(app)
        save(sequencer, "sequencer_failed.png")

        # Enable, then a fault drops it to Diagnostic.
        await go(local, Local.ENABLE)
        sim.inject("ilc_fault", address=40)  # ILC 41 in Fault: fault 6051 (actuator ILC)
        while local.mode is not Local.DIAGNOSTIC or runner.busy:
            await asyncio.sleep(0.05)
        await settle(app)
        save(sequencer, "sequencer.png")
        save(ilcs, "ilc.png")

        await go(local, Local.STANDBY)
        await settle(app)
        save(ilcs, "ilc_unknown.png")
        await session.disconnect()


if __name__ == "__main__":
    application = QApplication([])
    application.setQuitOnLastWindowClosed(False)
    with asyncio.Runner(loop_factory=lambda: qasync.QEventLoop(application)) as runner:
        runner.run(main(application))
