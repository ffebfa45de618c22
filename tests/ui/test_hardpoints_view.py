"""Hardpoints driven by clicks against the real simulator (offscreen, qasync)."""

from __future__ import annotations

from typing import Any

import pytest
from pytestqt.qtbot import QtBot

from m2gui.model.cell.hardpoints_selection import HardpointSelection
from m2gui.sim import ControllerSimulator
from m2gui.ui.cell.hardpoints_view import HardpointsView

from .conftest import until
from .test_actuator_view import CellRig, reason, sent

pytestmark = pytest.mark.timeout(30)

DEFAULT = [5, 15, 25, 73, 75, 77]


def checked(view: HardpointsView) -> list[int]:
    return [i for i, b in enumerate(view.grid.buttons) if b.isChecked()]


def test_reported_set_is_ticked_and_suggest_completes_a_selection(
    qtbot: QtBot, run_qasync: Any
) -> None:
    async def scenario() -> None:
        async with ControllerSimulator(command_port=0, telemetry_port=0) as sim:
            rig = CellRig(sim, qtbot, HardpointsView)
            view: HardpointsView = rig.view
            assert checked(view) == []
            assert not view.suggest.isEnabled() and not view.reset.isEnabled()
            assert view.reset.toolTip() == "the controller has not reported its hardpoints yet"
            await rig.connect()
            await until(lambda: checked(view) == DEFAULT, what="the reported set ticked")
            assert "✔ valid: axial B6 B16 B26, tangent A2 A4 A6" in view.validity.text()
            assert "B6 B16 B26 A2 A4 A6" in view.reported.text()
            assert "differs" not in view.reported.text()
            assert view.grid.buttons[5].property("marked") is True
            assert view.reset.toolTip() == "the selection is already the reported set"
            # untick all six, then pick C1 and A1 by clicks
            for index in DEFAULT:
                view.grid.buttons[index].click()
            await until(lambda: checked(view) == [], what="all unticked")
            assert "✘ not valid" in view.validity.text()
            assert "0 selected" in view.validity.text()
            assert view.suggest.toolTip() == "select one axial and one tangent actuator first"
            view.grid.buttons[30].click()
            await until(lambda: not view.suggest.isEnabled() and checked(view) == [30])
            assert view.suggest.toolTip() == "select at least one tangent link first"
            view.grid.buttons[72].click()
            await until(view.suggest.isEnabled, what="Suggest enabled")
            view.suggest.click()
            await until(lambda: checked(view) == [30, 38, 46, 72, 74, 76], what="suggested")
            assert "✔ valid: axial C1 C9 C17, tangent A1 A3 A5" in view.validity.text()
            assert "your selection differs" in view.reported.text()
            # an invalid tangent group, in words
            view.grid.buttons[76].click()
            view.grid.buttons[73].click()
            await until(lambda: "A1 A2 A3" in view.validity.text(), what="invalid tangent")
            assert (
                "the tangent hardpoints must be A1 A3 A5 or A2 A4 A6, not A1 A2 A3"
                in view.validity.text()
            )
            await until(view.reset.isEnabled, what="Reset enabled")
            view.reset.click()
            await until(lambda: checked(view) == DEFAULT, what="reset to the reported set")
            await rig.close()

    run_qasync(scenario())


def test_apply_only_in_standby_and_the_reported_set_follows(qtbot: QtBot, run_qasync: Any) -> None:
    async def scenario() -> None:
        async with ControllerSimulator(command_port=0, telemetry_port=0) as sim:
            rig = CellRig(sim, qtbot, HardpointsView)
            view: HardpointsView = rig.view
            assert view.apply.toolTip() == "not connected to the controller"
            await rig.connect()
            await reason(
                view.apply,
                "the CSC holds command (commandableByDDS is true): "
                "only switchCommandSource is allowed until you take command",
            )
            await rig.take_command()
            await until(view.apply.isEnabled, what="Apply enabled in Standby")
            assert view.apply_reason.text() == "Apply Selection sends setHardpointList now."
            store = rig.session.store(HardpointSelection)
            store.set([12, 72])
            await reason(
                view.apply,
                "select 6 hardpoints (3 axial and 3 tangent): 2 selected (1 axial, 1 tangent)",
            )
            view.suggest.click()
            name, params = sent(await rig.click(view.apply))
            assert (name, params) == ("setHardpointList", {"actuators": [2, 12, 22, 72, 74, 76]})
            assert sim.controller.hardpoints == [2, 12, 22, 72, 74, 76]
            # the controller reports it 1-based; the view shows it 0-based, once converted
            await until(lambda: store.reported == (2, 12, 22, 72, 74, 76), what="reported")
            await until(lambda: "B3 B13 B23 A1 A3 A5" in view.reported.text(), what="shown")
            assert checked(view) == [2, 12, 22, 72, 74, 76]
            # Standby only, as the incumbent's code (not Diagnostic as its guide says)
            await rig.session.send("power", {"powerType": 2, "status": True})
            await reason(
                view.apply,
                "only allowed in Standby (communication and motor power off): "
                "communication power is on",
            )
            assert view.apply_reason.text().startswith("Apply Selection is disabled: only allowed")
            await rig.close()

    run_qasync(scenario())
