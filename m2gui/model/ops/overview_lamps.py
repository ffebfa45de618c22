"""Lamps: a level, its colour and the word shown beside it (never colour alone).

The incumbent GUI's indicator colours (ts_guitool): green = normal, yellow =
warning, red = error, grey = off. m2gui keeps those meanings with shades that
stay apart for colour-blind eyes (a bluish green, a light yellow and a
vermilion red, after Okabe and Ito) and always adds a word and a symbol, so
that no state is told by colour alone.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

__all__ = ["LEVEL_COLORS", "LEVEL_SYMBOLS", "LEVEL_TEXT_COLORS", "Lamp", "Level"]


class Level(enum.Enum):
    """What a lamp says, from nothing known to an error."""

    UNKNOWN = "unknown"
    OFF = "off"
    OK = "ok"
    WARNING = "warning"
    ERROR = "error"


#: Background of a lamp at each level.
LEVEL_COLORS: dict[Level, str] = {
    Level.UNKNOWN: "#d9d9d9",
    Level.OFF: "#a6a6a6",
    Level.OK: "#007f5f",
    Level.WARNING: "#f0e442",
    Level.ERROR: "#c04400",
}
#: Text on a lamp of each level (readable on its background).
LEVEL_TEXT_COLORS: dict[Level, str] = {
    Level.UNKNOWN: "#404040",
    Level.OFF: "#202020",
    Level.OK: "#ffffff",
    Level.WARNING: "#000000",
    Level.ERROR: "#ffffff",
}
#: A symbol beside the word, for a second cue that is not colour.
LEVEL_SYMBOLS: dict[Level, str] = {
    Level.UNKNOWN: "?",
    Level.OFF: "○",
    Level.OK: "●",
    Level.WARNING: "▲",
    Level.ERROR: "■",
}


@dataclass(frozen=True)
class Lamp:
    """A lamp as shown: level, word, and a longer explanation for the tool tip.

    Attributes
    ----------
    level : `Level`
        What it says.
    word : `str`
        The word shown on the lamp (``ON``, ``ALARM``, ``TRIP``...).
    detail : `str`
        Where the state comes from and what it means (tool tip).
    """

    level: Level
    word: str
    detail: str = ""

    @property
    def color(self) -> str:
        """Background colour (``#rrggbb``)."""
        return LEVEL_COLORS[self.level]

    @property
    def text_color(self) -> str:
        """Text colour on that background."""
        return LEVEL_TEXT_COLORS[self.level]

    @property
    def symbol(self) -> str:
        """A symbol for the level (a cue besides colour)."""
        return LEVEL_SYMBOLS[self.level]

    @property
    def text(self) -> str:
        """Symbol and word, as written on the lamp."""
        return f"{self.symbol} {self.word}"
