"""The Overview: who commands, in what mode, and ten large status lamps.

Made to be read from across a room: the commander, local mode, control mode
and inclination source in large text, and the ten flags as large lamps that
carry a symbol and a word beside the colour. Fonts grow with the panel. The
state and its colour rules are the model's (`m2gui.model.ops.overview`).
"""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QFont, QResizeEvent
from PySide6.QtWidgets import QFrame, QGridLayout, QLabel, QSizePolicy, QVBoxLayout, QWidget

from m2gui.model.ops.overview import READING_KEYS, Overview
from m2gui.model.ops.overview_lamps import Lamp
from m2gui.model.ops.overview_rules import FLAG_KEYS
from m2gui.model.session import Session

from ..bridge import listen

__all__ = ["AGE_REFRESH_MS", "LampLabel", "OverviewView"]

#: How often the telemetry age is looked at again (it moves with the clock).
AGE_REFRESH_MS = 500
#: The size the base font sizes are for; fonts scale with the panel from there.
BASE_SIZE = (900, 550)


class LampLabel(QLabel):
    """A lamp: a coloured rounded box with a symbol and a word, details as tool tip."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.lamp: Lamp | None = None
        self.radius = 8
        #: CSS padding (vertical, horizontal) in pixels.
        self.padding = (2, 8)

    def set_lamp(self, lamp: Lamp) -> None:
        """Show ``lamp``: colour, symbol and word, and its detail as tool tip."""
        if lamp == self.lamp:
            return
        self.lamp = lamp
        self.setText(lamp.text)
        self.setToolTip(lamp.detail)
        self._style()

    def set_radius(self, radius: int) -> None:
        """Corner radius in pixels."""
        if radius != self.radius:
            self.radius = radius
            self._style()

    def _style(self) -> None:
        lamp = self.lamp
        if lamp is None:
            return
        self.setStyleSheet(
            f"QLabel {{ background-color: {lamp.color}; color: {lamp.text_color}; "
            f"border: 1px solid #505050; border-radius: {self.radius}px; "
            f"padding: {self.padding[0]}px {self.padding[1]}px; }}"
        )


class OverviewView(QWidget):
    """The Overview panel (tab title "Overview").

    Parameters
    ----------
    session : `Session`
        Its state comes from ``session.store(Overview)``.
    parent : `QWidget` or None
        Parent widget.

    Attributes
    ----------
    lamps : `dict` of `str` to `LampLabel`
        The ten lamps by flag key (`FLAG_KEYS`).
    values : `dict` of `str` to `QLabel`
        The large texts by reading key (`READING_KEYS`).
    """

    TITLE = "Overview"

    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.overview = session.store(Overview)
        self.lamps: dict[str, LampLabel] = {}
        self.values: dict[str, QLabel] = {}
        self._titles: list[QLabel] = []

        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 10, 12, 10)
        layout.setSpacing(10)
        readings = QGridLayout()
        readings.setHorizontalSpacing(10)
        for column, reading in enumerate(self.overview.readings):
            box = QFrame()
            box.setFrameShape(QFrame.Shape.StyledPanel)
            inner = QVBoxLayout(box)
            inner.setContentsMargins(8, 4, 8, 6)
            inner.setSpacing(0)
            title = QLabel(reading.title)
            title.setAlignment(Qt.AlignmentFlag.AlignCenter)
            value = QLabel()
            value.setAlignment(Qt.AlignmentFlag.AlignCenter)
            value.setObjectName(f"reading:{reading.key}")
            inner.addWidget(title)
            inner.addWidget(value)
            self._titles.append(title)
            self.values[reading.key] = value
            readings.addWidget(box, 0, column)
            readings.setColumnStretch(column, 1)
        layout.addLayout(readings)

        grid = QGridLayout()
        grid.setHorizontalSpacing(14)
        grid.setVerticalSpacing(8)
        rows = (len(FLAG_KEYS) + 1) // 2
        for n, flag in enumerate(self.overview.flags):
            row, pair = n % rows, n // rows
            lamp = LampLabel()
            lamp.setObjectName(f"lamp:{flag.key}")
            lamp.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
            title = QLabel(flag.title)
            title.setBuddy(lamp)
            self._titles.append(title)
            self.lamps[flag.key] = lamp
            grid.addWidget(lamp, row, 2 * pair)
            grid.addWidget(title, row, 2 * pair + 1)
            grid.setColumnStretch(2 * pair, 3)
            grid.setColumnStretch(2 * pair + 1, 2)
        layout.addLayout(grid, 1)

        self._show_all()
        self._scale_fonts()
        listen(self, self.overview.changed, self._on_changed, mode="batch")
        # The telemetry age moves with the clock, not with events.
        self._age_timer = QTimer(self)
        self._age_timer.setInterval(AGE_REFRESH_MS)
        self._age_timer.timeout.connect(self._refresh_age)
        self._age_timer.start()

    # ------------------------------------------------------------------
    def lamp(self, key: str) -> LampLabel:
        """The lamp of one flag."""
        return self.lamps[key]

    def _refresh_age(self) -> None:
        self.overview.refresh()

    def _on_changed(self, batch: list[tuple[frozenset[str]]]) -> None:
        keys: set[str] = set()
        for (changed,) in batch:
            keys |= changed
        self._show(keys)

    def _show_all(self) -> None:
        self._show(set(FLAG_KEYS) | set(READING_KEYS))

    def _show(self, keys: set[str]) -> None:
        for flag in self.overview.flags:
            if flag.key in keys:
                self.lamps[flag.key].set_lamp(flag.lamp)
        for reading in self.overview.readings:
            if reading.key in keys:
                label = self.values[reading.key]
                label.setText(reading.text)
                label.setToolTip(reading.detail)

    # ------------------------------------------------------------------
    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._scale_fonts()

    def _scale_fonts(self) -> None:
        """Grow the fonts with the panel (readable from across a room on a big screen)."""
        width, height = max(self.width(), 1), max(self.height(), 1)
        scale = max(0.6, min(width / BASE_SIZE[0], height / BASE_SIZE[1]))
        value_font = QFont(self.font())
        value_font.setPixelSize(round(30 * scale))
        value_font.setBold(True)
        lamp_font = QFont(self.font())
        lamp_font.setPixelSize(round(24 * scale))
        lamp_font.setBold(True)
        title_font = QFont(self.font())
        title_font.setPixelSize(round(17 * scale))
        for label in self.values.values():
            label.setFont(value_font)
        for lamp in self.lamps.values():
            lamp.setFont(lamp_font)
            lamp.setMinimumHeight(round(40 * scale))
            lamp.set_radius(round(8 * scale))
        for title in self._titles:
            title.setFont(title_font)
