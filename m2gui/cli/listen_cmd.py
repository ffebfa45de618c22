"""``m2gui-cli listen [TOPIC ...]``: events and telemetry as text, JSON lines or CSV."""

from __future__ import annotations

import argparse
import asyncio
import csv
import dataclasses
import io
import time
from collections.abc import Mapping
from typing import Any

from m2gui.model import load_catalogue
from m2gui.model.catalogue import Catalogue, FieldSpec
from m2gui.model.format import format_value
from m2gui.model.session import Session
from m2gui.net import ConnectionState, Received

from .exit_codes import ExitCode
from .options import Formatter, positive_float, positive_int
from .output import Output, json_text
from .runtime import CliError, Interrupts, controller, run_async
from .selection import Selections, parse_selection

__all__ = ["EXAMPLES", "Decimator", "Writer", "parse_selections", "register"]

EXAMPLES = """\
examples:
  m2gui-cli listen                                  every event and telemetry topic
  m2gui-cli listen --events                         events only
  m2gui-cli listen powerStatus --count 5
  m2gui-cli listen axialForce.measured[12] tangentForce.measured --rate 1
  m2gui-cli listen axialForce.measured[0:6] --json --duration 10
  m2gui-cli listen position --csv --duration 60 > position.csv
  m2gui-cli listen summaryFaultsStatus --count 1 --json | jq .fields.status

TOPIC is an event or telemetry name (m2gui-cli catalogue lists them), TOPIC.FIELD
one field, TOPIC.FIELD[i] one element of an array, TOPIC.FIELD[a:b] a range of
elements. The events of the controller's welcome burst (its current state) come
first. --json writes one object per message:
  {"time": 1764512345.123, "kind": "telemetry", "topic": "powerStatus",
   "fields": {"motorVoltage": 23.9, ...}}
--csv writes a header of TOPIC.FIELD[i] columns, then one row per message.
"""
#: Characters of a value shown in the text format.
TEXT_VALUE_CHARS = 120


def register(subparsers: Any, parents: list[argparse.ArgumentParser]) -> None:
    """Add ``listen`` to the subcommands."""
    parser = subparsers.add_parser(
        "listen",
        parents=parents,
        formatter_class=Formatter,
        help="print events and telemetry as they arrive (text, JSON lines or CSV)",
        description="Print the controller's events and telemetry as they arrive, until "
        "--count, --duration, Ctrl+C or the reader closing the pipe.",
        epilog=EXAMPLES,
    )
    parser.add_argument(
        "topics", nargs="*", metavar="TOPIC[.FIELD[i]]", help="what to show (default: everything)"
    )
    form = parser.add_mutually_exclusive_group()
    form.add_argument("--json", action="store_true", help="one JSON object per message")
    form.add_argument("--csv", action="store_true", help="CSV with a header (needs TOPICs)")
    kinds = parser.add_mutually_exclusive_group()
    kinds.add_argument("--events", action="store_true", help="with no TOPIC: events only")
    kinds.add_argument("--telemetry", action="store_true", help="with no TOPIC: telemetry only")
    parser.add_argument("--count", type=positive_int, metavar="N", help="stop after N messages")
    parser.add_argument("--duration", type=positive_float, metavar="S", help="stop after S seconds")
    parser.add_argument(
        "--rate",
        type=positive_float,
        metavar="HZ",
        help="at most HZ messages per second of each telemetry topic (events are all shown)",
    )
    parser.set_defaults(handler=handle, more="topics")


class Decimator:
    """Keeps at most ``rate`` messages a second of each topic, evenly spaced.

    A message is kept when it is due; the next one is due a period later
    (not a period after the kept one's time, so jitter does not lower the
    rate), and never sooner than half a period after the kept one.
    """

    def __init__(self, rate: float) -> None:
        self.period = 1.0 / rate
        self._due: dict[str, float] = {}

    def keep(self, topic: str, t: float) -> bool:
        """True if the message of ``topic`` received at ``t`` is shown."""
        due = self._due.get(topic)
        if due is not None and t < due:
            return False
        start = t if due is None else due
        self._due[topic] = max(start + self.period, t + self.period / 2)
        return True


def _text_value(catalogue: Catalogue, spec: FieldSpec | None, value: Any) -> str:
    """A value as the window shows it (`format_value`: names, bits, units), on one line.

    Fields numbered from 1 on the wire (``index_base`` 1) are shown from 0, as
    the event store keeps them, so that their actuator labels are right.
    """
    if spec is not None and spec.index_base == 1 and isinstance(value, list):
        value = [v - 1 if isinstance(v, int) and not isinstance(v, bool) else v for v in value]
    text = " ".join(format_value(catalogue, spec, value).split())
    return text if len(text) <= TEXT_VALUE_CHARS else text[:TEXT_VALUE_CHARS] + "…"


class Writer:
    """Turns one message into one line of the chosen format (``text``, ``json``, ``csv``)."""

    def __init__(
        self, catalogue: Catalogue, selections: Selections, form: str, out: Output
    ) -> None:
        self.catalogue = catalogue
        self.selections = selections
        self.form = form
        self.out = out
        self.columns: list[tuple[str, str, str, int | None]] = []
        if form == "csv":
            for item in selections.items:
                spec = catalogue.topic(item.topic)
                assert spec is not None
                for field, header, index in item.columns(spec):
                    self.columns.append((item.topic, field, header, index))
            # the same column asked twice is shown once
            unique = {c[2]: c for c in self.columns}
            self.columns = list(unique.values())

    def header(self) -> str:
        return self._csv(["time", "topic", *(c[2] for c in self.columns)])

    @staticmethod
    def _csv(cells: list[str]) -> str:
        buffer = io.StringIO()
        csv.writer(buffer, lineterminator="").writerow(cells)
        return buffer.getvalue()

    def line(self, received: Received, kind: str) -> str:
        fields = self.selections.fields(received.name, received.message)
        if self.form == "json":
            return json_text(
                {"time": received.time, "kind": kind, "topic": received.name, "fields": fields}
            )
        if self.form == "csv":
            return self._csv_row(received)
        return self._text(received, fields)

    def _csv_row(self, received: Received) -> str:
        message = received.message
        cells = [f"{received.time:.6f}", received.name]
        for topic, field, _, index in self.columns:
            value: Any = None
            if topic == received.name:
                value = message.get(field)
                if index is not None:
                    value = value[index] if isinstance(value, list) and index < len(value) else None
            cells.append(_cell(value))
        return self._csv(cells)

    def _text(self, received: Received, fields: Mapping[str, Any]) -> str:
        spec = self.catalogue.topic(received.name)
        clock = time.strftime("%H:%M:%S", time.localtime(received.time))
        millis = f"{received.time % 1:.3f}"[1:]
        parts = [self.out.paint(f"{clock}{millis}", "dim"), self.out.paint(received.name, "bold")]
        for label, value in fields.items():
            name = label.split("[", 1)[0]
            fspec = spec.fields.get(name) if spec is not None else None
            if fspec is not None and "[" in label:  # elements: no labels of the whole
                length = len(value) if isinstance(value, list) else None
                fspec = dataclasses.replace(
                    fspec, length=length, index_base=None, elements="", labels=()
                )
            parts.append(f"{label}={_text_value(self.catalogue, fspec, value)}")
        return " ".join(parts)


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float | str):
        return str(value)
    return json_text(value)


async def _run(
    args: argparse.Namespace,
    out: Output,
    interrupts: Interrupts,
    selections: Selections,
    writer: Writer,
) -> int:
    done = asyncio.Event()
    lost: list[str] = []
    shown = 0
    decimator = Decimator(args.rate) if args.rate else None
    out.on_closed(done.set)
    connected = False

    def on_message(received: Received) -> None:
        nonlocal shown
        if done.is_set():
            return
        kind = "telemetry" if received.name in writer.catalogue.telemetry else "event"
        if not selections.wants(received.name, kind):
            return
        if (
            decimator is not None
            and kind == "telemetry"
            and not decimator.keep(received.name, received.time)
        ):
            return
        if not out.line(writer.line(received, kind)):
            return
        shown += 1
        if args.count is not None and shown >= args.count:
            done.set()

    def on_state(state: ConnectionState) -> None:
        nonlocal connected
        if state is ConnectionState.CONNECTED:
            connected = True
        elif connected and not done.is_set():
            lost.append(f"the connection was lost ({state.value})")
            done.set()

    def prepare(session: Session) -> None:
        session.connection.subscribe(on_message)
        session.connection.add_state_listener(on_state)

    async with controller(args, prepare=prepare) as session:
        try:
            async with asyncio.timeout(args.duration):
                await done.wait()
        except TimeoutError:
            pass
        if lost:
            why = session.connection.last_error or lost[0]
            raise CliError(ExitCode.DISCONNECTED, f"{session.connection.address}: {why}")
    return ExitCode.OK


def parse_selections(
    args: argparse.Namespace, catalogue: Catalogue, out: Output
) -> tuple[Selections, Writer]:
    """The selections and the writer of ``args`` (``topics``, ``json``, ``csv``, kinds).

    Raises
    ------
    CliError
        ``INVALID`` for a selection that is not the catalogue's, or CSV with none.
    """
    try:
        items = [parse_selection(text, catalogue) for text in args.topics]
    except ValueError as error:
        raise CliError(ExitCode.INVALID, str(error)) from None
    kinds = {"event", "telemetry"}
    if args.events:
        kinds = {"event"}
    elif args.telemetry:
        kinds = {"telemetry"}
    if items and (args.events or args.telemetry):
        raise CliError(ExitCode.INVALID, "--events and --telemetry are for listening to no TOPIC")
    selections = Selections(items, kinds)
    form = "json" if args.json else "csv" if args.csv else "text"
    if form == "csv" and selections.everything:
        raise CliError(
            ExitCode.INVALID,
            "--csv needs one TOPIC or TOPIC.FIELD at least: the columns come from them",
        )
    return selections, Writer(catalogue, selections, form, out)


def handle(args: argparse.Namespace, out: Output) -> int:
    """Run ``listen``; return the exit code."""
    selections, writer = parse_selections(args, load_catalogue(), out)
    if writer.form == "csv" and not out.line(writer.header()):
        return ExitCode.OK
    return run_async(lambda interrupts: _run(args, out, interrupts, selections, writer))
