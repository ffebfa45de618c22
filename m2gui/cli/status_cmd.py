"""``m2gui-cli status``: a one-screen summary of the cell; ``--watch`` redraws it."""

from __future__ import annotations

import argparse
import asyncio
from dataclasses import dataclass
from typing import Any

from m2gui.model.ops.faults_table import RESERVED, fault_table
from m2gui.model.ops.overview import Overview
from m2gui.model.ops.overview_lamps import Level
from m2gui.model.ops.overview_rules import as_status
from m2gui.model.procedures.cell_state import (
    COMMUNICATION,
    MOTOR,
    closed_loop_mode,
    mode_name,
    power_on,
)
from m2gui.model.session import Session

from .cell import local_text
from .exit_codes import ExitCode
from .options import Formatter, positive_float, positive_int
from .output import Output, json_text
from .runtime import Interrupts, controller, run_async, wait_for_telemetry

__all__ = ["EXAMPLES", "Row", "register", "snapshot"]

EXAMPLES = """\
examples:
  m2gui-cli status
  m2gui-cli --simulate --inject fault:6055 status
  m2gui-cli status --json | jq .faults
  m2gui-cli status --watch                  redraw every second until Ctrl+C
  m2gui-cli status --watch --interval 5 --count 12

The local mode is inferred from the power: motor power on is Enable,
communication power on is Diagnostic, both off is Standby or Diagnostic
(Standby → Diagnostic leaves the power off). Exit code 0 once shown; 5 if the
controller cannot be reached.
"""
#: Seconds waited for the first telemetry before showing its age as unknown.
TELEMETRY_WAIT = 1.0
#: Clear the terminal and go home (``--watch`` on a terminal).
CLEAR = "\x1b[H\x1b[2J"
LEVEL_STYLES = {
    Level.OK: "ok",
    Level.WARNING: "warning",
    Level.ERROR: "error",
    Level.OFF: "",
    Level.UNKNOWN: "dim",
}
#: Flags of the overview shown, with their titles here.
FLAGS = (
    ("in_position", "in position"),
    ("max_limits", "max limits"),
    ("interlock", "interlock"),
    ("cell_temperature", "cell temp."),
    ("alarm", "alarm"),
    ("warning", "warning"),
)


def register(subparsers: Any, parents: list[argparse.ArgumentParser]) -> None:
    """Add ``status`` to the subcommands."""
    parser = subparsers.add_parser(
        "status",
        parents=parents,
        formatter_class=Formatter,
        help="a one-screen summary: commander, power, mode, faults, telemetry age",
        description="Show who commands the cell, its power and control mode, the faults "
        "decoded to codes and summaries, whether the mirror is in position and how old "
        "the latest telemetry is.",
        epilog=EXAMPLES,
    )
    parser.add_argument("--json", action="store_true", help="one JSON object (per redraw)")
    parser.add_argument("--watch", action="store_true", help="redraw in place until Ctrl+C")
    parser.add_argument(
        "--interval",
        type=positive_float,
        default=1.0,
        metavar="S",
        help="seconds between redraws (default 1)",
    )
    parser.add_argument(
        "--count", type=positive_int, metavar="N", help="with --watch: stop after N redraws"
    )
    parser.set_defaults(handler=handle)


@dataclass(frozen=True)
class Row:
    """One line of the summary: a title, the value, its style, a detail."""

    key: str
    title: str
    value: str
    style: str = ""
    detail: str = ""


def _flag_detail(detail: str, title: str) -> str:
    return detail.split("\n", 1)[0].removeprefix(f"{title}: ")


def _power(session: Session, power: str) -> tuple[bool, str]:
    entry = session.events.latest.get(f"powerSystemState[{power}]")
    state = entry.fields.get("state") if entry is not None else None
    name = (
        session.catalogue.enum_name("PowerSystemState", state)
        if isinstance(state, int) and not isinstance(state, bool)
        else "not reported"
    )
    return power_on(session, power), name


def _faults(session: Session) -> tuple[int | None, list[dict[str, Any]]]:
    status = as_status(session.events.value("summaryFaultsStatus", "status"))
    if status is None:
        return None, []
    rows = [r for r in fault_table(session.catalogue).decode(status) if r.kind != RESERVED]
    rows.sort(key=lambda r: r.code)
    return status, [{"code": r.code, "kind": r.kind, "summary": r.summary} for r in rows]


def snapshot(session: Session, overview: Overview) -> dict[str, Any]:
    """The summary as JSON-ready data."""
    overview.refresh()
    link = session.link.status
    age = session.link.telemetry_age()
    csc = session.events.value("commandableByDDS", "state")
    comm, comm_state = _power(session, COMMUNICATION)
    motor, motor_state = _power(session, MOTOR)
    balance = session.events.value("forceBalanceSystemStatus", "status")
    status, faults = _faults(session)
    flags = {}
    for key, _ in FLAGS:
        flag = overview.flag(key)
        flags[key] = {
            "state": flag.state,
            "word": flag.word,
            "level": flag.level.value,
            "detail": _flag_detail(flag.lamp.detail, flag.title),
        }
    return {
        "address": link.address,
        "link": link.text,
        "connected": link.connected,
        "telemetry_age": age,
        "commander": {True: "CSC", False: "local"}.get(csc, "unknown")
        if isinstance(csc, bool)
        else "unknown",
        "local_mode": local_text(session) if link.connected else "unknown",
        "power": {
            "communication": {"on": comm, "state": comm_state},
            "motor": {"on": motor, "state": motor_state},
        },
        "control_mode": mode_name(session, closed_loop_mode(session)),
        "force_balance": balance if isinstance(balance, bool) else None,
        "flags": flags,
        "faults_status": status,
        "faults": faults,
    }


def rows(data: dict[str, Any]) -> list[Row]:
    """The summary's lines (see `snapshot`)."""
    out = [
        Row(
            "controller",
            "controller",
            f"{data['address']} {data['link']}",
            "ok" if data["connected"] else "error",
        )
    ]
    age = data["telemetry_age"]
    if age is None:
        out.append(Row("telemetry", "telemetry", "none received", "warning"))
    else:
        style = "ok" if age <= 1.0 else "warning"
        out.append(Row("telemetry", "telemetry", f"latest {age:.2f} s ago", style))
    commander = data["commander"]
    words = {
        "CSC": ("CSC (remote): only switchCommandSource may be sent", "warning"),
        "local": ("local (m2gui)", "ok"),
        "unknown": ("unknown (no commandableByDDS yet)", "dim"),
    }
    text, style = words[commander]
    out.append(Row("commander", "commander", text, style))
    out.append(
        Row("local_mode", "local mode", data["local_mode"], "bold", "inferred from the power")
    )
    power = data["power"]
    parts = []
    for name in ("communication", "motor"):
        item = power[name]
        parts.append(f"{name} {'ON' if item['on'] else 'OFF'} ({item['state']})")
    on = power["communication"]["on"] or power["motor"]["on"]
    out.append(Row("power", "power", ", ".join(parts), "ok" if on else ""))
    balance = {True: "on", False: "off", None: "not reported"}[data["force_balance"]]
    out.append(
        Row(
            "control_mode",
            "control mode",
            f"{data['control_mode']}, force balance (closed loop) {balance}",
        )
    )
    for key, title in FLAGS:
        flag = data["flags"][key]
        style = LEVEL_STYLES.get(Level(flag["level"]), "")
        out.append(Row(key, title, flag["word"], style, flag["detail"]))
    status = data["faults_status"]
    if status is None:
        out.append(Row("faults", "faults", "no summaryFaultsStatus yet", "dim"))
    else:
        count = len(data["faults"])
        text = f"0x{status:016X}: " + (f"{count} active" if count else "none active")
        out.append(Row("faults", "faults", text, "error" if count else "ok"))
    return out


def render(data: dict[str, Any], out: Output) -> list[str]:
    """The summary as lines of text (coloured on a terminal)."""
    lines = []
    for row in rows(data):
        value = out.paint(row.value, row.style) if row.style else row.value
        detail = f"  {out.paint(row.detail, 'dim')}" if row.detail else ""
        lines.append(f"{row.title:<13} {value}{detail}")
    for fault in data["faults"]:
        style = "error" if fault["kind"] == "fault" else "warning"
        kind = out.paint(f"{fault['kind']:<8}", style)
        lines.append(f"  {fault['code']:>5}  {kind} {fault['summary']}")
    return lines


def _show(session: Session, overview: Overview, out: Output, as_json: bool, redraw: bool) -> bool:
    data = snapshot(session, overview)
    if as_json:
        return out.line(json_text(data))
    text = "\n".join(render(data, out)) + "\n"
    if redraw:
        text = CLEAR + text
    return out.write(text)


async def _run(args: argparse.Namespace, out: Output, interrupts: Interrupts) -> int:
    async with controller(args, reconnect=args.watch) as session:
        overview = session.store(Overview)
        await wait_for_telemetry(session, TELEMETRY_WAIT)
        redraw = args.watch and out.tty and not args.json
        if not args.watch:
            _show(session, overview, out, args.json, False)
            return ExitCode.OK
        shown = 0
        while True:
            if not _show(session, overview, out, args.json, redraw):
                return ExitCode.OK  # the reader has gone
            shown += 1
            if args.count is not None and shown >= args.count:
                return ExitCode.OK
            if not redraw and not args.json:
                out.line()
            await asyncio.sleep(args.interval)


def handle(args: argparse.Namespace, out: Output) -> int:
    """Run ``status``; return the exit code."""
    return run_async(lambda interrupts: _run(args, out, interrupts))
