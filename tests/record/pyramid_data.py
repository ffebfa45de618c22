"""Synthetic telemetry for the long-history tests: messages, wire lines, recordings."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from m2gui.model import Catalogue
from m2gui.net import WireLine
from m2gui.net.codec import encode_line
from m2gui.record import Recorder

T0 = 1_780_000_000.0
PERIOD = 0.05

#: (time, topic, message) as received.
Sample = tuple[float, str, dict[str, Any]]


def telemetry(
    catalogue: Catalogue,
    n: int,
    topics: tuple[str, ...] = ("position", "temperature"),
    *,
    t0: float = T0,
    seed: int = 1,
    bad: bool = False,
) -> list[Sample]:
    """``n`` cycles of messages of ``topics`` every `PERIOD` seconds, random values.

    With ``bad``, some values are of the wrong type and some arrays too short
    (stored as NaN), as a misbehaving controller would send them.
    """
    rng = np.random.default_rng(seed)
    out: list[Sample] = []
    for i in range(n):
        t = t0 + i * PERIOD
        for k, topic in enumerate(topics):
            message: dict[str, Any] = {"id": topic}
            for name, spec in catalogue.telemetry[topic].fields.items():
                if spec.is_array:
                    message[name] = [round(float(v), 4) for v in rng.normal(i, 10, spec.width)]
                else:
                    message[name] = round(float(rng.normal(-i, 5)), 4)
            if bad and i % 7 == 3:
                message[list(message)[1]] = "high"
            if bad and i % 11 == 5 and isinstance(message[list(message)[-1]], list):
                message[list(message)[-1]] = message[list(message)[-1]][:1]
            out.append((t + k * 1e-4, topic, message))
    return out


def wire_lines(samples: list[Sample]) -> list[WireLine]:
    """The samples as received on the telemetry port, with other traffic between."""
    lines = []
    for i, (t, _, message) in enumerate(samples):
        lines.append(WireLine(t, "telemetry", "in", encode_line(message, b"\r")))
        if i % 50 == 0:  # an event, a command sent, and a reply: never samples
            lines.append(WireLine(t, "command", "in", b'{"id":"interlock","x":1e9}'))
            lines.append(
                WireLine(t, "command", "out", b'{"id":"cmd_position","x":1e9,"sequence_id":1}')
            )
            lines.append(WireLine(t, "telemetry", "out", b'{"id":"position","x":1e9}'))
    return lines


def write_recording(folder: Path, samples: list[Sample], frame_every: int = 40) -> None:
    """Record the samples' wire lines into ``folder``, one frame per ``frame_every`` lines."""
    recorder = Recorder(folder, {"host": "test"}, fsync=False, flush_interval=3600)
    for i, line in enumerate(wire_lines(samples)):
        recorder.write(line)
        if i % frame_every == frame_every - 1:
            recorder.flush()
    recorder.close()
