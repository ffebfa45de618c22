"""``send``: validated before sending, each outcome its own exit code."""

from __future__ import annotations

import asyncio
import json
import signal

import pytest

from m2gui.cli import ExitCode
from m2gui.sim import ControllerSimulator

from ..net.scripted_peer import ScriptedController
from .conftest import RUN_LIMIT, acli, at, clean, cli, command, env, free_port


def test_success_prints_ack_and_success_with_latencies() -> None:
    result = cli("--simulate", "send", "clearErrors", "--take-command")
    assert result.code == ExitCode.OK, result.stderr
    ack, done = result.lines
    assert ack.startswith("ack ") and "clearErrors (sequence id " in ack and " ms" in ack
    assert done.startswith("success ") and "clearErrors" in done
    assert "took command from the CSC" in result.stderr
    assert clean(result.stderr) == []


def test_json_prints_the_whole_command_record() -> None:
    result = cli("--simulate", "send", "setClosedLoopControlMode", "mode=telemetryonly",
                 "--take-command", "--json")  # fmt: skip
    assert result.code == ExitCode.OK, result.stderr
    (record,) = result.json_lines()
    assert record["name"] == "setClosedLoopControlMode"
    assert record["params"] == {"mode": 2}
    assert record["outcome"] == "success"
    assert record["sequence_id"] >= 1
    assert 0 < record["ack_latency"] <= record["done_latency"]
    for key in ("sent_at", "reason", "user_info", "resends", "late_replies"):
        assert key in record


def test_fail_exits_1_with_the_controllers_reason() -> None:
    # The simulator refuses to reset the breakers of a feed that is off.
    result = cli("--simulate", "send", "resetBreakers", "powerType=Motor", "--yes",
                 "--take-command")  # fmt: skip
    assert result.code == ExitCode.FAIL
    assert result.lines[-1].startswith("fail ")
    assert "Motor power is off" in result.lines[-1]


def test_the_csc_holding_command_blocks_without_take_command() -> None:
    result = cli("--simulate", "send", "clearErrors")
    assert result.code == ExitCode.BLOCKED
    assert "the CSC holds command" in result.stderr and "--take-command" in result.stderr
    assert result.stdout == ""


def test_a_dangerous_command_needs_yes_when_not_asked_on_a_terminal() -> None:
    result = cli("--simulate", "send", "power", "powerType=Motor", "status=on")
    assert result.code == ExitCode.BLOCKED
    assert "marks it dangerous" in result.stderr and "--yes" in result.stderr


def test_a_stop_is_not_dangerous() -> None:
    # moveActuators is dangerous, but a Stop must never wait for a confirmation.
    result = cli("send", "moveActuators", "actuatorCommand=Stop", "--dry-run")
    assert result.code == ExitCode.OK
    assert json.loads(result.stdout) == {"id": "cmd_moveActuators", "actuatorCommand": 2}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("clearError",), "unknown command 'clearError': did you mean clearErrors?"),
        (("power", "powerType=Laser", "status=on"), "power.powerType: 'Laser' is not a whole"),
        (("power", "powerType=3", "status=on"), "power.powerType: 3 is not a valid PowerType"),
        (("power", "status=on"), "power.powerType: missing: give powerType=VALUE"),
        (("positionMirror", "x=9000", "--defaults"), "x: 9000 is above the maximum 7740 um"),
        (("applyForces", "--defaults", "tangent=1,2"), "tangent: expected 6 values, got 2"),
        (("applyForces", "--defaults", "axial=@/nonexistent/a.csv"), "cannot read"),
        (("clearErrors", "now=1"), "clearErrors.now: unexpected parameter"),
        (("setEnabledFaultsMask", "mask=0x1FFFFFFFFFFFFFFFF"), "not an unsigned 64-bit"),
    ],
)
def test_invalid_input_exits_6_and_sends_nothing(args: tuple[str, ...], message: str) -> None:
    # No simulator, no controller: validation comes before any connection attempt.
    result = cli("--command-port", str(free_port()), "send", *args)
    assert result.code == ExitCode.INVALID, result.stderr
    assert message in result.stderr
    assert result.stdout == ""


def test_parameters_from_a_csv_file_hex_masks_and_ranges(tmp_path) -> None:  # type: ignore[no-untyped-def]
    axial = tmp_path / "axial.csv"
    axial.write_text("force\n" + "\n".join(str(i / 10) for i in range(72)) + "\n")
    result = cli("send", "applyForces", f"axial=@{axial}", "tangent=0,0,0,0,0,-1.5", "--dry-run")
    assert result.code == ExitCode.OK, result.stderr
    message = json.loads(result.stdout)
    assert message["axial"] == [i / 10 for i in range(72)]
    assert message["tangent"] == [0, 0, 0, 0, 0, -1.5]
    mask = cli("send", "setEnabledFaultsMask", "mask=0xFF80_0003_FFFF_FFF8", "--dry-run")
    assert json.loads(mask.stdout)["mask"] == 0xFF800003FFFFFFF8
    ilc = cli("send", "setInnerLoopControlMode", "addresses=0-3,80-83", "mode=Enabled", "--dry-run")
    assert json.loads(ilc.stdout)["addresses"] == [0, 1, 2, 3, 80, 81, 82, 83]


def test_disconnected_exits_5() -> None:
    port = str(free_port())
    result = cli("--timeout", "2", "send", "clearErrors",
                 "--command-port", port, "--telemetry-port", port)  # fmt: skip
    assert result.code == ExitCode.DISCONNECTED
    assert f"cannot connect to 127.0.0.1:{port}/{port}" in result.stderr
    assert len(result.stderr.splitlines()) == 1  # one message, not the connection's too
    assert result.stdout == ""


async def test_noack_exits_3() -> None:
    async with ScriptedController("spec", known=frozenset()) as peer:
        result = await acli(
            "send", "clearErrors", "--timeout", "0.5",
            "--command-port", str(peer.command_port),
            "--telemetry-port", str(peer.telemetry_port),
        )  # fmt: skip
    assert result.code == ExitCode.NOACK, result.stderr
    assert result.lines[-1].startswith("noack ")
    assert peer.received[0]["id"] == "cmd_clearErrors"


async def test_timeout_exits_4(local_sim: ControllerSimulator) -> None:
    local_sim.faults.withhold = {"clearErrors"}
    result = await acli("send", "clearErrors", "--timeout", "0.5", *at(local_sim))
    assert result.code == ExitCode.TIMEOUT, result.stderr
    assert result.lines[-1].startswith("timeout ")
    assert "no reply within 0.5 s" in result.lines[-1]
    assert local_sim.commands_received == 1


async def test_against_a_simulator_already_commanded_locally(
    local_sim: ControllerSimulator,
) -> None:
    result = await acli("send", "switchDigitalOutput", "bit=InterlockEnable", "status=3",
                        "--yes", "--json", *at(local_sim))  # fmt: skip
    assert result.code == ExitCode.OK, result.stderr
    assert result.json_lines()[0]["params"] == {"bit": 4, "status": 3}
    assert local_sim.controller.digital_output & 4 == 0  # toggled off


async def test_ctrl_c_while_waiting_for_the_reply_exits_130(
    local_sim: ControllerSimulator,
) -> None:
    local_sim.faults.withhold = {"clearErrors"}
    proc = await asyncio.create_subprocess_exec(
        *command("send", "clearErrors", *at(local_sim)),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=env(),
    )
    try:
        async with asyncio.timeout(RUN_LIMIT):
            while local_sim.commands_received < 1:
                await asyncio.sleep(0.01)
            proc.send_signal(signal.SIGINT)
            out, err = await proc.communicate()
    finally:
        if proc.returncode is None:
            proc.kill()
    assert proc.returncode == ExitCode.INTERRUPTED
    assert out.decode().startswith("cancelled ")
    assert b"clearErrors may still be executed by the controller" in err
    assert b"Traceback" not in err
