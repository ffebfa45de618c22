"""`ForcesTable`: every force of every actuator, as the incumbent's Detailed Force table.

One row per actuator (B1..D18 axial, A1..A6 tangent, by 0-based command
index) and one column per quantity: the gravity and temperature look-up
tables, the applied offset, the measured force, the hardpoint correction,
the force error, the motor steps and the encoder position. The store copies
the latest sample of each force topic as it arrives (one row of a numpy
buffer: cheap at 20 Hz), recomputes the force error the way the incumbent
does (`actuator_force_error`), and announces the columns that changed.

Beside the values it keeps the rules a view needs and must not hold: the
force limits of the current control mode and which measured forces are
beyond them or near them (`force_limits`, `limit_flag`), the text and tool
tip of every cell, the ring filters, the min/max/total summaries, and the
telemetry signals behind each cell (for "Plot").
"""

from __future__ import annotations

import enum
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt
from psygnal import Signal

from ..geometry import CellGeometry, load_geometry
from .force_error import force_error
from .net_force import number_text

if TYPE_CHECKING:
    from ..session import Session

__all__ = [
    "COLUMNS",
    "FLAG_COLORS",
    "FLAG_MARKS",
    "NEAR_FRACTION",
    "RING_FILTERS",
    "Column",
    "ForcesTable",
    "LimitFlag",
    "SummaryRow",
    "actuator_force_error",
    "force_limits",
    "limit_flag",
    "limit_mode",
]

FloatArray = npt.NDArray[np.float64]

#: A measured force within this fraction of the limit is flagged "near" (the
#: incumbent's limit-switch window turns yellow 5 % below the software limit).
NEAR_FRACTION = 0.05


@dataclass(frozen=True)
class Column:
    """One column of the forces table.

    Attributes
    ----------
    key : `str`
        Name used in code and in `ForcesTable.changed`.
    title : `str`
        Header text.
    unit : `str`
        Unit shown in the header.
    field : `str`
        Telemetry field of ``topics`` (empty for the computed columns).
    topics : `tuple` [`str`, `str`]
        Axial and tangent telemetry topics of the field.
    decimals : `int`
        Decimals shown.
    scale : `float`
        Factor from the telemetry unit to the shown unit.
    total : `bool`
        Whether a total means something (summaries).
    """

    key: str
    title: str
    unit: str = "N"
    field: str = ""
    topics: tuple[str, str] = ("axialForce", "tangentForce")
    decimals: int = 2
    scale: float = 1.0
    total: bool = True

    @property
    def header(self) -> str:
        """Title and unit, as in the table header."""
        return f"{self.title} ({self.unit})" if self.unit else self.title

    @property
    def short_header(self) -> str:
        """The header in two short lines (for narrow columns)."""
        words = self.title.split(" ", 1)
        if len(words) == 1:
            return f"{self.title}\n({self.unit})" if self.unit else self.title
        return f"{words[0]}\n{words[1]} ({self.unit})" if self.unit else "\n".join(words)

    @property
    def numeric(self) -> bool:
        """True for every column but the actuator's name."""
        return self.key != "actuator"


#: The table's columns, in the order shown.
COLUMNS: tuple[Column, ...] = (
    Column("actuator", "Actuator", unit="", topics=("", ""), total=False),
    Column("lut_gravity", "LUT gravity", field="lutGravity"),
    Column("lut_temperature", "LUT temperature", field="lutTemperature"),
    Column("applied", "Applied", field="applied"),
    Column("measured", "Measured", field="measured"),
    Column("hardpoint_correction", "Hardpoint correction", field="hardpointCorrection"),
    Column("force_error", "Force error", topics=("", "")),
    Column(
        "steps",
        "Steps",
        unit="step",
        field="steps",
        topics=("axialActuatorSteps", "tangentActuatorSteps"),
        decimals=0,
        total=False,
    ),
    Column(
        "position",
        "Position",
        unit="mm",
        field="position",
        topics=("axialEncoderPositions", "tangentEncoderPositions"),
        decimals=3,
        scale=1e-3,  # telemetry in µm
        total=False,
    ),
)
_BY_KEY: dict[str, Column] = {c.key: c for c in COLUMNS}
_NUMERIC = [c.key for c in COLUMNS if c.numeric]
#: Columns copied from telemetry, by topic: ``topic -> [(column, is_tangent)]``.
_TOPIC_COLUMNS: dict[str, list[tuple[Column, bool]]] = {}
for _column in COLUMNS:
    if _column.field:
        for _tangent, _topic in enumerate(_column.topics):
            _TOPIC_COLUMNS.setdefault(_topic, []).append((_column, bool(_tangent)))
_FORCE_TOPICS = frozenset({"axialForce", "tangentForce"})

#: Ring filters: name shown -> the rings (A tangent, B/C/D axial) kept; the
#: "Hardpoints" filter keeps the six reported hardpoints instead.
RING_FILTERS: dict[str, frozenset[str]] = {
    "All actuators": frozenset("ABCD"),
    "Axial (rings B, C, D)": frozenset("BCD"),
    "Ring B": frozenset("B"),
    "Ring C": frozenset("C"),
    "Ring D": frozenset("D"),
    "Tangent (ring A)": frozenset("A"),
    "Hardpoints": frozenset(),
}
HARDPOINTS_FILTER = "Hardpoints"


class LimitFlag(enum.Enum):
    """Where a measured force stands against the limit of the current mode."""

    OK = "ok"
    NEAR = "near"
    BEYOND = "beyond"


#: Background of a flagged cell (Okabe-Ito orange and vermilion: apart for
#: colour-blind eyes); a mark is always written too (`FLAG_MARKS`).
FLAG_COLORS: dict[LimitFlag, str] = {
    LimitFlag.NEAR: "#e69f00",
    LimitFlag.BEYOND: "#d55e00",
}
#: Text colour on those backgrounds.
FLAG_TEXT_COLORS: dict[LimitFlag, str] = {
    LimitFlag.NEAR: "#000000",
    LimitFlag.BEYOND: "#ffffff",
}
#: The mark written before a flagged value (never colour alone).
FLAG_MARKS: dict[LimitFlag, str] = {
    LimitFlag.OK: "",
    LimitFlag.NEAR: "! ",
    LimitFlag.BEYOND: "⚠ ",
}


# ----------------------------------------------------------------------
# Rules
# ----------------------------------------------------------------------
def actuator_force_error(
    lut_gravity: FloatArray,
    lut_temperature: FloatArray,
    applied: FloatArray,
    hardpoint_correction: FloatArray,
    measured: FloatArray,
    hardpoints: Sequence[int],
    n_axial: int = 72,
) -> FloatArray:
    """Force error of all 78 actuators, computed as the incumbent GUI does.

    ``error = LUT gravity + LUT temperature + applied + hardpoint correction
    - measured``, set to 0 at the hardpoints (as the vendor's LabVIEW code
    does); the tangent links (index ``n_axial`` and above) have no
    temperature term, as in the incumbent. The arithmetic is the mirror map's
    `m2gui.model.cell.force_error.force_error`, applied to the axial and the
    tangent parts: a hardpoint correction or temperature not received counts
    as 0 (the incumbent starts from zeros); an unknown measured force gives
    an unknown (NaN) error, hardpoint or not.

    Parameters
    ----------
    lut_gravity, lut_temperature, applied, hardpoint_correction, measured : `numpy.ndarray`
        One value per actuator (newtons), by 0-based index.
    hardpoints : sequence of `int`
        0-based indices of the hardpoints (out-of-range ones are ignored).
    n_axial : `int`
        Number of axial actuators (the first ones).

    Returns
    -------
    error : `numpy.ndarray`
        Newtons, one per actuator.
    """
    error = np.empty(len(measured))
    axial, tangent = slice(0, n_axial), slice(n_axial, len(measured))
    force_error(
        lut_gravity[axial],
        lut_temperature[axial],
        applied[axial],
        hardpoint_correction[axial],
        measured[axial],
        hardpoints,
        first=0,
        out=error[axial],
    )
    force_error(
        lut_gravity[tangent],
        None,
        applied[tangent],
        hardpoint_correction[tangent],
        measured[tangent],
        hardpoints,
        first=n_axial,
        out=error[tangent],
    )
    return error


def force_limits(
    constants: Mapping[str, Any], closed_loop: bool, max_limit: bool
) -> tuple[float, float]:
    """The (axial, tangent) force limits in newtons for a control mode.

    As the incumbent (``Model.get_current_force_limits``): the closed-loop
    limits while the force balance system runs; otherwise the open-loop
    limits, raised to the open-loop maximum limits while those are enabled.

    Parameters
    ----------
    constants : `dict`
        The catalogue's constants (protocol section 7).
    closed_loop : `bool`
        ``forceBalanceSystemStatus.status``.
    max_limit : `bool`
        ``openLoopMaxLimit.status``.
    """
    if closed_loop:
        keys = ("LIMIT_FORCE_AXIAL_CLOSED_LOOP_N", "LIMIT_FORCE_TANGENT_CLOSED_LOOP_N")
    elif max_limit:
        keys = ("MAX_LIMIT_FORCE_AXIAL_OPEN_LOOP_N", "MAX_LIMIT_FORCE_TANGENT_OPEN_LOOP_N")
    else:
        keys = ("LIMIT_FORCE_AXIAL_OPEN_LOOP_N", "LIMIT_FORCE_TANGENT_OPEN_LOOP_N")
    return float(constants[keys[0]]), float(constants[keys[1]])


def limit_mode(closed_loop: bool, max_limit: bool) -> str:
    """The control mode whose limits apply, in words."""
    if closed_loop:
        return "closed loop"
    return "open loop, maximum limits enabled" if max_limit else "open loop"


def limit_flag(value: float, limit: float, near: float = NEAR_FRACTION) -> LimitFlag:
    """Whether ``|value|`` is beyond ``limit``, within ``near`` of it, or neither.

    Beyond means ``|value| >= limit`` (the controller's limit-switch check:
    retract at ``force >= +limit``, extend at ``force <= -limit``); near
    means ``|value| >= (1 - near) * limit``. An unknown value is never flagged.
    """
    if not math.isfinite(value):
        return LimitFlag.OK
    magnitude = abs(value)
    if magnitude >= limit:
        return LimitFlag.BEYOND
    if magnitude >= (1.0 - near) * limit:
        return LimitFlag.NEAR
    return LimitFlag.OK


@dataclass(frozen=True)
class SummaryRow:
    """One summary row: a statistic of one group of actuators, per column.

    Attributes
    ----------
    group : `str`
        ``Axial`` or ``Tangent``.
    stat : `str`
        ``min``, ``max`` or ``total``.
    values : `dict` [`str`, `float`]
        Column key -> value (NaN when unknown or meaningless).
    where : `dict` [`str`, `str`]
        Column key -> the actuator holding the min or max.
    count : `int`
        Actuators summarised.
    """

    group: str
    stat: str
    values: dict[str, float]
    where: dict[str, str]
    count: int

    @property
    def title(self) -> str:
        """``Axial min``..."""
        return f"{self.group} {self.stat}"


# ----------------------------------------------------------------------
# The store
# ----------------------------------------------------------------------
class ForcesTable:
    """The latest forces, steps and positions of the 78 actuators.

    One per session (``session.store(ForcesTable)``). Values are NaN until
    their telemetry arrives (force telemetry flows only with motor power on
    the reference simulator).

    Parameters
    ----------
    session : `Session`
        Its telemetry and events are followed.
    geometry : `CellGeometry` or None
        Actuator labels and rings (default: the packaged geometry).

    Attributes
    ----------
    values : `dict` [`str`, `numpy.ndarray`]
        Column key -> 78 values in the shown unit (NaN: unknown).
    hardpoints : `tuple` [`int`, ...]
        The reported hardpoints, 0-based (``hardpointList``).
    closed_loop, max_limit : `bool`
        The control mode whose limits apply.

    Signals
    -------
    changed(tuple)
        After values changed, with the keys of the columns that changed
        (``"actuator"`` when the hardpoints changed, every numeric column
        when the limits changed).
    """

    changed = Signal(tuple)

    def __init__(self, session: Session, geometry: CellGeometry | None = None) -> None:
        self.session = session
        self.geometry = geometry or load_geometry()
        self.constants = session.catalogue.constants
        self.n = len(self.geometry.labels)
        self.n_axial = self.geometry.n_axial
        self.values: dict[str, FloatArray] = {k: np.full(self.n, np.nan) for k in _NUMERIC}
        self.hardpoints: tuple[int, ...] = ()
        self.closed_loop = False
        self.max_limit = False
        self._read_events()
        for topic in _TOPIC_COLUMNS:
            self._copy(topic)
        self._recompute_error()
        session.telemetry.arrived.connect(self.on_telemetry)
        session.events.updated.connect(self.on_event)

    # ------------------------------------------------------------------
    # Following the stores
    # ------------------------------------------------------------------
    def on_telemetry(self, topic: str) -> None:
        """Copy the latest sample of a topic the table shows (a store subscriber)."""
        if topic not in _TOPIC_COLUMNS:
            return
        keys = self._copy(topic)
        if topic in _FORCE_TOPICS:
            self._recompute_error()
            keys.append("force_error")
        if keys:
            self.changed.emit(tuple(keys))

    def on_event(self, entry_id: str) -> None:
        """Follow the hardpoints and the control mode (a store subscriber)."""
        if entry_id == "hardpointList":
            old = self.hardpoints
            self._read_events()
            if self.hardpoints != old:
                self._recompute_error()
                self.changed.emit(("actuator", "force_error"))
        elif entry_id in ("forceBalanceSystemStatus", "openLoopMaxLimit"):
            old_mode = (self.closed_loop, self.max_limit)
            self._read_events()
            if (self.closed_loop, self.max_limit) != old_mode:
                self.changed.emit(("measured",))

    def _read_events(self) -> None:
        events = self.session.events
        points = events.value("hardpointList", "actuators")
        if isinstance(points, list):
            self.hardpoints = tuple(
                p
                for p in points
                if isinstance(p, int) and not isinstance(p, bool) and 0 <= p < self.n
            )
        self.closed_loop = events.value("forceBalanceSystemStatus", "status") is True
        self.max_limit = events.value("openLoopMaxLimit", "status") is True

    def _copy(self, topic: str) -> list[str]:
        """Copy the latest sample of ``topic`` into the columns; the keys changed."""
        buffer = self.session.telemetry.buffer(topic)
        if buffer is None or buffer.count == 0:
            return []
        row = buffer.values()[-1]
        keys = []
        for column, tangent in _TOPIC_COLUMNS[topic]:
            columns = buffer.columns.get(column.field)
            if columns is None:
                continue
            sample = np.asarray(row[columns], dtype=float) * column.scale
            target = self.values[column.key]
            part = slice(self.n_axial, self.n) if tangent else slice(0, self.n_axial)
            width = part.stop - part.start
            if sample.size != width:
                continue
            if column.key == "hardpoint_correction" and not np.isfinite(sample).all():
                # The controller sends a short list while faulted: the
                # incumbent keeps the last complete correction.
                continue
            target[part] = sample
            keys.append(column.key)
        return keys

    def _recompute_error(self) -> None:
        v = self.values
        v["force_error"] = actuator_force_error(
            v["lut_gravity"],
            v["lut_temperature"],
            v["applied"],
            v["hardpoint_correction"],
            v["measured"],
            self.hardpoints,
            self.n_axial,
        )

    # ------------------------------------------------------------------
    # What a view shows
    # ------------------------------------------------------------------
    @property
    def limits(self) -> tuple[float, float]:
        """The (axial, tangent) force limits now, newtons."""
        return force_limits(self.constants, self.closed_loop, self.max_limit)

    @property
    def limits_text(self) -> str:
        """The limits now, in words."""
        axial, tangent = self.limits
        return (
            f"limits ({limit_mode(self.closed_loop, self.max_limit)}): "
            f"axial ±{axial:g} N, tangent ±{tangent:g} N"
        )

    def limit_of(self, index: int) -> float:
        """The force limit of actuator ``index`` now, newtons."""
        axial, tangent = self.limits
        return tangent if index >= self.n_axial else axial

    def flag(self, index: int, key: str = "measured") -> LimitFlag:
        """Whether a cell is beyond (or near) the limit (only measured forces are checked)."""
        if key != "measured":
            return LimitFlag.OK
        return limit_flag(float(self.values["measured"][index]), self.limit_of(index))

    def flags(self) -> list[int]:
        """Indices of the actuators whose measured force is beyond the limit."""
        return [i for i in range(self.n) if self.flag(i) is LimitFlag.BEYOND]

    def label(self, index: int) -> str:
        """``B6`` (``B6 (HP)`` for a hardpoint)."""
        name = self.geometry.labels[index]
        return f"{name} (HP)" if index in self.hardpoints else name

    def is_hardpoint(self, index: int) -> bool:
        """True for the six reported hardpoints."""
        return index in self.hardpoints

    def value(self, index: int, key: str) -> float:
        """The value of one cell (NaN when unknown; the index for ``actuator``)."""
        if key == "actuator":
            return float(index)
        return float(self.values[key][index])

    def text(self, index: int, key: str) -> str:
        """A cell as shown: the value with its decimals, a mark when flagged, ``—`` unknown."""
        if key == "actuator":
            return self.label(index)
        value = self.value(index, key)
        if not math.isfinite(value):
            return "—"
        column = _BY_KEY[key]
        return FLAG_MARKS[self.flag(index, key)] + number_text(value, column.decimals)

    def tooltip(self, index: int, key: str) -> str:
        """What a cell is, where it comes from, and why it is flagged."""
        name = self.geometry.labels[index]
        column = _BY_KEY[key]
        if key == "actuator":
            role = "tangent link" if index >= self.n_axial else "axial actuator"
            hp = (
                ", a hardpoint (its force error is 0 by definition)"
                if self.is_hardpoint(index)
                else ""
            )
            return f"{name}: {role}, 0-based index {index}{hp}"
        lines = [f"{name} {column.title.lower()}"]
        if key == "force_error":
            temperature = "" if index >= self.n_axial else " + LUT temperature"
            lines.append(f"= LUT gravity{temperature} + applied + hardpoint correction − measured")
            lines.append("set to 0 at the hardpoints, as the vendor's controller code does")
            if self.is_hardpoint(index):
                lines.append("This actuator is a hardpoint: its error is 0.")
        if key == "lut_temperature" and index >= self.n_axial:
            lines.append("Not part of the tangent force error (the incumbent leaves it out).")
        if key == "hardpoint_correction":
            lines.append(
                "While the controller is faulted it sends a short list: the last full one is kept."
            )
        signals = self.signals(index, key)
        if signals:
            lines.append("Telemetry: " + ", ".join(signals))
        if key == "position":
            lines.append("Received in µm, shown in mm.")
        flag = self.flag(index, key)
        if flag is not LimitFlag.OK:
            limit = self.limit_of(index)
            where = "beyond" if flag is LimitFlag.BEYOND else f"within {NEAR_FRACTION:.0%} of"
            mode = limit_mode(self.closed_loop, self.max_limit)
            lines.append(f"{FLAG_MARKS[flag].strip()} {where} the {mode} limit ±{limit:g} N")
        return "\n".join(lines)

    def signals(self, index: int, key: str) -> list[str]:
        """The telemetry signals behind a cell, for "Plot".

        The actuator column plots the measured force; the force error, which
        is computed here, plots the five forces it is made of.
        """
        tangent = index >= self.n_axial
        local = index - self.n_axial if tangent else index
        if key == "actuator":
            key = "measured"
        if key == "force_error":
            fields = ["lutGravity", "applied", "hardpointCorrection", "measured"]
            if not tangent:
                fields.insert(1, "lutTemperature")
            topic = "tangentForce" if tangent else "axialForce"
            return [f"{topic}.{f}[{local}]" for f in fields]
        column = _BY_KEY[key]
        topic = column.topics[1 if tangent else 0]
        return [f"{topic}.{column.field}[{local}]"]

    # ------------------------------------------------------------------
    # Filters and summaries
    # ------------------------------------------------------------------
    def filter_key(self, index: int) -> str:
        """What the ring filters match: ``ring:B`` (``ring:B hp`` for a hardpoint)."""
        ring = self.geometry.rings[index]
        return f"ring:{ring} hp" if self.is_hardpoint(index) else f"ring:{ring}"

    @staticmethod
    def filter_pattern(name: str) -> str:
        """The regular expression on `filter_key` that a ring filter keeps."""
        if name == HARDPOINTS_FILTER:
            return r"\bhp\b"
        rings = "".join(sorted(RING_FILTERS[name]))
        return f"^ring:[{rings}]"

    def filter_indices(self, name: str) -> list[int]:
        """The actuators a ring filter keeps, by index."""
        pattern = re.compile(self.filter_pattern(name))
        return [i for i in range(self.n) if pattern.search(self.filter_key(i))]

    def summary(self, indices: Sequence[int]) -> list[SummaryRow]:
        """Min, max and total of each column over ``indices``, axial and tangent apart.

        Axial and tangent forces act along different directions, so they are
        never added together: each group present gets its own three rows.
        Unknown values are left out; a total is given only where it means
        something (forces, not steps or positions).
        """
        rows: list[SummaryRow] = []
        for group, members in (
            ("Axial", [i for i in indices if i < self.n_axial]),
            ("Tangent", [i for i in indices if i >= self.n_axial]),
        ):
            if not members:
                continue
            picked = np.asarray(members)
            stats: dict[str, dict[str, float]] = {"min": {}, "max": {}, "total": {}}
            where: dict[str, dict[str, str]] = {"min": {}, "max": {}, "total": {}}
            for key in _NUMERIC:
                values = self.values[key][picked]
                finite = np.isfinite(values)
                if not finite.any():
                    for stat in stats:
                        stats[stat][key] = math.nan
                    continue
                known, known_at = values[finite], picked[finite]
                lo, hi = int(np.argmin(known)), int(np.argmax(known))
                stats["min"][key] = float(known[lo])
                stats["max"][key] = float(known[hi])
                where["min"][key] = self.geometry.labels[int(known_at[lo])]
                where["max"][key] = self.geometry.labels[int(known_at[hi])]
                stats["total"][key] = float(known.sum()) if _BY_KEY[key].total else math.nan
            for stat in ("min", "max", "total"):
                rows.append(SummaryRow(group, stat, stats[stat], where[stat], len(members)))
        return rows

    def summary_text(self, row: SummaryRow, key: str) -> str:
        """A summary cell as shown (``—`` when unknown or meaningless)."""
        if key == "actuator":
            return row.title
        value = row.values.get(key, math.nan)
        if not math.isfinite(value):
            return "—"
        return number_text(value, _BY_KEY[key].decimals)

    def summary_tooltip(self, row: SummaryRow, key: str) -> str:
        """Where a min or max is, or what a total adds."""
        if key == "actuator":
            return f"{row.stat} over the {row.count} {row.group.lower()} actuators shown"

        at = row.where.get(key)
        column = _BY_KEY[key]
        if row.stat == "total":
            if not column.total:
                return f"no total for {column.title.lower()}"
            return f"{column.title} summed over {row.count} {row.group.lower()} actuators"
        return f"{column.title} {row.stat}" + (f" at {at}" if at else "")
