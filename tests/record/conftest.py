"""Shared helpers for the recording tests: sample lines, writing a recording."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import pytest

from m2gui.net import WireLine
from m2gui.record import Recorder

FIXTURE = Path(__file__).parent.parent / "fixtures" / "traffic-reference-simulator.jsonl"
T0 = 1_780_000_000.0

#: Lines a recording must keep byte for byte although they are odd.
ODD_LINES = [
    b'{"id":"digitalInput","value":18446744073709551615}',
    b'{"id":"enabledFaultsMask","mask":18410715311050326015}\r',
    b"\xff\xfe not utf-8 \x80",
    b"",
    b"\r",
    b"heartbeat",
    b'{"id":"config","configuration":"\xc3\xa9t\xc3\xa9 \\" M2FR M2REC"}',
    b"M2FR" * 20,
]


def wait_for(condition: Callable[[], object], timeout: float = 5.0, what: str = "") -> None:
    """Poll ``condition`` until true; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what or condition}")
        time.sleep(0.005)


def simulator_lines(t0: float = T0) -> list[WireLine]:
    """The recorded simulator traffic of the fixture, as wire lines from ``t0``."""
    lines = []
    with FIXTURE.open() as file:
        for text in file:
            item = json.loads(text)
            lines.append(
                WireLine(t0 + item["t"], item["port"], item["dir"], item["line"].encode("utf-8"))
            )
    return lines


def odd_lines(t0: float) -> list[WireLine]:
    """`ODD_LINES` on both ports and directions from ``t0``."""
    ports = [("command", "in"), ("telemetry", "in"), ("command", "out"), ("telemetry", "out")]
    return [WireLine(t0 + i * 0.001, *ports[i % 4], line) for i, line in enumerate(ODD_LINES)]


def record(folder: Path, lines: Iterable[WireLine], **options: Any) -> Recorder:
    """Record ``lines`` into ``folder`` and close; returns the closed recorder."""
    metadata = {"host": "127.0.0.1", "command_port": 1, "telemetry_port": 2}
    recorder = Recorder(folder, metadata, **options)
    for line in lines:
        recorder.write(line)
    recorder.close()
    return recorder


@pytest.fixture
def sample() -> list[WireLine]:
    """Simulator traffic followed by the odd lines."""
    lines = simulator_lines()
    return lines + odd_lines(lines[-1].time + 0.01)
