"""Rigid Body Position driven by clicks against the real simulator (offscreen, qasync)."""

from __future__ import annotations

import time
from typing import Any

import pytest
from pytestqt.qtbot import QtBot

from m2gui.model.cell.rigid_body import AXES
from m2gui.model.cell.rigid_body_position import RigidBodyPosition
from m2gui.model.session import Session
from m2gui.net import Received
from m2gui.sim import ControllerSimulator
from m2gui.ui.cell.rigid_body_view import RigidBodyView

from .conftest import until
from .test_actuator_view import NOT_ENABLE, CellRig, reason, sent

pytestmark = pytest.mark.timeout(30)

NOT_CLOSED = "needs closed-loop control: the force balance system is off"


def send_position(session: Session, topic: str, values: list[float]) -> None:
    message = {axis.field: v for axis, v in zip(AXES, values, strict=True)}
    session.telemetry.on_telemetry(Received(topic, message, time.time(), "telemetry"))


def test_moves_need_enable_and_closed_loop(qtbot: QtBot, run_qasync: Any) -> None:
    async def scenario() -> None:
        async with ControllerSimulator(command_port=0, telemetry_port=0) as sim:
            rig = CellRig(sim, qtbot, RigidBodyView)
            view: RigidBodyView = rig.view
            assert view.go_to.toolTip() == "not connected to the controller"
            await rig.connect()
            await rig.take_command()
            for button in (view.go_to, view.go_home, view.jog):
                await reason(button, NOT_ENABLE)
            # Set Home and Save Position carry no mode rule in the incumbent
            await until(view.set_home.isEnabled, what="Set Home enabled")
            assert view.save.isEnabled()
            await rig.enable()
            for button in (view.go_to, view.go_home, view.jog):
                await reason(button, NOT_CLOSED)
            await rig.session.send("switchForceBalanceSystem", {"status": True})
            await until(view.go_to.isEnabled, what="Go to Position enabled")
            assert view.go_home.isEnabled()
            await rig.close()

    run_qasync(scenario())


def test_moves_send_what_the_incumbent_sends(qtbot: QtBot, run_qasync: Any) -> None:
    async def scenario() -> None:
        async with ControllerSimulator(command_port=0, telemetry_port=0) as sim:
            rig = CellRig(sim, qtbot, RigidBodyView)
            view: RigidBodyView = rig.view
            await rig.connect()
            await rig.enable(closed=True)
            view.target[0].setValue(150.0)
            view.target[4].setValue(-12.5)
            assert sent(await rig.click(view.go_to)) == (
                "positionMirror",
                {"x": 150.0, "y": 0.0, "z": 0.0, "xRot": 0.0, "yRot": -12.5, "zRot": 0.0},
            )
            assert list(sim.controller.target_position) == [150.0, 0.0, 0.0, 0.0, -12.5, 0.0]
            view.clear_target.click()
            assert [box.value() for box in view.target] == [0.0] * 6
            # Jog: the current position plus the offsets
            send_position(rig.session, "position", [10.0, -20.0, 5.0, 1.0, 2.0, 3.0])
            await until(view.jog.isEnabled, what="Jog enabled with a known position")
            view.offsets[2].setValue(-4000.0)
            view.offsets[3].setValue(100.0)
            # no turn of the loop between reading the position and the click (the
            # button is enabled, so rig.click does not wait): Jog uses these values
            current = rig.session.store(RigidBodyPosition).values("position")
            assert current is not None
            record = await rig.click(view.jog)
            expected = {
                "x": current[0],
                "y": current[1],
                "z": current[2] - 4000.0,
                "xRot": current[3] + 100.0,
                "yRot": current[4],
                "zRot": current[5],
            }
            assert record is not None and record.name == "positionMirror"
            assert record.params == pytest.approx(expected)
            view.clear_offsets.click()
            assert [box.value() for box in view.offsets] == [0.0] * 6
            assert sent(await rig.click(view.go_home)) == (
                "positionMirror",
                dict.fromkeys(("x", "y", "z", "xRot", "yRot", "zRot"), 0.0),
            )
            assert sent(await rig.click(view.set_home)) == ("setMirrorHome", {})
            assert sent(await rig.click(view.save)) == ("saveMirrorPosition", {})
            # beyond the travel: the catalogue refuses before sending
            send_position(rig.session, "position", [4000.0, 0.0, 0.0, 0.0, 0.0, 0.0])
            view.offsets[0].setValue(4000.0)
            assert await rig.click(view.jog) is None
            assert "Not sent" in view.outcome.text() and "above the maximum" in view.outcome.text()
            await rig.close()

    run_qasync(scenario())


def test_position_and_ims_with_units_and_plot(qtbot: QtBot, run_qasync: Any) -> None:
    async def scenario() -> None:
        session = Session("127.0.0.1", 1, 2, reconnect=False, history=5)
        view = RigidBodyView(session)
        qtbot.addWidget(view)
        view.show()
        labels = view.value_labels
        assert [label.text() for label in labels["position"]] == ["–"] * 6
        assert view.jog.toolTip() == "not connected to the controller"
        send_position(session, "position", [1.0, 2.25, -3.0, 4.0, 5.0, 6.5])
        send_position(session, "positionIMS", [1.5, 2.5, 3.5, 4.5, 5.5, 6.125])
        await until(lambda: labels["positionIMS"][5].text() == "6.12", what="IMS shown")
        assert [label.text() for label in labels["position"]] == [
            "1.00",
            "2.25",
            "-3.00",
            "4.00",
            "5.00",
            "6.50",
        ]
        grid_texts = [w.text() for w in view.current_group.findChildren(type(view.in_position))]
        assert grid_texts.count("µm") == 3 and grid_texts.count("arcsec") == 3
        group = view.current_group
        where = labels["positionIMS"][3].geometry().center()
        assert view.signals_at(labels["positionIMS"][3].mapTo(group, where - where)) == [
            "positionIMS.xRot"
        ]
        axis = view.axis_labels[1]
        assert view.signals_at(axis.mapTo(group, axis.rect().center())) == [
            "position.y",
            "positionIMS.y",
        ]
        assert view.in_position.text() == "In position: <b>not reported</b>"
        session.events.on_event(
            Received(
                "m2AssemblyInPosition",
                {"id": "m2AssemblyInPosition", "inPosition": True},
                time.time(),
                "command",
            )
        )
        await until(lambda: "yes" in view.in_position.text(), what="in position")
        view.close()

    run_qasync(scenario())
