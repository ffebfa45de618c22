"""``m2gui-sim``: run the M2 cell controller simulator until Ctrl+C."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
from pathlib import Path

from m2gui.model import load_catalogue
from m2gui.net.ports import port_argument
from m2gui.record import Recording, RecordingError
from m2gui.record import open as open_recording

from .controller import SimController
from .faults import Faults
from .injection import INJECTION_HELP, Injection, injection_argument
from .replay_server import ReplayServer
from .server import ControllerSimulator

#: Options of the simulation (dest -> flag): refused with ``--replay``.
SIMULATION_OPTIONS = {
    "rate": "--rate",
    "all_telemetry": "--all-telemetry",
    "seed": "--seed",
    "script_seconds": "--script-seconds",
    "verbose": "--verbose",
    "reply_delay": "--reply-delay",
    "withhold": "--withhold",
    "fail_next": "--fail-next",
    "drop_every": "--drop-every",
    "garbage_every": "--garbage-every",
    "inject": "--inject",
}
#: Options of the replay (dest -> flag): refused without ``--replay``.
REPLAY_OPTIONS = {"speed": "--speed", "loop": "--loop"}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="m2gui-sim",
        description="Simulated LSST M2 cell controller (TCP/JSON).",
        epilog=INJECTION_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on")
    parser.add_argument("--command-port", type=port_number, default=50010, metavar="PORT")
    parser.add_argument("--telemetry-port", type=port_number, default=50011, metavar="PORT")
    parser.add_argument(
        "--rate", type=float, default=20.0, help="telemetry cycles per second (0: unlimited)"
    )
    parser.add_argument(
        "--all-telemetry",
        action="store_true",
        help="send every topic even with motor power off (as the C++ controller does)",
    )
    parser.add_argument("--seed", type=int, default=None, help="noise seed (repeatable runs)")
    parser.add_argument(
        "--script-seconds",
        type=float,
        default=None,
        metavar="S",
        help="how long a script runs from 0 to 100%% (default 10)",
    )
    parser.add_argument("--verbose", action="store_true", help="log every message")
    parser.add_argument("--log-level", default="INFO")
    faults = parser.add_argument_group("fault injection")
    faults.add_argument("--reply-delay", type=float, default=0.0, metavar="S")
    faults.add_argument(
        "--withhold", default="", metavar="NAMES", help="comma-separated commands never answered"
    )
    faults.add_argument("--fail-next", type=int, default=0, metavar="N")
    faults.add_argument("--drop-every", type=float, default=0.0, metavar="S")
    faults.add_argument(
        "--garbage-every",
        type=float,
        default=0.0,
        metavar="S",
        help="send bad lines of every kind on both ports every S seconds",
    )
    faults.add_argument(
        "--inject",
        action="append",
        type=injection_argument,
        default=[],
        metavar="KIND[:ARG...][@S]",
        help="inject a controller condition (repeatable; see below), e.g. fault:6055, "
        "limit_switch:12:retract, ilc_fault:5, cell_temperature_high, interlock, "
        "breaker:motor:0",
    )
    replay = parser.add_argument_group(
        "replay (serve a recording instead of simulating; the options above do not apply)"
    )
    replay.add_argument(
        "--replay",
        metavar="PATH",
        type=Path,
        help="serve this recording (folder or part file) on the two ports; a client that "
        "reconnects gets it from the beginning",
    )
    replay.add_argument(
        "--speed",
        type=replay_speed,
        default=1.0,
        metavar="X",
        help="replay X times faster than recorded (default 1; inf: as fast as the clients read)",
    )
    replay.add_argument("--loop", action="store_true", help="start the recording over when it ends")
    return parser


#: An argparse type: a TCP port, 0-65535.
port_number = port_argument(0)


def replay_speed(text: str) -> float:
    """Parse ``--speed``: a number greater than zero, or inf."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(
            f"{text!r}: must be greater than 0 (inf: as fast as the clients read)"
        )
    return value


def parse_args(parser: argparse.ArgumentParser, argv: list[str] | None) -> argparse.Namespace:
    """Parse ``argv``; refuse simulation options with ``--replay`` and replay ones without."""
    # Options given are told from defaults by sentinels: argparse sets a
    # default only where the namespace has no value yet.
    sentinels: dict[str, list[object]] = {
        dest: [] for dest in (*SIMULATION_OPTIONS, *REPLAY_OPTIONS)
    }
    args = parser.parse_args(argv, argparse.Namespace(**sentinels))
    given = {dest for dest, sentinel in sentinels.items() if getattr(args, dest) is not sentinel}
    for dest in sentinels.keys() - given:
        setattr(args, dest, parser.get_default(dest))
    if args.replay is not None:
        clash = [flag for dest, flag in SIMULATION_OPTIONS.items() if dest in given]
        if clash:
            parser.error(
                f"argument --replay: not allowed with {', '.join(clash)} (a recording is served "
                "as recorded: the simulation and fault injection options do not apply)"
            )
    else:
        lonely = [flag for dest, flag in REPLAY_OPTIONS.items() if dest in given]
        if lonely:
            parser.error(f"argument {lonely[0]}: only with --replay PATH")
    return args


async def run(args: argparse.Namespace) -> None:
    faults = Faults(
        reply_delay=args.reply_delay,
        withhold={n for n in args.withhold.split(",") if n},
        fail_next=args.fail_next,
        drop_every=args.drop_every,
        garbage_every=args.garbage_every,
    )
    sim = ControllerSimulator(
        args.host,
        args.command_port,
        args.telemetry_port,
        rate=args.rate,
        all_telemetry=args.all_telemetry,
        faults=faults,
        seed=args.seed,
        verbose=args.verbose,
        injections=args.inject,
        script_seconds=args.script_seconds,
    )
    async with sim:
        await asyncio.Event().wait()


async def run_replay(args: argparse.Namespace, recording: Recording) -> None:
    """Serve ``recording`` as the controller until cancelled."""
    server = ReplayServer(
        recording,
        args.host,
        args.command_port,
        args.telemetry_port,
        speed=args.speed,
        loop=args.loop,
    )
    async with server:
        await asyncio.Event().wait()


def check_injections(parser: argparse.ArgumentParser, injections: list[Injection]) -> None:
    """Refuse (as a usage error) injections the controller would refuse."""
    scratch = SimController(load_catalogue())
    for item in injections:
        try:
            scratch.inject(item.kind, **item.kwargs)
        except (ValueError, TypeError) as error:
            parser.error(f"--inject {item}: {error}")


def main(argv: list[str] | None = None) -> None:
    parser = build_parser()
    args = parse_args(parser, argv)
    check_injections(parser, args.inject)
    logging.basicConfig(
        level=args.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    if args.replay is not None:
        main_replay(parser, args)
        return
    try:
        with contextlib.suppress(KeyboardInterrupt):
            asyncio.run(run(args))
    except OSError as error:  # the address is in use, or not this host's
        parser.exit(1, f"{parser.prog}: error: cannot listen on {args.host}: {error}\n")
    logging.getLogger(__name__).info("simulator stopped")


def main_replay(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    """``--replay``: open the recording (exit 2 if it cannot be read) and serve it."""
    log = logging.getLogger(__name__)
    try:
        recording = open_recording(args.replay)
    except RecordingError as error:
        parser.exit(2, f"{parser.prog}: error: {error}\n")
    with recording:
        if recording.problems:
            log.warning(
                "%s: %d corrupt frame(s) skipped, %d truncated byte(s) left out",
                recording.path,
                recording.problems.corrupt_frames,
                recording.problems.truncated_bytes,
            )
        if not recording.frames:
            log.warning("%s holds no lines: clients will get nothing", recording.path)
        try:
            with contextlib.suppress(KeyboardInterrupt):
                asyncio.run(run_replay(args, recording))
        except OSError as error:  # the address is in use, or not this host's
            parser.exit(1, f"{parser.prog}: error: cannot listen on {args.host}: {error}\n")
    log.info("replay server stopped")


if __name__ == "__main__":
    main()
