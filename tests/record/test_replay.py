"""Replay: a recorded simulator run, played back, leaves the stores as live left them."""

from __future__ import annotations

import asyncio
from pathlib import Path

import numpy as np
import pytest

from m2gui.model import load_catalogue
from m2gui.model.session import Session
from m2gui.net import Outcome
from m2gui.record import Recorder
from m2gui.record import open as open_recording
from m2gui.record.replay import FASTEST, PREROLL, ReplaySource
from m2gui.sim import ControllerSimulator

from ..waiting import until

pytestmark = pytest.mark.timeout(60)


async def _record_a_run(folder: Path) -> Session:
    """A live session on the simulator, recorded; returned closed, stores intact."""
    async with ControllerSimulator(command_port=0, telemetry_port=0, seed=3) as sim:
        live = Session("127.0.0.1", sim.command_port, sim.telemetry_port, history=60)
        recorder = Recorder(folder, {"host": "127.0.0.1"}, flush_interval=0.2)
        live.connection.add_wire_listener(recorder.write)
        live.connect()
        await live.connection.wait_connected(5)
        await until(lambda: "commandableByDDS" in live.events.latest, what="welcome")
        await live.send("switchCommandSource", {"isRemote": False})
        await live.send("clearErrors")
        await until(
            lambda: any(b.count >= 30 for b in live.telemetry.buffers.values()),
            what="telemetry",
        )
        await live.disconnect()
        recorder.close()
    return live


async def test_replay_ends_in_the_state_live_ended_in(tmp_path: Path) -> None:
    live = await _record_a_run(tmp_path / "run")
    catalogue = load_catalogue()
    source = ReplaySource(open_recording(tmp_path / "run"), catalogue, speed=FASTEST)
    replay = Session(catalogue=catalogue, source=source, history=60)
    done: list[bool] = []
    source.finished.connect(lambda: done.append(True))
    replay.connect()
    await until(lambda: done, timeout=30, what="the end of the replay")
    # Events: the same latest values.
    assert replay.events.latest.keys() == live.events.latest.keys()
    for key, entry in live.events.latest.items():
        assert replay.events.latest[key].fields == entry.fields, key
        assert replay.events.latest[key].time == entry.time
    # Telemetry: the same samples at the same times, topic by topic.
    assert replay.telemetry.buffers.keys() == live.telemetry.buffers.keys()
    for topic, buffer in live.telemetry.buffers.items():
        mine = replay.telemetry.buffers[topic]
        assert np.array_equal(mine.times(), buffer.times()), topic
        assert np.array_equal(mine.values(), buffer.values(), equal_nan=True), topic
    # Commands: the same, with the same outcomes.
    assert [(r.name, r.sequence_id, r.outcome) for r in replay.history.records] == [
        (r.name, r.sequence_id, r.outcome) for r in live.history.records
    ]
    assert replay.history.records[-1].outcome is Outcome.SUCCESS
    assert replay.blocked_reason("clearErrors") is not None
    await replay.close()


async def test_pause_seek_and_speed(tmp_path: Path) -> None:
    await _record_a_run(tmp_path / "run")
    catalogue = load_catalogue()
    recording = open_recording(tmp_path / "run")
    source = ReplaySource(recording, catalogue, speed=1.0)
    replay = Session(catalogue=catalogue, source=source, history=60)
    resets: list[bool] = []
    source.reset.connect(lambda: resets.append(True))
    replay.connect()
    await until(lambda: replay.telemetry.buffers, what="telemetry at 1x")
    source.pause()
    await asyncio.sleep(0)
    delivered = source.delivered
    position = source.position
    # Paused: nothing more is fed (checked over many loop turns, not a clock).
    for _ in range(50):
        await asyncio.sleep(0)
    assert source.delivered == delivered and source.position == position
    middle = (source.start_time + source.end_time) / 2
    source.seek(middle)
    source.set_speed(FASTEST)
    source.play()
    await until(lambda: source.position >= source.end_time, timeout=20, what="the end")
    assert resets, "a seek resets the stores"
    # The commands sent before the seek point are in the history, with their outcomes.
    assert ("clearErrors", Outcome.SUCCESS) in [(r.name, r.outcome) for r in replay.history.records]
    # Only samples from the seek point (less the preroll) on: none clamped to older times.
    for topic, buffer in replay.telemetry.buffers.items():
        times = buffer.times()
        assert times.size and times[0] >= middle - PREROLL - 1e-6, topic
        assert (times[1:] >= times[:-1]).all(), topic
    await replay.close()
