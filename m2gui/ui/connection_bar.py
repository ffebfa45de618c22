"""The connection toolbar: address, connect/disconnect, state, rates, telemetry age."""

from __future__ import annotations

import time

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QLabel, QLineEdit, QSpinBox, QToolBar, QWidget

from m2gui.model.link import STALE_AFTER
from m2gui.model.session import Session
from m2gui.net import ConnectionState

from .bridge import listen

__all__ = ["ConnectionBar"]

#: How often the rates and the telemetry age are redrawn, ms.
REFRESH_MS = 250


def _port_box(value: int) -> QSpinBox:
    box = QSpinBox()
    box.setRange(1, 65535)
    box.setValue(value)
    box.setButtonSymbols(QSpinBox.ButtonSymbols.NoButtons)
    box.setFixedWidth(64)
    return box


class ConnectionBar(QToolBar):
    """Host and ports, Connect/Disconnect, a state light and live link figures.

    Parameters
    ----------
    session : `Session`
        The session whose connection is shown.
    connect_action, disconnect_action : `QAction`
        The window's actions (shared with the menu and shortcuts).
    """

    def __init__(
        self,
        session: Session,
        connect_action: QAction,
        disconnect_action: QAction,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__("Connection", parent)
        self.setObjectName("connection_toolbar")
        self.session = session
        host, command_port, telemetry_port = session.address
        self.host = QLineEdit(host)
        self.host.setPlaceholderText("controller host")
        self.host.setFixedWidth(170)
        self.host.setToolTip("Controller host name or address")
        self.command_port = _port_box(command_port)
        self.command_port.setToolTip("Command port (replies and events)")
        self.telemetry_port = _port_box(telemetry_port)
        self.telemetry_port.setToolTip("Telemetry port")
        self.addWidget(QLabel(" Host "))
        self.addWidget(self.host)
        self.addWidget(QLabel(" cmd "))
        self.addWidget(self.command_port)
        self.addWidget(QLabel(" tel "))
        self.addWidget(self.telemetry_port)
        self.addAction(connect_action)
        self.addAction(disconnect_action)
        self.addSeparator()
        self.light = QLabel()
        self.light.setObjectName("state_light")
        self.state_label = QLabel()
        self.state_label.setObjectName("state_label")
        self.state_label.setMinimumWidth(150)
        self.addWidget(self.light)
        self.addWidget(self.state_label)
        self.addSeparator()
        self.rates = QLabel()
        self.rates.setToolTip("Messages per second received on each port")
        self.age = QLabel()
        self.age.setToolTip(f"Time since the last telemetry message (stale after {STALE_AFTER} s)")
        self.age.setMinimumWidth(130)
        self.addWidget(self.rates)
        self.addWidget(QLabel("  "))
        self.addWidget(self.age)
        self._last_counts = (0, 0)
        self._last_time = time.monotonic()
        listen(self, session.link.changed, self.refresh, mode="poke")
        # The rates and the telemetry age move with the clock: shown on a timer.
        self.timer = QTimer(self)
        self.timer.setInterval(REFRESH_MS)
        self.timer.timeout.connect(self.refresh)
        self.timer.start()
        self.refresh()

    def address(self) -> tuple[str, int, int]:
        """The host and ports typed in the bar."""
        return self.host.text().strip(), self.command_port.value(), self.telemetry_port.value()

    def set_address(self, host: str, command_port: int, telemetry_port: int) -> None:
        """Show an address in the fields."""
        self.host.setText(host)
        self.command_port.setValue(command_port)
        self.telemetry_port.setValue(telemetry_port)

    def state_text(self) -> str:
        """The state as shown: ``connected``, ``reconnecting in 1.5 s``..."""
        return self.session.link.status.text

    def refresh(self) -> None:
        """Update the light, the state, the rates and the telemetry age."""
        link = self.session.link
        status = link.status
        self.light.setText(f'<span style="color:{status.color}; font-size:16px">&#9679;</span>')
        self.state_label.setText(status.text)
        self.state_label.setToolTip(status.last_error or status.address)
        editable = status.state is ConnectionState.DISCONNECTED
        for widget in (self.host, self.command_port, self.telemetry_port):
            widget.setEnabled(editable)
        now = time.monotonic()
        counts = (link.port_stats("command").messages, link.port_stats("telemetry").messages)
        elapsed = max(now - self._last_time, 1e-3)
        cmd_rate = (counts[0] - self._last_counts[0]) / elapsed
        tel_rate = (counts[1] - self._last_counts[1]) / elapsed
        self._last_counts, self._last_time = counts, now
        self.rates.setText(f"cmd {cmd_rate:5.0f}/s   tel {tel_rate:5.0f}/s")
        age = link.telemetry_age()
        if age is None:
            self.age.setText("telemetry: none")
            self.age.setStyleSheet("")
            return
        if age > STALE_AFTER:
            self.age.setText(f"telemetry STALE {age:.1f} s")
            self.age.setStyleSheet("color: #d03030; font-weight: bold")
        else:
            self.age.setText(f"telemetry {age * 1000:4.0f} ms")
            self.age.setStyleSheet("")
        self.age.setAlignment(Qt.AlignmentFlag.AlignLeft)
