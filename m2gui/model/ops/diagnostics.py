"""`Diagnostics`: what the Diagnostics view shows, kept up to date from the stores.

Power (calibrated and raw), the tangent load-cell check, the 8 digital outputs,
the 32 digital inputs, the controller's closed-loop control mode and whether
fault 6088 is raised. All of it is fixed-size: latest values only.
"""

from __future__ import annotations

import logging
import math
from typing import TYPE_CHECKING

import numpy as np
from psygnal import Signal

from .diagnostics_load_cell import (
    FAULT_CODE,
    LoadCellRow,
    LoadCellThresholds,
    TangentErrors,
    check_load_cells,
    tangent_errors,
)
from .diagnostics_power import CALIBRATED, POWER_FIELDS, RAW, PowerRow, power_rows
from .digital_io import Bit, decode_bits, digital_inputs, digital_outputs, input_lamp
from .overview_lamps import Lamp

if TYPE_CHECKING:
    from ..session import Session
    from ..telemetry import TopicBuffer

__all__ = ["ASPECTS", "Diagnostics"]

log = logging.getLogger(__name__)

#: What `Diagnostics.changed` names.
ASPECTS = ("power", "load_cell", "outputs", "inputs", "mode", "fault")

_EVENT_ASPECTS = {
    "digitalOutput": "outputs",
    "digitalInput": "inputs",
    "powerSystemState[Motor]": "inputs",
    "powerSystemState[Communication]": "inputs",
    "closedLoopControlMode": "mode",
    "summaryFaultsStatus": "fault",
}


class Diagnostics:
    """The Diagnostics view's state, one per session (``session.store(Diagnostics)``).

    Parameters
    ----------
    session : `Session`
        Where telemetry and events come from.

    Signals
    -------
    changed(str)
        After an aspect changed, with its name (one of `ASPECTS`).
    """

    changed = Signal(str)

    def __init__(self, session: Session) -> None:
        self.session = session
        self.catalogue = session.catalogue
        self.outputs_bits: list[Bit] = digital_outputs(self.catalogue)
        self.inputs_bits: list[Bit] = digital_inputs(self.catalogue)
        self.thresholds = LoadCellThresholds.from_catalogue(self.catalogue)
        self.mirror_kg = float(self.catalogue.constants["MIRROR_WEIGHT_KG"])
        self._fault_bit = next(
            (int(r["bit"]) for r in self.catalogue.fault_bits if r["code"] == FAULT_CODE), None
        )
        self.power: list[PowerRow] = power_rows(self.catalogue, None, None)
        self.elevation: float | None = None
        self.errors = TangentErrors((math.nan,) * 6, math.nan, math.nan)
        self.reported: TangentErrors | None = None
        self.load_cells: list[LoadCellRow] = check_load_cells(self.thresholds, self.errors)
        self.outputs: list[bool] | None = None
        self.inputs: list[bool] | None = None
        #: ``powerSystemState`` of each feed: (status, state), None when not reported.
        self.feeds: dict[str, tuple[bool | None, int | None]] = {}
        self.mode: int | None = None
        self.fault_active: bool | None = None
        session.telemetry.arrived.connect(self._on_telemetry)
        session.events.updated.connect(self._on_event)
        for topic in (CALIBRATED, "zenithAngle", "forceErrorTangent", "tangentForce"):
            if session.telemetry.buffer(topic) is not None:
                self._on_telemetry(topic)
        for name in _EVENT_ASPECTS:
            self._update_event(name)

    # ------------------------------------------------------------------
    @property
    def load_cell_failed(self) -> bool | None:
        """True if any load-cell row fails; None if none could be computed."""
        states = [row.failed for row in self.load_cells]
        if any(states):
            return True
        return None if all(s is None for s in states) else False

    def output_on(self, index: int) -> bool | None:
        """Whether digital output ``index`` is set (None before the first event)."""
        return None if self.outputs is None else self.outputs[index]

    def input_lamp(self, index: int) -> Lamp:
        """The lamp of digital input ``index`` (breakers by their feed's power state)."""
        bit = self.inputs_bits[index]
        raw = None if self.inputs is None else self.inputs[index]
        on, state = self.feeds.get(bit.feed or "", (None, None))
        return input_lamp(bit, raw, on, state)

    # ------------------------------------------------------------------
    def _latest(self, topic: str) -> dict[str, np.ndarray] | None:
        buffer: TopicBuffer | None = self.session.telemetry.buffer(topic)
        if buffer is None or buffer.count == 0:
            return None
        row = buffer.values()[-1]
        return {name: row[cols] for name, cols in buffer.columns.items()}

    def _on_telemetry(self, topic: str) -> None:
        if topic in (CALIBRATED, RAW):
            values = {}
            for name in (CALIBRATED, RAW):
                latest = self._latest(name)
                values[name] = (
                    None
                    if latest is None
                    else {f: float(latest[f][0]) for f, _ in POWER_FIELDS if f in latest}
                )
            self.power = power_rows(self.catalogue, values[CALIBRATED], values[RAW])
            self.changed.emit("power")
        elif topic == "zenithAngle":
            latest = self._latest(topic)
            angle = None if latest is None else float(latest["inclinometerProcessed"][0])
            self.elevation = angle if angle is not None and math.isfinite(angle) else None
        elif topic == "tangentForce":
            latest = self._latest(topic)
            if latest is not None:
                measured = [float(v) for v in latest["measured"]]
                self.errors = tangent_errors(measured, self.elevation, self.mirror_kg)
                self._recheck()
        elif topic == "forceErrorTangent":
            latest = self._latest(topic)
            if latest is not None:
                self.reported = TangentErrors(
                    tuple(float(v) for v in latest["force"]),
                    float(latest["weight"][0]),
                    float(latest["sum"][0]),
                )
                self._recheck()

    def _recheck(self) -> None:
        self.load_cells = check_load_cells(self.thresholds, self.errors, self.reported)
        self.changed.emit("load_cell")

    def _on_event(self, entry_id: str) -> None:
        if entry_id in _EVENT_ASPECTS and self._update_event(entry_id):
            self.changed.emit(_EVENT_ASPECTS[entry_id])

    def _update_event(self, name: str) -> bool:
        """Read event ``name`` again; True if what it stands for changed."""
        value = self.session.events.value
        if name == "digitalOutput":
            outputs = decode_bits(value(name, "value"), len(self.outputs_bits))
            changed = outputs != self.outputs
            self.outputs = outputs
        elif name == "digitalInput":
            inputs = decode_bits(value(name, "value"), len(self.inputs_bits))
            changed = inputs != self.inputs
            self.inputs = inputs
        elif name.startswith("powerSystemState["):
            entry = self.session.events.latest.get(name)
            fields = {} if entry is None else entry.fields
            status, state = fields.get("status"), fields.get("state")
            feed = (
                status if isinstance(status, bool) else None,
                state if isinstance(state, int) and not isinstance(state, bool) else None,
            )
            key = name.removeprefix("powerSystemState[").removesuffix("]")
            changed = feed != self.feeds.get(key)
            self.feeds[key] = feed
        elif name == "closedLoopControlMode":
            mode = value(name, "mode")
            known = mode if isinstance(mode, int) and not isinstance(mode, bool) else None
            changed = known != self.mode
            self.mode = known
        else:
            bits = decode_bits(value(name, "status"), 64)
            active = None if bits is None or self._fault_bit is None else bits[self._fault_bit]
            changed = active != self.fault_active
            self.fault_active = active
        return changed
