"""Start-up time of m2gui and its CPU use while connected (offscreen).

- startup: wall time from process start to a connected, shown window
  (``m2gui --simulate``, quitting as soon as it is connected), against a bare
  ``QApplication`` + empty ``QMainWindow`` shown and closed, in the same run
  (median of several runs each; both include interpreter start and imports).
- cpu: the GUI process's CPU time over wall time while connected to a
  simulator (its own process, all 19 topics at 20 Hz) with the window open,
  measured between 5 s and 20 s after start.

Prints JSON objects. Usage::

    python benchmarks/bench_startup.py [--runs 5] [--seconds 15]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import gui_cpu

BARE = """
from PySide6.QtWidgets import QApplication, QMainWindow
app = QApplication([])
window = QMainWindow()
window.resize(1400, 860)
window.show()
app.processEvents()
window.close()
"""


def env() -> dict[str, str]:
    return dict(os.environ, QT_QPA_PLATFORM="offscreen", QT_API="pyside6")


def timed(cmd: list[str]) -> float:
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True, env=env(), capture_output=True)
    return time.perf_counter() - t0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--seconds", type=float, default=15.0)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="m2gui-bench-"))
    app_cmd = [
        sys.executable,
        "-m",
        "m2gui",
        "--simulate",
        "--quit-when-connected",
        "--settings",
        str(tmp / "s.ini"),
        "--log-file",
        str(tmp / "m2gui.log"),
        "--record-root",
        str(tmp / "recordings"),  # recording is on by default, as for a user
    ]
    bare_cmd = [sys.executable, "-c", BARE]
    timed(app_cmd)  # warm the file cache
    bare, app = [], []
    for _ in range(args.runs):
        bare.append(timed(bare_cmd))
        app.append(timed(app_cmd))
    b, a = statistics.median(bare), statistics.median(app)
    print(
        json.dumps(
            {
                "bench": "startup",
                "runs": args.runs,
                "m2gui_to_connected_s": round(a, 3),
                "bare_qmainwindow_s": round(b, 3),
                "ratio": round(a / b, 2),
            }
        ),
        flush=True,
    )

    print(
        json.dumps(
            {
                "bench": "gui_cpu_connected_20hz",
                "seconds": args.seconds,
                "cpu_fraction_of_core": round(gui_cpu(args.seconds), 3),
            }
        )
    )


if __name__ == "__main__":
    main()
