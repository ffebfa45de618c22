"""A synthetic night of telemetry recorded on disk (wire log and pyramid), written fast.

Shared by the long-history and navigator tests (no tests here). Run as a
module to draw the README's picture of a night scrolled back::

    QT_QPA_PLATFORM=offscreen .venv/bin/python -m tests.ui.test_long_history_data \\
        docs/images/long-history.png
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from m2gui.model import Catalogue, load_catalogue
from m2gui.model.telemetry import TelemetryStore
from m2gui.net import Received, WireLine
from m2gui.net.codec import encode_line
from m2gui.record import Recorder
from m2gui.record.pyramid import PyramidWriter

PERIOD = 0.05
#: 21:00 local time on a night of 2026: the clock labels read like a night.
EVENING = time.mktime((2026, 5, 27, 21, 0, 0, 0, 0, -1))
TOPICS = ("powerStatus", "temperature")


@dataclass
class Night:
    """A recording folder and the samples in it."""

    folder: Path
    start: float
    end: float
    samples: int
    topics: tuple[str, ...]


def _noise(i: np.ndarray, k: int, scale: float) -> np.ndarray:
    """Noise that depends on the sample number only (the same on disk and in memory)."""
    x = np.sin(i * 12.9898 + k * 78.233) * 43758.5453
    return (x - np.floor(x) - 0.5) * 2 * scale


def _rows(topic: str, i: np.ndarray, t: np.ndarray) -> np.ndarray:
    """Values of ``topic`` for sample numbers ``i`` at times ``t``: a night's slow
    drifts, noise, and a transient around 03:00."""
    n = len(i)
    hours = (t - EVENING) / 3600.0
    blip = np.exp(-(((hours - 6.0) * 60) ** 2) / 2.0)  # a one-minute transient at 03:00
    if topic == "powerStatus":
        voltage = 24.0 + 0.25 * np.sin(hours / 1.3) + _noise(i, 1, 0.03) - 1.5 * blip
        current = 8.0 + 2.0 * np.sin(hours * 2.1) + _noise(i, 2, 0.25) + 9.0 * blip
        comm_v = 23.9 + 0.05 * np.cos(hours) + _noise(i, 3, 0.015)
        comm_i = 1.2 + 0.1 * np.sin(hours * 0.7) + _noise(i, 4, 0.015)
        return np.round(np.stack([voltage, current, comm_v, comm_i], axis=1), 4)
    # temperature: ring[12], intake[2], exhaust[2], cooling through the night
    base = 14.0 - 4.0 * (1 - np.exp(-hours / 3.0))
    ring = base[:, None] + np.linspace(-0.8, 0.8, 12)[None, :]
    ring = ring + 0.3 * np.sin(hours[:, None] * 1.7 + np.arange(12)[None, :] / 2)
    intake = base[:, None] - 1.0 + np.stack([_noise(i, 5, 0.08), _noise(i, 6, 0.08)], 1)
    exhaust = base[:, None] + 2.0 + 3.0 * blip[:, None]
    exhaust = exhaust + np.stack([_noise(i, 7, 0.08), _noise(i, 8, 0.08)], 1)
    assert ring.shape == (n, 12) and exhaust.shape == (n, 2)
    return np.round(np.concatenate([ring, intake, exhaust], axis=1), 3)


def _message(catalogue: Catalogue, topic: str, row: np.ndarray) -> dict[str, Any]:
    message: dict[str, Any] = {"id": topic}
    values = row.tolist()
    a = 0
    for name, spec in catalogue.telemetry[topic].fields.items():
        if spec.is_array:
            message[name] = values[a : a + spec.width]
        else:
            message[name] = values[a]
        a += spec.width
    return message


def samples(
    catalogue: Catalogue,
    start: float,
    first: int,
    count: int,
    topics: tuple[str, ...] = TOPICS,
) -> Iterator[tuple[float, str, dict[str, Any], np.ndarray]]:
    """Cycles ``first`` to ``first + count`` of a night starting at ``start``, one
    every `PERIOD`, of every topic: ``(t, topic, message, row)``."""
    chunk = 20_000
    for c0 in range(first, first + count, chunk):
        i = np.arange(c0, min(first + count, c0 + chunk))
        t = start + i * PERIOD
        rows = {topic: _rows(topic, i, t) for topic in topics}
        for k in range(len(i)):
            for j, topic in enumerate(topics):
                row = rows[topic][k]
                yield float(t[k]) + j * 1e-4, topic, _message(catalogue, topic, row), row


def write_night(
    folder: Path,
    catalogue: Catalogue,
    hours: float,
    topics: tuple[str, ...] = TOPICS,
    start: float = EVENING,
) -> Night:
    """Record ``hours`` of ``topics`` at 20 Hz into ``folder``, with its pyramid, fast."""
    count = int(hours * 3600 / PERIOD)
    recorder = Recorder(folder, {"host": "synthetic night"}, fsync=False, flush_interval=3600)
    pyramid = PyramidWriter(folder, catalogue)
    last = start
    for n, (t, topic, message, row) in enumerate(samples(catalogue, start, 0, count, topics)):
        recorder.write(WireLine(t, "telemetry", "in", encode_line(message, b"\r")))
        pyramid.add_row(topic, t, row)
        last = t
        if n % 8000 == 7999:
            recorder.flush()
            pyramid.flush()
    recorder.close()
    pyramid.cover(last)
    pyramid.close()
    return Night(folder, start, last, count, topics)


def fill_memory(store: TelemetryStore, catalogue: Catalogue, night: Night, seconds: float) -> None:
    """Receive the last ``seconds`` of ``night`` into ``store``, as live telemetry did."""
    count = min(night.samples, int(seconds / PERIOD))
    first = night.samples - count
    for t, topic, message, _ in samples(catalogue, night.start, first, count, night.topics):
        store.on_telemetry(Received(topic, message, t, "telemetry"))


def save_picture(path: Path) -> None:  # pragma: no cover - a script
    """Draw the plot area scrolled back over a 10-hour night and save it to ``path``."""
    import tempfile

    from PySide6.QtWidgets import QApplication

    from m2gui.record.archive import Archive
    from m2gui.ui.plots.area import PlotArea

    app = QApplication.instance() or QApplication([])
    catalogue = load_catalogue()
    folder = Path(tempfile.mkdtemp()) / "night"
    night = write_night(folder, catalogue, hours=10.0)
    store = TelemetryStore(catalogue, history=600)
    fill_memory(store, catalogue, night, 600)
    archive = Archive(folder, catalogue)
    area = PlotArea(store, catalogue, long_history=lambda: archive)
    area.resize(1400, 860)
    area.show()
    first = area.add_panel()
    first.model.set_title("Power")
    first.model.add_signal_names(
        ["powerStatus.motorVoltage", "powerStatus.motorCurrent", "powerStatus.commVoltage"]
    )
    second = area.add_panel()
    second.model.set_title("Mirror temperatures")
    second.model.add_signal_names([f"temperature.ring[{i}]" for i in range(12)])
    for panel in area.panels:
        panel.model.set_time_mode("clock")
        panel.model.set_window(None)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and (not area.disk.spans or area.fetcher.busy):
        app.processEvents()
        area.refresh()
        time.sleep(0.01)
    area.navigator.refresh_overview()
    area.navigator.select((night.start + 4.0 * 3600, night.start + 8.0 * 3600))
    while time.monotonic() < deadline:
        app.processEvents()
        area.refresh()
        area.navigator.refresh_overview()
        if not area.fetcher.busy and not any(p.disk_parts.loading for p in area.panels):
            break
        time.sleep(0.01)
    for _ in range(5):
        app.processEvents()
        area.refresh()
    path.parent.mkdir(parents=True, exist_ok=True)
    area.grab().save(str(path))
    area.shutdown()
    archive.close()
    print(f"saved {path}")


if __name__ == "__main__":  # pragma: no cover
    save_picture(Path(sys.argv[1] if len(sys.argv) > 1 else "/tmp/long-history.png"))
