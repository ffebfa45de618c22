"""The cell's local mode, as far as the controller's power state tells it.

The local mode (Standby, Diagnostic, Enable) is the GUI's own: a window starts
in Standby and changes it as its transitions succeed. A command-line run has
no past, so it reads what the power says: motor power on is Enable,
communication power on (motor off) is Diagnostic; with both off the cell is
in Standby or in Diagnostic (Standby → Diagnostic leaves the power off), which
the power cannot tell apart.
"""

from __future__ import annotations

from m2gui.model.procedures.cell_state import COMMUNICATION, MOTOR, power_on
from m2gui.model.procedures.local_mode import Local
from m2gui.model.session import Session

__all__ = ["UNPOWERED", "infer_local", "local_text"]

#: How a cell with both powers off is described.
UNPOWERED = "Standby or Diagnostic"


def infer_local(session: Session) -> Local | None:
    """The local mode the power stands for; None with both powers off."""
    if power_on(session, MOTOR):
        return Local.ENABLE
    if power_on(session, COMMUNICATION):
        return Local.DIAGNOSTIC
    return None


def local_text(session: Session) -> str:
    """``Enable``, ``Diagnostic`` or ``Standby or Diagnostic``."""
    local = infer_local(session)
    return UNPOWERED if local is None else local.value
