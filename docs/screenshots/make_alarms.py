"""Screenshot of the Alarms / Warnings view against the real simulator.

The GUI takes command and enters Diagnostic (the sequencer), the simulator
reports a few seconds of faults and warnings rising and falling (with
``sim.inject`` where the simulator has it, else by broadcasting the
controller's own ``summaryFaultsStatus``), the Diagnostic mask bypasses
6052 as the incumbent's does, and a code is selected and unticked in the
draft.

Usage: ``QT_QPA_PLATFORM=offscreen .venv/bin/python docs/screenshots/make_alarms.py``
"""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("QT_API", "pyside6")

import qasync
from PySide6.QtWidgets import QApplication, QWidget
from shots import until

from m2gui.model.ops.fault_mask_editor import FaultMaskEditor
from m2gui.model.ops.faults import FaultLog
from m2gui.model.ops.local_mode import Local, LocalMode
from m2gui.model.procedures.runner import ProcedureRunner
from m2gui.model.session import Session
from m2gui.sim import ControllerSimulator
from m2gui.ui.ops.alarms_view import AlarmsView

HERE = Path(__file__).resolve().parent
#: The tab area of the main window at 1366x768.
SIZE = (900, 550)


def save(widget: QWidget, name: str) -> None:
    path = HERE / name
    widget.grab().save(str(path))
    print(f"wrote {path}", file=sys.stderr)


def report(sim: ControllerSimulator, session: Session, *codes: int) -> None:
    """The controller reports exactly ``codes`` as set (6053 from its start included)."""
    faults = session.store(FaultLog)
    if hasattr(sim, "inject"):
        for code in sorted(set(faults.active_codes) | set(codes)):
            if (code in codes) != (code in faults.active_codes):
                sim.inject("fault", code=code, active=code in codes)
        return
    sim.broadcast([{"id": "summaryFaultsStatus", "status": faults.table.codes_value(codes)}])


async def main() -> None:
    async with ControllerSimulator(command_port=0, telemetry_port=0, seed=3) as sim:
        session = Session("127.0.0.1", sim.command_port, sim.telemetry_port)
        view = AlarmsView(session)
        view.resize(*SIZE)
        view.show()
        session.connect()
        await until(lambda: "enabledFaultsMask" in session.events.latest)
        await session.send("switchCommandSource", {"isRemote": False})
        # Standby -> Diagnostic with the sequencer (it sends the Diagnostic mask: 6052 bypassed)
        local = session.store(LocalMode)
        local.start(Local.DIAGNOSTIC)
        runner = session.store(ProcedureRunner)
        await until(lambda: local.mode is Local.DIAGNOSTIC and not runner.busy, 20)
        faults = session.store(FaultLog)
        # a few seconds of history: 6053 at start, 6052 flapping, then 6055 and 6071 stay
        steps: list[tuple[int, ...]] = [
            (6053,),
            (6053, 6087),
            (6087,),
            (),
            (6071,),
            (6071, 6055),
            (6071, 6055, 6060),
            (6071, 6055),
        ]
        for codes in steps:
            report(sim, session, *codes)
            wanted = sorted(codes)
            await until(lambda: faults.active_codes == wanted)  # noqa: B023
            await asyncio.sleep(0.7)  # spread the rises and falls on the timeline
        view.filter_box.setCurrentText("All codes")
        row = view.model.row_of(6060)
        assert row is not None
        view.table.selectRow(row)
        view.table.scrollToTop()
        session.store(FaultMaskEditor).set_enabled(6060, False)
        await asyncio.sleep(0.3)
        save(view, "alarms.png")
        view.filter_box.setCurrentText("Active or latched")
        await asyncio.sleep(0.3)
        save(view, "alarms_active.png")
        view.close()
        await session.disconnect()


if __name__ == "__main__":
    application = QApplication(sys.argv)
    application.setQuitOnLastWindowClosed(False)
    with asyncio.Runner(loop_factory=lambda: qasync.QEventLoop(application)) as runner:
        runner.run(main())
