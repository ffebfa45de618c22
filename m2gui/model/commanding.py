"""Sending commands: validation, the command-source rule, the catalogue's timeouts."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from m2gui.net import CommandRecord

if TYPE_CHECKING:
    from .session import Session

__all__ = [
    "SOURCE_COMMAND",
    "SOURCE_EVENT",
    "CommandBlocked",
    "Rule",
    "blocked_reason",
    "csc_has_command",
    "requires_mode",
    "send_command",
]

#: A further condition on sending: returns why not, or None. The views of a
#: domain pass theirs (a controller mode, a local state) to `blocked_reason`.
Rule = Callable[["Session"], "str | None"]

#: The one command allowed while the CSC holds command.
SOURCE_COMMAND = "switchCommandSource"
#: The event (field ``state``) that tells whether the CSC holds command.
SOURCE_EVENT = "commandableByDDS"


class CommandBlocked(Exception):
    """The command may not be sent now (disconnected, or the CSC commands)."""


def csc_has_command(session: Session) -> bool:
    """True when the controller reports that the CSC holds command."""
    return session.events.value(SOURCE_EVENT, "state") is True


def blocked_reason(session: Session, name: str, *rules: Rule) -> str | None:
    """Why ``name`` may not be sent now, or None if it may.

    The order is what an engineer should fix first: the connection, then the
    command source, then each of ``rules`` (e.g. `requires_mode`).
    """
    read_only = session.source.read_only
    if read_only is not None:
        return read_only
    if not session.connection.connected:
        return "not connected to the controller"
    if csc_has_command(session) and name != SOURCE_COMMAND:
        return (
            "the CSC holds command (commandableByDDS is true): only "
            f"{SOURCE_COMMAND} is allowed until you take command"
        )
    for rule in rules:
        reason = rule(session)
        if reason is not None:
            return reason
    return None


def requires_mode(*modes: int) -> Rule:
    """A rule: the controller's closed-loop control mode must be one of ``modes``."""

    def rule(session: Session) -> str | None:
        enum = "ClosedLoopControlMode"
        mode = session.events.value("closedLoopControlMode", "mode")
        if mode in modes:
            return None
        wanted = " or ".join(session.catalogue.enum_name(enum, m) for m in modes)
        now = "unknown" if not isinstance(mode, int) else session.catalogue.enum_name(enum, mode)
        return f"needs the controller in {wanted} mode (it is {now})"

    return rule


async def send_command(
    session: Session,
    name: str,
    params: dict[str, Any] | None,
    *,
    validate: bool = True,
    timeout: float | None = None,
) -> CommandRecord:
    """Validate, check the command-source rule, send and wait for success.

    Raises
    ------
    CommandValidationError
        The parameters do not match the catalogue (nothing was sent).
    CommandBlocked
        Disconnected, or the CSC holds command (nothing was sent).
    CommandError
        The controller's noack or fail, a timeout or a disconnect.
    """
    catalogue = session.catalogue
    if validate:
        params = catalogue.validate_command(name, params)
    if timeout is None and name in catalogue.commands:
        timeout = catalogue.commands[name].timeout
    reason = blocked_reason(session, name)
    if reason is not None:
        raise CommandBlocked(f"{name} not sent: {reason}")
    return await session.connection.command(name, params or {}, timeout=timeout)
