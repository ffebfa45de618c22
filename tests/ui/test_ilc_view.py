"""The ILC view driven as a user would, against the real simulator on a qasync loop."""

from __future__ import annotations

from typing import Any

import pytest
from pytestqt.qtbot import QtBot

from m2gui.model.ops.ilc import IlcStates
from m2gui.model.procedures import ProcedureRunner
from m2gui.model.session import Session
from m2gui.sim import ControllerSimulator
from m2gui.ui.ops.ilc_view import IlcView, lamp_style

from .conftest import until

pytestmark = pytest.mark.timeout(60)

ACTUATORS = [a for a in range(78) if a != 5]  # the simulator bypasses ILC 5 (ModBUS 6)
SENSORS = list(range(78, 84))


def tip(widget: Any) -> str:
    return str(widget.toolTip())


def test_disconnected_lamps_and_buttons(qtbot: QtBot) -> None:
    session = Session("127.0.0.1", 1, 2, reconnect=False, history=5)
    view = IlcView(session)
    qtbot.addWidget(view)
    assert len(view.lamps) == 84
    assert view.lamps[0].text() == "1\nnot read"
    assert view.lamps[83].text() == "84\nnot read"
    assert tip(view.lamps[72]).startswith("ModBUS id 73 (address 72): tangent link A1")
    assert tip(view.lamps[83]).startswith("ModBUS id 84 (address 83): inclinometer")
    for button in (view.check, view.enable):
        assert not button.isEnabled() and tip(button) == "not connected to the controller"
    assert view.reset.isEnabled()  # local only
    assert view.bypassed.text() == "Bypassed ILCs: none"


def test_lamp_styles_follow_the_model_colours() -> None:
    assert "background: #2e9d4f" in lamp_style(3, False)
    assert "solid" in lamp_style(3, False) and "dashed" in lamp_style(3, True)
    assert "background: #d03030" in lamp_style(5, False)


def test_check_then_enable_from_the_buttons(run_qasync: Any, qtbot: QtBot) -> None:
    async def scenario() -> None:
        async with ControllerSimulator(command_port=0, telemetry_port=0) as sim:
            session = Session("127.0.0.1", sim.command_port, sim.telemetry_port, history=5)
            view = IlcView(session)
            qtbot.addWidget(view)
            view.resize(900, 550)
            view.show()
            session.connect()
            await session.connection.wait_connected(5)
            # The welcome: every ILC Unknown, ILC 5 bypassed.
            await until(lambda: view.lamps[83].text() == "84\nUnknown", what="welcome")
            await until(lambda: "ModBUS 6 (axial actuator B6)" in view.bypassed.text())
            assert "Bypassed" in tip(view.lamps[5])
            await until(lambda: "the CSC holds command" in tip(view.check), what="CSC")
            await session.send("switchCommandSource", {"isRemote": False})
            await until(lambda: "communication power" in tip(view.check), what="power rule")
            await session.send("power", {"powerType": 2, "status": True})
            await until(lambda: view.check.isEnabled(), what="Check live")

            mark = len(session.history.records)
            view.check.click()
            runner = session.store(ProcedureRunner)
            await until(lambda: runner.last is not None and not runner.busy, 10, "checked")
            records = list(session.history.records)[mark:]
            assert [(r.name, r.params) for r in records] == [
                ("getInnerLoopControlMode", {"addresses": list(range(84))})
            ]
            await until(lambda: view.lamps[0].text() == "1\nStandby", what="Standby")
            assert "background: #4fd2e8" in view.lamps[0].styleSheet()  # cyan
            await until(lambda: "Check ILC states: done" in view.status.text())

            mark = len(session.history.records)
            view.enable.click()
            await until(lambda: runner.last is not None and runner.last.name.startswith("Enable"))
            await until(lambda: not runner.busy, 10, "enabled")
            records = list(session.history.records)[mark:]
            assert [(r.name, r.params) for r in records] == [
                ("setInnerLoopControlMode", {"addresses": ACTUATORS, "mode": 2}),
                ("setInnerLoopControlMode", {"addresses": SENSORS, "mode": 3}),
                ("setInnerLoopControlMode", {"addresses": ACTUATORS, "mode": 3}),
            ]
            await until(lambda: view.lamps[0].text() == "1\nEnabled", what="Enabled")
            assert view.progress.value() == 83
            assert view.progress.format() == "%v of 84 Enabled"

            # An ILC fault turns its lamp red, with the word.
            sim.inject("ilc_fault", address=40)
            await until(lambda: view.lamps[40].text() == "41\nFault", what="Fault")
            assert "background: #d03030" in view.lamps[40].styleSheet()

            # Reset forgets the modes shown; nothing is sent.
            mark = len(session.history.records)
            view.reset.click()
            await until(lambda: view.lamps[0].text() == "1\nnot read", what="reset")
            assert session.store(IlcStates).modes == [None] * 84
            assert len(session.history.records) == mark
            await session.disconnect()

    run_qasync(scenario(), 40)


def test_check_and_enable_need_idle_and_wait_for_a_running_procedure(
    run_qasync: Any, qtbot: QtBot
) -> None:
    async def scenario() -> None:
        async with ControllerSimulator(command_port=0, telemetry_port=0) as sim:
            session = Session("127.0.0.1", sim.command_port, sim.telemetry_port, history=5)
            view = IlcView(session)
            qtbot.addWidget(view)
            session.connect()
            await session.connection.wait_connected(5)
            await until(lambda: "summaryFaultsStatus" in session.events.latest, what="welcome")
            await session.send("switchCommandSource", {"isRemote": False})
            await session.send("power", {"powerType": 2, "status": True})
            await until(lambda: view.enable.isEnabled(), what="Enable live")
            await session.send("setClosedLoopControlMode", {"mode": 2})
            expected = "needs the controller in Idle mode (it is TelemetryOnly)"
            await until(lambda: tip(view.check) == expected, what="Idle rule")
            assert tip(view.enable) == expected
            await session.send("setClosedLoopControlMode", {"mode": 1})
            await until(lambda: view.enable.isEnabled(), what="Enable live again")

            sim.faults.withhold = {"getInnerLoopControlMode"}
            view.check.click()
            runner = session.store(ProcedureRunner)
            await until(lambda: runner.busy, what="running")
            await until(lambda: not view.reset.isEnabled(), what="Reset waits")
            assert tip(view.reset).startswith("Check ILC states is running")
            await until(lambda: not view.enable.isEnabled())
            assert tip(view.enable).startswith("Check ILC states is running")
            await until(lambda: "Check ILC states: running" in view.status.text())
            sim.faults.withhold = set()
            runner.cancel()
            await until(lambda: not runner.busy, 10, "cancelled")
            await until(lambda: "cancelled" in view.status.text(), what="outcome")
            await until(lambda: view.reset.isEnabled())
            await session.disconnect()

    run_qasync(scenario(), 40)
