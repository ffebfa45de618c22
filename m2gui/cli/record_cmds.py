"""``record PATH``, ``replay PATH`` and ``export PATH``: the recording format from a terminal.

``record`` writes what the controller sends and what is sent to it into a
recording folder (the window's own `LiveRecording`: the wire log and the
long-history index), until ``--duration``, Ctrl+C or a disk error.
``replay`` prints a recording as ``listen`` prints a controller (same
selections and formats), through the window's `ReplaySource`; ``--info``
describes it instead. ``export`` writes Parquet tables (and CSV signals).
The recording modules are imported when a subcommand needs them.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from m2gui.broker import BrokerUrlError, Publisher
from m2gui.broker.options import add_broker_arguments, broker_login, broker_url
from m2gui.model import load_catalogue
from m2gui.model.session import Session
from m2gui.net import ConnectionState, Received

from .exit_codes import ExitCode
from .listen_cmd import parse_selections
from .options import Formatter, duration, positive_float, positive_int
from .output import Output, json_text
from .runtime import CliError, Interrupts, controller, run_async

if TYPE_CHECKING:
    from m2gui.record.reader import Recording

__all__ = ["EXPORT_EXAMPLES", "RECORD_EXAMPLES", "REPLAY_EXAMPLES", "register"]

RECORD_EXAMPLES = """\
examples:
  m2gui-cli record ~/m2/night-2026-11-30 --duration 8h
  m2gui-cli --simulate record /tmp/sim-rec --duration 30s
  m2gui-cli record /data/m2/$(date +%Y%m%d) --duration 12h --host m2-controller   (cron)

Records every line both ports carry, both ways, into PATH (a folder, created
if needed; an existing recording goes on with a new part). A frame is on disk
at least once a second. It reconnects after a drop (--no-reconnect: end with
exit code 5). Ctrl+C closes the recording cleanly (exit code 130); a disk
error stops it (exit code 1). The last line says what was written.
"""
REPLAY_EXAMPLES = """\
examples:
  m2gui-cli replay ~/m2/night --info                 what is in it
  m2gui-cli replay ~/m2/night --events               every event, as fast as possible
  m2gui-cli replay ~/m2/night powerStatus --speed 1  at the recorded pace
  m2gui-cli replay ~/m2/night axialForce.measured[12] --from 23:10 --to 23:20 --csv

TOPIC selections and the text, --json and --csv formats are listen's; times are
the recorded ones.
"""
EXPORT_EXAMPLES = """\
examples:
  m2gui-cli export ~/m2/night --parquet ~/m2/night-parquet
  m2gui-cli export ~/m2/night --parquet out --from 23:00 --to 23:30
  m2gui-cli export ~/m2/night --csv forces.csv --signal axialForce.measured[12] \\
      --signal tangentForce.measured[0]

--parquet writes one file per telemetry topic, events.parquet and
commands.parquet; the files appear only once complete. Ctrl+C stops and leaves
nothing behind (exit code 130). The files written are listed on stdout.
"""
#: Seconds between progress updates on a terminal.
PROGRESS_EVERY = 1.0


def register(
    subparsers: Any,
    connected: list[argparse.ArgumentParser],
    plain: list[argparse.ArgumentParser],
) -> None:
    """Add ``record``, ``replay`` and ``export`` to the subcommands."""
    record = subparsers.add_parser(
        "record",
        parents=connected,
        formatter_class=Formatter,
        help="record the controller's traffic into a recording folder",
        description="Record everything both ports carry into PATH, as the window records.",
        epilog=RECORD_EXAMPLES,
    )
    record.add_argument("path", metavar="PATH", type=Path, help="the recording folder")
    record.add_argument(
        "--duration", type=duration, metavar="TIME", help="stop after TIME (90s, 15m, 8h)"
    )
    record.add_argument(
        "--no-reconnect", action="store_true", help="end (exit code 5) when the link drops"
    )
    record.add_argument(
        "--publish",
        type=broker_url,
        metavar="URL",
        help="also publish everything to an MQTT broker, mqtt[s]://BROKER[:PORT]/PREFIX, "
        "for read-only viewers (m2gui --source URL)",
    )
    add_broker_arguments(record)
    record.set_defaults(handler=handle_record)

    replay = subparsers.add_parser(
        "replay",
        parents=plain,
        formatter_class=Formatter,
        help="print a recording's events and telemetry (as listen does), or --info",
        description="Print what a recording holds, as listen prints a controller.",
        epilog=REPLAY_EXAMPLES,
    )
    replay.add_argument("path", metavar="PATH", type=Path, help="recording folder or part file")
    replay.add_argument(
        "topics", nargs="*", metavar="TOPIC[.FIELD[i]]", help="what to show (default: everything)"
    )
    replay.add_argument("--info", action="store_true", help="describe the recording instead")
    form = replay.add_mutually_exclusive_group()
    form.add_argument("--json", action="store_true", help="one JSON object per message")
    form.add_argument("--csv", action="store_true", help="CSV with a header (needs TOPICs)")
    kinds = replay.add_mutually_exclusive_group()
    kinds.add_argument("--events", action="store_true", help="with no TOPIC: events only")
    kinds.add_argument("--telemetry", action="store_true", help="with no TOPIC: telemetry only")
    replay.add_argument(
        "--speed",
        type=positive_float,
        metavar="X",
        help="X times the recorded pace (default: as fast as possible)",
    )
    replay.add_argument("--count", type=positive_int, metavar="N", help="stop after N messages")
    _range_options(replay)
    replay.set_defaults(handler=handle_replay, more="topics")

    export = subparsers.add_parser(
        "export",
        parents=plain,
        formatter_class=Formatter,
        help="export a recording to Parquet (or chosen signals to CSV)",
        description="Export a recording, or a time range of it.",
        epilog=EXPORT_EXAMPLES,
    )
    export.add_argument("path", metavar="PATH", type=Path, help="recording folder or part file")
    export.add_argument("--parquet", type=Path, metavar="DIR", help="write Parquet files into DIR")
    export.add_argument("--csv", type=Path, metavar="FILE", help="write --signal columns to FILE")
    export.add_argument(
        "--signal",
        action="append",
        default=[],
        metavar="TOPIC.FIELD[i]",
        help="a telemetry signal for --csv (repeatable)",
    )
    _range_options(export)
    export.set_defaults(handler=handle_export)


def _range_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--from", dest="start", metavar="HH:MM[:SS]", help="from this local time of day"
    )
    parser.add_argument("--to", dest="end", metavar="HH:MM[:SS]", help="to this local time of day")


# ----------------------------------------------------------------------
# record
# ----------------------------------------------------------------------
def _size(n: int) -> str:
    for unit in ("B", "kB", "MB", "GB"):
        if n < 1000 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1000  # type: ignore[assignment]
    return f"{n} B"


async def _record(args: argparse.Namespace, out: Output, interrupts: Interrupts) -> int:
    from m2gui.record.live import LiveRecording, RecordingOptions

    loop = asyncio.get_running_loop()
    done = asyncio.Event()
    problems: list[tuple[ExitCode, str]] = []
    folder: Path = args.path.expanduser()
    holder: list[LiveRecording] = []
    publishers: list[Publisher] = []
    connected = False
    ending = False

    def failed(message: str) -> None:  # from the writer thread
        loop.call_soon_threadsafe(_stop, ExitCode.FAIL, f"recording stopped: {message}")

    def _stop(code: ExitCode, message: str) -> None:
        problems.append((code, message))
        done.set()

    def on_state(state: ConnectionState) -> None:
        nonlocal connected
        if ending:
            return
        if state is ConnectionState.CONNECTED:
            if connected:
                out.message("reconnected: recording goes on", "info")
            connected = True
        elif connected and state is not ConnectionState.CONNECTING:
            if args.no_reconnect:
                _stop(ExitCode.DISCONNECTED, "the connection was lost")
            else:
                out.message(f"the connection was lost ({state.value})", "warning")

    def prepare(session: Session) -> None:
        options = RecordingOptions(folder.parent, folder)
        recording = LiveRecording(session.connection, session.telemetry, session.catalogue, options)
        recording.failed.connect(failed)
        try:
            recording.start()
        except Exception as error:  # RecordingError: the folder cannot be made
            raise CliError(ExitCode.FAIL, str(error)) from None
        holder.append(recording)
        session.connection.add_state_listener(on_state)
        if args.publish is not None:
            try:
                login = broker_login(args, args.publish)
            except BrokerUrlError as error:
                raise CliError(ExitCode.INVALID, str(error)) from None
            publisher = Publisher(
                session.connection, args.publish, catalogue=session.catalogue, **login
            )
            publisher.start()
            publishers.append(publisher)

    interrupts.on_interrupt = done.set
    started = time.monotonic()
    try:
        async with controller(args, reconnect=not args.no_reconnect, prepare=prepare):
            out.message(f"recording into {folder}", "info")
            tty = out.err_color and out.stderr.isatty()
            while not done.is_set():
                left = None
                if args.duration is not None:
                    left = args.duration - (time.monotonic() - started)
                    if left <= 0:
                        break
                wait = PROGRESS_EVERY if left is None else min(PROGRESS_EVERY, left)
                try:
                    async with asyncio.timeout(wait):
                        await done.wait()
                except TimeoutError:
                    pass
                if tty and holder:
                    status = holder[0].status()
                    if status is not None:
                        out.stderr.write(
                            f"\r{status.messages:,} lines, {_size(status.bytes_on_disk)} "
                            "on disk\x1b[K"
                        )
                        out.stderr.flush()
            if tty:
                out.stderr.write("\n")
            ending = True
    finally:
        ending = True
        for publisher in publishers:
            await publisher.close()
        for recording in holder:
            await asyncio.to_thread(recording.close)
    status = holder[0].status() if holder else None
    if status is not None:
        seconds = time.monotonic() - started
        out.line(
            f"{folder}: {status.messages:,} lines in {seconds:.1f} s, "
            f"{_size(status.bytes_on_disk)} on disk"
            + (f", {status.dropped:,} dropped" if status.dropped else "")
        )
    if problems:
        code, message = problems[0]
        raise CliError(code, message)
    return ExitCode.OK


def handle_record(args: argparse.Namespace, out: Output) -> int:
    """Run ``record``; return the exit code."""
    return run_async(lambda interrupts: _record(args, out, interrupts))


# ----------------------------------------------------------------------
# replay and export
# ----------------------------------------------------------------------
def _open(path: Path) -> Recording:
    from m2gui.record import RecordingError
    from m2gui.record import open as open_recording

    try:
        return open_recording(path.expanduser())
    except RecordingError as error:
        raise CliError(ExitCode.INVALID, str(error)) from None


def _range(args: argparse.Namespace, recording: Recording) -> tuple[float | None, float | None]:
    from m2gui.record.time_of_day import resolve_time_of_day

    if recording.start is None or recording.end is None:
        return None, None
    try:
        start = (
            resolve_time_of_day(args.start, recording.start, recording.end) if args.start else None
        )
        end = resolve_time_of_day(args.end, recording.start, recording.end) if args.end else None
    except ValueError as error:
        raise CliError(ExitCode.INVALID, str(error)) from None
    if start is not None and end is not None and end < start:
        raise CliError(ExitCode.INVALID, f"--to {args.end} is before --from {args.start}")
    return start, end


def _iso(t: float | None) -> str | None:
    if t is None:
        return None
    return datetime.datetime.fromtimestamp(t).astimezone().isoformat(timespec="milliseconds")


def _info(recording: Recording, out: Output, as_json: bool) -> int:
    meta = recording.metadata
    span = (
        recording.end - recording.start
        if recording.start is not None and recording.end is not None
        else None
    )
    problems = recording.problems
    data = {
        "path": str(recording.path),
        "parts": len(recording.parts),
        "metadata": meta,
        "start": _iso(recording.start),
        "end": _iso(recording.end),
        "seconds": span,
        "lines": recording.message_count,
        "frames": len(recording.frames),
        "corrupt_frames": problems.corrupt_frames,
        "truncated_bytes": problems.truncated_bytes,
        "problems": list(problems.messages),
        "topics": recording.topics,
    }
    if as_json:
        out.line(json_text(data))
        return ExitCode.OK
    address = f"{meta.get('host', '?')}:{meta.get('command_port', '?')}/"
    address += str(meta.get("telemetry_port", "?"))
    out.line(f"recording   {recording.path} ({len(recording.parts)} part(s))")
    out.line(f"controller  {address}, m2gui {meta.get('m2gui', '?')}")
    out.line(f"from        {data['start']}")
    out.line(f"to          {data['end']}" + (f" ({span:.1f} s)" if span is not None else ""))
    out.line(f"lines       {recording.message_count:,} in {len(recording.frames):,} frames")
    if problems:
        out.line(
            f"problems    {problems.corrupt_frames} corrupt frame(s), "
            f"{problems.truncated_bytes} truncated byte(s)"
        )
        for message in problems.messages[:10]:
            out.line(f"  {message}")
    kinds: dict[str, list[str]] = {}
    for name, kind in sorted(recording.topics.items()):
        kinds.setdefault(kind, []).append(name)
    for kind, names in kinds.items():
        out.line(f"{kind + ':':<11} {', '.join(names)}")
    return ExitCode.OK


async def _replay(
    args: argparse.Namespace, out: Output, interrupts: Interrupts, recording: Recording
) -> int:
    from m2gui.record.replay import FASTEST, ReplaySource

    catalogue = load_catalogue()
    selections, writer = parse_selections(args, catalogue, out)
    start, end = _range(args, recording)
    source = ReplaySource(recording, catalogue, speed=args.speed or FASTEST)
    done = asyncio.Event()
    shown = 0

    def on_message(received: Received) -> None:
        nonlocal shown
        if done.is_set():
            return
        if start is not None and received.time < start:
            return  # the state before --from, fed to catch up
        if end is not None and received.time > end:
            done.set()
            return
        kind = "telemetry" if received.name in catalogue.telemetry else "event"
        if not selections.wants(received.name, kind):
            return
        if not out.line(writer.line(received, kind)):
            done.set()
            return
        shown += 1
        if args.count is not None and shown >= args.count:
            done.set()

    out.on_closed(done.set)
    source.connection.subscribe(on_message)
    source.finished.connect(done.set)
    if writer.form == "csv" and not out.line(writer.header()):
        return ExitCode.OK
    if start is not None:
        source.seek(start)
    source.start()
    try:
        await done.wait()
    finally:
        await source.close()
    return ExitCode.OK


def handle_replay(args: argparse.Namespace, out: Output) -> int:
    """Run ``replay``; return the exit code."""
    recording = _open(args.path)
    try:
        if args.info:
            return _info(recording, out, args.json)
        return run_async(lambda interrupts: _replay(args, out, interrupts, recording))
    finally:
        recording.close()


def _run_in_thread(work: Any, cancel: threading.Event, out: Output) -> Any:
    """Run ``work()`` in a thread; Ctrl+C sets ``cancel`` and waits for it to stop."""
    result: list[Any] = []
    error: list[BaseException] = []

    def target() -> None:
        try:
            result.append(work())
        except BaseException as caught:  # handed to the main thread
            error.append(caught)

    thread = threading.Thread(target=target, name="m2gui-cli-export", daemon=True)
    thread.start()
    interrupted = False
    while thread.is_alive():
        try:
            thread.join(0.2)
        except KeyboardInterrupt:
            if not interrupted:
                out.message("interrupted: stopping the export, removing what it wrote…", "warning")
            interrupted = True
            cancel.set()
    if interrupted:
        raise KeyboardInterrupt
    if error:
        raise error[0]
    return result[0] if result else None


def handle_export(args: argparse.Namespace, out: Output) -> int:
    """Run ``export``; return the exit code."""
    if args.parquet is None and args.csv is None:
        raise CliError(ExitCode.INVALID, "say what to write: --parquet DIR and/or --csv FILE")
    if args.csv is not None and not args.signal:
        raise CliError(ExitCode.INVALID, "--csv needs one --signal TOPIC.FIELD[i] at least")
    if args.signal and args.csv is None:
        raise CliError(ExitCode.INVALID, "--signal is for --csv FILE")
    from m2gui.model.signals import parse_signal

    catalogue = load_catalogue()
    for name in args.signal:
        try:
            parse_signal(name, catalogue)
        except ValueError as error:
            raise CliError(ExitCode.INVALID, str(error)) from None
    from m2gui.record.export import export_csv, export_parquet

    recording = _open(args.path)
    cancel = threading.Event()
    tty = out.stderr.isatty()

    def progress(fraction: float) -> None:
        if tty:
            out.stderr.write(f"\rexporting: {fraction:4.0%}\x1b[K")
            out.stderr.flush()

    try:
        start, end = _range(args, recording)
        files: list[Path] = []
        try:
            if args.parquet is not None:
                target = args.parquet.expanduser()
                files += _run_in_thread(
                    lambda: export_parquet(recording, target, start, end, progress, cancel),
                    cancel,
                    out,
                )
            if args.csv is not None:
                path = args.csv.expanduser()
                written = _run_in_thread(
                    lambda: export_csv(recording, path, args.signal, start, end, progress, cancel),
                    cancel,
                    out,
                )
                if written is not None:
                    files.append(written)
        except OSError as error:
            raise CliError(ExitCode.FAIL, f"export failed: {error.strerror or error}") from None
        finally:
            if tty:
                out.stderr.write("\n")
        for file in files:
            out.line(str(file))
    finally:
        recording.close()
    return ExitCode.OK
