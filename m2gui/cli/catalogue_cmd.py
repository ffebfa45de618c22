"""``m2gui-cli catalogue [NAME]``: commands, events, telemetry and enumerations."""

from __future__ import annotations

import argparse
import shutil
from typing import Any

from m2gui.model import load_catalogue
from m2gui.model.catalogue import Catalogue, CommandSpec, Param, TopicSpec
from m2gui.model.param_text import param_hint, param_value_text

from .exit_codes import ExitCode
from .names import did_you_mean
from .options import Formatter
from .output import Output, json_text
from .runtime import CliError

__all__ = ["EXAMPLES", "register"]

EXAMPLES = """\
examples:
  m2gui-cli catalogue                       every command, event, topic and enumeration
  m2gui-cli catalogue power                 a command: parameters, units, ranges, defaults
  m2gui-cli catalogue axialForce            a topic: fields, units, lengths
  m2gui-cli catalogue PowerType             an enumeration: names and numbers
  m2gui-cli catalogue --names commands      names only, one per line (for scripts)
  m2gui-cli catalogue setEnabledFaultsMask --json
"""
KINDS = ("commands", "events", "telemetry", "enums")


def register(subparsers: Any, parents: list[argparse.ArgumentParser]) -> None:
    """Add ``catalogue`` to the subcommands."""
    parser = subparsers.add_parser(
        "catalogue",
        parents=parents,
        formatter_class=Formatter,
        help="the protocol catalogue: commands with parameters, events, telemetry fields",
        description="Show the protocol catalogue m2gui validates against (no connection).",
        epilog=EXAMPLES,
    )
    parser.add_argument("name", nargs="?", metavar="NAME", help="a command, topic or enumeration")
    parser.add_argument("--json", action="store_true", help="the catalogue's own JSON entry")
    parser.add_argument(
        "--names",
        choices=KINDS,
        metavar="KIND",
        help=f"print the names of one kind, one per line ({', '.join(KINDS)})",
    )
    parser.set_defaults(handler=handle)


def _names(catalogue: Catalogue, kind: str) -> list[str]:
    if kind == "commands":
        return list(catalogue.commands)
    if kind == "events":
        return list(catalogue.events)
    if kind == "telemetry":
        return list(catalogue.telemetry)
    return [*catalogue.enums, *catalogue.bitfields]


def _width() -> int:
    return max(60, min(shutil.get_terminal_size((100, 24)).columns, 160))


def _cut(text: str, width: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: max(0, width - 1)] + "…"


def _overview(catalogue: Catalogue, out: Output) -> None:
    width = _width()
    out.line(out.paint(f"commands ({len(catalogue.commands)})", "bold"))
    for group in catalogue.groups:
        out.line(f"  {group}:")
        for spec in catalogue.commands.values():
            if spec.group == group:
                mark = "!" if spec.dangerous else " "
                out.line(f"   {mark}{spec.name:<26} {_cut(spec.description, width - 31)}")
    for title, topics in (("events", catalogue.events), ("telemetry", catalogue.telemetry)):
        out.line(out.paint(f"{title} ({len(topics)})", "bold"))
        for topic in topics.values():
            fields = ", ".join(topic.fields)
            out.line(f"    {topic.name:<26} {_cut(fields, width - 31)}")
    out.line(out.paint("enumerations", "bold"))
    for name, values in [*catalogue.enums.items(), *catalogue.bitfields.items()]:
        out.line(f"    {name:<26} {_cut(', '.join(values), width - 31)}")
    out.line("(! dangerous: send asks to confirm, or takes --yes)")


def _param_lines(spec: CommandSpec, param: Param) -> list[str]:
    kind = param.type + (f"[{param.length}]" if param.is_array else "")
    pad = " " * 39
    lines = [f"  {param.name:<22} {kind:<14} {param_hint(param)}"]
    if param.default is not None:
        default = param_value_text(param, param.default) or "empty"
        lines.append(f"{pad} default {default}")
    if param.optional:
        conditions = []
        for other, values in param.required_when.items():
            other_param = spec.params.get(other)
            shown = [
                param_value_text(other_param, v) if other_param is not None else str(v)
                for v in values
            ]
            conditions.append(f"{other} is {' or '.join(shown)}")
        when = f", needed when {'; '.join(conditions)}" if conditions else ""
        lines.append(f"{pad} optional{when}")
    if param.description:
        lines.append(f"{pad} {param.description}")
    return lines


def _command(spec: CommandSpec, out: Output) -> None:
    flags = [f"group {spec.group}", f"timeout {spec.timeout:g} s"]
    if spec.dangerous:
        flags.append("dangerous: send asks to confirm, or takes --yes")
    out.line(out.paint(f"command {spec.name}", "bold") + f" ({'; '.join(flags)})")
    out.line(f"  {spec.description}")
    if spec.params:
        out.line("parameters:")
        for param in spec.params.values():
            for line in _param_lines(spec, param):
                out.line(line)
    else:
        out.line("parameters: none")
    if spec.emits:
        out.line("emits: " + ", ".join(dict.fromkeys(spec.emits)))


def _topic(catalogue: Catalogue, spec: TopicSpec, out: Output) -> None:
    extra = []
    if spec.key:
        extra.append(f"one per {spec.key}")
    if spec.requires_motor_power:
        extra.append("sent while motor power is on")
    if spec.legacy:
        extra.append("legacy")
    tail = f" ({'; '.join(extra)})" if extra else ""
    out.line(out.paint(f"{spec.kind} {spec.name}", "bold") + tail)
    if spec.description:
        out.line(f"  {spec.description}")
    out.line("fields:")
    for field in spec.fields.values():
        kind = field.type + (f"[{field.length}]" if field.is_array else "")
        notes = []
        if field.unit:
            notes.append(field.unit)
        values = catalogue.enums.get(field.enum or "") or catalogue.bitfields.get(field.enum or "")
        if values:
            notes.append(f"{field.enum}: " + ", ".join(f"{k} {v}" for k, v in values.items()))
        elif field.enum:
            notes.append(field.enum)
        if field.description:
            notes.append(field.description)
        out.line(f"  {field.name:<22} {kind:<14} {'; '.join(notes)}".rstrip())


def _enum(name: str, values: dict[str, int], bits: bool, out: Output) -> None:
    out.line(out.paint(f"{'bit field' if bits else 'enumeration'} {name}", "bold"))
    for key, value in values.items():
        number = f"0x{value:X}" if bits else str(value)
        out.line(f"  {number:>12}  {key}")


def _section(catalogue: Catalogue, name: str) -> str | None:
    """Where ``name`` is in the catalogue's JSON (``commands``, ``events``...), or None."""
    for section, names in (
        ("commands", catalogue.commands),
        ("telemetry", catalogue.telemetry),
        ("events", catalogue.events),
        ("enums", catalogue.enums),
        ("bitfields", catalogue.bitfields),
    ):
        if name in names:
            return section
    return None


def _entry(catalogue: Catalogue, section: str, name: str, out: Output) -> None:
    if section == "commands":
        _command(catalogue.commands[name], out)
    elif section in ("telemetry", "events"):
        spec = catalogue.telemetry.get(name) or catalogue.events[name]
        _topic(catalogue, spec, out)
    elif section == "enums":
        _enum(name, catalogue.enums[name], False, out)
    else:
        _enum(name, catalogue.bitfields[name], True, out)


def handle(args: argparse.Namespace, out: Output) -> int:
    """Run ``catalogue``; return the exit code."""
    catalogue = load_catalogue()
    if args.names:
        for name in _names(catalogue, args.names):
            out.line(name)
        return ExitCode.OK
    if args.name is None:
        if args.json:
            out.line(json_text(catalogue.raw))
        else:
            _overview(catalogue, out)
        return ExitCode.OK
    name = str(args.name).removeprefix("cmd_").removeprefix("evt_").removeprefix("tel_")
    section = _section(catalogue, name)
    if section is None:
        known = [
            *catalogue.commands,
            *catalogue.events,
            *catalogue.telemetry,
            *catalogue.enums,
            *catalogue.bitfields,
        ]
        raise CliError(
            ExitCode.INVALID,
            f"no command, event, telemetry topic or enumeration {name!r}"
            f"{did_you_mean(name, known)}",
        )
    if args.json:
        out.line(json_text({name: catalogue.raw[section][name]}))
    else:
        _entry(catalogue, section, name, out)
    return ExitCode.OK
