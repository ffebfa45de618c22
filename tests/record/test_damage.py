"""Damaged recordings: corrupt frames skipped and counted, truncated tails, refusals."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from m2gui.net import WireLine
from m2gui.record import Recorder, RecordingError, open
from m2gui.record.format import FRAME_HEADER, MAGIC, encode_file_header, encode_frame

from .conftest import simulator_lines

PART = "part-00001.m2rec"


def _frames_recording(folder: Path, n: int = 5) -> list[list[WireLine]]:
    """A one-part recording of ``n`` frames; returns each frame's lines.

    Telemetry lines only: the writer gives each port frames of their own.
    """
    lines = [line for line in simulator_lines() if line.port == "telemetry"]
    size = len(lines) // n
    chunks = [lines[i * size : (i + 1) * size] for i in range(n)]
    recorder = Recorder(folder, {}, flush_interval=60)
    for chunk in chunks:
        for line in chunk:
            recorder.write(line)
        assert recorder.flush(5)
    recorder.close()
    return chunks


def _offsets(folder: Path) -> list[int]:
    with open(folder) as recording:
        return [ref.offset for ref in recording.frames]


def _flip(path: Path, offset: int, n: int = 1) -> None:
    data = bytearray(path.read_bytes())
    for i in range(offset, offset + n):
        data[i] ^= 0xFF
    path.write_bytes(bytes(data))


def test_corrupt_frame_header_skipped_counted_named(tmp_path: Path) -> None:
    folder = tmp_path / "rec"
    chunks = _frames_recording(folder)
    offset = _offsets(folder)[2]
    _flip(folder / PART, offset + 6, 3)  # inside the compressed length
    with open(folder) as recording:
        assert recording.problems.corrupt_frames == 1
        (message,) = recording.problems.messages
        assert PART in message and f"byte {offset}" in message
        assert list(recording.iter_messages()) == chunks[0] + chunks[1] + chunks[3] + chunks[4]
        assert recording.problems.truncated_bytes == 0


def test_corrupt_payload_skipped_counted_once(tmp_path: Path) -> None:
    folder = tmp_path / "rec"
    chunks = _frames_recording(folder)
    offset = _offsets(folder)[1]
    _flip(folder / PART, offset + FRAME_HEADER.size + 100)
    with open(folder) as recording:
        assert recording.problems.corrupt_frames == 0  # only headers are read at open
        expected = chunks[0] + chunks[2] + chunks[3] + chunks[4]
        assert list(recording.iter_messages()) == expected
        assert list(recording.iter_messages()) == expected
        assert recording.problems.corrupt_frames == 1
        (message,) = recording.problems.messages
        assert f"{PART}: corrupt frame at byte {offset}" in message
        assert "CRC" in message


def test_garbage_between_frames_resyncs(tmp_path: Path) -> None:
    folder = tmp_path / "rec"
    chunks = _frames_recording(folder, 3)
    offset = _offsets(folder)[1]
    data = (folder / PART).read_bytes()
    junk = b"M2FR" + bytes(range(256)) * 4 + b"M2FRM2FR"
    (folder / PART).write_bytes(data[:offset] + junk + data[offset:])
    with open(folder) as recording:
        assert list(recording.iter_messages()) == chunks[0] + chunks[1] + chunks[2]
        assert recording.problems.corrupt_frames == 1
        assert f"byte {offset}" in recording.problems.messages[0]


def test_frame_out_of_bounds_is_corrupt(tmp_path: Path) -> None:
    folder = tmp_path / "rec"
    folder.mkdir()
    head = struct.pack("<4sIIIddIB3x", b"M2FR", 65 * 1024 * 1024, 10, 0, 1.0, 1.0, 1, 1)
    bad = head + struct.pack("<I", zlib.crc32(head))  # header CRC checks, lengths do not
    good = [WireLine(2.0, "command", "in", b"{}")]
    (folder / PART).write_bytes(encode_file_header({}) + bad + encode_frame(good))
    with open(folder) as recording:
        assert list(recording.iter_messages()) == good
        assert recording.problems.corrupt_frames == 1
        assert "out of bounds" in recording.problems.messages[0]


@pytest.mark.parametrize("cut", [1, FRAME_HEADER.size - 1, FRAME_HEADER.size + 10, -1])
def test_truncated_tail_opens_with_the_rest(tmp_path: Path, cut: int) -> None:
    folder = tmp_path / "rec"
    chunks = _frames_recording(folder, 4)
    last = _offsets(folder)[-1]
    path = folder / PART
    size = path.stat().st_size
    keep = last + cut if cut > 0 else size + cut
    with path.open("r+b") as file:
        file.truncate(keep)
    with open(folder) as recording:
        assert list(recording.iter_messages()) == chunks[0] + chunks[1] + chunks[2]
        assert recording.problems.truncated_bytes == keep - last
        assert recording.problems.corrupt_frames == 0
        (message,) = recording.problems.messages
        assert f"byte {last}" in message and "incomplete" in message


def test_part_cut_inside_its_header(tmp_path: Path) -> None:
    folder = tmp_path / "rec"
    chunks = _frames_recording(folder, 2)
    (folder / "part-00002.m2rec").write_bytes(MAGIC[:5])  # crash right after rotating
    with open(folder) as recording:
        assert list(recording.iter_messages()) == chunks[0] + chunks[1]
        assert recording.problems.truncated_bytes == 5
        assert recording.problems.corrupt_frames == 0


def test_bad_metadata_reported_frames_still_read(tmp_path: Path) -> None:
    folder = tmp_path / "rec"
    chunks = _frames_recording(folder, 2)
    _flip(folder / PART, 20)  # inside the metadata JSON
    with open(folder) as recording:
        assert list(recording.iter_messages()) == chunks[0] + chunks[1]
        assert recording.metadata == {}
        assert "metadata fails its CRC" in recording.problems.messages[0]


def test_wrong_magic_refused(tmp_path: Path) -> None:
    path = tmp_path / "notes.m2rec"
    path.write_bytes(b"PK\x03\x04 this is a zip file, honestly" * 4)
    with pytest.raises(RecordingError, match=f"^{path}: not an m2gui recording$"):
        open(path)
    folder = tmp_path / "rec"
    folder.mkdir()
    (folder / PART).write_bytes(b"{}")
    with pytest.raises(RecordingError, match="not an m2gui recording"):
        open(folder)


def test_future_version_refused_with_clear_message(tmp_path: Path) -> None:
    folder = tmp_path / "rec"
    _frames_recording(folder, 1)
    path = folder / PART
    data = bytearray(path.read_bytes())
    struct.pack_into("<H", data, len(MAGIC), 2)
    path.write_bytes(bytes(data))
    expected = (
        f"{path}: recording format version 2 is newer than this m2gui reads (1); update m2gui"
    )
    with pytest.raises(RecordingError) as caught:
        open(folder)
    assert str(caught.value) == expected


def test_missing_and_empty_folders_refused(tmp_path: Path) -> None:
    with pytest.raises(RecordingError, match="no such recording"):
        open(tmp_path / "nothing")
    (tmp_path / "empty").mkdir()
    with pytest.raises(RecordingError, match="no recording parts"):
        open(tmp_path / "empty")


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(flips=st.lists(st.tuples(st.floats(0, 1), st.integers(1, 255)), min_size=1, max_size=6))
def test_random_damage_never_raises(tmp_path: Path, flips: list[tuple[float, int]]) -> None:
    folder = tmp_path / "fuzz"
    if not folder.exists():
        _frames_recording(folder, 6)
        (tmp_path / "pristine").write_bytes((folder / PART).read_bytes())
    original = (tmp_path / "pristine").read_bytes()
    with open(folder) as recording:
        start = recording.frames[0].offset
        every = set(recording.iter_messages())
    data = bytearray(original)
    for where, mask in flips:
        data[start + int(where * (len(data) - start - 1))] ^= mask
    (folder / PART).write_bytes(bytes(data))
    try:
        with open(folder) as recording:
            got = list(recording.iter_messages())
            assert set(got) <= every
            if data != original:
                problems = recording.problems
                assert problems.corrupt_frames >= 1 or problems.truncated_bytes
                assert problems.messages
    finally:
        (folder / PART).write_bytes(original)
