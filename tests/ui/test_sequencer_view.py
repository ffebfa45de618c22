"""The sequencer view driven as a user would, against the real simulator on a qasync loop."""

from __future__ import annotations

from typing import Any

import pytest
from PySide6.QtWidgets import QMessageBox
from pytestqt.qtbot import QtBot

from m2gui.model.ops.local_mode import Local, LocalMode
from m2gui.model.procedures import ProcedureOutcome, ProcedureRunner
from m2gui.model.session import Session
from m2gui.sim import ControllerSimulator
from m2gui.ui.ops.sequencer_view import SequencerView, duration_text

from ..model.test_local_mode import ENTER_DIAGNOSTIC, ENTER_ENABLE, EXIT_ENABLE, sent
from .conftest import until

pytestmark = pytest.mark.timeout(60)


class Rig:
    """A simulator, a session on it, and the view."""

    def __init__(self, sim: ControllerSimulator, qtbot: QtBot) -> None:
        self.sim = sim
        self.session = Session("127.0.0.1", sim.command_port, sim.telemetry_port, history=5)
        self.view = SequencerView(self.session)
        qtbot.addWidget(self.view)
        self.view.resize(900, 550)
        self.view.show()
        self.local = self.session.store(LocalMode)
        self.runner = self.session.store(ProcedureRunner)

    async def connect(self) -> None:
        self.session.connect()
        await self.session.connection.wait_connected(5)
        await until(lambda: "summaryFaultsStatus" in self.session.events.latest, what="welcome")
        await until(lambda: self.view.commander.text() == "CSC (remote)", what="commander")

    async def click_transition(self, target: Local) -> None:
        """Click the button of ``target``, say Yes, and wait for the procedure to end."""
        button = self.view.buttons[target]
        assert button.isEnabled(), button.toolTip()
        button.click()
        await until(lambda: self.view.confirm_box is not None, what="confirmation")
        box = self.view.confirm_box
        assert box is not None
        box.button(QMessageBox.StandardButton.Yes).click()
        await until(lambda: self.runner.busy, what="started")
        await until(lambda: not self.runner.busy, 15, "ended")
        await until(lambda: self.view.title.text().endswith(("done", "FAILED", "cancelled")))

    async def close(self) -> None:
        await self.session.disconnect()


def tip(button: Any) -> str:
    return str(button.toolTip())


def test_every_button_says_why_when_disconnected(qtbot: QtBot) -> None:
    session = Session("127.0.0.1", 1, 2, reconnect=False, history=5)
    view = SequencerView(session)
    qtbot.addWidget(view)
    buttons = (view.remote, view.local_button, *view.buttons.values())
    for button in (*buttons, view.open_loop, view.closed_loop):
        assert not button.isEnabled()
        assert tip(button) == "not connected to the controller"
    assert not view.cancel.isEnabled()
    assert view.mode_label.text() == "Standby"
    assert view.title.text() == "No procedure has run yet."
    assert not view.banner.isVisibleTo(view)


def test_duration_text() -> None:
    assert [duration_text(s) for s in (None, 0.0004, 0.12, 2.345)] == [
        "",
        "0.4 ms",
        "120 ms",
        "2.35 s",
    ]


def test_take_command_then_diagnostic_and_enable(run_qasync: Any, qtbot: QtBot) -> None:
    async def scenario() -> None:
        async with ControllerSimulator(command_port=0, telemetry_port=0) as sim:
            rig = Rig(sim, qtbot)
            view = rig.view
            await rig.connect()
            # The CSC holds command: only Local is live.
            diagnostic = view.buttons[Local.DIAGNOSTIC]
            await until(lambda: "the CSC holds command" in tip(diagnostic), what="CSC lock")
            await until(lambda: tip(view.remote) == "the CSC holds command already")
            assert view.local_button.isEnabled()
            view.local_button.click()
            await until(lambda: view.commander.text() == "this GUI (local)", what="command")
            await until(lambda: view.buttons[Local.DIAGNOSTIC].isEnabled(), what="Diagnostic")
            assert tip(view.local_button) == "this GUI holds command already"
            assert view.remote.isEnabled()
            assert [r.name for r in rig.session.history.records] == ["switchCommandSource"]
            assert rig.session.history.records[0].params == {"isRemote": False}
            assert tip(view.buttons[Local.ENABLE]) == (
                "from Standby only Diagnostic can be entered"
            )
            assert tip(view.buttons[Local.STANDBY]) == "already in Standby"

            # A cancelled confirmation sends nothing.
            view.buttons[Local.DIAGNOSTIC].click()
            await until(lambda: view.confirm_box is not None, what="confirmation")
            assert view.confirm_box is not None
            view.confirm_box.button(QMessageBox.StandardButton.Cancel).click()
            await until(lambda: view.confirm_box is None)
            assert not rig.runner.busy and len(rig.session.history.records) == 1

            mark = len(rig.session.history.records)
            await rig.click_transition(Local.DIAGNOSTIC)
            assert sent(rig.session, mark) == ENTER_DIAGNOSTIC
            await until(lambda: view.mode_label.text() == "Diagnostic", what="relabelled")
            assert view.title.text() == "Standby → Diagnostic: done"
            assert view.steps.topLevelItemCount() == 11
            assert all(view.steps.topLevelItem(i).text(1) == "done" for i in range(1, 11)), (
                "every command step done"
            )
            first = view.steps.topLevelItem(1)
            assert first.text(4).startswith("setEnabledFaultsMask: success")
            assert first.childCount() == 1 and first.child(0).text(1) == "success"
            # Both source buttons are off in Diagnostic.
            await until(lambda: not view.remote.isEnabled(), what="source locked")
            assert "Diagnostic" in tip(view.remote) and "Diagnostic" in tip(view.local_button)

            # The simulator raises fault 6053 at start, as the controller does: Enable
            # waits for Reset All Items (clearErrors).
            enable = view.buttons[Local.ENABLE]
            await until(lambda: "fault 6053 active: clear the faults first" in tip(enable))
            await rig.session.send("clearErrors")
            await until(lambda: enable.isEnabled(), what="Enable live")
            mark = len(rig.session.history.records)
            await rig.click_transition(Local.ENABLE)
            assert sent(rig.session, mark) == ENTER_ENABLE
            await until(lambda: view.mode_label.text() == "Enable", what="Enable")
            assert view.buttons[Local.DIAGNOSTIC].isEnabled()
            assert not view.buttons[Local.STANDBY].isEnabled()
            await rig.close()

    run_qasync(scenario(), 40)


def test_while_running_everything_waits_and_cancel_stops_it(run_qasync: Any, qtbot: QtBot) -> None:
    async def scenario() -> None:
        async with ControllerSimulator(command_port=0, telemetry_port=0) as sim:
            rig = Rig(sim, qtbot)
            view = rig.view
            await rig.connect()
            await rig.session.send("switchCommandSource", {"isRemote": False})
            await rig.session.send("clearErrors")
            await until(lambda: view.buttons[Local.DIAGNOSTIC].isEnabled())
            await rig.click_transition(Local.DIAGNOSTIC)
            await until(lambda: view.buttons[Local.ENABLE].isEnabled())
            sim.faults.withhold = {"setInnerLoopControlMode"}
            view.buttons[Local.ENABLE].click()
            await until(lambda: view.confirm_box is not None, what="confirmation")
            assert view.confirm_box is not None
            view.confirm_box.button(QMessageBox.StandardButton.Yes).click()
            procedure = rig.runner.current
            await until(lambda: procedure is not None and procedure.runs[2].sending != "")
            await until(lambda: view.cancel.isEnabled(), what="Cancel live")
            for target in Local:
                button = view.buttons[target]
                await until(lambda b=button: not b.isEnabled(), what=target.value)
                assert "Diagnostic → Enable is running" in tip(button)
            assert not view.remote.isEnabled() and not view.local_button.isEnabled()
            await until(lambda: "running" in view.steps.topLevelItem(2).text(1))
            assert view.elapsed.text().startswith("elapsed")
            assert view.title.text() == "Diagnostic → Enable: running"
            sim.faults.withhold = set()
            view.cancel.click()
            await until(lambda: not rig.runner.busy, 10, "cancelled")
            await until(lambda: view.title.text() == "Diagnostic → Enable: cancelled")
            assert view.steps.topLevelItem(2).text(1) == "cancelled"
            clean = view.steps.topLevelItem(4)
            assert clean.text(0) == "clean-up: Motor power off again"
            assert clean.text(1) == "done"
            assert "cancelled by the user at step 3 'ILCs to Enabled'" in view.result.text()
            assert not sim.controller.motor_on
            assert view.mode_label.text() == "Diagnostic"
            await rig.close()

    run_qasync(scenario(), 40)


def test_closed_loop_and_the_csc_lock_the_transitions(run_qasync: Any, qtbot: QtBot) -> None:
    async def scenario() -> None:
        async with ControllerSimulator(command_port=0, telemetry_port=0) as sim:
            rig = Rig(sim, qtbot)
            view = rig.view
            await rig.connect()
            await rig.session.send("switchCommandSource", {"isRemote": False})
            await until(lambda: view.buttons[Local.DIAGNOSTIC].isEnabled())
            sim.broadcast([{"id": "forceBalanceSystemStatus", "status": True}])
            await until(lambda: not view.buttons[Local.DIAGNOSTIC].isEnabled(), what="lock")
            assert tip(view.buttons[Local.DIAGNOSTIC]) == (
                "closed-loop control is running: leave closed loop first"
            )
            sim.broadcast([{"id": "forceBalanceSystemStatus", "status": False}])
            await until(lambda: view.buttons[Local.DIAGNOSTIC].isEnabled(), what="unlock")
            view.remote.click()
            await until(lambda: view.commander.text() == "CSC (remote)", what="to the CSC")
            await until(lambda: not view.buttons[Local.DIAGNOSTIC].isEnabled())
            assert tip(view.buttons[Local.DIAGNOSTIC]).startswith("the CSC holds command")
            await rig.close()

    run_qasync(scenario(), 30)


def test_a_fault_drop_shows_a_banner_until_acknowledged(run_qasync: Any, qtbot: QtBot) -> None:
    async def scenario() -> None:
        async with ControllerSimulator(command_port=0, telemetry_port=0) as sim:
            rig = Rig(sim, qtbot)
            view = rig.view
            await rig.connect()
            await rig.session.send("switchCommandSource", {"isRemote": False})
            await rig.session.send("clearErrors")
            await until(lambda: view.buttons[Local.DIAGNOSTIC].isEnabled())
            await rig.click_transition(Local.DIAGNOSTIC)
            await until(lambda: view.buttons[Local.ENABLE].isEnabled())
            await rig.click_transition(Local.ENABLE)
            mark = len(rig.session.history.records)
            sim.broadcast([{"id": "summaryFaultsStatus", "status": 1 << 4}])  # fault 6055
            await until(lambda: view.banner.isVisible(), what="banner")
            await until(lambda: rig.local.mode is Local.DIAGNOSTIC and not rig.runner.busy, 10)
            await until(lambda: "motor power off" in view.banner_text.text(), what="clean-up")
            assert "Enable dropped to Diagnostic on fault 6055" in view.banner_text.text()
            assert sent(rig.session, mark) == EXIT_ENABLE
            await until(lambda: view.title.text() == "Enable → Diagnostic (on fault 6055): done")
            # The banner stays, even with the fault gone, until acknowledged.
            sim.broadcast([{"id": "summaryFaultsStatus", "status": 0}])
            await until(lambda: rig.session.events.value("summaryFaultsStatus", "status") == 0)
            assert view.banner.isVisible()
            view.acknowledge.click()
            await until(lambda: not view.banner.isVisible(), what="acknowledged")
            assert rig.local.banner is None
            await rig.close()

    run_qasync(scenario(), 40)


def test_a_started_procedure_outcome_is_in_the_result_line(run_qasync: Any, qtbot: QtBot) -> None:
    async def scenario() -> None:
        async with ControllerSimulator(command_port=0, telemetry_port=0) as sim:
            rig = Rig(sim, qtbot)
            view = rig.view
            await rig.connect()
            await rig.session.send("switchCommandSource", {"isRemote": False})
            sim.faults.fail_next = 1
            await until(lambda: view.buttons[Local.DIAGNOSTIC].isEnabled())
            await rig.click_transition(Local.DIAGNOSTIC)
            assert rig.runner.last is not None
            assert rig.runner.last.outcome is ProcedureOutcome.FAILED
            assert view.title.text() == "Standby → Diagnostic: FAILED"
            assert "step 2 'Enabled faults mask" in view.result.text()
            assert "injected failure" in view.result.text()
            assert "Local mode Standby" in view.result.text()
            assert view.steps.topLevelItem(1).text(1) == "FAILED"
            assert view.steps.topLevelItem(2).text(1) == "waiting"
            await rig.close()

    run_qasync(scenario(), 30)


def test_closed_and_open_loop_from_the_buttons(run_qasync: Any, qtbot: QtBot) -> None:
    async def scenario() -> None:
        async with ControllerSimulator(command_port=0, telemetry_port=0) as sim:
            rig = Rig(sim, qtbot)
            view = rig.view
            await rig.connect()
            await rig.session.send("switchCommandSource", {"isRemote": False})
            await rig.session.send("clearErrors")
            assert not view.closed_loop.isEnabled()
            await until(lambda: view.buttons[Local.DIAGNOSTIC].isEnabled())
            await rig.click_transition(Local.DIAGNOSTIC)
            await until(lambda: "Diagnostic" in tip(view.closed_loop), what="not in Diagnostic")
            await until(lambda: view.buttons[Local.ENABLE].isEnabled())
            await rig.click_transition(Local.ENABLE)
            await until(lambda: view.closed_loop.isEnabled(), what="closed loop live")
            assert tip(view.open_loop) == "closed-loop control is not running (open loop already)"
            mark = len(rig.session.history.records)
            view.closed_loop.click()
            await until(lambda: view.confirm_box is not None, what="confirmation")
            assert view.confirm_box is not None
            view.confirm_box.button(QMessageBox.StandardButton.Yes).click()
            await until(lambda: view.loop_label.text() == "closed loop", 10, "closed loop")
            await until(lambda: not rig.runner.busy)
            assert sent(rig.session, mark) == [
                ("enableOpenLoopMaxLimit", {"status": False}),
                ("switchForceBalanceSystem", {"status": True}),
            ]
            await until(lambda: not view.buttons[Local.DIAGNOSTIC].isEnabled())
            assert tip(view.buttons[Local.DIAGNOSTIC]) == (
                "closed-loop control is running: leave closed loop first"
            )
            await until(lambda: view.open_loop.isEnabled(), what="open loop live")
            mark = len(rig.session.history.records)
            view.open_loop.click()
            await until(lambda: view.confirm_box is not None, what="confirmation")
            assert view.confirm_box is not None
            view.confirm_box.button(QMessageBox.StandardButton.Yes).click()
            await until(lambda: view.loop_label.text() == "open loop", 10, "open loop")
            await until(lambda: not rig.runner.busy)
            assert sent(rig.session, mark) == [("switchForceBalanceSystem", {"status": False})]
            await rig.close()

    run_qasync(scenario(), 40)
