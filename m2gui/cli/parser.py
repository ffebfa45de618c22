"""The command line of ``m2gui-cli``: the subcommands and the shared options."""

from __future__ import annotations

import argparse

import m2gui

from . import (
    catalogue_cmd,
    completion_cmd,
    listen_cmd,
    record_cmds,
    run_cmd,
    send_cmd,
    status_cmd,
)
from .exit_codes import exit_code_table
from .options import Formatter, connection_options, finish_options, general_options
from .output import PROG

__all__ = ["CliParser", "build_parser"]

DESCRIPTION = """\
The LSST M2 cell controller from a terminal and from scripts: the same
validated connection, catalogue and procedures as the m2gui window.
Results go to stdout, messages to stderr."""

EPILOG = f"""\
examples:
  {PROG} --simulate status
  {PROG} send clearErrors --host m2-controller
  {PROG} listen powerStatus axialForce.measured[12] --count 10 --json
  {PROG} run diagnostic --take-command
  {PROG} catalogue setClosedLoopControlMode
  {PROG} record ~/m2-night --duration 8h
  eval "$({PROG} completion bash)"

Each subcommand has its own --help with examples. The connection options
(--host, --command-port, --telemetry-port, --timeout, --simulate) and
--log-level go before or after the subcommand.

exit codes:
{exit_code_table()}
"""


class CliParser(argparse.ArgumentParser):
    """The parser, and the check of the shared options once everything is parsed."""

    def parse(self, argv: list[str] | None = None) -> argparse.Namespace:
        """Parse ``argv``; exit 2 with a message if it is unusable.

        Positional values may follow options (``send NAME --yes key=value``):
        argparse leaves those over, and they join the subcommand's list named
        by its ``more`` default. The shared options get their defaults.
        """
        args, extras = self.parse_known_args(argv)
        if extras:
            more = getattr(args, "more", None)
            if more is None or any(e.startswith("-") for e in extras):
                self.error("unrecognized arguments: " + " ".join(extras))
            getattr(args, more).extend(extras)
        finish_options(self, args)
        return args


def build_parser() -> CliParser:
    """The parser of ``m2gui-cli`` with every subcommand."""
    general = general_options()
    connection = connection_options()
    parser = CliParser(
        prog=PROG,
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=Formatter,
        parents=[general, connection],
    )
    parser.add_argument("--version", action="version", version=f"{PROG} {m2gui.__version__}")
    subparsers = parser.add_subparsers(
        title="subcommands", dest="subcommand", metavar="SUBCOMMAND", required=True
    )
    connected = [general, connection]
    send_cmd.register(subparsers, connected)
    listen_cmd.register(subparsers, connected)
    status_cmd.register(subparsers, connected)
    run_cmd.register(subparsers, connected)
    catalogue_cmd.register(subparsers, [general])
    record_cmds.register(subparsers, connected, [general])
    completion_cmd.register(subparsers, [general])
    return parser
