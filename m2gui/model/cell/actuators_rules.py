"""The incumbent's mode rules for the mirror-cell commands, as `Rule`\\ s.

The incumbent GUI checks its own *local mode* (Standby, Diagnostic, Enable)
and whether closed-loop control (the force balance system) is on before it
sends an actuator, script, rigid-body or hardpoint command. m2gui reads the
same conditions from what the controller reports, so a rule is true exactly
when the controller is in the state the incumbent's local mode stands for:

- **Enable**: motor power on and the controller in OpenLoop or ClosedLoop
  mode (the incumbent's Diagnostic→Enable ends with motor power on and
  ``setClosedLoopControlMode OpenLoop``; Enable→Diagnostic leaves
  TelemetryOnly and turns the motor off).
- **Diagnostic**: communication or motor power on, but not Enable.
- **Standby**: communication and motor power off.

`local_mode` is the one place that decides this. When the local-mode
sequencer keeps its own state, it sets `local_mode_hook` and the rules
follow the sequencer instead (the derivation stays the fallback).
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from typing import TYPE_CHECKING

from ..commanding import Rule, requires_mode
from .selection import ActuatorSelection

if TYPE_CHECKING:
    from ..session import Session

__all__ = [
    "CLOSED_LOOP",
    "OPEN_LOOP",
    "LocalMode",
    "closed_loop",
    "controller_open_loop",
    "enable",
    "enable_closed_loop",
    "enable_open_loop",
    "local_mode",
    "local_mode_hook",
    "needs_selection",
    "open_loop",
    "power_on",
    "standby",
]

#: ClosedLoopControlMode values.
OPEN_LOOP = 3
CLOSED_LOOP = 4
#: PowerSystemState PoweredOn.
POWERED_ON = 5


class LocalMode(enum.Enum):
    """The incumbent's GUI-side state, as the controller's power state shows it."""

    STANDBY = "Standby"
    DIAGNOSTIC = "Diagnostic"
    ENABLE = "Enable"


def power_on(session: Session, power_type: str) -> bool:
    """True when ``power_type`` ("Motor" or "Communication") is reported powered on."""
    entry = session.events.latest.get(f"powerSystemState[{power_type}]")
    if entry is None:
        return False
    return entry.fields.get("status") is True and entry.fields.get("state") == POWERED_ON


def _controller_mode(session: Session) -> int | None:
    mode = session.events.value("closedLoopControlMode", "mode")
    return mode if isinstance(mode, int) and not isinstance(mode, bool) else None


def _mode_name(session: Session) -> str:
    mode = _controller_mode(session)
    if mode is None:
        return "unknown"
    return session.catalogue.enum_name("ClosedLoopControlMode", mode)


#: The local-mode sequencer's state, when it exists: a function of the session
#: returning "Standby", "Diagnostic" or "Enable" (None: not known, derive it).
local_mode_hook: Callable[[Session], str | None] | None = None


def local_mode(session: Session) -> LocalMode:
    """The incumbent's local mode: the sequencer's (`local_mode_hook`) or derived.

    Derived, it is what the controller's reported state stands for (see the
    module's notes).
    """
    if local_mode_hook is not None:
        found = local_mode_hook(session)
        if found is not None:
            try:
                return LocalMode(found)
            except ValueError:
                pass
    motor = power_on(session, "Motor")
    if motor and _controller_mode(session) in (OPEN_LOOP, CLOSED_LOOP):
        return LocalMode.ENABLE
    if motor or power_on(session, "Communication"):
        return LocalMode.DIAGNOSTIC
    return LocalMode.STANDBY


def enable(session: Session) -> str | None:
    """Rule: the Enable state (motor power on, controller in OpenLoop or ClosedLoop)."""
    mode = local_mode(session)
    if mode is LocalMode.ENABLE:
        return None
    if local_mode_hook is not None and local_mode_hook(session) is not None:
        return f"needs the Enable state (the local mode is {mode.value})"
    if not power_on(session, "Motor"):
        return "needs the Enable state: motor power is off"
    return (
        "needs the Enable state: the controller is in "
        f"{_mode_name(session)} mode, not OpenLoop or ClosedLoop"
    )


def standby(session: Session) -> str | None:
    """Rule: the Standby state (communication and motor power off)."""
    mode = local_mode(session)
    if local_mode_hook is not None and local_mode_hook(session) is not None:
        return None if mode is LocalMode.STANDBY else f"only allowed in Standby (not {mode.value})"
    on = [name.lower() for name in ("Communication", "Motor") if power_on(session, name)]
    if not on:
        return None
    powered = " and ".join(on) + (" power are on" if len(on) > 1 else " power is on")
    return f"only allowed in Standby (communication and motor power off): {powered}"


def closed_loop(session: Session) -> str | None:
    """Rule: closed-loop control, i.e. the force balance system is on."""
    if session.events.value("forceBalanceSystemStatus", "status") is True:
        return None
    return "needs closed-loop control: the force balance system is off"


def open_loop(session: Session) -> str | None:
    """Rule: open-loop control, i.e. the force balance system is off."""
    if session.events.value("forceBalanceSystemStatus", "status") is True:
        return "needs open-loop control: the force balance system (closed loop) is on"
    return None


#: Rule: the controller's ClosedLoopControlMode is OpenLoop (ts_m2com's guard).
controller_open_loop: Rule = requires_mode(OPEN_LOOP)


def needs_selection(session: Session) -> str | None:
    """Rule: at least one actuator is selected (the shared `ActuatorSelection`)."""
    if session.store(ActuatorSelection).selected:
        return None
    return "select at least one actuator first"


#: Open-loop moves: Enable, open-loop control, and the controller in OpenLoop.
enable_open_loop: tuple[Rule, ...] = (enable, open_loop, controller_open_loop)
#: Force offsets and rigid-body moves: Enable and closed-loop control.
enable_closed_loop: tuple[Rule, ...] = (enable, closed_loop)
