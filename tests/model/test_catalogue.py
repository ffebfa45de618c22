"""The protocol catalogue: coverage of the protocol facts, and command validation."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from m2gui.model import Catalogue, CommandValidationError

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


def test_every_command_event_and_topic_is_catalogued(catalogue: Catalogue) -> None:
    assert len(catalogue.commands) == 25
    assert len(catalogue.telemetry) == 19
    for name in ("powerSystemState", "summaryFaultsStatus", "innerLoopControlMode", "config"):
        assert name in catalogue.events
    assert catalogue.default_command_port == 50010
    assert catalogue.default_telemetry_port == 50011
    assert catalogue.welcome[0] == "tcpIpConnected"
    assert set(catalogue.groups) == {
        "power",
        "motion and forces",
        "control mode",
        "configuration",
        "maintenance",
    }


def test_every_command_has_valid_defaults(catalogue: Catalogue) -> None:
    """The defaults give every parameter the command needs, and validate as they are."""
    for name, spec in catalogue.commands.items():
        params = catalogue.default_params(name)
        needed = {p.name for p in spec.params.values() if p.required(params)}
        assert set(params) == needed, name
        expected = {key: spec.params[key].normalise(value) for key, value in params.items()}
        assert catalogue.validate_command(name, params) == expected, name
        assert spec.timeout > 0
        assert spec.description


def test_dangerous_commands_are_flagged(catalogue: Catalogue) -> None:
    for name in ("power", "rebootController", "resetBreakers", "setEnabledFaultsMask"):
        assert catalogue.commands[name].dangerous
    assert not catalogue.commands["clearErrors"].dangerous


@pytest.mark.parametrize(
    ("name", "params", "param", "reason"),
    [
        ("noSuchCommand", {}, None, "unknown command"),
        ("power", {"powerType": 1}, "status", "missing"),
        ("power", {"powerType": 1, "status": True, "extra": 1}, "extra", "unexpected parameter"),
        ("power", {"powerType": 1, "status": 1}, "status", "expected true or false"),
        ("power", {"powerType": 3, "status": True}, "powerType", "not a valid PowerType"),
        ("power", {"powerType": "1", "status": True}, "powerType", "expected a number"),
        ("setClosedLoopControlMode", {"mode": 2.0}, "mode", "expected an integer"),
        ("applyForces", {"axial": [0.0] * 71, "tangent": [0.0] * 6}, "axial", "expected 72"),
        (
            "applyForces",
            {"axial": [0.0] * 3 + [500.0] + [0.0] * 68, "tangent": [0.0] * 6},
            "axial[3]",
            "above the maximum 444.82 N",
        ),
        ("applyForces", {"axial": 5.0, "tangent": [0.0] * 6}, "axial", "expected a list"),
        (
            "positionMirror",
            dict.fromkeys(("x", "y", "z", "xRot", "yRot"), 0.0) | {"zRot": math.nan},
            "zRot",
            "not a finite number",
        ),
        ("setEnabledFaultsMask", {"mask": 2**64}, "mask", "not an unsigned 64-bit"),
        ("setEnabledFaultsMask", {"mask": -1}, "mask", "not an unsigned 64-bit"),
        ("setConfigurationFile", {"file": ""}, "file", "must not be empty"),
        ("setConfigurationFile", {"file": " \t"}, "file", "must not be blank"),
        ("getInnerLoopControlMode", {"addresses": []}, "addresses", "at least 1"),
        ("getInnerLoopControlMode", {"addresses": [0, 84]}, "addresses[1]", "above the maximum"),
        ("moveActuators", {"actuatorCommand": 1}, "actuators", "missing"),
        ("runScript", {"scriptCommand": 1}, "scriptName", "missing"),
        ("runScript", {"scriptCommand": 1, "scriptName": ""}, "scriptName", "must not be empty"),
        ("runScript", {"scriptCommand": 1, "scriptName": "  "}, "scriptName", "must not be blank"),
        ("setTemperatureOffset", {"ring": [21.0] * 12, "intake": [0.0] * 2}, "exhaust", "missing"),
    ],
)
def test_validation_names_command_parameter_and_reason(
    catalogue: Catalogue, name: str, params: dict, param: str | None, reason: str
) -> None:
    with pytest.raises(CommandValidationError) as info:
        catalogue.validate_command(name, params)
    error = info.value
    assert error.command == name
    assert error.param == param
    assert reason in error.reason
    assert str(error).startswith(f"{name}.{param}:" if param else f"{name}:")


def test_validation_normalises_and_keeps_uint64(catalogue: Catalogue) -> None:
    out = catalogue.validate_command(
        "applyForces", {"axial": (1,) * 72, "tangent": [0, 0, 0, 0, 0, 2]}
    )
    assert out["axial"] == [1.0] * 72 and all(type(v) is float for v in out["axial"])
    mask = 18410715311050326015
    assert catalogue.validate_command("setEnabledFaultsMask", {"mask": mask}) == {"mask": mask}


def test_optional_params_only_when_needed(catalogue: Catalogue) -> None:
    assert catalogue.validate_command("moveActuators", {"actuatorCommand": 2}) == {
        "actuatorCommand": 2
    }
    start = catalogue.validate_command(
        "moveActuators",
        {"actuatorCommand": 1, "actuators": [0, 77], "displacement": 1.5, "unit": 1},
    )
    assert start["actuators"] == [0, 77]
    # The script name is only needed (and only checked) to load a script.
    assert catalogue.validate_command("runScript", {"scriptCommand": 3, "scriptName": ""}) == {
        "scriptCommand": 3
    }
    assert catalogue.validate_command("runScript", {"scriptCommand": 1, "scriptName": "demo"}) == {
        "scriptCommand": 1,
        "scriptName": "demo",
    }


def test_fault_codes_and_enum_names(catalogue: Catalogue) -> None:
    codes = [row["code"] for row in catalogue.fault_codes((1 << 34) | (1 << 57))]
    assert codes == [6052, 6053]
    assert catalogue.enum_name("ClosedLoopControlMode", 4) == "ClosedLoop"
    assert catalogue.enum_name("ClosedLoopControlMode", 99) == "99"


@pytest.mark.parametrize("source", ["cpp-controller", "reference-simulator"])
def test_recorded_traffic_matches_the_catalogue(catalogue: Catalogue, source: str) -> None:
    """Every message id and field of real recorded traffic is in the catalogue."""
    seen = 0
    for raw in (FIXTURES / f"traffic-{source}.jsonl").read_text().splitlines():
        record = json.loads(raw)
        if record["dir"] != "in":
            continue
        message = json.loads(record["line"])
        name = message.pop("id")
        if name in catalogue.replies:
            continue
        topic = catalogue.topic(name)
        assert topic is not None, name
        assert set(message) <= set(topic.fields), (name, set(message) - set(topic.fields))
        for key, value in message.items():
            spec = topic.fields[key]
            if isinstance(spec.length, int) and spec.length and value:
                assert len(value) == spec.length, (name, key)
        seen += 1
    assert seen > 100


def test_stopping_a_move_needs_no_confirmation(catalogue: Catalogue) -> None:
    move = catalogue.commands["moveActuators"]
    assert move.dangerous
    assert move.needs_confirmation({"actuatorCommand": 1, "actuators": [0], "displacement": 1.0})
    assert not move.needs_confirmation({"actuatorCommand": 2})  # Stop
    assert not move.needs_confirmation({"actuatorCommand": 3})  # Pause
    assert move.needs_confirmation({"actuatorCommand": 4})  # Resume moves again
    assert not catalogue.commands["clearErrors"].needs_confirmation({})


def test_numbers_carry_their_unit_at_the_catalogue_precision(catalogue: Catalogue) -> None:
    force = catalogue.telemetry["axialForce"].fields["measured"]
    assert (force.precision, force.format_number(12.3456)) == (1, "12.3 N")
    assert catalogue.telemetry["position"].fields["x"].format_number(1.23456) == "1.23 um"
    assert catalogue.telemetry["temperature"].fields["ring"].format_number(21.456) == "21.46 degC"
    # integers and enumerations keep no decimals
    steps = catalogue.telemetry["axialActuatorSteps"].fields
    assert all(f.precision is None for f in steps.values())
