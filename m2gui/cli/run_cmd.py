"""``m2gui-cli run PROCEDURE``: the local-mode transitions, as the window runs them.

``diagnostic``, ``enable`` and ``standby`` go from the local mode the power
stands for (see `m2gui.cli.cell`) to the one asked, through the window's own
transitions (`LocalMode.start`, one `Procedure` per hop: Standby → Diagnostic
→ Enable and back), printing each step as it ends. Ctrl+C cancels the
procedure running: its clean-up runs (Diagnostic → Enable switches motor
power off again) and the last line says the state the cell was left in.
"""

from __future__ import annotations

import argparse
import asyncio
import signal
from typing import Any

from m2gui.model.commanding import CommandBlocked, csc_has_command
from m2gui.model.ops.local_mode import LocalMode
from m2gui.model.ops.overview_rules import RESET_COMMAND
from m2gui.model.procedures import (
    Procedure,
    ProcedureOutcome,
    ProcedureResult,
    StepRun,
    StepStatus,
)
from m2gui.model.procedures.cell_state import state_text
from m2gui.model.procedures.local_mode import Local
from m2gui.model.session import Session
from m2gui.net import CommandError, Outcome

from .cell import infer_local
from .commands_text import latency_text
from .exit_codes import ExitCode, outcome_exit_code
from .options import Formatter
from .output import Output, json_text
from .runtime import CliError, Interrupts, controller, run_async
from .send_cmd import take_command

__all__ = ["EXAMPLES", "PROCEDURES", "hops", "plan", "register"]

#: The procedures ``run`` knows: the local mode each one goes to.
PROCEDURES = {"standby": Local.STANDBY, "diagnostic": Local.DIAGNOSTIC, "enable": Local.ENABLE}
ORDER = (Local.STANDBY, Local.DIAGNOSTIC, Local.ENABLE)

EXAMPLES = """\
examples:
  m2gui-cli run diagnostic                 Standby → Diagnostic
  m2gui-cli run enable --clear-errors      on to Enable (power on, ILCs enabled, open loop)
  m2gui-cli run standby                    back down to Standby, through Diagnostic
  m2gui-cli --simulate run enable --take-command --clear-errors --json

The start is the local mode the power stands for: motor power on is Enable,
communication power on is Diagnostic; with both off, Standby (going up) or
Diagnostic (going to Standby). Each transition is the window's (Operations →
Sequencer), with its checks: Enable needs the faults cleared first
(--clear-errors, or m2gui-cli send clearErrors). Ctrl+C cancels the running
procedure cleanly (its clean-up runs) and the last line says the state the
cell was left in; exit code 130. Exit code 0 when the mode is reached (or
already was), 1 when a step failed (3, 4, 5 when its command was rejected,
timed out or the link dropped), 7 when the transition may not start now.
"""
STATUS_STYLES = {
    StepStatus.DONE: "ok",
    StepStatus.SKIPPED: "dim",
    StepStatus.TOLERATED: "warning",
    StepStatus.FAILED: "error",
    StepStatus.CANCELLED: "warning",
}


def register(subparsers: Any, parents: list[argparse.ArgumentParser]) -> None:
    """Add ``run`` to the subcommands."""
    parser = subparsers.add_parser(
        "run",
        parents=parents,
        formatter_class=Formatter,
        help="run a local-mode procedure (diagnostic, enable, standby) step by step",
        description="Bring the cell to a local mode with the window's own procedures, "
        "printing each step as it ends.",
        epilog=EXAMPLES,
    )
    parser.add_argument(
        "procedure",
        choices=list(PROCEDURES),
        metavar="PROCEDURE",
        help="diagnostic, enable or standby",
    )
    parser.add_argument(
        "--take-command",
        action="store_true",
        help="if the CSC holds command, take it first (switchCommandSource isRemote=false)",
    )
    parser.add_argument(
        "--clear-errors",
        action="store_true",
        help="send clearErrors first (the Alarms view's Reset All Items)",
    )
    parser.add_argument("--json", action="store_true", help="JSON lines: each step, the result")
    parser.set_defaults(handler=handle)


def hops(start: Local, target: Local) -> list[Local]:
    """The local modes passed through from ``start`` to ``target`` (not ``start``)."""
    i, j = ORDER.index(start), ORDER.index(target)
    step = 1 if j >= i else -1
    return [ORDER[k] for k in range(i + step, j + step, step)]


def plan(session: Session, target: Local) -> tuple[Local, list[Local]]:
    """Where the run starts, and the local modes it goes through to ``target``.

    The start is what the power says (`infer_local`). With both powers off
    the cell may be in Standby or Diagnostic: going up it starts from
    Standby (Standby → Diagnostic is safe to repeat), going to Standby it
    starts from Diagnostic (Diagnostic → Standby makes sure of it).
    """
    start = infer_local(session)
    if start is None:
        start = Local.DIAGNOSTIC if target is Local.STANDBY else Local.STANDBY
    return start, hops(start, target)


def _step_line(procedure: Procedure, run: StepRun, out: Output) -> str:
    total = len(procedure.steps)
    where = "clean-up" if run.cleanup else f"step {run.index + 1}/{total}"
    word = out.paint(f"{run.status.value:<15}", STATUS_STYLES.get(run.status, ""))
    note = f": {run.note}" if run.note else ""
    return f"{where:<11} {word} {run.title} ({latency_text(run.latency)}){note}"


def _step_json(procedure: Procedure, run: StepRun) -> dict[str, Any]:
    return {
        "procedure": procedure.name,
        "step": run.index + 1,
        "steps": len(procedure.steps),
        "cleanup": run.cleanup,
        "title": run.title,
        "status": run.status.value,
        "latency": run.latency,
        "tries": run.tries,
        "note": run.note,
        "commands": [
            {"name": r.name, "outcome": r.outcome.value, "latency": r.done_latency}
            for r in run.commands
        ],
    }


async def _clear_errors(session: Session, out: Output) -> None:
    try:
        await session.send(RESET_COMMAND)
    except CommandError as error:
        raise CliError(
            outcome_exit_code(error.record.outcome), f"{RESET_COMMAND} did not succeed: {error}"
        ) from None
    except CommandBlocked as error:
        raise CliError(ExitCode.BLOCKED, str(error)) from None
    out.message(f"{RESET_COMMAND} succeeded", "info")


def _result_code(session: Session, result: ProcedureResult) -> ExitCode:
    if result.outcome is ProcedureOutcome.SUCCEEDED:
        return ExitCode.OK
    if result.outcome is ProcedureOutcome.CANCELLED:
        return ExitCode.INTERRUPTED
    if not session.connected:
        return ExitCode.DISCONNECTED
    step = result.failed_step
    if step is not None and step.commands:
        outcome = step.commands[-1].outcome
        if outcome in (Outcome.NOACK, Outcome.TIMEOUT, Outcome.DISCONNECTED):
            return outcome_exit_code(outcome)
    return ExitCode.FAIL


async def _run(args: argparse.Namespace, out: Output, interrupts: Interrupts) -> int:
    target = PROCEDURES[args.procedure]
    async with controller(args) as session:
        if csc_has_command(session):
            if not args.take_command:
                raise CliError(
                    ExitCode.BLOCKED,
                    f"{target.value} not started: the CSC holds command "
                    "(commandableByDDS is true); add --take-command to take it first",
                )
            await take_command(session, out)
        local = session.store(LocalMode)
        if args.clear_errors:
            await _clear_errors(session, out)
        start, path = plan(session, target)
        if not path:
            if args.json:
                out.line(json_text({"outcome": "already", "state": state_text(session)}))
            else:
                out.line(f"already in {target.value}: {state_text(session)}")
            return ExitCode.OK
        if not args.json:
            via = f" through {', '.join(h.value for h in path[:-1])}" if len(path) > 1 else ""
            out.line(f"from {start.value} ({state_text(session)}) to {target.value}{via}")
        stopping: list[int] = []

        def on_interrupt() -> None:
            stopping.append(1)
            name = signal.Signals(interrupts.signal or signal.SIGINT).name
            if local.runner.cancel(f"interrupted ({name})"):
                out.message("interrupted: cancelling, the clean-up runs…", "warning")

        interrupts.on_interrupt = on_interrupt
        local.mode = start
        code = ExitCode.OK
        for hop in path:
            if stopping:
                break
            try:
                procedure = local.start(hop)
            except RuntimeError as error:
                hint = ""
                if "clear the faults" in str(error) and not args.clear_errors:
                    hint = " (add --clear-errors, or m2gui-cli send clearErrors)"
                raise CliError(ExitCode.BLOCKED, f"{error}{hint}") from None

            def on_step(run: StepRun, procedure: Procedure = procedure) -> None:
                if args.json:
                    out.line(json_text(_step_json(procedure, run)))
                else:
                    out.line(_step_line(procedure, run, out))

            procedure.step_finished.connect(on_step)
            assert procedure.task is not None
            try:
                result = await asyncio.shield(procedure.task)
            except asyncio.CancelledError:
                out.message(
                    f"interrupted again: {procedure.name} stopped before its clean-up "
                    f"ended; the cell was left with {state_text(session)}",
                    "warning",
                )
                raise
            if args.json:
                out.line(
                    json_text(
                        {
                            "procedure": result.name,
                            "outcome": result.outcome.value,
                            "reason": result.reason,
                            "state": result.safe_state,
                            "elapsed": result.elapsed,
                        }
                    )
                )
            else:
                style = "ok" if result.outcome is ProcedureOutcome.SUCCEEDED else "error"
                out.line(out.paint(result.text, style))
            code = _result_code(session, result)
            if code is not ExitCode.OK:
                break
        return code


def handle(args: argparse.Namespace, out: Output) -> int:
    """Run ``run``; return the exit code."""
    return run_async(lambda interrupts: _run(args, out, interrupts))
