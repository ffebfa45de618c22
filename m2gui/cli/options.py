"""The options every subcommand shares, and how they are checked.

They are accepted before or after the subcommand (``m2gui-cli --simulate
status`` and ``m2gui-cli status --simulate``): the parent parsers leave an
option out of the namespace unless given (``SUPPRESS``), and `finish_options`
fills in the defaults once everything is parsed.
"""

from __future__ import annotations

import argparse
import math
import os
from collections.abc import Mapping
from typing import Any

from m2gui.net import DEFAULT_COMMAND_PORT, DEFAULT_TELEMETRY_PORT
from m2gui.net.ports import port_argument
from m2gui.sim.injection import injection_argument

__all__ = [
    "DEFAULTS",
    "ENV_HOST",
    "Formatter",
    "connection_options",
    "default_values",
    "duration",
    "finish_options",
    "general_options",
    "port_number",
    "positive_float",
    "positive_int",
]

ENV_HOST = "M2GUI_HOST"
ENV_COMMAND_PORT = "M2GUI_COMMAND_PORT"
ENV_TELEMETRY_PORT = "M2GUI_TELEMETRY_PORT"
#: Seconds to connect, by default.
CONNECT_TIMEOUT = 5.0
_ENV_NAMES = {
    "host": ENV_HOST,
    "command_port": ENV_COMMAND_PORT,
    "telemetry_port": ENV_TELEMETRY_PORT,
}

#: Defaults of the shared options (the host and ports may come from the environment).
DEFAULTS: dict[str, Any] = {
    "host": None,
    "command_port": None,
    "telemetry_port": None,
    "timeout": None,
    "simulate": False,
    "inject": [],
    "log_level": "WARNING",
}


class Formatter(argparse.RawDescriptionHelpFormatter):
    """Help with the examples and tables kept as written."""

    def __init__(self, prog: str) -> None:
        super().__init__(prog, max_help_position=30)


def positive_float(text: str) -> float:
    """An argparse type: a finite number greater than zero."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not math.isfinite(value) or value <= 0:
        raise argparse.ArgumentTypeError(f"must be a number greater than zero, not {text!r}")
    return value


def positive_int(text: str) -> int:
    """An argparse type: a whole number greater than zero."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be greater than zero, not {text!r}")
    return value


_UNITS = {"s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}


def duration(text: str) -> float:
    """An argparse type: seconds, or with a unit: ``90``, ``90s``, ``15m``, ``8h``, ``1d``."""
    body = text.strip().lower()
    scale = _UNITS.get(body[-1:]) if body else None
    number = body[:-1] if scale is not None else body
    try:
        value = float(number) * (scale or 1.0)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"not a duration: {text!r} (seconds, or 90s, 15m, 8h, 1d)"
        ) from None
    if not math.isfinite(value) or value <= 0:
        raise argparse.ArgumentTypeError(f"must be a duration greater than zero, not {text!r}")
    return value


#: An argparse type: a TCP port, 1-65535.
port_number = port_argument(1)


def general_options() -> argparse.ArgumentParser:
    """``--log-level``: every subcommand takes it."""
    parent = argparse.ArgumentParser(add_help=False, argument_default=argparse.SUPPRESS)
    parent.add_argument(
        "--log-level",
        metavar="LEVEL",
        help="messages logged to stderr: DEBUG, INFO, WARNING (default) or ERROR",
    )
    return parent


def connection_options() -> argparse.ArgumentParser:
    """The controller's address, the timeout and the embedded simulator."""
    parent = argparse.ArgumentParser(add_help=False, argument_default=argparse.SUPPRESS)
    group = parent.add_argument_group("connection")
    group.add_argument("--host", help=f"controller host (default ${ENV_HOST}, else 127.0.0.1)")
    group.add_argument(
        "--command-port",
        type=port_number,
        metavar="PORT",
        help=f"command port (default ${ENV_COMMAND_PORT}, else {DEFAULT_COMMAND_PORT})",
    )
    group.add_argument(
        "--telemetry-port",
        type=port_number,
        metavar="PORT",
        help=f"telemetry port (default ${ENV_TELEMETRY_PORT}, else {DEFAULT_TELEMETRY_PORT})",
    )
    group.add_argument(
        "--timeout",
        type=positive_float,
        metavar="S",
        help=f"seconds to connect (default {CONNECT_TIMEOUT:g}); for send, also the wait "
        "for the final reply (default: the command's own timeout from the catalogue)",
    )
    group.add_argument(
        "--simulate",
        action="store_true",
        help="run the embedded controller simulator in this process (free ports) and "
        "use it, as m2gui --simulate does",
    )
    group.add_argument(
        "--inject",
        action="append",
        type=injection_argument,
        metavar="SPEC",
        help="with --simulate: a condition to inject (repeatable), e.g. fault:6055, "
        "limit_switch:12:retract, interlock (see m2gui-sim --help)",
    )
    return parent


def default_values(env: Mapping[str, str] | None = None) -> dict[str, Any]:
    """The shared options' defaults, with the host and ports from the environment."""
    env = os.environ if env is None else env
    builtin = {
        "host": "127.0.0.1",
        "command_port": DEFAULT_COMMAND_PORT,
        "telemetry_port": DEFAULT_TELEMETRY_PORT,
    }
    return {key: env.get(_ENV_NAMES[key]) or value for key, value in builtin.items()}


def finish_options(
    parser: argparse.ArgumentParser,
    args: argparse.Namespace,
    env: Mapping[str, str] | None = None,
) -> None:
    """Fill in the defaults of options not given; refuse combinations that make no sense.

    Exits with status 2 and a message (``parser.error``) when they do not.
    """
    given = {key for key in DEFAULTS if hasattr(args, key)}
    for key, value in DEFAULTS.items():
        if not hasattr(args, key):
            setattr(args, key, list(value) if isinstance(value, list) else value)
    if args.simulate:
        clash = sorted({"host", "command_port", "telemetry_port"} & given)
        if clash:
            names = ", ".join("--" + name.replace("_", "-") for name in clash)
            parser.error(f"--simulate runs its own simulator on free ports: leave out {names}")
    elif args.inject:
        parser.error("argument --inject: only with --simulate (the embedded simulator)")
    for key, value in default_values(env).items():
        if getattr(args, key) is None:
            if key.endswith("_port"):
                try:
                    value = port_number(str(value))
                except argparse.ArgumentTypeError as error:
                    parser.error(f"${_ENV_NAMES[key]}: {error}")
            setattr(args, key, value)
    if args.timeout is None:
        args.timeout = CONNECT_TIMEOUT
        args.timeout_given = False
    else:
        args.timeout_given = True
