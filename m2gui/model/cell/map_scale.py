"""`ColourScale`: the range a colour bar spans, fixed, automatic or symmetric about zero.

Automatic ranges follow the data with hysteresis, so that the colour bar does
not move with every sample (the incumbent rescaled its gauge when the
minimum or maximum moved by more than 50 N):

- the range grows at once when a value leaves it, to the data's range
  widened by ``hysteresis`` times the data's span on each side and rounded
  out to a "nice" step (1, 2 or 5 times a power of ten);
- it shrinks only when that target range is clearly smaller: less than
  ``1 - 2 * hysteresis`` of the current span.

A value that wanders within the widened range therefore changes nothing.
Symmetric ranges do the same with ``max(|value|)`` and stay ``[-m, m]``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import StrEnum

import numpy as np
import numpy.typing as npt

__all__ = ["ColourScale", "ScaleMode", "nice_step", "ticks"]


class ScaleMode(StrEnum):
    """How a colour scale chooses its range."""

    FIXED = "fixed"
    AUTO = "auto"
    SYMMETRIC = "symmetric"

    @property
    def caption(self) -> str:
        """What a menu says."""
        return {
            ScaleMode.FIXED: "Fixed",
            ScaleMode.AUTO: "Automatic",
            ScaleMode.SYMMETRIC: "Symmetric about 0",
        }[self]


def nice_step(span: float, target_steps: int = 5) -> float:
    """A step of 1, 2 or 5 times a power of ten dividing ``span`` into about ``target_steps``."""
    if not math.isfinite(span) or span <= 0:
        return 1.0
    raw = span / target_steps
    power = 10.0 ** math.floor(math.log10(raw))
    for factor in (1.0, 2.0, 5.0, 10.0):
        if raw <= factor * power * 1.0000001:
            return factor * power
    return 10.0 * power


def _nice_range(low: float, high: float) -> tuple[float, float]:
    step = nice_step(high - low)
    return math.floor(low / step) * step, math.ceil(high / step) * step


def ticks(low: float, high: float, target_steps: int = 5) -> list[float]:
    """Round values between ``low`` and ``high`` (inclusive) for a colour bar's labels."""
    if not (math.isfinite(low) and math.isfinite(high)) or high <= low:
        return [low] if math.isfinite(low) else []
    step = nice_step(high - low, target_steps)
    first = math.ceil(low / step - 1e-9)
    last = math.floor(high / step + 1e-9)
    return [round(k * step, 12) + 0.0 for k in range(first, last + 1)]


@dataclass
class ColourScale:
    """The range of one colour bar.

    Parameters
    ----------
    mode : `ScaleMode`
        Fixed, automatic or symmetric about zero.
    fixed : tuple of float
        The range in fixed mode.
    hysteresis : float
        Fraction of the data's span added on each side of an automatic
        range; also how much smaller a new range must be to shrink to it.
    minimum_span : float
        Smallest span of an automatic range (in the quantity's unit): the
        colours of nearly equal values do not spread over the whole map.
    """

    mode: ScaleMode = ScaleMode.AUTO
    fixed: tuple[float, float] = (0.0, 1.0)
    hysteresis: float = 0.1
    minimum_span: float = 1.0
    low: float = math.nan
    high: float = math.nan

    def __post_init__(self) -> None:
        self.mode = ScaleMode(self.mode)
        if self.mode is ScaleMode.FIXED:
            self.low, self.high = self.fixed

    @property
    def valid(self) -> bool:
        """True once the scale has a range."""
        return math.isfinite(self.low) and math.isfinite(self.high) and self.high > self.low

    @property
    def range(self) -> tuple[float, float]:
        """``(low, high)``; NaN before any value arrived in an automatic mode."""
        return self.low, self.high

    def set_mode(self, mode: ScaleMode) -> None:
        """Change the mode; an automatic range starts again from the next values."""
        self.mode = ScaleMode(mode)
        self.low = self.high = math.nan
        if self.mode is ScaleMode.FIXED:
            self.low, self.high = self.fixed

    def set_fixed(self, low: float, high: float) -> None:
        """Set the fixed range (used in fixed mode).

        Raises
        ------
        ValueError
            Unless ``low < high``, both finite.
        """
        if not (math.isfinite(low) and math.isfinite(high) and low < high):
            raise ValueError(f"a colour range needs low < high, not {low!r}..{high!r}")
        self.fixed = (float(low), float(high))
        if self.mode is ScaleMode.FIXED:
            self.low, self.high = self.fixed

    def reset(self) -> None:
        """Forget an automatic range (it restarts from the next values)."""
        self.set_mode(self.mode)

    def update(self, values: npt.NDArray[np.float64]) -> bool:
        """Follow ``values`` (NaN ignored); True if the range changed."""
        if self.mode is ScaleMode.FIXED:
            changed = (self.low, self.high) != self.fixed
            self.low, self.high = self.fixed
            return changed
        finite = values[np.isfinite(values)]
        if finite.size == 0:
            return False
        if self.mode is ScaleMode.SYMMETRIC:
            return self._follow_symmetric(float(np.abs(finite).max()))
        return self._follow(float(finite.min()), float(finite.max()))

    def _follow(self, lo: float, hi: float) -> bool:
        pad = self.hysteresis * max(hi - lo, self.minimum_span)
        if hi - lo < self.minimum_span:
            middle = (lo + hi) / 2
            lo, hi = middle - self.minimum_span / 2, middle + self.minimum_span / 2
        target = _nice_range(lo - pad, hi + pad)
        if self.valid:
            inside = self.low <= lo and hi <= self.high
            much_smaller = target[1] - target[0] < (1 - 2 * self.hysteresis) * (
                self.high - self.low
            )
            if inside and not much_smaller:
                return False
        if target == (self.low, self.high):
            return False
        self.low, self.high = target
        return True

    def _follow_symmetric(self, peak: float) -> bool:
        peak = max(peak, self.minimum_span / 2)
        step = nice_step(2 * peak * (1 + self.hysteresis))
        target = math.ceil(peak * (1 + self.hysteresis) / step) * step
        if self.valid:
            inside = peak <= self.high
            much_smaller = target < (1 - 2 * self.hysteresis) * self.high
            if inside and not much_smaller:
                return False
        if (-target, target) == (self.low, self.high):
            return False
        self.low, self.high = -target, target
        return True

    def normalised(self, value: float) -> float:
        """Where ``value`` lies on the scale, 0 at ``low`` and 1 at ``high``."""
        if not self.valid:
            return math.nan
        return (value - self.low) / (self.high - self.low)
