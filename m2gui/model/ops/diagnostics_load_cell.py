"""Tangent load-cell monitoring: the glass-safety check behind fault 6088.

The cell controller checks the six tangent links' measured forces (vendor
``TangentLoadCellFaultDetection.vi``; the reference simulator's
``MockModel._calculate_force_error_tangent`` is its translation) and raises fault
6088 when one of these reaches its threshold (catalogue constants):

- total weight error, ``(-f2 - f3 + f5 + f6) cos 30° - W``, ``|.| >= 5000 N``;
- tangent sum, ``f1 + ... + f6`` (net z moment), ``|.| >= 1000 N``;
- load-bearing links A2/A3 ``f cos 30° + W/4`` and A5/A6 ``f cos 30° - W/4``, ``|.| >= 2000 N``;
- non-load-bearing links A1/A4, ``f``, ``|.| >= 2000 N``;

with ``W = m g sin(zenith angle)`` the mirror weight in the plane of the links,
``m`` = ``MIRROR_WEIGHT_KG``, ``g = 9.8 m/s²`` and the zenith angle
``90° - zenithAngle.inclinometerProcessed``. The vendor counts A2 and A3 in
compression (negative) and A5 and A6 in tension (positive).

m2gui computes the check from ``tangentForce.measured`` itself and also shows
what the controller reports in ``forceErrorTangent``, so that a difference
between the two is seen.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from ..catalogue import Catalogue
from .overview_lamps import Lamp, Level

__all__ = [
    "FAULT_CODE",
    "GRAVITY",
    "LOAD_BEARING",
    "NON_LOAD_BEARING",
    "LoadCellRow",
    "LoadCellThresholds",
    "TangentErrors",
    "check_load_cells",
    "tangent_errors",
]

#: Gravitational acceleration used by the controller's check, m/s².
GRAVITY = 9.8
#: Tangent links (0-based within the six) that carry the mirror's weight, and
#: the sign of ``W/4`` added to ``f cos 30°`` for each (A2, A3 in compression).
LOAD_BEARING: dict[int, float] = {1: 1.0, 2: 1.0, 4: -1.0, 5: -1.0}
#: Tangent links that carry no load: A1, A4.
NON_LOAD_BEARING = (0, 3)
#: Projection of a link's force on the gravity direction (hexagon: 30°).
PROJECTION = math.cos(math.radians(30.0))
#: Fault raised by the controller when the check fails.
FAULT_CODE = 6088


@dataclass(frozen=True)
class LoadCellThresholds:
    """The check's thresholds in newtons (from the catalogue constants)."""

    load_bearing: float
    non_load_bearing: float
    total_weight: float
    tangent_sum: float

    @classmethod
    def from_catalogue(cls, catalogue: Catalogue) -> LoadCellThresholds:
        """Read ``TANGENT_LINK_*`` constants."""
        c = catalogue.constants
        return cls(
            load_bearing=float(c["TANGENT_LINK_LOAD_BEARING_LINK_N"]),
            non_load_bearing=float(c["TANGENT_LINK_NON_LOAD_BEARING_LINK_N"]),
            total_weight=float(c["TANGENT_LINK_TOTAL_WEIGHT_ERROR_N"]),
            tangent_sum=float(c["TANGENT_LINK_THETA_Z_MOMENT_N"]),
        )


@dataclass(frozen=True)
class TangentErrors:
    """The quantities the check compares with its thresholds, in newtons.

    ``force[i]`` is the error of link A(i+1); values needing the zenith angle are
    NaN when it is not known, and everything is NaN when a force is not finite.
    """

    force: tuple[float, ...]
    weight: float
    sum: float


def tangent_errors(
    measured: Sequence[float], elevation_deg: float | None, mirror_kg: float
) -> TangentErrors:
    """Compute the load-cell errors from the six measured tangent forces.

    Parameters
    ----------
    measured : sequence of 6 `float`
        ``tangentForce.measured``, A1..A6, in newtons.
    elevation_deg : `float` or None
        ``zenithAngle.inclinometerProcessed`` (90 = zenith), or None if unknown.
    mirror_kg : `float`
        Mirror mass.

    Returns
    -------
    errors : `TangentErrors`
    """
    f = [float(v) for v in measured]
    if len(f) != 6:
        nan = (math.nan,) * 6
        return TangentErrors(nan, math.nan, math.nan)
    if elevation_deg is None or not math.isfinite(elevation_deg):
        weight = math.nan
    else:
        weight = mirror_kg * GRAVITY * math.sin(math.radians(90.0 - elevation_deg))
    force = [math.nan] * 6
    for i in NON_LOAD_BEARING:
        force[i] = f[i]
    for i, sign in LOAD_BEARING.items():
        force[i] = f[i] * PROJECTION + sign * weight / 4.0
    total = (-f[1] - f[2] + f[4] + f[5]) * PROJECTION - weight
    return TangentErrors(tuple(force), total, math.fsum(f))


@dataclass(frozen=True)
class LoadCellRow:
    """One line of the load-cell table.

    Attributes
    ----------
    key : `str`
        ``A1`` ... ``A6``, ``weight`` or ``sum``.
    label : `str`
        What is checked.
    value : `float`
        The error m2gui computed (NaN if unknown).
    threshold : `float`
        Fails when ``|value| >= threshold``.
    reported : `float`
        What the controller reports in ``forceErrorTangent`` (NaN if nothing yet).
    signals : `tuple` of `str`
        Telemetry signals behind the row, for "Plot".
    """

    key: str
    label: str
    value: float
    threshold: float
    reported: float
    signals: tuple[str, ...]

    @property
    def failed(self) -> bool | None:
        """True when ``|value| >= threshold``; None when the value is unknown."""
        if not math.isfinite(self.value):
            return None
        return abs(self.value) >= self.threshold

    @property
    def lamp(self) -> Lamp:
        """PASS (green), FAIL (red) or no data, with the threshold in the detail."""
        rule = f"fails when |error| >= {self.threshold:g} N (fault {FAULT_CODE})"
        failed = self.failed
        if failed is None:
            return Lamp(Level.UNKNOWN, "no data", f"{self.label}: {rule}; no value yet")
        if failed:
            return Lamp(Level.ERROR, "FAIL", f"{self.label}: |{self.value:.1f}| N, {rule}")
        return Lamp(Level.OK, "PASS", f"{self.label}: |{self.value:.1f}| N, {rule}")


def check_load_cells(
    thresholds: LoadCellThresholds,
    errors: TangentErrors,
    reported: TangentErrors | None = None,
) -> list[LoadCellRow]:
    """The eight rows of the check: A1..A6, total weight error, tangent sum."""
    seen = reported or TangentErrors((math.nan,) * 6, math.nan, math.nan)
    rows = []
    for i in range(6):
        load = i in LOAD_BEARING
        rows.append(
            LoadCellRow(
                key=f"A{i + 1}",
                label=f"A{i + 1} {'weight' if load else 'non-load-bearing'} error",
                value=errors.force[i],
                threshold=thresholds.load_bearing if load else thresholds.non_load_bearing,
                reported=seen.force[i],
                signals=(f"tangentForce.measured[{i}]", f"forceErrorTangent.force[{i}]"),
            )
        )
    rows.append(
        LoadCellRow(
            "weight",
            "Total weight error",
            errors.weight,
            thresholds.total_weight,
            seen.weight,
            ("forceErrorTangent.weight",),
        )
    )
    rows.append(
        LoadCellRow(
            "sum",
            "Tangent sum error",
            errors.sum,
            thresholds.tangent_sum,
            seen.sum,
            ("forceErrorTangent.sum",),
        )
    )
    return rows
