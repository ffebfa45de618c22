"""Every catalogue command against the simulator: success in sequence, and failures."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from m2gui.model import Catalogue
from m2gui.net import CommandFailed, ControllerConnection, Received
from m2gui.sim import ControllerSimulator
from m2gui.sim.controller import CommandFailure, SimController

DEFAULT_MASK = 18410715311050326015
OPTICAL = "Configurable_File_Description_20180831T091922_M2_optical.csv"

# The engineer's whole day, in the order the incumbent GUI sends it:
# Standby -> Diagnostic -> Enable (ILC bring-up) -> open-loop work -> closed
# loop -> forces and positions -> scripts -> back down -> reboot.
SEQUENCE: list[tuple[str, dict[str, Any]]] = [
    ("switchCommandSource", {"isRemote": False}),
    ("setEnabledFaultsMask", {"mask": DEFAULT_MASK & ~0b111 & ~(1 << 34)}),
    ("switchDigitalOutput", {"bit": 4, "status": 2}),
    ("switchDigitalOutput", {"bit": 8, "status": 2}),
    ("switchDigitalOutput", {"bit": 16, "status": 2}),
    ("setClosedLoopControlMode", {"mode": 1}),
    ("loadConfiguration", {}),
    (
        "setControlParameters",
        {
            "enableLutTemperature": True,
            "enableLutInclinometer": True,
            "useExternalElevationAngle": False,
            "enableAngleComparison": False,
            "maxAngleDifference": 2.0,
        },
    ),
    ("setClosedLoopControlMode", {"mode": 1}),
    ("resetForceOffsets", {}),
    ("resetActuatorSteps", {}),
    ("setConfigurationFile", {"file": OPTICAL}),
    ("setHardpointList", {"actuators": [5, 15, 25, 72, 74, 76]}),
    ("setTemperatureOffset", {"ring": [21.0] * 12, "intake": [0.0] * 2, "exhaust": [0.0] * 2}),
    ("power", {"powerType": 2, "status": True}),
    ("resetBreakers", {"powerType": 2}),
    ("power", {"powerType": 1, "status": True}),
    ("getInnerLoopControlMode", {"addresses": list(range(84))}),
    ("setInnerLoopControlMode", {"addresses": list(range(78)), "mode": 2}),
    ("setInnerLoopControlMode", {"addresses": list(range(84)), "mode": 3}),
    ("setClosedLoopControlMode", {"mode": 3}),
    ("moveActuators", {"actuatorCommand": 1, "actuators": [0, 1], "displacement": 500, "unit": 2}),
    ("moveActuators", {"actuatorCommand": 3}),
    ("moveActuators", {"actuatorCommand": 4}),
    ("moveActuators", {"actuatorCommand": 2}),
    ("enableOpenLoopMaxLimit", {"status": True}),
    ("enableOpenLoopMaxLimit", {"status": False}),
    ("switchForceBalanceSystem", {"status": True}),
    ("applyForces", {"axial": [10.0] + [0.0] * 71, "tangent": [0.0] * 6}),
    ("positionMirror", {"x": 100.0, "y": 0.0, "z": 0.0, "xRot": 0.0, "yRot": 0.0, "zRot": 0.0}),
    ("saveMirrorPosition", {}),
    ("setMirrorHome", {}),
    ("runScript", {"scriptCommand": 1, "scriptName": "demo"}),
    ("runScript", {"scriptCommand": 3}),
    ("runScript", {"scriptCommand": 5}),
    ("runScript", {"scriptCommand": 6}),
    ("runScript", {"scriptCommand": 4}),
    ("runScript", {"scriptCommand": 2}),
    ("clearErrors", {}),
    ("resetForceOffsets", {}),
    ("switchForceBalanceSystem", {"status": False}),
    ("setClosedLoopControlMode", {"mode": 2}),
    ("power", {"powerType": 1, "status": False}),
    ("power", {"powerType": 2, "status": False}),
    ("rebootController", {}),
]


def record_events(conn: ControllerConnection) -> list[Received]:
    events: list[Received] = []
    conn.subscribe(events.append, kind="event")
    return events


async def test_every_command_succeeds_in_the_gui_sequences(
    conn: ControllerConnection, catalogue: Catalogue
) -> None:
    assert {name for name, _ in SEQUENCE} == set(catalogue.commands)
    events = record_events(conn)
    for name, params in SEQUENCE:
        params = catalogue.validate_command(name, params)
        record = await conn.command(name, params, timeout=5)
        assert record.outcome.value == "success", name
        assert record.ack_latency is not None and record.done_latency is not None
        assert 0 <= record.ack_latency <= record.done_latency
    names = [e.name for e in events]
    assert "innerLoopControlMode" in names
    assert conn.latest_events["hardpointList"].message["actuators"] == [6, 16, 26, 73, 75, 77]
    assert conn.latest_events["config"].message["configuration"] == OPTICAL
    assert conn.latest_events["config"].message["lutParameters"] == "FinalOpticalLUTs"


async def test_power_events_come_before_success_in_order(conn: ControllerConnection) -> None:
    events = record_events(conn)
    await conn.command("power", {"powerType": 2, "status": True})
    assert [e.name for e in events] == [
        "powerSystemState",
        "powerSystemState",
        "digitalInput",
        "digitalOutput",
        "interlock",
        "openLoopMaxLimit",
    ]
    assert [events[0].message["state"], events[1].message["state"]] == [3, 5]
    assert events[3].message["value"] == 0x1E


async def test_ilc_bring_up_reaches_enabled(conn: ControllerConnection) -> None:
    await conn.command("power", {"powerType": 2, "status": True})
    modes: dict[int, int] = {}
    conn.subscribe(
        lambda r: modes.__setitem__(r.message["address"], r.message["mode"]),
        "innerLoopControlMode",
    )
    await conn.command("getInnerLoopControlMode", {"addresses": list(range(84))})
    assert set(modes.values()) == {1}  # Standby
    # Enabled straight from Standby is refused by actuator ILCs (they stay).
    await conn.command("setInnerLoopControlMode", {"addresses": [0], "mode": 3})
    assert modes[0] == 1
    await conn.command("setInnerLoopControlMode", {"addresses": list(range(78)), "mode": 2})
    await conn.command("setInnerLoopControlMode", {"addresses": list(range(84)), "mode": 3})
    assert set(modes.values()) == {3}
    await conn.command("setInnerLoopControlMode", {"addresses": [5], "mode": 6})
    assert modes[5] == 1  # ClearFaults -> Standby


async def power_on(conn: ControllerConnection) -> None:
    await conn.command("power", {"powerType": 2, "status": True})
    await conn.command("power", {"powerType": 1, "status": True})


async def closed_loop(conn: ControllerConnection) -> None:
    await power_on(conn)
    await conn.command("switchForceBalanceSystem", {"status": True})


@pytest.mark.parametrize(
    ("setup", "name", "params", "reason"),
    [
        (
            None,
            "positionMirror",
            dict.fromkeys(("x", "y", "z", "xRot", "yRot", "zRot"), 0.0),
            "motor power is off",
        ),
        (
            power_on,
            "positionMirror",
            dict.fromkeys(("x", "y", "z", "xRot", "yRot", "zRot"), 0.0),
            "closed loop",
        ),
        (
            closed_loop,
            "positionMirror",
            {"x": 7000.0, "y": 7000.0, "z": 0.0, "xRot": 0.0, "yRot": 0.0, "zRot": 0.0},
            "radial position",
        ),
        (None, "switchForceBalanceSystem", {"status": True}, "motor power is off"),
        (None, "resetBreakers", {"powerType": 1}, "Motor power is off"),
        (None, "getInnerLoopControlMode", {"addresses": [0]}, "communication power is off"),
        (None, "setInnerLoopControlMode", {"addresses": [0], "mode": 2}, "communication power"),
        (None, "runScript", {"scriptCommand": 3}, "no script ready"),
        (None, "runScript", {"scriptCommand": 6}, "no script is paused"),
        (None, "setConfigurationFile", {"file": "nope.csv"}, "unknown configuration file"),
        (None, "setHardpointList", {"actuators": [5, 15, 25, 72, 73, 74]}, "tangent hardpoints"),
        (
            None,
            "moveActuators",
            {"actuatorCommand": 1, "actuators": [0], "displacement": 1.0, "unit": 1},
            "motor power is off",
        ),
        (None, "moveActuators", {"actuatorCommand": 4}, "no paused move"),
        (closed_loop, "enableOpenLoopMaxLimit", {"status": True}, "closed loop is running"),
        (
            closed_loop,
            "applyForces",
            {"axial": [440.0] * 72, "tangent": [0.0] * 6},
            "exceeds the closed-loop limit",
        ),
    ],
)
async def test_commands_fail_where_the_state_forbids(
    conn: ControllerConnection, setup: Any, name: str, params: dict, reason: str
) -> None:
    if setup is not None:
        await setup(conn)
    with pytest.raises(CommandFailed) as info:
        await conn.command(name, params, timeout=5)
    assert reason in info.value.record.reason
    assert info.value.record.outcome.value == "fail"
    # The connection survives and the next command works.
    assert (await conn.command("clearErrors")).outcome.value == "success"


async def test_open_loop_move_changes_steps_and_encoders(
    conn: ControllerConnection, sim: ControllerSimulator
) -> None:
    await power_on(conn)
    await conn.command(
        "moveActuators",
        {"actuatorCommand": 1, "actuators": [3], "displacement": 250, "unit": 2},
    )
    for _ in range(100):
        await asyncio.sleep(0.05)
        steps = conn.latest_telemetry.get("axialActuatorSteps")
        if steps is not None and steps.message["steps"][3] == 250:
            break
    assert conn.latest_telemetry["axialActuatorSteps"].message["steps"][3] == 250
    assert conn.latest_telemetry["axialActuatorSteps"].message["steps"][4] == 0
    assert sim.controller.move is None


async def test_forces_and_position_follow_commands(conn: ControllerConnection) -> None:
    await closed_loop(conn)
    in_position: list[bool] = []
    conn.subscribe(lambda r: in_position.append(r.message["inPosition"]), "m2AssemblyInPosition")
    await conn.command(
        "applyForces", {"axial": [0.0] * 10 + [50.0] + [0.0] * 61, "tangent": [0.0] * 6}
    )
    await conn.command(
        "positionMirror", {"x": 120.0, "y": -40.0, "z": 10.0, "xRot": 0.0, "yRot": 0.0, "zRot": 0.0}
    )
    for _ in range(120):
        await asyncio.sleep(0.05)
        if in_position and in_position[-1]:
            break
    assert in_position[0] is False and in_position[-1] is True
    force = conn.latest_telemetry["axialForce"].message
    expected = (
        force["lutGravity"][10]
        + force["lutTemperature"][10]
        + force["applied"][10]
        + force["hardpointCorrection"][10]
    )
    assert force["applied"][10] == 50.0
    assert abs(force["measured"][10] - expected) < 3.0
    position = conn.latest_telemetry["position"].message
    assert abs(position["x"] - 120.0) < 2.0 and abs(position["y"] + 40.0) < 2.0


@pytest.mark.parametrize(("script_name", "reason"), [("", "empty"), (" \t", "blank")])
async def test_load_script_without_a_name_fails_with_a_reason(
    conn: ControllerConnection, sim: ControllerSimulator, script_name: str, reason: str
) -> None:
    """As the controller refuses it, but saying why (the real one only says fail)."""
    with pytest.raises(CommandFailed) as info:
        await conn.command("runScript", {"scriptCommand": 1, "scriptName": script_name}, timeout=5)
    record = info.value.record
    assert record.outcome.value == "fail"
    assert f"runScript.scriptName: must not be {reason}" in record.reason
    assert sim.controller.script.state == "empty"
    # The same command with a name loads the script.
    await conn.command("runScript", {"scriptCommand": 1, "scriptName": "demo"}, timeout=5)
    assert (sim.controller.script.state, sim.controller.script.name) == ("loaded", "demo")


@pytest.mark.parametrize("script_name", [None, "", "  "])
def test_sim_controller_refuses_load_script_without_a_name(
    catalogue: Catalogue, script_name: str | None
) -> None:
    """The state machine refuses it too, for callers that skip validation."""
    controller = SimController(catalogue)
    params: dict[str, Any] = {"scriptCommand": 1}
    if script_name is not None:
        params["scriptName"] = script_name
    with pytest.raises(CommandFailure, match="LoadScript needs a script name"):
        controller.execute("runScript", params)
    assert controller.script.state == "empty"
