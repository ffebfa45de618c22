"""The local-mode transitions (Standby, Diagnostic, Enable) as procedures.

Each is exactly the incumbent's command sequence (ts_m2gui ``Model``:
``enter_diagnostic``, ``enter_enable``, ``exit_enable``, ``exit_diagnostic``;
see docs/parity/sequencer.md), with the waits of ts_m2com: after `power` the
power state must settle (PoweredOn / PoweredOff), after
`setClosedLoopControlMode` the controller must report the mode.

Where m2gui goes beyond the incumbent, to leave the cell in a stated state:

- Enable→Diagnostic goes on after a failed clean-up command (each is
  "failed, went on"), so that motor power is always switched off; the
  incumbent stops at the first failure and may leave the motor powered.
- Diagnostic→Enable, when it fails or is cancelled after powering the motor,
  switches motor power off again (a clean-up step), so the cell stays in
  Diagnostic with motor power off.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from m2gui.model.ops.ilc import IlcStates

from .cell_state import COMMUNICATION, MOTOR, closed_loop_mode, power_is, power_on, state_text
from .ilc_bringup import ILC_TIMEOUT, ILC_TRIES, bring_up_step
from .procedure import Procedure, ProcedureOutcome, Step, StepContext

if TYPE_CHECKING:
    from m2gui.model.catalogue import Catalogue
    from m2gui.model.session import Session

__all__ = [
    "DIAGNOSTIC_MASK_CLEARED",
    "MODE_TIMEOUT",
    "POWER_TIMEOUT",
    "Local",
    "diagnostic_faults_mask",
    "enter_diagnostic",
    "enter_enable",
    "exit_diagnostic",
    "exit_enable",
    "transition",
]

#: Seconds for power to settle, and for the controller to report a mode.
POWER_TIMEOUT = 30.0
MODE_TIMEOUT = 30.0

#: Codes taken out of the default enabled-faults mask on entering Diagnostic.
DIAGNOSTIC_MASK_CLEARED = (1000, 1001, 1002, 6052)

# Enumeration values sent (catalogue enums).
POWER_TYPE = {MOTOR: 1, COMMUNICATION: 2}
IDLE, TELEMETRY_ONLY, OPEN_LOOP = 1, 2, 3
BINARY_HIGH = 2
SCRIPT_CLEAR, SCRIPT_STOP = 2, 4
#: Digital outputs set high on entering Diagnostic: InterlockEnable,
#: ResetMotorBreakers, ResetCommunicationBreakers (bits 2-4).
DIAGNOSTIC_OUTPUTS = (
    (4, "interlock enable"),
    (8, "reset motor breakers"),
    (16, "reset comm. breakers"),
)


class Local(enum.Enum):
    """The GUI-side local mode."""

    STANDBY = "Standby"
    DIAGNOSTIC = "Diagnostic"
    ENABLE = "Enable"


def diagnostic_faults_mask(catalogue: Catalogue) -> int:
    """The default enabled-faults mask without the bits of 1000, 1001, 1002 and 6052."""
    mask = int(catalogue.constants["DEFAULT_ENABLED_FAULTS_MASK"])
    bits = {int(row["code"]): int(row["bit"]) for row in catalogue.fault_bits}
    for code in DIAGNOSTIC_MASK_CLEARED:
        mask &= ~(1 << bits[code])
    return mask


# ----------------------------------------------------------------------
# Step builders
# ----------------------------------------------------------------------
def command_step(
    title: str, name: str, params: dict[str, Any] | None = None, *, tolerate: bool = False
) -> Step:
    """A step that sends one command and waits for its success."""

    async def action(ctx: StepContext) -> None:
        await ctx.send(name, params)
        return None

    return Step(title, action, tolerate_failure=tolerate)


def mode_step(title: str, mode: int, *, tolerate: bool = False) -> Step:
    """``setClosedLoopControlMode``, then wait until the controller reports ``mode``."""

    async def action(ctx: StepContext) -> None:
        await ctx.send("setClosedLoopControlMode", {"mode": mode})
        name = ctx.session.catalogue.enum_name("ClosedLoopControlMode", mode)
        await ctx.wait_for(
            lambda: closed_loop_mode(ctx.session) == mode, MODE_TIMEOUT, f"controller mode {name}"
        )
        return None

    return Step(title, action, tolerate_failure=tolerate)


async def set_power(ctx: StepContext, power: str, on: bool) -> None:
    """``power``, then wait until it has settled on or off."""
    await ctx.send("power", {"powerType": POWER_TYPE[power], "status": on})
    word = "on" if on else "off"
    await ctx.wait_for(
        lambda: power_is(ctx.session, power, on), POWER_TIMEOUT, f"{power.lower()} power {word}"
    )


def power_step(title: str, power: str, on: bool) -> Step:
    """Switch ``power`` on or off and wait for it."""

    async def action(ctx: StepContext) -> None:
        await set_power(ctx, power, on)
        return None

    return Step(title, action)


# ----------------------------------------------------------------------
# The transitions
# ----------------------------------------------------------------------
def _safe_state(session: Session, done: Local, stays: Local) -> Callable[[ProcedureOutcome], str]:
    def describe(outcome: ProcedureOutcome) -> str:
        where = done if outcome is ProcedureOutcome.SUCCEEDED else stays
        return f"Local mode {where.value}: {state_text(session)}."

    return describe


def enter_diagnostic(session: Session) -> Procedure:
    """Standby → Diagnostic (the incumbent's ``enter_diagnostic``)."""

    async def check_power(ctx: StepContext) -> str:
        if power_on(ctx.session, COMMUNICATION):
            ctx.skip_rest(
                "communication power is already on (the CSC drove the cell): relabel only"
            )
        return "communication power is off: the full sequence follows"

    mask = diagnostic_faults_mask(session.catalogue)
    steps = [
        Step("Check communication power", check_power),
        command_step(
            f"Enabled faults mask {mask:#018x} (default without 1000-1002, 6052)",
            "setEnabledFaultsMask",
            {"mask": mask},
        ),
        *(
            command_step(
                f"Digital output {bit} ({what}) high",
                "switchDigitalOutput",
                {"bit": bit, "status": BINARY_HIGH},
            )
            for bit, what in DIAGNOSTIC_OUTPUTS
        ),
        mode_step("Controller mode Idle", IDLE),
        command_step("Load the configuration", "loadConfiguration"),
        command_step(
            "Set the control parameters",
            "setControlParameters",
            session.catalogue.default_params("setControlParameters"),
        ),
        mode_step("Controller mode Idle (again)", IDLE),
        command_step("Reset force offsets", "resetForceOffsets"),
        command_step("Reset actuator steps", "resetActuatorSteps"),
    ]
    return Procedure(
        "Standby → Diagnostic",
        steps,
        safe_state=_safe_state(session, Local.DIAGNOSTIC, Local.STANDBY),
    )


def enter_enable(
    session: Session, *, ilc_tries: int = ILC_TRIES, ilc_timeout: float = ILC_TIMEOUT
) -> Procedure:
    """Diagnostic → Enable (the incumbent's ``enter_enable``)."""
    powered: dict[str, bool] = {"motor": False}

    async def comm_on(ctx: StepContext) -> None:
        if power_on(ctx.session, COMMUNICATION):
            ctx.skip("communication power is already on")
        await set_power(ctx, COMMUNICATION, True)
        return None

    async def motor_on(ctx: StepContext) -> None:
        if power_on(ctx.session, MOTOR):
            ctx.skip_rest("motor power is already on (the CSC drove the cell): relabel only")
        powered["motor"] = True
        await set_power(ctx, MOTOR, True)
        return None

    async def motor_off_again(ctx: StepContext) -> str:
        if not powered["motor"]:
            ctx.skip("motor power was not switched on by this transition")
        if not power_on(ctx.session, MOTOR):
            ctx.skip("motor power is off")
        await set_power(ctx, MOTOR, False)
        return "motor power is off again"

    steps = [
        Step("Communication power on", comm_on),
        Step("Motor power on", motor_on),
        bring_up_step(reset_first=True, tries=ilc_tries, timeout=ilc_timeout),
        mode_step("Controller mode OpenLoop", OPEN_LOOP),
    ]
    return Procedure(
        "Diagnostic → Enable",
        steps,
        cleanup=[Step("Motor power off again", motor_off_again)],
        safe_state=_safe_state(session, Local.ENABLE, Local.DIAGNOSTIC),
    )


def exit_enable(session: Session, *, fault: str = "") -> Procedure:
    """Enable → Diagnostic (the incumbent's ``exit_enable``), also run on a fault.

    Every step but the last goes on after a failure, so motor power is
    always switched off.
    """
    steps = [
        command_step("Stop the script", "runScript", {"scriptCommand": SCRIPT_STOP}, tolerate=True),
        command_step(
            "Clear the script", "runScript", {"scriptCommand": SCRIPT_CLEAR}, tolerate=True
        ),
        command_step("Reset force offsets", "resetForceOffsets", tolerate=True),
        command_step("Reset actuator steps", "resetActuatorSteps", tolerate=True),
        mode_step("Controller mode TelemetryOnly", TELEMETRY_ONLY, tolerate=True),
        power_step("Motor power off", MOTOR, False),
    ]
    name = "Enable → Diagnostic" + (f" (on {fault})" if fault else "")
    return Procedure(name, steps, safe_state=_safe_state(session, Local.DIAGNOSTIC, Local.ENABLE))


def exit_diagnostic(session: Session) -> Procedure:
    """Diagnostic → Standby (the incumbent's ``exit_diagnostic``); ILC modes become Unknown."""

    async def forget_ilcs(ctx: StepContext) -> str:
        ctx.session.store(IlcStates).reset()
        return "all 84 shown Unknown until read again"

    steps = [
        power_step("Communication power off", COMMUNICATION, False),
        mode_step("Controller mode Idle", IDLE),
        Step("Forget the ILC modes (no command)", forget_ilcs),
    ]
    return Procedure(
        "Diagnostic → Standby",
        steps,
        safe_state=_safe_state(session, Local.STANDBY, Local.DIAGNOSTIC),
    )


def transition(session: Session, start: Local, target: Local) -> Procedure:
    """The procedure from ``start`` to ``target``.

    Raises
    ------
    ValueError
        If the incumbent has no such transition.
    """
    if (start, target) == (Local.STANDBY, Local.DIAGNOSTIC):
        return enter_diagnostic(session)
    if (start, target) == (Local.DIAGNOSTIC, Local.ENABLE):
        return enter_enable(session)
    if (start, target) == (Local.ENABLE, Local.DIAGNOSTIC):
        return exit_enable(session)
    if (start, target) == (Local.DIAGNOSTIC, Local.STANDBY):
        return exit_diagnostic(session)
    raise ValueError(f"no transition from {start.value} to {target.value}")
