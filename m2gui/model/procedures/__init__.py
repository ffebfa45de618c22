"""Multi-step procedures: cancellable async command sequences, Qt-free.

`Procedure` (a named list of `Step` s run as one task, with retries, a
clean-up and a stated end state), `ProcedureRunner` (one at a time per
session), the local-mode transitions (`local_mode`) and the ILC bring-up
(`ilc_bringup`).
"""

from .errors import StepFailed
from .procedure import (
    Procedure,
    ProcedureOutcome,
    ProcedureResult,
    Step,
    StepContext,
    StepRun,
    StepStatus,
)
from .runner import ProcedureBusy, ProcedureRunner, no_procedure_running

__all__ = [
    "Procedure",
    "ProcedureBusy",
    "ProcedureOutcome",
    "ProcedureResult",
    "ProcedureRunner",
    "Step",
    "StepContext",
    "StepFailed",
    "StepRun",
    "StepStatus",
    "no_procedure_running",
]
