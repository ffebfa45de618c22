"""Crash safety: a recording process killed with SIGKILL loses at most ~the last second."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from m2gui.record import RecordingError, open

from .conftest import wait_for

pytestmark = pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")

FLUSH_INTERVAL = 0.5

WRITER = """
import sys, time
from pathlib import Path
from m2gui.net import WireLine
from m2gui.record import Recorder

recorder = Recorder(Path(sys.argv[1]), {"host": "crash-test"}, flush_interval=float(sys.argv[2]))
n = 0
while True:
    t = time.time()
    port = "telemetry" if n % 3 else "command"
    line = b'{"id":"t%d","n":%d,"t":%r,"x":%d}' % (n // 100, n, t, n * 7919 % 1000)
    recorder.write(WireLine(t, port, "in", line))
    n += 1
    time.sleep(0.002)
"""


def _frames(folder: Path) -> int:
    try:
        with open(folder) as recording:
            return len(recording.frames)
    except RecordingError:
        return 0


def test_kill_9_loses_at_most_the_last_second(tmp_path: Path) -> None:
    folder = tmp_path / "rec"
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).parents[2]))
    process = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(folder), str(FLUSH_INTERVAL)], env=env
    )
    try:
        wait_for(lambda: _frames(folder) >= 2, timeout=15, what="two frames on disk")
    finally:
        process.send_signal(signal.SIGKILL)
        killed = time.time()
        process.wait(5)
    assert process.returncode == -signal.SIGKILL

    with open(folder) as recording:  # no exception, whatever the kill cut
        lines = list(recording.iter_messages())
        problems = recording.problems
        topics = recording.topics  # from topics.json, written ahead of each frame
    assert (folder / "topics.json").exists()
    assert {json.loads(line.line)["id"] for line in lines} <= set(topics)
    numbers = [json.loads(line.line)["n"] for line in lines]
    assert numbers == list(range(len(numbers)))  # nothing missing before the cut
    assert all(line.port == ("telemetry" if i % 3 else "command") for i, line in enumerate(lines))
    assert problems.corrupt_frames == 0
    # everything up to about one second before the kill is there
    assert lines[-1].time >= killed - 1.0
    if problems.truncated_bytes:
        assert "incomplete frame" in problems.messages[0]


def test_truncated_tail_after_kill_reported(tmp_path: Path) -> None:
    """The tail a kill cuts mid-frame: simulated by appending half a frame after a kill."""
    folder = tmp_path / "rec"
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).parents[2]))
    process = subprocess.Popen([sys.executable, "-c", WRITER, str(folder), "0.05"], env=env)
    try:
        wait_for(lambda: _frames(folder) >= 3, timeout=15, what="three frames on disk")
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait(5)
    with open(folder) as recording:
        count = recording.message_count
        last = recording.frames[-1]
        first = recording.frames[0]
        part = recording.parts[-1]
    size = part.stat().st_size
    data = part.read_bytes()
    cut = data[first.offset : first.end][: (first.end - first.offset) // 2]
    with part.open("ab") as file:
        file.write(cut)
    with open(folder) as recording:
        assert recording.message_count == count
        assert recording.frames[-1] == last
        assert recording.problems.truncated_bytes == len(cut) + (size - last.end)
        assert f"byte {last.end}" in recording.problems.messages[-1]
        assert len(list(recording.iter_messages())) == count
