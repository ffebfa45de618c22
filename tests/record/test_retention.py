"""Retention: the oldest recordings go first, the live one and other folders never."""

from __future__ import annotations

import os
from pathlib import Path

from m2gui.record import apply_retention, default_root

DAY = 86400.0
NOW = 1_780_000_000.0


def _recording(root: Path, name: str, age_days: float, size: int) -> Path:
    folder = root / name
    folder.mkdir(parents=True)
    part = folder / "part-00001.m2rec"
    part.write_bytes(b"x" * size)
    stamp = NOW - age_days * DAY
    os.utime(part, (stamp, stamp))
    return folder


def test_by_age(tmp_path: Path) -> None:
    old = _recording(tmp_path, "a-old", 10, 100)
    recent = _recording(tmp_path, "b-recent", 1, 100)
    removed = apply_retention(tmp_path, max_days=7, max_bytes=None, now=NOW)
    assert removed == [old]
    assert not old.exists() and recent.exists()


def test_by_size_oldest_first_keeping_the_live_one(tmp_path: Path) -> None:
    live = _recording(tmp_path, "live", 30, 1000)  # the oldest, but being written
    older = _recording(tmp_path, "older", 20, 1000)
    newer = _recording(tmp_path, "newer", 10, 1000)
    newest = _recording(tmp_path, "newest", 0, 1000)
    removed = apply_retention(tmp_path, None, 2500, keep=live, now=NOW)
    assert removed == [older, newer]
    assert live.exists() and newest.exists()
    assert apply_retention(tmp_path, 0.5, None, keep=live, now=NOW) == []


def test_other_folders_and_files_untouched(tmp_path: Path) -> None:
    notes = tmp_path / "notes"
    notes.mkdir()
    (notes / "readme.txt").write_text("keep me" * 1000)
    (tmp_path / "stray.m2rec").write_bytes(b"x" * 1000)
    old = _recording(tmp_path, "old", 100, 10)
    assert apply_retention(tmp_path, 1, 0, now=NOW) == [old]
    assert (notes / "readme.txt").exists() and (tmp_path / "stray.m2rec").exists()
    assert apply_retention(tmp_path / "missing", 1, 0, now=NOW) == []


def test_default_root_is_in_the_user_data_folder() -> None:
    root = default_root()
    assert root.name == "recordings" and root.parent.name.lower() == "m2gui"
