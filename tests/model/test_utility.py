"""Utility status: breaker names and polarity, power lamps, temperatures, elevation."""

from __future__ import annotations

import math
import time
from typing import Any

import pytest

from m2gui.model import load_catalogue
from m2gui.model.cell.utility import (
    BREAKER_OK_BIT,
    UtilityStatus,
    breaker_lamp,
    breakers,
    power_lamp,
    reset_breakers_params,
)
from m2gui.model.ops.overview_lamps import Level
from m2gui.model.session import Session
from m2gui.net import Received

CAT = load_catalogue()
C = CAT.constants
MOTOR_NAMES = [f"J{j}-W{w}-{k}" for j, w in ((1, 9), (2, 10), (3, 11)) for k in (1, 2, 3)]
COMM_NAMES = ["J1-W12-1", "J1-W12-2", "J2-W13-1", "J2-W13-2", "J3-W14-1", "J3-W14-2"]


def make_session() -> Session:
    return Session("127.0.0.1", 1, 2, reconnect=False, history=5)


def tel(session: Session, name: str, **fields: Any) -> None:
    session.telemetry.on_telemetry(Received(name, {"id": name, **fields}, time.time(), "telemetry"))


def event(session: Session, name: str, **fields: Any) -> None:
    session.events.on_event(Received(name, {"id": name, **fields}, time.time(), "command"))


def test_breakers_are_named_as_on_the_cell() -> None:
    found = breakers(CAT)
    assert [b.name for b in found] == MOTOR_NAMES + COMM_NAMES
    assert [b.feed for b in found] == ["Motor"] * 9 + ["Communication"] * 6
    assert [b.bit for b in found] == [*range(6, 15), 15, 24, 25, 26, 27, 28]
    assert found[0].value == 64


def test_breaker_polarity_and_words() -> None:
    motor = breakers(CAT)[0]  # J1-W9-1, bit 6
    comm = breakers(CAT)[-1]  # J3-W14-2, bit 28
    assert BREAKER_OK_BIT == 0
    powered = C["DIGITAL_INPUT_VALUES"]["comm_motor"]  # reference controller, both feeds on
    off = C["DIGITAL_INPUT_VALUES"]["no_power"]
    # a cleared bit is a closed breaker (green in the incumbent, OK after its XOR)
    lamp = breaker_lamp(powered, motor, True, 5)
    assert (lamp.level, lamp.word) == (Level.OK, "OK")
    assert "bit 6 = 0" in lamp.detail
    # a set bit with the feed powered is a trip
    lamp = breaker_lamp(powered | motor.value, motor, True, 5)
    assert (lamp.level, lamp.word) == (Level.ERROR, "TRIPPED")
    assert "bit 6 = 1" in lamp.detail
    # while the feed resets its breakers the bits are set briefly
    lamp = breaker_lamp(powered | comm.value, comm, True, 4)
    assert (lamp.level, lamp.word) == (Level.WARNING, "RESETTING")
    # feed off: open, not a fault
    lamp = breaker_lamp(off, motor, False, 2)
    assert (lamp.level, lamp.word) == (Level.OFF, "OPEN")
    assert "feed is off" in lamp.detail
    lamp = breaker_lamp(None, motor, True, 5)
    assert (lamp.level, lamp.word) == (Level.UNKNOWN, "unknown")
    # every lamp carries a word and a symbol beside its colour
    for state in (None, off, powered, powered | motor.value):
        lamp = breaker_lamp(state, motor, True, 5)
        assert lamp.word and lamp.symbol and lamp.color.startswith("#")


def test_power_lamps() -> None:
    assert power_lamp(CAT, "Motor", None, None).level is Level.UNKNOWN
    assert power_lamp(CAT, "Motor", True, 5).word == "ON"
    assert power_lamp(CAT, "Motor", False, 2).word == "OFF"
    assert power_lamp(CAT, "Motor", False, 1).word == "OFF"  # Init
    assert power_lamp(CAT, "Motor", True, 3).word == "POWERING ON"
    assert power_lamp(CAT, "Motor", False, 6).word == "POWERING OFF"
    lamp = power_lamp(CAT, "Communication", True, 4)
    assert (lamp.level, lamp.word) == (Level.WARNING, "RESETTING BREAKERS")
    assert "ResettingBreakers" in lamp.detail


def test_reset_breakers_is_the_incumbents_command() -> None:
    # the incumbent: resetBreakers {powerType: <PowerType>}
    assert reset_breakers_params(CAT, "Motor") == {"powerType": 1}
    assert reset_breakers_params(CAT, "Communication") == {"powerType": 2}
    for feed in ("Motor", "Communication"):
        CAT.validate_command("resetBreakers", reset_breakers_params(CAT, feed))


def test_store_follows_events_and_telemetry() -> None:
    session = make_session()
    status = session.store(UtilityStatus)
    seen: list[tuple[str, ...]] = []
    status.changed.connect(seen.append)
    motor = status.feed_breakers("Motor")
    assert len(motor) == 9 and len(status.feed_breakers("Communication")) == 6
    assert status.breaker_lamp(motor[0]).level is Level.UNKNOWN
    event(session, "powerSystemState", powerType=1, status=True, state=5)
    assert seen[-1] == ("power", "breakers")
    assert status.power_lamp("Motor").word == "ON"
    assert status.state_text("Motor") == "PoweredOn"
    assert status.state_text("Communication") == "unknown"
    assert status.power_lamp("Communication").level is Level.UNKNOWN
    event(session, "digitalInput", value=0x3F | motor[2].value)
    assert seen[-1] == ("breakers",)
    assert status.breaker_lamp(motor[2]).word == "TRIPPED"
    assert status.breaker_lamp(motor[1]).word == "OK"
    # power
    tel(
        session,
        "powerStatus",
        motorVoltage=23.02,
        motorCurrent=8.49,
        commVoltage=0.0,
        commCurrent=0.0,
    )
    assert seen[-1] == ("power",)
    voltage, current = status.power["Motor"]
    assert status.text(voltage) == "23.02 V" and status.text(current) == "8.49 A"
    assert voltage.signal == "powerStatus.motorVoltage"
    assert status.power["Communication"][1].signal == "powerStatus.commCurrent"


def test_temperatures_by_ring_group() -> None:
    session = make_session()
    status = session.store(UtilityStatus)
    groups = dict(status.temperatures)
    assert list(groups) == ["Intake", "Exhaust", "LG2", "LG3", "LG4"]
    assert [r.label for r in groups["LG2"]] == ["LG2-1", "LG2-2", "LG2-3", "LG2-4"]
    assert [r.signal for r in groups["LG3"]] == [f"temperature.ring[{i}]" for i in range(4, 8)]
    assert [r.signal for r in groups["LG4"]] == [f"temperature.ring[{i}]" for i in range(8, 12)]
    assert [r.label for r in groups["Exhaust"]] == ["Exhaust-1", "Exhaust-2"]
    assert groups["Intake"][1].signal == "temperature.intake[1]"
    assert math.isnan(status.cell_delta)
    assert status.cell_delta_lamp().level is Level.UNKNOWN
    tel(
        session,
        "temperature",
        ring=[20.0 + i for i in range(12)],
        intake=[20.0, 21.0],
        exhaust=[22.0, 22.0],
    )
    assert status.text(groups["LG3"][0]) == "24.0 °C"
    assert status.text(groups["LG3"][0], unit=False) == "24.0"
    assert status.cell_delta == pytest.approx(1.5)
    assert status.cell_delta_lamp().level is Level.OK
    tel(session, "temperature", ring=[20.0] * 12, intake=[20.0, 20.0], exhaust=[22.5, 22.5])
    assert status.cell_delta_lamp().level is Level.WARNING  # 2.5 > 2 °C default
    event(session, "config", cellTemperatureDelta=3.0)
    assert status.cell_delta_lamp().level is Level.OK
    event(session, "cellTemperatureHiWarning", hiWarning=True)
    assert status.cell_delta_lamp().level is Level.WARNING


def test_elevation_drops_raw_outliers_and_displacement_sensors() -> None:
    session = make_session()
    status = session.store(UtilityStatus)
    raw, processed, zenith, tma = status.elevation
    assert [r.signal for r in status.elevation] == [
        "zenithAngle.inclinometerRaw",
        "zenithAngle.inclinometerProcessed",
        "zenithAngle.measured",
        "inclinometerAngleTma.inclinometer",
    ]
    tel(session, "zenithAngle", measured=30.0, inclinometerRaw=59.06, inclinometerProcessed=120.0)
    assert status.text(raw) == "59.060 °"
    tel(session, "zenithAngle", measured=1.0, inclinometerRaw=1.5e6, inclinometerProcessed=2.0)
    assert status.text(raw) == "59.060 °" and status.text(zenith) == "30.000 °"
    assert status.outliers == 1
    assert "dropped (1 so far)" in status.tooltip(raw)
    tel(session, "inclinometerAngleTma", inclinometer=61.5)
    assert status.text(tma) == "61.500 °"
    assert status.text(processed) == "120.000 °"
    assert status.inclination_source == "unknown"
    event(session, "inclinationTelemetrySource", source=2)
    assert status.inclination_source == "MTMOUNT"
    theta, delta = status.displacement[0]
    assert (theta.label, delta.label) == ("A1 θz", "A1 Δz")
    assert (theta.signal, delta.signal) == (
        "displacementSensors.thetaZ[0]",
        "displacementSensors.deltaZ[0]",
    )
    tel(session, "displacementSensors", thetaZ=[1.0 * i for i in range(6)], deltaZ=[-2.5] * 6)
    assert status.text(status.displacement[5][0]) == "5.000 µm"
    assert status.text(delta) == "-2.500 µm"
