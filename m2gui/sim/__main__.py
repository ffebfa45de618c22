"""``m2gui-sim``: run the M2 cell controller simulator until Ctrl+C."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging

from m2gui.model import load_catalogue

from .controller import SimController
from .faults import Faults
from .injection import INJECTION_HELP, Injection, injection_argument
from .server import ControllerSimulator


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="m2gui-sim",
        description="Simulated LSST M2 cell controller (TCP/JSON).",
        epilog=INJECTION_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on")
    parser.add_argument("--command-port", type=int, default=50010)
    parser.add_argument("--telemetry-port", type=int, default=50011)
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
    return parser


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
    args = parser.parse_args(argv)
    check_injections(parser, args.inject)
    logging.basicConfig(
        level=args.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(run(args))
    logging.getLogger(__name__).info("simulator stopped")


if __name__ == "__main__":
    main()
