"""The Limit Switches view against the real simulator: trips, near-limit forces, Reset, Plot."""

from __future__ import annotations

from typing import Any

import pytest
from PySide6.QtCore import QEvent, QPoint
from PySide6.QtGui import QHelpEvent
from PySide6.QtWidgets import QMenu
from pytestqt.qtbot import QtBot

from m2gui.model.ops.limit_switch import LimitSwitches
from m2gui.model.ops.overview_lamps import LEVEL_COLORS, LEVEL_SYMBOLS, Level
from m2gui.model.session import Session
from m2gui.net import Outcome
from m2gui.sim import ControllerSimulator
from m2gui.ui.ops.limit_switch_view import LimitSwitchView

from .conftest import until

pytestmark = pytest.mark.timeout(60)


def shows(view: LimitSwitchView, label: str, direction: str, level: Level, word: str) -> bool:
    lamp = view.lamp(label, direction)
    return (
        lamp.text() == f"{LEVEL_SYMBOLS[level]} {word}" and LEVEL_COLORS[level] in lamp.styleSheet()
    )


def not_green(view: LimitSwitchView) -> dict[str, str]:
    """Every lamp that is not OK, as ``label direction -> text``."""
    return {
        f"{view.switches.label(i)} {d}": lamp.text()
        for (i, d), lamp in view.lamps.items()
        if not lamp.text().endswith(" OK")
    }


def make(qtbot: QtBot, sim: ControllerSimulator) -> tuple[Session, LimitSwitchView]:
    session = Session("127.0.0.1", sim.command_port, sim.telemetry_port, history=30)
    view = LimitSwitchView(session)
    qtbot.addWidget(view)
    view.resize(900, 550)
    view.show()
    return session, view


async def clicked_reset(session: Session, view: LimitSwitchView) -> None:
    """Click Reset as a user would; wait for its outcome."""
    sent = len(session.history.records)
    assert view.reset_button.isEnabled(), view.reset_button.toolTip()
    view.reset_button.click()
    await until(
        lambda: len(session.history.records) > sent and session.history.records[-1].outcome.final,
        what="clearErrors answered",
    )
    record = session.history.records[-1]
    # what the incumbent's Reset All Items sends: clearErrors, no parameters
    assert (record.name, record.params, record.outcome) == ("clearErrors", {}, Outcome.SUCCESS)


def test_trips_are_red_until_reset(qtbot: QtBot, run_qasync: Any) -> None:
    async def scenario() -> None:
        async with ControllerSimulator(command_port=0, telemetry_port=0, seed=2) as sim:
            session, view = make(qtbot, sim)
            assert len(view.lamps) == 156
            assert not view.reset_button.isEnabled()
            assert view.reset_button.toolTip() == "not connected to the controller"
            session.connect()
            # The welcome events come on the command port, maybe before the
            # telemetry port is connected too: wait for both.
            await session.connection.wait_connected(5)
            await until(lambda: "commandableByDDS" in session.events.latest, what="welcome")
            await until(lambda: "CSC holds command" in view.reset_button.toolTip(), what="CSC")
            assert not_green(view) == {}
            assert "all OK" in view.summary.text()
            assert "open loop: axial ±489.3 N, tangent ±6005.1 N" in view.limits_label.text()

            sim.inject("limit_switch", actuator=12, direction="retract")
            sim.inject("limit_switch", actuator=76, direction="extend")
            await until(lambda: shows(view, "B13", "retract", Level.ERROR, "TRIP"), what="trip")
            await until(lambda: shows(view, "A5", "extend", Level.ERROR, "TRIP"), what="trip 2")
            assert shows(view, "A5", "extend", Level.ERROR, "TRIP")
            assert not_green(view) == {"B13 retract": "■ TRIP", "A5 extend": "■ TRIP"}
            assert "2 tripped" in view.summary.text()
            # the real controller reports only newly tripped switches: a later report
            # without them does not clear them
            sim.broadcast([{"id": "limitSwitchStatus", "retract": [], "extend": [3]}])
            await until(lambda: shows(view, "B4", "extend", Level.ERROR, "TRIP"))
            assert len(not_green(view)) == 3

            await session.send("switchCommandSource", {"isRemote": False})
            await until(lambda: view.reset_button.isEnabled(), what="GUI commands")
            await clicked_reset(session, view)
            await until(lambda: not_green(view) == {}, what="cleared")
            assert "all OK" in view.summary.text()
            await session.disconnect()
            await until(lambda: not view.reset_button.isEnabled())

    run_qasync(scenario())


def test_near_limit_from_measured_forces(qtbot: QtBot, run_qasync: Any) -> None:
    async def scenario() -> None:
        async with ControllerSimulator(command_port=0, telemetry_port=0, seed=4) as sim:
            session, view = make(qtbot, sim)
            session.connect()
            # The welcome events come on the command port, maybe before the
            # telemetry port is connected too: wait for both.
            await session.connection.wait_connected(5)
            await until(lambda: "commandableByDDS" in session.events.latest, what="welcome")
            for name, params in (
                ("switchCommandSource", {"isRemote": False}),
                ("power", {"powerType": 2, "status": True}),
                ("power", {"powerType": 1, "status": True}),
                ("switchForceBalanceSystem", {"status": True}),
            ):
                await session.send(name, params)
            store = session.store(LimitSwitches)
            await until(lambda: store.limits.axial == 444.82, what="closed-loop limits")
            assert "closed loop: axial ±444.82 N" in view.limits_label.text()
            await until(lambda: store.force(4) is not None, what="forces")
            buffer = session.telemetry.buffer("axialForce")
            assert buffer is not None
            lut = buffer.values(buffer.columns["lutGravity"])[-1]
            lut = lut + buffer.values(buffer.columns["lutTemperature"])[-1]
            # B5 pushed to 99 % of the closed-loop limit: yellow
            applied = [0.0] * 72
            applied[4] = 0.99 * 444.82 - float(lut[4])
            await session.send("applyForces", {"axial": applied, "tangent": [0.0] * 6})
            await until(lambda: shows(view, "B5", "retract", Level.WARNING, "NEAR"), what="near")
            assert not_green(view) == {"B5 retract": "▲ NEAR"}
            assert "1 near the limit" in view.summary.text()
            # a hardware trip on the same switch: red, and the near force never turns it back
            sim.broadcast([{"id": "limitSwitchStatus", "retract": [4], "extend": []}])
            await until(lambda: shows(view, "B5", "retract", Level.ERROR, "TRIP"), what="trip")
            await until(lambda: store.state(4, "retract").near_now)
            assert shows(view, "B5", "retract", Level.ERROR, "TRIP")
            # reset: the trip goes; the force is still near, so yellow comes back
            await clicked_reset(session, view)
            await until(lambda: shows(view, "B5", "retract", Level.WARNING, "NEAR"), what="re")
            # forces back to the LUT: still yellow (kept) until the next reset
            await session.send("resetForceOffsets")
            await until(lambda: not store.state(4, "retract").near_now, what="force falls")
            assert shows(view, "B5", "retract", Level.WARNING, "NEAR")
            await clicked_reset(session, view)
            await until(lambda: not_green(view) == {}, what="all green")
            await session.disconnect()

    run_qasync(scenario())


def test_plot_menu_offers_the_measured_force(qtbot: QtBot) -> None:
    session = Session("127.0.0.1", 1, 2, reconnect=False, history=5)
    view = LimitSwitchView(session)
    qtbot.addWidget(view)
    view.resize(900, 550)
    view.show()
    requested: list[list[str]] = []
    session.plots.requested.connect(requested.append)
    for label, direction, signal in (
        ("B13", "retract", "axialForce.measured[12]"),
        ("D18", "extend", "axialForce.measured[71]"),
        ("A2", "extend", "tangentForce.measured[1]"),
    ):
        lamp = view.lamp(label, direction)
        qtbot.waitUntil(lamp.isVisible)
        position = lamp.mapTo(view, lamp.rect().center())
        assert view.signals_at(position) == [signal]
        view.customContextMenuRequested.emit(position)
        menus = [m for m in view.findChildren(QMenu) if m.isVisible()]
        assert len(menus) == 1
        (action,) = menus[0].actions()
        assert action.text() == f"Plot {signal}"
        action.trigger()
        menus[0].close()
        assert requested[-1] == [signal]
    assert view.signals_at(QPoint(1, 1)) == []
    # tool tips are made when asked, from the model
    lamp = view.lamp("B13", "retract")
    position = lamp.mapTo(view, lamp.rect().center())
    help_event = QHelpEvent(QEvent.Type.ToolTip, position, view.mapToGlobal(position))
    assert view.event(help_event)
    # the tool tip tells the state, the limit and the force in words
    detail = view.switches.lamp(12, "retract").detail
    assert "B13 retract limit switch: OK" in detail and "limit +489.3 N" in detail
