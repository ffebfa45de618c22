"""The m2gui command line, run as a user would (a real process, offscreen)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from PySide6.QtGui import QImage

import m2gui


def m2gui_cmd(tmp_path: Path, *args: str) -> list[str]:
    return [
        sys.executable,
        "-X",
        "dev",  # surfaces ResourceWarnings and asyncio misuse
        "-m",
        "m2gui",
        "--settings",
        str(tmp_path / "settings.ini"),
        "--log-file",
        str(tmp_path / "m2gui.log"),
        "--record-root",
        str(tmp_path / "recordings"),
        *args,
    ]


def env() -> dict[str, str]:
    return dict(os.environ, QT_QPA_PLATFORM="offscreen", PYTHONASYNCIODEBUG="0")


def run_m2gui(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Run m2gui with ``args`` to its end (a 50 s limit), as a user would."""
    return subprocess.run(
        m2gui_cmd(tmp_path, *args), capture_output=True, text=True, env=env(), timeout=50
    )


def problems(stderr: str) -> list[str]:
    bad = ("Traceback", "Warning", "Task was destroyed", "Error", "never awaited", "CRITICAL")
    return [line for line in stderr.splitlines() if any(b in line for b in bad)]


@pytest.mark.timeout(60)
def test_screenshot_writes_a_png_that_is_not_blank(tmp_path: Path) -> None:
    shot = tmp_path / "shot.png"
    result = subprocess.run(
        m2gui_cmd(tmp_path, "--simulate", "--screenshot", str(shot)),
        capture_output=True,
        text=True,
        env=env(),
        timeout=50,
    )
    assert result.returncode == 0, result.stderr
    assert problems(result.stderr) == []
    image = QImage(str(shot))
    assert image.width() > 800 and image.height() > 500
    colours = {
        image.pixel(x, y) for x in range(0, image.width(), 7) for y in range(0, image.height(), 7)
    }
    assert len(colours) > 20  # text, lines, indicators: not a blank window
    log = (tmp_path / "m2gui.log").read_text()
    assert "connected" in log and "screenshot saved" in log and "m2gui closed" in log


@pytest.mark.timeout(60)
def test_clean_shutdown_without_warnings(tmp_path: Path) -> None:
    result = subprocess.run(
        m2gui_cmd(tmp_path, "--simulate", "--quit-after", "2.5", "--log-level", "DEBUG"),
        capture_output=True,
        text=True,
        env=env(),
        timeout=50,
    )
    assert result.returncode == 0, result.stderr
    assert problems(result.stderr) == []
    log = without_benign_resets((tmp_path / "m2gui.log").read_text())
    assert "m2gui closed" in log
    assert "Task was destroyed" not in log and "Traceback" not in log


def without_benign_resets(log: str) -> str:
    """The log without asyncio's debug-mode reports of a peer's connection reset.

    In debug mode (``-X dev``) asyncio logs, with a traceback, every
    ``ConnectionResetError`` a socket transport reads: at shutdown the client
    closes while the simulator's telemetry is still in flight, and one side
    sees a reset. Nothing of ours; anything else stays in.
    """
    blocks: list[list[str]] = []
    for line in log.splitlines():
        if line[:4].isdigit() or not blocks:  # a new record (timestamped)
            blocks.append([line])
        else:
            blocks[-1].append(line)
    kept = [
        block
        for block in blocks
        if not (
            "asyncio:" in block[0]
            and "Fatal read error" in block[0]
            and block[-1].startswith("ConnectionResetError")
        )
    ]
    return "\n".join(line for block in kept for line in block)


@pytest.mark.timeout(60)
def test_ctrl_c_closes_cleanly(tmp_path: Path) -> None:
    proc = subprocess.Popen(
        m2gui_cmd(tmp_path, "--simulate"),
        stderr=subprocess.PIPE,
        text=True,
        env=env(),
    )
    try:
        log = tmp_path / "m2gui.log"
        deadline = time.monotonic() + 30
        while not (log.exists() and ": connected" in log.read_text()):
            assert time.monotonic() < deadline, "never connected"
            time.sleep(0.1)
        proc.send_signal(signal.SIGINT)
        _, stderr = proc.communicate(timeout=20)
        assert proc.returncode == 0, stderr
        assert problems(stderr) == []
        assert "m2gui closed" in log.read_text()
    finally:
        proc.kill()


def test_version() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "m2gui", "--version"], capture_output=True, text=True, timeout=30
    )
    assert result.stdout.strip() == f"m2gui {m2gui.__version__}"


@pytest.mark.timeout(60)
def test_unreachable_host_keeps_retrying_without_crashing(tmp_path: Path) -> None:
    result = subprocess.run(
        m2gui_cmd(
            tmp_path,
            "--host",
            "127.0.0.1",
            "--command-port",
            "9",
            "--telemetry-port",
            "10",
            "--quit-after",
            "1.5",
        ),
        capture_output=True,
        text=True,
        env=env(),
        timeout=50,
    )
    assert result.returncode == 0
    log = (tmp_path / "m2gui.log").read_text()
    assert "cannot connect to 127.0.0.1:9" in log
    assert "reconnecting" in log


@pytest.mark.timeout(60)
def test_a_corrupt_settings_file_does_not_stop_the_start(tmp_path: Path) -> None:
    (tmp_path / "settings.ini").write_text(
        "[connection]\ncommand_port=abc\ntelemetry_port=@Variant(\\0\\0\\0\\x7f)\n"
        "[window]\nlayout=not a number\ntab=x\nstate=garbage\n"
        "[plots]\nlayout={not json\n[commands]\npreferences=[1,2\n"
    )
    result = subprocess.run(
        m2gui_cmd(tmp_path, "--host", "127.0.0.1", "--quit-after", "1.5"),
        capture_output=True,
        text=True,
        env=env(),
        timeout=50,
    )
    assert result.returncode == 0, result.stderr
    assert problems(result.stderr) == []
    log = (tmp_path / "m2gui.log").read_text()
    assert "127.0.0.1:50010" in log  # the default ports, not a crash
    assert "m2gui closed" in log
