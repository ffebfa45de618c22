"""`FaultMaskEditor`: the enabled-faults mask an engineer is preparing, and its rules.

The editor holds a **draft** mask, which starts as (and follows) the mask
the controller reports. Ticks, Bypass selected and Reset to default change the
draft only; Apply sends it as ``setEnabledFaultsMask {mask}`` (dangerous in the
catalogue, so it is confirmed). Apply is allowed when `APPLY_RULES` allow it:

- the local mode is Diagnostic (`mask_in_diagnostic`, the sequencer's local mode);
- no procedure (a local-mode transition, the fault drop, an ILC procedure) is
  running, whose commands the mask would interleave with;
- the draft is a mask worth sending (`draft_applicable`): the controller's
  mask is known, the draft differs from it, and it is not 0.

While the draft has not been edited, a new mask from the controller replaces
it; once edited, it stays until applied, reverted or reset (and becomes clean
again when the controller reports the same mask).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from psygnal import Signal

from ..commanding import Rule
from ..procedures.runner import no_procedure_running
from .fault_mask import (
    MaskChange,
    bypass,
    describe_change,
    is_uint64,
    mask_problem,
    parse_mask,
    set_code,
)
from .fault_mask_rules import DIAGNOSTIC, LocalModeReader, local_mode_rule, sequencer_local_mode
from .faults import FaultChange, FaultLog

if TYPE_CHECKING:
    from ..session import Session

__all__ = [
    "APPLY_RULES",
    "MASK_COMMAND",
    "FaultMaskEditor",
    "draft_applicable",
    "mask_in_diagnostic",
]

MASK_COMMAND = "setEnabledFaultsMask"


class FaultMaskEditor:
    """The draft enabled-faults mask of one session (``session.store(FaultMaskEditor)``).

    Parameters
    ----------
    session : `Session`
        Its `FaultLog` gives the controller's mask.

    Attributes
    ----------
    draft : `int` or None
        The mask being prepared (None until the controller's is known).
    local_mode : `LocalModeReader`
        Where the Diagnostic rule reads the local mode (see
        `m2gui.model.ops.fault_mask_rules`).

    Signals
    -------
    changed(object)
        After the draft (or the controller's mask) changed, with the draft.
    """

    changed = Signal(object)

    def __init__(self, session: Session) -> None:
        self.session = session
        self.faults = session.store(FaultLog)
        self.table = self.faults.table
        self.default = self.faults.default_mask
        self.local_mode: LocalModeReader = sequencer_local_mode
        self._base = self.faults.mask
        self.draft: int | None = self._base
        self.faults.changed.connect(self._on_faults)

    # ------------------------------------------------------------------
    @property
    def current(self) -> int | None:
        """The mask the controller reported last."""
        return self.faults.mask

    @property
    def edited(self) -> bool:
        """True when the draft differs from the controller's mask."""
        return self.draft is not None and self.draft != self.current

    def change(self) -> MaskChange | None:
        """What applying the draft would change, or None without a draft."""
        if self.draft is None:
            return None
        return describe_change(self.current, self.draft, self.default, self.table)

    def problem(self) -> str | None:
        """Why the draft cannot be applied now (besides mode and link), or None."""
        if self.current is None or self.draft is None:
            return "the controller has not reported its enabled-faults mask yet"
        reason = mask_problem(self.draft)
        if reason is not None:
            return reason
        if self.draft == self.current:
            return "the draft is the controller's mask: tick codes, bypass or reset first"
        return None

    def params(self) -> dict[str, int]:
        """The ``setEnabledFaultsMask`` parameters for the draft.

        Raises
        ------
        ValueError
            If the draft must not be sent (`problem`).
        """
        reason = self.problem()
        if reason is not None or self.draft is None:
            raise ValueError(reason or "no draft")
        return {"mask": self.draft}

    # ------------------------------------------------------------------
    # Editing
    # ------------------------------------------------------------------
    def set_draft(self, mask: int) -> None:
        """Make ``mask`` the draft (0 is allowed here, never sent).

        Raises
        ------
        ValueError
            If ``mask`` is not an unsigned 64-bit integer.
        """
        if not is_uint64(mask):
            raise ValueError(f"{mask!r} is not an unsigned 64-bit integer")
        if mask != self.draft:
            self.draft = mask
            self.changed.emit(mask)

    def set_text(self, text: str) -> None:
        """Make the typed mask (hex ``0x...`` or decimal) the draft.

        Raises
        ------
        ValueError
            With the reason, if the text is not a 64-bit mask.
        """
        self.set_draft(parse_mask(text))

    def set_enabled(self, code: int, enabled: bool) -> None:
        """Tick (enable) or untick (bypass) one code in the draft.

        Raises
        ------
        ValueError
            If there is no draft yet.
        KeyError
            If ``code`` is not in the fault-bit table.
        """
        self.set_draft(set_code(self._require_draft(), self.table, code, enabled))

    def bypass(self, codes: Iterable[int]) -> None:
        """Bypass ``codes`` in the draft, with the incumbent's standard ones.

        Raises
        ------
        ValueError
            If no fault or warning code is given, or there is no draft yet.
        KeyError
            If a code is not in the fault-bit table.
        """
        chosen = [c for c in codes if not self.table.code(c).reserved]
        if not chosen:
            raise ValueError("select the fault or warning codes to bypass first")
        self.set_draft(bypass(self._require_draft(), self.table, chosen))

    def reset_to_default(self) -> None:
        """Make the default mask (every code enabled, 0xFF800007FFFFFFFF) the draft."""
        self.set_draft(self.default)

    def revert(self) -> None:
        """Drop the edits: the draft is the controller's mask again."""
        if self.current is not None:
            self.set_draft(self.current)

    def _require_draft(self) -> int:
        if self.draft is None:
            raise ValueError("the controller has not reported its enabled-faults mask yet")
        return self.draft

    def _on_faults(self, change: FaultChange) -> None:
        if not change.mask:
            return
        new = self.current
        follow = self.draft is None or self.draft == self._base or self.draft == new
        self._base = new
        if follow and new is not None:
            self.draft = new
        self.changed.emit(self.draft)


def _editor(session: Session) -> FaultMaskEditor:
    return session.store(FaultMaskEditor)


def _reader(session: Session) -> LocalModeReader:
    return _editor(session).local_mode


#: Rule: the mask may only be changed in Diagnostic local mode.
mask_in_diagnostic: Rule = local_mode_rule(
    DIAGNOSTIC, _reader, "the enabled-faults mask can only be changed"
)


def draft_applicable(session: Session) -> str | None:
    """Rule: the draft is known, changed and not 0."""
    return _editor(session).problem()


#: The rules of Apply (after the connection and command-source rules).
APPLY_RULES: tuple[Rule, ...] = (mask_in_diagnostic, no_procedure_running, draft_applicable)
