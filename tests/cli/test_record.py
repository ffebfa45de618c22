"""``record``, ``replay`` and ``export``: the recording format from a terminal."""

from __future__ import annotations

import argparse
import asyncio
import csv
import json
import signal
from pathlib import Path

import pytest

from m2gui.cli import ExitCode
from m2gui.cli.options import duration
from m2gui.sim import ControllerSimulator

from .conftest import RUN_LIMIT, at, cli, command, env


@pytest.fixture(scope="module")
def recording(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One second of the embedded simulator, recorded once for the module."""
    folder = tmp_path_factory.mktemp("rec") / "night"
    result = cli("--simulate", "record", str(folder), "--duration", "1")
    assert result.code == ExitCode.OK, result.stderr
    assert result.stdout.startswith(f"{folder}: ") and " lines in " in result.stdout
    assert "recording into" in result.stderr
    assert "lost" not in result.stderr  # the end of a recording is not a lost link
    return folder


def test_record_writes_a_recording_replay_describes(recording: Path) -> None:
    result = cli("replay", str(recording), "--info", "--json")
    assert result.code == ExitCode.OK, result.stderr
    info = json.loads(result.stdout)
    assert info["lines"] > 20 and info["corrupt_frames"] == 0
    assert info["topics"]["powerStatus"] == "telemetry"
    assert info["topics"]["commandableByDDS"] == "event"
    text = cli("replay", str(recording), "--info").stdout
    assert text.startswith(f"recording   {recording} (1 part(s))")


def test_replay_prints_as_listen_does(recording: Path) -> None:
    result = cli("replay", str(recording), "powerStatus.motorVoltage", "--json", "--count", "3")
    assert result.code == ExitCode.OK, result.stderr
    lines = result.json_lines()
    assert len(lines) == 3
    assert all(m["topic"] == "powerStatus" and set(m["fields"]) == {"motorVoltage"} for m in lines)
    assert lines[0]["time"] <= lines[1]["time"] <= lines[2]["time"]
    events = cli("replay", str(recording), "--events").lines
    assert events[0].split()[1:] == ["tcpIpConnected", "isConnected=true"]


def test_export_parquet_and_csv(recording: Path, tmp_path: Path) -> None:
    pq = pytest.importorskip("pyarrow.parquet")
    result = cli("export", str(recording), "--parquet", str(tmp_path / "pq"))
    assert result.code == ExitCode.OK, result.stderr
    files = [Path(line) for line in result.lines]
    assert tmp_path / "pq" / "powerStatus.parquet" in files
    assert tmp_path / "pq" / "events.parquet" in files
    assert pq.read_table(tmp_path / "pq" / "powerStatus.parquet").num_rows > 5
    out = tmp_path / "v.csv"
    signals = ("--signal", "powerStatus.motorVoltage", "--signal", "axialForce.measured[3]")
    result = cli("export", str(recording), "--csv", str(out), *signals)
    assert result.code == ExitCode.OK, result.stderr
    rows = list(csv.reader(out.open()))
    assert rows[0][1:] == ["powerStatus.motorVoltage", "axialForce.measured[3]"]
    assert len(rows) > 5


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("export", "{rec}"), "--parquet DIR and/or --csv FILE"),
        (("export", "{rec}", "--csv", "x.csv"), "--csv needs one --signal"),
        (("export", "{rec}", "--csv", "x.csv", "--signal", "nope.x"), "no telemetry topic"),
        (("replay", "{rec}", "--from", "25:00"), "not a time of day"),
        (("replay", "/nonexistent/rec"), "no such recording file or folder"),
        (("replay", "{rec}", "axialForse"), "did you mean axialForce"),
    ],
)
def test_invalid_input_exits_6(recording: Path, args: tuple[str, ...], message: str) -> None:
    result = cli(*(a.format(rec=recording) for a in args))
    assert result.code == ExitCode.INVALID, result.stderr
    assert message in result.stderr


def test_a_file_that_is_not_a_recording(tmp_path: Path) -> None:
    bogus = tmp_path / "part-00001.m2rec"
    bogus.write_bytes(b"not a recording at all")
    result = cli("replay", str(bogus), "--info")
    assert result.code == ExitCode.INVALID
    assert "not an m2gui recording" in result.stderr


def test_durations() -> None:
    assert duration("90") == 90 and duration("15m") == 900 and duration("8h") == 28800
    assert duration("1.5d") == 129600
    for bad in ("", "h", "-1s", "soon", "inf"):
        with pytest.raises(argparse.ArgumentTypeError):
            duration(bad)


async def test_ctrl_c_closes_the_recording_cleanly(
    local_sim: ControllerSimulator, tmp_path: Path
) -> None:
    folder = tmp_path / "rec"
    proc = await asyncio.create_subprocess_exec(
        *command("record", str(folder), *at(local_sim)),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=env(),
    )
    assert proc.stderr is not None
    try:
        async with asyncio.timeout(RUN_LIMIT):
            assert b"recording into" in await proc.stderr.readline()
            while local_sim.telemetry_cycles < 10:
                await asyncio.sleep(0.02)
            proc.send_signal(signal.SIGINT)
            out, err = await proc.communicate()
    finally:
        if proc.returncode is None:
            proc.kill()
    assert proc.returncode == ExitCode.INTERRUPTED, err
    assert out.startswith(str(folder).encode())
    info = cli("replay", str(folder), "--info", "--json")
    assert json.loads(info.stdout)["lines"] > 0


async def test_record_without_reconnect_ends_when_the_link_drops(
    local_sim: ControllerSimulator, tmp_path: Path
) -> None:
    proc = await asyncio.create_subprocess_exec(
        *command("record", str(tmp_path / "r"), "--no-reconnect", *at(local_sim)),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=env(),
    )
    assert proc.stderr is not None
    try:
        async with asyncio.timeout(RUN_LIMIT):
            assert b"recording into" in await proc.stderr.readline()
            await local_sim.drop_connections()
            _, err = await proc.communicate()
    finally:
        if proc.returncode is None:
            proc.kill()
    assert proc.returncode == ExitCode.DISCONNECTED, err
    assert b"the connection was lost" in err
