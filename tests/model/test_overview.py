"""The overview model: every flag's colour rule, the latched alarm, the readings."""

from __future__ import annotations

import time
from typing import Any

import pytest

from m2gui.model.ops.local_mode import Local, LocalMode
from m2gui.model.ops.overview import MAX_LATCHED, Overview
from m2gui.model.ops.overview_lamps import LEVEL_COLORS, Level
from m2gui.model.ops.overview_rules import FLAG_KEYS, STALE_AFTER, classify_code, make_flag
from m2gui.model.session import Session
from m2gui.net import CommandRecord, ConnectionState, Outcome, Received

FAULT_6055 = 1 << 4  # excessive force (fault)
WARNING_6052 = 1 << 34  # monitoring ILC read (warning)
WARNING_6057 = 1 << 5  # limit switch in open loop (warning)
RESERVED = (1 << 0) | (1 << 1) | (1 << 2) | (1 << 35) | (1 << 54)


def event(session: Session, name: str, **fields: Any) -> None:
    session.events.on_event(Received(name, {"id": name, **fields}, time.time(), "command"))


def telemetry(session: Session, t: float) -> None:
    message = {"id": "powerStatus", "motorVoltage": 0.0, "motorCurrent": 0.0}
    message |= {"commVoltage": 0.0, "commCurrent": 0.0}
    received = Received("powerStatus", message, t, "telemetry")
    session.connection.latest_telemetry["powerStatus"] = received  # what the link reads
    session.telemetry.on_telemetry(received)


def clear_errors(session: Session, outcome: Outcome) -> None:
    record = CommandRecord("clearErrors", {}, 1, time.time(), time.monotonic())
    session.history.on_record(record)
    record.outcome = outcome
    session.history.on_record(record)


@pytest.fixture
def session() -> Session:
    s = Session()
    s.connection._set_state(ConnectionState.CONNECTED)
    return s


@pytest.fixture
def overview(session: Session) -> Overview:
    return session.store(Overview)


def test_one_instance_per_session_and_ten_flags(session: Session, overview: Overview) -> None:
    assert session.store(Overview) is overview
    assert [f.key for f in overview.flags] == list(FLAG_KEYS)
    assert len(FLAG_KEYS) == 10
    titles = [r.title for r in overview.readings]
    assert titles == ["Commander", "Local mode", "Control mode", "Inclination source"]


# (flag, event, field, on value, off value, level when on, word on, word off)
EVENT_FLAGS = [
    ("in_position", "m2AssemblyInPosition", "inPosition", True, False, Level.OK, "IN POSITION",
     "NOT IN POSITION"),
    ("max_limits", "openLoopMaxLimit", "status", True, False, Level.OK, "ENABLED", "DISABLED"),
    ("interlock", "interlock", "state", True, False, Level.ERROR, "ENGAGED", "RELEASED"),
    ("cell_temperature", "cellTemperatureHiWarning", "hiWarning", True, False, Level.ERROR,
     "HIGH", "NORMAL"),
    ("comm_power", "digitalOutput", "value", 0x1E, 0x1C, Level.OK, "ON", "OFF"),
    ("motor_power", "digitalOutput", "value", 0x1F, 0x1E, Level.OK, "ON", "OFF"),
    ("alarm", "summaryFaultsStatus", "status", FAULT_6055, 0, Level.ERROR, "ALARM", "NONE"),
    ("warning", "summaryFaultsStatus", "status", WARNING_6052, 0, Level.WARNING, "WARNING",
     "NONE"),
]  # fmt: skip


@pytest.mark.parametrize("case", EVENT_FLAGS, ids=[c[0] for c in EVENT_FLAGS])
def test_event_flag_colour_rules(session: Session, case: tuple[Any, ...]) -> None:
    key, name, field, on, off, level, word_on, word_off = case
    overview = session.store(Overview)
    event(session, name, **{field: on})
    flag = overview.flag(key)
    assert (flag.state, flag.level, flag.word) == (True, level, word_on)
    assert flag.color == LEVEL_COLORS[level]
    assert flag.lamp.text == f"{flag.lamp.symbol} {word_on}"
    event(session, name, **{field: off})
    if key in ("alarm", "warning"):
        assert overview.flag(key).word == "LATCHED"  # kept until a reset
        clear_errors(session, Outcome.SUCCESS)
    flag = overview.flag(key)
    assert (flag.state, flag.level, flag.word) == (False, Level.OFF, word_off)
    assert flag.color == LEVEL_COLORS[Level.OFF]


def test_on_colours_are_the_incumbents_and_distinct() -> None:
    # red for alarm, interlock and temperature; yellow for warning; green otherwise
    red = {"alarm", "interlock", "cell_temperature"}
    for key in FLAG_KEYS:
        expected = Level.ERROR if key in red else Level.WARNING if key == "warning" else Level.OK
        assert make_flag(key, True).level is expected, key
        assert make_flag(key, False).level is Level.OFF, key
        assert make_flag(key, None).level is Level.UNKNOWN, key
    assert len(set(LEVEL_COLORS.values())) == len(LEVEL_COLORS)


def test_connected_flag_follows_the_link_and_tcp_ip_connected(session: Session) -> None:
    overview = session.store(Overview)
    assert overview.flag("connected").level is Level.OK
    event(session, "tcpIpConnected", isConnected=False)
    assert (overview.flag("connected").state, overview.flag("connected").word) == (
        False,
        "NOT CONNECTED",
    )
    event(session, "tcpIpConnected", isConnected=True)
    assert overview.flag("connected").state is True
    session.connection._set_state(ConnectionState.RECONNECTING)
    flag = overview.flag("connected")
    assert (flag.state, flag.level) == (False, Level.OFF)
    assert "reconnecting" in flag.lamp.detail


def test_telemetry_active_stale_and_none(session: Session) -> None:
    overview = session.store(Overview)
    flag = overview.flag("telemetry")
    assert (flag.state, flag.level, flag.word) == (False, Level.OFF, "NONE")
    now = time.time()
    telemetry(session, now)
    flag = overview.flag("telemetry")
    assert (flag.state, flag.level, flag.word) == (True, Level.OK, "ACTIVE")
    overview.refresh(now + STALE_AFTER / 2)
    assert overview.flag("telemetry").word == "ACTIVE"
    overview.refresh(now + STALE_AFTER + 2)
    flag = overview.flag("telemetry")
    assert (flag.state, flag.level, flag.word) == (False, Level.WARNING, "STALE")
    telemetry(session, time.time())  # the next sample makes it active again, at once
    assert overview.flag("telemetry").word == "ACTIVE"
    session.connection._set_state(ConnectionState.DISCONNECTED)
    assert overview.flag("telemetry").word == "NONE"


def test_alarm_and_warning_decode_summary_faults_status(session: Session) -> None:
    overview = session.store(Overview)
    assert overview.flag("alarm").word == "NONE"
    event(session, "summaryFaultsStatus", status=RESERVED)  # dummies count for nothing
    assert overview.flag("alarm").state is False
    assert overview.flag("warning").state is False
    event(session, "summaryFaultsStatus", status=FAULT_6055 | WARNING_6057)
    assert overview.flag("alarm").word == "ALARM"
    assert overview.flag("warning").word == "WARNING"
    assert "6055" in overview.flag("alarm").lamp.detail
    assert "6057" in overview.flag("warning").lamp.detail
    # a uint64 beyond 2**63 is decoded exactly (bit 63 = 6087, a fault)
    event(session, "summaryFaultsStatus", status=0)
    clear_errors(session, Outcome.SUCCESS)
    event(session, "summaryFaultsStatus", status=1 << 63)
    assert "6087" in overview.flag("alarm").lamp.detail
    assert overview.flag("warning").state is False


def test_alarm_stays_latched_until_a_successful_reset(session: Session) -> None:
    overview = session.store(Overview)
    event(session, "summaryFaultsStatus", status=FAULT_6055 | WARNING_6052)
    event(session, "summaryFaultsStatus", status=0)
    alarm, warning = overview.flag("alarm"), overview.flag("warning")
    assert (alarm.state, alarm.level, alarm.word) == (True, Level.ERROR, "LATCHED")
    assert (warning.state, warning.level, warning.word) == (True, Level.WARNING, "LATCHED")
    assert "now clear: 6055" in alarm.lamp.detail
    clear_errors(session, Outcome.FAIL)
    assert overview.flag("alarm").word == "LATCHED"
    clear_errors(session, Outcome.SUCCESS)
    assert overview.flag("alarm").word == "NONE"
    assert overview.flag("warning").word == "NONE"


def test_reset_keeps_codes_that_are_still_active(session: Session) -> None:
    overview = session.store(Overview)
    event(session, "summaryFaultsStatus", status=FAULT_6055)
    clear_errors(session, Outcome.SUCCESS)
    assert overview.flag("alarm").word == "ALARM"
    event(session, "summaryFaultsStatus", status=0)
    assert overview.flag("alarm").word == "LATCHED"


def test_legacy_error_code_event(session: Session) -> None:
    overview = session.store(Overview)
    event(session, "errorCode", errorCode=6057)
    assert overview.flag("warning").word == "WARNING"
    assert overview.flag("alarm").state is False
    event(session, "errorCode", errorCode=1001)  # a dummy
    assert overview.flag("alarm").state is False
    event(session, "errorCode", errorCode=6999)  # unknown code >= 6000: a fault, to be safe
    assert overview.flag("alarm").word == "ALARM"
    clear_errors(session, Outcome.SUCCESS)
    assert overview.flag("alarm").state is False
    assert overview.flag("warning").state is False


def test_latched_codes_are_bounded(session: Session) -> None:
    overview = session.store(Overview)
    for code in range(7000, 7000 + 3 * MAX_LATCHED):
        event(session, "errorCode", errorCode=code)
    assert len(overview.latched) == MAX_LATCHED
    assert len(overview.legacy) == MAX_LATCHED
    event(session, "errorCode", errorCode=2**200)  # never mind
    assert len(overview.latched) == MAX_LATCHED


def test_classify_code() -> None:
    cat = Session().catalogue
    assert classify_code(cat, 6055) == "fault"
    assert classify_code(cat, 6052) == "warning"
    assert classify_code(cat, 1030) is None
    assert classify_code(cat, 5999) is None
    assert classify_code(cat, 6500) == "fault"


def test_flags_are_unknown_without_a_link(session: Session) -> None:
    overview = session.store(Overview)
    event(session, "interlock", state=True)
    event(session, "commandableByDDS", state=True)
    session.connection._set_state(ConnectionState.DISCONNECTED)
    for key in FLAG_KEYS:
        flag = overview.flag(key)
        if key in ("connected", "telemetry"):
            assert flag.level is Level.OFF, key
        else:
            assert (flag.state, flag.level, flag.word) == (None, Level.UNKNOWN, "UNKNOWN"), key
    assert "last reported: on" in overview.flag("interlock").lamp.detail
    assert overview.reading("commander").text == "unknown"
    assert "last reported: CSC" in overview.reading("commander").detail


def test_garbage_values_are_unknown_not_errors(session: Session) -> None:
    overview = session.store(Overview)
    event(session, "interlock", state="yes")
    event(session, "digitalOutput", value=-3)
    event(session, "summaryFaultsStatus", status=2**64)
    event(session, "closedLoopControlMode", mode=True)
    assert overview.flag("interlock").level is Level.UNKNOWN
    assert overview.flag("motor_power").level is Level.UNKNOWN
    assert overview.flag("alarm").state is False
    assert overview.reading("control_mode").text == "unknown"


def test_readings(session: Session) -> None:
    overview = session.store(Overview)
    assert overview.reading("commander").text == "unknown"
    event(session, "commandableByDDS", state=True)
    assert overview.reading("commander").text == "CSC"
    event(session, "commandableByDDS", state=False)
    assert overview.reading("commander").text == "GUI"
    for mode, name in ((1, "Idle"), (2, "TelemetryOnly"), (3, "OpenLoop"), (4, "ClosedLoop")):
        event(session, "closedLoopControlMode", mode=mode)
        assert overview.reading("control_mode").text == name
    event(session, "inclinationTelemetrySource", source=2)
    assert overview.reading("inclination_source").text == "MTMOUNT"
    event(session, "inclinationTelemetrySource", source=1)
    assert overview.reading("inclination_source").text == "ONBOARD"


def test_local_mode_comes_from_the_local_mode_store(session: Session) -> None:
    overview = session.store(Overview)
    local = session.store(LocalMode)
    assert overview.local_mode is local
    assert overview.reading("local_mode").text == "Standby"
    assert "local mode" in overview.reading("local_mode").detail
    seen: list[frozenset[str]] = []
    overview.changed.connect(seen.append)
    local.mode = Local.DIAGNOSTIC  # as a successful transition leaves it
    local.changed.emit("mode")
    assert overview.reading("local_mode").text == "Diagnostic"
    assert seen == [frozenset({"local_mode"})]


def test_changed_names_what_changed_after_the_update(session: Session) -> None:
    overview = session.store(Overview)
    seen: list[tuple[frozenset[str], str]] = []
    overview.changed.connect(lambda keys: seen.append((keys, overview.flag("interlock").word)))
    event(session, "interlock", state=True)
    assert seen == [(frozenset({"interlock"}), "ENGAGED")]
    event(session, "interlock", state=True)  # no change, no signal
    assert len(seen) == 1
    event(session, "commandableByDDS", state=False)
    assert seen[-1][0] == frozenset({"commander"})
