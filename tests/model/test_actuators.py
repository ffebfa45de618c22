"""Actuator commands, the mode rules and the measured force summary (no Qt)."""

from __future__ import annotations

import math
import time
from typing import Any

import pytest

from m2gui.model.cell import actuators_rules as rules
from m2gui.model.cell.actuators import (
    ActuatorCommand,
    DisplacementUnit,
    apply_forces,
    displacement_range,
    move_control,
    move_start,
)
from m2gui.model.cell.actuators_summary import measured_force_summary
from m2gui.model.cell.selection import ActuatorSelection
from m2gui.model.session import Session
from m2gui.net import Received


def make_session() -> Session:
    return Session("127.0.0.1", 1, 2, reconnect=False, history=5)


def feed(session: Session, name: str, **fields: Any) -> None:
    session.events.on_event(Received(name, {"id": name, **fields}, time.time(), "command"))


def power(session: Session, power_type: int, on: bool) -> None:
    feed(session, "powerSystemState", powerType=power_type, status=on, state=5 if on else 2)


def enable(session: Session, closed: bool = False) -> None:
    """The controller as the incumbent's Enable leaves it (open or closed loop)."""
    power(session, 2, True)
    power(session, 1, True)
    feed(session, "forceBalanceSystemStatus", status=closed)
    feed(session, "closedLoopControlMode", mode=4 if closed else 3)


# ----------------------------------------------------------------------
# Commands, as the incumbent builds them
# ----------------------------------------------------------------------
def test_open_loop_start_in_mm_is_the_incumbents_message() -> None:
    params = move_start({72, 5, 0}, -1.25, DisplacementUnit.MILLIMETER)
    assert params == {
        "actuatorCommand": 1,
        "actuators": [0, 5, 72],
        "displacement": -1.25,
        "unit": 1,
    }
    cat = make_session().catalogue
    assert cat.validate_command("moveActuators", params) == params


def test_open_loop_start_in_steps_sends_whole_steps() -> None:
    params = move_start([3], 1500.0, DisplacementUnit.STEP)
    assert params == {"actuatorCommand": 1, "actuators": [3], "displacement": 1500, "unit": 2}
    assert type(params["displacement"]) is int


@pytest.mark.parametrize(
    ("value", "unit", "message"),
    [
        (200.5, DisplacementUnit.MILLIMETER, "outside ±200 mm"),
        (-200.01, DisplacementUnit.MILLIMETER, "outside ±200 mm"),
        (1e7 + 1, DisplacementUnit.STEP, "10000001 steps is outside ±10000000 steps"),
        (math.nan, DisplacementUnit.MILLIMETER, "outside"),
    ],
)
def test_open_loop_ranges_are_the_incumbents(
    value: float, unit: DisplacementUnit, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        move_start([0], value, unit)


def test_open_loop_range_edges_and_empty_selection() -> None:
    assert move_start([0], 200.0, DisplacementUnit.MILLIMETER)["displacement"] == 200.0
    assert move_start([0], -1e7, DisplacementUnit.STEP)["displacement"] == -10_000_000
    assert displacement_range(DisplacementUnit.MILLIMETER)[:2] == (-200.0, 200.0)
    assert displacement_range(DisplacementUnit.STEP) == (-1e7, 1e7, 0)
    with pytest.raises(ValueError, match="no actuator is selected"):
        move_start([], 1.0, DisplacementUnit.MILLIMETER)
    with pytest.raises(ValueError, match="actuator index 78"):
        move_start([78], 1.0, DisplacementUnit.MILLIMETER)


def test_stop_pause_resume_carry_only_the_command() -> None:
    assert move_control(ActuatorCommand.STOP) == {"actuatorCommand": 2}
    assert move_control(ActuatorCommand.PAUSE) == {"actuatorCommand": 3}
    assert move_control(ActuatorCommand.RESUME) == {"actuatorCommand": 4}
    with pytest.raises(ValueError, match="Start needs"):
        move_control(ActuatorCommand.START)


def test_apply_forces_puts_the_value_on_the_selection_and_zero_elsewhere() -> None:
    params = apply_forces([1, 71, 72, 77], 12.5)
    assert len(params["axial"]) == 72 and len(params["tangent"]) == 6
    assert [i for i, v in enumerate(params["axial"]) if v] == [1, 71]
    assert params["axial"][1] == params["axial"][71] == 12.5
    assert params["tangent"] == [12.5, 0.0, 0.0, 0.0, 0.0, 12.5]
    cat = make_session().catalogue
    assert cat.validate_command("applyForces", params) == params


def test_apply_forces_range_and_selection() -> None:
    assert apply_forces([0], -500.0)["axial"][0] == -500.0
    with pytest.raises(ValueError, match="outside ±500 N"):
        apply_forces([0], 500.5)
    with pytest.raises(ValueError, match="no actuator is selected"):
        apply_forces([], 1.0)
    with pytest.raises(ValueError, match="actuator index 80"):
        apply_forces([80], 1.0)


# ----------------------------------------------------------------------
# Mode rules
# ----------------------------------------------------------------------
def test_local_mode_follows_the_controllers_power_and_mode() -> None:
    session = make_session()
    assert rules.local_mode(session) is rules.LocalMode.STANDBY
    power(session, 2, True)
    assert rules.local_mode(session) is rules.LocalMode.DIAGNOSTIC
    power(session, 1, True)
    feed(session, "closedLoopControlMode", mode=2)  # TelemetryOnly: not yet Enable
    assert rules.local_mode(session) is rules.LocalMode.DIAGNOSTIC
    feed(session, "closedLoopControlMode", mode=3)
    assert rules.local_mode(session) is rules.LocalMode.ENABLE
    feed(session, "powerSystemState", powerType=1, status=True, state=3)  # powering on
    assert rules.local_mode(session) is rules.LocalMode.DIAGNOSTIC


def test_open_loop_moves_need_enable_open_loop_and_controller_open_loop() -> None:
    session = make_session()
    reasons = [rule(session) for rule in rules.enable_open_loop]
    assert reasons[0] == "needs the Enable state: motor power is off"
    power(session, 2, True)
    power(session, 1, True)
    feed(session, "closedLoopControlMode", mode=2)
    assert rules.enable(session) == (
        "needs the Enable state: the controller is in TelemetryOnly mode, "
        "not OpenLoop or ClosedLoop"
    )
    enable(session)
    assert [rule(session) for rule in rules.enable_open_loop] == [None, None, None]
    enable(session, closed=True)
    assert rules.open_loop(session) == (
        "needs open-loop control: the force balance system (closed loop) is on"
    )
    assert rules.controller_open_loop(session) == (
        "needs the controller in OpenLoop mode (it is ClosedLoop)"
    )


def test_force_offsets_and_rigid_body_moves_need_enable_and_closed_loop() -> None:
    session = make_session()
    enable(session)
    assert rules.enable(session) is None
    assert (
        rules.closed_loop(session) == "needs closed-loop control: the force balance system is off"
    )
    enable(session, closed=True)
    assert [rule(session) for rule in rules.enable_closed_loop] == [None, None]


def test_standby_rule_names_what_is_powered() -> None:
    session = make_session()
    assert rules.standby(session) is None
    power(session, 2, True)
    assert rules.standby(session) == (
        "only allowed in Standby (communication and motor power off): communication power is on"
    )
    power(session, 1, True)
    assert "communication and motor power are on" in str(rules.standby(session))


def test_the_sequencers_local_mode_wins_when_it_is_hooked(monkeypatch: pytest.MonkeyPatch) -> None:
    session = make_session()
    enable(session)
    monkeypatch.setattr(rules, "local_mode_hook", lambda s: "Diagnostic")
    assert rules.local_mode(session) is rules.LocalMode.DIAGNOSTIC
    assert rules.enable(session) == "needs the Enable state (the local mode is Diagnostic)"
    assert rules.standby(session) == "only allowed in Standby (not Diagnostic)"
    monkeypatch.setattr(rules, "local_mode_hook", lambda s: None)  # unknown: derived
    assert rules.local_mode(session) is rules.LocalMode.ENABLE


def test_needs_selection_reads_the_shared_selection() -> None:
    session = make_session()
    assert rules.needs_selection(session) == "select at least one actuator first"
    session.store(ActuatorSelection).select_ring("D")
    assert rules.needs_selection(session) is None


# ----------------------------------------------------------------------
# Measured force summary
# ----------------------------------------------------------------------
def test_measured_force_summary_from_the_latest_telemetry() -> None:
    session = make_session()
    assert measured_force_summary(session) == {"axial": None, "tangent": None}

    def send(measured: list[Any]) -> None:
        zeros = [0.0] * 72
        message = {
            "lutGravity": zeros,
            "lutTemperature": zeros,
            "applied": zeros,
            "measured": measured,
            "hardpointCorrection": zeros,
        }
        session.telemetry.on_telemetry(Received("axialForce", message, time.time(), "telemetry"))

    send([float(i) - 10 for i in range(72)])
    summary = measured_force_summary(session)
    axial = summary["axial"]
    assert axial is not None and summary["tangent"] is None
    assert (axial.minimum, axial.maximum) == (-10.0, 61.0)
    assert axial.total == sum(range(72)) - 720
    send([1.0] * 71 + ["bad"])  # the store keeps a bad array as NaN: nothing to summarise
    assert measured_force_summary(session)["axial"] is None
