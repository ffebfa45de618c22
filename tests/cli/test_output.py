"""Output: colour only on a terminal (and never with NO_COLOR), a closed pipe is quiet."""

from __future__ import annotations

import io
import os
import subprocess
import sys

import pytest

from m2gui.cli.exit_codes import ExitCode, outcome_exit_code
from m2gui.cli.output import Output, wants_color
from m2gui.net import Outcome

from .conftest import RUN_LIMIT, command, env


def on_a_terminal(*args: str, **extra: str) -> bytes:
    """Run the tool with stdout on a pseudo-terminal; return what it wrote there."""
    master, slave = os.openpty()
    proc = subprocess.Popen(command(*args), stdout=slave, stderr=subprocess.PIPE, env=env(**extra))
    os.close(slave)
    data = b""
    try:
        while chunk := _read(master):
            data += chunk
        assert proc.wait(timeout=RUN_LIMIT) == 0
    finally:
        proc.kill()
        os.close(master)
        if proc.stderr is not None:
            proc.stderr.close()
    return data


def _read(fd: int) -> bytes:
    try:
        return os.read(fd, 65536)
    except OSError:  # EIO: the other end closed
        return b""


@pytest.mark.skipif(sys.platform == "win32", reason="pseudo-terminals")
def test_colour_on_a_terminal_unless_no_color() -> None:
    assert b"\x1b[1m" in on_a_terminal("catalogue", "power")
    assert b"\x1b[" not in on_a_terminal("catalogue", "power", NO_COLOR="1")
    assert b"\x1b[" not in on_a_terminal("catalogue", "power", TERM="dumb")


def test_wants_color() -> None:
    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    assert wants_color(Tty(), {})
    assert not wants_color(Tty(), {"NO_COLOR": "1"})
    assert wants_color(Tty(), {"NO_COLOR": ""})  # set but empty: no effect (no-color.org)
    assert not wants_color(io.StringIO(), {})


def test_a_closed_pipe_marks_the_output_closed_once() -> None:
    class Gone(io.StringIO):
        def write(self, text: str) -> int:
            raise BrokenPipeError(32, "Broken pipe")

    calls: list[int] = []
    out = Output(stdout=Gone(), stderr=io.StringIO(), env={})
    out.on_closed(lambda: calls.append(1))
    assert not out.line("a")
    assert not out.line("b")
    assert out.closed and calls == [1]
    out.finish()


def test_messages_go_to_stderr_results_to_stdout() -> None:
    stdout, stderr = io.StringIO(), io.StringIO()
    out = Output(stdout=stdout, stderr=stderr, env={})
    out.line("result")
    out.message("something to know", "warning")
    assert stdout.getvalue() == "result\n"
    assert stderr.getvalue() == "m2gui-cli: something to know\n"


def test_each_outcome_has_its_exit_code() -> None:
    assert outcome_exit_code(Outcome.SUCCESS) == ExitCode.OK
    assert outcome_exit_code(Outcome.FAIL) == ExitCode.FAIL
    assert outcome_exit_code(Outcome.NOACK) == ExitCode.NOACK
    assert outcome_exit_code(Outcome.TIMEOUT) == ExitCode.TIMEOUT
    assert outcome_exit_code(Outcome.DISCONNECTED) == ExitCode.DISCONNECTED
    assert outcome_exit_code(Outcome.CANCELLED) == ExitCode.INTERRUPTED
