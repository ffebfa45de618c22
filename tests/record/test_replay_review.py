"""Review of the replay state machine: growth, seeks, loops, the end, closing, restarts."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from m2gui.model import load_catalogue
from m2gui.model.session import Session
from m2gui.model.sources import fed_connection
from m2gui.model.telemetry import TelemetryStore
from m2gui.net import Outcome, WireLine
from m2gui.record import Archive
from m2gui.record import open as open_recording
from m2gui.record import replay as replay_module
from m2gui.record.live import LiveRecording, RecordingOptions
from m2gui.record.replay import FASTEST, PREROLL, ReplaySource

from ..waiting import until
from .conftest import record

T0 = 1_780_000_000.0
TOPIC = "inclinometerAngleTma"
CATALOGUE = load_catalogue()


def tel(t: float, value: float = 1.0) -> WireLine:
    line = f'{{"id":"{TOPIC}","inclinometer":{value}}}'.encode()
    return WireLine(t, "telemetry", "in", line)


def event(t: float) -> WireLine:
    return WireLine(t, "command", "in", b'{"id":"interlock","state":false}')


def command(t: float, seq: int) -> WireLine:
    line = f'{{"id":"cmd_clearErrors","sequence_id":{seq}}}'.encode()
    return WireLine(t, "command", "out", line)


def reply(t: float, kind: str, seq: int) -> WireLine:
    return WireLine(t, "command", "in", f'{{"id":"{kind}","sequence_id":{seq}}}'.encode())


def replay(folder: Path, speed: float = FASTEST) -> tuple[ReplaySource, list[WireLine]]:
    """A replay of ``folder`` and the list of every line it feeds."""
    source = ReplaySource(open_recording(folder), CATALOGUE, speed=speed)
    fed: list[WireLine] = []
    source.connection.add_wire_listener(fed.append)
    return source, fed


def telemetry_of(lines: list[WireLine]) -> list[float]:
    return [line.time for line in lines if line.port == "telemetry"]


async def test_frames_another_reader_indexed_first_are_still_played(tmp_path: Path) -> None:
    """The window's archive refreshes the same Recording in a worker thread."""
    folder = tmp_path / "rec"
    record(folder, [tel(T0 + i * 0.1, i) for i in range(10)])
    source, fed = replay(folder)
    done: list[bool] = []
    source.finished.connect(lambda: done.append(True))

    def grow(line: WireLine) -> None:
        if len(fed) == 5 and line.port == "telemetry":
            record(folder, [tel(T0 + 1 + i * 0.1, i) for i in range(10)])
            source.recording.refresh()  # as Archive.refresh does, off the GUI thread

    source.connection.add_wire_listener(grow)
    source.start()
    await until(lambda: done, what="the end")
    assert len(telemetry_of(fed)) == 20
    await source.close()


async def test_frames_of_one_flush_indexed_apart_lose_nothing(tmp_path: Path) -> None:
    """A refresh may see a flush's command frame before its telemetry frame."""
    folder = tmp_path / "rec"
    record(folder, [tel(T0 + i * 0.1, i) for i in range(10)])
    source, fed = replay(folder)
    batches = [
        [event(T0 + 2 + i * 0.1) for i in range(10)],
        [tel(T0 + 2 + i * 0.1, i) for i in range(10)],
    ]
    refresh = source.recording.refresh

    def refresh_after_a_write() -> Any:
        if batches:
            record(folder, batches.pop(0))
        return refresh()

    source.recording.refresh = refresh_after_a_write  # type: ignore[method-assign]
    done: list[bool] = []
    source.finished.connect(lambda: done.append(True))
    source.start()
    await until(lambda: done, what="the end")
    assert len(telemetry_of(fed)) == 20
    await source.close()


async def test_a_seek_that_lands_as_another_is_caught_up_wins(tmp_path: Path) -> None:
    folder = tmp_path / "rec"
    record(folder, [tel(T0 + i * 0.1, i) for i in range(300)])
    source, fed = replay(folder, speed=1.0)
    a, b = T0 + 10.0, T0 + 20.0
    calls: list[float] = []
    catch_up = source._catch_up

    async def spy(t: float) -> Any:
        calls.append(t)
        if t == a:
            source.seek(b)  # the user's next seek, while the first is being caught up
        return await catch_up(t)

    source._catch_up = spy  # type: ignore[method-assign]
    source.start()
    await until(lambda: fed, what="playing")
    source.pause()
    source.seek(a)
    await until(lambda: b in calls, what="the last seek")
    await until(lambda: fed[-1].time < b <= fed[-1].time + 0.1 + 1e-6, what="caught up")
    assert source.position == b
    await source.close()


async def test_a_command_port_line_at_the_preroll_edge_is_fed_once(tmp_path: Path) -> None:
    folder = tmp_path / "rec"
    record(folder, [event(T0)] + [tel(T0 + i * 0.5) for i in range(1, 60)])
    source, fed = replay(folder)
    done: list[bool] = []
    source.finished.connect(lambda: done.append(True))
    source.start()
    await until(lambda: done, what="the end")
    fed.clear()
    target = T0 + PREROLL
    assert target - PREROLL == T0
    source.seek(target)
    await until(lambda: any(line.time == target - 0.5 for line in fed), what="caught up")
    assert [line.time for line in fed if line.port == "command"] == [T0]
    await source.close()


async def test_a_jump_back_leaves_no_phantom_commands(tmp_path: Path) -> None:
    folder = tmp_path / "rec"
    lines = [tel(T0 + i * 0.5) for i in range(20)]
    lines += [command(T0 + 1.0, 7), reply(T0 + 1.1, "ack", 7)]  # still running at the end
    record(folder, sorted(lines))
    source, _ = replay(folder)
    session = Session(catalogue=CATALOGUE, source=source, history=60)
    done: list[bool] = []
    source.finished.connect(lambda: done.append(True))
    session.connect()
    await until(lambda: done, what="the end")
    assert [(r.sequence_id, r.outcome) for r in session.history.records] == [(7, Outcome.ACK)]
    source.play()  # at the end: from the start again
    await until(lambda: len(done) == 2, what="the end again")
    assert [(r.sequence_id, r.outcome) for r in session.history.records] == [(7, Outcome.ACK)]
    await session.close()


async def test_a_finished_listener_may_play_again(tmp_path: Path) -> None:
    folder = tmp_path / "rec"
    record(folder, [tel(T0 + i * 0.1) for i in range(10)])
    source, _ = replay(folder)
    laps: list[bool] = []

    def again() -> None:
        laps.append(True)
        if len(laps) < 3:
            source.seek(source.start_time)
            source.play()

    source.finished.connect(again)
    source.start()
    await until(lambda: len(laps) == 3, what="three laps")
    await source.close()


async def test_a_loop_over_a_gap_pauses_instead_of_spinning(tmp_path: Path) -> None:
    folder = tmp_path / "rec"
    lines = [tel(T0 + i * 0.1) for i in range(20)] + [tel(T0 + 10 + i * 0.1) for i in range(20)]
    record(folder, lines)
    source, _ = replay(folder)
    resets: list[bool] = []
    source.reset.connect(lambda: resets.append(True))
    source.set_loop(T0 + 4, T0 + 8)  # nothing was recorded then
    source.start()
    await until(lambda: not source.playing, timeout=3, what="a pause")
    assert len(resets) <= 2
    await source.close()


async def test_an_empty_loop_is_refused(tmp_path: Path) -> None:
    folder = tmp_path / "rec"
    record(folder, [tel(T0 + i * 0.1) for i in range(20)])
    source, _ = replay(folder)
    with pytest.raises(ValueError, match="empty"):
        source.set_loop(T0 + 1, T0 + 1)
    with pytest.raises(ValueError, match="empty"):
        source.set_loop(T0 - 20, T0 - 10)  # wholly before the recording
    assert source.loop is None
    await source.close()


async def test_a_recording_with_no_frame_ends_at_once_and_refuses_a_loop(tmp_path: Path) -> None:
    folder = tmp_path / "rec"
    record(folder, [tel(T0)])
    part = next(folder.glob("part-*.m2rec"))
    part.write_bytes(part.read_bytes()[:-3])  # the only frame cut short: no frame left
    source, fed = replay(folder)
    assert source.recording.frames == []
    done: list[bool] = []
    source.finished.connect(lambda: done.append(True))
    source.start()
    await until(lambda: done, what="the end")
    with pytest.raises(ValueError, match="empty"):
        source.set_loop(T0, T0 + 1)
    source.play()
    await until(lambda: len(done) == 2, what="the end again")
    assert not source.playing and fed == []
    await source.close()


class _Clock:
    """A monotonic clock the test moves by hand (for the replay module only)."""

    def __init__(self) -> None:
        self.now = 1000.0

    def monotonic(self) -> float:
        return self.now


async def test_a_loop_at_recorded_speed_waits_for_its_end(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "rec"
    record(folder, [tel(T0), tel(T0 + 1), tel(T0 + 5)])
    clock = _Clock()
    monkeypatch.setattr(replay_module, "time", clock)
    source, fed = replay(folder, speed=1.0)
    resets: list[bool] = []
    source.reset.connect(lambda: resets.append(True))
    source.set_loop(T0 + 0.5, T0 + 1.2)
    source.start()
    await until(lambda: telemetry_of(fed)[-1:] == [T0 + 1], what="the line in the loop")
    laps = len(resets)
    for _ in range(50):  # the clock stands still: the loop's end is not due
        await asyncio.sleep(0)
    assert len(resets) == laps
    clock.now += 0.25  # its end is due
    await until(lambda: len(resets) > laps, what="the next lap")
    await source.close()


async def test_close_does_not_swallow_the_callers_cancellation(tmp_path: Path) -> None:
    folder = tmp_path / "rec"
    record(folder, [tel(T0 + i * 0.1) for i in range(10)])
    source, _ = replay(folder)
    done: list[bool] = []
    source.finished.connect(lambda: done.append(True))
    source.start()
    await until(lambda: done, what="the end")
    closing = asyncio.ensure_future(source.close())
    await asyncio.sleep(0)  # closing now waits for the replay task to end
    closing.cancel()
    with pytest.raises(asyncio.CancelledError):
        await closing
    assert source.recording._closed


class _CountingList(list[Any]):
    """A list that counts the items read by iterating or slicing it."""

    read = 0

    def __iter__(self) -> Any:
        for item in super().__iter__():
            self.read += 1
            yield item

    def __getitem__(self, index: Any) -> Any:
        got = super().__getitem__(index)
        self.read += len(got) if isinstance(index, slice) else 1
        return got


async def test_the_span_is_not_rescanned_on_every_look(tmp_path: Path) -> None:
    folder = tmp_path / "rec"
    times = []
    for part in range(5):
        lines = [tel(T0 + part + i * 0.1) for i in range(5)]
        times += [line.time for line in lines]
        record(folder, lines)
    source, _ = replay(folder)
    recording = source.recording
    frames = recording.frames = _CountingList(recording.frames)
    for _ in range(100):  # what the replay bar asks ten times a second
        assert (source.start_time, source.end_time) == (min(times), max(times))
    assert frames.read <= 2 * len(frames)
    record(folder, [tel(T0 + 9)])
    recording.refresh()
    assert source.end_time == T0 + 9
    await source.close()


def test_recording_again_into_the_same_folder_keeps_its_long_history(tmp_path: Path) -> None:
    """``--record PATH`` after a restart, or Record off and on: the pyramid goes on."""
    connection = fed_connection(CATALOGUE)
    store = TelemetryStore(CATALOGUE, 60.0)
    store.attach(connection)
    folder = tmp_path / "night"
    recording = LiveRecording(connection, store, CATALOGUE, RecordingOptions(tmp_path, folder))
    for start in (T0, T0 + 100):
        recording.start()
        for i in range(50):
            connection.feed(tel(start + i * 0.05, i))
        recording.stop()
    with Archive(folder, CATALOGUE) as archive:
        span = archive.span(TOPIC)
    assert span is not None and span[0] == T0
