"""Plot queries over a whole recording: the same points as memory, blocks that scale."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest

from m2gui.model import Catalogue
from m2gui.model.telemetry import Envelope, TelemetryStore
from m2gui.net import Received, WireLine
from m2gui.record import FrameRef, Recorder
from m2gui.record import open as open_recording
from m2gui.record.archive import Archive, merge_envelopes
from m2gui.record.pyramid import PyramidWriter
from m2gui.record.pyramid_format import B1, FACTOR, LEVELS, level_path, pyramid_folder

from .pyramid_data import PERIOD, T0, Sample, telemetry, wire_lines, write_recording


def record_live(
    folder: Path, catalogue: Catalogue, samples: list[Sample], history: float
) -> TelemetryStore:
    """Record ``samples`` with a pyramid fed from a store, as the app does; return the store."""
    write_recording(folder, samples)
    store = TelemetryStore(catalogue, history=history)
    writer = PyramidWriter(folder, catalogue)
    writer.attach(store)
    for t, topic, message in samples:
        store.on_telemetry(Received(topic, message, t, "telemetry"))
    writer.cover(samples[-1][0])
    writer.close()
    return store


def assert_same(a: Envelope, b: Envelope) -> None:
    np.testing.assert_array_equal(a.x, b.x)
    np.testing.assert_array_equal(a.y, b.y)
    assert (a.level, a.samples) == (b.level, b.samples)


def test_raw_queries_equal_memory_over_the_overlap(tmp_path: Path, catalogue: Catalogue) -> None:
    samples = telemetry(catalogue, 3000, bad=True)  # 150 s; memory keeps the last 60 s
    # The wall clock steps back 0.5 s at 120 s: both keep the times ascending alike.
    samples = [(t - 0.5 if t > T0 + 120 else t, topic, m) for t, topic, m in samples]
    store = record_live(tmp_path, catalogue, samples, history=60)
    buffer = store.buffers["temperature"]
    assert store.bad_values and buffer.times()[0] > T0 + 80  # memory lost the beginning
    oldest, newest = float(buffer.times()[0]), float(buffer.times()[-1])
    with Archive(tmp_path, catalogue) as archive:
        assert archive.rebuild_needed is None
        windows = [(oldest, oldest + 10), (newest - 30, newest), (oldest + 3.33, oldest + 41)]
        selections: list[slice | list[int]] = [slice(0, 16), [0, 5, 15], slice(12, 14)]
        for t0, t1 in windows:
            for columns in selections:
                memory = buffer.envelope(columns, *buffer.index_range(t0, t1), 1000)
                disk = archive.envelope("temperature", columns, t0, t1, 1000)
                assert disk.level == 0 and 0 < disk.samples <= 1000
                assert_same(disk, memory)
                times, values = archive.raw("temperature", columns, t0, t1)
                np.testing.assert_array_equal(times, memory.x)
                np.testing.assert_array_equal(values, memory.y)
        assert np.isnan(archive.raw("temperature", [0], oldest, newest)[1]).any()


def test_query_across_the_memory_boundary_equals_memory_alone(
    tmp_path: Path, catalogue: Catalogue
) -> None:
    samples = telemetry(catalogue, 2000)
    short = record_live(tmp_path, catalogue, samples, history=30)  # the app's window
    whole = TelemetryStore(catalogue, history=3600)  # what memory alone would hold
    for t, topic, message in samples:
        whole.on_telemetry(Received(topic, message, t, "telemetry"))
    buffer, everything = short.buffers["position"], whole.buffers["position"]
    boundary = float(buffer.times()[0])
    t0, t1 = boundary - 20, boundary + 20
    with Archive(tmp_path, catalogue) as archive:
        disk = archive.envelope("position", [0, 3], t0, boundary, 2000)
        memory = buffer.envelope([0, 3], *buffer.index_range(t0, t1), 2000)
        merged = merge_envelopes(disk, memory, boundary)
    alone = everything.envelope([0, 3], *everything.index_range(t0, t1), 2000)
    np.testing.assert_array_equal(merged.x, alone.x)
    np.testing.assert_array_equal(merged.y, alone.y)
    assert merged.samples >= alone.samples


def test_merge_envelopes_drops_what_memory_has() -> None:
    def env(x: list[float], level: int = 0) -> Envelope:
        return Envelope(np.array(x), np.array(x)[:, None] * 10, level, len(x))

    disk = env([1.0, 1.0, 2.0, 2.0, 3.0, 3.0], level=2)  # blocks; 3.0 is memory's
    memory = env([3.0, 3.5, 4.0])
    merged = merge_envelopes(disk, memory, boundary=3.0)
    np.testing.assert_array_equal(merged.x, [1.0, 1.0, 2.0, 2.0, 3.0, 3.5, 4.0])
    np.testing.assert_array_equal(merged.y[:, 0], merged.x * 10)
    assert merged.level == 2
    only_memory = merge_envelopes(env([]), memory, 3.0)
    np.testing.assert_array_equal(only_memory.x, memory.x)
    assert merge_envelopes(disk, env([]), 9.0).x.size == disk.x.size
    with pytest.raises(ValueError, match="columns"):
        merge_envelopes(disk, Envelope(np.zeros(1), np.zeros((1, 2)), 0, 1), 3.0)


def blocks_archive(
    tmp_path: Path, catalogue: Catalogue, n: int
) -> tuple[Archive, npt.NDArray[np.float64]]:
    """A recording whose pyramid holds ``n`` powerStatus rows of whole numbers."""
    rng = np.random.default_rng(5)
    values = rng.integers(-1000, 1000, (n, 4)).astype(float)
    values[rng.random((n, 4)) < 0.01] = np.nan
    values[1234, 1], values[n - 777, 1] = 5000.0, -5000.0  # spikes a plot must show
    write_recording(tmp_path, [(T0 + n * PERIOD, "powerStatus", {"id": "powerStatus"})])
    writer = PyramidWriter(tmp_path, catalogue)
    for i in range(n):
        writer.add_row("powerStatus", T0 + i * PERIOD, values[i])
    writer.close()
    return Archive(tmp_path, catalogue), values


def test_blocks_keep_every_extreme_within_max_blocks(tmp_path: Path, catalogue: Catalogue) -> None:
    n = 40_003  # level rows: 2500, 312, 39, 4 and a tail of 3 samples
    archive, values = blocks_archive(tmp_path, catalogue, n)
    with archive:
        for max_blocks, level in [(300, 2), (30, 3), (3, 4), (2000, 1)]:
            env = archive.envelope("powerStatus", [1, 2], T0, T0 + n * PERIOD, max_blocks)
            assert env.level == level
            assert env.samples >= n
            edge = (level - 1) * (FACTOR - 1) + B1  # finer blocks and the tail at the right edge
            assert len(env.x) <= 2 * (max_blocks + 1) + 2 * edge
            assert np.all(np.diff(env.x) >= 0)
            np.testing.assert_array_equal(np.nanmax(env.y, axis=0), np.nanmax(values[:, 1:3], 0))
            np.testing.assert_array_equal(np.nanmin(env.y, axis=0), np.nanmin(values[:, 1:3], 0))


def test_query_reads_only_the_rows_it_draws(
    tmp_path: Path, catalogue: Catalogue, monkeypatch: pytest.MonkeyPatch
) -> None:
    from m2gui.record import archive as archive_module

    archive, _ = blocks_archive(tmp_path, catalogue, 200_000)  # rows: 12500, 1562, 195, 24
    reads: list[tuple[str, int, int]] = []
    real_read = archive_module._LevelFile.read

    def read(self: archive_module._LevelFile, lo: int, hi: int) -> npt.NDArray[np.void]:
        reads.append((str(self._file.name), lo, hi))
        return real_read(self, lo, hi)

    monkeypatch.setattr(archive_module._LevelFile, "read", read)
    with archive:
        env = archive.envelope("powerStatus", [0], T0, T0 + 200_000 * PERIOD, 1000)
        assert env.level == 2
        assert sum(hi - lo for _, lo, hi in reads) <= FACTOR * 1000 + LEVELS * FACTOR
        assert {Path(name).name for name, _, _ in reads} <= {"powerStatus.l2", "powerStatus.l1"}
        reads.clear()
        t0 = T0 + 100_000 * PERIOD  # a narrow window: a few level-1 rows
        env = archive.envelope("powerStatus", [0], t0, t0 + 3000 * PERIOD, 100)
        assert env.level == 1 and 0 < len(env.x) <= 2 * 100
        assert sum(hi - lo for _, lo, hi in reads) <= 3000 // B1 + 2


def test_raw_samples_are_decoded_once_and_the_cache_is_bounded(
    tmp_path: Path, catalogue: Catalogue
) -> None:
    samples = telemetry(catalogue, 1000, topics=("axialForce",))
    record_live(tmp_path, catalogue, samples, history=60)
    with open_recording(tmp_path) as recording:
        decoded = 0
        real = recording.read_frame

        def counting(ref: FrameRef) -> list[WireLine]:
            nonlocal decoded
            decoded += 1
            return real(ref)

        recording.read_frame = counting  # type: ignore[method-assign]
        archive = Archive(recording, catalogue, cache_bytes=600_000)
        first = archive.envelope("axialForce", [7], T0 + 10, T0 + 12, 1000)
        assert first.samples == 41 and decoded > 0
        before = decoded
        again = archive.envelope("axialForce", [7], T0 + 10, T0 + 12, 1000)
        assert_same(again, first)
        assert decoded == before  # from the cache
        archive.raw("axialForce", slice(0, 360), T0, T0 + 1000 * PERIOD)  # far more than fits
        assert 0 < archive._cache.nbytes <= 600_000


def test_refresh_picks_up_a_growing_recording(tmp_path: Path, catalogue: Catalogue) -> None:
    samples = telemetry(catalogue, 2000)
    recorder = Recorder(tmp_path, {"host": "test"}, fsync=False, flush_interval=3600)
    writer = PyramidWriter(tmp_path, catalogue)
    lines = wire_lines(samples)

    def feed(lo: int, hi: int) -> None:
        for t, topic, message in samples[lo:hi]:
            writer.add_message(topic, t, message)
        for line in lines:
            if samples[lo][0] <= line.time <= samples[hi - 1][0]:
                recorder.write(line)
        recorder.flush()
        writer.flush()  # the recorder's flush thread, once a second

    feed(0, 2000)
    archive = Archive(tmp_path, catalogue)
    assert archive.rebuild_needed is None  # live: its writer is alive
    assert archive.rebuild() and archive.rebuild_needed is None  # and is left alone
    first = archive.span("position")
    assert first is not None
    feed(2000, 4000)
    assert archive.span("position") == first
    archive.refresh()
    later = archive.span("position")
    assert later is not None and later[1] > first[1] + 40
    env = archive.envelope("position", [0], T0, samples[-1][0], 100)
    assert env.x[-1] > first[1] + 40
    recent = archive.envelope("position", [0], samples[-1][0] - 1, samples[-1][0], 100)
    assert recent.samples == 20  # the last second: decoded from the wire, not yet in blocks
    writer.close()
    recorder.close()
    archive.close()


def test_corrupt_pyramid_is_reported_and_rebuilt(
    tmp_path: Path, catalogue: Catalogue, caplog: pytest.LogCaptureFixture
) -> None:
    samples = telemetry(catalogue, 2000)
    record_live(tmp_path, catalogue, samples, history=60)
    with Archive(tmp_path, catalogue) as archive:
        whole = archive.envelope("position", [0, 1], T0, samples[-1][0], 100)
    damages = [
        (level_path(pyramid_folder(tmp_path), "position", 1), b"short"),
        (pyramid_folder(tmp_path) / "meta.json", b'{"kind": 1'),
    ]
    for path, damage in damages:
        path.write_bytes(damage)
        with caplog.at_level(logging.WARNING):
            archive = Archive(tmp_path, catalogue)
        assert archive.rebuild_needed == "full" and archive.problem
        assert "rebuilt" in caplog.text
        narrow = archive.envelope("position", [0, 1], T0 + 5, T0 + 6, 100)
        assert narrow.samples == 21  # raw samples still come from the wire log
        assert archive.envelope("position", [0, 1], T0, samples[-1][0], 100).x.size == 0
        assert archive.rebuild()
        assert archive.rebuild_needed is None and archive.problem is None
        assert_same(archive.envelope("position", [0, 1], T0, samples[-1][0], 100), whole)
        archive.close()


def test_pyramid_behind_the_wire_log_needs_a_resume(tmp_path: Path, catalogue: Catalogue) -> None:
    samples = telemetry(catalogue, 2000)
    write_recording(tmp_path, samples)
    writer = PyramidWriter(tmp_path, catalogue)
    for t, topic, message in samples[:1500]:  # the app stopped feeding it
        writer.add_message(topic, t, message)
    writer.close()
    archive = Archive(tmp_path, catalogue)
    assert archive.rebuild_needed == "resume"
    assert archive.rebuild()
    assert archive.rebuild_needed is None
    assert archive.span("position") == (samples[0][0], samples[-2][0])
    archive.close()
    # A writer that died without closing: unclosed, and no heartbeat for long.
    writer = PyramidWriter(tmp_path, catalogue)
    for t, topic, message in samples[:1500]:
        writer.add_message(topic, t, message)
    writer.flush()
    writer.abandon()
    meta = pyramid_folder(tmp_path) / "meta.json"
    archive = Archive(tmp_path, catalogue)
    assert archive.rebuild_needed is None  # it might still be writing
    data = json.loads(meta.read_text())
    meta.write_text(json.dumps({**data, "updated": data["updated"] - 3600}))
    archive.refresh()
    assert archive.rebuild_needed == "resume"
    archive.close()


def test_unknown_topic_and_empty_ranges(tmp_path: Path, catalogue: Catalogue) -> None:
    samples = telemetry(catalogue, 100)
    record_live(tmp_path, catalogue, samples, history=60)
    with Archive(tmp_path, catalogue) as archive:
        assert archive.envelope("noSuchTopic", [0, 1], T0, T0 + 10, 100).y.shape == (0, 2)
        assert archive.envelope("position", [0, 1], T0 + 10, T0, 100).y.shape == (0, 2)
        assert archive.envelope("position", slice(0, 6), T0 - 99, T0 - 98, 100).y.shape == (0, 6)
        assert archive.span("powerStatus") is None
        assert archive.raw("noSuchTopic", [0], T0, T0 + 1)[1].shape == (0, 1)
