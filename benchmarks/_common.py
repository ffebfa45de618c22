"""Helpers shared by the benchmark scripts: a simulator process, CPU readings."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import threading


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds used so far by process ``pid`` (Linux)."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class SimProcess:
    """``m2gui-sim`` in its own process on free ports (read back from its log)."""

    def __init__(self, *args: str) -> None:
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "m2gui.sim",
                "--command-port",
                "0",
                "--telemetry-port",
                "0",
                *args,
            ],
            stderr=subprocess.PIPE,
            text=True,
            env=dict(os.environ, PYTHONUNBUFFERED="1"),
        )
        assert self.proc.stderr is not None
        line = self.proc.stderr.readline()
        match = re.search(r"commands (\d+), telemetry (\d+)", line)
        if not match:
            self.proc.kill()
            raise RuntimeError(f"simulator did not start: {line}")
        self.command_port, self.telemetry_port = int(match.group(1)), int(match.group(2))
        # Keep reading its log so that a full pipe never blocks it.
        threading.Thread(target=self.proc.stderr.read, daemon=True).start()

    def cpu_seconds(self) -> float:
        return cpu_seconds(self.proc.pid)

    def close(self) -> None:
        self.proc.terminate()
        self.proc.wait()


def gui_cpu(seconds: float, *args: str, settle: float = 5.0) -> float:
    """CPU of ``m2gui`` (fraction of one core) connected to a simulator process.

    The simulator sends all topics at 20 Hz; the GUI runs offscreen with the
    extra command-line ``args``; CPU is measured over ``seconds`` after
    ``settle`` seconds of start-up.
    """
    import tempfile
    import time
    from pathlib import Path

    tmp = Path(tempfile.mkdtemp(prefix="m2gui-bench-"))
    sim = SimProcess("--all-telemetry")
    try:
        gui = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "m2gui",
                "--host",
                "127.0.0.1",
                "--command-port",
                str(sim.command_port),
                "--telemetry-port",
                str(sim.telemetry_port),
                "--settings",
                str(tmp / "s.ini"),
                "--log-file",
                str(tmp / "m2gui.log"),
                # The figure is the GUI's own cost; recording is measured by
                # bench_record.py (and must not fill the user's data folder).
                "--no-record",
                "--quit-after",
                str(settle + seconds + 2),
                *args,
            ],
            env=dict(os.environ, QT_QPA_PLATFORM="offscreen", QT_API="pyside6"),
            stderr=subprocess.DEVNULL,
        )
        time.sleep(settle)
        c0, t0 = cpu_seconds(gui.pid), time.perf_counter()
        time.sleep(seconds)
        c1, t1 = cpu_seconds(gui.pid), time.perf_counter()
        gui.wait()
    finally:
        sim.close()
    return (c1 - c0) / (t1 - t0)
