"""``status``: the one-screen summary, as text and JSON; ``--watch``."""

from __future__ import annotations

import asyncio
import json
import signal

from m2gui.cli import ExitCode
from m2gui.sim import ControllerSimulator

from .conftest import RUN_LIMIT, at, cli, command, env, free_port


def test_summary_decodes_faults_to_codes_and_summaries() -> None:
    result = cli("--simulate", "--inject", "fault:6055", "status")
    assert result.code == ExitCode.OK, result.stderr
    text = result.stdout
    lines = {line.split(" ", 1)[0]: line for line in text.splitlines() if line[:1] != " "}
    assert "connected" in lines["controller"]
    assert "latest" in lines["telemetry"]
    assert "CSC (remote)" in lines["commander"]
    assert "communication OFF (Init), motor OFF (Init)" in lines["power"]
    assert "Idle, force balance (closed loop) off" in text
    assert "NOT IN POSITION" in text
    assert "ALARM" in lines["alarm"] and "6055" in lines["alarm"]
    assert "2 active" in lines["faults"]
    assert "   6055  fault    Excessive Force Detected" in text
    assert "   6053  fault    cRIO Communication Error" in text
    assert "\x1b[" not in text  # no colour into a pipe
    assert result.stderr == ""


def test_json_summary() -> None:
    result = cli("--simulate", "status", "--json")
    assert result.code == ExitCode.OK, result.stderr
    data = json.loads(result.stdout)
    assert data["connected"] is True
    assert data["commander"] == "CSC"
    assert data["local_mode"] == "Standby or Diagnostic"
    assert data["power"]["motor"] == {"on": False, "state": "Init"}
    assert data["control_mode"] == "Idle"
    assert 0 <= data["telemetry_age"] < 5
    assert [f["code"] for f in data["faults"]] == [6053]
    assert data["flags"]["alarm"]["word"] == "ALARM"


def test_watch_redraws_until_its_count() -> None:
    result = cli("--simulate", "status", "--watch", "--interval", "0.1", "--count", "3")
    assert result.code == ExitCode.OK, result.stderr
    assert sum(line.startswith("controller ") for line in result.lines) == 3
    assert "\x1b[2J" not in result.stdout  # a pipe gets frames one after another


def test_status_of_a_controller_nobody_runs_exits_5() -> None:
    port = str(free_port())
    result = cli("status", "--command-port", port, "--telemetry-port", port, "--timeout", "2")
    assert result.code == ExitCode.DISCONNECTED
    assert "cannot connect" in result.stderr


async def test_ctrl_c_ends_watch_with_130(local_sim: ControllerSimulator) -> None:
    proc = await asyncio.create_subprocess_exec(
        *command("status", "--watch", "--interval", "0.1", *at(local_sim)),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=env(),
    )
    assert proc.stdout is not None
    try:
        async with asyncio.timeout(RUN_LIMIT):
            first = await proc.stdout.readuntil(b"faults")  # the first frame is out
            proc.send_signal(signal.SIGINT)
            _, err = await proc.communicate()
    finally:
        if proc.returncode is None:
            proc.kill()
    assert proc.returncode == ExitCode.INTERRUPTED
    assert b"Traceback" not in err
    assert b"local (m2gui)" in first
