"""``run``: the local-mode procedures step by step; Ctrl+C leaves the cell in a stated state."""

from __future__ import annotations

import asyncio
import signal

from m2gui.cli import ExitCode
from m2gui.cli.run_cmd import hops
from m2gui.model.procedures.local_mode import Local
from m2gui.sim import ControllerSimulator

from .conftest import RUN_LIMIT, acli, at, clean, cli, command, env

MOTOR, COMM = 1, 2


def test_enable_from_standby_step_by_step() -> None:
    result = cli("--simulate", "run", "enable", "--take-command", "--clear-errors", "--json")
    assert result.code == ExitCode.OK, result.stderr
    lines = result.json_lines()
    results = [line for line in lines if "outcome" in line]
    assert [r["procedure"] for r in results] == ["Standby → Diagnostic", "Diagnostic → Enable"]
    assert all(r["outcome"] == "succeeded" for r in results)
    assert results[-1]["state"].startswith(
        "Local mode Enable: communication power on, motor power on"
    )
    steps = [line for line in lines if "step" in line]
    assert steps[0]["title"] == "Check communication power" and steps[0]["status"] == "done"
    assert any(s["commands"] and s["commands"][0]["outcome"] == "success" for s in steps)
    assert clean(result.stderr) == []


def test_enable_with_faults_active_is_refused_with_what_to_do() -> None:
    result = cli("--simulate", "run", "enable", "--take-command")
    assert result.code == ExitCode.BLOCKED
    assert "fault 6053 active: clear the faults first" in result.stderr
    assert "--clear-errors" in result.stderr
    assert "Standby → Diagnostic: done" in result.stdout  # the first hop ran


def test_the_csc_holding_command_blocks_run() -> None:
    result = cli("--simulate", "run", "diagnostic")
    assert result.code == ExitCode.BLOCKED
    assert "the CSC holds command" in result.stderr and result.stdout == ""


def test_hops() -> None:
    assert hops(Local.STANDBY, Local.ENABLE) == [Local.DIAGNOSTIC, Local.ENABLE]
    assert hops(Local.ENABLE, Local.STANDBY) == [Local.DIAGNOSTIC, Local.STANDBY]
    assert hops(Local.DIAGNOSTIC, Local.DIAGNOSTIC) == []


async def test_already_there(local_sim: ControllerSimulator) -> None:
    local_sim.controller.execute("power", {"powerType": COMM, "status": True})
    result = await acli("run", "diagnostic", *at(local_sim))
    assert result.code == ExitCode.OK, result.stderr
    assert result.stdout.startswith("already in Diagnostic: communication power on")
    assert local_sim.commands_received == 0


async def test_down_to_standby_from_enable(local_sim: ControllerSimulator) -> None:
    for power in (COMM, MOTOR):
        local_sim.controller.execute("power", {"powerType": power, "status": True})
    result = await acli("run", "standby", *at(local_sim))
    assert result.code == ExitCode.OK, result.stderr
    assert result.lines[0].startswith("from Enable (communication power on, motor power on")
    assert "Enable → Diagnostic: done" in result.stdout
    assert "Diagnostic → Standby: done" in result.stdout
    assert not local_sim.controller.motor_on and not local_sim.controller.comm_on


async def test_a_failed_step_exits_1_and_says_where(local_sim: ControllerSimulator) -> None:
    local_sim.faults.fail_next = 1  # the first command: the enabled-faults mask
    result = await acli("run", "diagnostic", *at(local_sim))
    assert result.code == ExitCode.FAIL, result.stderr
    assert "step 2/11   failed" in result.stdout
    assert "injected failure" in result.stdout
    assert result.lines[-1].startswith("Standby → Diagnostic: failed: step 2")


async def test_ctrl_c_cancels_cleanly_and_says_the_state(local_sim: ControllerSimulator) -> None:
    # The ILC bring-up never gets its reply: the procedure is in flight, motor powered.
    local_sim.faults.withhold = {"setInnerLoopControlMode"}
    proc = await asyncio.create_subprocess_exec(
        *command("run", "enable", "--clear-errors", *at(local_sim)),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=env(),
    )
    assert proc.stdout is not None
    seen = b""
    try:
        async with asyncio.timeout(RUN_LIMIT):
            while b"Motor power on" not in seen:
                line = await proc.stdout.readline()
                assert line, "the run ended before the motor was powered"
                seen += line
            assert local_sim.controller.motor_on
            proc.send_signal(signal.SIGINT)
            rest, stderr = await proc.communicate()
    finally:
        if proc.returncode is None:
            proc.kill()
    out = (seen + rest).decode()
    assert proc.returncode == ExitCode.INTERRUPTED, stderr
    assert "clean-up    done            Motor power off again" in out
    last = out.splitlines()[-1]
    assert last.startswith("Diagnostic → Enable: cancelled: interrupted (SIGINT) at step 3")
    assert "Local mode Diagnostic: communication power on, motor power off" in last
    assert b"interrupted" in stderr and b"Traceback" not in stderr
    assert not local_sim.controller.motor_on
