"""Force error as the incumbent computes it, zeroed at the hardpoints."""

from __future__ import annotations

import math

import numpy as np
import pytest

from m2gui.model.cell.force_error import force_error


def test_sum_of_terms_minus_measured() -> None:
    got = force_error([100.0, 50.0], [1.0, 2.0], [10.0, -5.0], [0.5, 0.25], [110.0, 40.0])
    assert got.tolist() == [1.5, 7.25]


def test_zero_at_hardpoints_given_as_actuator_indices() -> None:
    n = 72
    gravity = np.full(n, 200.0)
    measured = np.full(n, 190.0)
    zeros = np.zeros(n)
    got = force_error(gravity, zeros, zeros, zeros, measured, [5, 15, 25, 73, 75, 77])
    assert got[[5, 15, 25]].tolist() == [0.0, 0.0, 0.0]
    assert np.all(np.delete(got, [5, 15, 25]) == 10.0)
    # tangent arrays start at actuator 72: A2, A4, A6 are elements 1, 3, 5
    t = force_error(np.full(6, 1000.0), None, np.zeros(6), np.zeros(6), np.full(6, 990.0),
                    [5, 15, 25, 73, 75, 77], first=72)  # fmt: skip
    assert t.tolist() == [10.0, 0.0, 10.0, 0.0, 10.0, 0.0]


def test_missing_temperature_and_correction_count_as_zero() -> None:
    nan = math.nan
    # the controller sends tangentForce.lutTemperature as an empty list (stored as NaN)
    got = force_error([10.0, 10.0], [nan, nan], [0.0, 1.0], [nan, 2.0], [5.0, 5.0])
    assert got.tolist() == [5.0, 8.0]
    assert force_error([10.0], [], [0.0], [0.0], [4.0]).tolist() == [6.0]


def test_unknown_measured_stays_unknown_even_at_a_hardpoint() -> None:
    got = force_error([1.0, 1.0, 1.0], [0, 0, 0], [0, 0, 0], [0, 0, 0], [math.nan, 0.5, math.nan],
                      hardpoints=[0, 1])  # fmt: skip
    assert math.isnan(got[0]) and got[1] == 0.0 and math.isnan(got[2])


def test_history_and_out() -> None:
    history = np.arange(12, dtype=float).reshape(4, 3)
    zeros = np.zeros((4, 3))
    out = np.empty((4, 3))
    got = force_error(history, zeros, zeros, zeros, zeros, [1], out=out)
    assert got is out
    assert np.all(out[:, 1] == 0.0)
    assert out[:, [0, 2]] == pytest.approx(history[:, [0, 2]])
    # out-of-range hardpoints are ignored
    assert force_error([1.0], None, [0.0], [0.0], [0.0], [7, -1]).tolist() == [1.0]
