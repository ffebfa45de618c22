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
