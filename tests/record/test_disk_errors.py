"""Disk errors stop the recording with a clear message, never raise into the caller."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from m2gui.net import WireLine
from m2gui.record import Recorder, open

LINE = WireLine(1.0, "telemetry", "in", b'{"id":"position","x":1.0}')


class Errors:
    def __init__(self) -> None:
        self.messages: list[str] = []

    def __call__(self, message: str) -> None:
        self.messages.append(message)


def _stopped(recorder: Recorder, errors: Errors, folder: Path, reason: str) -> None:
    """The recorder stopped once, with a message naming the folder and the reason."""
    assert not recorder.flush(5)
    status = recorder.status()
    assert not status.active
    assert status.error is not None
    assert str(folder) in status.error and reason in status.error
    assert errors.messages == [status.error]
    for _ in range(3):
        recorder.write(LINE)  # ignored, never raises
    recorder.close()
    assert errors.messages == [status.error]  # once


def test_folder_removed_while_recording(tmp_path: Path) -> None:
    folder = tmp_path / "rec"
    errors = Errors()
    recorder = Recorder(folder, {}, flush_interval=60, on_error=errors)
    recorder.write(LINE)
    assert recorder.flush(5)
    shutil.rmtree(folder)
    recorder.write(LINE)
    _stopped(recorder, errors, folder, "removed")


def test_folder_replaced_by_a_file_while_recording(tmp_path: Path) -> None:
    folder = tmp_path / "rec"
    errors = Errors()
    recorder = Recorder(folder, {}, flush_interval=60, rotate_bytes=1)
    recorder.on_error = errors
    recorder.write(LINE)
    assert recorder.flush(5)
    shutil.rmtree(folder)
    folder.write_text("not a folder")
    recorder.write(LINE)  # rotation: a new part cannot be made in a file
    _stopped(recorder, errors, folder, "Not a directory")


def test_folder_is_a_file(tmp_path: Path) -> None:
    folder = tmp_path / "rec"
    folder.write_text("not a folder")
    errors = Errors()
    recorder = Recorder(folder, {}, flush_interval=60, on_error=errors)
    recorder.write(LINE)
    _stopped(recorder, errors, folder, "Not a directory")


def test_folder_under_proc_fails_even_for_root(tmp_path: Path) -> None:
    if not Path("/proc/self").exists():
        pytest.skip("needs /proc")
    folder = Path("/proc/m2gui-recording-test/rec")
    errors = Errors()
    recorder = Recorder(folder, {}, flush_interval=60, on_error=errors)
    recorder.write(LINE)
    _stopped(recorder, errors, folder, "No such file or directory")


@pytest.mark.skipif(
    not hasattr(os, "geteuid") or os.geteuid() == 0, reason="root ignores permissions"
)
def test_read_only_folder(tmp_path: Path) -> None:
    folder = tmp_path / "rec"
    folder.mkdir()
    folder.chmod(0o555)
    try:
        errors = Errors()
        recorder = Recorder(folder, {}, flush_interval=60, on_error=errors)
        recorder.write(LINE)
        _stopped(recorder, errors, folder, "Permission denied")
    finally:
        folder.chmod(0o755)


def test_disk_full(tmp_path: Path) -> None:
    """A real ENOSPC: the next part is a link to /dev/full."""
    if not Path("/dev/full").exists():
        pytest.skip("needs /dev/full")
    folder = tmp_path / "rec"
    errors = Errors()
    recorder = Recorder(folder, {}, flush_interval=60, rotate_bytes=1, on_error=errors)
    recorder.write(LINE)
    assert recorder.flush(5)
    (folder / "part-00002.m2rec").symlink_to("/dev/full")
    recorder.write(LINE)  # rotates into part 2, which is full
    _stopped(recorder, errors, folder, "No space left on device")
    with open(folder / "part-00001.m2rec") as recording:  # what was written is intact
        assert list(recording.iter_messages()) == [LINE]


def test_error_before_the_listener_is_set_still_reported(tmp_path: Path) -> None:
    folder = tmp_path / "rec"
    folder.write_text("not a folder")
    recorder = Recorder(folder, {}, flush_interval=60)
    recorder.write(LINE)
    assert not recorder.flush(5)
    errors = Errors()
    recorder.on_error = errors
    assert errors.messages == [recorder.status().error]
    recorder.on_error = errors
    assert len(errors.messages) == 1
    recorder.close()


def test_failing_error_listener_is_contained(tmp_path: Path) -> None:
    folder = tmp_path / "rec"
    folder.write_text("not a folder")

    def broken(message: str) -> None:
        raise RuntimeError("listener bug")

    recorder = Recorder(folder, {}, flush_interval=60, on_error=broken)
    recorder.write(LINE)
    assert not recorder.flush(5)
    assert recorder.status().error is not None
    recorder.close()
