"""`Overview`: who commands, in what mode, and the ten status flags of the cell.

The incumbent GUI's Overview table, Qt-free: the commander (CSC or GUI), the
local mode (from the local-mode sequencer's `LocalMode` store), the
controller's closed-loop control mode and inclination source as text, and ten
flags with the incumbent's colour rules (see `m2gui.model.ops.overview_rules`).
One instance per session: ``session.store(Overview)``.
"""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING, Any

from psygnal import Signal

from m2gui.net import CommandRecord

from ..procedures.runner import ProcedureRunner
from .local_mode import LocalMode
from .overview_lamps import Level
from .overview_rules import (
    FLAG_KEYS,
    STALE_AFTER,
    Flag,
    Reading,
    ResetWatch,
    as_bool,
    as_status,
    classify_code,
    commander_text,
    make_flag,
    power_bits,
)

if TYPE_CHECKING:
    from ..session import Session

__all__ = ["MAX_LATCHED", "READING_KEYS", "WATCHED_EVENTS", "Overview"]

log = logging.getLogger(__name__)

#: Most error codes remembered as raised since the last reset. The fault-bit
#: table has 61 real codes; only a legacy ``errorCode`` event could bring others.
MAX_LATCHED = 128
#: The large-text readings, in order.
READING_KEYS = ("commander", "local_mode", "control_mode", "inclination_source")
#: Events the overview reads (others are ignored cheaply).
WATCHED_EVENTS = frozenset(
    {
        "tcpIpConnected",
        "commandableByDDS",
        "m2AssemblyInPosition",
        "digitalOutput",
        "openLoopMaxLimit",
        "summaryFaultsStatus",
        "errorCode",
        "interlock",
        "cellTemperatureHiWarning",
        "closedLoopControlMode",
        "inclinationTelemetrySource",
        "forceBalanceSystemStatus",
    }
)
#: Flags whose event the controller sends only while true (or on change): no
#: report on a connection means false.
_FALSE_UNTIL_REPORTED = frozenset({"in_position", "cell_temperature"})


class Overview:
    """The overview's state, recomputed from the stores, announced on change.

    Parameters
    ----------
    session : `Session`
        Where the events, the link and the command history come from.

    Signals
    -------
    changed(frozenset)
        After the overview changed, with the keys that changed (of
        `FLAG_KEYS` and `READING_KEYS`).

    Notes
    -----
    Telemetry age moves with the clock: a view calls `refresh` now and then
    (a clock timer) so that "telemetry active" turns stale without an event.
    """

    changed = Signal(frozenset)

    def __init__(self, session: Session) -> None:
        self.session = session
        self.catalogue = session.catalogue
        #: Codes raised since the last successful ``clearErrors``: code -> first time.
        self.latched: dict[int, float] = {}
        #: Codes reported by the legacy ``errorCode`` event since the last reset.
        self.legacy: dict[int, float] = {}
        self._resets = ResetWatch()
        self._flags: dict[str, Flag] = {}
        self._readings: dict[str, Reading] = {}
        #: The GUI-side local mode (Standby / Diagnostic / Enable) and its procedures.
        self.local_mode = session.store(LocalMode)
        self.runner = session.store(ProcedureRunner)
        self.local_mode.changed.connect(self._on_local_mode)
        self.runner.changed.connect(self._on_local_mode)
        session.events.updated.connect(self._on_event)
        session.link.changed.connect(self._on_link)
        session.telemetry.arrived.connect(self._on_telemetry)
        session.history.appended.connect(self._on_record_appended)
        session.history.updated.connect(self._on_record)
        self._note_status()
        self._update(announce=False)

    # ------------------------------------------------------------------
    # What views read
    # ------------------------------------------------------------------
    @property
    def flags(self) -> list[Flag]:
        """The ten flags, in the incumbent's order."""
        return [self._flags[key] for key in FLAG_KEYS]

    def flag(self, key: str) -> Flag:
        """One flag by key (one of `FLAG_KEYS`)."""
        return self._flags[key]

    @property
    def readings(self) -> list[Reading]:
        """Commander, local mode, control mode, inclination source."""
        return [self._readings[key] for key in READING_KEYS]

    def reading(self, key: str) -> Reading:
        """One reading by key (one of `READING_KEYS`)."""
        return self._readings[key]

    def refresh(self, now: float | None = None) -> None:
        """Recompute what moves with the clock (telemetry age); announce changes."""
        self._update(now)

    # ------------------------------------------------------------------
    # Store signals
    # ------------------------------------------------------------------
    def _on_event(self, entry_id: str) -> None:
        if entry_id not in WATCHED_EVENTS:
            return
        if entry_id == "summaryFaultsStatus":
            self._note_status()
        elif entry_id == "errorCode":
            self._note_error_code()
        self._update()

    def _on_link(self, *_: Any) -> None:
        self._update()

    def _on_local_mode(self, *_: Any) -> None:
        self._update()

    def _on_telemetry(self, topic: str) -> None:
        # 20 Hz per topic: only the first sample after a quiet spell matters.
        if self._flags["telemetry"].state is not True:
            self._update()

    def _on_record_appended(self, record: CommandRecord, dropped: int) -> None:
        self._on_record(record)

    def _on_record(self, record: CommandRecord) -> None:
        if self._resets.is_new_reset(record):
            log.info("clearErrors succeeded: clearing the latched alarms and warnings")
            self.latched.clear()
            self.legacy.clear()
            self._note_status()
            self._update()

    # ------------------------------------------------------------------
    # Latching
    # ------------------------------------------------------------------
    def _note_status(self) -> None:
        status = as_status(self.session.events.value("summaryFaultsStatus", "status"))
        if status is None:
            return
        now = time.time()
        for row in self.catalogue.fault_codes(status):
            if row["kind"] in ("fault", "warning"):
                self._latch(self.latched, int(row["code"]), now)

    def _note_error_code(self) -> None:
        code = self.session.events.value("errorCode", "errorCode")
        if isinstance(code, bool) or not isinstance(code, int) or code.bit_length() > 32:
            return
        if classify_code(self.catalogue, code) is None:
            return
        now = time.time()
        self._latch(self.legacy, code, now)
        self._latch(self.latched, code, now)

    @staticmethod
    def _latch(codes: dict[int, float], code: int, now: float) -> None:
        if code not in codes and len(codes) < MAX_LATCHED:
            codes[code] = now

    # ------------------------------------------------------------------
    # Recomputing
    # ------------------------------------------------------------------
    def _update(self, now: float | None = None, announce: bool = True) -> None:
        flags = {flag.key: flag for flag in self._compute_flags(now)}
        readings = {r.key: r for r in self._compute_readings()}
        changed = {k for k, v in flags.items() if self._flags.get(k) != v}
        changed |= {k for k, v in readings.items() if self._readings.get(k) != v}
        self._flags, self._readings = flags, readings
        if changed and announce:
            self.changed.emit(frozenset(changed))

    def _compute_flags(self, now: float | None) -> list[Flag]:
        session = self.session
        events = session.events
        link = session.link.status
        out = [self._connected_flag(), self._telemetry_flag(now)]
        comm, motor = power_bits(self.catalogue, events.value("digitalOutput", "value"))
        values: dict[str, bool | None] = {
            "in_position": as_bool(events.value("m2AssemblyInPosition", "inPosition")),
            "comm_power": comm,
            "motor_power": motor,
            "max_limits": as_bool(events.value("openLoopMaxLimit", "status")),
        }
        for key, value in values.items():
            out.append(self._event_flag(key, value, link.connected))
        out.extend(self._fault_flags(link.connected))
        out.append(
            self._event_flag(
                "interlock", as_bool(events.value("interlock", "state")), link.connected
            )
        )
        hi = as_bool(events.value("cellTemperatureHiWarning", "hiWarning"))
        out.append(self._event_flag("cell_temperature", hi, link.connected))
        return out

    def _connected_flag(self) -> Flag:
        link = self.session.link.status
        if not link.connected:
            detail = f"m2gui is {link.text} ({link.address})"
            if link.last_error:
                detail += f": {link.last_error[:200]}"
            return make_flag("connected", False, detail)
        reported = self.session.events.value("tcpIpConnected", "isConnected")
        if reported is False:
            return make_flag(
                "connected",
                False,
                f"linked to {link.address}, but the controller reports tcpIpConnected false",
            )
        return make_flag("connected", True, f"linked to {link.address}")

    def _telemetry_flag(self, now: float | None) -> Flag:
        link = self.session.link
        if not link.connected:
            return make_flag("telemetry", False, "no link to the controller")
        age = link.telemetry_age(now)
        if age is None:
            return make_flag("telemetry", False, "no telemetry received on this connection")
        if age <= STALE_AFTER:
            return make_flag("telemetry", True, "telemetry is arriving")
        return make_flag(
            "telemetry",
            False,
            f"connected, but no telemetry for {age:.0f} s",
            word="STALE",
            level=Level.WARNING,
        )

    def _event_flag(self, key: str, value: bool | None, connected: bool) -> Flag:
        if not connected:
            last = "not reported" if value is None else ("on" if value else "off")
            return make_flag(key, None, f"no link to the controller (last reported: {last})")
        if value is None:
            if key in _FALSE_UNTIL_REPORTED:
                return make_flag(key, False, "not reported (the controller sends it while true)")
            return make_flag(key, None, "not reported by the controller yet")
        return make_flag(key, value, "reported " + ("on" if value else "off"))

    def _fault_flags(self, connected: bool) -> list[Flag]:
        status = as_status(self.session.events.value("summaryFaultsStatus", "status"))
        active: set[int] = set(self.legacy)
        if status is not None:
            active |= {int(row["code"]) for row in self.catalogue.fault_codes(status)}
        out = []
        for key, kind in (("alarm", "fault"), ("warning", "warning")):
            now_codes = sorted(c for c in active if classify_code(self.catalogue, c) == kind)
            was_codes = sorted(
                c
                for c in self.latched
                if c not in active and classify_code(self.catalogue, c) == kind
            )
            if not connected:
                out.append(
                    make_flag(
                        key,
                        None,
                        "no link to the controller"
                        + (f" (last active: {_codes(now_codes)})" if now_codes else ""),
                    )
                )
            elif now_codes:
                detail = f"active: {_codes(now_codes)}"
                if was_codes:
                    detail += f"; raised since the last reset, now clear: {_codes(was_codes)}"
                out.append(make_flag(key, True, detail))
            elif was_codes:
                out.append(
                    make_flag(
                        key,
                        True,
                        f"raised since the last reset, now clear: {_codes(was_codes)}; "
                        "Reset (clearErrors) clears it",
                        word="LATCHED",
                    )
                )
            elif status is None and not self.legacy:
                out.append(make_flag(key, False, "no summaryFaultsStatus reported yet"))
            else:
                out.append(make_flag(key, False, f"no {kind}-class code active"))
        return out

    def _compute_readings(self) -> list[Reading]:
        session = self.session
        events = session.events
        connected = session.link.connected

        def shown(text: str) -> str:
            return text if connected else "unknown"

        def stale(detail: str, text: str) -> str:
            return detail if connected else f"no link to the controller (last reported: {text})"

        commander = commander_text(events.value("commandableByDDS", "state"))
        commander_detail = {
            "CSC": "commandableByDDS.state is true: the CSC commands; m2gui may only send "
            "switchCommandSource",
            "GUI": "commandableByDDS.state is false: the GUI (m2gui) commands",
        }.get(commander, "commandableByDDS not reported yet")
        mode = self._control_mode_text()
        balance = events.value("forceBalanceSystemStatus", "status")
        balance_text = (
            {True: "on", False: "off"}.get(balance, "not reported")
            if isinstance(balance, bool)
            else "not reported"
        )
        mode_detail = (
            f"closedLoopControlMode.mode; force balance system (closed loop): {balance_text}"
        )
        source = events.value("inclinationTelemetrySource", "source")
        source_text = (
            self.catalogue.enum_name("InclinationTelemetrySource", source)
            if isinstance(source, int) and not isinstance(source, bool)
            else "unknown"
        )
        local = self._local_mode()
        return [
            Reading("commander", "Commander", shown(commander), stale(commander_detail, commander)),
            Reading("local_mode", "Local mode", local[0], local[1]),
            Reading("control_mode", "Control mode", shown(mode), stale(mode_detail, mode)),
            Reading(
                "inclination_source",
                "Inclination source",
                shown(source_text),
                stale(
                    "inclinationTelemetrySource.source: ONBOARD = the cell's inclinometer, "
                    "MTMOUNT = the telescope mount's elevation",
                    source_text,
                ),
            ),
        ]

    def _control_mode_text(self) -> str:
        mode = self.session.events.value("closedLoopControlMode", "mode")
        if isinstance(mode, int) and not isinstance(mode, bool) and mode.bit_length() <= 32:
            return self.catalogue.enum_name("ClosedLoopControlMode", mode)
        return "unknown"

    def _local_mode(self) -> tuple[str, str]:
        mode = self.local_mode.mode.value
        detail = (
            "m2gui's own local mode (Standby, Diagnostic, Enable), as the incumbent's: it "
            "changes only when a transition of the local-mode sequencer succeeds, or on the "
            "automatic drop from Enable to Diagnostic on a fault"
        )
        running = self.runner.current
        if running is not None:
            detail += f"; now running: {running.name}"
        return mode, detail


def _codes(codes: list[int]) -> str:
    shown = ", ".join(str(c) for c in codes[:12])
    return shown + (f" and {len(codes) - 12} more" if len(codes) > 12 else "")
