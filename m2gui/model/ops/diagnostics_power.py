"""Motor and communication power, calibrated and raw: the rows of the power table."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

from ..catalogue import Catalogue

__all__ = ["CALIBRATED", "POWER_FIELDS", "RAW", "PowerRow", "format_reading", "power_rows"]

#: Telemetry topics of the calibrated and the raw readings (same four fields).
CALIBRATED = "powerStatus"
RAW = "powerStatusRaw"
#: The fields, in table order, with their row labels.
POWER_FIELDS: tuple[tuple[str, str], ...] = (
    ("motorVoltage", "Motor voltage"),
    ("motorCurrent", "Motor current"),
    ("commVoltage", "Communication voltage"),
    ("commCurrent", "Communication current"),
)


@dataclass(frozen=True)
class PowerRow:
    """One reading: calibrated and raw values (NaN until telemetry arrives)."""

    field: str
    label: str
    unit: str
    calibrated: float
    raw: float

    @property
    def signals(self) -> tuple[str, str]:
        """The calibrated and the raw telemetry signal, for "Plot"."""
        return f"{CALIBRATED}.{self.field}", f"{RAW}.{self.field}"


def format_reading(value: float, unit: str, digits: int = 2) -> str:
    """``23.01 V``, or ``—`` when there is no (finite) value."""
    if not math.isfinite(value):
        return "—"
    return f"{value:.{digits}f} {unit}".rstrip()


def power_rows(
    catalogue: Catalogue,
    calibrated: Mapping[str, float] | None,
    raw: Mapping[str, float] | None,
) -> list[PowerRow]:
    """The four power readings, with their units from the catalogue."""
    spec = catalogue.telemetry[CALIBRATED].fields
    cal = calibrated or {}
    unc = raw or {}
    return [
        PowerRow(
            field,
            label,
            spec[field].unit if field in spec else "",
            float(cal.get(field, math.nan)),
            float(unc.get(field, math.nan)),
        )
        for field, label in POWER_FIELDS
    ]
