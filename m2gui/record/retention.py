"""Where recordings live, and deleting the oldest beyond a retention limit."""

from __future__ import annotations

import logging
import shutil
import time
from pathlib import Path

from .format import list_parts

__all__ = ["apply_retention", "default_root", "recording_folders"]

log = logging.getLogger(__name__)


def default_root() -> Path:
    """The folder holding the recordings: the user data folder's ``recordings``."""
    import platformdirs

    return platformdirs.user_data_path("m2gui") / "recordings"


def recording_folders(root: Path) -> list[Path]:
    """The recording folders under ``root`` (folders holding parts), oldest first.

    Age is the newest modification time of a folder's parts.
    """
    found = []
    try:
        children = list(root.iterdir())
    except OSError:
        return []
    for child in children:
        try:
            if not child.is_dir() or child.is_symlink():
                continue
            parts = list_parts(child)
            if not parts:
                continue
            found.append((max(p.stat().st_mtime for p in parts), child.name, child))
        except OSError:
            continue
    return [path for _, _, path in sorted(found)]


def _size(folder: Path) -> int:
    total = 0
    for path in folder.rglob("*"):
        try:
            if path.is_file() and not path.is_symlink():
                total += path.stat().st_size
        except OSError:
            pass
    return total


def apply_retention(
    root: Path,
    max_days: float | None,
    max_bytes: int | None,
    keep: Path | None = None,
    *,
    now: float | None = None,
) -> list[Path]:
    """Delete the oldest recording folders under ``root`` beyond the limits.

    Parameters
    ----------
    root : `pathlib.Path`
        The folder holding recording folders (`default_root`).
    max_days : `float` or None
        Delete recordings last written more than this many days ago.
    max_bytes : `int` or None
        Then delete the oldest until the rest take at most this many bytes.
    keep : `pathlib.Path` or None
        A folder never deleted (the recording in progress); it still counts
        towards ``max_bytes``.
    now : `float`, optional
        The current time (``time.time()``), for tests.

    Returns
    -------
    removed : `list` [`pathlib.Path`]
        The folders deleted, oldest first. Only folders holding
        ``part-*.m2rec`` files are ever considered; failures are logged.
    """
    now = time.time() if now is None else now
    keep_resolved = keep.resolve() if keep is not None else None
    folders = recording_folders(root)
    removed: list[Path] = []

    def remove(folder: Path) -> bool:
        try:
            shutil.rmtree(folder)
        except OSError as error:
            log.warning("retention: cannot delete %s: %s", folder, error)
            return False
        log.info("retention: deleted the recording %s", folder)
        removed.append(folder)
        return True

    def kept(folder: Path) -> bool:
        return keep_resolved is not None and folder.resolve() == keep_resolved

    remaining = []
    for folder in folders:
        if max_days is not None and not kept(folder):
            try:
                newest = max(p.stat().st_mtime for p in list_parts(folder))
            except (OSError, ValueError):
                newest = now
            if now - newest > max_days * 86400.0 and remove(folder):
                continue
        remaining.append(folder)
    if max_bytes is not None:
        sizes = {folder: _size(folder) for folder in remaining}
        total = sum(sizes.values())
        for folder in remaining:
            if total <= max_bytes:
                break
            if not kept(folder) and remove(folder):
                total -= sizes[folder]
    return removed
