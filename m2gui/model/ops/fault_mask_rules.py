"""Which local mode the cell is in, as the fault-mask rules need it, and the rule itself.

The incumbent allows changing the enabled-faults mask only in its
**Diagnostic** local mode. The local mode is GUI-side state kept by the
local-mode sequencer (`m2gui.model.ops.local_mode.LocalMode`): it starts in
Standby and changes only when a transition procedure succeeds. The mask rules
read it through `sequencer_local_mode`; a view can point them at another
reader with ``FaultMaskEditor.local_mode = reader``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from ..commanding import Rule
from .local_mode import LocalMode

if TYPE_CHECKING:
    from ..session import Session

__all__ = [
    "DIAGNOSTIC",
    "ENABLE",
    "STANDBY",
    "LocalModeReader",
    "local_mode_rule",
    "sequencer_local_mode",
]

STANDBY = "Standby"
DIAGNOSTIC = "Diagnostic"
ENABLE = "Enable"

#: Returns the local mode ("Standby", "Diagnostic", "Enable") or None if unknown.
LocalModeReader = Callable[["Session"], "str | None"]


def sequencer_local_mode(session: Session) -> str | None:
    """The local mode the sequencer keeps for ``session`` ("Standby" at start)."""
    return str(session.store(LocalMode).mode.value)


def local_mode_rule(mode: str, reader: Callable[[Session], LocalModeReader], what: str) -> Rule:
    """A rule: the local mode must be ``mode``.

    Parameters
    ----------
    mode : `str`
        The mode required.
    reader : callable
        Returns, for a session, the `LocalModeReader` to ask (looked up at
        each check, so that it can be repointed later).
    what : `str`
        What is refused, for the reason ("the enabled-faults mask can only be changed").
    """

    def rule(session: Session) -> str | None:
        now = reader(session)(session)
        if now == mode:
            return None
        return f"{what} in {mode} local mode (it is {now or 'unknown'})"

    return rule
