"""``completion bash``: the script completes what the tool takes."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from m2gui.cli import ExitCode

from .conftest import cli

pytestmark = pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash")

CASES = {
    "m2gui-cli ": "send listen status run catalogue",
    "m2gui-cli se": "send",
    "m2gui-cli send clearE": "clearErrors",
    "m2gui-cli send power ": "powerType= status=",
    "m2gui-cli send power powerType=": "Motor Communication",
    "m2gui-cli --host h send power status=t": "true",
    "m2gui-cli send setClosedLoopControlMode mode=Op": "OpenLoop",
    "m2gui-cli listen axialForce.me": "axialForce.measured",
    "m2gui-cli listen powerS": "powerStatus powerStatusRaw powerSystemState",
    "m2gui-cli run ": "standby diagnostic enable",
    "m2gui-cli send clearErrors --ta": "--take-command",
    "m2gui-cli --log-level E": "ERROR",
    "m2gui-cli catalogue PowerT": "PowerType",
    "m2gui-cli replay night axialForce.ap": "axialForce.applied",
    "m2gui-cli export night --parquet out --f": "--from",
}


def complete(script: Path, line: str, cwd: Path) -> str:
    program = (
        f"source {script}\n"
        f"COMP_LINE='{line}'; COMP_POINT=${{#COMP_LINE}}\n"
        '_m2gui_cli; echo "${COMPREPLY[*]}"\n'
    )
    done = subprocess.run(
        ["bash", "--norc", "--noprofile", "-c", program],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=10,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


@pytest.fixture(scope="module")
def script(tmp_path_factory: pytest.TempPathFactory) -> Path:
    result = cli("completion", "bash")
    assert result.code == ExitCode.OK
    path = tmp_path_factory.mktemp("completion") / "m2gui-cli.bash"
    path.write_text(result.stdout)
    return path


def test_completes_subcommands_commands_parameters_values_and_topics(
    script: Path, tmp_path: Path
) -> None:
    for line, expected in CASES.items():
        got = complete(script, line, tmp_path)
        assert set(expected.split()) <= set(got.split()), (line, got)


def test_completes_csv_files_after_at(script: Path, tmp_path: Path) -> None:
    (tmp_path / "axial.csv").write_text("0\n")
    got = complete(script, "m2gui-cli send applyForces axial=@ax", tmp_path)
    assert got == "@axial.csv"


def test_the_script_is_registered_for_the_tool(script: Path) -> None:
    assert script.read_text().rstrip().endswith("complete -F _m2gui_cli m2gui-cli")
