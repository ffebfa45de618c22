"""File names proposed for a panel's exports: its title and the time range shown."""

from __future__ import annotations

import re
import time

__all__ = ["NAME_LIMIT", "export_file_name", "safe_file_stem"]

#: Characters kept of the title part of a file name.
NAME_LIMIT = 80
#: Characters no common file system accepts in a name (Windows' list, control
#: characters included), replaced by "-".
_UNSAFE = re.compile(r'[<>:"/\\|?*\x00-\x1f\x7f]')
#: Names Windows reserves (even with an extension).
_RESERVED = {"CON", "PRN", "AUX", "NUL"} | {f"{p}{i}" for p in ("COM", "LPT") for i in range(10)}


def safe_file_stem(text: str, fallback: str = "plot") -> str:
    """``text`` made usable as a file name on Linux, macOS and Windows.

    Unsafe characters become "-", spaces are collapsed, leading and trailing
    dots and spaces go, the length is bounded; ``fallback`` if nothing is left.
    """
    stem = " ".join(_UNSAFE.sub("-", text).split())[:NAME_LIMIT].strip(" .")
    if not stem:
        return fallback
    if stem.upper() in _RESERVED:
        stem += "_"
    return stem


def export_file_name(title: str, span: tuple[float, float] | None, suffix: str) -> str:
    """The file name proposed for exporting a panel.

    The title (``"plot"`` when empty), then the time range in local time:
    ``Axial forces 2026-11-30 14-02-05 to 14-12-05.csv``, with the end's
    date too when it is another day. Without a range, only the title.

    Parameters
    ----------
    title : `str`
        The panel's title.
    span : tuple of `float`, or `None`
        The time range exported, wall clock (Unix seconds).
    suffix : `str`
        The extension, without the dot (``"csv"``).
    """
    stem = safe_file_stem(title)
    if span is not None:
        try:
            start, end = time.localtime(span[0]), time.localtime(span[1])
        except (OverflowError, OSError, ValueError):  # not a time a clock shows
            return f"{stem}.{suffix}"
        first = time.strftime("%Y-%m-%d %H-%M-%S", start)
        same_day = start[:3] == end[:3]
        last = time.strftime("%H-%M-%S" if same_day else "%Y-%m-%d %H-%M-%S", end)
        stem = f"{stem} {first} to {last}"
    return f"{stem}.{suffix}"
