"""Plot speed: 78 curves offscreen at 1280 x 800, against pyqtgraph's defaults.

1. fps: the panel's own refresh path (telemetry store envelope + one
   MultiCurveItem per topic) drawing 78 curves (axialForce.measured[0..71] and
   tangentForce.measured[0..5]) with the whole history in view, one new sample
   per frame (the 20 Hz feed, as fast as it can be drawn), for histories of
   12,000 and 120,000 points per curve. Baseline in the same run: the same
   data drawn by 78 default ``PlotDataItem`` with ``setData`` each frame.
   Median of several runs; ``cpu_ms_per_frame`` is process time per frame.
2. latency: the simulator (in process, 20 Hz) feeding a 78-curve panel on the
   app's 30 Hz refresh timer under qasync: from a message's receipt to the end
   of the first frame that contains it, p50 and p99.
3. cpu: ``m2gui`` connected to a simulator process (20 Hz) with a 78-curve
   layout: process CPU time over wall time, 15 s.

Prints one JSON object per case. Usage::

    python benchmarks/bench_plot.py [--runs 3] [--seconds 15]
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

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("QT_API", "pyside6")

import numpy as np
import pyqtgraph as pg
import qasync
from PySide6.QtWidgets import QApplication

from m2gui.model import load_catalogue
from m2gui.model.plot_layout import PanelLayout, PlotLayout
from m2gui.model.session import Session
from m2gui.model.telemetry import TelemetryStore
from m2gui.net import Received
from m2gui.sim import ControllerSimulator
from m2gui.ui.plots.area import PlotArea

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import gui_cpu

CAT = load_catalogue()
SIGNALS = [f"axialForce.measured[{i}]" for i in range(72)] + [
    f"tangentForce.measured[{i}]" for i in range(6)
]
WIDTH, HEIGHT = 1280, 800


def make_store(points: int) -> tuple[TelemetryStore, list[dict], list[dict]]:
    store = TelemetryStore(CAT, history=points / 20.0)
    rng = np.random.default_rng(1)
    axial_fields = CAT.telemetry["axialForce"].fields
    tangent_fields = CAT.telemetry["tangentForce"].fields
    walk = np.cumsum(rng.normal(size=(points + 2000, 78)), axis=0)
    axial = [{f: [0.0] * 72 for f in axial_fields} for _ in range(64)]
    tangent = [{f: [0.0] * 6 for f in tangent_fields} for _ in range(64)]
    for i in range(points):
        a = axial[i % 64]
        a["measured"] = walk[i, :72].tolist()
        store.on_telemetry(Received("axialForce", a, i * 0.05, "telemetry"))
        t = tangent[i % 64]
        t["measured"] = walk[i, 72:].tolist()
        store.on_telemetry(Received("tangentForce", t, i * 0.05 + 0.001, "telemetry"))
    return (
        store,
        [{**a, "measured": walk[points + k, :72].tolist()} for k, a in enumerate(axial[:50])],
        tangent,
    )


def ours(app: QApplication, points: int, frames: int) -> tuple[float, float, int]:
    store, extra, tangent = make_store(points)
    area = PlotArea(store, CAT)
    area.set_live(False)
    area.resize(WIDTH, HEIGHT)
    area.show()
    panel = area.add_panel(PanelLayout(signals=SIGNALS, window=None))
    app.processEvents()
    panel.refresh()
    panel.plot.viewport().repaint()
    t = points * 0.05
    wall0, cpu0 = time.perf_counter(), time.process_time()
    for k in range(frames):
        t += 0.05
        store.on_telemetry(Received("axialForce", extra[k % len(extra)], t, "telemetry"))
        store.on_telemetry(Received("tangentForce", tangent[k % 64], t + 0.001, "telemetry"))
        panel.refresh()
        panel.plot.viewport().repaint()
    wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
    drawn = len(panel.groups["axialForce"].item._polylines[0][0])
    area.close()
    area.deleteLater()
    app.processEvents()
    return frames / wall, cpu / frames * 1e3, drawn


def baseline(app: QApplication, points: int, frames: int) -> tuple[float, float]:
    store, _, _ = make_store(points)
    widget = pg.PlotWidget()
    widget.resize(WIDTH, HEIGHT - 30)
    widget.show()
    axial, tangent = store.buffer("axialForce"), store.buffer("tangentForce")
    assert axial is not None and tangent is not None
    items = [widget.plot(pen=pg.intColor(i, 78)) for i in range(78)]
    app.processEvents()
    ax_cols = axial.columns["measured"]
    tan_cols = tangent.columns["measured"]
    wall0, cpu0 = time.perf_counter(), time.process_time()
    for _ in range(frames):
        x_a, y_a = axial.times(), axial.values(ax_cols)
        x_t, y_t = tangent.times(), tangent.values(tan_cols)
        for i, item in enumerate(items):
            if i < 72:
                item.setData(x_a, y_a[:, i])
            else:
                item.setData(x_t, y_t[:, i - 72])
        widget.viewport().repaint()
    wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
    widget.close()
    widget.deleteLater()
    app.processEvents()
    return frames / wall, cpu / frames * 1e3


async def latency(seconds: float) -> tuple[float, float, int]:
    async with ControllerSimulator(command_port=0, telemetry_port=0, all_telemetry=True) as sim:
        session = Session("127.0.0.1", sim.command_port, sim.telemetry_port, history=120)
        area = PlotArea(session.telemetry, CAT, refresh_hz=30)
        area.resize(WIDTH, HEIGHT)
        area.show()
        panel = area.add_panel(PanelLayout(signals=SIGNALS, window=60.0))
        pending: list[float] = []
        latencies: list[float] = []
        session.connection.subscribe(lambda r: pending.append(r.time), "axialForce")
        view_class = type(panel.plot)
        original = view_class.paintEvent

        def paint_and_measure(view: pg.GraphicsView, event: object) -> None:
            original(view, event)
            if view is not panel.plot:
                return
            end = time.time()
            shown = panel.last_drawn_time
            while pending and pending[0] <= shown:
                latencies.append(end - pending.pop(0))

        view_class.paintEvent = paint_and_measure
        try:
            session.connect()
            await session.connection.wait_connected(5)
            await asyncio.sleep(1.0)
            latencies.clear()
            await asyncio.sleep(seconds)
        finally:
            view_class.paintEvent = original
            await session.disconnect()
            area.close()
    values = np.array(latencies) * 1e3
    return float(np.percentile(values, 50)), float(np.percentile(values, 99)), len(values)


def app_cpu(seconds: float) -> float:
    layout = Path(tempfile.mkdtemp(prefix="m2gui-bench-")) / "layout78.json"
    PlotLayout(panels=[PanelLayout(signals=SIGNALS, window=60.0)]).save(layout)
    return gui_cpu(seconds, "--layout", str(layout))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=15.0)
    args = parser.parse_args()
    app = QApplication.instance() or QApplication([])
    assert isinstance(app, QApplication)
    for points, frames, base_frames in ((12_000, 90, 10), (120_000, 90, 3)):
        runs = [ours(app, points, frames) for _ in range(args.runs)]
        base = [baseline(app, points, base_frames) for _ in range(args.runs)]
        fps = statistics.median(r[0] for r in runs)
        base_fps = statistics.median(b[0] for b in base)
        print(
            json.dumps(
                {
                    "bench": "plot",
                    "curves": 78,
                    "points_per_curve": points,
                    "size": f"{WIDTH}x{HEIGHT}",
                    "fps": round(fps, 1),
                    "cpu_ms_per_frame": round(statistics.median(r[1] for r in runs), 2),
                    "points_drawn_per_curve": runs[0][2],
                    "baseline_fps": round(base_fps, 2),
                    "baseline_cpu_ms_per_frame": round(statistics.median(b[1] for b in base), 1),
                    "ratio": round(fps / base_fps, 1),
                }
            ),
            flush=True,
        )
    app.setQuitOnLastWindowClosed(False)
    with asyncio.Runner(loop_factory=lambda: qasync.QEventLoop(app)) as runner:
        p50, p99, n = runner.run(latency(args.seconds))
    print(
        json.dumps(
            {
                "bench": "wire_to_pixel",
                "messages": n,
                "p50_ms": round(p50, 1),
                "p99_ms": round(p99, 1),
            }
        ),
        flush=True,
    )
    print(
        json.dumps(
            {
                "bench": "app_cpu_78_curves_20hz",
                "seconds": args.seconds,
                "cpu_fraction_of_core": round(app_cpu(args.seconds), 3),
            }
        )
    )


if __name__ == "__main__":
    main()
