"""Colours and small helpers shared by the widgets (work on light and dark palettes)."""

from __future__ import annotations

import time

from PySide6.QtGui import QColor

__all__ = ["HIGHLIGHT", "LEVEL_COLORS", "format_time"]

LEVEL_COLORS = {
    "DEBUG": QColor("#8a8a8a"),
    "WARNING": QColor("#d08000"),
    "ERROR": QColor("#d03030"),
    "CRITICAL": QColor("#d03030"),
}
#: Background of a value that just changed (translucent: fits both palettes).
HIGHLIGHT = QColor(255, 190, 0, 90)


def format_time(t: float) -> str:
    """Wall-clock time as HH:MM:SS.mmm (local time)."""
    whole = time.localtime(t)
    return time.strftime("%H:%M:%S", whole) + f".{int((t % 1) * 1000):03d}"
