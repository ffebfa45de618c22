"""Review findings on ``m2gui-cli``: results that cannot be written, a closed stdout."""

from __future__ import annotations

import os
import subprocess

import pytest

from .conftest import RUN_LIMIT, clean, command, env

needs_dev_full = pytest.mark.skipif(
    not os.path.exists("/dev/full"), reason="needs /dev/full (a device that is always full)"
)


def run_into(stdout: int | None, *args: str) -> subprocess.CompletedProcess[str]:
    """Run the tool with ``stdout`` as its standard output (a file descriptor or None)."""
    return subprocess.run(
        command(*args),
        stdin=subprocess.DEVNULL,
        stdout=stdout,
        stderr=subprocess.PIPE,
        text=True,
        env=env(),
        timeout=RUN_LIMIT,
    )


@needs_dev_full
@pytest.mark.parametrize(
    "args",
    [
        ("catalogue",),
        ("--simulate", "listen", "--json", "--count", "3"),
        ("--simulate", "status"),
    ],
    ids=["catalogue", "listen", "status"],
)
def test_results_that_cannot_be_written_exit_1_with_a_message(args: tuple[str, ...]) -> None:
    """A full disk under ``> results`` is an error (exit 1, said on stderr), not a traceback
    and not a listen that never ends."""
    with open("/dev/full", "w") as full:
        done = run_into(full.fileno(), *args)
    assert clean(done.stderr) == []
    assert done.returncode == 1
    assert "cannot write the results to stdout: No space left on device" in done.stderr


def test_a_closed_stdout_is_not_a_crash() -> None:
    """``m2gui-cli catalogue >&-``: nothing to write to, no traceback."""
    done = subprocess.run(
        command("catalogue"),
        stdin=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        env=env(),
        timeout=RUN_LIMIT,
        preexec_fn=lambda: os.close(1),
    )
    assert clean(done.stderr) == []
    assert "Traceback" not in done.stderr
    assert done.returncode in (0, 1)
