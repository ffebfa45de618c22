"""The connection toolbar: address, connect/disconnect, state, rates, telemetry age."""

from __future__ import annotations

import time

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QLabel, QLineEdit, QSpinBox, QToolBar, QWidget

from m2gui.model.session import Session
from m2gui.net import ConnectionState

from .style import STATE_COLORS

__all__ = ["ConnectionBar"]

#: Telemetry older than this is marked stale.
STALE_AFTER = 1.0
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
        conn = session.connection
        self.host = QLineEdit(conn.host)
        self.host.setPlaceholderText("controller host")
        self.host.setFixedWidth(170)
        self.host.setToolTip("Controller host name or address")
        self.command_port = _port_box(conn.command_port)
        self.command_port.setToolTip("Command port (replies and events)")
        self.telemetry_port = _port_box(conn.telemetry_port)
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
        conn.add_state_listener(lambda state: self.refresh())
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
        conn = self.session.connection
        state = conn.state
        if state is ConnectionState.RECONNECTING:
            retry = conn.retry_in
            return f"reconnecting in {retry:.1f} s" if retry else "reconnecting"
        if state is ConnectionState.DISCONNECTED and conn.last_error:
            return "disconnected (error)"
        return state.value

    def refresh(self) -> None:
        """Update the light, the state, the rates and the telemetry age."""
        conn = self.session.connection
        state = conn.state
        color = STATE_COLORS[state.value]
        self.light.setText(f'<span style="color:{color}; font-size:16px">&#9679;</span>')
        self.state_label.setText(self.state_text())
        self.state_label.setToolTip(conn.last_error or conn.address)
        editable = state is ConnectionState.DISCONNECTED
        for widget in (self.host, self.command_port, self.telemetry_port):
            widget.setEnabled(editable)
        now = time.monotonic()
        counts = (conn.command_stats.messages, conn.telemetry_stats.messages)
        elapsed = max(now - self._last_time, 1e-3)
        cmd_rate = (counts[0] - self._last_counts[0]) / elapsed
        tel_rate = (counts[1] - self._last_counts[1]) / elapsed
        self._last_counts, self._last_time = counts, now
        self.rates.setText(f"cmd {cmd_rate:5.0f}/s   tel {tel_rate:5.0f}/s")
        latest = max((r.time for r in conn.latest_telemetry.values()), default=None)
        if latest is None or state is not ConnectionState.CONNECTED:
            self.age.setText("telemetry: none")
            self.age.setStyleSheet("")
            return
        age = max(0.0, time.time() - latest)
        if age > STALE_AFTER:
            self.age.setText(f"telemetry STALE {age:.1f} s")
            self.age.setStyleSheet("color: #d03030; font-weight: bold")
        else:
            self.age.setText(f"telemetry {age * 1000:4.0f} ms")
            self.age.setStyleSheet("")
        self.age.setAlignment(Qt.AlignmentFlag.AlignLeft)
