"""Recording, long history, replay and export over a 12-hour night (issue 14).

Run with the other benchmarks (``make bench``), or alone::

    QT_QPA_PLATFORM=offscreen python benchmarks/bench_record.py [--runs 3] [--seconds 10]
        [--night DIR] [--hours 12] [--only night,record_cpu,...]

About 4 minutes on 2 cores once the night exists (making it takes about 4 more).

The night: the real simulator (`ControllerSimulator`, all topics at 20 Hz, as
``m2gui --simulate`` runs it) is recorded for ``--capture`` seconds (its wire
lines with their receive times); those lines are then repeated with their
times shifted by whole capture periods until they fill ``--hours`` hours,
written through the real `Recorder` (one second of lines per frame, as live;
one part per recorded hour, as the app rotates them; fsync off for the
synthesis only) and the real `PyramidWriter` (every telemetry sample, with
``add_row``: each captured line is parsed once by the `RowParser` that
``add_message`` uses). It is cached under ``--night`` (default
``$M2GUI_BENCH_NIGHT`` or /tmp/m2gui-bench-12h: 16.4 million lines, 8.1 GB
on the wire, 3 GB on disk) and reused by later runs.

Figures (one JSON object per line, each with its baseline measured in the
same run, the issue's target, and the 1-minute load average of the machine,
as other work on it skews them):

1. ``night``: the synthesised recording (wire bytes, disk bytes, time to make).
2. ``record_cpu_20hz``: CPU of a process with a `Session` connected to the
   simulator (its own process, 20 Hz, all topics) and a `LiveRecording`
   (Recorder + pyramid, fsync on), minus the same without recording: % of
   one core (< 3 %); median of ``--runs`` alternated runs.
3. ``disk_ratio_*``: disk bytes / wire bytes of the wire log and of the
   pyramid (< 0.4), for the night and for the live recording of step 2.
4. ``open_12h``: `m2gui.record.open` + `Archive` of the night, cold (page
   cache of its files dropped with ``posix_fadvise``) and warm (< 2 s);
   baseline: reading the part files with a bare loop.
5. ``envelope_12h_one_signal``: `Archive.envelope` of one signal over the
   whole night (1000 blocks), cold and warm, and panned: a range of half the
   night moved by 1/30 of its width 30 times (>= 30 frames/s).
   ``panel_12h_one_signal``: the same drawn by the real `PlotArea` +
   `PlotPanel` (1280 x 800, offscreen, queries in its worker thread): from
   holding the range to the frame that draws it (< 200 ms), and panned, each
   frame waiting for its own part; beside it the Archive query + a bare
   pyqtgraph curve. Baseline: the bare read of the wire log (step 4, warm).
6. ``app_rss_whole_night``: resident memory of ``m2gui --replay NIGHT``
   (offscreen, 78 curves in two panels), played to its end and holding the
   whole night in both panels (< 1 GB); baseline: ``m2gui --simulate``,
   idle with the same layout (both record, as the app does by default).
7. ``replay_full_speed``: `ReplaySource` at full speed into a `Session`'s
   stores (headless) over the first 10 minutes of the night: recorded s per
   wall s (>= 50x); baseline: a bare loop over ``iter_messages`` of the range.
8. ``export_parquet_12h``: `export_parquet` of the whole night (< 120 s),
   with the CPU seconds of all its processes; baseline: a bare loop over
   ``iter_messages`` of the whole night.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("QT_API", "pyside6")

import numpy as np

from m2gui.model import load_catalogue
from m2gui.model.telemetry import RowParser
from m2gui.net import ControllerConnection, WireLine
from m2gui.net.codec import BadLine, decode_line
from m2gui.record import Archive, PyramidWriter, Recorder
from m2gui.record import open as open_recording
from m2gui.record.pyramid_format import is_telemetry

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import SimProcess

CAT = load_catalogue()
NIGHT_FORMAT = 1
#: The signal drawn over the whole night.
SIGNAL_TOPIC, SIGNAL_FIELD, SIGNAL_INDEX = "axialForce", "measured", 0
MiB = 2**20


def emit(record: dict[str, Any]) -> None:
    """Print one figure as a JSON line, with the machine's load."""
    record["load_1min"] = round(os.getloadavg()[0], 2)
    print(json.dumps(record), flush=True)


def r(value: float, digits: int = 3) -> float:
    return round(value, digits)


# ----------------------------------------------------------------------------- the night
async def capture(seconds: float) -> list[WireLine]:
    """Wire lines of the real simulator (all topics, 20 Hz) over ``seconds``."""
    from m2gui.sim import ControllerSimulator

    lines: list[WireLine] = []
    async with ControllerSimulator(command_port=0, telemetry_port=0, all_telemetry=True) as sim:
        conn = ControllerConnection(
            "127.0.0.1", sim.command_port, sim.telemetry_port, reconnect=False
        )
        conn.add_wire_listener(lines.append)
        conn.start()
        await conn.wait_connected(10)
        await asyncio.sleep(seconds)
        await conn.close()
    return lines


class _Template:
    """One captured period, split into one-second buckets, with parsed rows."""

    def __init__(self, lines: list[WireLine], settle: float = 2.0) -> None:
        lines = sorted(lines, key=lambda w: w.time)
        t_start = lines[0].time + settle
        self.first = [w for w in lines if w.time < t_start]  # the connection burst: once
        body = [w for w in lines if w.time >= t_start]
        self.period = math.floor(body[-1].time - t_start)  # whole seconds
        body = [w for w in body if w.time < t_start + self.period]
        self.t_start = t_start
        parsers: dict[str, RowParser] = {}
        self.buckets: list[list[tuple[float, WireLine, tuple[str, np.ndarray] | None]]] = [
            [] for _ in range(self.period)
        ]
        for w in body:
            sample = self._row(w, parsers)
            self.buckets[int(w.time - t_start)].append((w.time - t_start, w, sample))
        self.first_rows = [self._row(w, parsers) for w in self.first]

    @staticmethod
    def _row(w: WireLine, parsers: dict[str, RowParser]) -> tuple[str, np.ndarray] | None:
        if w.direction != "in":
            return None
        try:
            message = decode_line(w.line)
        except BadLine:
            return None
        name = message.get("id")
        if type(name) is not str or not is_telemetry(CAT, w.port, name):
            return None
        parser = parsers.get(name)
        if parser is None:
            parser = parsers[name] = RowParser(CAT.telemetry[name], log_bad=False)
        row = np.empty(parser.width)
        parser.parse(message, row)
        return name, row


def synthesise(root: Path, hours: float, capture_seconds: float) -> dict[str, Any]:
    """Make the night under ``root`` (``root/night`` + ``root/night.json``); its facts."""
    began = time.perf_counter()
    lines = asyncio.run(capture(capture_seconds))
    captured = time.perf_counter() - began
    template = _Template(lines)
    period = template.period
    seconds = int(hours * 3600)
    copies = -(-seconds // period)
    # The night ends where the capture ended: times stay in the past.
    shift = -copies * period
    folder = root / "night"
    shutil.rmtree(root, ignore_errors=True)
    folder.mkdir(parents=True)
    metadata = {"host": "127.0.0.1", "command_port": 0, "telemetry_port": 0, "synthetic": True}
    pyramid = PyramidWriter(folder, CAT)
    wire_bytes = messages = 0
    recorder: Recorder | None = None
    hour = -1
    make = WireLine._make
    add_row = pyramid.add_row

    def write(t: float, w: WireLine, sample: tuple[str, np.ndarray] | None) -> None:
        assert recorder is not None
        recorder.write(make((t, w.port, w.direction, w.line)))
        if sample is not None:
            add_row(sample[0], t, sample[1])

    t0 = template.t_start + shift
    for second in range(seconds):
        if second // 3600 != hour:  # one part per recorded hour, as the app rotates
            hour = second // 3600
            if recorder is not None:
                recorder.close()
                status = recorder.status()
                wire_bytes += status.wire_bytes
                messages += status.messages
            recorder = Recorder(folder, metadata, fsync=False)
            if second == 0:
                for w, sample in zip(template.first, template.first_rows, strict=True):
                    write(w.time + shift, w, sample)
        k, s = divmod(second, period)
        offset = shift + k * period
        for dt, w, sample in template.buckets[s]:
            write(template.t_start + offset + dt, w, sample)
        assert recorder is not None
        recorder.flush()  # one frame per port per second, as live
        pyramid.cover(t0 + second + 1)
        if second % 64 == 63:
            pyramid.flush()
        if second % 3600 == 3599:
            print(
                f"# night: {second // 3600 + 1} h of {hours:g} written "
                f"({time.perf_counter() - began:.0f} s)",
                file=sys.stderr,
                flush=True,
            )
    assert recorder is not None
    recorder.close()
    status = recorder.status()
    wire_bytes += status.wire_bytes
    messages += status.messages
    pyramid.close()
    facts = {
        "format": NIGHT_FORMAT,
        "hours": hours,
        "capture_s": capture_seconds,
        "period_s": period,
        "wire_bytes": wire_bytes,
        "messages": messages,
        "capture_wall_s": r(captured, 1),
        "synthesis_wall_s": r(time.perf_counter() - began, 1),
    }
    (root / "night.json").write_text(json.dumps(facts))
    return facts


def ensure_night(root: Path, hours: float, capture_seconds: float) -> tuple[Path, dict[str, Any]]:
    """The cached night (made if missing or made with other settings)."""
    try:
        facts = json.loads((root / "night.json").read_text())
        if facts.get("format") == NIGHT_FORMAT and facts.get("hours") == hours:
            facts["cached"] = True
            return root / "night", facts
    except (OSError, ValueError):
        pass
    facts = synthesise(root, hours, capture_seconds)
    facts["cached"] = False
    return root / "night", facts


def folder_bytes(folder: Path) -> tuple[int, int]:
    """Bytes of the wire log (parts + sidecar) and of the pyramid, by file size."""
    wire = pyramid = 0
    for path in folder.rglob("*"):
        if path.is_file():
            size = path.stat().st_size
            if "pyramid" in path.relative_to(folder).parts:
                pyramid += size
            else:
                wire += size
    return wire, pyramid


def drop_cache(folder: Path) -> bool:
    """Drop the page cache of every file under ``folder`` (False if not possible here)."""
    if not hasattr(os, "posix_fadvise"):
        return False
    for path in folder.rglob("*"):
        if path.is_file():
            fd = os.open(path, os.O_RDONLY)
            try:
                os.fdatasync(fd)
                os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
            finally:
                os.close(fd)
    return True


def bare_read(folder: Path) -> float:
    """Seconds to read every part file with a bare loop (1 MiB reads)."""
    t0 = time.perf_counter()
    for part in sorted(folder.glob("part-*.m2rec")):
        with part.open("rb", buffering=0) as file:
            while file.read(MiB):
                pass
    return time.perf_counter() - t0


def median(values: Sequence[float]) -> float:
    return statistics.median(values)


# ----------------------------------------------------------------------------- 2. CPU
def child_cost(mode: str, ports: tuple[int, int], seconds: float, settle: float) -> None:
    """(child process) CPU of a session connected to the simulator, recording or not."""
    from m2gui.model.session import Session
    from m2gui.record.live import LiveRecording, RecordingOptions

    folder = Path(tempfile.mkdtemp(prefix="m2gui-bench-rec-"))

    async def run() -> dict[str, Any]:
        session = Session("127.0.0.1", *ports, reconnect=False)
        recording = None
        if mode == "record":
            options = RecordingOptions(folder, folder / "rec")
            recording = LiveRecording(session.connection, session.telemetry, CAT, options)
        session.connect()
        await session.connection.wait_connected(10)
        if recording is not None:
            recording.start()
        await asyncio.sleep(settle)
        c0, t0 = time.process_time(), time.perf_counter()  # every thread of the process
        await asyncio.sleep(seconds)
        c1, t1 = time.process_time(), time.perf_counter()
        out: dict[str, Any] = {"cpu": (c1 - c0) / (t1 - t0)}
        if recording is not None:
            recording.close()
            status = recording.status()
            assert status is not None and status.error is None, status
            wire, pyramid = folder_bytes(folder / "rec")
            out.update(wire_bytes=status.wire_bytes, disk_wire_log=wire, disk_pyramid=pyramid)
        await session.close()
        return out

    try:
        print(json.dumps(asyncio.run(run())), flush=True)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def record_cpu(runs: int, seconds: float) -> dict[str, Any]:
    sim = SimProcess("--all-telemetry")
    results: dict[str, list[dict[str, Any]]] = {"plain": [], "record": []}
    try:
        for _ in range(runs):
            for mode in ("plain", "record"):
                cmd = [
                    sys.executable,
                    __file__,
                    "--child-cost",
                    mode,
                    str(sim.command_port),
                    str(sim.telemetry_port),
                    "--seconds",
                    str(seconds),
                ]
                done = subprocess.run(cmd, check=True, capture_output=True, text=True)
                results[mode].append(json.loads(done.stdout.strip().splitlines()[-1]))
    finally:
        sim.close()
    plain = median([x["cpu"] for x in results["plain"]])
    rec = median([x["cpu"] for x in results["record"]])
    pairs = [b["cpu"] - a["cpu"] for a, b in zip(results["plain"], results["record"], strict=True)]
    live = results["record"][-1]
    return {
        "plain": plain,
        "record": rec,
        "pairs": pairs,
        "live_wire_bytes": live["wire_bytes"],
        "live_disk_wire_log": live["disk_wire_log"],
        "live_disk_pyramid": live["disk_pyramid"],
    }


# ----------------------------------------------------------------------------- 4. open
def open_archive(folder: Path) -> float:
    t0 = time.perf_counter()
    recording = open_recording(folder)
    archive = Archive(recording, CAT)
    took = time.perf_counter() - t0
    assert archive.rebuild_needed is None, archive.problem
    archive.close()
    recording.close()
    return took


# ----------------------------------------------------------------------------- 5. one signal
def signal_column() -> int:
    parser = RowParser(CAT.telemetry[SIGNAL_TOPIC], log_bad=False)
    return int(parser.columns[SIGNAL_FIELD].start) + SIGNAL_INDEX


def envelope_figures(folder: Path, runs: int) -> dict[str, Any]:
    """Archive.envelope of one signal over the whole night: cold, warm, panned."""
    column = [signal_column()]
    out: dict[str, Any] = {}
    with Archive(folder, CAT) as archive:
        span = archive.span(SIGNAL_TOPIC)
        assert span is not None
        t0, t1 = span
        out["cold_possible"] = drop_cache(folder / "pyramid")
        began = time.perf_counter()
        env = archive.envelope(SIGNAL_TOPIC, column, t0, t1, 1000)
        out["cold_ms"] = (time.perf_counter() - began) * 1e3
        warm = []
        for _ in range(max(runs, 5)):
            began = time.perf_counter()
            archive.envelope(SIGNAL_TOPIC, column, t0, t1, 1000)
            warm.append(time.perf_counter() - began)
        out["warm_ms"] = median(warm) * 1e3
        out["points"] = len(env.x)
        out["level"] = env.level
        out["samples"] = env.samples
        # Pan: a range of half the night, moved by 1/30 of its width 30 times.
        width = (t1 - t0) / 2
        fps = []
        for run in range(runs):
            if run == 0:
                drop_cache(folder / "pyramid")
            began = time.perf_counter()
            for k in range(30):
                a = t0 + k * width / 30
                archive.envelope(SIGNAL_TOPIC, column, a, a + width, 1000)
            fps.append(30 / (time.perf_counter() - began))
        out["pan_fps_cold"] = fps[0]
        out["pan_fps_warm"] = median(fps[1:]) if len(fps) > 1 else fps[0]
        out["span"] = (t0, t1)
    return out


def panel_figures(folder: Path, runs: int) -> dict[str, Any]:
    """The real plot panel (PlotArea + PlotPanel, 1280 x 800 offscreen) drawing the night."""
    from PySide6.QtWidgets import QApplication

    from m2gui.model.plot_layout import PanelLayout
    from m2gui.model.telemetry import TelemetryStore
    from m2gui.ui.plots.area import PlotArea

    app = QApplication.instance() or QApplication([])
    assert isinstance(app, QApplication)
    archive = Archive(folder, CAT)
    store = TelemetryStore(CAT, history=60.0)
    area = PlotArea(store, CAT, long_history=lambda: archive)
    area.set_live(False)
    area.resize(1280, 800)
    area.show()
    signal = f"{SIGNAL_TOPIC}.{SIGNAL_FIELD}[{SIGNAL_INDEX}]"
    panel = area.add_panel(PanelLayout(signals=[signal], window=None))
    span = archive.span(SIGNAL_TOPIC)
    assert span is not None
    t0, t1 = span
    deadline = time.monotonic() + 30
    while SIGNAL_TOPIC not in area.disk.spans and time.monotonic() < deadline:
        app.processEvents()  # the spans of the topics, read off the GUI thread
        time.sleep(0.001)

    def frame(a: float, b: float) -> float:
        """Hold [a, b] in view; seconds until a frame drew it from disk."""
        began = time.perf_counter()
        received = panel.disk_parts.received
        panel.model.hold(a, b)
        area.refresh()
        limit = time.monotonic() + 30
        while panel.disk_parts.loading and time.monotonic() < limit:
            app.processEvents()
            if panel.disk_parts.received == received:
                time.sleep(0.0005)
            else:
                area.refresh()
        panel.plot.viewport().repaint()
        took = time.perf_counter() - began
        assert not panel.disk_parts.loading, "no part arrived"
        return took

    out: dict[str, Any] = {}
    try:
        drop_cache(folder / "pyramid")
        out["cold_ms"] = frame(t0, t1) * 1e3
        frame(t0, t0 + 60)  # another view
        warm = []
        for k in range(max(runs, 5)):
            frame(t0 + k, t1)  # a new query each time (not the same view again)
            warm.append(frame(t0, t1 - k - 1))
        out["warm_ms"] = median(warm) * 1e3
        drawn = panel.groups[SIGNAL_TOPIC].item
        out["points_drawn"] = int(sum(len(p[0]) for p in getattr(drawn, "_polylines", [[[]]])))
        width = (t1 - t0) / 2
        fps = []
        for _ in range(runs):
            frame(t0 - width, t0)
            began = time.perf_counter()
            for k in range(30):
                a = t0 + k * width / 30
                frame(a, a + width)
            fps.append(30 / (time.perf_counter() - began))
        out["pan_fps"] = median(fps)
        out["queries"] = panel.disk_parts.asked
    finally:
        area.close()
        area.deleteLater()
        app.processEvents()
        archive.close()
    return out


def bare_curve_ms(folder: Path, runs: int) -> float:
    """Archive query + a bare pyqtgraph curve: setData and a repaint (the reference draw)."""
    import pyqtgraph as pg
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication([])
    widget = pg.PlotWidget()
    widget.resize(1280, 770)
    widget.show()
    curve = widget.plot()
    app.processEvents()
    column = [signal_column()]
    times = []
    with Archive(folder, CAT) as archive:
        span = archive.span(SIGNAL_TOPIC)
        assert span is not None
        t0, t1 = span
        for k in range(max(runs, 5)):
            began = time.perf_counter()
            env = archive.envelope(SIGNAL_TOPIC, column, t0 + k, t1, 640)
            curve.setData(env.x - t0, env.y[:, 0])
            widget.viewport().repaint()
            times.append(time.perf_counter() - began)
    widget.close()
    widget.deleteLater()
    app.processEvents()
    return median(times) * 1e3


# ----------------------------------------------------------------------------- 6. memory
def child_app(folder: Path | None, settle: float, argv: list[str]) -> None:
    """(child process) Run m2gui; with a night, play it to its end and hold all of it
    in every panel; print VmRSS and its peak."""
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    import m2gui.app
    from m2gui.ui.main_window import MainWindow

    app = QApplication.instance() or QApplication(sys.argv[:1])
    assert isinstance(app, QApplication)
    result: dict[str, Any] = {}
    span: tuple[float, float] | None = None
    if folder is not None:
        with open_recording(folder) as recording:
            assert recording.start is not None and recording.end is not None
            span = (recording.start, recording.end)

    def window() -> MainWindow:
        return next(w for w in app.topLevelWidgets() if isinstance(w, MainWindow))

    def seek() -> None:
        # The plots draw what was played: the replay goes to the end of the night.
        if span is not None:
            window().session.source.seek(span[1])  # type: ignore[attr-defined]

    def hold() -> None:
        if span is not None:
            for panel in window().plot_area.panels:
                panel.model.hold(*span)

    def measure() -> None:
        grab = os.environ.get("M2GUI_BENCH_GRAB")
        if grab and folder is not None:
            window().grab().save(grab)  # to look at what was measured
        panels = window().plot_area.panels
        result["panels"] = len(panels)
        result["loading"] = sum(len(p.disk_parts.loading) for p in panels)
        result["disk_parts"] = sum(p.disk_parts.received for p in panels)
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith(("VmRSS:", "VmHWM:")):
                    key, value = line.split(":")
                    result[key] = int(value.split()[0]) * 1024
        window().close()

    QTimer.singleShot(int(settle * 500), seek)
    QTimer.singleShot(int(settle * 1000), hold)
    QTimer.singleShot(int(settle * 2000), measure)
    code = m2gui.app.main(argv)
    print(json.dumps({"code": code, **result}), flush=True)


def app_rss(folder: Path, settle: float) -> dict[str, Any]:
    from m2gui.model.plot_layout import PanelLayout, PlotLayout

    tmp = Path(tempfile.mkdtemp(prefix="m2gui-bench-"))
    layout = tmp / "layout.json"
    axial = [f"axialForce.measured[{i}]" for i in range(72)]
    tangent = [f"tangentForce.measured[{i}]" for i in range(6)]
    PlotLayout(
        panels=[PanelLayout(signals=axial, window=None), PanelLayout(signals=tangent, window=None)]
    ).save(layout)
    common = ["--settings", str(tmp / "s.ini"), "--log-file", str(tmp / "m2gui.log")]
    common += ["--layout", str(layout)]
    out: dict[str, Any] = {}
    try:
        for name, extra, night in (
            ("replay", ["--replay", str(folder)], folder),
            ("idle", ["--simulate", "--record", str(tmp / "rec")], None),
        ):
            cmd = [sys.executable, __file__, "--child-app", str(night or ""), "--settle"]
            cmd += [str(settle), "--", *common, *extra]
            env = dict(os.environ, QT_QPA_PLATFORM="offscreen", QT_API="pyside6")
            done = subprocess.run(cmd, check=True, capture_output=True, text=True, env=env)
            out[name] = json.loads(done.stdout.strip().splitlines()[-1])
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return out


# ----------------------------------------------------------------------------- 7. replay
async def _replay(folder: Path, seconds: float) -> tuple[float, int]:
    from m2gui.model.session import Session
    from m2gui.record.replay import FASTEST, ReplaySource

    recording = open_recording(folder)
    assert recording.start is not None
    end = recording.start + seconds
    source = ReplaySource(recording, CAT, speed=FASTEST)
    session = Session(catalogue=CAT, source=source)
    stored = 0

    def count(_: str) -> None:
        nonlocal stored
        stored += 1

    session.telemetry.arrived.connect(count)
    began = time.perf_counter()
    session.connect()
    while source.position < end and source.playing:
        await asyncio.sleep(0.002)
    took = time.perf_counter() - began
    source.pause()
    await session.close()
    return took, stored


def replay_figures(folder: Path, seconds: float, runs: int) -> dict[str, Any]:
    walls, stored = [], 0
    for _ in range(runs):
        took, stored = asyncio.run(_replay(folder, seconds))
        walls.append(took)
    bare = []
    with open_recording(folder) as recording:
        assert recording.start is not None
        for _ in range(runs):
            began = time.perf_counter()
            lines = sum(
                1 for _ in recording.iter_messages(recording.start, recording.start + seconds)
            )
            bare.append(time.perf_counter() - began)
    return {"wall": median(walls), "stored": stored, "bare": median(bare), "lines": lines}


# ----------------------------------------------------------------------------- 8. export
def export_figures(folder: Path, root: Path) -> dict[str, Any]:
    import resource

    from m2gui.record.export import export_parquet

    out_dir = root / "export"
    shutil.rmtree(out_dir, ignore_errors=True)
    with open_recording(folder) as recording:
        began = time.perf_counter()
        lines = sum(1 for _ in recording.iter_messages())
        bare = time.perf_counter() - began
        before = (
            resource.getrusage(resource.RUSAGE_SELF),
            resource.getrusage(resource.RUSAGE_CHILDREN),
        )
        began = time.perf_counter()
        files = export_parquet(recording, out_dir)
        took = time.perf_counter() - began
        after = (
            resource.getrusage(resource.RUSAGE_SELF),
            resource.getrusage(resource.RUSAGE_CHILDREN),
        )
    cpu = sum(
        (a.ru_utime + a.ru_stime) - (b.ru_utime + b.ru_stime)
        for a, b in zip(after, before, strict=True)
    )
    size = sum(f.stat().st_size for f in files)
    shutil.rmtree(out_dir, ignore_errors=True)
    return {
        "wall": took,
        "cpu": cpu,
        "bare": bare,
        "lines": lines,
        "files": len(files),
        "bytes": size,
    }


# ----------------------------------------------------------------------------- main
STEPS = ("night", "record_cpu", "disk_ratio", "open", "envelope", "app_rss", "replay", "export")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--night",
        type=Path,
        default=Path(os.environ.get("M2GUI_BENCH_NIGHT", "/tmp/m2gui-bench-12h")),
        help="folder caching the synthesised night",
    )
    parser.add_argument("--hours", type=float, default=12.0)
    parser.add_argument("--capture", type=float, default=32.0, help="simulator seconds recorded")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=10.0, help="CPU measurement window")
    parser.add_argument("--only", default=",".join(STEPS), help="comma-separated steps")
    parser.add_argument("--child-cost", nargs=3, metavar=("MODE", "CPORT", "TPORT"))
    parser.add_argument("--child-app", metavar="NIGHT")
    parser.add_argument("--settle", type=float, default=6.0)
    parser.add_argument("rest", nargs="*")
    args = parser.parse_args()
    if args.child_cost:
        mode, cport, tport = args.child_cost
        child_cost(mode, (int(cport), int(tport)), args.seconds, 3.0)
        return
    if args.child_app is not None:
        child_app(Path(args.child_app) if args.child_app else None, args.settle, args.rest)
        return
    steps = set(args.only.split(","))
    folder, facts = ensure_night(args.night, args.hours, args.capture)
    wire, pyramid = folder_bytes(folder)
    wire_bytes = facts["wire_bytes"]
    if "night" in steps:
        emit(
            {
                "bench": "night",
                **facts,
                "disk_bytes_wire_log": wire,
                "disk_bytes_pyramid": pyramid,
                "fsync_during_synthesis": False,
            }
        )
    if "record_cpu" in steps:
        cost = record_cpu(args.runs, args.seconds)
        extra = cost["record"] - cost["plain"]
        emit(
            {
                "bench": "record_cpu_20hz",
                "recording_pct_of_core": r(100 * extra, 2),
                "pairwise_pct": [r(100 * p, 2) for p in cost["pairs"]],
                "with_recording_pct": r(100 * cost["record"], 2),
                "baseline_connected_pct": r(100 * cost["plain"], 2),
                "target": "< 3 %",
                "meets": extra < 0.03,
                "runs": args.runs,
                "seconds": args.seconds,
            }
        )
        live_wire = cost["live_wire_bytes"]
        emit(
            {
                "bench": "disk_ratio_live",
                "wire_bytes": live_wire,
                "disk_wire_log_ratio": r(cost["live_disk_wire_log"] / live_wire),
                "disk_pyramid_ratio": r(cost["live_disk_pyramid"] / live_wire),
                "disk_total_ratio": r(
                    (cost["live_disk_wire_log"] + cost["live_disk_pyramid"]) / live_wire
                ),
                "target": "< 0.4",
                "meets": (cost["live_disk_wire_log"] + cost["live_disk_pyramid"]) / live_wire < 0.4,
            }
        )
    if "disk_ratio" in steps:
        emit(
            {
                "bench": "disk_ratio_night",
                "baseline_wire_bytes": wire_bytes,
                "disk_wire_log_bytes": wire,
                "disk_pyramid_bytes": pyramid,
                "wire_log_ratio": r(wire / wire_bytes),
                "pyramid_ratio": r(pyramid / wire_bytes),
                "total_ratio": r((wire + pyramid) / wire_bytes),
                "target": "< 0.4",
                "meets": (wire + pyramid) / wire_bytes < 0.4,
            }
        )
    bare_warm = None
    if "open" in steps or "envelope" in steps:
        bare_read(folder)  # warm
        bare_warm = median([bare_read(folder) for _ in range(args.runs)])
    if "open" in steps:
        assert bare_warm is not None
        cold_possible = drop_cache(folder)
        bare_cold = bare_read(folder)
        drop_cache(folder)
        cold = open_archive(folder)
        warm = median([open_archive(folder) for _ in range(args.runs)])
        emit(
            {
                "bench": "open_12h",
                "open_cold_s": r(cold),
                "open_warm_s": r(warm),
                "baseline_bare_read_cold_s": r(bare_cold),
                "baseline_bare_read_warm_s": r(bare_warm),
                "ratio_cold": r(cold / bare_cold),
                "ratio_warm": r(warm / bare_warm),
                "cold_by_fadvise": cold_possible,
                "target": "< 2 s",
                "meets": max(cold, warm) < 2.0,
            }
        )
    if "envelope" in steps:
        assert bare_warm is not None
        env = envelope_figures(folder, args.runs)
        emit(
            {
                "bench": "envelope_12h_one_signal",
                "blocks": 1000,
                "points": env["points"],
                "level": env["level"],
                "query_cold_ms": r(env["cold_ms"], 1),
                "query_warm_ms": r(env["warm_ms"], 2),
                "pan_fps_cold": r(env["pan_fps_cold"], 1),
                "pan_fps_warm": r(env["pan_fps_warm"], 1),
                "baseline_bare_read_warm_ms": r(bare_warm * 1e3, 1),
                "ratio_warm": r(bare_warm * 1e3 / env["warm_ms"], 1),
                "target": "pan >= 30 frames/s",
                "meets": env["pan_fps_cold"] >= 30 and env["pan_fps_warm"] >= 30,
            }
        )
        panel = panel_figures(folder, args.runs)
        bare_ms = bare_curve_ms(folder, args.runs)
        emit(
            {
                "bench": "panel_12h_one_signal",
                "drawn_cold_ms": r(panel["cold_ms"], 1),
                "drawn_warm_ms": r(panel["warm_ms"], 1),
                "pan_fps": r(panel["pan_fps"], 1),
                "disk_queries": panel["queries"],
                "reference_archive_plus_bare_curve_ms": r(bare_ms, 1),
                "baseline_bare_read_warm_ms": r(bare_warm * 1e3, 1),
                "target": "drawn < 200 ms, pan >= 30 frames/s",
                "meets": panel["cold_ms"] < 200
                and panel["warm_ms"] < 200
                and panel["pan_fps"] >= 30,
            }
        )
    if "app_rss" in steps:
        rss = app_rss(folder, args.settle)
        replay, idle = rss["replay"], rss["idle"]
        emit(
            {
                "bench": "app_rss_whole_night",
                "replay_rss_mb": r(replay["VmRSS"] / MiB, 1),
                "replay_peak_mb": r(replay["VmHWM"] / MiB, 1),
                "baseline_idle_sim_rss_mb": r(idle["VmRSS"] / MiB, 1),
                "baseline_idle_sim_peak_mb": r(idle["VmHWM"] / MiB, 1),
                "ratio": r(replay["VmRSS"] / idle["VmRSS"], 2),
                "curves": 78,
                "disk_parts_drawn": replay["disk_parts"],
                "still_loading": replay["loading"],
                "target": "< 1 GB",
                "meets": replay["VmHWM"] < 2**30,
            }
        )
    if "replay" in steps:
        seconds = 600.0
        rep = replay_figures(folder, seconds, args.runs)
        emit(
            {
                "bench": "replay_full_speed",
                "recorded_s": seconds,
                "x_real_time": r(seconds / rep["wall"], 1),
                "wall_s": r(rep["wall"], 2),
                "samples_stored": rep["stored"],
                "baseline_bare_iter_x": r(seconds / rep["bare"], 1),
                "baseline_bare_iter_s": r(rep["bare"], 2),
                "ratio": r(rep["bare"] / rep["wall"], 3),
                "target": ">= 50x",
                "meets": seconds / rep["wall"] >= 50,
            }
        )
    if "export" in steps:
        exp = export_figures(folder, args.night)
        emit(
            {
                "bench": "export_parquet_12h",
                "wall_s": r(exp["wall"], 1),
                "cpu_s": r(exp["cpu"], 1),
                "cores": os.cpu_count(),
                "files": exp["files"],
                "parquet_bytes": exp["bytes"],
                "baseline_bare_iter_s": r(exp["bare"], 1),
                "ratio": r(exp["wall"] / exp["bare"], 2),
                "lines": exp["lines"],
                "target": "< 120 s",
                "meets": exp["wall"] < 120,
            }
        )


if __name__ == "__main__":
    main()
