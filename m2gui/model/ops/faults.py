"""`FaultLog`: every code of the fault-bit table, its state, when it was seen and how often.

It follows ``summaryFaultsStatus.status`` (uint64, exact) and
``enabledFaultsMask.mask`` from the event store. For each of the 64 codes of
the fault-bit table it keeps:

- its **state**: *active* (its bit is set in the latest status), *latched*
  (its bit was set at some time since the last reset and is clear now) or
  *clear*;
- **first seen**: when it first rose since m2gui started; **last seen**: the
  last time m2gui knew it set (the latest report while active, the time it
  fell otherwise); **count**: how many times it rose since m2gui started;
- whether the enabled-faults mask enables it, and whether it is **bypassed**
  (enabled by the default mask, disabled now).

A **reset** is a ``clearErrors`` sent through this session that ends in
success (seen on ``session.history.updated``): every latched code goes back to
clear; a code still set stays active (and becomes latched when it falls), and
each success resets once however often its record is updated. The
controller sends its new ``summaryFaultsStatus`` before the ``success`` reply,
so the falls it causes are recorded first. Resets sent by another client (the
CSC) are not seen: the latch is m2gui's, as the incumbent's red rows are.

Rises and falls go to a bounded `Timeline` with their receive times
(``time.time()``, the clock of the plots). The incumbent's own rule (rows
clear only on Reset All Items; a dropped bit does not clear a row) is the
latched state here.
"""

from __future__ import annotations

import enum
import logging
from collections import deque
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from psygnal import Signal

from m2gui.net import CommandRecord, Outcome
from m2gui.net.ratelog import RateLimitedLog

from .fault_mask import bypassed_codes, default_mask, is_uint64
from .faults_table import FAULT, WARNING, FaultCode, FaultTable, fault_table
from .faults_timeline import DEFAULT_TRANSITIONS, Timeline, Transition

if TYPE_CHECKING:
    from ..session import Session

__all__ = [
    "MASK_EVENT",
    "RESET_COMMAND",
    "STATUS_EVENT",
    "FaultChange",
    "FaultEntry",
    "FaultLog",
    "FaultState",
]

log = logging.getLogger(__name__)

STATUS_EVENT = "summaryFaultsStatus"
MASK_EVENT = "enabledFaultsMask"
#: The legacy event that names one raised code (no fall is ever reported).
LEGACY_EVENT = "errorCode"
RESET_COMMAND = "clearErrors"
#: Recent clearErrors records remembered, so that one success resets once.
RESETS_REMEMBERED = 16


class FaultState(enum.Enum):
    """The state of one code."""

    ACTIVE = "active"
    LATCHED = "latched"
    CLEAR = "clear"


@dataclass
class FaultEntry:
    """What m2gui knows of one code of the fault-bit table."""

    row: FaultCode
    active: bool = False
    #: Set at some time since the last reset (see `FaultLog`).
    latched: bool = False
    first_seen: float | None = None
    last_seen: float | None = None
    #: Time of the latest rise.
    last_rise: float | None = None
    #: Rises since m2gui started.
    count: int = 0
    #: Whether the enabled-faults mask enables it (None until a mask is known).
    enabled: bool | None = None
    #: Enabled by the default mask and disabled by the current one.
    bypassed: bool = False

    @property
    def code(self) -> int:
        return self.row.code

    @property
    def state(self) -> FaultState:
        """Active, latched or clear."""
        if self.active:
            return FaultState.ACTIVE
        return FaultState.LATCHED if self.latched else FaultState.CLEAR

    @property
    def ever_seen(self) -> bool:
        """True once it has risen since m2gui started."""
        return self.count > 0


@dataclass(frozen=True)
class FaultChange:
    """What one update of the `FaultLog` changed (announced by ``changed``)."""

    time: float
    rose: tuple[int, ...] = ()
    fell: tuple[int, ...] = ()
    #: True when a successful clearErrors cleared the latches.
    reset: bool = False
    #: True when the enabled-faults mask changed.
    mask: bool = False
    #: True when the status was reported again (last seen times moved).
    seen: bool = False


class FaultLog:
    """The state of every fault code for one session (``session.store(FaultLog)``).

    Parameters
    ----------
    session : `Session`
        Whose event store and command history it follows.
    timeline : `int`
        Most rises and falls kept in `timeline`.

    Attributes
    ----------
    entries : `dict` [`int`, `FaultEntry`]
        One per code of the fault-bit table, by bit order.
    status : `int` or None
        The latest ``summaryFaultsStatus.status``.
    mask : `int` or None
        The latest ``enabledFaultsMask.mask``.
    timeline : `Timeline`
        Rises and falls, oldest first.
    bad_values : `int`
        Status or mask values ignored because they were not uint64 integers.
    resets : `int`
        Successful clearErrors seen.

    Signals
    -------
    changed(FaultChange)
        After the state changed, with what changed.
    """

    changed = Signal(FaultChange)

    def __init__(self, session: Session, timeline: int = DEFAULT_TRANSITIONS) -> None:
        self.session = session
        self.table: FaultTable = fault_table(session.catalogue)
        self.default_mask = default_mask(session.catalogue)
        self.entries: dict[int, FaultEntry] = {r.code: FaultEntry(r) for r in self.table}
        self.status: int | None = None
        self.status_time: float | None = None
        self.mask: int | None = None
        self.timeline = Timeline(timeline)
        self.bad_values = 0
        self.resets = 0
        self.last_reset: float | None = None
        self._resets_seen: deque[CommandRecord] = deque(maxlen=RESETS_REMEMBERED)
        self._problem_log = RateLimitedLog(log, burst=3, interval=10.0)
        self._transition_log = RateLimitedLog(log, burst=20, interval=1.0)
        events = session.events
        for name in (MASK_EVENT, STATUS_EVENT):
            if name in events.latest:
                self._on_event(name)
        events.updated.connect(self._on_event)
        session.history.appended.connect(self._on_record_appended)
        session.history.updated.connect(self._on_record)

    # ------------------------------------------------------------------
    # Reading
    # ------------------------------------------------------------------
    def entry(self, code: int) -> FaultEntry:
        """The entry of ``code``.

        Raises
        ------
        KeyError
            If ``code`` is not in the fault-bit table.
        """
        return self.entries[code]

    def in_state(self, state: FaultState) -> list[FaultEntry]:
        """Entries in ``state``, by code."""
        return sorted((e for e in self.entries.values() if e.state is state), key=_by_code)

    @property
    def active_codes(self) -> list[int]:
        """Codes set now, by code."""
        return [e.code for e in self.in_state(FaultState.ACTIVE)]

    def counts(self) -> dict[str, int]:
        """How many faults and warnings are active, and how many codes are latched."""
        active = self.in_state(FaultState.ACTIVE)
        return {
            "faults": sum(e.row.kind == FAULT for e in active),
            "warnings": sum(e.row.kind == WARNING for e in active),
            "other": sum(e.row.kind not in (FAULT, WARNING) for e in active),
            "latched": len(self.in_state(FaultState.LATCHED)),
        }

    @property
    def bypassed(self) -> list[FaultCode]:
        """Fault and warning codes the current mask bypasses (versus the default)."""
        if self.mask is None:
            return []
        return bypassed_codes(self.mask, self.default_mask, self.table)

    # ------------------------------------------------------------------
    # Following the stores
    # ------------------------------------------------------------------
    def _on_event(self, entry_id: str) -> None:
        if entry_id not in (STATUS_EVENT, MASK_EVENT, LEGACY_EVENT):
            return
        entry = self.session.events.latest.get(entry_id)
        if entry is None:
            return
        if entry_id == STATUS_EVENT:
            self.on_status(entry.fields.get("status"), entry.time)
        elif entry_id == MASK_EVENT:
            self.on_mask(entry.fields.get("mask"), entry.time)
        else:
            self.on_legacy_code(entry.fields.get("errorCode"), entry.time)

    def _on_record_appended(self, record: CommandRecord, dropped: int) -> None:
        self._on_record(record)  # a record may already be final when it is appended

    def _on_record(self, record: CommandRecord) -> None:
        if record.name != RESET_COMMAND or record.outcome is not Outcome.SUCCESS:
            return
        if any(r is record for r in self._resets_seen):
            return
        self._resets_seen.append(record)
        t = record.sent_at + (record.done_latency or 0.0)
        self.reset(t)

    # ------------------------------------------------------------------
    # Updating (public so tests and replays can drive it)
    # ------------------------------------------------------------------
    def on_status(self, status: Any, t: float) -> None:
        """A ``summaryFaultsStatus`` reported ``status`` at time ``t``."""
        if not is_uint64(status):
            self._bad("status", status)
            return
        old = self.status or 0
        rose_bits = status & ~old
        fell_bits = old & ~status
        self.status = status
        self.status_time = t
        rose: list[int] = []
        fell: list[int] = []
        transitions: list[Transition] = []
        for row in self.table:
            entry = self.entries[row.code]
            if rose_bits >> row.bit & 1:
                entry.active = entry.latched = True
                entry.count += 1
                entry.last_rise = t
                if entry.first_seen is None:
                    entry.first_seen = t
                rose.append(row.code)
                transitions.append(Transition(t, row.code, True))
            elif fell_bits >> row.bit & 1:
                entry.active = False
                fell.append(row.code)
                transitions.append(Transition(t, row.code, False))
            if status >> row.bit & 1 or fell_bits >> row.bit & 1:
                entry.last_seen = t
        self.timeline.add(transitions)
        if rose or fell:
            self._transition_log(
                logging.INFO,
                "transitions",
                f"faults: {f'raised {rose} ' if rose else ''}"
                f"{f'cleared {fell} ' if fell else ''}(status 0x{status:016X})",
            )
        self.changed.emit(FaultChange(t, tuple(rose), tuple(fell), seen=status != 0))

    def on_mask(self, mask: Any, t: float) -> None:
        """An ``enabledFaultsMask`` reported ``mask`` at time ``t``."""
        if not is_uint64(mask):
            self._bad("mask", mask)
            return
        changed = mask != self.mask
        self.mask = mask
        for row in self.table:
            entry = self.entries[row.code]
            entry.enabled = bool(mask & row.value)
            entry.bypassed = bool(self.default_mask & row.value) and not entry.enabled
        if changed:
            log.info("enabled faults mask 0x%016X", mask)
            self.changed.emit(FaultChange(t, mask=True))

    def on_legacy_code(self, code: Any, t: float) -> None:
        """A legacy ``errorCode`` event: the code was raised (its fall is never reported).

        Counted as a rise and latched, without becoming active.
        """
        if isinstance(code, bool) or not isinstance(code, int) or code not in self.entries:
            self._bad("errorCode", code)
            return
        entry = self.entries[code]
        entry.latched = True
        entry.count += 1
        entry.last_rise = entry.last_seen = t
        if entry.first_seen is None:
            entry.first_seen = t
        self.timeline.add([Transition(t, code, True), Transition(t, code, False)])
        self.changed.emit(FaultChange(t, rose=(code,), fell=(code,)))

    def reset(self, t: float) -> None:
        """Clear the latches (a successful clearErrors at time ``t``); active codes stay."""
        self.resets += 1
        self.last_reset = t
        for entry in self.entries.values():
            entry.latched = entry.active
        log.info("faults reset (clearErrors succeeded); still active: %s", self.active_codes)
        self.changed.emit(FaultChange(t, reset=True))

    def _bad(self, what: str, value: Any) -> None:
        self.bad_values += 1
        text = repr(value)
        self._problem_log(
            logging.WARNING,
            what,
            f"ignored a {what} that is not a known uint64 value: {text[:60]} "
            f"({self.bad_values} ignored so far)",
        )


def _by_code(entry: FaultEntry) -> int:
    return entry.code
