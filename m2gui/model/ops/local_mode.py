"""The GUI's local mode (Standby, Diagnostic, Enable), its transitions and the fault drop.

The local mode is the GUI's own, as in the incumbent: it starts in Standby
and changes only when a transition procedure succeeds. The rules here say
when each transition and each command-source switch may start (the buttons
show the reason when they may not). After every event, while in Enable with
no procedure running, any fault-class code or warning 6057 (open-loop limit
switch) in ``summaryFaultsStatus`` starts the Enable → Diagnostic clean-up on
its own: it is logged, and kept as a banner until acknowledged.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from psygnal import Signal

from m2gui.model.commanding import Rule
from m2gui.model.procedures.cell_state import closed_loop_running
from m2gui.model.procedures.control_mode import (
    closed_loop_ilc_reason,
    enter_closed_loop,
    enter_open_loop,
)
from m2gui.model.procedures.local_mode import Local, exit_enable, transition
from m2gui.model.procedures.procedure import Procedure, ProcedureOutcome, ProcedureResult
from m2gui.model.procedures.runner import ProcedureRunner

if TYPE_CHECKING:
    from m2gui.model.catalogue import Catalogue
    from m2gui.model.session import Session

__all__ = [
    "ALLOWED",
    "OPEN_LOOP_LIMIT_SWITCH",
    "TRANSITION_COMMAND",
    "FaultDrop",
    "Local",
    "LocalMode",
    "commander_text",
    "drop_codes",
]

log = logging.getLogger(__name__)

#: The warning that drops Enable like a fault: limit switch triggered in open loop.
OPEN_LOOP_LIMIT_SWITCH = 6057
#: Which local modes each one may go to (the incumbent's enabled buttons).
ALLOWED: dict[Local, tuple[Local, ...]] = {
    Local.STANDBY: (Local.DIAGNOSTIC,),
    Local.DIAGNOSTIC: (Local.STANDBY, Local.ENABLE),
    Local.ENABLE: (Local.DIAGNOSTIC,),
}
FAULTS_EVENT = "summaryFaultsStatus"
#: The command a transition's button stands for (the first one it may send).
TRANSITION_COMMAND: dict[Local, str] = {
    Local.STANDBY: "power",
    Local.DIAGNOSTIC: "setEnabledFaultsMask",
    Local.ENABLE: "power",
}


def drop_codes(catalogue: Catalogue, status: Any) -> tuple[int, ...]:
    """The codes in ``status`` that drop Enable to Diagnostic: every fault, and warning 6057.

    ``status`` is ``summaryFaultsStatus.status``; anything but a non-negative
    integer drops nothing.
    """
    if not isinstance(status, int) or isinstance(status, bool) or status < 0:
        return ()
    return tuple(
        int(row["code"])
        for row in catalogue.fault_codes(status)
        if row["kind"] == "fault" or int(row["code"]) == OPEN_LOOP_LIMIT_SWITCH
    )


def commander_text(session: Session) -> str:
    """Who holds command, from ``commandableByDDS``: the CSC (remote) or this GUI (local)."""
    state = session.events.value("commandableByDDS", "state")
    if state is True:
        return "CSC (remote)"
    if state is False:
        return "this GUI (local)"
    return "unknown (no commandableByDDS yet)"


def codes_text(catalogue: Catalogue, codes: tuple[int, ...]) -> str:
    """``fault 6053, warning 6057``."""
    kinds = {int(r["code"]): str(r["kind"]) for r in catalogue.fault_bits}
    return ", ".join(f"{kinds.get(c, 'code')} {c}" for c in codes)


@dataclass
class FaultDrop:
    """One automatic drop from Enable to Diagnostic, shown until acknowledged.

    Attributes
    ----------
    time : `float`
        When it began, ``time.time()`` seconds.
    codes : `tuple` of `int`
        The codes that caused it.
    reason : `str`
        The codes in words.
    result : `ProcedureResult` or None
        How the clean-up ended (None while it runs).
    """

    time: float
    codes: tuple[int, ...]
    reason: str
    result: ProcedureResult | None = None

    @property
    def text(self) -> str:
        """The banner's text."""
        when = time.strftime("%H:%M:%S", time.localtime(self.time))
        head = f"{when}: Enable dropped to Diagnostic on {self.reason}"
        if self.result is None:
            return f"{head}: clean-up running (motor power off)…"
        if self.result.outcome is ProcedureOutcome.SUCCEEDED:
            return f"{head}. {self.result.safe_state}"
        return f"{head}, but the clean-up {self.result.outcome.value}: {self.result.reason}. " + (
            self.result.safe_state
        )


class LocalMode:
    """The local mode, the transitions' rules, and the automatic fault drop; Qt-free.

    Get the one instance with ``session.store(LocalMode)``. Procedures run on
    the session's `ProcedureRunner` (one at a time, with the ILC procedures).

    Signals
    -------
    changed(str)
        After ``"mode"`` (the local mode) or ``"banner"`` (a fault drop began,
        ended or was acknowledged) changed.
    """

    changed = Signal(str)

    def __init__(self, session: Session) -> None:
        self.session = session
        self.mode = Local.STANDBY
        #: The unacknowledged fault drop, if any.
        self.banner: FaultDrop | None = None
        #: Fault drops so far (for the log and tests).
        self.drops = 0
        self.runner = session.store(ProcedureRunner)
        self._targets: dict[int, tuple[Procedure, Local, FaultDrop | None]] = {}
        self._failed_drop: tuple[int, ...] | None = None
        self.runner.ended.connect(self._on_ended)
        session.events.updated.connect(self._on_event)

    # ------------------------------------------------------------------
    # Rules
    # ------------------------------------------------------------------
    def transition_reason(self, target: Local) -> str | None:
        """Why the transition to ``target`` may not start now (beyond link and commander)."""
        busy = self.runner.busy_reason()
        if busy is not None:
            return busy
        if closed_loop_running(self.session):
            return "closed-loop control is running: leave closed loop first"
        if target is self.mode:
            return f"already in {target.value}"
        if target not in ALLOWED[self.mode]:
            allowed = " or ".join(t.value for t in ALLOWED[self.mode])
            return f"from {self.mode.value} only {allowed} can be entered"
        if target is Local.ENABLE:
            codes = drop_codes(self.session.catalogue, self._faults_status())
            if codes:
                return (
                    f"{codes_text(self.session.catalogue, codes)} active: clear the faults "
                    "first (Alarms: Reset All Items), or Enable would drop back at once"
                )
        return None

    def rule(self, target: Local) -> Rule:
        """The `Rule` of the button for ``target``."""

        def rule(session: Session) -> str | None:
            return self.transition_reason(target)

        return rule

    def source_reason(self, remote: bool) -> str | None:
        """Why the Remote (``remote``) or Local button may not be used now."""
        if self.mode is Local.DIAGNOSTIC:
            return "not in Diagnostic: go to Standby or Enable to switch the command source"
        busy = self.runner.busy_reason()
        if busy is not None:
            return busy
        csc = self.session.events.value("commandableByDDS", "state")
        if remote and csc is True:
            return "the CSC holds command already"
        if not remote and csc is False:
            return "this GUI holds command already"
        return None

    def source_rule(self, remote: bool) -> Rule:
        """The `Rule` of the Remote (``remote``) or Local button."""

        def rule(session: Session) -> str | None:
            return self.source_reason(remote)

        return rule

    def control_reason(self, closed: bool) -> str | None:
        """Why "Enter closed-loop control" (``closed``) or open-loop may not start now."""
        if self.mode is Local.DIAGNOSTIC:
            return "only in Standby or Enable (the local mode is Diagnostic)"
        busy = self.runner.busy_reason()
        if busy is not None:
            return busy
        running = self.session.events.value("forceBalanceSystemStatus", "status")
        if closed:
            if running is True:
                return "closed-loop control is running already"
            return closed_loop_ilc_reason(self.session)
        if running is not True:
            return "closed-loop control is not running (open loop already)"
        return None

    def control_rule(self, closed: bool) -> Rule:
        """The `Rule` of "Enter closed-loop control" (``closed``) or "Enter open-loop control"."""

        def rule(session: Session) -> str | None:
            return self.control_reason(closed)

        return rule

    # ------------------------------------------------------------------
    # Actions
    # ------------------------------------------------------------------
    def start_control(self, closed: bool) -> Procedure:
        """Start entering closed-loop (``closed``) or open-loop control.

        Raises
        ------
        RuntimeError
            If it may not start now (the reason, as the button shows it).
        """
        reason = self.session.blocked_reason("switchForceBalanceSystem", self.control_rule(closed))
        procedure = enter_closed_loop(self.session) if closed else enter_open_loop(self.session)
        if reason is not None:
            raise RuntimeError(f"{procedure.name} not started: {reason}")
        self.runner.start(procedure)
        return procedure

    def start(self, target: Local) -> Procedure:
        """Start the transition to ``target``.

        Raises
        ------
        RuntimeError
            If it may not start now (the reason, as the button shows it).
        """
        reason = self.session.blocked_reason(TRANSITION_COMMAND[target], self.rule(target))
        if reason is not None:
            raise RuntimeError(f"{self.mode.value} → {target.value} not started: {reason}")
        procedure = transition(self.session, self.mode, target)
        self._run(procedure, target, None)
        return procedure

    def cancel(self) -> bool:
        """Cancel the running procedure (its clean-up runs); False if none runs."""
        return self.runner.cancel()

    def acknowledge(self) -> None:
        """The engineer has seen the fault-drop banner: remove it."""
        if self.banner is not None:
            log.info("fault drop acknowledged: %s", self.banner.reason)
            self.banner = None
            self.changed.emit("banner")

    def _run(self, procedure: Procedure, target: Local, drop: FaultDrop | None) -> None:
        self._targets[id(procedure)] = (procedure, target, drop)
        self.runner.start(procedure)

    # ------------------------------------------------------------------
    # Reactions
    # ------------------------------------------------------------------
    def _faults_status(self) -> Any:
        return self.session.events.value(FAULTS_EVENT, "status")

    def _on_event(self, entry_id: str) -> None:
        self._check_drop()

    def _on_ended(self, procedure: Procedure, result: ProcedureResult) -> None:
        mine = self._targets.pop(id(procedure), None)
        if mine is not None:
            _, target, drop = mine
            if result.outcome is ProcedureOutcome.SUCCEEDED and self.mode is not target:
                log.info("local mode %s → %s", self.mode.value, target.value)
                self.mode = target
                self.changed.emit("mode")
            if drop is not None:
                drop.result = result
                if result.outcome is not ProcedureOutcome.SUCCEEDED:
                    self._failed_drop = drop.codes
                if self.banner is drop:
                    self.changed.emit("banner")
        self._check_drop()

    def _check_drop(self) -> None:
        """Enable with a fault-class code or warning 6057 active drops to Diagnostic."""
        if self.mode is not Local.ENABLE or self.runner.busy:
            return
        codes = drop_codes(self.session.catalogue, self._faults_status())
        if not codes:
            self._failed_drop = None
            return
        if codes == self._failed_drop:
            return  # the drop failed for these codes: not again and again
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            log.error("fault %s in Enable, but no event loop to drop to Diagnostic", codes)
            return
        reason = codes_text(self.session.catalogue, codes)
        log.warning("%s active in Enable: dropping to Diagnostic (motor power off)", reason)
        self.drops += 1
        drop = FaultDrop(time.time(), codes, reason)
        self.banner = drop
        self._run(exit_enable(self.session, fault=reason), Local.DIAGNOSTIC, drop)
        self.changed.emit("banner")
