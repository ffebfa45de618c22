"""Names typed on the command line: close matches for a misspelt one, files to read."""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from pathlib import Path

__all__ = ["MAX_FILE_BYTES", "did_you_mean", "read_text_file"]

#: Largest file read for a parameter (a 78-value CSV is a few kB).
MAX_FILE_BYTES = 16 * 2**20


def did_you_mean(name: str, known: Iterable[str]) -> str:
    """``": did you mean X?"`` for the closest of ``known`` (case ignored), or ``""``."""
    known = list(known)
    folded = {k.lower(): k for k in known}
    if name.lower() in folded:
        return f": did you mean {folded[name.lower()]}?"
    matches = difflib.get_close_matches(name.lower(), list(folded), n=2, cutoff=0.75)
    if not matches:
        return ""
    return ": did you mean " + " or ".join(folded[m] for m in matches) + "?"


def read_text_file(path: str) -> str:
    """The text of ``path`` (``~`` expanded, a UTF-8 byte-order mark dropped).

    Raises
    ------
    OSError
        If it cannot be read, or is larger than `MAX_FILE_BYTES`.
    UnicodeError
        If it is not UTF-8 text.
    """
    file = Path(path).expanduser()
    with file.open("rb") as f:
        data = f.read(MAX_FILE_BYTES + 1)
    if len(data) > MAX_FILE_BYTES:
        raise OSError(f"larger than {MAX_FILE_BYTES // 2**20} MiB")
    return data.decode("utf-8-sig")
