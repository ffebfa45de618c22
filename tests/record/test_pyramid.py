"""The long-history pyramid: built live, checked on disk, rebuilt from the wire log."""

from __future__ import annotations

import json
import logging
import shutil
import threading
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pytest

from m2gui.model import Catalogue
from m2gui.model.telemetry import TelemetryStore
from m2gui.net import Received, WireLine
from m2gui.record import FrameRef, pyramid
from m2gui.record import open as open_recording
from m2gui.record.pyramid import PyramidWriter, rebuild_pyramid, resume_point
from m2gui.record.pyramid_format import (
    B1,
    FACTOR,
    LEVELS,
    PyramidError,
    check_files,
    level_path,
    pyramid_folder,
    read_meta,
    read_tail,
    row_dtype,
)

from .pyramid_data import T0, telemetry, write_recording

FloatArray = npt.NDArray[np.float64]


def level_rows(folder: Path, topic: str, width: int, level: int) -> npt.NDArray[np.void]:
    path = level_path(pyramid_folder(folder), topic, level)
    if not path.exists():
        return np.empty(0, row_dtype(width))
    return np.fromfile(path, row_dtype(width))


def brute_levels(
    times: npt.NDArray[Any], rows: npt.NDArray[Any], level: int
) -> tuple[npt.NDArray[Any], ...]:
    """Expected rows of ``level`` (complete blocks only), by plain nanmin/nanmax."""
    size = B1 * FACTOR ** (level - 1)
    n = len(times) // size
    t0, t1, lo, hi = [], [], [], []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN blocks give NaN
        for i in range(n):
            block = rows[i * size : (i + 1) * size]
            t0.append(times[i * size])
            t1.append(times[(i + 1) * size - 1])
            lo.append(np.nanmin(block, axis=0))
            hi.append(np.nanmax(block, axis=0))
    width = rows.shape[1]
    return (
        np.array(t0),
        np.array(t1),
        np.array(lo, np.float32).reshape(n, width),
        np.array(hi, np.float32).reshape(n, width),
    )


def pyramid_files(folder: Path) -> dict[str, bytes]:
    directory = pyramid_folder(folder)
    return {p.name: p.read_bytes() for p in sorted(directory.iterdir()) if p.name != "meta.json"}


def test_levels_match_brute_force(tmp_path: Path, catalogue: Catalogue) -> None:
    rng = np.random.default_rng(3)
    n, width = 20_005, 4  # powerStatus: levels 1 to 4 get complete blocks
    times = T0 + np.arange(n) * 0.05
    rows = rng.normal(0, 100, (n, width))
    rows[rng.random((n, width)) < 0.05] = np.nan
    rows[2 * B1 : 3 * B1, 0] = np.nan  # an all-NaN block
    writer = PyramidWriter(tmp_path, catalogue)
    i = 0
    for chunk in [1, 7, 100, 5000, 3, 16, 2000, 12_878]:
        for j in range(i, i + chunk):
            writer.add_row("powerStatus", float(times[j]), rows[j])
        writer.flush()  # a flush at every kind of place inside a block
        i += chunk
    assert i == n
    writer.close()

    for level in range(1, LEVELS + 1):
        got = level_rows(tmp_path, "powerStatus", width, level)
        t0, t1, lo, hi = brute_levels(times, rows, level)
        np.testing.assert_array_equal(got["t0"], t0)
        np.testing.assert_array_equal(got["t1"], t1)
        np.testing.assert_array_equal(got["min"], lo)
        np.testing.assert_array_equal(got["max"], hi)
    assert np.isnan(level_rows(tmp_path, "powerStatus", width, 1)["min"][2, 0])
    assert len(level_rows(tmp_path, "powerStatus", width, 4)) == n // (B1 * FACTOR**3) == 2

    meta = read_meta(pyramid_folder(tmp_path))
    topic = meta.topics["powerStatus"]
    assert meta.closed
    assert topic.samples == n // B1 * B1 and topic.tail == n % B1 != 0
    assert (topic.t_first, topic.t_last) == (times[0], times[-1])
    tail_times, tail_rows = read_tail(pyramid_folder(tmp_path), "powerStatus", topic)
    np.testing.assert_array_equal(tail_times, times[topic.samples :])
    np.testing.assert_array_equal(tail_rows, rows[topic.samples :])


def test_add_message_parses_like_the_topic_buffer(tmp_path: Path, catalogue: Catalogue) -> None:
    samples = telemetry(catalogue, 300, bad=True)
    store = TelemetryStore(catalogue, history=3600)
    live = PyramidWriter(tmp_path / "live", catalogue)
    detach = live.attach(store)
    parsed = PyramidWriter(tmp_path / "parsed", catalogue)
    for t, topic, message in samples:
        store.on_telemetry(Received(topic, message, t, "telemetry"))
        parsed.add_message(topic, t, message)
    detach()
    live.close()
    parsed.close()
    assert store.bad_values > 0  # the bad values were there, and became NaN alike
    assert sum(store.buffers["temperature"].short_arrays.values()) > 0
    assert pyramid_files(tmp_path / "live") == pyramid_files(tmp_path / "parsed")
    buffer = store.buffers["temperature"]
    meta = read_meta(pyramid_folder(tmp_path / "parsed")).topics["temperature"]
    tail_times, tail_rows = read_tail(pyramid_folder(tmp_path / "parsed"), "temperature", meta)
    np.testing.assert_array_equal(tail_times, buffer.times()[-meta.tail :])
    np.testing.assert_array_equal(tail_rows, buffer.values()[-meta.tail :])


def test_flush_in_another_thread_loses_nothing(tmp_path: Path, catalogue: Catalogue) -> None:
    writer = PyramidWriter(tmp_path, catalogue)
    stop = threading.Event()
    flushes = 0

    def flusher() -> None:
        nonlocal flushes
        while not stop.is_set():
            writer.flush()
            flushes += 1

    thread = threading.Thread(target=flusher)
    thread.start()
    n = 30_000
    row = np.empty(4)
    try:
        for i in range(n):
            row[:] = i
            writer.add_row("powerStatus", T0 + i, row)
    finally:
        stop.set()
        thread.join()
    writer.close()
    assert flushes > 1
    got = level_rows(tmp_path, "powerStatus", 4, 1)
    assert len(got) == n // B1
    np.testing.assert_array_equal(got["min"][:, 0], np.arange(0, n - B1 + 1, B1))
    np.testing.assert_array_equal(got["max"][:, 0], np.arange(B1 - 1, n, B1))
    np.testing.assert_array_equal(got["t0"], T0 + np.arange(0, n - B1 + 1, B1))
    assert writer.dropped == 0


def test_clock_stepping_back_keeps_time_order(tmp_path: Path, catalogue: Catalogue) -> None:
    writer = PyramidWriter(tmp_path, catalogue)
    times = T0 + np.arange(4 * B1) * 0.05
    times[B1 + 3 :] -= 10.0  # the wall clock stepped back 10 s
    for t in times:
        writer.add_row("powerStatus", float(t), np.zeros(4))
    writer.close()
    got = level_rows(tmp_path, "powerStatus", 4, 1)
    flat = np.column_stack([got["t0"], got["t1"]]).ravel()
    assert np.all(np.diff(flat) >= 0)


def test_unknown_topics_and_widths_are_counted(
    tmp_path: Path, catalogue: Catalogue, caplog: pytest.LogCaptureFixture
) -> None:
    writer = PyramidWriter(tmp_path, catalogue)
    with caplog.at_level(logging.WARNING):
        writer.add_row("noSuchTopic", T0, np.zeros(3))
        writer.add_row("powerStatus", T0, np.zeros(5))
        writer.add_message("noSuchTopic", T0, {"id": "noSuchTopic"})
    writer.close()
    assert writer.unknown == {"noSuchTopic": 2, "powerStatus": 1}
    assert "noSuchTopic" in caplog.text
    assert read_meta(pyramid_folder(tmp_path)).topics == {}


def test_rows_held_between_flushes_are_bounded(
    tmp_path: Path, catalogue: Catalogue, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(pyramid, "MAX_PENDING_BYTES", 64 * 1024)
    writer = PyramidWriter(tmp_path, catalogue)
    for i in range(10_000):  # never flushed: the flush thread is stuck
        writer.add_row("powerStatus", T0 + i, np.full(4, float(i)))
    kept = 10_000 - writer.dropped
    assert writer.dropped > 0 and kept * 5 * 8 <= 64 * 1024
    writer.close()
    meta = read_meta(pyramid_folder(tmp_path)).topics["powerStatus"]
    assert meta.samples + meta.tail == kept
    assert meta.t_last == T0 + kept - 1  # the first rows are kept, in order


def test_disk_error_stops_the_writer_without_raising(
    tmp_path: Path, catalogue: Catalogue, caplog: pytest.LogCaptureFixture
) -> None:
    writer = PyramidWriter(tmp_path, catalogue)
    for i in range(B1):
        writer.add_row("powerStatus", T0 + i, np.zeros(4))
    shutil.rmtree(pyramid_folder(tmp_path))  # the folder vanished
    with caplog.at_level(logging.ERROR):
        writer.flush()
    assert writer.error is not None and str(pyramid_folder(tmp_path)) in writer.error
    assert "rebuildable" in caplog.text
    writer.add_row("powerStatus", T0 + 99, np.zeros(4))
    assert writer.dropped == 1
    writer.close()  # no raise either


def test_meta_and_files_are_checked(tmp_path: Path, catalogue: Catalogue) -> None:
    directory = pyramid_folder(tmp_path)
    with pytest.raises(PyramidError, match="missing"):
        read_meta(directory)
    writer = PyramidWriter(tmp_path, catalogue)
    for i in range(5 * B1):
        writer.add_row("powerStatus", T0 + i, np.zeros(4))
    writer.flush()
    good = json.loads((directory / "meta.json").read_text())
    check_files(directory, read_meta(directory))
    bad_metas = [
        b"not json {",
        b"[1, 2]",
        json.dumps({**good, "format": 99}).encode(),
        json.dumps({**good, "b1": -1}).encode(),
        json.dumps({**good, "topics": {"../etc": good["topics"]["powerStatus"]}}).encode(),
        json.dumps(
            {**good, "topics": {"powerStatus": {**good["topics"]["powerStatus"], "samples": 5}}}
        ).encode(),
        json.dumps({**good, "covered": "soon"}).encode(),
        b"[" * 100_000,
    ]
    for bad in bad_metas:
        (directory / "meta.json").write_bytes(bad)
        with pytest.raises(PyramidError):
            read_meta(directory)
    (directory / "meta.json").write_text(json.dumps(good))
    path = level_path(directory, "powerStatus", 1)
    path.write_bytes(path.read_bytes()[:-1])  # one byte short
    with pytest.raises(PyramidError, match=r"powerStatus\.l1"):
        check_files(directory, read_meta(directory))


def test_resume_continues_a_closed_pyramid(tmp_path: Path, catalogue: Catalogue) -> None:
    samples = telemetry(catalogue, 1500)
    whole = PyramidWriter(tmp_path / "whole", catalogue)
    for t, topic, message in samples:
        whole.add_message(topic, t, message)
    whole.close()
    first = PyramidWriter(tmp_path / "parts", catalogue)
    for t, topic, message in samples[:1001]:
        first.add_message(topic, t, message)
    first.close()
    assert read_meta(pyramid_folder(tmp_path / "parts")).topics["position"].tail > 0
    second = PyramidWriter(tmp_path / "parts", catalogue, resume=True)
    for t, topic, message in samples[1001:]:
        second.add_message(topic, t, message)
    second.close()
    assert pyramid_files(tmp_path / "parts") == pyramid_files(tmp_path / "whole")


# ----------------------------------------------------------------------------- rebuild
def live_pyramid(folder: Path, catalogue: Catalogue, n: int, close: bool = True) -> PyramidWriter:
    """A recording of ``n`` cycles and its pyramid, built live as the app would."""
    samples = telemetry(catalogue, n, bad=True)
    write_recording(folder, samples)
    writer = PyramidWriter(folder, catalogue)
    for t, topic, message in samples:
        writer.add_message(topic, t, message)
    writer.cover(samples[-1][0])
    if close:
        writer.close()
    return writer


def meta_without_clock(folder: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((pyramid_folder(folder) / "meta.json").read_text())
    del data["updated"]
    return data


def test_rebuild_equals_the_live_pyramid(tmp_path: Path, catalogue: Catalogue) -> None:
    live_pyramid(tmp_path, catalogue, 2000)
    files, meta = pyramid_files(tmp_path), meta_without_clock(tmp_path)
    (pyramid_folder(tmp_path) / "position.l1").write_bytes(b"stale")
    reports: list[float] = []
    assert rebuild_pyramid(tmp_path, reports.append, catalogue=catalogue, full=True)
    assert pyramid_files(tmp_path) == files
    assert meta_without_clock(tmp_path) == meta
    assert reports[-1] == 1.0 and reports == sorted(reports)
    assert not pyramid_folder(tmp_path).with_name("pyramid.new").exists()


def test_rebuild_catches_up_after_a_crash(tmp_path: Path, catalogue: Catalogue) -> None:
    live_pyramid(tmp_path / "whole", catalogue, 2000)
    samples = telemetry(catalogue, 2000, bad=True)
    folder = tmp_path / "crashed"
    write_recording(folder, samples)
    writer = PyramidWriter(folder, catalogue)
    for t, topic, message in samples[:3001]:
        writer.add_message(topic, t, message)
        if t > samples[2000][0] and writer.meta.covered is None:
            writer.flush()  # the last flush before the crash
    writer.flush()
    writer.abandon()  # killed: the incomplete blocks and later samples are lost
    start = resume_point(pyramid_folder(folder), catalogue)
    assert start is not None and T0 < start < samples[-1][0]
    with open_recording(folder) as recording:
        read = 0
        read_frame = recording.read_frame

        def counting(ref: FrameRef) -> list[WireLine]:
            nonlocal read
            read += 1
            return read_frame(ref)

        recording.read_frame = counting  # type: ignore[method-assign]
        assert rebuild_pyramid(recording, catalogue=catalogue)
        assert 0 < read < len(recording.frames)  # only the end was read again
    assert pyramid_files(folder) == pyramid_files(tmp_path / "whole")


def test_cancelled_rebuild_keeps_the_old_pyramid(tmp_path: Path, catalogue: Catalogue) -> None:
    live_pyramid(tmp_path, catalogue, 2000)
    files, meta = pyramid_files(tmp_path), meta_without_clock(tmp_path)
    cancel = threading.Event()
    cancel.set()
    assert not rebuild_pyramid(tmp_path, None, cancel, catalogue=catalogue, full=True)
    assert pyramid_files(tmp_path) == files and meta_without_clock(tmp_path) == meta
    assert not pyramid_folder(tmp_path).with_name("pyramid.new").exists()


def test_corrupt_pyramid_is_rebuilt_whole(tmp_path: Path, catalogue: Catalogue) -> None:
    live_pyramid(tmp_path, catalogue, 1000)
    files = pyramid_files(tmp_path)
    (pyramid_folder(tmp_path) / "meta.json").write_bytes(b"\x00garbage")
    assert resume_point(pyramid_folder(tmp_path), catalogue) is None
    assert rebuild_pyramid(tmp_path, catalogue=catalogue)
    assert pyramid_files(tmp_path) == files


def test_a_new_topic_never_reads_rows_left_behind(tmp_path: Path, catalogue: Catalogue) -> None:
    writer = PyramidWriter(tmp_path, catalogue)
    for i in range(2 * B1):
        writer.add_row("powerStatus", T0 + i, np.zeros(4))
    writer.close()
    junk = level_path(pyramid_folder(tmp_path), "position", 1)
    junk.write_bytes(b"\xff" * row_dtype(6).itemsize * 3)  # not in the meta
    writer = PyramidWriter(tmp_path, catalogue, resume=True)
    for i in range(2 * B1):
        writer.add_row("position", T0 + i, np.full(6, float(i)))
    writer.close()
    got = level_rows(tmp_path, "position", 6, 1)
    np.testing.assert_array_equal(got["min"][:, 0], [0, B1])
    assert len(level_rows(tmp_path, "powerStatus", 4, 1)) == 2


def test_unwritable_folder_never_raises(tmp_path: Path, catalogue: Catalogue) -> None:
    (tmp_path / "pyramid").write_bytes(b"a file where the folder should be")
    writer = PyramidWriter(tmp_path, catalogue)
    assert writer.error is not None
    writer.add_row("powerStatus", T0, np.zeros(4))
    writer.flush()
    writer.close()
    assert writer.dropped == 1


def test_rows_after_close_are_dropped(tmp_path: Path, catalogue: Catalogue) -> None:
    writer = PyramidWriter(tmp_path, catalogue)
    writer.add_row("powerStatus", T0, np.zeros(4))
    writer.close()
    writer.add_row("powerStatus", T0 + 1, np.zeros(4))
    writer.close()
    assert writer.dropped == 1
    assert read_meta(pyramid_folder(tmp_path)).topics["powerStatus"].tail == 1
