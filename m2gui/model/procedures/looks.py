"""How a step's status and a procedure's outcome are shown: a colour and a word."""

from __future__ import annotations

from .procedure import ProcedureOutcome, StepStatus

__all__ = ["outcome_look", "step_look"]

#: (background colour, word); words always go beside the colour.
STEP_LOOKS: dict[StepStatus, tuple[str, str]] = {
    StepStatus.PENDING: ("#e6e6e6", "waiting"),
    StepStatus.RUNNING: ("#7fb8ff", "running"),
    StepStatus.DONE: ("#8fd19e", "done"),
    StepStatus.SKIPPED: ("#d9d9d9", "skipped"),
    StepStatus.TOLERATED: ("#ffd966", "failed, went on"),
    StepStatus.FAILED: ("#f08080", "FAILED"),
    StepStatus.CANCELLED: ("#ffb870", "cancelled"),
}
OUTCOME_LOOKS: dict[ProcedureOutcome, tuple[str, str]] = {
    ProcedureOutcome.RUNNING: ("#7fb8ff", "running"),
    ProcedureOutcome.SUCCEEDED: ("#8fd19e", "done"),
    ProcedureOutcome.FAILED: ("#f08080", "FAILED"),
    ProcedureOutcome.CANCELLED: ("#ffb870", "cancelled"),
}


def step_look(status: StepStatus) -> tuple[str, str]:
    """Background colour and word of a step's status."""
    return STEP_LOOKS[status]


def outcome_look(outcome: ProcedureOutcome) -> tuple[str, str]:
    """Background colour and word of a procedure's outcome."""
    return OUTCOME_LOOKS[outcome]
