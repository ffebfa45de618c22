"""The tangent load-cell check: the vendor's equations and the catalogue's thresholds."""

from __future__ import annotations

import math

import pytest

from m2gui.model import load_catalogue
from m2gui.model.ops.diagnostics_load_cell import (
    FAULT_CODE,
    GRAVITY,
    LoadCellThresholds,
    TangentErrors,
    check_load_cells,
    tangent_errors,
)
from m2gui.model.ops.overview_lamps import Level

CAT = load_catalogue()
KG = float(CAT.constants["MIRROR_WEIGHT_KG"])
LIMITS = LoadCellThresholds.from_catalogue(CAT)
COS30 = math.cos(math.radians(30))


def nominal(elevation: float) -> list[float]:
    """Forces that balance the weight as the vendor expects: A2/A3 pushed, A5/A6 pulled."""
    w = KG * GRAVITY * math.sin(math.radians(90 - elevation))
    link = w / 4 / COS30
    return [0.0, -link, -link, 0.0, link, link]


def test_thresholds_come_from_the_catalogue() -> None:
    assert (
        LoadCellThresholds(
            load_bearing=2000.0, non_load_bearing=2000.0, total_weight=5000.0, tangent_sum=1000.0
        )
        == LIMITS
    )
    assert FAULT_CODE == 6088
    assert any(r["code"] == 6088 for r in CAT.fault_bits)


@pytest.mark.parametrize("elevation", [90.0, 60.0, 15.0])
def test_balanced_links_pass_at_any_elevation(elevation: float) -> None:
    errors = tangent_errors(nominal(elevation), elevation, KG)
    for value in (*errors.force, errors.weight, errors.sum):
        assert value == pytest.approx(0.0, abs=1e-6)
    rows = check_load_cells(LIMITS, errors)
    assert [r.key for r in rows] == ["A1", "A2", "A3", "A4", "A5", "A6", "weight", "sum"]
    assert [r.lamp.word for r in rows] == ["PASS"] * 8


def test_the_vendor_equations() -> None:
    f = [10.0, -1500.0, -1700.0, -20.0, 1600.0, 1400.0]
    elevation = 50.0
    w = KG * GRAVITY * math.sin(math.radians(40.0))
    errors = tangent_errors(f, elevation, KG)
    assert errors.force[0] == 10.0
    assert errors.force[3] == -20.0
    assert errors.force[1] == pytest.approx(-1500 * COS30 + w / 4)
    assert errors.force[2] == pytest.approx(-1700 * COS30 + w / 4)
    assert errors.force[4] == pytest.approx(1600 * COS30 - w / 4)
    assert errors.force[5] == pytest.approx(1400 * COS30 - w / 4)
    assert errors.weight == pytest.approx((1500 + 1700 + 1600 + 1400) * COS30 - w)
    assert errors.sum == pytest.approx(sum(f))


@pytest.mark.parametrize(
    ("index", "delta", "word"),
    [
        (0, 1999.9, "PASS"),
        (0, 2000.0, "FAIL"),
        (3, -2000.0, "FAIL"),
        (1, 1999.0 / COS30, "PASS"),
        (1, 2000.0 / COS30 + 1e-6, "FAIL"),
        (5, -2000.0 / COS30 - 1e-6, "FAIL"),
    ],
)
def test_link_thresholds_fail_at_or_above(index: int, delta: float, word: str) -> None:
    f = nominal(60.0)
    f[index] += delta
    rows = check_load_cells(LIMITS, tangent_errors(f, 60.0, KG))
    assert rows[index].lamp.word == word
    assert rows[index].threshold == 2000.0


def test_sum_and_weight_thresholds() -> None:
    f = nominal(60.0)
    f[0] = 1000.0  # A1 alone: the sum reaches its threshold
    rows = {r.key: r for r in check_load_cells(LIMITS, tangent_errors(f, 60.0, KG))}
    assert rows["sum"].value == pytest.approx(1000.0)
    assert rows["sum"].lamp.word == "FAIL"
    assert rows["A1"].lamp.word == "PASS"
    # pulling the links off the weight: weight error -W
    zero = [0.0] * 6
    rows = {r.key: r for r in check_load_cells(LIMITS, tangent_errors(zero, 0.0, KG))}
    assert rows["weight"].value == pytest.approx(-KG * GRAVITY)
    assert rows["weight"].lamp.word == "FAIL"
    assert rows["weight"].lamp.level is Level.ERROR
    assert "5000 N" in rows["weight"].lamp.detail and "6088" in rows["weight"].lamp.detail
    rows = {r.key: r for r in check_load_cells(LIMITS, tangent_errors(zero, 90.0, KG))}
    assert rows["weight"].lamp.word == "PASS"


def test_without_the_zenith_angle_only_the_weightless_checks_are_made() -> None:
    errors = tangent_errors([100.0, 1.0, 2.0, -50.0, 3.0, 4.0], None, KG)
    rows = {r.key: r for r in check_load_cells(LIMITS, errors)}
    assert rows["A1"].value == 100.0 and rows["A4"].value == -50.0
    assert rows["sum"].value == pytest.approx(60.0)
    for key in ("A2", "A3", "A5", "A6", "weight"):
        assert rows[key].failed is None
        assert rows[key].lamp.word == "no data"
        assert rows[key].lamp.level is Level.UNKNOWN


def test_bad_forces_give_no_verdict() -> None:
    errors = tangent_errors([math.nan, 0, 0, 0, 0, 0], 60.0, KG)
    rows = check_load_cells(LIMITS, errors)
    assert rows[0].failed is None and rows[-1].failed is None
    short = tangent_errors([1.0, 2.0], 60.0, KG)
    assert all(r.failed is None for r in check_load_cells(LIMITS, short))


def test_rows_carry_what_the_controller_reports_and_their_signals() -> None:
    reported = TangentErrors((1.0, 2.0, 3.0, 4.0, 5.0, 6.0), 7.0, 8.0)
    rows = check_load_cells(LIMITS, tangent_errors(nominal(60), 60, KG), reported)
    assert [r.reported for r in rows] == [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0]
    assert rows[2].signals == ("tangentForce.measured[2]", "forceErrorTangent.force[2]")
    assert rows[6].signals == ("forceErrorTangent.weight",)
    assert rows[7].signals == ("forceErrorTangent.sum",)
    assert math.isnan(check_load_cells(LIMITS, tangent_errors([0.0] * 6, 60, KG))[0].reported)


def test_matches_the_reference_simulator_vector() -> None:
    """ts_m2com's own test vector: raw inclinometer 89.853°, processed 180 - (89.853 + 0.94)."""
    elevation = 180.0 - (89.853 + float(CAT.constants["INCLINOMETER_OFFSET_DEG"]))
    f = [-325.307, -447.377, 1128.37, -1249.98, 458.63, 267.627]
    errors = tangent_errors(f, elevation, KG)
    expected = [-325.307, -333.5718285, 1031.0651034, -1249.98, 343.3172124, 177.9037622]
    assert list(errors.force) == pytest.approx(expected, abs=1e-4)
    assert errors.weight == pytest.approx(-176.2723002, abs=1e-4)
    assert errors.sum == pytest.approx(-168.037, abs=1e-6)
