"""Open- and closed-loop control (the incumbent's LayoutControlMode) as procedures.

"Enter open-loop control" sends ``switchForceBalanceSystem {status: false}``;
"Enter closed-loop control" first sends ``enableOpenLoopMaxLimit {status:
false}``, then ``switchForceBalanceSystem {status: true}``. Each waits until
``forceBalanceSystemStatus`` reports the new state.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from m2gui.model.ops.ilc import ENABLED, N_ACTUATOR_ILC, IlcStates

from .cell_state import closed_loop_running, state_text
from .ilc_bringup import ids_text
from .local_mode import MODE_TIMEOUT
from .procedure import Procedure, ProcedureOutcome, Step, StepContext

if TYPE_CHECKING:
    from m2gui.model.session import Session

__all__ = [
    "INCLINOMETER_ILC",
    "closed_loop_ilc_reason",
    "enter_closed_loop",
    "enter_open_loop",
]

#: The inclinometer ILC, which closed loop needs Enabled with the actuator ILCs.
INCLINOMETER_ILC = 83


def closed_loop_ilc_reason(session: Session) -> str | None:
    """Why closed loop may not start for the ILCs (ts_m2com's guard), or None.

    Every actuator ILC (0-77) and the inclinometer ILC (83) must be Enabled;
    bypassed ILCs are not required (the bring-up skips them).
    """
    ilcs = session.store(IlcStates)
    needed = [*range(N_ACTUATOR_ILC), INCLINOMETER_ILC]
    missing = [a for a in needed if a not in ilcs.bypassed and ilcs.modes[a] != ENABLED]
    if missing:
        return f"closed loop needs these ILCs Enabled: {ids_text(missing)}"
    return None


def _wait_balance(on: bool) -> Step:
    word = "running" if on else "stopped"

    async def action(ctx: StepContext) -> None:
        await ctx.send("switchForceBalanceSystem", {"status": on})
        await ctx.wait_for(
            lambda: closed_loop_running(ctx.session) is on,
            MODE_TIMEOUT,
            f"force balance system {word}",
        )
        return None

    title = "Force balance system on (closed loop)" if on else "Force balance system off"
    return Step(title, action)


def _describe(session: Session) -> Callable[[ProcedureOutcome], str]:
    def describe(outcome: ProcedureOutcome) -> str:
        loop = "closed loop running" if closed_loop_running(session) else "open loop"
        return f"{loop.capitalize()}: {state_text(session)}."

    return describe


def enter_open_loop(session: Session) -> Procedure:
    """Enter open-loop control: ``switchForceBalanceSystem {status: false}``."""
    return Procedure(
        "Enter open-loop control",
        [_wait_balance(False)],
        safe_state=_describe(session),
    )


def enter_closed_loop(session: Session) -> Procedure:
    """Enter closed-loop control: open-loop max limit off, then the force balance system on."""

    async def limit_off(ctx: StepContext) -> None:
        await ctx.send("enableOpenLoopMaxLimit", {"status": False})
        return None

    return Procedure(
        "Enter closed-loop control",
        [Step("Open-loop max limit off", limit_off), _wait_balance(True)],
        safe_state=_describe(session),
    )
