"""``listen``: JSON lines parsed back, CSV, fields, decimation, ends, broken pipes."""

from __future__ import annotations

import asyncio
import csv
import io
import itertools
import subprocess

import pytest

from m2gui.cli import ExitCode
from m2gui.cli.listen_cmd import Decimator
from m2gui.cli.selection import parse_selection
from m2gui.model import Catalogue
from m2gui.sim import ControllerSimulator

from .conftest import RUN_LIMIT, acli, at, clean, cli, command, env


def test_json_lines_parse_back_with_field_selection() -> None:
    selections = ("powerStatus", "axialForce.measured[12]", "axialForce.applied[0:3]")
    result = cli(
        "--simulate", "listen", *selections, "summaryFaultsStatus", "--json", "--count", "6"
    )
    assert result.code == ExitCode.OK, result.stderr
    messages = result.json_lines()
    assert len(messages) == 6
    topics = {m["topic"] for m in messages}
    assert topics <= {"powerStatus", "axialForce", "summaryFaultsStatus"}
    status = next(m for m in messages if m["topic"] == "summaryFaultsStatus")
    assert status["kind"] == "event" and isinstance(status["fields"]["status"], int)
    for m in messages:
        assert isinstance(m["time"], float)
        if m["topic"] == "axialForce":
            assert m["kind"] == "telemetry"
            assert set(m["fields"]) == {"measured[12]", "applied[0:3]"}
            assert isinstance(m["fields"]["measured[12]"], float)
            assert len(m["fields"]["applied[0:3]"]) == 3
        if m["topic"] == "powerStatus":
            assert set(m["fields"]) == {
                "motorVoltage",
                "motorCurrent",
                "commVoltage",
                "commCurrent",
            }
    assert clean(result.stderr) == []


def test_events_only_start_with_the_welcome_burst() -> None:
    result = cli("--simulate", "listen", "--events", "--json", "--count", "3")
    assert result.code == ExitCode.OK, result.stderr
    first = result.json_lines()
    assert [m["topic"] for m in first] == ["tcpIpConnected", "commandableByDDS", "hardpointList"]
    assert first[1]["fields"] == {"state": True}


def test_text_shows_names_and_units() -> None:
    result = cli("--simulate", "listen", "powerSystemState", "powerStatus.motorVoltage",
                 "axialForce.applied[0:4]", "hardpointList", "--count", "6")  # fmt: skip
    assert result.code == ExitCode.OK, result.stderr
    text = result.stdout
    assert "powerSystemState powerType=2 (Communication) status=false state=1 (Init)" in text
    assert "powerStatus motorVoltage=" in text and " V" in text
    assert "hardpointList actuators=[5, 15, 25, 73, 75, 77] = B6 B16 B26 A2 A4 A6" in text
    assert "applied[0:4]=[0.0, 0.0, 0.0, 0.0] N" in text
    assert "⚠" not in text


def test_csv_has_a_header_of_columns_and_one_row_per_message() -> None:
    result = cli("--simulate", "listen", "position.x", "tangentForce.measured", "--csv",
                 "--count", "4")  # fmt: skip
    assert result.code == ExitCode.OK, result.stderr
    rows = list(csv.reader(io.StringIO(result.stdout)))
    header, body = rows[0], rows[1:]
    assert header == ["time", "topic", "position.x",
                      *(f"tangentForce.measured[{i}]" for i in range(6))]  # fmt: skip
    assert len(body) == 4
    for row in body:
        assert len(row) == len(header)
        float(row[0])
        if row[1] == "position":
            float(row[2])
            assert row[3:] == [""] * 6
        else:
            assert row[1] == "tangentForce" and row[2] == ""
            [float(cell) for cell in row[3:]]


def test_csv_needs_topics() -> None:
    result = cli("listen", "--csv")
    assert result.code == ExitCode.INVALID
    assert "--csv needs one TOPIC" in result.stderr


@pytest.mark.parametrize(
    ("selection", "message"),
    [
        ("axialForse", "no event or telemetry topic 'axialForse': did you mean axialForce"),
        ("axialForce.measurd", "axialForce has no field 'measurd' (fields: lutGravity"),
        ("axialForce.measured[72]", "has 72 elements (0-71)"),
        ("powerStatus.motorVoltage[0]", "is not an array"),
        ("axialForce.measured[5:2]", "is empty"),
        ("axial force", "is not TOPIC, TOPIC.FIELD"),
    ],
)
def test_bad_selections_exit_6(selection: str, message: str) -> None:
    result = cli("listen", selection)
    assert result.code == ExitCode.INVALID
    assert message in result.stderr


def test_duration_ends_it_with_success() -> None:
    result = cli("--simulate", "listen", "powerStatus", "--json", "--duration", "0.5")
    assert result.code == ExitCode.OK, result.stderr
    assert len(result.lines) >= 1


def test_rate_decimates_each_telemetry_topic() -> None:
    result = cli("--simulate", "listen", "powerStatus", "position", "--rate", "4",
                 "--duration", "1", "--json")  # fmt: skip
    assert result.code == ExitCode.OK, result.stderr
    messages = result.json_lines()
    for topic in ("powerStatus", "position"):
        times = [m["time"] for m in messages if m["topic"] == topic]
        assert len(times) >= 2
        # never sooner than half a period apart, where 20 Hz would be 0.05 s
        assert min(b - a for a, b in itertools.pairwise(times)) >= 0.125


def test_decimator_keeps_the_rate_through_jitter_and_restarts_after_a_gap() -> None:
    keep = Decimator(5.0)  # every 0.2 s
    times = [0.0, 0.05, 0.1, 0.15, 0.199, 0.249, 0.3, 0.35, 0.399, 0.449, 0.5]
    kept = [t for t in times if keep.keep("a", t)]
    assert kept == [0.0, 0.249, 0.449]
    assert keep.keep("b", 0.1)  # per topic
    assert keep.keep("a", 10.0) and not keep.keep("a", 10.05) and keep.keep("a", 10.2)


def test_selection_labels(catalogue: Catalogue) -> None:
    assert parse_selection("axialForce.measured[12]", catalogue).label == "measured[12]"
    assert parse_selection("axialForce.measured[:6]", catalogue).label == "measured[:6]"
    assert parse_selection("powerSystemState", catalogue).kind == "event"
    assert parse_selection("position.x", catalogue).pick({"x": 1.5}) == 1.5


def test_a_reader_closing_the_pipe_ends_it_quietly() -> None:
    proc = subprocess.Popen(
        command("--simulate", "listen", "--json"),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env(),
    )
    assert proc.stdout is not None and proc.stderr is not None
    first = proc.stdout.readline()
    proc.stdout.close()  # as `| head -1` does
    try:
        code = proc.wait(timeout=RUN_LIMIT)
    finally:
        proc.kill()
    stderr = proc.stderr.read().decode()
    proc.stderr.close()
    assert first.startswith(b'{"time":')
    assert code == ExitCode.OK
    assert stderr == ""


async def test_connection_lost_exits_5(local_sim: ControllerSimulator) -> None:
    proc = await asyncio.create_subprocess_exec(
        *command("listen", "powerStatus", "--json", *at(local_sim)),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=env(),
    )
    assert proc.stdout is not None
    try:
        async with asyncio.timeout(RUN_LIMIT):
            first = await proc.stdout.readline()  # listening: now the controller goes
            await local_sim.drop_connections()
            _, stderr = await proc.communicate()
    finally:
        if proc.returncode is None:
            proc.kill()
    assert proc.returncode == ExitCode.DISCONNECTED, stderr
    assert b"connection lost" in stderr
    assert first.startswith(b'{"time":')


async def test_listen_against_a_controller(local_sim: ControllerSimulator) -> None:
    result = await acli("listen", "commandableByDDS", "--count", "1", "--json", *at(local_sim))
    assert result.code == ExitCode.OK, result.stderr
    assert result.json_lines()[0]["fields"] == {"state": False}
