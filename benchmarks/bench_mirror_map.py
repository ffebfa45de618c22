"""Mirror map cost: the 78 actuators at 20 Hz telemetry, offscreen, at 900 x 550.

1. frame: the map's own per-frame path as fast as it goes: a telemetry store
   fed one new ``axialForce`` and ``tangentForce`` sample per frame with
   every value changing (the worst case: 78 brushes swapped), then
   ``MirrorMapView.refresh()`` and a repaint of the map. Frames per second
   and process CPU ms per frame; median of several runs.
2. live: the simulator in this process at 20 Hz on a qasync loop, a session
   connected to it and the map shown: frames the map draws per second, and
   the CPU (thread time) spent in the map per drawn frame (its refresh plus
   the paint of its view), over the run.
3. app_cpu: the application (``MainWindow`` and its session, in this
   process) connected to a simulator process (all topics at 20 Hz), with the
   map as a tab: process CPU as a fraction of one core with the map tab
   shown, and with a blank tab shown (the app idle: connected, storing the
   telemetry, nothing drawn; the map, hidden, does no work),
   alternating phases in the same run; medians over the runs, and the map's
   own cost as the median of (shown - idle). Target: under 0.05.
   ``app_without_map`` is the same app before the map was made.

Prints one JSON object per case. Usage::

    python benchmarks/bench_mirror_map.py [--runs 3] [--seconds 5]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("QT_API", "pyside6")

import numpy as np
import qasync
from PySide6.QtCore import QSettings
from PySide6.QtGui import QPaintEvent
from PySide6.QtWidgets import QApplication, QWidget

from m2gui.model.session import Session
from m2gui.net import Received
from m2gui.sim import ControllerSimulator
from m2gui.ui.cell.mirror_map import MapCanvas, MirrorMapView
from m2gui.ui.main_window import MainWindow

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import SimProcess

WIDTH, HEIGHT = 900, 550


def force_message(n: int, measured: np.ndarray) -> dict[str, Any]:
    zeros = [0.0] * n
    return {
        "lutGravity": zeros,
        "lutTemperature": zeros,
        "applied": zeros,
        "measured": measured.tolist(),
        "hardpointCorrection": zeros,
    }


def frame_speed(app: QApplication, frames: int) -> tuple[float, float]:
    """Frames per second and CPU ms per frame of the map's refresh and paint."""
    session = Session("127.0.0.1", 1, 2, reconnect=False, history=30)
    view = MirrorMapView(session)
    view.resize(WIDTH, HEIGHT)
    view.show()
    rng = np.random.default_rng(1)
    walk = 200.0 + np.cumsum(rng.normal(0.0, 5.0, (frames + 1, 78)), axis=0)
    messages = [(force_message(72, row[:72]), force_message(6, row[72:] * 10.0)) for row in walk]
    store = session.telemetry
    store.on_telemetry(Received("axialForce", messages[0][0], 0.0, "telemetry"))
    store.on_telemetry(Received("tangentForce", messages[0][1], 0.0, "telemetry"))
    view.redraw()
    app.processEvents()
    viewport = view.canvas.viewport()
    wall0, cpu0 = time.perf_counter(), time.process_time()
    for k in range(1, frames + 1):
        t = k * 0.05
        store.on_telemetry(Received("axialForce", messages[k][0], t, "telemetry"))
        store.on_telemetry(Received("tangentForce", messages[k][1], t, "telemetry"))
        view.refresh()
        viewport.repaint()
    wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
    view.close()
    view.deleteLater()
    app.processEvents()
    return frames / wall, cpu / frames * 1e3


async def live(seconds: float) -> dict[str, float]:
    """The map fed by the in-process simulator at 20 Hz: drawn fps, CPU per frame."""
    spent = {"refresh": 0.0, "paint": 0.0, "paints": 0}
    original_refresh = MirrorMapView.refresh
    original_paint = MapCanvas.paintEvent

    def timed_refresh(view: MirrorMapView) -> bool:
        t0 = time.thread_time()
        try:
            return original_refresh(view)
        finally:
            spent["refresh"] += time.thread_time() - t0

    def timed_paint(canvas: MapCanvas, event: QPaintEvent) -> None:
        t0 = time.thread_time()
        try:
            original_paint(canvas, event)
        finally:
            spent["paint"] += time.thread_time() - t0
            spent["paints"] += 1

    MirrorMapView.refresh = timed_refresh  # type: ignore[method-assign]
    MapCanvas.paintEvent = timed_paint  # type: ignore[method-assign]
    try:
        async with ControllerSimulator(
            command_port=0, telemetry_port=0, all_telemetry=True, seed=1
        ) as sim:
            session = Session("127.0.0.1", sim.command_port, sim.telemetry_port, history=60)
            view = MirrorMapView(session)
            view.resize(WIDTH, HEIGHT)
            view.show()
            session.connect()
            await session.connection.wait_connected(5)
            await asyncio.sleep(1.0)
            frames0 = view.frames
            for key in ("refresh", "paint", "paints"):
                spent[key] = 0
            wall0 = time.perf_counter()
            await asyncio.sleep(seconds)
            wall = time.perf_counter() - wall0
            frames = view.frames - frames0
            await session.disconnect()
            view.close()
    finally:
        MirrorMapView.refresh = original_refresh  # type: ignore[method-assign]
        MapCanvas.paintEvent = original_paint  # type: ignore[method-assign]
    paints = max(1, int(spent["paints"]))
    return {
        "fps_drawn": frames / wall,
        "paints_per_s": spent["paints"] / wall,
        "cpu_ms_per_frame": (spent["refresh"] + spent["paint"]) / max(1, frames) * 1e3,
        "refresh_ms": spent["refresh"] / max(1, frames) * 1e3,
        "paint_ms": spent["paint"] / paints * 1e3,
        "map_cpu_fraction": (spent["refresh"] + spent["paint"]) / wall,
    }


async def cpu_over(seconds: float) -> float:
    """Process CPU over ``seconds`` of the running loop, as a fraction of one core."""
    c0, t0 = time.process_time(), time.perf_counter()
    await asyncio.sleep(seconds)
    return (time.process_time() - c0) / (time.perf_counter() - t0)


async def app_cpu(runs: int, seconds: float) -> dict[str, Any]:
    """The app with the map tab shown against the app idle, alternating in one run."""
    sim = SimProcess("--all-telemetry")
    tmp = Path(tempfile.mkdtemp(prefix="m2gui-bench-"))
    try:
        session = Session("127.0.0.1", sim.command_port, sim.telemetry_port, history=600)
        settings = QSettings(str(tmp / "s.ini"), QSettings.Format.IniFormat)
        window = MainWindow(session, settings)
        window.resize(1366, 768)
        window.show()
        session.connect()
        await session.connection.wait_connected(5)
        # the idle app: connected and storing telemetry, a blank tab shown
        blank = QWidget()
        window.add_panel("bench_blank", "Blank", blank, "center")
        window.workspace.setCurrentWidget(blank)
        await asyncio.sleep(3.0)  # buffers allocated, caches warm
        without = await cpu_over(seconds)
        view = MirrorMapView(session)
        window.add_panel("mirror_map", "Mirror map", view, "center")
        idle: list[float] = []
        shown: list[float] = []
        fps: list[float] = []
        for _ in range(runs):
            window.workspace.setCurrentWidget(blank)
            await asyncio.sleep(0.5)
            idle.append(await cpu_over(seconds))
            window.workspace.setCurrentWidget(view)
            await asyncio.sleep(0.5)
            frames0, t0 = view.frames, time.perf_counter()
            shown.append(await cpu_over(seconds))
            fps.append((view.frames - frames0) / (time.perf_counter() - t0))
        await session.disconnect()
        window.close()
    finally:
        sim.close()
    return {
        "app_without_map": round(without, 4),
        "app_idle": round(statistics.median(idle), 4),
        "app_map_shown": round(statistics.median(shown), 4),
        "map_cpu_fraction": round(
            statistics.median(s - i for s, i in zip(shown, idle, strict=True)), 4
        ),
        "fps_drawn": round(statistics.median(fps), 1),
        "runs": runs,
        "seconds_per_phase": seconds,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--frames", type=int, default=300)
    parser.add_argument("--cases", default="frame,live,app", help="which cases to run")
    args = parser.parse_args()
    cases = set(args.cases.split(","))
    app = QApplication.instance() or QApplication([])
    assert isinstance(app, QApplication)
    if "frame" in cases:
        print_frame(app, args.runs, args.frames)
    app.setQuitOnLastWindowClosed(False)
    with asyncio.Runner(loop_factory=lambda: qasync.QEventLoop(app)) as runner:
        if "live" in cases:
            results = [runner.run(live(args.seconds)) for _ in range(args.runs)]
            medians = {k: round(statistics.median(r[k] for r in results), 3) for k in results[0]}
            print(
                json.dumps(
                    {"bench": "mirror_map_live_20hz", "size": f"{WIDTH}x{HEIGHT}", **medians}
                ),
                flush=True,
            )
        if "app" in cases:
            result = runner.run(app_cpu(args.runs, args.seconds))
            print(json.dumps({"bench": "mirror_map_app_cpu_20hz", **result}), flush=True)


def print_frame(app: QApplication, runs_count: int, frames: int) -> None:
    runs = [frame_speed(app, frames) for _ in range(runs_count)]
    print(
        json.dumps(
            {
                "bench": "mirror_map_frame",
                "actuators": 78,
                "size": f"{WIDTH}x{HEIGHT}",
                "fps": round(statistics.median(r[0] for r in runs), 1),
                "cpu_ms_per_frame": round(statistics.median(r[1] for r in runs), 3),
            }
        ),
        flush=True,
    )


if __name__ == "__main__":
    main()
