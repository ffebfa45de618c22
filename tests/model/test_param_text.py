"""Command parameter values typed as text (m2gui.model.param_text)."""

from __future__ import annotations

import pytest

from m2gui.model import Catalogue, CommandValidationError
from m2gui.model.param_text import (
    MAX_VALUES,
    ParamTextError,
    param_hint,
    param_value_text,
    parse_assignments,
    parse_param_text,
    values_from_csv,
)


def param(catalogue: Catalogue, command: str, name: str):  # type: ignore[no-untyped-def]
    return catalogue.commands[command].params[name]


@pytest.mark.parametrize(
    ("text", "value"),
    [("true", True), ("False", False), ("yes", True), ("off", False), ("1", True), ("0", False)],
)
def test_bool_words(catalogue: Catalogue, text: str, value: bool) -> None:
    assert parse_param_text(param(catalogue, "power", "status"), text) is value


def test_bool_refuses_other_words(catalogue: Catalogue) -> None:
    with pytest.raises(ParamTextError, match="'maybe' is not true or false"):
        parse_param_text(param(catalogue, "power", "status"), "maybe")


@pytest.mark.parametrize(("text", "value"), [("Motor", 1), ("motor", 1), ("2", 2), ("7", 7)])
def test_enumeration_names_or_numbers(catalogue: Catalogue, text: str, value: int) -> None:
    # A number outside the enumeration parses; validation refuses it with the names.
    assert parse_param_text(param(catalogue, "power", "powerType"), text) == value


def test_enumeration_refuses_unknown_names_with_the_names(catalogue: Catalogue) -> None:
    with pytest.raises(ParamTextError, match="not a whole number or a PowerType name"):
        parse_param_text(param(catalogue, "power", "powerType"), "Laser")


def test_bit_field_names(catalogue: Catalogue) -> None:
    bit = param(catalogue, "switchDigitalOutput", "bit")
    assert parse_param_text(bit, "InterlockEnable") == 4
    assert parse_param_text(bit, "0x10") == 16


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("0xFF66_FFFF_FFFF_FFFF", 0xFF66FFFFFFFFFFFF),
        ("0xffffffffffffffff", 2**64 - 1),
        ("18410715311050326015", 18410715311050326015),
        ("0b101", 5),
    ],
)
def test_uint64_masks_in_hex_or_decimal(catalogue: Catalogue, text: str, value: int) -> None:
    assert parse_param_text(param(catalogue, "setEnabledFaultsMask", "mask"), text) == value


def test_int_with_leading_zero_is_decimal(catalogue: Catalogue) -> None:
    assert parse_param_text(param(catalogue, "setClosedLoopControlMode", "mode"), "010") == 10


def test_int_refuses_fractions(catalogue: Catalogue) -> None:
    with pytest.raises(ParamTextError, match=r"'1\.5' is not a whole number"):
        parse_param_text(param(catalogue, "setClosedLoopControlMode", "mode"), "1.5")


def test_float_and_string(catalogue: Catalogue) -> None:
    assert parse_param_text(param(catalogue, "positionMirror", "x"), " -12.5 ") == -12.5
    assert parse_param_text(param(catalogue, "positionMirror", "x"), "1e3") == 1000.0
    with pytest.raises(ParamTextError, match="'12 um' is not a number"):
        parse_param_text(param(catalogue, "positionMirror", "x"), "12 um")
    name = param(catalogue, "runScript", "scriptName")
    assert parse_param_text(name, "a script.py") == "a script.py"


def test_empty_values(catalogue: Catalogue) -> None:
    assert parse_param_text(param(catalogue, "runScript", "scriptName"), "") == ""
    assert parse_param_text(param(catalogue, "moveActuators", "displacement"), "") is None
    with pytest.raises(ParamTextError, match="empty"):
        parse_param_text(param(catalogue, "positionMirror", "x"), " ")


def test_arrays_from_separated_values(catalogue: Catalogue) -> None:
    axial = param(catalogue, "applyForces", "tangent")
    assert parse_param_text(axial, "1, 2;3 4,5,-6.5") == [1.0, 2.0, 3.0, 4.0, 5.0, -6.5]


def test_integer_arrays_take_ranges(catalogue: Catalogue) -> None:
    addresses = param(catalogue, "setInnerLoopControlMode", "addresses")
    assert parse_param_text(addresses, "0-3,7,80-83") == [0, 1, 2, 3, 7, 80, 81, 82, 83]
    with pytest.raises(ParamTextError, match="the range goes down"):
        parse_param_text(addresses, "5-3")


def test_an_element_error_names_its_index(catalogue: Catalogue) -> None:
    with pytest.raises(ParamTextError) as caught:
        parse_param_text(param(catalogue, "applyForces", "tangent"), "0,0,x,0")
    assert caught.value.index == 2
    assert "'x' is not a number" in str(caught.value)


def test_arrays_from_a_csv_column_with_header(catalogue: Catalogue) -> None:
    files = {"t.csv": "force\n1.5\n2\n\n3,ignored\n"}
    tangent = param(catalogue, "applyForces", "tangent")
    assert parse_param_text(tangent, "@t.csv", load=files.__getitem__) == [1.5, 2.0, 3.0]


def test_arrays_from_a_csv_row(catalogue: Catalogue) -> None:
    assert values_from_csv("1, 2,3,4\n") == ["1", "2", "3", "4"]
    assert values_from_csv("index,value\n0,0x10\n") == ["0", "0x10"]


def test_a_file_that_cannot_be_read_is_a_clear_error(catalogue: Catalogue) -> None:
    def missing(path: str) -> str:
        raise FileNotFoundError(2, "No such file or directory", path)

    tangent = param(catalogue, "applyForces", "tangent")
    with pytest.raises(ParamTextError, match=r"cannot read nope\.csv: No such file"):
        parse_param_text(tangent, "@nope.csv", load=missing)
    with pytest.raises(ParamTextError, match="not available"):
        parse_param_text(tangent, "@t.csv")


def test_huge_ranges_are_bounded(catalogue: Catalogue) -> None:
    addresses = param(catalogue, "setInnerLoopControlMode", "addresses")
    with pytest.raises(ParamTextError, match=f"more than {MAX_VALUES}"):
        parse_param_text(addresses, "0-100000000000")


def test_assignments_validate_with_the_catalogue(catalogue: Catalogue) -> None:
    spec = catalogue.commands["power"]
    params = parse_assignments(spec, ["powerType=Motor", "status=on"])
    assert catalogue.validate_command("power", params) == {"powerType": 1, "status": True}


def test_assignments_over_defaults(catalogue: Catalogue) -> None:
    spec = catalogue.commands["setControlParameters"]
    base = catalogue.default_params("setControlParameters")
    params = parse_assignments(spec, ["maxAngleDifference=3.5"], base=base)
    assert params == {**base, "maxAngleDifference": 3.5}


@pytest.mark.parametrize(
    ("items", "where", "reason"),
    [
        (["status"], "power", "'status' is not name=value (parameters: powerType, status)"),
        (["colour=red"], "power.colour", "unexpected parameter (parameters: powerType, status)"),
        (["status=true", "status=false"], "power.status", "given twice"),
        (["powerType=Laser"], "power.powerType", "PowerType: Motor 1, Communication 2"),
    ],
)
def test_assignment_errors_name_the_parameter(
    catalogue: Catalogue, items: list[str], where: str, reason: str
) -> None:
    with pytest.raises(CommandValidationError) as caught:
        parse_assignments(catalogue.commands["power"], items)
    assert str(caught.value).startswith(f"{where}: ")
    assert reason in str(caught.value)


def test_element_errors_name_the_element(catalogue: Catalogue) -> None:
    with pytest.raises(CommandValidationError) as caught:
        parse_assignments(catalogue.commands["applyForces"], ["tangent=0,0,0,zero,0,0"])
    assert caught.value.param == "tangent[3]"
    assert "'zero' is not a number" in caught.value.reason
    assert "6 values" in caught.value.reason


def test_an_empty_optional_parameter_is_left_out(catalogue: Catalogue) -> None:
    spec = catalogue.commands["runScript"]
    params = parse_assignments(spec, ["scriptCommand=Stop", "scriptName="])
    # a string may be empty; the catalogue leaves out an optional empty one
    assert catalogue.validate_command("runScript", params) == {"scriptCommand": 4}


def test_every_default_round_trips_through_text(catalogue: Catalogue) -> None:
    for name, spec in catalogue.commands.items():
        defaults = catalogue.default_params(name)
        items = [f"{k}={param_value_text(spec.params[k], v)}" for k, v in defaults.items()]
        parsed = parse_assignments(spec, items)
        assert catalogue.validate_command(name, parsed) == catalogue.validate_command(
            name, defaults
        ), name


def test_value_text_shows_names_and_hex(catalogue: Catalogue) -> None:
    assert param_value_text(param(catalogue, "power", "powerType"), 1) == "Motor"
    assert param_value_text(param(catalogue, "power", "powerType"), 9) == "9"
    assert param_value_text(param(catalogue, "setEnabledFaultsMask", "mask"), 255) == "0xFF"
    assert param_value_text(param(catalogue, "applyForces", "tangent"), [0.0, 1.5]) == "0.0,1.5"


def test_hints(catalogue: Catalogue) -> None:
    assert param_hint(param(catalogue, "power", "status")) == "true or false"
    assert "-444.82…444.82 N" in param_hint(param(catalogue, "applyForces", "axial"))
    assert "72 values" in param_hint(param(catalogue, "applyForces", "axial"))
    assert "ranges a-b" in param_hint(param(catalogue, "setInnerLoopControlMode", "addresses"))
    assert "0x0…0xFFFFFFFFFFFFFFFF" in param_hint(param(catalogue, "setEnabledFaultsMask", "mask"))
