"""The forces table: force-error arithmetic, limits per mode, flags, summaries, filters."""

from __future__ import annotations

import math
import time
from typing import Any

import numpy as np
import pytest

from m2gui.model import load_catalogue
from m2gui.model.cell.forces import (
    COLUMNS,
    RING_FILTERS,
    ForcesTable,
    LimitFlag,
    actuator_force_error,
    force_limits,
    limit_flag,
)
from m2gui.model.session import Session
from m2gui.net import Received

CAT = load_catalogue()
C = CAT.constants


def make_session() -> Session:
    return Session("127.0.0.1", 1, 2, reconnect=False, history=5)


def tel(session: Session, name: str, **fields: Any) -> None:
    session.telemetry.on_telemetry(Received(name, {"id": name, **fields}, time.time(), "telemetry"))


def event(session: Session, name: str, **fields: Any) -> None:
    session.events.on_event(Received(name, {"id": name, **fields}, time.time(), "command"))


def forces(n: int, **overrides: Any) -> dict[str, Any]:
    """A force message of n actuators, all zero unless given."""
    fields: dict[str, Any] = {
        f: [0.0] * n
        for f in ("lutGravity", "lutTemperature", "applied", "measured", "hardpointCorrection")
    }
    fields.update(overrides)
    return fields


# ----------------------------------------------------------------------
# Arithmetic
# ----------------------------------------------------------------------
def test_force_error_is_the_incumbents_sum_zeroed_at_hardpoints() -> None:
    n = 78
    gravity = np.full(n, 100.0)
    temperature = np.full(n, 5.0)
    applied = np.full(n, 10.0)
    correction = np.full(n, 2.0)
    measured = np.full(n, 110.0)
    error = actuator_force_error(
        gravity, temperature, applied, correction, measured, [5, 15, 25, 73]
    )
    # axial: 100 + 5 + 10 + 2 - 110
    assert error[0] == pytest.approx(7.0)
    # tangent links have no temperature term: 100 + 10 + 2 - 110
    assert error[72] == pytest.approx(2.0)
    assert error[77] == pytest.approx(2.0)
    # zero at hardpoints, axial and tangent alike
    assert error[5] == error[15] == error[25] == error[73] == 0.0
    assert error[6] == pytest.approx(7.0)


def test_force_error_unknowns() -> None:
    n = 78
    nan = np.full(n, np.nan)
    zeros = np.zeros(n)
    measured = np.full(n, 1.0)
    # a hardpoint correction not received counts as 0, as the incumbent starts from zeros;
    # an empty tangent temperature list (reference simulator) does not matter
    error = actuator_force_error(zeros, nan, zeros, nan, measured, [])
    assert error[72] == -1.0 and error[0] == -1.0
    # the tangent temperature is never part of the error, even when it is sent
    error = actuator_force_error(zeros, np.full(n, 5.0), zeros, nan, measured, [])
    assert error[0] == 4.0 and error[72] == -1.0
    # unknown measured force: unknown error, even at a hardpoint
    error = actuator_force_error(zeros, zeros, zeros, zeros, nan, [5])
    assert math.isnan(error[5]) and math.isnan(error[0])
    # out-of-range hardpoints are ignored
    assert actuator_force_error(zeros, zeros, zeros, zeros, measured, [-1, 500])[0] == -1.0


def test_limits_per_mode_come_from_the_protocol_constants() -> None:
    assert force_limits(C, closed_loop=True, max_limit=False) == (444.82, 5800.0)
    assert force_limits(C, closed_loop=True, max_limit=True) == (444.82, 5800.0)
    assert force_limits(C, closed_loop=False, max_limit=False) == (489.3, 6005.1)
    assert force_limits(C, closed_loop=False, max_limit=True) == (622.75, 6227.51)


def test_limit_flags() -> None:
    assert limit_flag(444.82, 444.82) is LimitFlag.BEYOND
    assert limit_flag(-444.82, 444.82) is LimitFlag.BEYOND
    assert limit_flag(444.81, 444.82) is LimitFlag.NEAR
    assert limit_flag(-0.95 * 444.82, 444.82) is LimitFlag.NEAR
    assert limit_flag(0.94 * 444.82, 444.82) is LimitFlag.OK
    assert limit_flag(math.nan, 444.82) is LimitFlag.OK


# ----------------------------------------------------------------------
# The store
# ----------------------------------------------------------------------
def test_table_follows_telemetry_and_hardpoints() -> None:
    session = make_session()
    table = session.store(ForcesTable)
    assert session.store(ForcesTable) is table
    seen: list[tuple[str, ...]] = []
    table.changed.connect(seen.append)
    assert table.text(0, "measured") == "—"
    event(session, "hardpointList", actuators=[6, 16, 26, 74, 76, 78])  # 1-based on the wire
    assert table.hardpoints == (5, 15, 25, 73, 75, 77)
    assert seen[-1] == ("actuator", "force_error")
    assert table.label(5) == "B6 (HP)" and table.label(0) == "B1"
    assert table.label(77) == "A6 (HP)"
    tel(
        session,
        "axialForce",
        **forces(
            72,
            lutGravity=[100.0] * 72,
            lutTemperature=[5.0] * 72,
            applied=[10.0] * 72,
            measured=[110.0] * 72,
            hardpointCorrection=[2.0] * 72,
        ),
    )
    assert set(seen[-1]) == {
        "lut_gravity",
        "lut_temperature",
        "applied",
        "measured",
        "hardpoint_correction",
        "force_error",
    }
    assert table.value(0, "force_error") == pytest.approx(7.0)
    assert table.value(5, "force_error") == 0.0
    assert table.text(0, "force_error") == "7.00"
    assert table.text(72, "measured") == "—"  # no tangent telemetry yet
    tel(session, "tangentForce", **forces(6, lutGravity=[1000.0] * 6, measured=[990.0] * 6))
    assert table.value(72, "force_error") == pytest.approx(10.0)
    assert table.value(73, "force_error") == 0.0
    # steps and encoder positions (µm shown in mm)
    tel(session, "axialActuatorSteps", steps=list(range(72)))
    tel(session, "axialEncoderPositions", position=[1234.5] * 72)
    tel(session, "tangentEncoderPositions", position=[-20.0] * 6)
    assert table.text(3, "steps") == "3"
    assert table.text(0, "position") == "1.234"  # 1.2345 mm to 3 decimals
    assert table.value(72, "position") == pytest.approx(-0.02)
    tel(session, "tangentEncoderPositions", position=[-0.0004] * 6)
    assert table.text(72, "position") == "0.000"  # never -0.000
    # a hardpoint change moves the zeros
    event(session, "hardpointList", actuators=[1, 11, 21, 73, 75, 77])
    assert table.value(5, "force_error") == pytest.approx(7.0)
    assert table.value(0, "force_error") == 0.0
    assert table.value(72, "force_error") == 0.0
    assert table.value(73, "force_error") == pytest.approx(10.0)


def test_short_hardpoint_correction_keeps_the_last_full_one() -> None:
    session = make_session()
    table = session.store(ForcesTable)
    tel(session, "axialForce", **forces(72, hardpointCorrection=[3.0] * 72, measured=[1.0] * 72))
    assert table.value(10, "hardpoint_correction") == 3.0
    # faulted controller: a short list; the incumbent keeps the previous correction
    tel(session, "axialForce", **forces(72, hardpointCorrection=[], measured=[2.0] * 72))
    assert table.value(10, "hardpoint_correction") == 3.0
    assert table.value(10, "force_error") == pytest.approx(3.0 - 2.0)


def test_limits_follow_the_mode_events_and_flag_measured_forces() -> None:
    session = make_session()
    table = session.store(ForcesTable)
    measured = [0.0] * 72
    measured[0] = 450.0  # beyond closed loop (444.82), within open loop (489.3)
    measured[1] = -430.0  # within 5 % of closed loop
    measured[2] = 480.0  # beyond closed loop, near open loop
    tel(session, "axialForce", **forces(72, measured=measured))
    tel(session, "tangentForce", **forces(6, measured=[5900.0, 0, 0, 0, 0, 0]))
    seen: list[tuple[str, ...]] = []
    table.changed.connect(seen.append)
    # open loop (no force balance): 489.3 / 6005.1
    assert table.limits == (489.3, 6005.1)
    assert table.flag(0) is LimitFlag.OK
    assert table.flag(2) is LimitFlag.NEAR
    assert table.flag(72) is LimitFlag.NEAR  # 5900 >= 0.95 * 6005.1
    event(session, "forceBalanceSystemStatus", status=True)
    assert seen == [("measured",)]
    assert table.limits == (444.82, 5800.0)
    assert table.flag(0) is LimitFlag.BEYOND
    assert table.flag(1) is LimitFlag.NEAR
    assert table.flag(2) is LimitFlag.BEYOND
    assert table.flag(72) is LimitFlag.BEYOND
    assert table.flags() == [0, 2, 72]
    assert table.text(0, "measured") == "⚠ 450.00"
    assert table.text(1, "measured") == "! -430.00"
    assert table.text(3, "measured") == "0.00"
    assert table.flag(0, "applied") is LimitFlag.OK  # only measured forces are checked
    assert "beyond the closed loop limit ±444.82 N" in table.tooltip(0, "measured")
    assert "within 5% of the closed loop limit" in table.tooltip(1, "measured")
    event(session, "forceBalanceSystemStatus", status=False)
    event(session, "openLoopMaxLimit", status=True)
    assert table.limits == (622.75, 6227.51)
    assert table.flags() == []
    assert "maximum limits enabled" in table.limits_text


def test_summaries_keep_axial_and_tangent_apart() -> None:
    session = make_session()
    table = session.store(ForcesTable)
    measured = [float(i) for i in range(72)]
    tel(session, "axialForce", **forces(72, measured=measured))
    tel(session, "tangentForce", **forces(6, measured=[100.0, -50.0, 0.0, 0.0, 0.0, 0.0]))
    tel(session, "axialActuatorSteps", steps=[7] * 72)
    rows = table.summary(range(78))
    assert [r.title for r in rows] == [
        "Axial min",
        "Axial max",
        "Axial total",
        "Tangent min",
        "Tangent max",
        "Tangent total",
    ]
    assert [r.count for r in rows] == [72] * 3 + [6] * 3
    axial_min, axial_max, axial_total, tan_min, tan_max, tan_total = rows
    assert axial_min.values["measured"] == 0.0 and axial_min.where["measured"] == "B1"
    assert axial_max.values["measured"] == 71.0 and axial_max.where["measured"] == "D18"
    assert axial_total.values["measured"] == sum(measured)
    assert tan_min.values["measured"] == -50.0 and tan_min.where["measured"] == "A2"
    assert tan_max.values["measured"] == 100.0 and tan_max.where["measured"] == "A1"
    assert tan_total.values["measured"] == 50.0
    # no total of steps or positions; unknown columns stay unknown
    assert math.isnan(axial_total.values["steps"]) and axial_max.values["steps"] == 7
    assert table.summary_text(axial_total, "steps") == "—"
    assert table.summary_text(tan_max, "steps") == "—"
    assert table.summary_text(axial_total, "measured") == f"{sum(measured):.2f}"
    assert "at D18" in table.summary_tooltip(axial_max, "measured")
    # over a ring only
    ring_c = table.filter_indices("Ring C")
    rows = table.summary(ring_c)
    assert [(r.title, r.count) for r in rows] == [
        ("Axial min", 24),
        ("Axial max", 24),
        ("Axial total", 24),
    ]
    assert rows[0].values["measured"] == 30.0 and rows[0].where["measured"] == "C1"
    assert table.summary([]) == []


def test_ring_filters() -> None:
    session = make_session()
    table = session.store(ForcesTable)
    assert len(table.filter_indices("All actuators")) == 78
    assert table.filter_indices("Axial (rings B, C, D)") == list(range(72))
    assert table.filter_indices("Ring B") == list(range(30))
    assert table.filter_indices("Ring D") == list(range(54, 72))
    assert table.filter_indices("Tangent (ring A)") == list(range(72, 78))
    assert table.filter_indices("Hardpoints") == []
    event(session, "hardpointList", actuators=[6, 16, 26, 74, 76, 78])
    assert table.filter_indices("Hardpoints") == [5, 15, 25, 73, 75, 77]
    assert table.filter_key(5) == "ring:B hp" and table.filter_key(0) == "ring:B"
    assert set(RING_FILTERS) >= {"Ring B", "Ring C", "Ring D", "Tangent (ring A)"}


def test_signals_behind_each_cell() -> None:
    table = make_session().store(ForcesTable)
    assert table.signals(12, "measured") == ["axialForce.measured[12]"]
    assert table.signals(74, "applied") == ["tangentForce.applied[2]"]
    assert table.signals(3, "steps") == ["axialActuatorSteps.steps[3]"]
    assert table.signals(77, "position") == ["tangentEncoderPositions.position[5]"]
    assert table.signals(0, "actuator") == ["axialForce.measured[0]"]
    assert table.signals(0, "force_error") == [
        "axialForce.lutGravity[0]",
        "axialForce.lutTemperature[0]",
        "axialForce.applied[0]",
        "axialForce.hardpointCorrection[0]",
        "axialForce.measured[0]",
    ]
    assert "tangentForce.lutTemperature[0]" not in table.signals(72, "force_error")
    # every signal is one the catalogue knows
    from m2gui.model.signals import parse_signal

    for index in (0, 71, 72, 77):
        for column in COLUMNS:
            for name in table.signals(index, column.key):
                parse_signal(name, CAT)
