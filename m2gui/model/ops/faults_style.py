"""How a fault code's state and mask bit are shown: words first, colours beside them.

Colours follow the incumbent (active faults red, active warnings yellow,
bypassed codes red) and stay apart for colour-blind users by lightness (a
dark red against a light amber) and by the words, which always say the same
thing as the colour.
"""

from __future__ import annotations

from dataclasses import dataclass

from .faults import FaultEntry, FaultState
from .faults_table import FAULT, WARNING

__all__ = [
    "BYPASSED_COLOR",
    "KIND_COLORS",
    "Look",
    "mask_look",
    "state_look",
]

#: Bars and markers of the timeline, and the active rows' backgrounds.
KIND_COLORS = {FAULT: "#c62828", WARNING: "#f2b705", "reserved": "#6a6a6a"}
#: Text colour of bypassed codes (the incumbent writes them in red).
BYPASSED_COLOR = "#c62828"


@dataclass(frozen=True)
class Look:
    """A word with its colours (None: the palette's default)."""

    word: str
    background: str | None = None
    foreground: str | None = None
    bold: bool = False


_ACTIVE = {
    FAULT: Look("ACTIVE", "#c62828", "#ffffff", bold=True),
    WARNING: Look("ACTIVE", "#f2b705", "#000000", bold=True),
}
_LATCHED = {
    FAULT: Look("LATCHED", "#f6c9c4", "#7f1010"),
    WARNING: Look("LATCHED", "#fbe7a6", "#5a4300"),
}
_OTHER_ACTIVE = Look("ACTIVE", "#6a6a6a", "#ffffff", bold=True)
_OTHER_LATCHED = Look("LATCHED", "#d6d6d6", "#000000")
_CLEAR = Look("clear")


def state_look(entry: FaultEntry) -> Look:
    """The state cell of a code: ACTIVE (strong colour), LATCHED (pale) or clear (none)."""
    state = entry.state
    if state is FaultState.ACTIVE:
        return _ACTIVE.get(entry.row.kind, _OTHER_ACTIVE)
    if state is FaultState.LATCHED:
        return _LATCHED.get(entry.row.kind, _OTHER_LATCHED)
    return _CLEAR


def mask_look(controller: bool | None, draft: bool | None, by_default: bool = True) -> Look:
    """The mask cell of a code, from its bit in the controller's mask and in the draft.

    Parameters
    ----------
    controller : `bool` or None
        Whether the controller's mask enables the code (None: unknown).
    draft : `bool` or None
        Whether the draft enables it (None: no draft).
    by_default : `bool`
        Whether the default mask enables it (a code it does not enable is
        "disabled", not bypassed).
    """
    if controller is None:
        return Look("unknown")
    if draft is not None and draft != controller:
        if draft:
            return Look("will enable", foreground="#1b5e20", bold=True)
        return Look("will bypass", foreground=BYPASSED_COLOR, bold=True)
    if controller:
        return Look("enabled")
    if not by_default:
        return Look("disabled")
    return Look("BYPASSED", foreground=BYPASSED_COLOR, bold=True)
