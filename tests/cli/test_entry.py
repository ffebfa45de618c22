"""The entry point: no Qt, help with examples, usage errors, exit codes documented."""

from __future__ import annotations

import subprocess
import sys

import pytest

from m2gui.cli import EXIT_CODES, ExitCode

from .conftest import cli, env

SUBCOMMANDS = (
    "send",
    "listen",
    "status",
    "run",
    "catalogue",
    "record",
    "replay",
    "export",
    "completion",
)

NO_QT = """
import sys
from m2gui.cli.__main__ import main
from m2gui.cli import (catalogue_cmd, completion_cmd, listen_cmd, record_cmds, run_cmd,
                       runtime, send_cmd, status_cmd)
code = main(["--simulate", "status", "--json"])
assert code == 0, code
banned = ("PySide6", "qasync", "pyqtgraph", "m2gui.ui", "m2gui.app")
loaded = sorted(m for m in sys.modules if m.split(".")[0] in banned[:3] or m.startswith(banned[3:]))
print("LOADED", loaded)
"""


def test_the_tool_never_imports_qt() -> None:
    done = subprocess.run(
        [sys.executable, "-c", NO_QT], capture_output=True, text=True, env=env(), timeout=30
    )
    assert done.returncode == 0, done.stderr
    assert "LOADED []" in done.stdout
    assert '"connected":true' in done.stdout  # it did connect to the embedded simulator


def test_help_lists_subcommands_examples_and_exit_codes() -> None:
    result = cli("--help")
    assert result.code == 0
    for name in SUBCOMMANDS:
        assert f"    {name}" in result.stdout
    assert "examples:" in result.stdout
    for code, text in EXIT_CODES.items():
        assert f"{int(code):>3}  {text[:30]}" in result.stdout
    assert result.stderr == ""


@pytest.mark.parametrize("name", SUBCOMMANDS)
def test_every_subcommand_has_help_with_examples(name: str) -> None:
    result = cli(name, "--help")
    assert result.code == 0
    assert "examples:" in result.stdout
    assert f"m2gui-cli {name}" in result.stdout.split("examples:", 1)[1] or name == "completion"


def test_exit_codes_are_distinct_and_documented() -> None:
    codes = [int(code) for code in ExitCode]
    assert len(set(codes)) == len(codes)
    assert (int(ExitCode.USAGE), int(ExitCode.INTERRUPTED)) == (2, 130)
    assert set(EXIT_CODES) == set(ExitCode) - {ExitCode.TERMINATED}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((), "the following arguments are required: SUBCOMMAND"),
        (("sendd",), "invalid choice: 'sendd'"),
        (("listen", "--count", "0"), "argument --count: must be greater than zero, not '0'"),
        (("status", "--interval", "nan"), "must be a number greater than zero"),
        (("--simulate", "--host", "h", "status"), "leave out --host"),
        (("status", "--inject", "fault:6055"), "--inject: only with --simulate"),
        (("--inject", "nonsense", "--simulate", "status"), "argument --inject"),
        (("--log-level", "LOUD", "catalogue"), "unknown log level 'LOUD'"),
        (("run", "sideways"), "argument PROCEDURE: invalid choice: 'sideways'"),
        (("send", "clearErrors", "--bogus"), "unrecognized arguments: --bogus"),
        (("status", "--command-port", "70000"), "a port is 1-65535"),
    ],
)
def test_usage_errors_exit_2_with_a_clear_message(args: tuple[str, ...], message: str) -> None:
    result = cli(*args)
    assert result.code == ExitCode.USAGE, result.stderr
    assert message in result.stderr
    assert result.stdout == ""


def test_bad_port_in_the_environment_is_a_usage_error() -> None:
    result = cli("status", M2GUI_COMMAND_PORT="nope")
    assert result.code == ExitCode.USAGE
    assert "$M2GUI_COMMAND_PORT: not a port number: 'nope'" in result.stderr


def test_version() -> None:
    result = cli("--version")
    assert result.code == 0
    assert result.stdout.startswith("m2gui-cli ")
