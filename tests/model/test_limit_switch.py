"""Limit switches: red for a trip, yellow within 5 % of the mode's limit, only reset clears."""

from __future__ import annotations

import time
from typing import Any

import numpy as np
import pytest

from m2gui.model.ops.limit_switch import LimitSwitchChange, LimitSwitches, no_tripped_switch
from m2gui.model.ops.limit_switch_rules import (
    NEAR_FRACTION,
    LimitMode,
    force_limits,
    limit_mode,
)
from m2gui.model.ops.overview_lamps import Level
from m2gui.model.session import Session
from m2gui.net import CommandRecord, ConnectionState, Outcome, Received

CLOSED = (444.82, 5800.0)
OPEN = (489.3, 6005.1)
OPEN_MAX = (622.75, 6227.51)


def event(session: Session, name: str, **fields: Any) -> None:
    session.events.on_event(Received(name, {"id": name, **fields}, time.time(), "command"))


def forces(session: Session, axial: dict[int, float] | None = None, tangent: Any = None) -> None:
    """Feed one axialForce and one tangentForce sample with these measured forces."""
    measured = np.full(72, 200.0)
    for i, f in (axial or {}).items():
        measured[i] = f
    zeros = [0.0] * 72
    message = {"id": "axialForce", "lutGravity": zeros, "lutTemperature": zeros}
    message |= {"applied": zeros, "measured": measured.tolist(), "hardpointCorrection": zeros}
    session.telemetry.on_telemetry(Received("axialForce", message, time.time(), "telemetry"))
    measured_t = np.full(6, 1000.0)
    for i, f in (tangent or {}).items():
        measured_t[i - 72] = f
    six = [0.0] * 6
    message = {"id": "tangentForce", "lutGravity": six, "lutTemperature": six, "applied": six}
    message |= {"measured": measured_t.tolist(), "hardpointCorrection": six}
    session.telemetry.on_telemetry(Received("tangentForce", message, time.time(), "telemetry"))


def clear_errors(session: Session, outcome: Outcome) -> None:
    record = CommandRecord("clearErrors", {}, 1, time.time(), time.monotonic())
    session.history.on_record(record)
    record.outcome = outcome
    session.history.on_record(record)


def closed_loop(session: Session) -> None:
    event(session, "forceBalanceSystemStatus", status=True)
    event(session, "openLoopMaxLimit", status=False)


@pytest.fixture
def session() -> Session:
    s = Session()
    s.connection._set_state(ConnectionState.CONNECTED)
    return s


@pytest.fixture
def switches(session: Session) -> LimitSwitches:
    return session.store(LimitSwitches)


def levels(switches: LimitSwitches) -> dict[tuple[int, str], Level]:
    """Every switch that is not green."""
    return {
        (i, d): switches.state(i, d).level
        for i in range(78)
        for d in ("retract", "extend")
        if switches.state(i, d).level is not Level.OK
    }


def test_limits_come_from_the_catalogue_constants(session: Session) -> None:
    cat = session.catalogue
    for mode, expected in (
        (LimitMode.CLOSED_LOOP, CLOSED),
        (LimitMode.OPEN_LOOP, OPEN),
        (LimitMode.OPEN_LOOP_MAX, OPEN_MAX),
    ):
        limits = force_limits(cat, mode)
        assert (limits.mode, limits.axial, limits.tangent) == (mode, *expected)
    assert NEAR_FRACTION == 0.05


def test_mode_rules() -> None:
    assert limit_mode(True, False) is LimitMode.CLOSED_LOOP
    assert limit_mode(True, True) is LimitMode.CLOSED_LOOP  # closed loop wins, as the incumbent
    assert limit_mode(False, True) is LimitMode.OPEN_LOOP_MAX
    assert limit_mode(False, False) is LimitMode.OPEN_LOOP
    assert limit_mode(None, None) is LimitMode.OPEN_LOOP
    assert limit_mode(None, None, 4) is LimitMode.CLOSED_LOOP  # balance status unknown
    assert limit_mode(False, None, 4) is LimitMode.OPEN_LOOP  # balance status known wins


def test_the_mode_changes_the_limit(session: Session, switches: LimitSwitches) -> None:
    seen: list[LimitSwitchChange] = []
    switches.changed.connect(seen.append)
    assert (switches.limits.axial, switches.limits.tangent) == OPEN
    event(session, "openLoopMaxLimit", status=True)
    assert (switches.limits.axial, switches.limits.tangent) == OPEN_MAX
    assert seen[-1].limits
    event(session, "forceBalanceSystemStatus", status=True)
    assert (switches.limits.axial, switches.limits.tangent) == CLOSED
    assert switches.limits.mode is LimitMode.CLOSED_LOOP
    # 430 N: green under the open-loop limit, yellow under the closed-loop one
    event(session, "forceBalanceSystemStatus", status=False)
    event(session, "openLoopMaxLimit", status=False)
    forces(session, {7: 430.0})
    assert levels(switches) == {}
    event(session, "forceBalanceSystemStatus", status=True)  # same force, lower limit
    assert levels(switches) == {(7, "retract"): Level.WARNING}


@pytest.mark.parametrize(
    ("mode_events", "limits"),
    [
        ({"forceBalanceSystemStatus": True}, CLOSED),
        ({"forceBalanceSystemStatus": False}, OPEN),
        ({"forceBalanceSystemStatus": False, "openLoopMaxLimit": True}, OPEN_MAX),
    ],
)
def test_the_5_percent_threshold_is_exact(
    session: Session, mode_events: dict[str, bool], limits: tuple[float, float]
) -> None:
    for name, status in mode_events.items():
        event(session, name, status=status)
    switches = session.store(LimitSwitches)
    axial, tangent = (limit * (1 - 0.05) for limit in limits)
    below_axial = float(np.nextafter(axial, 0.0))
    below_tangent = float(np.nextafter(tangent, 0.0))
    # just below the threshold on both sides: green
    forces(session, {0: below_axial, 1: -below_axial}, {72: below_tangent, 73: -below_tangent})
    assert levels(switches) == {}
    # exactly at 95 % of the limit: yellow, on the side the force pushes towards
    forces(session, {0: axial, 1: -axial}, {72: tangent, 73: -tangent})
    assert levels(switches) == {
        (0, "retract"): Level.WARNING,
        (1, "extend"): Level.WARNING,
        (72, "retract"): Level.WARNING,
        (73, "extend"): Level.WARNING,
    }
    lamp = switches.lamp(0, "retract")
    assert (lamp.word, lamp.level) == ("NEAR", Level.WARNING)
    assert f"{limits[0]:g} N" in lamp.detail


def test_yellow_is_kept_until_a_reset(session: Session, switches: LimitSwitches) -> None:
    closed_loop(session)
    forces(session, {10: 440.0})
    forces(session, {10: 100.0})  # the force falls back
    state = switches.state(10, "retract")
    assert (state.level, state.near, state.near_now) == (Level.WARNING, True, False)
    assert state.peak == pytest.approx(440.0)
    assert "earlier" in switches.lamp(10, "retract").detail
    clear_errors(session, Outcome.SUCCESS)
    assert levels(switches) == {}
    assert switches.state(10, "retract").peak == 0.0


def test_red_from_limit_switch_status(session: Session, switches: LimitSwitches) -> None:
    seen: list[LimitSwitchChange] = []
    switches.changed.connect(seen.append)
    event(session, "limitSwitchStatus", retract=[3], extend=[75])
    assert levels(switches) == {(3, "retract"): Level.ERROR, (75, "extend"): Level.ERROR}
    assert seen[-1].switches == {(3, "retract"), (75, "extend")}
    lamp = switches.lamp(75, "extend")
    assert (lamp.word, lamp.color) == ("TRIP", "#c04400")
    assert "A4 extend" in lamp.detail
    assert switches.tripped() == [(3, "retract"), (75, "extend")]


def test_yellow_never_overwrites_red(session: Session, switches: LimitSwitches) -> None:
    closed_loop(session)
    event(session, "limitSwitchStatus", retract=[3], extend=[])
    forces(session, {3: 444.0})
    state = switches.state(3, "retract")
    assert (state.level, state.tripped, state.near) == (Level.ERROR, True, True)
    assert switches.near() == []
    forces(session, {3: 100.0})
    assert switches.state(3, "retract").level is Level.ERROR


def test_only_a_successful_reset_clears_red(session: Session, switches: LimitSwitches) -> None:
    event(session, "limitSwitchStatus", retract=[3, 40], extend=[77])
    event(session, "limitSwitchStatus", retract=[], extend=[])  # "newly tripped": none
    event(session, "forceBalanceSystemStatus", status=True)  # a mode change
    forces(session)  # ordinary forces
    event(session, "summaryFaultsStatus", status=0)
    clear_errors(session, Outcome.FAIL)
    clear_errors(session, Outcome.TIMEOUT)
    assert len(switches.tripped()) == 3
    seen: list[LimitSwitchChange] = []
    switches.changed.connect(seen.append)
    clear_errors(session, Outcome.SUCCESS)
    assert levels(switches) == {}
    assert seen == [
        LimitSwitchChange(frozenset({(3, "retract"), (40, "retract"), (77, "extend")}), reset=True)
    ]
    # the same record announced again (a late reply) does not reset a new trip
    event(session, "limitSwitchStatus", retract=[5], extend=[])
    record = session.history.records[-1]
    session.history.on_record(record)
    assert switches.tripped() == [(5, "retract")]


def test_bad_limit_switch_lists_are_ignored(session: Session, switches: LimitSwitches) -> None:
    event(
        session,
        "limitSwitchStatus",
        retract=[True, -1, 78, 2**70, "3", 3.0, None, [4], 12],
        extend="everything",
    )
    assert switches.tripped() == [(12, "retract")]
    event(session, "limitSwitchStatus", retract=list(range(78)) * 50, extend=[])
    assert len(switches.tripped()) == 78  # 78 actuators, whatever the list
    event(session, "limitSwitchStatus", retract=[], extend=list(range(10**6)))
    assert len(switches.tripped()) == 78  # too large for the event store: a preview, ignored


def test_short_or_bad_force_arrays(session: Session, switches: LimitSwitches) -> None:
    closed_loop(session)
    message = {"id": "axialForce", "measured": [440.0, 1.0]}  # short: the rest is NaN
    session.telemetry.on_telemetry(Received("axialForce", message, time.time(), "telemetry"))
    assert levels(switches) == {(0, "retract"): Level.WARNING}
    assert switches.force(1) == 1.0
    assert switches.force(2) is None
    assert switches.force(77) is None
    message = {"id": "axialForce", "measured": [-440.0, "x", None]}  # bad: all NaN
    session.telemetry.on_telemetry(Received("axialForce", message, time.time(), "telemetry"))
    assert levels(switches) == {(0, "retract"): Level.WARNING}
    assert switches.force(0) is None


def test_blocking_rule_and_plot_names(session: Session, switches: LimitSwitches) -> None:
    assert no_tripped_switch(session) is None
    event(session, "limitSwitchStatus", retract=[0, 1, 2, 3, 4], extend=[72])
    reason = no_tripped_switch(session)
    assert reason is not None
    assert reason.startswith("limit switch tripped (B1 retract, B2 retract, B3 retract")
    assert "and 2 more" in reason
    assert switches.force_signal(12) == "axialForce.measured[12]"
    assert switches.force_signal(72) == "tangentForce.measured[0]"
    assert switches.label(72) == "A1"


def test_changed_is_emitted_after_the_update(session: Session, switches: LimitSwitches) -> None:
    closed_loop(session)
    seen: list[tuple[LimitSwitchChange, Level]] = []
    switches.changed.connect(lambda c: seen.append((c, switches.state(20, "extend").level)))
    forces(session, {20: -430.0})
    assert seen[-1] == (LimitSwitchChange(frozenset({(20, "extend")})), Level.WARNING)
    count = len(seen)
    forces(session, {20: -431.0})  # still near: nothing new to announce
    assert len(seen) == count
