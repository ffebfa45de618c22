"""The utility view against the real simulator: power, breakers and their reset, values."""

from __future__ import annotations

import asyncio
from typing import Any

from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QMenu, QMessageBox
from pytestqt.qtbot import QtBot

from m2gui.model.cell.utility import UtilityStatus
from m2gui.model.ops.overview_lamps import LEVEL_COLORS, Level
from m2gui.model.session import Session
from m2gui.net import Outcome
from m2gui.sim import ControllerSimulator
from m2gui.ui.cell.utility_view import UtilityView

from .conftest import until
from .views import connected as shared_connected
from .views import shown


async def connected(sim: ControllerSimulator) -> Session:
    return await shared_connected(sim, "powerSystemState[Motor]")


def make_view(session: Session, qtbot: QtBot) -> UtilityView:
    return shown(UtilityView(session), qtbot)


async def click_and_confirm(view: UtilityView, qtbot: QtBot, feed: str) -> None:
    button = view.reset_buttons[feed]
    assert button.isEnabled(), button.toolTip()
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    await until(lambda: view.command_sender.confirm_box is not None, what="confirmation")
    box = view.command_sender.confirm_box
    assert box is not None and "resetBreakers" in box.text()
    box.button(QMessageBox.StandardButton.Yes).click()
    task = view.command_sender.task
    assert task is not None
    await asyncio.wait_for(task, 10)


def test_power_breakers_and_reset(run_qasync: Any, qtbot: QtBot) -> None:
    async def scenario() -> None:
        async with ControllerSimulator(
            command_port=0, telemetry_port=0, all_telemetry=True, seed=7
        ) as sim:
            session = await connected(sim)
            view = make_view(session, qtbot)
            # no power: the breakers read open, which is not a fault
            await until(lambda: "OPEN" in view.breaker_lamps["J1-W9-1"].text(), what="breakers")
            assert view.power_lamps["Motor"].text().endswith("OFF")
            assert view.state_labels["Motor"].text() == "Init"
            # the CSC holds command: the reset buttons say so
            reset = view.reset_buttons["Motor"]
            assert not reset.isEnabled()
            assert "CSC holds command" in reset.toolTip()
            for name, params in (
                ("switchCommandSource", {"isRemote": False}),
                ("power", {"powerType": 2, "status": True}),
                ("power", {"powerType": 1, "status": True}),
            ):
                await session.send(name, params)
            await until(lambda: view.power_lamps["Motor"].text().endswith("ON"), what="motor on")
            assert view.power_lamps["Communication"].text().endswith("ON")
            assert view.state_labels["Communication"].text() == "PoweredOn"
            await until(lambda: "OK" in view.breaker_lamps["J3-W14-2"].text(), what="closed")
            volts = view.values["powerStatus.motorVoltage"]
            await until(
                lambda: volts.text().endswith(" V") and abs(float(volts.text()[:-2]) - 23) < 1,
                what="about 23 V",
            )
            assert view.values["powerStatus.commCurrent"].text().endswith(" A")

            # a tripped breaker (the simulator's injection): its bit set, feed powered
            sim.inject("breaker", power="motor", index=4)
            store = session.store(UtilityStatus)
            breaker = next(b for b in store.breakers if b.name == "J2-W10-2")
            await until(
                lambda: (session.events.value("digitalInput", "value") or 0) & breaker.value,
                what="digitalInput with the breaker open",
            )
            tripped = session.events.value("digitalInput", "value")
            lamp = view.breaker_lamps["J2-W10-2"]
            await until(lambda: "TRIPPED" in lamp.text(), what="tripped lamp")
            assert "J2-W10-2" in lamp.text()  # the name and the word beside the colour
            assert LEVEL_COLORS[Level.ERROR] in lamp.styleSheet()
            assert "bit 10 = 1" in lamp.toolTip()
            assert "OK" in view.breaker_lamps["J2-W10-1"].text()
            assert f"0x{tripped:08X}" in view.input_label.text()

            # Reset breakers: the incumbent sends resetBreakers {powerType} per feed
            assert reset.isEnabled(), reset.toolTip()
            before = len(session.history.records)
            await click_and_confirm(view, qtbot, "Motor")
            await click_and_confirm(view, qtbot, "Communication")
            sent = [(r.name, r.params) for r in list(session.history.records)[before:]]
            assert sent == [
                ("resetBreakers", {"powerType": 1}),
                ("resetBreakers", {"powerType": 2}),
            ]
            assert all(r.outcome is Outcome.SUCCESS for r in list(session.history.records)[before:])
            assert "resetBreakers: success" in view.outcome.text()
            # the controller's own report after the reset closes the breaker again
            await until(lambda: "OK" in lamp.text(), what="breaker closed after reset")
            assert reset.isEnabled()
            view.close()
            await session.disconnect()

    run_qasync(scenario())


def test_temperatures_elevation_displacement_and_plots(run_qasync: Any, qtbot: QtBot) -> None:
    async def scenario() -> None:
        async with ControllerSimulator(
            command_port=0, telemetry_port=0, all_telemetry=True, seed=7
        ) as sim:
            session = await connected(sim)
            view = make_view(session, qtbot)
            signals = [
                "temperature.ring[4]",
                "temperature.exhaust[1]",
                "zenithAngle.inclinometerRaw",
                "zenithAngle.inclinometerProcessed",
                "inclinometerAngleTma.inclinometer",
                "displacementSensors.deltaZ[5]",
            ]
            await until(
                lambda: all(view.values[s].text() != "—" for s in signals), what="telemetry"
            )
            store = session.store(UtilityStatus)
            ring4 = view.values["temperature.ring[4]"]
            assert abs(float(ring4.text()) - store.values["temperature.ring[4]"]) < 0.06
            assert "LG3-1" in ring4.toolTip()
            assert view.values["zenithAngle.inclinometerRaw"].text().endswith(" °")
            assert "exhaust − intake" in view.delta_lamp.text()
            assert view.source_label.text() == "ONBOARD"
            requested: list[list[str]] = []
            session.plots.requested.connect(requested.append)
            for signal in signals:
                label = view.values[signal]
                label.customContextMenuRequested.emit(QPoint(2, 2))
                menu = next(m for m in label.findChildren(QMenu) if m.isVisible())
                assert menu.actions()[0].text() == f"Plot {signal}"
                menu.actions()[0].trigger()
                menu.close()
            assert requested == [[s] for s in signals]
            view.close()
            await session.disconnect()

    run_qasync(scenario())
