"""The Diagnostics view driven by clicks against the real simulator, on a qasync loop."""

from __future__ import annotations

from typing import Any

import pytest
from PySide6.QtCore import QPoint
from PySide6.QtWidgets import QMenu, QMessageBox
from pytestqt.qtbot import QtBot

from m2gui.model.ops.local_mode import Local, LocalMode
from m2gui.model.session import Session
from m2gui.net import Outcome
from m2gui.ui.ops.diagnostics_view import DiagnosticsView

from .conftest import until
from .views import view_rig

pytestmark = pytest.mark.timeout(30)


def rig(qtbot: QtBot, take_command: bool = True) -> Any:
    return view_rig(qtbot, DiagnosticsView, take_command=take_command)


def cell(table: Any, row: int, column: int) -> str:
    return str(table.item(row, column).text())


def set_local_mode(session: Session, mode: Local) -> None:
    local = session.store(LocalMode)
    local.mode = mode
    local.changed.emit("mode")


async def confirm(view: DiagnosticsView, answer: QMessageBox.StandardButton) -> None:
    await until(lambda: view.command_sender.confirm_box is not None, what="confirmation")
    box = view.command_sender.confirm_box
    assert box is not None
    box.button(answer).click()


def sent(session: Session, name: str) -> list[dict[str, Any]]:
    return [dict(r.params) for r in session.history.records if r.name == name]


def test_shows_power_digital_io_and_mode_from_the_simulator(qtbot: QtBot, run_qasync: Any) -> None:
    async def scenario() -> None:
        async with rig(qtbot, take_command=False) as (_sim, _session, view):
            await until(lambda: cell(view.power_table, 2, 0) != "—", what="power telemetry")
            assert cell(view.power_table, 2, 0).endswith(" V")
            assert cell(view.power_table, 3, 1).endswith(" A")
            # no power: the controller's 0x1C outputs, 0x9F00FFFF inputs
            await until(lambda: view.output_lamps[2].text() == "● ON", what="outputs")
            assert [lamp.text() for lamp in view.output_lamps] == [
                "○ OFF",
                "○ OFF",
                "● ON",
                "● ON",
                "● ON",
                "○ OFF",
                "○ OFF",
                "○ OFF",
            ]
            assert view.toggles[0].text() == "Switch on" and view.toggles[2].text() == "Switch off"
            await until(lambda: view.input_item(0, 2).text() == "● OK", what="inputs")
            assert view.input_item(6, 1).text() == "J1-W9-1 Motor Breaker"
            assert view.input_item(6, 2).text() == "○ OPEN"  # bit set, feed off: open
            assert view.input_item(16, 2).text() == "○ 0"  # spare
            assert view.input_item(31, 2).text() == "■ OFF"  # relay bit set: interlock
            assert "Idle (1)" in view.mode_label.text()
            assert view.mode_combo.currentData() == 1
            # load cells need motor power: no verdict yet
            assert cell(view.load_table, 0, 2) == "? no data"
            assert "no tangent force yet" in view.fault_label.text()
            # the CSC holds command: every button says so
            for button in (*view.toggles, view.mode_button, view.reboot_button):
                assert not button.isEnabled()
                assert "CSC holds command" in button.toolTip()

    run_qasync(scenario())


def test_toggles_only_in_diagnostic_and_send_what_the_incumbent_sends(
    qtbot: QtBot, run_qasync: Any
) -> None:
    async def scenario() -> None:
        async with rig(qtbot) as (sim, session, view):
            toggle = view.toggles[1]  # D1 communication power
            await until(view.mode_button.isEnabled, what="the GUI holds command")
            assert not toggle.isEnabled()
            assert toggle.toolTip() == "allowed only in local mode Diagnostic (it is Standby)"
            # the real Standby -> Diagnostic transition
            local = session.store(LocalMode)
            local.start(Local.DIAGNOSTIC)
            await until(lambda: local.mode is Local.DIAGNOSTIC, 15, "Diagnostic")
            await until(toggle.isEnabled, what="toggle enabled in Diagnostic")
            before = len(sent(session, "switchDigitalOutput"))
            toggle.click()
            await confirm(view, QMessageBox.StandardButton.Yes)
            await until(lambda: sim.controller.comm_on, what="communication power on")
            assert sent(session, "switchDigitalOutput")[before:] == [{"bit": 2, "status": 3}]
            await until(lambda: view.output_lamps[1].text() == "● ON", what="D1 shown on")
            assert view.toggles[1].text() == "Switch off"
            # D2 interlock enable: bit 4, and Cancel sends nothing
            await until(view.toggles[2].isEnabled, what="idle again")
            view.toggles[2].click()
            await confirm(view, QMessageBox.StandardButton.Cancel)
            await until(lambda: "cancelled" in view.outcome.text(), what="cancelled")
            assert sent(session, "switchDigitalOutput")[before:] == [{"bit": 2, "status": 3}]
            await until(view.toggles[2].isEnabled, what="idle again")
            view.toggles[2].click()
            await confirm(view, QMessageBox.StandardButton.Yes)
            await until(lambda: not sim.controller.digital_output & 4, what="D2 cleared")
            assert sent(session, "switchDigitalOutput")[-1] == {"bit": 4, "status": 3}
            await until(lambda: view.output_lamps[2].text() == "○ OFF", what="D2 shown off")
            record = next(r for r in reversed(session.history.records))
            assert record.outcome is Outcome.SUCCESS
            # leaving Diagnostic disables the toggles again
            set_local_mode(session, Local.ENABLE)
            await until(lambda: not toggle.isEnabled(), what="disabled in Enable")
            assert toggle.toolTip() == "allowed only in local mode Diagnostic (it is Enable)"

    run_qasync(scenario(), timeout=25)


def test_update_control_mode_sends_the_chosen_mode(qtbot: QtBot, run_qasync: Any) -> None:
    async def scenario() -> None:
        async with rig(qtbot) as (sim, session, view):
            await until(view.mode_button.isEnabled, what="mode button")
            view.mode_combo.setCurrentIndex(view.mode_combo.findData(2))
            view.mode_button.click()
            await until(lambda: sim.controller.closed_loop_mode == 2, what="TelemetryOnly")
            assert sent(session, "setClosedLoopControlMode") == [{"mode": 2}]
            await until(lambda: "TelemetryOnly (2)" in view.mode_label.text(), what="shown")
            assert "success" in view.outcome.text()

    run_qasync(scenario())


def test_reboot_only_in_standby_and_confirmed(qtbot: QtBot, run_qasync: Any) -> None:
    async def scenario() -> None:
        async with rig(qtbot) as (_sim, session, view):
            button = view.reboot_button
            await until(button.isEnabled, what="reboot allowed in Standby")
            set_local_mode(session, Local.DIAGNOSTIC)
            await until(lambda: not button.isEnabled(), what="disabled in Diagnostic")
            assert button.toolTip() == "allowed only in local mode Standby (it is Diagnostic)"
            set_local_mode(session, Local.STANDBY)
            await until(button.isEnabled, what="allowed again")
            button.click()
            await confirm(view, QMessageBox.StandardButton.Cancel)
            await until(lambda: "cancelled" in view.outcome.text(), what="cancelled")
            assert sent(session, "rebootController") == []
            await until(button.isEnabled, what="idle")
            button.click()
            await confirm(view, QMessageBox.StandardButton.Yes)
            await until(lambda: sent(session, "rebootController") == [{}], what="sent")
            await until(
                lambda: session.history.records[-1].outcome is Outcome.SUCCESS, what="success"
            )

    run_qasync(scenario())


def test_load_cells_with_motor_power_and_plot_menus(qtbot: QtBot, run_qasync: Any) -> None:
    async def scenario() -> None:
        async with rig(qtbot) as (sim, session, view):
            await session.send("power", {"powerType": 2, "status": True})
            await until(lambda: view.input_item(15, 2).text() == "● OK", what="comm breakers")
            assert view.input_item(6, 2).text() == "○ OPEN"  # the motor feed is off
            await session.send("power", {"powerType": 1, "status": True})
            await until(lambda: view.input_item(6, 2).text() == "● OK", what="motor breakers")
            assert view.input_item(31, 2).text() == "● ON"  # the interlock relay
            await until(lambda: cell(view.load_table, 0, 2) != "? no data", 5, "load cells")
            assert cell(view.load_table, 0, 2) in ("● PASS", "■ FAIL")
            assert cell(view.load_table, 7, 1) == "1000 N"
            await until(lambda: cell(view.load_table, 7, 3) != "—", what="reported column")
            sim.broadcast([{"id": "summaryFaultsStatus", "status": 1 << 32}])
            await until(lambda: "6088 in summaryFaultsStatus: <b>active" in view.fault_label.text())
            # "Plot" on a power value and on a load-cell row
            table = view.power_table
            rect = table.visualItemRect(table.item(1, 1))
            table.customContextMenuRequested.emit(rect.center())
            menu = table.findChild(QMenu)
            assert menu is not None
            assert menu.actions()[0].text() == "Plot powerStatusRaw.motorCurrent"
            requested: list[list[str]] = []
            session.plots.requested.connect(requested.append)
            menu.actions()[0].trigger()
            assert requested == [["powerStatusRaw.motorCurrent"]]
            load = view.load_table
            rect = load.visualItemRect(load.item(1, 0))
            assert view._load_signals_at(rect.center()) == [
                "tangentForce.measured[1]",
                "forceErrorTangent.force[1]",
            ]
            assert view._power_signals_at(QPoint(-5, -5)) == []

    run_qasync(scenario())


def test_disconnected_buttons_say_so(qtbot: QtBot, run_qasync: Any) -> None:
    async def scenario() -> None:
        session = Session("127.0.0.1", 1, 2, reconnect=False, history=5)
        view = DiagnosticsView(session)
        qtbot.addWidget(view)
        view.show()
        for button in (*view.toggles, view.mode_button, view.reboot_button):
            assert not button.isEnabled()
            assert button.toolTip() == "not connected to the controller"
        assert [view.input_item(i, 2).text() for i in (0, 31)] == ["? ?", "? ?"]
        view.close()

    run_qasync(scenario())
