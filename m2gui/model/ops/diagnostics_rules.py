"""When the Diagnostics and Configuration controls may send: the incumbent's rules.

- Digital output toggles (``switchDigitalOutput``): local mode **Diagnostic** only.
- Reboot Controller (``rebootController``): local mode **Standby** with local control
  (the GUI, not the CSC, holds command; `Session.blocked_reason` checks that part).
- Set Configuration File (``setConfigurationFile``): local mode **Standby** only.

The local mode (Standby, Diagnostic, Enable) is GUI-side state kept by the
local-mode sequencer (`LocalMode`); `local_mode` is the one place these rules
read it. None of these controls may send while a procedure (a local-mode
transition, the fault drop, an ILC procedure) is running: what they send would
interleave with its commands.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..commanding import Rule
from ..procedures.runner import no_procedure_running
from .local_mode import LocalMode

if TYPE_CHECKING:
    from ..session import Session

__all__ = [
    "DIAGNOSTIC",
    "ENABLE",
    "STANDBY",
    "local_mode",
    "output_toggle_rule",
    "reboot_rule",
    "requires_local_mode",
]

STANDBY = "Standby"
DIAGNOSTIC = "Diagnostic"
ENABLE = "Enable"


def local_mode(session: Session) -> str | None:
    """The GUI's local mode ("Standby", "Diagnostic" or "Enable"), or None if unknown."""
    return str(session.store(LocalMode).mode.value)


def requires_local_mode(*modes: str) -> Rule:
    """A rule: the GUI's local mode must be one of ``modes``, and no procedure running."""

    def rule(session: Session) -> str | None:
        busy = no_procedure_running(session)
        if busy is not None:
            return busy
        mode = local_mode(session)
        if mode in modes:
            return None
        wanted = " or ".join(modes)
        return f"allowed only in local mode {wanted} (it is {mode or 'unknown'})"

    return rule


#: Digital output toggles: Diagnostic only.
output_toggle_rule: Rule = requires_local_mode(DIAGNOSTIC)
#: Reboot Controller: Standby only (and local control, checked by the session).
reboot_rule: Rule = requires_local_mode(STANDBY)
