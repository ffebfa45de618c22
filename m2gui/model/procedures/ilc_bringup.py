"""Inner-loop controllers (ILCs): the bring-up to Enabled, and the check of unknown modes.

The bring-up follows ts_m2com's ``set_ilc_to_enabled`` (the incumbent's
"ILCs to Enabled with retries"): read every mode not yet read, read again the
ones that answer Unknown, then step the ILCs through their state machines,

- Fault -> ClearFaults (expect Standby), FirmwareUpdate -> Standby,
- actuator ILCs (0-77): Standby -> Disabled, then Disabled -> Enabled,
- sensor ILCs (78-83): Standby -> Enabled,

waiting after each command (20 s by default) for the modes to arrive, and
trying the whole again (3 tries by default) until every ILC is Enabled.
Bypassed ILCs (``bypassedActuatorILCs``) are skipped, as the protocol says.
Each `setInnerLoopControlMode` is sent only when some ILC is in the mode it
starts from, so against a cell whose ILCs are all in Standby the commands are
exactly: getInnerLoopControlMode (all), Standby->Disabled (actuators),
Standby->Enabled (sensors), Disabled->Enabled (actuators).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from m2gui.model.ops.ilc import (
    CLEAR_FAULTS,
    DISABLED,
    ENABLED,
    FAULT,
    FIRMWARE_UPDATE,
    N_ACTUATOR_ILC,
    N_ILC,
    STANDBY,
    UNKNOWN,
    IlcStates,
    modbus_id,
)

from .errors import StepFailed
from .procedure import Procedure, ProcedureOutcome, Step, StepContext

if TYPE_CHECKING:
    from m2gui.model.session import Session

__all__ = [
    "CHECK_SECONDS_PER_ILC",
    "ILC_TIMEOUT",
    "ILC_TRIES",
    "TRANSITIONS",
    "bring_up_step",
    "check_ilcs_procedure",
    "enable_ilcs_procedure",
    "ids_text",
]

#: Tries of the bring-up, and seconds allowed for the modes after each command
#: (the incumbent's defaults).
ILC_TRIES = 3
ILC_TIMEOUT = 20.0
#: Seconds allowed per ILC asked by Check ILC States (the incumbent's wait).
CHECK_SECONDS_PER_ILC = 0.12
#: Least seconds allowed for a check, whatever the number of ILCs asked.
CHECK_MIN_SECONDS = 1.0
#: ModBUS ids listed in a message before "…".
IDS_SHOWN = 12

#: (mode now, mode commanded, mode expected, which ILCs), in the order sent.
TRANSITIONS: tuple[tuple[int, int, int, str], ...] = (
    (FAULT, CLEAR_FAULTS, STANDBY, "all"),
    (FIRMWARE_UPDATE, STANDBY, STANDBY, "all"),
    (STANDBY, DISABLED, DISABLED, "actuator"),
    (STANDBY, ENABLED, ENABLED, "sensor"),
    (DISABLED, ENABLED, ENABLED, "actuator"),
)


def ids_text(addresses: list[int]) -> str:
    """``ModBUS ids 6, 7 (addresses 5, 6)``, bounded."""
    shown = addresses[:IDS_SHOWN]
    more = f" … ({len(addresses)} in all)" if len(addresses) > IDS_SHOWN else ""
    ids = ", ".join(str(modbus_id(a)) for a in shown)
    adr = ", ".join(str(a) for a in shown)
    return f"ModBUS ids {ids}{more} (addresses {adr}{more})"


def _in_group(address: int, group: str) -> bool:
    if group == "actuator":
        return address < N_ACTUATOR_ILC
    if group == "sensor":
        return address >= N_ACTUATOR_ILC
    return True


async def bring_up(ctx: StepContext, *, reset_first: bool, timeout: float) -> str:
    """One try of the bring-up; raises `StepFailed` unless every ILC ends Enabled."""
    ilcs = ctx.session.store(IlcStates)
    if reset_first and ctx.attempt == 1:
        ilcs.reset()
    targets = [a for a in range(N_ILC) if a not in ilcs.bypassed]
    missing = ilcs.not_read(targets)
    if missing:
        ctx.note(f"reading the modes of {len(missing)} ILCs")
        await ctx.send("getInnerLoopControlMode", {"addresses": missing})
        await ctx.wait_for(
            lambda: not ilcs.not_read(targets), timeout, f"answer from {ids_text(missing)}"
        )
    unknown = ilcs.in_mode(UNKNOWN, targets)
    if unknown:
        ctx.note(f"{len(unknown)} ILCs answered Unknown: asking again")
        ilcs.forget(unknown)
        await ctx.send("getInnerLoopControlMode", {"addresses": unknown})
        await ctx.wait_for(
            lambda: not ilcs.not_read(unknown), timeout, f"answer from {ids_text(unknown)}"
        )
        still = ilcs.in_mode(UNKNOWN, targets)
        if still:
            raise StepFailed(f"ILCs in an unknown state: {ids_text(still)}")
    names = ctx.session.catalogue
    for now, command, expected, group in TRANSITIONS:
        addresses = [a for a in ilcs.in_mode(now, targets) if _in_group(a, group)]
        if not addresses:
            continue
        mode_now = names.enum_name("InnerLoopControlMode", now)
        mode_next = names.enum_name("InnerLoopControlMode", expected)
        ctx.note(f"{len(addresses)} {group} ILCs {mode_now} → {mode_next}")
        await ctx.send("setInnerLoopControlMode", {"addresses": addresses, "mode": command})

        def arrived(addresses: list[int] = addresses, expected: int = expected) -> bool:
            return all(ilcs.modes[a] in (expected, FAULT) for a in addresses)

        await ctx.wait_for(arrived, timeout, f"{mode_next} from {ids_text(addresses)}")
        faulted = [a for a in addresses if ilcs.modes[a] == FAULT and expected != FAULT]
        if faulted:
            raise StepFailed(f"ILCs went to Fault instead of {mode_next}: {ids_text(faulted)}")
    not_enabled = [a for a in targets if ilcs.modes[a] != ENABLED]
    if not_enabled:
        raise StepFailed(f"ILCs not Enabled: {ids_text(not_enabled)}")
    skipped = f"; bypassed, skipped: {ids_text(list(ilcs.bypassed))}" if ilcs.bypassed else ""
    return f"{len(targets)} ILCs Enabled{skipped}"


def bring_up_step(
    *, reset_first: bool, tries: int = ILC_TRIES, timeout: float = ILC_TIMEOUT
) -> Step:
    """The step "ILCs to Enabled" (``tries`` tries, ``timeout`` s per wait)."""

    async def action(ctx: StepContext) -> str:
        return await bring_up(ctx, reset_first=reset_first, timeout=timeout)

    return Step("ILCs to Enabled", action, tries=tries)


def _counts_text(session: Session) -> str:
    counts = session.store(IlcStates).counts()
    return "ILC modes: " + ", ".join(f"{n} {word}" for word, n in sorted(counts.items()))


def enable_ilcs_procedure(
    session: Session, *, tries: int = ILC_TRIES, timeout: float = ILC_TIMEOUT
) -> Procedure:
    """Enable ILC States: the bring-up from the modes known now (no reset first)."""

    def safe_state(outcome: ProcedureOutcome) -> str:
        return _counts_text(session) + "."

    return Procedure(
        "Enable ILC states",
        [bring_up_step(reset_first=False, tries=tries, timeout=timeout)],
        safe_state=safe_state,
    )


def check_ilcs_procedure(session: Session) -> Procedure:
    """Check ILC States: ask the ILCs whose mode is unknown, and wait for their answers."""

    async def check(ctx: StepContext) -> str:
        ilcs = ctx.session.store(IlcStates)
        addresses = ilcs.unknown()
        if not addresses:
            ctx.skip("every ILC mode is known already")
        ilcs.forget(addresses)
        await ctx.send("getInnerLoopControlMode", {"addresses": addresses})
        wait = max(CHECK_MIN_SECONDS, CHECK_SECONDS_PER_ILC * len(addresses))
        await ctx.wait_for(
            lambda: not ilcs.not_read(addresses), wait, f"answer from {ids_text(addresses)}"
        )
        return f"{len(addresses)} ILCs answered"

    def safe_state(outcome: ProcedureOutcome) -> str:
        return f"Nothing was changed on the cell (modes only read). {_counts_text(session)}."

    return Procedure(
        "Check ILC states",
        [Step("Ask the ILCs whose mode is unknown", check)],
        safe_state=safe_state,
    )
