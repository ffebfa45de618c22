"""What the procedures read of the cell's state, from the event store."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from m2gui.model.session import Session

__all__ = [
    "COMMUNICATION",
    "MOTOR",
    "closed_loop_mode",
    "closed_loop_running",
    "mode_name",
    "power_is",
    "power_on",
    "state_text",
]

MOTOR, COMMUNICATION = "Motor", "Communication"
#: PowerSystemState values that count as "on" (PoweringOn, ResettingBreakers, PoweredOn).
ON_STATES = (3, 4, 5)
POWERED_ON, POWERED_OFF = 5, 2


def power_on(session: Session, power: str) -> bool:
    """True if the controller reports ``power`` (Motor or Communication) on."""
    entry = session.events.latest.get(f"powerSystemState[{power}]")
    if entry is None:
        return False
    return entry.fields.get("status") is True and entry.fields.get("state") in ON_STATES


def power_is(session: Session, power: str, on: bool) -> bool:
    """True once ``power`` has settled on (PoweredOn) or off (PoweredOff)."""
    entry = session.events.latest.get(f"powerSystemState[{power}]")
    if entry is None:
        return False
    status, state = entry.fields.get("status"), entry.fields.get("state")
    if on:
        return status is True and state == POWERED_ON
    return state == POWERED_OFF


def closed_loop_mode(session: Session) -> int | None:
    """The controller's ClosedLoopControlMode, None if not known."""
    mode = session.events.value("closedLoopControlMode", "mode")
    return mode if isinstance(mode, int) and not isinstance(mode, bool) else None


def mode_name(session: Session, mode: int | None) -> str:
    """ClosedLoopControlMode name (``unknown`` for None)."""
    if mode is None:
        return "unknown"
    return session.catalogue.enum_name("ClosedLoopControlMode", mode)


def closed_loop_running(session: Session) -> bool:
    """True while the force balance system (closed loop) runs."""
    return session.events.value("forceBalanceSystemStatus", "status") is True


def state_text(session: Session) -> str:
    """The power and controller mode in words, e.g. ``communication power on, motor power off``."""
    if not session.connected:
        return "the link is down: the controller's state is not known"
    parts = [
        f"communication power {'on' if power_on(session, COMMUNICATION) else 'off'}",
        f"motor power {'on' if power_on(session, MOTOR) else 'off'}",
        f"controller mode {mode_name(session, closed_loop_mode(session))}",
    ]
    return ", ".join(parts)
