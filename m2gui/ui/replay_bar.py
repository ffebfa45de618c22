"""The replay controls: play, pause, speed, seek by slider or time of day, loop a range."""

from __future__ import annotations

import logging

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QLabel,
    QLineEdit,
    QSlider,
    QStyle,
    QToolBar,
    QToolButton,
    QWidget,
)

from m2gui.record.replay import FASTEST, SPEEDS, ReplaySource
from m2gui.record.time_of_day import format_clock, format_span, resolve_time_of_day

from .bridge import listen

__all__ = ["ReplayBar"]

log = logging.getLogger(__name__)

#: Slider steps over the whole recording.
STEPS = 10_000
#: How often the position shown is refreshed (ms).
REFRESH_MS = 100


def speed_text(speed: float) -> str:
    """``1x``, ``10x``, ``max``."""
    return "max" if speed == FASTEST else f"{speed:g}x"


class ReplayBar(QToolBar):
    """Controls of a `ReplaySource`, shown above a replay window's panels.

    Space plays or pauses while the bar has focus; Enter in the time box
    seeks to the time of day typed (``23:14`` or ``23:14:05.2``).
    """

    def __init__(self, source: ReplaySource, parent: QWidget | None = None) -> None:
        super().__init__("Replay", parent)
        self.setObjectName("replay_bar")
        self.setMovable(False)
        self.source = source
        self.play_button = QToolButton()
        self.play_button.setObjectName("replay_play")
        self.play_button.setShortcut(QKeySequence("Ctrl+Shift+P"))
        self.play_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.play_button.clicked.connect(self.toggle_play)
        self.addWidget(self.play_button)
        self.speed = QComboBox()
        self.speed.setObjectName("replay_speed")
        self.speed.setToolTip("Replay speed (max: as fast as possible)")
        for speed in SPEEDS:
            self.speed.addItem(speed_text(speed), speed)
        self.speed.setCurrentIndex(max(0, self.speed.findData(source.speed)))
        self.speed.currentIndexChanged.connect(self._speed_chosen)
        self.addWidget(self.speed)
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setObjectName("replay_slider")
        self.slider.setRange(0, STEPS)
        self.slider.setMinimumWidth(240)
        self.slider.setToolTip("Drag to seek")
        self.slider.sliderReleased.connect(self._slider_released)
        self.slider.actionTriggered.connect(self._slider_action)
        self.addWidget(self.slider)
        self.position = QLabel()
        self.position.setObjectName("replay_position")
        self.addWidget(self.position)
        self.time_edit = QLineEdit()
        self.time_edit.setObjectName("replay_time")
        self.time_edit.setPlaceholderText("go to HH:MM:SS")
        self.time_edit.setMaximumWidth(120)
        self.time_edit.returnPressed.connect(self._time_typed)
        self.addWidget(self.time_edit)
        self.loop_box = QCheckBox("Loop")
        self.loop_box.setObjectName("replay_loop")
        self.loop_box.toggled.connect(self._loop_changed)
        self.addWidget(self.loop_box)
        self.loop_from = QLineEdit()
        self.loop_to = QLineEdit()
        for edit, hint in ((self.loop_from, "from"), (self.loop_to, "to")):
            edit.setPlaceholderText(hint)
            edit.setMaximumWidth(90)
            edit.returnPressed.connect(self._loop_changed)
            self.addWidget(edit)
        self.message = QLabel()
        self.message.setObjectName("replay_message")
        self.message.setStyleSheet("color: #d03030")
        self.addWidget(self.message)
        self.timer = QTimer(self)
        self.timer.setInterval(REFRESH_MS)
        self.timer.timeout.connect(self.refresh)
        self.timer.start()
        listen(self, source.changed, self.refresh, mode="poke")
        self.refresh()

    # ------------------------------------------------------------------
    def toggle_play(self) -> None:
        """Play if paused, pause if playing."""
        if self.source.playing:
            self.source.pause()
        else:
            self.source.play()
        self.refresh()

    def seek_fraction(self, fraction: float) -> None:
        """Seek to a fraction (0..1) of the recording."""
        source = self.source
        source.seek(source.start_time + fraction * (source.end_time - source.start_time))
        self.refresh()

    def _speed_chosen(self, index: int) -> None:
        self.source.set_speed(float(self.speed.itemData(index)))

    def _slider_released(self) -> None:
        self.seek_fraction(self.slider.value() / STEPS)

    def _slider_action(self, action: int) -> None:
        if not self.slider.isSliderDown():  # a click or a key on the slider
            QTimer.singleShot(0, lambda: self.seek_fraction(self.slider.value() / STEPS))

    def _time_typed(self) -> None:
        source = self.source
        try:
            t = resolve_time_of_day(self.time_edit.text(), source.start_time, source.end_time)
        except ValueError as error:
            self.message.setText(str(error))
            return
        self.message.clear()
        source.seek(t)
        self.refresh()

    def _loop_changed(self, *_: object) -> None:
        source = self.source
        if not self.loop_box.isChecked():
            source.set_loop(None)
            self.message.clear()
            return
        try:
            # An empty end is the recording's own (its time of day as text
            # is rounded down to a tenth, which may fall before the start).
            lo = self._loop_end(self.loop_from, source.start_time)
            hi = self._loop_end(self.loop_to, source.end_time)
            source.set_loop(lo, hi)
        except ValueError as error:
            self.loop_box.blockSignals(True)  # unchecking must not clear the message
            self.loop_box.setChecked(False)
            self.loop_box.blockSignals(False)
            source.set_loop(None)
            self.message.setText(f"loop: {error}")
            return
        self.message.clear()

    def _loop_end(self, edit: QLineEdit, default: float) -> float:
        text = edit.text().strip()
        if not text:
            return default
        return resolve_time_of_day(text, self.source.start_time, self.source.end_time)

    def refresh(self) -> None:
        """Show the position, the play state and the speed."""
        source = self.source
        # Standard icons: the ⏸ glyph is missing from common fonts.
        icon = (
            QStyle.StandardPixmap.SP_MediaPause
            if source.playing
            else QStyle.StandardPixmap.SP_MediaPlay
        )
        self.play_button.setIcon(self.style().standardIcon(icon))
        self.play_button.setText("Pause" if source.playing else "Play")
        self.play_button.setToolTip(
            ("Pause" if source.playing else "Play") + " the replay (Ctrl+Shift+P)"
        )
        span = source.end_time - source.start_time
        done = source.position - source.start_time
        if not self.slider.isSliderDown():
            fraction = done / span if span > 0 else 0.0
            self.slider.blockSignals(True)
            self.slider.setValue(round(max(0.0, min(1.0, fraction)) * STEPS))
            self.slider.blockSignals(False)
        self.position.setText(
            f"{format_clock(source.position)}  ({format_span(done)} of {format_span(span)})"
        )
