"""The simulated mirror responds to commands as the views expect, cheaply and repeatably.

Socket tests drive the real simulator through a `ControllerConnection` and read
its telemetry; the physics checks that need simulated minutes step a
`Plant` directly (no waiting).
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from typing import Any

import numpy as np
import orjson
import pytest

from m2gui.model import Catalogue
from m2gui.net import ControllerConnection
from m2gui.sim import ControllerSimulator, Plant, SimController

from .recorder import Recorder

STEP_UM = 1.9967536601e-5 * 1000.0
DT = 0.05


@pytest.fixture
async def rec(conn: ControllerConnection) -> AsyncIterator[Recorder]:
    recorder = Recorder(conn)
    await recorder.welcomed()
    yield recorder


async def power_on(conn: ControllerConnection) -> None:
    await conn.command("power", {"powerType": 2, "status": True})
    await conn.command("power", {"powerType": 1, "status": True})


async def closed_loop(conn: ControllerConnection) -> None:
    await power_on(conn)
    await conn.command("switchForceBalanceSystem", {"status": True})


def force_error(message: dict[str, Any]) -> np.ndarray:
    """The incumbent's force error: LUT gravity + temperature + applied + correction - measured."""
    return (
        np.asarray(message["lutGravity"])
        + np.asarray(message["lutTemperature"])
        + np.asarray(message["applied"])
        + np.asarray(message["hardpointCorrection"])
        - np.asarray(message["measured"])
    )


def bench(seed: int = 11) -> tuple[SimController, Plant, Catalogue]:
    from m2gui.model import load_catalogue

    catalogue = load_catalogue()
    ctrl = SimController(catalogue)
    return ctrl, Plant(ctrl, seed), catalogue


def run(ctrl: SimController, plant: Plant, seconds: float) -> list[dict[str, Any]]:
    events = []
    for _ in range(round(seconds / DT)):
        plant.step(DT)
        events += ctrl.tick(DT, plant.settled, plant.measured)
    return events


def command(ctrl: SimController, catalogue: Catalogue, name: str, **params: Any) -> None:
    ctrl.execute(name, catalogue.validate_command(name, params))


# ----------------------------------------------------------------------
# Over the wire
# ----------------------------------------------------------------------
async def test_open_loop_move_steps_at_2000_per_second_with_pause_resume_stop(
    sim: ControllerSimulator, conn: ControllerConnection, rec: Recorder
) -> None:
    await power_on(conn)
    force_before = (await rec.telemetry("axialForce"))["measured"][3]
    await conn.command(
        "moveActuators",
        {"actuatorCommand": 1, "actuators": [3, 7], "displacement": 6000, "unit": 2},
    )
    start = sim.telemetry_cycles
    sample = await rec.telemetry("axialActuatorSteps", lambda m: m["steps"][3] >= 1000)
    # 100 steps per 20 Hz cycle: the count follows the simulator's own cycles.
    assert sample["steps"][3] == sample["steps"][7] <= (sim.telemetry_cycles - start + 1) * 100
    await conn.command("moveActuators", {"actuatorCommand": 3})  # Pause
    held = sim.controller.steps[3]
    cycles = sim.telemetry_cycles
    await rec.telemetry("axialActuatorSteps", lambda m: sim.telemetry_cycles >= cycles + 4)
    assert sim.controller.steps[3] == held
    await conn.command("moveActuators", {"actuatorCommand": 4})  # Resume
    await rec.telemetry("axialActuatorSteps", lambda m: m["steps"][3] >= held + 500)
    await conn.command("moveActuators", {"actuatorCommand": 2})  # Stop
    stopped = sim.controller.steps[3]
    assert 0 < stopped < 6000 and sim.controller.move is None
    encoders = await rec.telemetry(
        "axialEncoderPositions",
        lambda m: abs(m["position"][3] - stopped * STEP_UM) < 0.5,
    )
    assert abs(encoders["position"][4]) < 0.5  # the others did not move
    # Pushing actuator 3 into the mirror raised its force (0.2 N/um, less the body's share).
    force = await rec.telemetry(
        "axialForce", lambda m: m["measured"][3] - force_before > 0.1 * stopped * STEP_UM
    )
    assert force["measured"][3] - force_before < 0.2 * stopped * STEP_UM + 2.0


async def test_apply_forces_shows_a_force_error_that_decays(
    sim: ControllerSimulator, conn: ControllerConnection, rec: Recorder
) -> None:
    await closed_loop(conn)
    axial = [0.0] * 72
    axial[10], axial[40] = 60.0, -20.0
    await conn.command("applyForces", {"axial": axial, "tangent": [0.0] * 6})
    # At once: actuator 10 lags its new command, so the incumbent's force error shows it.
    first = await rec.telemetry("axialForce", lambda m: m["applied"][10] == 60.0)
    error = force_error(first)
    assert error[10] > 10.0 and error[40] < -3.0
    # The hardpoints carry the correction: their force error is zero, always.
    hardpoints = sim.controller.hardpoints[:3]
    assert np.allclose(error[hardpoints], 0.0, atol=1e-9)
    # Then it decays into the noise.
    settled = await rec.telemetry(
        "axialForce", lambda m: m["applied"][10] == 60.0 and abs(force_error(m)[10]) < 1.5
    )
    assert np.allclose(force_error(settled)[hardpoints], 0.0, atol=1e-9)
    assert abs(settled["measured"][10] - (first["measured"][10] + 60.0)) < 10.0
    # forceBalance is the net of those corrections.
    balance = rec.latest("forceBalance")
    assert abs(balance["fz"] - sum(rec.latest("axialForce")["hardpointCorrection"])) < 5.0


async def test_hardpoint_change_moves_where_the_correction_is_carried(
    sim: ControllerSimulator, conn: ControllerConnection, rec: Recorder
) -> None:
    await power_on(conn)
    await conn.command("setHardpointList", {"actuators": [4, 14, 24, 72, 74, 76]})
    await conn.command("switchForceBalanceSystem", {"status": True})
    message = await rec.telemetry("axialForce", lambda m: any(m["hardpointCorrection"]))
    error = force_error(message)
    assert np.allclose(error[[4, 14, 24]], 0.0, atol=1e-9)
    assert not np.allclose(error[[5, 15, 25]], 0.0, atol=1e-3)
    tangent = await rec.telemetry("tangentForce", lambda m: any(m["hardpointCorrection"]))
    assert np.allclose(force_error(tangent)[[0, 2, 4]], 0.0, atol=1e-9)


async def test_position_mirror_settles_in_about_two_seconds(
    sim: ControllerSimulator, conn: ControllerConnection, rec: Recorder
) -> None:
    await closed_loop(conn)
    await rec.event("m2AssemblyInPosition", where=lambda m: m["inPosition"])
    steps_before = sim.controller.steps.copy()
    mark = rec.mark()
    target = {"x": 150.0, "y": -60.0, "z": 25.0, "xRot": 3.0, "yRot": -2.0, "zRot": 1.5}
    started = sim.telemetry_cycles
    await conn.command("positionMirror", target)
    await rec.event("m2AssemblyInPosition", mark, lambda m: m["inPosition"])
    took = (sim.telemetry_cycles - started) / sim.rate  # simulated seconds
    assert 0.8 < took < 2.6
    position = rec.latest("position")
    for key, value in target.items():
        assert abs(position[key] - value) < 0.6, key
    ims = await rec.telemetry(
        "positionIMS", lambda m: all(abs(m[k] - v) < 1.5 for k, v in target.items())
    )
    assert ims["x"] != position["x"]  # an independent measurement
    # The hardpoints moved the mirror: their steps changed.
    hardpoints = sim.controller.hardpoints
    assert np.all(sim.controller.steps[hardpoints] != steps_before[hardpoints])


async def test_set_mirror_home_keeps_the_mirror_where_it_is(
    sim: ControllerSimulator, conn: ControllerConnection, rec: Recorder
) -> None:
    await closed_loop(conn)
    target = {"x": 80.0, "y": 0.0, "z": -30.0, "xRot": 0.0, "yRot": 0.0, "zRot": 0.0}
    await conn.command("positionMirror", target)
    await rec.telemetry("position", lambda m: abs(m["x"] - 80.0) < 0.3 and abs(m["z"] + 30) < 0.3)
    body = sim.plant.body.copy()
    await conn.command("setMirrorHome")
    home = await rec.telemetry("position", lambda m: abs(m["x"]) < 0.3 and abs(m["z"]) < 0.3)
    assert abs(home["y"]) < 0.3
    assert np.allclose(sim.plant.body, body, atol=0.5)


async def test_script_progresses_to_completion(
    sim: ControllerSimulator, conn: ControllerConnection, rec: Recorder
) -> None:
    sim.controller.script_duration = 1.0
    # Stop and Pause do nothing (and succeed) with no script running, as the reference does.
    await conn.command("runScript", {"scriptCommand": 4})
    await conn.command("runScript", {"scriptCommand": 5})
    await conn.command("runScript", {"scriptCommand": 1, "scriptName": "bending_modes"})
    mark = rec.mark()
    await conn.command("runScript", {"scriptCommand": 3})
    await rec.event("scriptExecutionStatus", mark, lambda m: m["percentage"] == 100.0)
    values = [
        e.message["percentage"] for e in rec.events[mark:] if e.name == "scriptExecutionStatus"
    ]
    assert values[0] == 0.0  # the Run reply's status
    assert values[1:] == sorted(values[1:]) and len(values) >= 10
    assert sim.controller.script.state == "loaded"
    # Pause holds the percentage, Resume carries on.
    mark = rec.mark()
    await conn.command("runScript", {"scriptCommand": 3})
    paused_at = await rec.event("scriptExecutionStatus", mark, lambda m: m["percentage"] >= 20.0)
    await conn.command("runScript", {"scriptCommand": 5})
    held = sim.controller.script.percentage
    assert held >= paused_at["percentage"]
    cycles = sim.telemetry_cycles
    await rec.telemetry("powerStatus", lambda m: sim.telemetry_cycles >= cycles + 4)
    assert sim.controller.script.percentage == held
    await conn.command("runScript", {"scriptCommand": 6})
    await rec.event("scriptExecutionStatus", mark, lambda m: m["percentage"] > held + 10)
    await conn.command("runScript", {"scriptCommand": 4})
    assert sim.controller.script.state == "loaded"


async def test_breaker_trip_lowers_the_feed_current(
    sim: ControllerSimulator, conn: ControllerConnection, rec: Recorder
) -> None:
    await power_on(conn)
    await rec.telemetry("powerStatus", lambda m: m["commCurrent"] > 6.3)
    for index in range(3):
        sim.inject("breaker", power="communication", index=index)
    # Three of six breakers open: half the nominal 6.5 A.
    status = await rec.telemetry("powerStatus", lambda m: m["commCurrent"] < 3.6)
    assert status["commCurrent"] > 3.0 and status["commVoltage"] > 22.5


# ----------------------------------------------------------------------
# The physics, stepped directly
# ----------------------------------------------------------------------
def test_force_balance_cancels_the_net_of_the_applied_forces() -> None:
    ctrl, plant, catalogue = bench()
    # A still telescope (the mount's elevation), so that only the applied forces change.
    ctrl.control_parameters["useExternalElevationAngle"] = True
    ctrl.external_elevation = 55.0
    command(ctrl, catalogue, "power", powerType=2, status=True)
    command(ctrl, catalogue, "power", powerType=1, status=True)
    command(ctrl, catalogue, "switchForceBalanceSystem", status=True)
    run(ctrl, plant, 10.0)
    rest, total = plant.tel_forceBalance(), plant.tel_netForcesTotal()
    moments = plant.tel_netMomentsTotal()
    axial = [0.0] * 72
    axial[10], axial[40] = 60.0, -20.0  # B11 and C11: net +40 N and a moment
    command(ctrl, catalogue, "applyForces", axial=axial, tangent=[0.0] * 6)
    run(ctrl, plant, 10.0)
    balance = plant.tel_forceBalance()
    assert abs(balance["fz"] - rest["fz"] + 40.0) < 0.5
    x, y = plant.geom.x, plant.geom.y
    assert abs(balance["mx"] - rest["mx"] + (60 * y[10] - 20 * y[40])) < 0.5
    assert abs(balance["my"] - rest["my"] - (60 * x[10] - 20 * x[40])) < 0.5
    # The mirror's weight does not change: the actuators still measure it all.
    assert abs(plant.tel_netForcesTotal()["fz"] - total["fz"]) < 1.0
    assert abs(plant.tel_netMomentsTotal()["mx"] - moments["mx"]) < 1.0
    # The hardpoints are offloaded again (to LUT), and steady errors are gone.
    hard = ctrl.hardpoints[:3]
    assert np.abs(plant.measured[hard] - plant.lut[hard]).max() < 0.5
    assert np.abs(plant.force_error[:72]).max() < 0.3


def test_temperatures_by_ring_vary_a_little() -> None:
    ctrl, plant, catalogue = bench()
    command(ctrl, catalogue, "power", powerType=2, status=True)
    command(ctrl, catalogue, "power", powerType=1, status=True)
    samples = []
    for _ in range(60):
        run(ctrl, plant, 1.0)
        samples.append(plant.tel_temperature())
    ring = np.array([s["ring"] for s in samples])
    assert ring.shape == (60, 12)
    means = ring.mean(axis=0).reshape(3, 4)  # LG2, LG3, LG4
    assert np.all(means.std(axis=1) < 0.3)  # sensors of a ring agree to a few tenths
    assert means[0].mean() < means[1].mean() < means[2].mean()  # rings apart
    assert np.all(ring.std(axis=0) < 0.3) and np.all(ring.std(axis=0) > 0.005)  # they move
    assert np.abs(np.diff(ring, axis=0)).max() < 0.2  # and slowly
    rise = np.array([s["exhaust"] - s["intake"] for s in samples])
    assert 0.8 < rise.mean() < 1.6 and np.all(rise < 2.0)
    # With the cell temperature warning injected, the exhaust air is > 2 degC warmer.
    ctrl.inject("cell_temperature_high")
    run(ctrl, plant, 90.0)
    hot = plant.tel_temperature()
    assert (hot["exhaust"] - hot["intake"]).mean() > 2.0


def test_the_same_seed_gives_the_same_run() -> None:
    runs = []
    for seed in (5, 5, 6):
        ctrl, plant, catalogue = bench(seed)
        command(ctrl, catalogue, "power", powerType=2, status=True)
        command(ctrl, catalogue, "power", powerType=1, status=True)
        command(ctrl, catalogue, "switchForceBalanceSystem", status=True)
        axial = [0.0] * 72
        axial[30] = 25.0
        command(ctrl, catalogue, "applyForces", axial=axial, tangent=[0.0] * 6)
        command(
            ctrl, catalogue, "positionMirror", x=50.0, y=0.0, z=0.0, xRot=0.0, yRot=0.0, zRot=0.0
        )
        run(ctrl, plant, 2.0)
        runs.append(
            orjson.dumps(
                plant.telemetry(list(catalogue.telemetry)), option=orjson.OPT_SERIALIZE_NUMPY
            )
        )
    assert runs[0] == runs[1]
    assert runs[0] != runs[2]


def test_excessive_force_in_open_loop_faults_and_stops() -> None:
    ctrl, plant, catalogue = bench()
    command(ctrl, catalogue, "power", powerType=2, status=True)
    command(ctrl, catalogue, "power", powerType=1, status=True)
    command(ctrl, catalogue, "setClosedLoopControlMode", mode=3)
    command(ctrl, catalogue, "clearErrors")
    command(
        ctrl, catalogue, "moveActuators", actuatorCommand=1, actuators=[20], displacement=1, unit=2
    )
    ctrl.steps[20] = 120_000  # 2.4 mm into the mirror: some 480 N more
    events = run(ctrl, plant, 3.0)
    names = [e["id"] for e in events]
    i = names.index("summaryFaultsStatus")
    assert events[i]["status"] == 1 << 4  # 6055 excessive force
    assert events[i + 1] == {"id": "closedLoopControlMode", "mode": 2}
    assert ctrl.move is None and ctrl.closed_loop_mode == 2


def test_a_cycle_costs_well_under_a_tenth_of_a_core() -> None:
    """Physics, events and every topic encoded: under 5 ms of CPU per 50 ms cycle."""
    ctrl, plant, catalogue = bench()
    command(ctrl, catalogue, "power", powerType=2, status=True)
    command(ctrl, catalogue, "power", powerType=1, status=True)
    command(ctrl, catalogue, "switchForceBalanceSystem", status=True)
    topics = list(catalogue.telemetry)
    start = time.process_time()
    cycles = 200
    for _ in range(cycles):
        plant.step(DT)
        ctrl.tick(DT, plant.settled, plant.measured)
        b"".join(
            orjson.dumps(m, option=orjson.OPT_SERIALIZE_NUMPY) + b"\r\n"
            for m in plant.telemetry(topics)
        )
    per_cycle = (time.process_time() - start) / cycles
    assert per_cycle < 0.005, f"{per_cycle * 1000:.2f} ms per cycle"
