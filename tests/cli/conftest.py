"""Running ``m2gui-cli`` as a user does: a real process through its entry point."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import pytest

from m2gui.sim import ControllerSimulator

#: Seconds any one run of the tool may take in a test.
RUN_LIMIT = 20.0


def env(**extra: str) -> dict[str, str]:
    """The tool's environment: no colour settings or addresses from the caller's."""
    base = {
        k: v
        for k, v in os.environ.items()
        if k not in ("NO_COLOR", "M2GUI_HOST", "M2GUI_COMMAND_PORT", "M2GUI_TELEMETRY_PORT")
    }
    return {**base, "PYTHONASYNCIODEBUG": "0", **extra}


def command(*args: str) -> list[str]:
    return [sys.executable, "-m", "m2gui.cli", *args]


@dataclass
class Result:
    """How one run ended."""

    code: int
    stdout: str
    stderr: str

    @property
    def lines(self) -> list[str]:
        return self.stdout.splitlines()

    def json_lines(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.lines]


def cli(*args: str, stdin: str = "", timeout: float = RUN_LIMIT, **extra: str) -> Result:
    """Run the tool to its end (blocking: for runs that need no simulator of the test's)."""
    done = subprocess.run(
        command(*args),
        input=stdin,
        capture_output=True,
        text=True,
        env=env(**extra),
        timeout=timeout,
    )
    return Result(done.returncode, done.stdout, done.stderr)


async def acli(*args: str, timeout: float = RUN_LIMIT) -> Result:
    """Run the tool to its end while this loop serves the test's simulator."""
    proc = await asyncio.create_subprocess_exec(
        *command(*args),
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=env(),
    )
    try:
        async with asyncio.timeout(timeout):
            out, err = await proc.communicate()
    except TimeoutError:
        proc.kill()
        await proc.wait()
        raise
    assert proc.returncode is not None
    return Result(proc.returncode, out.decode(), err.decode())


def at(sim: ControllerSimulator) -> list[str]:
    """The options that point the tool at ``sim``."""
    return [
        "--command-port",
        str(sim.command_port),
        "--telemetry-port",
        str(sim.telemetry_port),
    ]


def clean(stderr: str) -> list[str]:
    """Lines of stderr that show a crash or a leak."""
    bad = ("Traceback", "Task was destroyed", "never awaited", "Exception ignored", "Error:")
    return [line for line in stderr.splitlines() if any(b in line for b in bad)]


@pytest.fixture
async def local_sim() -> AsyncIterator[ControllerSimulator]:
    """A simulator on free ports whose commander is already local (m2gui), all telemetry."""
    simulator = ControllerSimulator(command_port=0, telemetry_port=0, seed=7, all_telemetry=True)
    simulator.controller.commandable_by_dds = False
    await simulator.start()
    yield simulator
    await simulator.stop()


def free_port() -> int:
    """A port nobody listens on (bound, then released)."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])
