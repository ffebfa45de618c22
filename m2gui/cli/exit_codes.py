"""The exit codes of ``m2gui-cli``: one per way a command can end."""

from __future__ import annotations

import enum

from m2gui.net import Outcome

__all__ = ["EXIT_CODES", "ExitCode", "exit_code_table", "outcome_exit_code"]


class ExitCode(enum.IntEnum):
    """What ``m2gui-cli`` returns to the shell."""

    #: Done: the command succeeded, the procedure reached its mode, the output ended.
    OK = 0
    #: The controller answered fail, or a procedure failed.
    FAIL = 1
    #: The command line is not usable (argparse's usage error).
    USAGE = 2
    #: The controller rejected the command (noack).
    NOACK = 3
    #: No reply (or no connection) within the timeout.
    TIMEOUT = 4
    #: Could not connect, or the connection was lost.
    DISCONNECTED = 5
    #: The input does not match the catalogue (name, parameter, value, file): nothing sent.
    INVALID = 6
    #: Refused before sending: the CSC holds command, a dangerous command
    #: without --yes, or a procedure that may not start from this state.
    BLOCKED = 7
    #: Ctrl+C (SIGINT); 128 + the signal's number.
    INTERRUPTED = 130
    #: SIGTERM.
    TERMINATED = 143


#: Each code with what it means, for ``--help`` and the documentation.
EXIT_CODES: dict[ExitCode, str] = {
    ExitCode.OK: "success (also when a reader closes the pipe, e.g. | head)",
    ExitCode.FAIL: "the controller answered fail, or a procedure failed",
    ExitCode.USAGE: "usage error: unknown option, missing argument",
    ExitCode.NOACK: "the controller rejected the command (noack)",
    ExitCode.TIMEOUT: "no reply within the timeout",
    ExitCode.DISCONNECTED: "could not connect, or the connection was lost",
    ExitCode.INVALID: "invalid input (command, parameter, value, topic, file): nothing sent",
    ExitCode.BLOCKED: "refused before sending: the CSC holds command (--take-command), "
    "a dangerous command without --yes, or a procedure not allowed now",
    ExitCode.INTERRUPTED: "interrupted by Ctrl+C (SIGINT); 143 for SIGTERM",
}

_BY_OUTCOME = {
    Outcome.SUCCESS: ExitCode.OK,
    Outcome.FAIL: ExitCode.FAIL,
    Outcome.NOACK: ExitCode.NOACK,
    Outcome.TIMEOUT: ExitCode.TIMEOUT,
    Outcome.DISCONNECTED: ExitCode.DISCONNECTED,
    Outcome.INVALID: ExitCode.INVALID,
    Outcome.CANCELLED: ExitCode.INTERRUPTED,
}


def outcome_exit_code(outcome: Outcome) -> ExitCode:
    """The exit code of a command that ended with ``outcome`` (a pending one: timeout)."""
    return _BY_OUTCOME.get(outcome, ExitCode.TIMEOUT)


def exit_code_table() -> str:
    """The exit codes as an aligned text table."""
    return "\n".join(f"  {int(code):>3}  {text}" for code, text in EXIT_CODES.items())
