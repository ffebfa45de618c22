"""`MirrorMapModel`: what the mirror map shows, Qt-free.

The chosen quantity, the values of the 78 actuators from the telemetry store
(numpy arrays, refreshed from the latest samples), the axial and tangent
colour scales, the colour index of each actuator, the hardpoints (from the
``hardpointList`` event), labels, hover text and the signals to plot.

The view calls `MirrorMapModel.refresh` once per displayed frame (it listens
to ``session.telemetry.arrived`` coalesced to the display rate): a refresh
reads only the latest row of the topics the quantity needs, and only when
one of them has a new sample, into preallocated arrays. `changed_indices`
then says which actuators changed colour, so the view only swaps brushes.
"""

from __future__ import annotations

import logging
import math
from enum import StrEnum
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt
from psygnal import Signal

from ..geometry import CellGeometry, load_geometry
from ..telemetry import TopicBuffer
from .colormaps import COOLWARM, VIRIDIS, Colormap
from .force_error import force_error
from .map_quantities import FORCE_TERMS, QUANTITIES, ActuatorValue, Quantity, Source
from .map_scale import ColourScale, ScaleMode, ticks
from .selection import ActuatorSelection

if TYPE_CHECKING:
    from ..session import Session

__all__ = ["COLOUR_DEADBAND", "GROUPS", "STALE_S", "LabelMode", "MirrorMapModel", "Show", "compact"]

log = logging.getLogger(__name__)

FloatArray = npt.NDArray[np.float64]

#: The two groups of actuators, each with its own colour scale.
GROUPS = ("axial", "tangent")
#: Seconds without a new sample after which the map says its colours are stale.
STALE_S = 2.0
#: Colour steps of this many table levels (of 256) or fewer are not redrawn
#: (about 0.4 % of the colour bar, below a visible difference): sensor noise
#: does not repaint the map every frame. A changed colour range, or a value
#: appearing or going, always redraws exactly.
COLOUR_DEADBAND = 1


class LabelMode(StrEnum):
    """What is written on each actuator."""

    NAME = "name"
    INDEX = "index"
    ID = "id"
    VALUE = "value"

    @property
    def caption(self) -> str:
        """What a menu says."""
        return {
            LabelMode.NAME: "Name (B1…A6)",
            LabelMode.INDEX: "Index (0-77)",
            LabelMode.ID: "ID (1-78)",
            LabelMode.VALUE: "Value",
        }[self]


class Show(StrEnum):
    """Which actuators the map draws (the incumbent's All/Axial/Tangent)."""

    ALL = "all"
    AXIAL = "axial"
    TANGENT = "tangent"


def compact(value: float, decimals: int = 1) -> str:
    """A value in at most about five characters, for a label on the map."""
    if not math.isfinite(value):
        return "–"
    magnitude = abs(value)
    if round(magnitude, 3 if decimals > 2 else 2) == 0:
        value = magnitude = 0.0  # no "-0.00"
    if magnitude >= 99_999.5:
        return f"{value / 1000:.0f}k"
    if decimals == 0 or magnitude >= 99.95:
        return f"{value:.0f}"
    if magnitude >= 9.995:
        return f"{value:.1f}"
    if magnitude >= 0.9995 or decimals <= 2:
        return f"{value:.2f}"
    return f"{value:.3f}"


class MirrorMapModel:
    """The state of one mirror map view.

    Parameters
    ----------
    session : `Session`
        Where the telemetry, the events and the shared selection are.
    geometry : `CellGeometry`, optional
        Actuator positions (default: the packaged geometry).

    Signals
    -------
    settings_changed(str)
        After "quantity", "mode", "fixed", "labels" or "show" changed.
    hardpoints_changed(frozenset)
        After the ``hardpointList`` event changed the hardpoints.
    """

    settings_changed = Signal(str)
    hardpoints_changed = Signal(frozenset)

    def __init__(self, session: Session, geometry: CellGeometry | None = None) -> None:
        self.session = session
        self.geometry = geometry or load_geometry()
        self.selection = session.store(ActuatorSelection)
        g = self.geometry
        self.n_axial = g.n_axial
        self.count = g.count
        #: The group slices of the 0-based actuator index.
        self.slices = {"axial": slice(0, g.n_axial), "tangent": slice(g.n_axial, g.count)}
        self.quantity: Quantity = QUANTITIES["measured"]
        self.scales = {group: ColourScale() for group in GROUPS}
        self.labels = LabelMode.NAME
        self.show = Show.ALL
        #: The shown value of every actuator (NaN: no value).
        self.values: FloatArray = np.full(g.count, math.nan)
        #: The colour table index of every actuator (-1: no value), as drawn:
        #: within `COLOUR_DEADBAND` levels of the value's exact index.
        self.colour_index = np.full(g.count, -1, dtype=np.int16)
        #: Actuators whose colour index changed at the last `refresh`.
        self.changed_indices: npt.NDArray[np.intp] = np.arange(g.count)
        #: Groups whose colour range changed at the last `refresh`.
        self.changed_ranges: tuple[str, ...] = GROUPS
        self._new_index = np.empty(g.count, dtype=np.int16)
        self._changed = np.zeros(g.count, dtype=bool)
        self._exact = True
        self._versions: dict[str, int] = {}
        self._terms = {
            group: {
                term: np.full(len(range(*s.indices(g.count))), math.nan) for term in FORCE_TERMS
            }
            for group, s in self.slices.items()
        }
        self.hardpoints: frozenset[int] = frozenset()
        self._apply_quantity()
        self.update_hardpoints()
        session.events.updated.connect(self._on_event)

    # ------------------------------------------------------------------
    # Settings
    # ------------------------------------------------------------------
    @property
    def mode(self) -> ScaleMode:
        """The colour scale mode (the same for both groups)."""
        return self.scales["axial"].mode

    @property
    def colormap(self) -> Colormap:
        """Cool-warm (diverging) about zero, viridis otherwise."""
        return COOLWARM if self.mode is ScaleMode.SYMMETRIC else VIRIDIS

    def set_quantity(self, key: str) -> None:
        """Colour by another quantity (a key of `QUANTITIES`), with its default scale mode.

        Raises
        ------
        KeyError
            For an unknown quantity.
        """
        quantity = QUANTITIES[key]
        if quantity is self.quantity:
            return
        self.quantity = quantity
        self._apply_quantity()
        self.settings_changed.emit("quantity")

    def _apply_quantity(self) -> None:
        q = self.quantity
        for group, scale in self.scales.items():
            scale.minimum_span = q.minimum_span
            scale.fixed = q.fixed_axial if group == "axial" else q.fixed_tangent
            scale.set_mode(q.mode)
        self._invalidate()

    def set_mode(self, mode: ScaleMode | str) -> None:
        """Fixed, automatic or symmetric colour scales.

        Switching to fixed keeps the current ranges as the fixed ones (when
        there are any), so the colours freeze where they are.
        """
        mode = ScaleMode(mode)
        if mode is self.mode:
            return
        for scale in self.scales.values():
            if mode is ScaleMode.FIXED and scale.valid:
                scale.fixed = scale.range
            scale.set_mode(mode)
        self._invalidate()
        self.settings_changed.emit("mode")

    def set_fixed(self, group: str, low: float, high: float) -> None:
        """The fixed range of ``group`` ("axial" or "tangent").

        Raises
        ------
        ValueError
            Unless ``low < high``.
        """
        self.scales[group].set_fixed(low, high)
        self._invalidate()
        self.settings_changed.emit("fixed")

    def set_labels(self, mode: LabelMode | str) -> None:
        """What is written on each actuator."""
        mode = LabelMode(mode)
        if mode is not self.labels:
            self.labels = mode
            self.settings_changed.emit("labels")

    def set_show(self, show: Show | str) -> None:
        """All actuators, axial only or tangent only."""
        show = Show(show)
        if show is not self.show:
            self.show = show
            self.settings_changed.emit("show")

    def shown(self, index: int) -> bool:
        """True if actuator ``index`` is drawn with the current `show`."""
        if self.show is Show.ALL:
            return True
        return (index >= self.n_axial) == (self.show is Show.TANGENT)

    def _invalidate(self) -> None:
        """Read and colour everything again at the next refresh."""
        self._versions.clear()
        self._exact = True
        self.values[:] = math.nan

    # ------------------------------------------------------------------
    # Values
    # ------------------------------------------------------------------
    def topics(self) -> tuple[str, ...]:
        """The telemetry topics the current quantity is read from."""
        q = self.quantity
        if q.axial is None or q.tangent is None:
            return ("axialForce", "tangentForce")
        return (q.axial.topic, q.tangent.topic)

    def refresh(self) -> bool:
        """Read the latest samples; True if any colour or colour range changed.

        Afterwards `changed_indices` lists the actuators whose colour index
        changed and `changed_ranges` the groups whose range changed.
        """
        store = self.session.telemetry
        fresh = False
        for topic in self.topics():
            buffer = store.buffer(topic)
            version = -1 if buffer is None else buffer.version
            if self._versions.get(topic) != version:
                self._versions[topic] = version
                fresh = True
        if not fresh:
            self.changed_indices = self.changed_indices[:0]
            self.changed_ranges = ()
            return False
        self._read_values()
        ranges = []
        cmap = self.colormap
        new, old = self._new_index, self.colour_index
        changed = self._changed
        for group, part in self.slices.items():
            scale = self.scales[group]
            if scale.update(self.values[part]):
                ranges.append(group)
            if scale.valid:
                cmap.indices(self.values[part], scale.low, scale.high, out=new[part])
            else:
                new[part] = -1
            if self._exact or (ranges and ranges[-1] == group):
                np.not_equal(new[part], old[part], out=changed[part])
            else:
                # a step of COLOUR_DEADBAND levels or less is not redrawn
                step = np.abs(new[part] - old[part]) > COLOUR_DEADBAND
                changed[part] = step | ((new[part] < 0) != (old[part] < 0))
        self._exact = False
        self.changed_ranges = tuple(ranges)
        self.changed_indices = np.flatnonzero(changed)
        old[self.changed_indices] = new[self.changed_indices]
        return bool(self.changed_indices.size or ranges)

    def latest_time(self) -> float | None:
        """Receive time of the newest sample the map shows (None before any)."""
        times = [
            b.last_time
            for b in (self.session.telemetry.buffer(t) for t in self.topics())
            if b is not None and b.count
        ]
        return max(times) if times else None

    def age_text(self, now: float) -> str:
        """How old the colours are, in words; "stale" after `STALE_S` seconds."""
        latest = self.latest_time()
        if latest is None:
            return "No telemetry yet: actuators are hatched (no value)"
        age = max(0.0, now - latest)
        if age > STALE_S:
            return f"STALE: no new sample for {age:.0f} s"
        return f"Live: latest sample {age:.1f} s ago"

    def _read_values(self) -> None:
        q = self.quantity
        if q.axial is None or q.tangent is None:
            self._read_force_error()
            return
        for group, source in (("axial", q.axial), ("tangent", q.tangent)):
            part = self.values[self.slices[group]]
            row = self._latest(source.topic, source.field)
            if row is None or row.shape != part.shape:
                part[:] = math.nan
            else:
                np.multiply(row, q.factor, out=part)

    def _read_force_error(self) -> None:
        for group, topic in (("axial", "axialForce"), ("tangent", "tangentForce")):
            part = self.values[self.slices[group]]
            terms = self._terms[group]
            buffer = self.session.telemetry.buffer(topic)
            if buffer is None or buffer.count == 0:
                part[:] = math.nan
                continue
            for term in FORCE_TERMS:
                row = self._row(buffer, term)
                if row is None or row.shape != terms[term].shape:
                    terms[term][:] = math.nan
                else:
                    terms[term][:] = row
            force_error(
                terms["lutGravity"],
                terms["lutTemperature"],
                terms["applied"],
                terms["hardpointCorrection"],
                terms["measured"],
                self.hardpoints,
                first=self.slices[group].start,
                out=part,
            )

    def _latest(self, topic: str, field: str) -> FloatArray | None:
        buffer = self.session.telemetry.buffer(topic)
        return None if buffer is None else self._row(buffer, field)

    @staticmethod
    def _row(buffer: TopicBuffer, field: str) -> FloatArray | None:
        columns = buffer.columns.get(field)
        if columns is None or buffer.count == 0:
            return None
        return buffer.values()[-1, columns]

    def _element(self, topic: str, field: str, element: int) -> float:
        row = self._latest(topic, field)
        if row is None or element >= row.shape[0]:
            return math.nan
        return float(row[element])

    # ------------------------------------------------------------------
    # Hardpoints
    # ------------------------------------------------------------------
    def _on_event(self, entry_id: str) -> None:
        if entry_id == "hardpointList":
            self.update_hardpoints()

    def update_hardpoints(self) -> bool:
        """Take the hardpoints from the latest ``hardpointList`` (0-based in the store).

        Returns True (and emits `hardpoints_changed`) if they changed.
        Values that are not actuator indices are ignored and logged.
        """
        reported = self.session.events.value("hardpointList", "actuators", [])
        valid: set[int] = set()
        if isinstance(reported, list):
            for value in reported:
                if type(value) is int and 0 <= value < self.count:
                    valid.add(value)
                else:
                    log.warning("hardpointList: %.40r is not an actuator index; ignored", value)
        new = frozenset(valid)
        if new == self.hardpoints:
            return False
        self.hardpoints = new
        if self.quantity.computed:
            self._versions.clear()  # the zeroed force errors move
        self.hardpoints_changed.emit(new)
        return True

    # ------------------------------------------------------------------
    # Text
    # ------------------------------------------------------------------
    def group(self, index: int) -> str:
        """ "axial" or "tangent"."""
        return "tangent" if index >= self.n_axial else "axial"

    def element(self, index: int) -> int:
        """The element of ``index`` in its group's telemetry arrays."""
        return index - self.n_axial if index >= self.n_axial else index

    def label(self, index: int) -> str:
        """The text on actuator ``index`` in the current label mode."""
        if self.labels is LabelMode.NAME:
            return self.geometry.labels[index]
        if self.labels is LabelMode.INDEX:
            return str(index)
        if self.labels is LabelMode.ID:
            return str(index + 1)
        return compact(float(self.values[index]), self.quantity.decimals)

    def actuator_values(self, index: int) -> list[ActuatorValue]:
        """Every value of actuator ``index``: the force terms, force error, position, steps."""
        group = self.group(index)
        e = self.element(index)
        force_topic = "axialForce" if group == "axial" else "tangentForce"
        terms = {term: self._element(force_topic, term, e) for term in FORCE_TERMS}
        error = float(
            force_error(
                [terms["lutGravity"]],
                [terms["lutTemperature"]],
                [terms["applied"]],
                [terms["hardpointCorrection"]],
                [terms["measured"]],
                self.hardpoints,
                first=index,
            )[0]
        )
        titles = {
            "measured": "Measured force",
            "applied": "Applied force",
            "lutGravity": "LUT gravity",
            "lutTemperature": "LUT temperature",
            "hardpointCorrection": "Hardpoint correction",
        }
        out = [
            ActuatorValue(
                "Measured force", terms["measured"], "N", 2, f"{force_topic}.measured[{e}]"
            ),
            ActuatorValue("Force error", error, "N", 2, None),
        ]
        for term in ("applied", "lutGravity", "lutTemperature", "hardpointCorrection"):
            if group == "tangent" and term == "lutTemperature":
                continue  # not sent for the tangent links (an empty list)
            out.append(
                ActuatorValue(titles[term], terms[term], "N", 2, f"{force_topic}.{term}[{e}]")
            )
        if group == "tangent":
            source = Source("forceErrorTangent", "force")
            out.append(
                ActuatorValue(
                    "Load-cell error",
                    self._element(source.topic, source.field, e),
                    "N",
                    2,
                    source.signal(e),
                )
            )
        for key in ("position", "steps"):
            q = QUANTITIES[key]
            src = q.axial if group == "axial" else q.tangent
            assert src is not None
            value = self._element(src.topic, src.field, e) * q.factor
            out.append(ActuatorValue(q.title, value, q.unit, q.decimals, src.signal(e)))
        return out

    def heading(self, index: int) -> str:
        """``B12 · axial actuator · index 11 (ID 12) · hardpoint · selected``."""
        g = self.geometry
        kind = "tangent link" if index >= self.n_axial else "axial actuator"
        parts = [g.labels[index], kind, f"index {index} (ID {index + 1})"]
        if index in self.hardpoints:
            parts.append("hardpoint")
        if index in self.selection.selected:
            parts.append("selected")
        return " · ".join(parts)

    def hover_text(self, index: int) -> str:
        """Every value of actuator ``index``, one per line, after a heading."""
        values = self.actuator_values(index)
        width = max(len(v.title) for v in values)
        lines = [self.heading(index)]
        lines += [f"{v.title:<{width}}  {v.text():>14}" for v in values]
        return "\n".join(lines)

    def summary(self, group: str) -> str:
        """Lowest and highest value of a group, with the actuators: words beside the colours."""
        part = self.values[self.slices[group]]
        finite = np.isfinite(part)
        q = self.quantity
        if not finite.any():
            return f"{group.capitalize()}: no value"
        first = self.slices[group].start
        low = int(np.nanargmin(part))
        high = int(np.nanargmax(part))
        labels = self.geometry.labels
        return (
            f"{group.capitalize()}: min {labels[first + low]} {part[low]:.{q.decimals}f}, "
            f"max {labels[first + high]} {part[high]:.{q.decimals}f} {q.unit}"
        )

    def colour_bar_ticks(self, group: str) -> list[float]:
        """The labelled values of a group's colour bar."""
        low, high = self.scales[group].range
        return ticks(low, high)

    # ------------------------------------------------------------------
    # Plotting
    # ------------------------------------------------------------------
    def plot_signals(self, indices: int | list[int]) -> list[str]:
        """Telemetry signals showing the current quantity of the actuator(s).

        The force error is computed, not sent: its terms are plotted (and
        the controller's own load-cell error for a tangent link).
        """
        if isinstance(indices, int):
            indices = [indices]
        out: list[str] = []
        q = self.quantity
        for index in indices:
            e = self.element(index)
            tangent = index >= self.n_axial
            if q.axial is None or q.tangent is None:
                topic = "tangentForce" if tangent else "axialForce"
                if tangent:
                    out.append(f"forceErrorTangent.force[{e}]")
                out += [
                    f"{topic}.{term}[{e}]"
                    for term in FORCE_TERMS
                    if not (tangent and term == "lutTemperature")
                ]
            else:
                out.append((q.tangent if tangent else q.axial).signal(e))
        return out

    def describe(self) -> dict[str, Any]:
        """The settings, for saving and for tests."""
        return {
            "quantity": self.quantity.key,
            "mode": self.mode.value,
            "labels": self.labels.value,
            "show": self.show.value,
            "fixed": {g: self.scales[g].fixed for g in GROUPS},
        }
