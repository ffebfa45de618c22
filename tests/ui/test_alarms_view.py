"""The Alarms / Warnings view, driven with clicks against the real simulator."""

from __future__ import annotations

from typing import Any

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QMessageBox
from pytestqt.qtbot import QtBot

from m2gui.model.ops.fault_mask_editor import FaultMaskEditor
from m2gui.model.ops.faults import FaultLog
from m2gui.model.ops.faults_table import fault_table
from m2gui.model.ops.local_mode import Local, LocalMode
from m2gui.model.procedures.runner import ProcedureRunner
from m2gui.model.session import Session
from m2gui.net import Outcome
from m2gui.sim import ControllerSimulator
from m2gui.ui.ops.alarms_view import AlarmsView, FaultTableModel

from .conftest import until

pytestmark = pytest.mark.timeout(60)

DEFAULT = 0xFF800007FFFFFFFF
#: The incumbent's Diagnostic mask: the default without 1000-1002 and 6052.
DIAGNOSTIC = DEFAULT & ~(0b111 | 1 << 34)
M = FaultTableModel


class Rig:
    """A simulator, a session to it and the view (made before connecting)."""

    def __init__(self, sim: ControllerSimulator, qtbot: QtBot) -> None:
        self.sim = sim
        self.session = Session("127.0.0.1", sim.command_port, sim.telemetry_port, history=30)
        self.view = AlarmsView(self.session)
        qtbot.addWidget(self.view)
        self.view.resize(900, 550)
        self.view.show()
        self.table = fault_table(self.session.catalogue)

    async def connect(self) -> None:
        self.session.connect()
        await self.session.connection.wait_connected(5)
        await until(lambda: "enabledFaultsMask" in self.session.events.latest, what="welcome")

    def report(self, *codes: int) -> None:
        """The controller reports exactly ``codes`` set."""
        self.sim.broadcast([{"id": "summaryFaultsStatus", "status": self.table.codes_value(codes)}])

    def cell(self, code: int, column: int, role: Any = Qt.ItemDataRole.DisplayRole) -> Any:
        row = self.view.model.row_of(code)
        assert row is not None, f"{code} not shown"
        return self.view.model.data(self.view.model.index(row, column), role)

    def select(self, *codes: int) -> None:
        self.view.table.clearSelection()
        for code in codes:
            row = self.view.model.row_of(code)
            assert row is not None
            rect = self.view.table.visualRect(self.view.model.index(row, M.SUMMARY))
            self.view.table.selectionModel().select(
                self.view.model.index(row, 0),
                self.view.table.selectionModel().SelectionFlag.Select
                | self.view.table.selectionModel().SelectionFlag.Rows,
            )
            assert rect.isValid()

    async def answer(self, yes: bool) -> None:
        sender = self.view.command_sender
        await until(lambda: sender.confirm_box is not None, what="confirmation")
        box = sender.confirm_box
        assert box is not None
        button = QMessageBox.StandardButton.Yes if yes else QMessageBox.StandardButton.Cancel
        box.button(button).click()

    def commands(self) -> list[tuple[str, dict[str, Any], Outcome]]:
        return [(r.name, r.params, r.outcome) for r in self.session.history.records]

    def done(self, name: str) -> bool:
        """True once the newest command is ``name`` and it has ended."""
        records = self.session.history.records
        return bool(records) and records[-1].name == name and not self.view.command_sender.busy

    async def close(self) -> None:
        self.view.close()
        await self.session.disconnect()


def test_the_table_and_timeline_follow_summary_faults_status(qtbot: QtBot, run_qasync: Any) -> None:
    async def scenario() -> None:
        async with ControllerSimulator(command_port=0, telemetry_port=0, seed=1) as sim:
            rig = Rig(sim, qtbot)
            view = rig.view
            # every fault and warning code is listed, sorted, with its class
            assert len(view.model.codes) == 37 and view.model.codes == sorted(view.model.codes)
            assert rig.cell(6057, M.CLASS) == "Warning" and rig.cell(6087, M.CLASS) == "Fault"
            assert rig.cell(6053, M.SUMMARY) == "cRIO Communication Error"
            assert "not reported yet" in view.status_label.text()
            await rig.connect()
            faults = rig.session.store(FaultLog)
            await until(lambda: faults.status is not None, what="first status")
            initial = set(faults.active_codes)  # the simulator may raise 6053 at start

            rig.report(6055, 6071)
            await until(lambda: "2 active" in view.status_label.text(), what="two active")
            assert rig.cell(6055, M.STATE) == "ACTIVE"
            assert rig.cell(6055, M.STATE, Qt.ItemDataRole.BackgroundRole).color().name() == (
                "#c62828"
            )
            assert rig.cell(6071, M.STATE, Qt.ItemDataRole.BackgroundRole).color().name() == (
                "#f2b705"
            )
            assert rig.cell(6055, M.LAST) == "now" and rig.cell(6055, M.COUNT) == "1"
            assert rig.cell(6051, M.STATE) == "clear"
            assert rig.cell(6051, M.STATE, Qt.ItemDataRole.BackgroundRole) is None

            rig.report(6071)  # 6055 drops: latched until reset
            await until(lambda: rig.cell(6055, M.STATE) == "LATCHED", what="latched")
            latched = f"{len(initial) + 1} latched"
            await until(lambda: latched in view.status_label.text(), what="latched shown")
            assert rig.cell(6055, M.LAST) not in ("", "now")
            rig.report(6071, 6055)
            await until(lambda: rig.cell(6055, M.COUNT) == "2", what="risen twice")

            # the timeline: a row per code that rose, a bar per interval, on the wall clock
            timeline = view.timeline
            rows = sorted({6055, 6071} | initial)
            await until(lambda: timeline.rows == rows, what="timeline rows")
            await until(lambda: len(timeline.bars) == 3 + len(initial), what="timeline bars")
            ours = [b for b in timeline.bars if b.code in (6055, 6071)]
            assert [(b.code, b.end is None) for b in ours] == [
                (6055, False),
                (6071, True),
                (6055, True),
            ]
            assert timeline.axis.mode == "clock"
            rise = next(t for t in faults.timeline.transitions if t.code == 6055)
            assert ours[0].start == rise.time  # the event's time.time(), the plots' clock

            # filter: active only
            view.filter_box.setCurrentText("Active only")
            await until(lambda: view.model.codes == [6055, 6071], what="filtered")
            rig.report(6071)
            await until(lambda: view.model.codes == [6071], what="refiltered")
            view.filter_box.setCurrentText("Active or latched")
            assert view.model.codes == rows
            view.filter_box.setCurrentText("All codes")
            assert len(view.model.codes) == 37
            await rig.close()

    run_qasync(scenario())


def test_buttons_say_why_they_are_disabled_and_reset_all_items_sends_clear_errors(
    qtbot: QtBot, run_qasync: Any
) -> None:
    async def scenario() -> None:
        async with ControllerSimulator(command_port=0, telemetry_port=0, seed=1) as sim:
            rig = Rig(sim, qtbot)
            view = rig.view
            buttons = (view.reset_button, view.apply_button, view.max_limit_button)
            for button in buttons:
                assert not button.isEnabled()
                assert button.toolTip() == "not connected to the controller"
            await rig.connect()
            for button in buttons:  # the simulator starts with the CSC in command
                await until(lambda b=button: "the CSC holds command" in b.toolTip(), what="CSC")
                assert not button.isEnabled()
            await rig.session.send("switchCommandSource", {"isRemote": False})
            await until(lambda: view.reset_button.isEnabled(), what="GUI in command")
            assert view.max_limit_button.isEnabled()
            assert view.apply_button.toolTip() == (
                "the enabled-faults mask can only be changed in Diagnostic local mode "
                "(it is Standby)"
            )

            rig.report(6053, 6087)
            await until(lambda: "2 active" in view.status_label.text(), what="faults")
            rig.report(6087)  # 6053 falls: latched
            await until(lambda: rig.cell(6053, M.STATE) == "LATCHED", what="latched")
            view.reset_button.click()
            await until(lambda: rig.done("clearErrors"), what="clearErrors")
            assert rig.commands()[1:] == [("clearErrors", {}, Outcome.SUCCESS)]
            assert sim.controller.summary_faults == 0
            # the controller cleared 6087 too; after the success nothing is latched
            await until(lambda: "0 latched" in view.status_label.text(), what="reset shown")
            assert rig.cell(6053, M.STATE) == "clear" and rig.cell(6087, M.STATE) == "clear"
            assert rig.cell(6053, M.COUNT) == "1"  # counts stay: since m2gui started
            assert "clearErrors: success" in view.outcome.text()

            assert view.max_limit_button.isEnabled(), view.max_limit_button.toolTip()
            view.max_limit_button.click()
            await rig.answer(True)  # dangerous in the catalogue: confirmed
            await until(lambda: rig.done("enableOpenLoopMaxLimit"), what="max limits")
            assert rig.commands()[-1][:2] == ("enableOpenLoopMaxLimit", {"status": True})
            assert sim.controller.open_loop_max_limit
            await rig.close()

    run_qasync(scenario())


def test_bypass_selected_then_apply_sends_the_incumbent_mask(qtbot: QtBot, run_qasync: Any) -> None:
    async def scenario() -> None:
        async with ControllerSimulator(command_port=0, telemetry_port=0, seed=1) as sim:
            rig = Rig(sim, qtbot)
            view = rig.view
            session = rig.session
            editor = session.store(FaultMaskEditor)
            await rig.connect()
            await until(lambda: "Controller: 0xFF800007FFFFFFFF" in view.mask_label.text())
            assert view.draft_edit.text() == "0xFF800007FFFFFFFF"
            assert view.bits_label.text().splitlines()[0] == "63-48 11111111 10000000"
            assert "Bypassed: none" in view.bypassed_label.text()
            await session.send("switchCommandSource", {"isRemote": False})
            await until(lambda: "(it is Standby)" in view.apply_button.toolTip(), what="Standby")

            # Standby -> Diagnostic with the sequencer: it sends the incumbent's Diagnostic mask
            local = session.store(LocalMode)
            local.start(Local.DIAGNOSTIC)
            runner = session.store(ProcedureRunner)
            await until(
                lambda: local.mode is Local.DIAGNOSTIC and not runner.busy, 15, "Diagnostic"
            )
            await until(lambda: f"Controller: 0x{DIAGNOSTIC:016X}" in view.mask_label.text())
            await until(lambda: "6052" in view.bypassed_label.text(), what="6052 bypassed")
            assert "color:#c62828" in view.bypassed_label.text()  # bypassed codes in red
            assert rig.cell(6052, M.MASK) == "BYPASSED"
            await until(lambda: "the draft is the controller's mask" in view.apply_button.toolTip())
            assert not view.apply_button.isEnabled()
            assert not view.bypass_button.isEnabled()  # nothing selected
            sent = len(session.history.records)

            # select 6055 and 6087 (bit 63), Bypass selected: the draft only
            rig.select(6055, 6087)
            assert view.bypass_button.isEnabled()
            assert "6055 Excessive Force Detected" in view.cause.text()
            view.bypass_button.click()
            # the incumbent: current mask minus the selected codes and 1000-1002, 6052
            expected = DIAGNOSTIC & ~(1 << 4 | 1 << 63)
            assert editor.draft == expected
            await until(lambda: view.draft_edit.text() == f"0x{expected:016X}", what="draft")
            assert rig.cell(6055, M.MASK) == "will bypass"
            assert rig.cell(6087, M.MASK) == "will bypass"
            assert sim.controller.enabled_faults_mask == DIAGNOSTIC  # nothing sent yet
            await until(lambda: view.apply_button.isEnabled(), what="apply enabled")

            # Apply asks; Cancel sends nothing
            view.apply_button.click()
            await rig.answer(False)
            await until(lambda: not view.command_sender.busy, what="cancelled")
            assert len(session.history.records) == sent
            # Apply again, Yes: exactly the incumbent's setEnabledFaultsMask
            view.apply_button.click()
            await until(lambda: view.command_sender.confirm_box is not None, what="asks")
            box = view.command_sender.confirm_box
            assert box is not None
            assert "6055 Excessive Force Detected" in box.text() and "6087" in box.text()
            await rig.answer(True)
            await until(lambda: rig.done("setEnabledFaultsMask"), what="mask sent")
            assert rig.commands()[sent:] == [
                ("setEnabledFaultsMask", {"mask": expected}, Outcome.SUCCESS)
            ]
            assert sim.controller.enabled_faults_mask == expected
            await until(lambda: "6052, 6055, 6087" in view.bypassed_label.text(), what="red")
            assert rig.cell(6055, M.MASK) == "BYPASSED"
            assert rig.cell(6055, M.MASK, Qt.ItemDataRole.ForegroundRole).color().name() == (
                "#c62828"
            )
            assert not editor.edited

            # tick 6055 back in the table (a click on its check box)
            row = view.model.row_of(6055)
            assert row is not None
            rect = view.table.visualRect(view.model.index(row, M.MASK))
            qtbot.mouseClick(
                view.table.viewport(),
                Qt.MouseButton.LeftButton,
                pos=QPoint(rect.left() + 10, rect.center().y()),
            )
            await until(lambda: editor.draft == expected | 1 << 4, what="ticked")
            assert rig.cell(6055, M.MASK) == "will enable"

            # Reset to default, Apply: the default mask
            view.default_button.click()
            assert editor.draft == DEFAULT
            await until(lambda: view.apply_button.isEnabled(), what="apply enabled")
            view.apply_button.click()
            await rig.answer(True)
            await until(lambda: sim.controller.enabled_faults_mask == DEFAULT, what="reset")
            assert rig.commands()[-1][:2] == ("setEnabledFaultsMask", {"mask": DEFAULT})

            # a zero mask is never sent
            view.draft_edit.setText("0")
            view.draft_edit.editingFinished.emit()
            assert editor.draft == 0
            await until(lambda: "never sent" in view.apply_button.toolTip(), what="zero refused")
            assert not view.apply_button.isEnabled()
            assert "never sent" in view.draft_problem.text()
            view.revert_button.click()
            assert editor.draft == DEFAULT
            await rig.close()

    run_qasync(scenario())


def test_the_view_reads_what_was_received_before_it_was_made(qtbot: QtBot, run_qasync: Any) -> None:
    async def scenario() -> None:
        async with ControllerSimulator(command_port=0, telemetry_port=0, seed=1) as sim:
            session = Session("127.0.0.1", sim.command_port, sim.telemetry_port, history=30)
            faults = session.store(FaultLog)
            session.connect()
            await until(lambda: faults.mask is not None, what="mask")
            table = fault_table(session.catalogue)
            sim.broadcast([{"id": "summaryFaultsStatus", "status": table.codes_value([6088])}])
            await until(lambda: faults.active_codes == [6088], what="6088")
            view = AlarmsView(session)
            qtbot.addWidget(view)
            assert "1 active" in view.status_label.text()
            row = view.model.row_of(6088)
            assert row is not None
            assert view.model.data(view.model.index(row, M.STATE)) == "ACTIVE"
            assert 6088 in view.timeline.rows
            assert view.draft_edit.text() == "0xFF800007FFFFFFFF"
            view.close()
            await session.disconnect()

    run_qasync(scenario())


def test_faults_injected_in_the_simulator_reach_the_view(qtbot: QtBot, run_qasync: Any) -> None:
    async def scenario() -> None:
        async with ControllerSimulator(command_port=0, telemetry_port=0, seed=1) as sim:
            rig = Rig(sim, qtbot)
            view = rig.view
            await rig.connect()
            sim.inject("fault", code=6087)  # bit 63
            await until(lambda: rig.cell(6087, M.STATE) == "ACTIVE", what="6087")
            sim.inject("fault", code=6087, active=False)
            await until(lambda: rig.cell(6087, M.STATE) == "LATCHED", what="6087 latched")
            assert view.timeline.rows[-1] == 6087
            await rig.session.send("switchCommandSource", {"isRemote": False})
            await until(lambda: view.reset_button.isEnabled(), what="GUI in command")
            view.reset_button.click()
            await until(lambda: rig.done("clearErrors"), what="clearErrors")
            await until(lambda: "0 latched" in view.status_label.text(), what="reset")
            assert rig.cell(6087, M.STATE) == "clear" and rig.cell(6087, M.COUNT) == "1"
            await rig.close()

    run_qasync(scenario())
