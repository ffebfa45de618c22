"""The dialog asking where the controller is (opened with ``open()``, never ``exec()``)."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QSpinBox,
    QWidget,
)

__all__ = ["ConnectDialog"]


class ConnectDialog(QDialog):
    """Host and ports of the controller, prefilled with the last ones used."""

    def __init__(
        self, host: str, command_port: int, telemetry_port: int, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Connect to the M2 cell controller")
        self.host = QLineEdit(host)
        self.command_port = QSpinBox()
        self.telemetry_port = QSpinBox()
        for box, value in (
            (self.command_port, command_port),
            (self.telemetry_port, telemetry_port),
        ):
            box.setRange(1, 65535)
            box.setValue(value)
        self.error = QLabel()
        self.error.setStyleSheet("color: #d03030")
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Connect")
        buttons.accepted.connect(self._check)
        buttons.rejected.connect(self.reject)
        form = QFormLayout(self)
        form.addRow(QLabel("The GUI port pair is 50010/50011; 50000/50001 is the CSC's."))
        form.addRow("Host", self.host)
        form.addRow("Command port", self.command_port)
        form.addRow("Telemetry port", self.telemetry_port)
        form.addRow(self.error)
        form.addRow(buttons)

    def values(self) -> tuple[str, int, int]:
        """The host and ports entered."""
        return self.host.text().strip(), self.command_port.value(), self.telemetry_port.value()

    def _check(self) -> None:
        host, command_port, telemetry_port = self.values()
        if not host:
            self.error.setText("Enter a host name or address.")
        elif command_port == telemetry_port:
            self.error.setText("The command and telemetry ports must differ.")
        else:
            self.accept()
