"""The Diagnostics store fed as the stores are, its rules, and the control-mode command."""

from __future__ import annotations

import math
from types import SimpleNamespace
from typing import Any

import pytest

from m2gui.model.ops import diagnostics_rules
from m2gui.model.ops.diagnostics import Diagnostics
from m2gui.model.ops.diagnostics_control_mode import (
    control_mode_choices,
    control_mode_params,
    mode_text,
)
from m2gui.model.ops.diagnostics_power import format_reading
from m2gui.model.ops.diagnostics_rules import output_toggle_rule, reboot_rule
from m2gui.model.ops.local_mode import Local, LocalMode
from m2gui.model.procedures.runner import ProcedureRunner
from m2gui.model.session import Session
from m2gui.net import Received

T0 = 1.7e9


def make_session() -> Session:
    return Session("127.0.0.1", 1, 2, reconnect=False, history=5)


def event(session: Session, name: str, **fields: Any) -> None:
    session.events.on_event(Received(name, {"id": name, **fields}, T0, "command"))


def telemetry(session: Session, name: str, **fields: Any) -> None:
    session.telemetry.on_telemetry(Received(name, {"id": name, **fields}, T0, "telemetry"))


POWER = {"motorVoltage": 23.1, "motorCurrent": 8.4, "commVoltage": 22.9, "commCurrent": 6.6}
RAW = {"motorVoltage": 2310.0, "motorCurrent": 840.0, "commVoltage": 2290.0, "commCurrent": 660.0}


def test_power_calibrated_and_raw() -> None:
    session = make_session()
    store = session.store(Diagnostics)
    assert [row.label for row in store.power] == [
        "Motor voltage",
        "Motor current",
        "Communication voltage",
        "Communication current",
    ]
    assert all(math.isnan(r.calibrated) and math.isnan(r.raw) for r in store.power)
    seen: list[str] = []
    store.changed.connect(seen.append)
    telemetry(session, "powerStatus", **POWER)
    telemetry(session, "powerStatusRaw", **RAW)
    assert seen == ["power", "power"]
    rows = {r.field: r for r in store.power}
    assert rows["motorVoltage"].calibrated == 23.1 and rows["motorVoltage"].raw == 2310.0
    assert rows["commCurrent"].unit == "A" and rows["commVoltage"].unit == "V"
    assert rows["commCurrent"].signals == ("powerStatus.commCurrent", "powerStatusRaw.commCurrent")
    assert format_reading(rows["commCurrent"].calibrated, "A") == "6.60 A"
    assert format_reading(math.nan, "A") == "—"


def test_load_cells_follow_tangent_force_and_the_zenith_angle() -> None:
    session = make_session()
    store = session.store(Diagnostics)
    seen: list[str] = []
    store.changed.connect(seen.append)
    assert store.load_cell_failed is None
    telemetry(
        session, "zenithAngle", measured=0.0, inclinometerRaw=89.06, inclinometerProcessed=90.0
    )
    assert seen == []  # the angle alone changes nothing shown
    zero = [0.0] * 6
    telemetry(
        session,
        "tangentForce",
        lutGravity=zero,
        lutTemperature=[],
        applied=zero,
        measured=[0.0, 0.0, 0.0, 2500.0, 0.0, 0.0],
        hardpointCorrection=zero,
    )
    assert seen == ["load_cell"]
    rows = {r.key: r for r in store.load_cells}
    assert rows["A4"].lamp.word == "FAIL"
    assert rows["A1"].lamp.word == "PASS"
    assert rows["sum"].lamp.word == "FAIL"  # 2500 N >= 1000 N
    assert rows["weight"].lamp.word == "PASS"  # zenith pointing: no weight on the links
    assert store.load_cell_failed is True
    telemetry(session, "forceErrorTangent", force=[1, 2, 3, 4, 5, 6], weight=7.0, sum=8.0)
    assert seen[-1] == "load_cell"
    assert [r.reported for r in store.load_cells] == [1, 2, 3, 4, 5, 6, 7, 8]


def test_a_store_made_late_reads_what_already_arrived() -> None:
    session = make_session()
    telemetry(session, "powerStatus", **POWER)
    event(session, "digitalOutput", value=0x1E)
    event(session, "closedLoopControlMode", mode=2)
    store = session.store(Diagnostics)
    assert store.power[0].calibrated == 23.1
    assert store.outputs == [False, True, True, True, True, False, False, False]
    assert store.mode == 2


def test_digital_io_mode_and_fault_6088_from_events() -> None:
    session = make_session()
    store = session.store(Diagnostics)
    seen: list[str] = []
    store.changed.connect(seen.append)
    assert store.outputs is None and store.inputs is None and store.mode is None
    event(session, "digitalOutput", value=0x1F)
    event(session, "digitalInput", value=0x3F)
    event(session, "closedLoopControlMode", mode=3)
    event(session, "summaryFaultsStatus", status=1 << 32)
    assert seen == ["outputs", "inputs", "mode", "fault"]
    assert store.output_on(0) is True and store.output_on(5) is False
    assert store.inputs is not None and store.inputs[:6] == [True] * 6 and not store.inputs[31]
    assert store.mode == 3 and store.fault_active is True
    event(session, "digitalOutput", value=0x1F)  # unchanged: nothing announced
    assert seen == ["outputs", "inputs", "mode", "fault"]
    event(session, "summaryFaultsStatus", status=(1 << 34) | (1 << 3))
    assert store.fault_active is False
    event(session, "digitalOutput", value="garbage")
    assert store.outputs is None and seen[-1] == "outputs"
    event(session, "closedLoopControlMode", mode=True)
    assert store.mode is None


def test_control_mode_choices_and_command() -> None:
    session = make_session()
    cat = session.catalogue
    assert [(c.value, c.name) for c in control_mode_choices(cat)] == [
        (1, "Idle"),
        (2, "TelemetryOnly"),
        (3, "OpenLoop"),
        (4, "ClosedLoop"),
    ]
    assert control_mode_params(cat, 2) == {"mode": 2}
    assert cat.validate_command("setClosedLoopControlMode", control_mode_params(cat, 4))
    with pytest.raises(ValueError):
        control_mode_params(cat, 9)
    assert mode_text(cat, 3) == "OpenLoop (3)"
    assert mode_text(cat, None) == "unknown"


def set_local_mode(session: Session, mode: str) -> None:
    session.store(LocalMode).mode = Local(mode)


@pytest.mark.parametrize(
    ("mode", "toggle", "reboot"),
    [
        ("Standby", "allowed only in local mode Diagnostic (it is Standby)", None),
        ("Diagnostic", None, "allowed only in local mode Standby (it is Diagnostic)"),
        ("Enable", "allowed only in local mode Diagnostic (it is Enable)", "it is Enable"),
    ],
)
def test_toggle_only_in_diagnostic_and_reboot_only_in_standby(
    mode: str, toggle: str | None, reboot: str | None
) -> None:
    session = make_session()
    assert diagnostics_rules.local_mode(session) == "Standby"  # the GUI starts in Standby
    set_local_mode(session, mode)
    assert diagnostics_rules.local_mode(session) == mode
    assert output_toggle_rule(session) == toggle
    reason = reboot_rule(session)
    if reboot is None:
        assert reason is None
    else:
        assert reason is not None and reboot in reason


def test_nothing_while_a_procedure_runs() -> None:
    session = make_session()
    set_local_mode(session, "Diagnostic")
    runner = session.store(ProcedureRunner)
    runner.current = SimpleNamespace(name="Standby → Diagnostic")  # type: ignore[assignment]
    for rule in (output_toggle_rule, reboot_rule):
        reason = rule(session)
        assert reason is not None and reason.startswith("Standby → Diagnostic is running")


def test_the_session_adds_connection_and_command_source_first() -> None:
    session = make_session()
    set_local_mode(session, "Diagnostic")
    reason = session.blocked_reason("switchDigitalOutput", output_toggle_rule)
    assert reason == "not connected to the controller"


def test_breaker_lamps_follow_the_input_bits_and_their_feed() -> None:
    session = make_session()
    store = session.store(Diagnostics)
    seen: list[str] = []
    store.changed.connect(seen.append)
    assert store.input_lamp(15).word == "?"
    event(session, "digitalInput", value=0x80007FFF)  # communication powered
    event(session, "powerSystemState", powerType=2, status=True, state=5)
    event(session, "powerSystemState", powerType=1, status=False, state=2)
    assert seen == ["inputs", "inputs", "inputs"]
    assert store.feeds == {"Communication": (True, 5), "Motor": (False, 2)}
    assert store.input_lamp(15).word == "OK"  # J1-W12-1 comm breaker closed
    assert store.input_lamp(6).word == "OPEN"  # J1-W9-1: motor feed off
    assert store.input_lamp(31).word == "OFF"  # relay: interlock engaged
    event(session, "digitalInput", value=0x80007FFF | 1 << 24)  # J1-W12-2 opens
    assert store.input_lamp(24).word == "TRIPPED"
    event(session, "powerSystemState", powerType=2, status=True, state=4)
    assert store.input_lamp(24).word == "RESETTING"
