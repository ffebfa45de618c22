"""`UtilityView`: power systems, breakers, temperatures, elevation, displacement sensors.

The incumbent's Utility View, over the Qt-free `UtilityStatus` store: every
lamp carries a word and a symbol beside its colour, every telemetry value
has a "Plot" context menu, and the two Reset breakers buttons send
``resetBreakers {powerType}`` through a `CommandSender` (confirmed, since
the catalogue marks it dangerous), as the incumbent does.
"""

from __future__ import annotations

from collections.abc import Iterable

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QFormLayout,
    QFrame,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QScrollArea,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from m2gui.model.cell.utility import BREAKER_OK_BIT, FEEDS, Reading, UtilityStatus
from m2gui.model.ops.overview_lamps import Lamp
from m2gui.model.session import Session
from m2gui.net import CommandRecord

from ..bridge import listen
from ..command_sender import CommandSender
from ..controls import CommandButton
from ..plot_menu import add_plot_menu

__all__ = ["UtilityView"]


def _lamp_style(lamp: Lamp) -> str:
    return (
        f"background: {lamp.color}; color: {lamp.text_color}; border-radius: 3px;"
        " padding: 2px 6px; font-weight: bold"
    )


class UtilityView(QWidget):
    """Both power systems, the 15 breakers, temperatures, elevation and IMS sensors.

    Parameters
    ----------
    session : `Session`
        Where the values come from (``session.store(UtilityStatus)``) and
        where the reset commands go.

    Attributes
    ----------
    values : `dict` [`str`, `QLabel`]
        Signal name -> the label showing its value (each with a Plot menu).
    power_lamps : `dict` [`str`, `QLabel`]
        Feed -> its power lamp.
    breaker_lamps : `dict` [`str`, `QLabel`]
        Breaker name -> its lamp.
    reset_buttons : `dict` [`str`, `CommandButton`]
        Feed -> its Reset breakers button.
    """

    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.store = store = session.store(UtilityStatus)
        self.command_sender = CommandSender(session, self)
        self.values: dict[str, QLabel] = {}
        self.power_lamps: dict[str, QLabel] = {}
        self.breaker_lamps: dict[str, QLabel] = {}
        self.reset_buttons: dict[str, CommandButton] = {}
        self._readings: dict[str, Reading] = {}
        self._units: dict[str, bool] = {}
        self.state_labels: dict[str, QLabel] = {}
        self._pending_feed: str | None = None

        self.outcome = QLabel()
        self.outcome.setObjectName("utility_outcome")
        self.outcome.setWordWrap(True)
        self.outcome.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.command_sender.reported.connect(self.outcome.setText)
        self.command_sender.finished.connect(self._finished)

        columns = QHBoxLayout()
        columns.addLayout(
            self._column(
                self._power_box("Motor"), self._power_box("Communication"), self._elevation_box()
            )
        )
        columns.addLayout(self._column(self._breakers_box()))
        columns.addLayout(self._column(self._temperatures_box(), self._displacement_box()))
        body = QWidget()
        inner = QVBoxLayout(body)
        inner.setContentsMargins(4, 4, 4, 4)
        inner.addLayout(columns)
        inner.addWidget(self.outcome)
        inner.addStretch(1)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setWidget(body)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(scroll)

        self.refresh(("power", "breakers", "temperature", "elevation", "displacement"))
        listen(self, store.changed, self._changed, defer_hidden=True)

    # ------------------------------------------------------------------
    # Building
    # ------------------------------------------------------------------
    @staticmethod
    def _column(*boxes: QWidget) -> QVBoxLayout:
        column = QVBoxLayout()
        for box in boxes:
            column.addWidget(box)
        column.addStretch(1)
        return column

    def _value(self, reading: Reading, unit: bool = True) -> QLabel:
        label = QLabel("—")
        label.setObjectName(f"value:{reading.signal}")
        label.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        label.setStyleSheet("font-family: monospace; font-size: 11pt")
        label.setMinimumWidth(70)
        label.setToolTip(self.store.tooltip(reading))
        signal = reading.signal
        add_plot_menu(label, self.session, lambda _position: [signal])
        self.values[signal] = label
        self._readings[signal] = reading
        self._units[signal] = unit
        return label

    def _power_box(self, feed: str) -> QGroupBox:
        box = QGroupBox(f"{feed} power system")
        form = QFormLayout(box)
        lamp = QLabel()
        lamp.setObjectName(f"power:{feed}")
        lamp.setSizePolicy(QSizePolicy.Policy.Maximum, QSizePolicy.Policy.Preferred)
        self.power_lamps[feed] = lamp
        form.addRow("Power", lamp)
        state = QLabel()
        state.setObjectName(f"state:{feed}")
        state.setToolTip(f"PowerSystemState of powerSystemState[{feed}]")
        self.state_labels[feed] = state
        form.addRow("State", state)
        voltage, current = self.store.power[feed]
        form.addRow(voltage.label, self._value(voltage))
        form.addRow(current.label, self._value(current))
        return box

    def _elevation_box(self) -> QGroupBox:
        box = QGroupBox("Elevation angle")
        form = QFormLayout(box)
        for reading in self.store.elevation:
            form.addRow(reading.label, self._value(reading))
        self.source_label = QLabel()
        self.source_label.setToolTip("inclinationTelemetrySource: which angle the LUT uses")
        form.addRow("Source", self.source_label)
        return box

    def _breakers_box(self) -> QGroupBox:
        box = QGroupBox("Breakers")
        layout = QVBoxLayout(box)
        for feed in FEEDS:
            title = QLabel(f"<b>{feed}</b>")
            layout.addWidget(title)
            grid = QGridLayout()
            grid.setSpacing(4)
            for i, breaker in enumerate(self.store.feed_breakers(feed)):
                lamp = QLabel()
                lamp.setObjectName(f"breaker:{breaker.name}")
                lamp.setAlignment(Qt.AlignmentFlag.AlignCenter)
                lamp.setMinimumWidth(82)
                self.breaker_lamps[breaker.name] = lamp
                grid.addWidget(lamp, i // 3, i % 3)
            layout.addLayout(grid)
            value = self.store.reset_params(feed)["powerType"]
            button = CommandButton(
                f"Reset {feed.lower()} breakers",
                self.session,
                "resetBreakers",
                tip=f"Send resetBreakers {{powerType: {value} ({feed})}}; the controller "
                f"refuses it while the {feed.lower()} power is off",
            )
            button.setObjectName(f"reset:{feed}")
            button.clicked.connect(lambda _checked=False, f=feed: self.reset_breakers(f))
            self.reset_buttons[feed] = button
            layout.addWidget(button)
            layout.addSpacing(6)
        self.input_label = QLabel()
        self.input_label.setWordWrap(True)
        self.input_label.setStyleSheet("font-size: 9pt; font-style: italic")
        self.input_label.setToolTip(
            f"A breaker's digitalInput bit reads {BREAKER_OK_BIT} while it is closed (OK), as the "
            "incumbent colours it and the controller reports it; a set bit is an open breaker: "
            "tripped with its feed powered, open with it off. The protocol notes flag this "
            "polarity as not yet checked on hardware."
        )
        layout.addWidget(self.input_label)
        return box

    def _temperatures_box(self) -> QGroupBox:
        box = QGroupBox("Temperatures (°C)")
        grid = QGridLayout(box)
        grid.setHorizontalSpacing(8)
        row = 0
        for group, readings in self.store.temperatures:
            grid.addWidget(QLabel(f"<b>{group}</b>"), row, 0)
            for i, reading in enumerate(readings):
                label = self._value(reading, unit=False)
                label.setMinimumWidth(44)
                label.setToolTip(f"{reading.label}\n{label.toolTip()}")
                grid.addWidget(label, row, 1 + i)
            row += 1
        self.delta_lamp = QLabel()
        self.delta_lamp.setObjectName("cell_delta")
        grid.addWidget(self.delta_lamp, row, 0, 1, 5)
        header = QLabel("Mirror sensors LG2/LG3/LG4 are ring[0:4], [4:8], [8:12]")
        header.setStyleSheet("font-size: 9pt; font-style: italic")
        header.setWordWrap(True)
        grid.addWidget(header, row + 1, 0, 1, 5)
        return box

    def _displacement_box(self) -> QGroupBox:
        box = QGroupBox("Displacement sensors (IMS, µm)")
        grid = QGridLayout(box)
        grid.addWidget(QLabel("<b>θz</b>"), 0, 1)
        grid.addWidget(QLabel("<b>Δz</b>"), 0, 2)
        for i, (theta, delta) in enumerate(self.store.displacement):
            grid.addWidget(QLabel(theta.label.split()[0]), i + 1, 0)
            grid.addWidget(self._value(theta, unit=False), i + 1, 1)
            grid.addWidget(self._value(delta, unit=False), i + 1, 2)
        return box

    # ------------------------------------------------------------------
    # Updating
    # ------------------------------------------------------------------
    def _changed(self, batch: list[tuple[tuple[str, ...]]]) -> None:
        self.refresh({section for (sections,) in batch for section in sections})

    def refresh(self, sections: Iterable[str]) -> None:
        """Show the latest state of ``sections`` (see `UtilityStatus.changed`)."""
        store = self.store
        sections = set(sections)
        for signal, label in self.values.items():
            reading = self._readings[signal]
            if _section(reading) in sections:
                label.setText(store.text(reading, self._units[signal]))
        if "power" in sections:
            for feed, label in self.power_lamps.items():
                self._show_lamp(label, store.power_lamp(feed))
                self.state_labels[feed].setText(store.state_text(feed))
        if "breakers" in sections:
            for breaker in store.breakers:
                lamp = store.breaker_lamp(breaker)
                label = self.breaker_lamps[breaker.name]
                label.setText(f"{breaker.name}\n{lamp.text}")
                label.setStyleSheet(_lamp_style(lamp))
                label.setToolTip(lamp.detail)
            raw = store.digital_input
            self.input_label.setText(
                "digitalInput "
                + ("not received" if raw is None else f"0x{raw:08X}")
                + f" · bit {BREAKER_OK_BIT} = closed (OK)"
            )
        if "temperature" in sections:
            self._show_lamp(self.delta_lamp, store.cell_delta_lamp())
        if "elevation" in sections:
            self.source_label.setText(store.inclination_source)

    @staticmethod
    def _show_lamp(label: QLabel, lamp: Lamp) -> None:
        label.setText(lamp.text)
        label.setStyleSheet(_lamp_style(lamp))
        label.setToolTip(lamp.detail)

    # ------------------------------------------------------------------
    # Commands
    # ------------------------------------------------------------------
    def reset_breakers(self, feed: str) -> None:
        """Send ``resetBreakers`` for a feed (after confirmation), as the incumbent does."""
        button = self.reset_buttons[feed]
        button.set_busy(True)
        self._pending_feed = feed
        self.command_sender.send("resetBreakers", self.store.reset_params(feed))

    def _finished(self, _record: CommandRecord | None) -> None:
        if self._pending_feed is not None:
            self.reset_buttons[self._pending_feed].set_busy(False)
            self._pending_feed = None


def _section(reading: Reading) -> str:
    if reading.topic == "powerStatus":
        return "power"
    if reading.topic == "temperature":
        return "temperature"
    if reading.topic == "displacementSensors":
        return "displacement"
    return "elevation"
