"""Formatting of event values: never raises, bounded, marks what it cannot show."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from m2gui.model import load_catalogue
from m2gui.model.catalogue import FieldSpec
from m2gui.model.format import (
    MARK,
    MAX_TEXT,
    Truncated,
    describe_value,
    format_params,
    format_value,
    join_bounded,
    preview,
    value_problem,
)

CAT = load_catalogue()
#: Every field of every topic in the catalogue, and "no spec" (unknown events).
FIELDS: list[FieldSpec | None] = [
    spec
    for topics in (CAT.events, CAT.telemetry, CAT.inputs)
    for topic in topics.values()
    for spec in topic.fields.values()
]
FIELDS.append(None)

HUGE = 10**5000  # str() of it raises ValueError (more than 4300 digits)
json_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.sampled_from([4400, -4400, 20]).map(lambda n: 10 ** abs(n) * (1 if n > 0 else -1)),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=50),
)
json_values = st.recursive(
    json_scalars,
    lambda inner: (
        st.lists(inner, max_size=6) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=30,
)


def nested(depth: int) -> Any:
    value: Any = 0
    for _ in range(depth):
        value = [value]
    return value


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(spec=st.sampled_from(FIELDS), value=json_values)
def test_format_never_raises_and_marks_wrong_types(spec: FieldSpec | None, value: Any) -> None:
    shown = describe_value(CAT, spec, value)
    assert isinstance(shown.text, str)
    assert len(shown.text) <= MAX_TEXT + 2
    problem = value_problem(spec, value) if spec is not None else None
    if problem is not None:
        assert shown.text.startswith(MARK), (spec, value, shown)
        assert shown.problem
    assert format_value(CAT, spec, value) == shown.text


def test_actuator_indices_as_strings_show_the_raw_value_marked() -> None:
    spec = CAT.events["hardpointList"].fields["actuators"]
    shown = describe_value(CAT, spec, ["a", "b", "c", "d", "e", "f"])
    assert shown.text.startswith(MARK)
    assert '"a"' in shown.text  # the raw value, not an empty cell
    assert shown.problem is not None and "int" in shown.problem
    good = describe_value(CAT, spec, [5, 15, 25, 73, 75, 77])
    assert good.problem is None
    assert good.text == "[5, 15, 25, 73, 75, 77] = B6 B16 B26 A2 A4 A6"


def test_values_that_break_str_or_repr_are_shown_marked() -> None:
    mask = CAT.events["summaryFaultsStatus"].fields["status"]
    assert format_value(CAT, mask, HUGE).startswith(MARK)
    assert format_value(CAT, None, HUGE).startswith(MARK)  # str() would raise
    deep = nested(50_000)  # repr() would raise RecursionError: shown cut instead
    assert format_value(CAT, None, deep).endswith("…")
    assert format_value(CAT, None, {"k": deep}).endswith("…")
    actuators = CAT.events["hardpointList"].fields["actuators"]
    assert format_value(CAT, actuators, deep).startswith(MARK)
    assert format_value(CAT, None, Truncated("[1, 2", 300_000)).startswith(MARK)


def test_long_values_are_cut_with_a_mark() -> None:
    text = format_value(CAT, None, "x" * 1_000_000)
    assert len(text) <= MAX_TEXT + 2
    assert text.endswith("…")


def test_preview_is_bounded_json_like_text() -> None:
    assert preview({"a": [1, 2.5, True, None, "s"]}, 100) == (
        '{"a": [1, 2.5, true, null, "s"]}',
        False,
    )
    text, truncated = preview(list(range(100_000)), 50)
    assert truncated and len(text) <= 51 and text.endswith("…")
    text, truncated = preview(nested(100_000), 200)
    assert truncated and len(text) <= 201
    text, truncated = preview(HUGE, 100)
    assert "bits" in text and not truncated
    text, truncated = preview("\ud800 lone surrogate", 100)  # encodable after this
    text.encode("utf-8")


def test_join_bounded_counts_what_it_leaves_out() -> None:
    parts = [f"late reply {i}" for i in range(20_000)]
    text = join_bounded(parts, 200)
    assert len(text) <= 260
    assert "…" in text and "20000" in text
    assert join_bounded(["a", "", "b"], 200) == "a; b"


def test_numbers_carry_their_unit_at_the_catalogue_precision() -> None:
    config = CAT.events["config"].fields
    assert format_value(CAT, config["inPositionAxial"], 12.3456) == "12.3 N"
    assert format_value(CAT, config["inPositionAxial"], 5) == "5.0 N"  # a whole number sent
    assert format_value(CAT, config["cellTemperatureDelta"], 0.5) == "0.50 degC"
    assert format_value(CAT, config["inclinometerDelta"], 1.5) == "1.5000 deg"
    assert format_value(CAT, CAT.telemetry["position"].fields["x"], 1.23456) == "1.23 um"
    ring = CAT.events["temperatureOffset"].fields["ring"]
    assert format_value(CAT, ring, [21.456] * 12) == (
        "[" + ", ".join(["21.46"] * 8) + ", ... (12 values)] degC"
    )
    # no precision in the catalogue: as before
    assert format_value(CAT, config["powerWarningMotor"], 0.123456789) == "0.123457"
    assert format_value(CAT, config["timeoutIlc"], 3) == "3"
    # a number too large for a float is shown raw and marked, never raises
    assert format_value(CAT, config["inPositionAxial"], 10**400).startswith(MARK)


def test_command_parameters_are_shown_with_units_names_and_ranges() -> None:
    text = format_params(
        CAT, "positionMirror", {"x": 12.345, "y": 0.0, "z": -1, "xRot": 0.5, "yRot": 0.0}
    )
    assert text == "x=12.35 um, y=0.00 um, z=-1.00 um, xRot=0.50 arcsec, yRot=0.00 arcsec"
    assert format_params(CAT, "power", {"powerType": 2, "status": True}) == (
        "powerType=2 (Communication), status=true"
    )
    addresses = format_params(CAT, "getInnerLoopControlMode", {"addresses": list(range(84))})
    assert addresses == "addresses=0-83"
    mask = format_params(CAT, "setEnabledFaultsMask", {"mask": 18410715311050326015})
    assert mask == "mask=0xFF800007FFFFFFFF"
    forces = format_params(CAT, "applyForces", {"axial": [1.25] * 72, "tangent": [0.0] * 6})
    assert forces.startswith("axial=[1.2, 1.2,") and "(72 values)] N" in forces
    # unknown commands and parameters are shown plainly; the text stays bounded
    assert format_params(CAT, "noSuchCommand", {"a": 1}) == "a=1"
    huge = format_params(CAT, "noSuchCommand", {f"p{i}": "x" * 1000 for i in range(1000)})
    assert len(huge) <= 400 and "1000 in all" in huge
