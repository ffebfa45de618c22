"""Review findings on ``m2gui-sim --replay``: a port that cannot be listened on."""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

from m2gui.net import WireLine
from m2gui.record import Recorder

LIMIT = 20.0


def _recording(folder: Path) -> Path:
    """A tiny recording with one telemetry line."""
    recorder = Recorder(folder, {"host": "127.0.0.1"}, fsync=False)
    recorder.write(WireLine(1.0, "telemetry", "in", b'{"id":"powerStatus","motorVoltage":1.0}'))
    recorder.close()
    return folder


def _sim(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "m2gui.sim", *args],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=LIMIT,
    )


def test_a_port_in_use_exits_1_with_a_message(tmp_path: Path) -> None:
    path = _recording(tmp_path / "rec")
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        done = _sim("--replay", str(path), "--command-port", str(port), "--telemetry-port", "0")
    assert "Traceback" not in done.stderr
    assert done.returncode == 1
    assert "cannot listen on 127.0.0.1" in done.stderr
    assert "address already in use" in done.stderr


def test_a_port_out_of_range_is_a_usage_error(tmp_path: Path) -> None:
    path = _recording(tmp_path / "rec")
    done = _sim("--replay", str(path), "--command-port", "99999")
    assert "Traceback" not in done.stderr
    assert done.returncode == 2
    assert "argument --command-port: a port is 0-65535, not '99999'" in done.stderr


def test_the_simulator_on_a_port_in_use_exits_1_with_a_message() -> None:
    import socket
    import subprocess
    import sys

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = subprocess.run(
            [
                sys.executable,
                "-m",
                "m2gui.sim",
                "--command-port",
                str(port),
                "--telemetry-port",
                "0",
            ],
            capture_output=True,
            text=True,
            timeout=30,
        )
    assert result.returncode == 1, result.stderr
    assert "cannot listen on 127.0.0.1" in result.stderr and "Traceback" not in result.stderr
