"""Colour scale modes of the mirror map: fixed, automatic with hysteresis, symmetric."""

from __future__ import annotations

import math

import numpy as np
import pytest

from m2gui.model.cell.map_scale import ColourScale, ScaleMode, nice_step, ticks


def a(*values: float) -> np.ndarray:
    return np.array(values, dtype=float)


def test_nice_steps_and_ticks() -> None:
    assert nice_step(10.0) == 2.0
    assert nice_step(7.0) == 2.0
    assert nice_step(100.0) == 20.0
    assert nice_step(0.03) == pytest.approx(0.01)
    assert nice_step(0.0) == 1.0 and nice_step(math.nan) == 1.0
    assert ticks(0.0, 10.0) == [0.0, 2.0, 4.0, 6.0, 8.0, 10.0]
    assert ticks(-5.0, 5.0) == [-4.0, -2.0, 0.0, 2.0, 4.0]
    assert ticks(3.0, 3.0) == [3.0]
    assert ticks(math.nan, 1.0) == []


def test_fixed_never_moves() -> None:
    scale = ColourScale(ScaleMode.FIXED, fixed=(-10.0, 10.0))
    assert scale.range == (-10.0, 10.0) and scale.valid
    assert not scale.update(a(-500.0, 500.0))
    assert scale.range == (-10.0, 10.0)
    scale.set_fixed(0.0, 5.0)
    assert scale.range == (0.0, 5.0)
    with pytest.raises(ValueError, match="low < high"):
        scale.set_fixed(5.0, 5.0)
    with pytest.raises(ValueError):
        scale.set_fixed(0.0, math.inf)


def test_automatic_starts_from_the_data_with_a_nice_margin() -> None:
    scale = ColourScale(ScaleMode.AUTO, hysteresis=0.1)
    assert not scale.valid
    assert not scale.update(a(math.nan))  # nothing to follow yet
    assert scale.update(a(100.0, 180.0, math.nan, 150.0))
    low, high = scale.range
    assert low <= 100.0 - 8.0 and high >= 180.0 + 8.0  # 10 % of the span each side
    assert high - low <= 2 * (80.0 * 1.2)  # and not much more
    assert low == pytest.approx(round(low / 20) * 20)  # on nice steps


def test_automatic_hysteresis_keeps_the_range_while_values_wander_inside() -> None:
    scale = ColourScale(ScaleMode.AUTO, hysteresis=0.1)
    scale.update(a(100.0, 200.0))
    first = scale.range
    rng = np.random.default_rng(1)
    for _ in range(200):  # noise of a few newtons: no rescale at all
        assert not scale.update(a(100.0, 200.0) + rng.normal(0, 2.0, 2))
    assert scale.range == first


def test_automatic_grows_at_once_and_shrinks_only_when_clearly_smaller() -> None:
    scale = ColourScale(ScaleMode.AUTO, hysteresis=0.1)
    scale.update(a(0.0, 100.0))
    low, high = scale.range
    assert scale.update(a(0.0, high + 1.0))  # a value leaves the range: grows now
    assert scale.range[1] >= high + 1.0
    grown = scale.range
    # somewhat smaller data: kept
    assert not scale.update(a(10.0, grown[1] * 0.85))
    assert scale.range == grown
    # much smaller: shrinks to the data
    assert scale.update(a(40.0, 50.0))
    low, high = scale.range
    assert low <= 40.0 and high >= 50.0 and high - low <= 20.0


def test_automatic_minimum_span_for_flat_data() -> None:
    scale = ColourScale(ScaleMode.AUTO, minimum_span=1.0)
    scale.update(a(5.0, 5.0, 5.0))
    low, high = scale.range
    assert low < 5.0 < high and high - low >= 1.0


def test_symmetric_is_about_zero_with_hysteresis() -> None:
    scale = ColourScale(ScaleMode.SYMMETRIC, hysteresis=0.1)
    assert scale.update(a(-3.0, 12.0, math.nan))
    low, high = scale.range
    assert low == -high and high >= 12.0 * 1.1
    assert not scale.update(a(-12.5, 3.0))  # within: kept
    assert scale.update(a(-(high + 1.0), 0.0))  # beyond on the negative side: grows
    assert scale.range[0] <= -(high + 1.0) and scale.range[0] == -scale.range[1]
    big = scale.range[1]
    assert scale.update(a(0.5, -0.2))  # much smaller: shrinks
    assert scale.range[1] < big / 2
    assert scale.range[0] == -scale.range[1] and scale.range[1] >= 0.5


def test_changing_mode_restarts_and_fixed_keeps_its_range() -> None:
    scale = ColourScale(ScaleMode.AUTO, fixed=(1.0, 2.0))
    scale.update(a(0.0, 100.0))
    scale.set_mode(ScaleMode.SYMMETRIC)
    assert not scale.valid
    scale.update(a(-3.0, 4.0))
    assert scale.range[0] == -scale.range[1]
    scale.set_mode(ScaleMode.FIXED)
    assert scale.range == (1.0, 2.0)
    assert scale.normalised(1.5) == pytest.approx(0.5)
    scale.set_mode("auto")
    assert scale.mode is ScaleMode.AUTO and math.isnan(scale.normalised(1.0))
    assert [m.caption for m in ScaleMode] == ["Fixed", "Automatic", "Symmetric about 0"]
