"""`LimitSwitches`: the retract and extend limit switch of every actuator.

Red for a hardware trip (the ``limitSwitchStatus`` event, 0-based lists of the
newly tripped switches), yellow when the measured force (``axialForce`` and
``tangentForce`` telemetry, ``measured``) comes within 5 % of the software
limit of the current mode (see `m2gui.model.ops.limit_switch_rules`), green
otherwise. Both marks are kept until a reset: the first successful
``clearErrors`` after them (sent from any m2gui view). Yellow never replaces
red. One instance per session: ``session.store(LimitSwitches)``.

The state is a fixed set of arrays (2 sides x 78 actuators), whatever the
controller sends.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt
from psygnal import Signal

from m2gui.net import CommandRecord

from ..geometry import CellGeometry, load_geometry
from .limit_switch_rules import (
    DIRECTIONS,
    ForceLimits,
    SwitchState,
    force_limits,
    limit_mode,
    switch_lamp,
)
from .overview_lamps import Lamp
from .overview_rules import ResetWatch

if TYPE_CHECKING:
    from ..session import Session

__all__ = ["MAX_LIST_ITEMS", "LimitSwitchChange", "LimitSwitches", "no_tripped_switch"]

log = logging.getLogger(__name__)

#: Items of a ``limitSwitchStatus`` list looked at (there are 78 actuators).
MAX_LIST_ITEMS = 1000
#: Events that decide the mode, hence the limits.
MODE_EVENTS = frozenset({"forceBalanceSystemStatus", "openLoopMaxLimit", "closedLoopControlMode"})
#: Telemetry topics whose ``measured`` forces are checked against the limits.
FORCE_TOPICS = ("axialForce", "tangentForce")

BoolArray = npt.NDArray[np.bool_]
FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class LimitSwitchChange:
    """What `LimitSwitches.changed` announces.

    Attributes
    ----------
    switches : `frozenset` of ``(index, direction)``
        Switches whose state changed (0-based actuator, "retract"/"extend").
    limits : `bool`
        The mode, hence the limits, changed.
    reset : `bool`
        A reset cleared everything.
    """

    switches: frozenset[tuple[int, str]]
    limits: bool = False
    reset: bool = False


class LimitSwitches:
    """Limit-switch marks per actuator and side, latched until a reset.

    Parameters
    ----------
    session : `Session`
        Events, telemetry and command history to follow.
    geometry : `CellGeometry` or None
        Actuator labels and rings (default: the packaged geometry).

    Signals
    -------
    changed(LimitSwitchChange)
        After switches changed (tripped, came near, reset) or the limits changed.
    """

    changed = Signal(object)

    def __init__(self, session: Session, geometry: CellGeometry | None = None) -> None:
        self.session = session
        self.catalogue = session.catalogue
        self.geometry = geometry or load_geometry()
        n = len(self.geometry.labels)
        self.count = n
        self.n_axial = self.geometry.n_axial
        self._tripped: BoolArray = np.zeros((2, n), bool)
        self._near: BoolArray = np.zeros((2, n), bool)
        self._near_now: BoolArray = np.zeros((2, n), bool)
        self._tripped_at: FloatArray = np.full((2, n), np.nan)
        self._near_at: FloatArray = np.full((2, n), np.nan)
        self._peak: FloatArray = np.zeros((2, n))
        self._force: FloatArray = np.full(n, np.nan)
        self._tangent: BoolArray = np.arange(n) >= self.n_axial
        self._limits = self._current_limits()
        self._thresholds = self._threshold_array(self._limits)
        self._resets = ResetWatch()
        #: Hardware trips reported since m2gui started (never reset; for the log).
        self.trips_seen = 0
        session.events.updated.connect(self._on_event)
        session.telemetry.arrived.connect(self._on_telemetry)
        session.history.appended.connect(self._on_record_appended)
        session.history.updated.connect(self._on_record)
        for topic in FORCE_TOPICS:
            if session.telemetry.buffer(topic) is not None:
                self._read_forces(topic)
        self._evaluate(announce=False)

    # ------------------------------------------------------------------
    # What views read
    # ------------------------------------------------------------------
    @property
    def limits(self) -> ForceLimits:
        """The software limits of the current mode."""
        return self._limits

    def label(self, index: int) -> str:
        """The ring name of an actuator (B1..A6)."""
        return self.geometry.labels[index]

    def state(self, index: int, direction: str) -> SwitchState:
        """One switch (0-based actuator, "retract" or "extend")."""
        d = DIRECTIONS.index(direction)
        return SwitchState(
            tripped=bool(self._tripped[d, index]),
            near=bool(self._near[d, index]),
            near_now=bool(self._near_now[d, index]),
            tripped_at=_time(self._tripped_at[d, index]),
            near_at=_time(self._near_at[d, index]),
            peak=float(self._peak[d, index]),
        )

    def lamp(self, index: int, direction: str) -> Lamp:
        """Colour, word and detail of one switch."""
        tangent = bool(self._tangent[index])
        return switch_lamp(
            self.state(index, direction),
            self.label(index),
            direction,
            self._limits.limit(tangent),
            self.force(index),
        )

    def force(self, index: int) -> float | None:
        """The latest measured force of an actuator (N), or None."""
        value = float(self._force[index])
        return None if math.isnan(value) else value

    def force_signal(self, index: int) -> str:
        """The telemetry signal of an actuator's measured force (for plotting)."""
        if index < self.n_axial:
            return f"axialForce.measured[{index}]"
        return f"tangentForce.measured[{index - self.n_axial}]"

    def tripped(self) -> list[tuple[int, str]]:
        """Switches tripped since the last reset, by actuator."""
        return self._where(self._tripped)

    def near(self) -> list[tuple[int, str]]:
        """Switches yellow now (came near, not tripped), by actuator."""
        return self._where(self._near & ~self._tripped)

    def reset(self) -> None:
        """Clear every mark (what a successful ``clearErrors`` does)."""
        changed = self._where(self._tripped | self._near | self._near_now)
        self._tripped[:] = False
        self._near[:] = False
        self._near_now[:] = False
        self._tripped_at[:] = np.nan
        self._near_at[:] = np.nan
        self._peak[:] = 0.0
        self.changed.emit(LimitSwitchChange(frozenset(changed), reset=True))

    # ------------------------------------------------------------------
    # Store signals
    # ------------------------------------------------------------------
    def _on_event(self, entry_id: str) -> None:
        if entry_id == "limitSwitchStatus":
            self._on_trip()
        elif entry_id in MODE_EVENTS:
            limits = self._current_limits()
            if limits != self._limits:
                log.info("limit-switch margins now for %s", limits.text)
                self._limits = limits
                self._thresholds = self._threshold_array(limits)
                self._evaluate(limits_changed=True)

    def _on_telemetry(self, topic: str) -> None:
        if topic in FORCE_TOPICS:
            self._read_forces(topic)
            self._evaluate()

    def _on_record_appended(self, record: CommandRecord, dropped: int) -> None:
        self._on_record(record)

    def _on_record(self, record: CommandRecord) -> None:
        if self._resets.is_new_reset(record):
            log.info("clearErrors succeeded: clearing the limit-switch marks")
            self.reset()

    # ------------------------------------------------------------------
    def _current_limits(self) -> ForceLimits:
        events = self.session.events
        mode = limit_mode(
            events.value("forceBalanceSystemStatus", "status"),
            events.value("openLoopMaxLimit", "status"),
            events.value("closedLoopControlMode", "mode"),
        )
        return force_limits(self.catalogue, mode)

    def _threshold_array(self, limits: ForceLimits) -> FloatArray:
        return np.where(self._tangent, limits.threshold(True), limits.threshold(False))

    def _read_forces(self, topic: str) -> None:
        buffer = self.session.telemetry.buffer(topic)
        if buffer is None or buffer.count == 0 or "measured" not in buffer.columns:
            return
        values = buffer.values(buffer.columns["measured"])[-1]
        if topic == "axialForce":
            n = min(len(values), self.n_axial)
            self._force[:n] = values[:n]
        else:
            n = min(len(values), self.count - self.n_axial)
            self._force[self.n_axial : self.n_axial + n] = values[:n]

    def _evaluate(self, announce: bool = True, limits_changed: bool = False) -> None:
        force = self._force
        thresholds = self._thresholds
        with np.errstate(invalid="ignore"):
            near_now = np.stack([force >= thresholds, force <= -thresholds])
            towards = np.stack([force, -force])
            self._peak = np.fmax(self._peak, np.where(towards > 0, towards, 0.0))
        newly = near_now & ~self._near
        changed = newly | (near_now != self._near_now)
        if newly.any():
            self._near_at[newly] = time.time()
            self._near |= newly
            for index, direction in self._where(newly):
                log.info(
                    "%s %s: measured force %.1f N within 5 %% of the %s limit",
                    self.label(index),
                    direction,
                    force[index],
                    self._limits.mode.value,
                )
        self._near_now = near_now
        if announce and (changed.any() or limits_changed):
            self.changed.emit(
                LimitSwitchChange(frozenset(self._where(changed)), limits=limits_changed)
            )

    def _on_trip(self) -> None:
        entry = self.session.events.latest.get("limitSwitchStatus")
        if entry is None:
            return
        now = time.time()
        changed: list[tuple[int, str]] = []
        for d, direction in enumerate(DIRECTIONS):
            for index in _indices(entry.fields.get(direction), self.count):
                if not self._tripped[d, index]:
                    self._tripped[d, index] = True
                    self._tripped_at[d, index] = now
                    self.trips_seen += 1
                    changed.append((index, direction))
                    log.warning("limit switch tripped: %s %s", self.label(index), direction)
        if changed:
            self.changed.emit(LimitSwitchChange(frozenset(changed)))

    def _where(self, mask: BoolArray) -> list[tuple[int, str]]:
        sides, indices = np.nonzero(mask)
        pairs = [(int(i), DIRECTIONS[int(d)]) for d, i in zip(sides, indices, strict=True)]
        return sorted(pairs)


def _indices(value: Any, count: int) -> Iterable[int]:
    """The valid 0-based actuator ids of a ``limitSwitchStatus`` list."""
    if not isinstance(value, list):
        return []
    return [
        v
        for v in value[:MAX_LIST_ITEMS]
        if isinstance(v, int) and not isinstance(v, bool) and 0 <= v < count
    ]


def _time(value: float) -> float | None:
    return None if math.isnan(value) else float(value)


def no_tripped_switch(session: Session) -> str | None:
    """A command rule: refuse while a limit switch is tripped (the incumbent blocks Enable).

    Use with `m2gui.ui.controls.CommandButton` or `Session.blocked_reason`.
    """
    tripped = session.store(LimitSwitches).tripped()
    if not tripped:
        return None
    store = session.store(LimitSwitches)
    names = ", ".join(f"{store.label(i)} {d}" for i, d in tripped[:4])
    more = f" and {len(tripped) - 4} more" if len(tripped) > 4 else ""
    return f"limit switch tripped ({names}{more}): reset first (clearErrors)"
