"""Actuator Control driven by clicks against the real simulator (offscreen, qasync)."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox, QWidget
from pytestqt.qtbot import QtBot

from m2gui.model.cell.selection import ActuatorSelection
from m2gui.model.session import Session
from m2gui.net import CommandRecord, Outcome, Received
from m2gui.sim import ControllerSimulator
from m2gui.ui.cell.actuator_view import ActuatorView
from m2gui.ui.controls import CommandButton

from .conftest import until

pytestmark = pytest.mark.timeout(30)

NOT_ENABLE = "needs the Enable state: motor power is off"


class CellRig:
    """A simulator, a session connected to it, and one cell view."""

    def __init__(self, sim: ControllerSimulator, qtbot: QtBot, view_type: Any) -> None:
        self.sim = sim
        self.session = Session("127.0.0.1", sim.command_port, sim.telemetry_port, history=30)
        self.view: Any = view_type(self.session)
        qtbot.addWidget(self.view)
        self.view.resize(900, 550)
        self.view.show()

    async def connect(self) -> None:
        self.session.connect()
        await self.session.connection.wait_connected(5)
        await until(lambda: "commandableByDDS" in self.session.events.latest, what="welcome")

    async def take_command(self) -> None:
        await self.session.send("switchCommandSource", {"isRemote": False})

    async def enable(self, closed: bool = False) -> None:
        """What the incumbent's Diagnostic→Enable leaves (then closed loop if asked)."""
        await self.take_command()
        for name, params in (
            ("power", {"powerType": 2, "status": True}),
            ("power", {"powerType": 1, "status": True}),
            ("setClosedLoopControlMode", {"mode": 3}),
        ):
            await self.session.send(name, params)
        if closed:
            await self.session.send("switchForceBalanceSystem", {"status": True})

    async def click(self, button: CommandButton, confirm: bool = True) -> CommandRecord | None:
        """Click, answer the confirmation of a dangerous command, return what was sent."""
        await until(button.isEnabled, what=f"{button.text()} enabled: {button.toolTip()}")
        button.click()
        sender = self.view.command_sender
        task = sender.task
        assert task is not None
        self.confirmed_last = False
        # a dangerous command asks first (moveActuators Stop and Pause do not)
        await until(lambda: sender.confirm_box is not None or task.done(), what="sent or asked")
        if sender.confirm_box is not None:
            self.confirmed_last = True
            answer = (
                QMessageBox.StandardButton.Yes if confirm else QMessageBox.StandardButton.Cancel
            )
            sender.confirm_box.button(answer).click()
        record: CommandRecord | None = await asyncio.wait_for(task, 10)
        await until(lambda: not button.busy, what="button released")
        return record

    async def close(self) -> None:
        self.view.close()
        await self.session.disconnect()


def sent(record: CommandRecord | None) -> tuple[str, dict[str, Any]]:
    assert record is not None and record.outcome is Outcome.SUCCESS, record
    return record.name, record.params


async def reason(button: QWidget, text: str) -> None:
    await until(lambda: button.toolTip() == text, what=f"{text!r}, not {button.toolTip()!r}")
    assert not button.isEnabled()


def test_each_control_says_why_it_is_disabled(qtbot: QtBot, run_qasync: Any) -> None:
    async def scenario() -> None:
        async with ControllerSimulator(command_port=0, telemetry_port=0) as sim:
            rig = CellRig(sim, qtbot, ActuatorView)
            view: ActuatorView = rig.view
            assert view.start.toolTip() == "not connected to the controller"
            await rig.connect()
            await reason(
                view.apply,
                "the CSC holds command (commandableByDDS is true): "
                "only switchCommandSource is allowed until you take command",
            )
            await rig.take_command()
            for button in (view.start, view.move_buttons[2], view.apply, view.clear_force):
                await reason(button, NOT_ENABLE)
            await reason(view.script_buttons[3], NOT_ENABLE)
            await rig.session.send("power", {"powerType": 2, "status": True})
            await rig.session.send("power", {"powerType": 1, "status": True})
            await rig.session.send("setClosedLoopControlMode", {"mode": 2})
            await reason(
                view.start,
                "needs the Enable state: the controller is in TelemetryOnly mode, "
                "not OpenLoop or ClosedLoop",
            )
            await rig.session.send("setClosedLoopControlMode", {"mode": 3})
            # Enable, open loop
            await reason(view.start, "select at least one actuator first")
            await until(view.move_buttons[2].isEnabled, what="Stop enabled")
            await reason(view.apply, "needs closed-loop control: the force balance system is off")
            await reason(
                view.clear_force, "needs closed-loop control: the force balance system is off"
            )
            await reason(
                view.load, "type the script's name first (a file in /u/script on the cRIO)"
            )
            assert view.script_buttons[3].isEnabled()
            view.script_name.setText("demo.py")
            assert view.load.isEnabled()
            view.ring_buttons["D"].click()
            await until(view.start.isEnabled, what="Start enabled")
            # closed loop
            await rig.session.send("switchForceBalanceSystem", {"status": True})
            await reason(
                view.start, "needs open-loop control: the force balance system (closed loop) is on"
            )
            await until(view.apply.isEnabled, what="Apply enabled")
            view.none_button.click()
            await reason(view.apply, "select at least one actuator first")
            await rig.close()

    run_qasync(scenario())


def test_open_loop_moves_send_what_the_incumbent_sends(qtbot: QtBot, run_qasync: Any) -> None:
    async def scenario() -> None:
        async with ControllerSimulator(command_port=0, telemetry_port=0) as sim:
            rig = CellRig(sim, qtbot, ActuatorView)
            view: ActuatorView = rig.view
            await rig.connect()
            await rig.enable()
            view.ring_buttons["B"].click()
            selection = rig.session.store(ActuatorSelection)
            assert selection.selected == frozenset(range(30))
            await until(lambda: view.grid.buttons[29].isChecked(), what="grid follows")
            assert not view.grid.buttons[30].isChecked()
            assert "Selected (30):" in view.selected_label.text()
            assert "B1–B30" in view.selected_label.text()
            view.displacement.setValue(-0.5)
            assert sent(await rig.click(view.start)) == (
                "moveActuators",
                {
                    "actuatorCommand": 1,
                    "actuators": list(range(30)),
                    "displacement": -0.5,
                    "unit": 1,
                },
            )
            # the simulator accepts Pause only while moving, Resume only while paused
            assert sent(await rig.click(view.move_buttons[3])) == (
                "moveActuators",
                {"actuatorCommand": 3},
            )
            assert not rig.confirmed_last  # Pause goes at once
            assert sent(await rig.click(view.move_buttons[4]))[1] == {"actuatorCommand": 4}
            assert rig.confirmed_last  # Resume moves again: confirmed
            assert sent(await rig.click(view.move_buttons[2]))[1] == {"actuatorCommand": 2}
            assert not rig.confirmed_last  # Stop goes at once
            record = await rig.click(view.move_buttons[4])  # nothing left to resume
            assert record is not None and record.outcome is Outcome.FAIL
            assert "moveActuators: fail" in view.outcome.text()
            # steps: whole steps, unit 2
            view.unit.setCurrentIndex(1)
            assert view.displacement.decimals() == 0 and view.displacement.maximum() == 1e7
            view.displacement.setValue(250)
            _name, params = sent(await rig.click(view.start))
            assert params == {
                "actuatorCommand": 1,
                "actuators": list(range(30)),
                "displacement": 250,
                "unit": 2,
            }
            assert sent(await rig.click(view.move_buttons[2]))[1] == {"actuatorCommand": 2}
            # Cancel on the confirmation sends nothing
            count = len(rig.session.history.records)
            assert await rig.click(view.start, confirm=False) is None
            assert len(rig.session.history.records) == count
            assert "cancelled" in view.outcome.text()
            await rig.close()

    run_qasync(scenario())


def test_force_offsets_on_the_selection(qtbot: QtBot, run_qasync: Any) -> None:
    async def scenario() -> None:
        async with ControllerSimulator(command_port=0, telemetry_port=0) as sim:
            rig = CellRig(sim, qtbot, ActuatorView)
            view: ActuatorView = rig.view
            await rig.connect()
            await rig.enable(closed=True)
            view.ring_buttons["A"].click()
            view.grid.buttons[0].click()  # B1, as a click on the map would
            selection = rig.session.store(ActuatorSelection)
            assert selection.selected == frozenset({0, *range(72, 78)})
            await until(lambda: view.grid.buttons[0].isChecked(), what="B1 checked")
            view.force.setValue(12.5)
            name, params = sent(await rig.click(view.apply))
            assert name == "applyForces"
            assert params == {"axial": [12.5] + [0.0] * 71, "tangent": [12.5] * 6}
            assert list(sim.controller.applied_tangent) == [12.5] * 6
            assert sim.controller.applied_axial[0] == 12.5
            assert sent(await rig.click(view.clear_force)) == ("resetForceOffsets", {})
            assert not sim.controller.applied_tangent.any()
            # the incumbent's box allows 500 N; the catalogue refuses above the limit
            view.force.setValue(480.0)
            count = len(rig.session.history.records)
            assert await rig.click(view.apply) is None
            assert "Not sent" in view.outcome.text()
            assert "above the maximum 444.82 N" in view.outcome.text()
            assert len(rig.session.history.records) == count
            # the measured force summary follows the telemetry store
            message = {
                "lutGravity": [0.0] * 6,
                "applied": [0.0] * 6,
                "lutTemperature": [],
                "measured": [-5.0, 1.0, 2.0, 3.0, 4.0, 9.5],
                "hardpointCorrection": [0.0] * 6,
            }
            rig.session.telemetry.on_telemetry(
                Received("tangentForce", message, time.time(), "telemetry")
            )
            labels = view.summary_labels["tangent"]
            await until(lambda: labels[0].text() == "-5.00", what="tangent summary")
            assert [label.text() for label in labels] == ["-5.00", "9.50", "14.50"]
            await rig.close()

    run_qasync(scenario())


def test_scripts_load_run_and_report_progress(qtbot: QtBot, run_qasync: Any) -> None:
    async def scenario() -> None:
        async with ControllerSimulator(command_port=0, telemetry_port=0) as sim:
            rig = CellRig(sim, qtbot, ActuatorView)
            view: ActuatorView = rig.view
            await rig.connect()
            assert view.progress.format() == "no progress reported"
            await rig.enable()
            view.script_name.setText("  /u/script/bending_mode.py ")
            assert sent(await rig.click(view.load)) == (
                "runScript",
                {"scriptCommand": 1, "scriptName": "bending_mode.py"},
            )
            buttons = view.script_buttons
            assert sent(await rig.click(buttons[3]))[1] == {"scriptCommand": 3}
            assert sent(await rig.click(buttons[5]))[1] == {"scriptCommand": 5}
            # paused, the controller reports no more progress: report some as it would
            sim.broadcast([{"id": "scriptExecutionStatus", "percentage": 37.4}])
            await until(lambda: view.progress.format() == "37 % done", what="progress")
            assert view.progress.value() == 37
            assert sent(await rig.click(buttons[6]))[1] == {"scriptCommand": 6}
            assert sent(await rig.click(buttons[4]))[1] == {"scriptCommand": 4}
            assert sent(await rig.click(buttons[2]))[1] == {"scriptCommand": 2}
            await until(lambda: view.progress.value() == 0, what="progress reset by Clear")
            # a refused command is reported with the controller's reason
            record = await rig.click(buttons[3])
            assert record is not None and record.outcome is Outcome.FAIL
            assert "no script ready to run" in view.outcome.text()
            await rig.close()

    run_qasync(scenario())


def test_selection_is_shared_with_the_map_and_plots_from_the_grid(
    qtbot: QtBot, run_qasync: Any
) -> None:
    async def scenario() -> None:
        session = Session("127.0.0.1", 1, 2, reconnect=False, history=5)
        view = ActuatorView(session)
        qtbot.addWidget(view)
        view.show()
        selection = session.store(ActuatorSelection)
        selection.toggle(5)  # a click on the mirror map
        selection.toggle(75)
        await until(lambda: view.grid.buttons[5].isChecked(), what="B6 checked")
        assert view.grid.buttons[75].isChecked()
        assert "Selected (2):</b> B6, A4" in view.selected_label.text()
        view.all_button.click()
        assert len(selection.selected) == 78
        view.none_button.click()
        assert selection.selected == frozenset()
        await until(lambda: not view.grid.buttons[5].isChecked(), what="cleared")
        assert "Selected (0):</b> none" in view.selected_label.text()
        view.grid.buttons[74].click()
        assert selection.selected == frozenset({74})
        qtbot.mouseClick(view.ring_buttons["D"], Qt.MouseButton.LeftButton)
        assert selection.selected == frozenset(range(54, 72))
        qtbot.mouseClick(
            view.ring_buttons["A"], Qt.MouseButton.LeftButton, Qt.KeyboardModifier.ShiftModifier
        )
        assert selection.selected == frozenset(range(54, 78))  # Shift adds the ring
        selection.set([74])
        center = view.grid.buttons[74].geometry().center()
        assert view.grid.signals_at(center) == [
            "tangentForce.measured[2]",
            "tangentActuatorSteps.steps[2]",
            "tangentEncoderPositions.position[2]",
        ]
        assert view.grid.signals_at(view.grid.buttons[12].geometry().center())[0] == (
            "axialForce.measured[12]"
        )
        view.close()

    run_qasync(scenario())
