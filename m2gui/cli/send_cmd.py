"""``m2gui-cli send NAME key=value ...``: one command, validated, with its replies."""

from __future__ import annotations

import argparse
import asyncio
import sys
from typing import Any

from m2gui.model import load_catalogue
from m2gui.model.catalogue import Catalogue, CommandSpec, CommandValidationError
from m2gui.model.commanding import SOURCE_COMMAND, SOURCE_EVENT, CommandBlocked, csc_has_command
from m2gui.model.console_input import command_name
from m2gui.model.param_text import param_hint, param_value_text, parse_assignments
from m2gui.model.session import Session
from m2gui.net import CommandError, CommandRecord, Outcome

from .commands_text import latency_text, record_json, record_line
from .exit_codes import ExitCode, outcome_exit_code
from .names import did_you_mean, read_text_file
from .options import Formatter
from .output import Output, json_text
from .runtime import CliError, Interrupts, controller, run_async

__all__ = ["EXAMPLES", "register", "take_command", "validated"]

EXAMPLES = """\
examples:
  m2gui-cli send clearErrors
  m2gui-cli send switchCommandSource isRemote=false
  m2gui-cli send setClosedLoopControlMode mode=OpenLoop
  m2gui-cli send power powerType=Communication status=on --yes
  m2gui-cli send setEnabledFaultsMask mask=0xFF80_0003_FFFF_FFF8 --yes
  m2gui-cli send applyForces axial=@axial.csv tangent=0,0,0,0,0,0
  m2gui-cli send setInnerLoopControlMode addresses=0-77 mode=Enabled
  m2gui-cli send setControlParameters --defaults maxAngleDifference=3
  m2gui-cli send positionMirror x=10 y=0 z=0 xRot=0 yRot=0 zRot=0 --dry-run
  m2gui-cli --simulate send clearErrors --take-command --json

values: true/false (yes/no, on/off, 1/0); enumeration names or numbers
(mode=OpenLoop, mode=3); integers in decimal or 0x hexadecimal; arrays as
comma-separated values (integer arrays also take ranges: 0-3,7) or @FILE.csv
(one value per line, or all on one line). `m2gui-cli catalogue NAME` lists a
command's parameters, ranges and defaults.

output: a line when the ack comes, then the outcome (success, fail, noack,
timeout, disconnected) with its latency and the controller's text; exit code
0 on success, 1 fail, 3 noack, 4 timeout, 5 disconnected, 6 invalid input,
7 refused before sending.
"""
#: Seconds to wait for commandableByDDS to turn false after taking command.
TAKE_COMMAND_WAIT = 2.0


def register(subparsers: Any, parents: list[argparse.ArgumentParser]) -> None:
    """Add ``send`` to the subcommands."""
    parser = subparsers.add_parser(
        "send",
        parents=parents,
        formatter_class=Formatter,
        help="send one command, validated against the catalogue, and wait for its outcome",
        description="Validate a command against the catalogue, send it, and print its ack "
        "and outcome with latencies. Nothing is sent when a parameter is wrong.",
        epilog=EXAMPLES,
    )
    parser.add_argument("name", metavar="NAME", help="command name (the cmd_ prefix is optional)")
    parser.add_argument(
        "params", nargs="*", metavar="KEY=VALUE", help="parameters (see the values below)"
    )
    parser.add_argument(
        "--defaults",
        action="store_true",
        help="take the catalogue's default for each parameter not given",
    )
    parser.add_argument(
        "-y",
        "--yes",
        action="store_true",
        help="send a command the catalogue marks dangerous without asking",
    )
    parser.add_argument(
        "--take-command",
        action="store_true",
        help="if the CSC holds command, take it first (switchCommandSource isRemote=false)",
    )
    parser.add_argument(
        "--json", action="store_true", help="print the whole command record as one JSON object"
    )
    parser.add_argument(
        "--dry-run",
        action="store_true",
        help="validate and print the message that would be sent; do not connect",
    )
    parser.set_defaults(handler=handle, more="params")


def validated(catalogue: Catalogue, name: str, items: list[str], defaults: bool) -> dict[str, Any]:
    """The command's parameters from ``key=value`` texts, checked against the catalogue.

    Raises
    ------
    CliError
        ``INVALID``, saying what is wrong and what the parameter takes.
    """
    if name not in catalogue.commands:
        raise CliError(
            ExitCode.INVALID, f"unknown command {name!r}{did_you_mean(name, catalogue.commands)}"
        )
    spec = catalogue.commands[name]
    base = catalogue.default_params(name) if defaults else None
    try:
        params = parse_assignments(spec, items, base=base, load=read_text_file)
        return catalogue.validate_command(name, params)
    except CommandValidationError as error:
        raise CliError(ExitCode.INVALID, _explain(spec, error)) from None


def _explain(spec: CommandSpec, error: CommandValidationError) -> str:
    text = str(error)
    param = spec.params.get((error.param or "").split("[", 1)[0])
    if param is None or "(" in error.reason:
        return text
    if error.reason == "missing":
        default = param_value_text(param, param.default) if param.default is not None else None
        text += f": give {param.name}=VALUE ({param_hint(param)})"
        if default not in (None, ""):
            text += f"; the default, {default}, with --defaults"
        return text
    return f"{text} ({param_hint(param)})"


def _confirm(spec: CommandSpec, params: dict[str, Any], out: Output) -> bool:
    """Ask on the terminal whether to send a dangerous command (never when not a terminal)."""
    try:
        interactive = sys.stdin.isatty() and out.stderr.isatty()
    except (AttributeError, ValueError):
        interactive = False
    if not interactive:
        return False
    shown = " ".join(f"{k}={param_value_text(spec.params[k], v)}" for k, v in params.items())
    out.stderr.write(f"{spec.name} {shown}: {spec.description} Send it? [y/N] ")
    out.stderr.flush()
    try:
        answer = sys.stdin.readline()
    except (OSError, ValueError):
        return False
    return answer.strip().lower() in ("y", "yes")


async def take_command(session: Session, out: Output) -> None:
    """Take command from the CSC when it holds it (``switchCommandSource isRemote=false``).

    Raises
    ------
    CliError
        With the exit code of ``switchCommandSource``'s outcome if it did not succeed.
    """
    if not csc_has_command(session):
        return
    try:
        record = await session.send(SOURCE_COMMAND, {"isRemote": False})
    except CommandError as error:
        raise CliError(
            outcome_exit_code(error.record.outcome), f"taking command failed: {error}"
        ) from None
    except CommandBlocked as error:
        raise CliError(ExitCode.BLOCKED, str(error)) from None
    took = latency_text(record.done_latency)
    out.message(f"took command from the CSC: {SOURCE_COMMAND} succeeded after {took}", "info")
    changed = asyncio.Event()
    unsubscribe = session.connection.subscribe(lambda r: changed.set(), SOURCE_EVENT)
    try:
        async with asyncio.timeout(TAKE_COMMAND_WAIT):
            while csc_has_command(session):
                changed.clear()
                await changed.wait()
    except TimeoutError:
        out.message(f"{SOURCE_EVENT} still reports the CSC in command", "warning")
    finally:
        unsubscribe()


async def _run(
    args: argparse.Namespace, out: Output, interrupts: Interrupts, params: dict[str, Any]
) -> int:
    name: str = args.name
    async with controller(args) as session:
        if name != SOURCE_COMMAND and csc_has_command(session):
            if not args.take_command:
                raise CliError(
                    ExitCode.BLOCKED,
                    f"{name} not sent: the CSC holds command (commandableByDDS is true); "
                    "add --take-command to take it first",
                )
            await take_command(session, out)
        mine: list[CommandRecord] = []

        def on_record(record: CommandRecord) -> None:
            if record.name != name or (mine and record is not mine[0]):
                return
            if not mine:
                mine.append(record)
            if record.outcome is Outcome.ACK and not args.json:
                out.line(record_line(record, out, ack=True))

        remove = session.connection.add_command_listener(on_record)
        timeout = args.timeout if args.timeout_given else None
        try:
            record = await session.send(name, params, timeout=timeout)
        except CommandError as error:
            record = error.record
        except CommandBlocked as error:
            raise CliError(ExitCode.BLOCKED, str(error)) from None
        except asyncio.CancelledError:
            if mine:
                _show(mine[0], out, args.json)
                out.message(
                    f"interrupted: {name} may still be executed by the controller", "warning"
                )
            raise
        finally:
            remove()
        _show(record, out, args.json)
        return int(outcome_exit_code(record.outcome))


def _show(record: CommandRecord, out: Output, as_json: bool) -> None:
    out.line(json_text(record_json(record)) if as_json else record_line(record, out))


def handle(args: argparse.Namespace, out: Output) -> int:
    """Run ``send``; return the exit code."""
    catalogue = load_catalogue()
    name = args.name = command_name(args.name)
    params = validated(catalogue, name, args.params, args.defaults)
    spec = catalogue.commands[name]
    if args.dry_run:
        out.line(json_text({"id": f"cmd_{name}", **params}))
        return ExitCode.OK
    if spec.needs_confirmation(params) and not args.yes and not _confirm(spec, params, out):
        raise CliError(
            ExitCode.BLOCKED,
            f"{name} not sent: the catalogue marks it dangerous ({spec.description}); "
            "add --yes to send it",
        )
    return run_async(lambda interrupts: _run(args, out, interrupts, params))
