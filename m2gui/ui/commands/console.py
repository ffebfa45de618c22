"""`ConsolePanel`: type and send any message; watch the traffic of both ports."""

from __future__ import annotations

import json
import logging
from collections import deque
from typing import Any

from PySide6.QtCore import QSortFilterProxyModel, Qt, QTimer
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QCompleter,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from m2gui.model.catalogue import CommandValidationError
from m2gui.model.commanding import CommandBlocked, send_command
from m2gui.model.session import Session
from m2gui.net import PREFIXES, CommandError, MsgType

from ..style import format_time
from ..table_model import Index, RowsModel
from ..tasks import spawn

__all__ = ["ConsolePanel", "TrafficModel"]

log = logging.getLogger(__name__)

#: Rows kept in the traffic view.
TRAFFIC_ROWS = 5000
KINDS = ("command", "event", "telemetry", "raw line")


class TrafficModel(RowsModel[tuple[float, str, str, str]]):
    """Messages in and out of both ports, newest last, capped."""

    HEADERS = ("Time", "Port", "Dir", "Message")

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(TRAFFIC_ROWS, parent)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or role not in (
            Qt.ItemDataRole.DisplayRole,
            Qt.ItemDataRole.ToolTipRole,
        ):
            return None
        t, port, direction, text = self.rows[index.row()]
        if role == Qt.ItemDataRole.ToolTipRole:
            return text[:3000] if index.column() == 3 else None
        return (format_time(t), port, direction, text[:400])[index.column()]


class ConsolePanel(QWidget):
    """A raw JSON console and a traffic view of both ports.

    Messages are sent through the connection (``write_message``): commands get
    their header and sequence id and land in the history like any other;
    events and telemetry inputs get ``compName``; a raw line goes as typed.
    """

    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        catalogue = session.catalogue
        self.kind = QComboBox()
        self.kind.addItems(list(KINDS))
        self.kind.currentTextChanged.connect(self._kind_changed)
        self.name = QLineEdit()
        self.name.setPlaceholderText("command name")
        names = list(catalogue.commands) + list(catalogue.inputs)
        completer = QCompleter(names, self)
        completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        completer.setFilterMode(Qt.MatchFlag.MatchContains)
        self.name.setCompleter(completer)
        self.comp_name = QLineEdit("MTMount")
        self.comp_name.setToolTip("compName added to events and telemetry")
        self.comp_name.setMaximumWidth(90)
        self.port = QComboBox()
        self.port.addItems(["command", "telemetry"])
        self.port.setToolTip("Port of a raw line")
        self.body = QLineEdit()
        self.body.setObjectName("console_body")
        self.body.setPlaceholderText(
            'parameters as a JSON object, e.g. {"powerType": 2, "status": true}'
        )
        self.body.returnPressed.connect(self.send)
        self.validate = QCheckBox("validate")
        self.validate.setChecked(True)
        self.validate.setToolTip(
            "Check commands against the catalogue before sending (untick to send "
            "deliberately bad commands to test the controller)"
        )
        send = QPushButton("Send")
        send.clicked.connect(self.send)
        self.result = QLabel()
        self.result.setObjectName("console_result")
        self.result.setWordWrap(True)
        self.result.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        row = QHBoxLayout()
        for widget in (self.kind, self.name, self.comp_name, self.port):
            row.addWidget(widget)
        row.addWidget(self.body, 1)
        row.addWidget(self.validate)
        row.addWidget(send)

        self.model = TrafficModel(self)
        self.proxy = QSortFilterProxyModel(self)
        self.proxy.setSourceModel(self.model)
        self.proxy.setFilterKeyColumn(-1)
        self.proxy.setFilterCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.filter = QLineEdit()
        self.filter.setPlaceholderText("Filter traffic…")
        self.filter.setClearButtonEnabled(True)
        self.filter.textChanged.connect(self.proxy.setFilterFixedString)
        self.pause = QCheckBox("pause")
        self.show_telemetry = QCheckBox("telemetry")
        self.show_telemetry.setToolTip("Also show telemetry (about 400 messages/s)")
        clear = QPushButton("Clear")
        clear.clicked.connect(self.model.clear)
        self.dropped = QLabel()
        traffic_bar = QHBoxLayout()
        traffic_bar.addWidget(QLabel("Traffic"))
        traffic_bar.addWidget(self.filter, 1)
        traffic_bar.addWidget(self.show_telemetry)
        traffic_bar.addWidget(self.pause)
        traffic_bar.addWidget(self.dropped)
        traffic_bar.addWidget(clear)
        self.table = QTableView()
        self.table.setObjectName("traffic_table")
        self.table.setModel(self.proxy)
        self.table.verticalHeader().setVisible(False)
        self.table.verticalHeader().setDefaultSectionSize(20)
        self.table.horizontalHeader().setStretchLastSection(True)
        for column, width in enumerate((95, 75, 35)):
            self.table.setColumnWidth(column, width)
        top = QWidget()
        top_layout = QVBoxLayout(top)
        top_layout.setContentsMargins(0, 0, 0, 0)
        top_layout.addLayout(row)
        top_layout.addWidget(self.result)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        splitter = QSplitter(Qt.Orientation.Vertical)
        bottom = QWidget()
        bottom_layout = QVBoxLayout(bottom)
        bottom_layout.setContentsMargins(0, 0, 0, 0)
        bottom_layout.addLayout(traffic_bar)
        bottom_layout.addWidget(self.table)
        splitter.addWidget(top)
        splitter.addWidget(bottom)
        layout.addWidget(splitter)
        self._pending: deque[tuple[float, str, str, str]] = deque(maxlen=TRAFFIC_ROWS)
        self.skipped = 0
        session.connection.add_traffic_listener(self._traffic)
        self.timer = QTimer(self)
        self.timer.setInterval(150)
        self.timer.timeout.connect(self.refresh)
        self.timer.start()
        self._kind_changed(self.kind.currentText())

    def _kind_changed(self, kind: str) -> None:
        self.name.setEnabled(kind != "raw line")
        self.comp_name.setEnabled(kind in ("event", "telemetry"))
        self.port.setEnabled(kind == "raw line")
        self.validate.setEnabled(kind == "command")
        self.name.setPlaceholderText(
            {
                "command": "command name",
                "event": "event name (e.g. mountInPosition)",
                "telemetry": "telemetry name (e.g. elevation)",
            }.get(kind, "")
        )
        self.body.setPlaceholderText(
            "the line, sent as typed"
            if kind == "raw line"
            else 'parameters as a JSON object, e.g. {"powerType": 2, "status": true}'
        )

    # ------------------------------------------------------------------
    def _traffic(self, port: str, direction: str, message: Any, t: float) -> None:
        if self.pause.isChecked():
            self.skipped += 1
            return
        if port == "telemetry" and direction == "in" and not self.show_telemetry.isChecked():
            return
        text = message if isinstance(message, str) else json.dumps(message)
        self._pending.append((t, port, direction, text))

    def refresh(self) -> None:
        """Move new traffic into the view."""
        if not self._pending:
            return
        rows = list(self._pending)
        self._pending.clear()
        bar = self.table.verticalScrollBar()
        at_end = bar.value() >= bar.maximum() - 2
        self.model.append(rows)
        if at_end:
            self.table.scrollToBottom()
        if self.skipped:
            self.dropped.setText(f"{self.skipped} not shown while paused")

    # ------------------------------------------------------------------
    def parse(self) -> tuple[str, str, dict[str, Any] | str] | None:
        """What to send: (kind, name, details or line); None with the error shown."""
        kind = self.kind.currentText()
        text = self.body.text().strip()
        if kind == "raw line":
            if not text:
                self._error("type the line to send")
                return None
            return kind, "", text
        name = self.name.text().strip()
        for prefix in PREFIXES.values():
            if name.startswith(prefix):
                name = name[len(prefix) :]
        if not name:
            self._error(f"give the {kind} name")
            return None
        if not text:
            details: Any = {}
        else:
            try:
                details = json.loads(text)
            except json.JSONDecodeError as error:
                self._error(f"parameters are not valid JSON: {error.msg} at column {error.colno}")
                return None
        if not isinstance(details, dict):
            self._error(f"parameters must be a JSON object, not {type(details).__name__}")
            return None
        if "id" in details:
            self._error("leave 'id' out: it is added from the name")
            return None
        return kind, name, details

    def _error(self, text: str) -> None:
        self.result.setText(f"<span style='color:#d03030'>Not sent: {text}</span>")

    def send(self) -> None:
        """Check what was typed and send it in the background."""
        parsed = self.parse()
        if parsed is None:
            return
        kind, name, details = parsed
        if kind == "command":
            assert isinstance(details, dict)
            if self.validate.isChecked():
                try:
                    details = self.session.catalogue.validate_command(name, details)
                except CommandValidationError as error:
                    self._error(str(error))
                    return
            spawn(self._send_command(name, details), f"console {name}")
        else:
            spawn(self._send_other(kind, name, details), f"console {kind}")

    async def _send_command(self, name: str, params: dict[str, Any]) -> None:
        self.result.setText(f"{name}: sending…")
        try:
            record = await send_command(self.session, name, params, validate=False)
            self.result.setText(
                f"<span style='color:#2e9d4f'>{name}: success</span> (seq "
                f"{record.sequence_id}, {record.done_latency * 1e3:.1f} ms)"
                if record.done_latency is not None
                else f"{name}: success"
            )
        except CommandBlocked as error:
            self._error(str(error))
        except CommandError as error:
            record = error.record
            reason = "; ".join(filter(None, [record.reason, *record.user_info]))
            self.result.setText(
                f"<span style='color:#d03030'>{name}: {record.outcome.value}</span> "
                f"(seq {record.sequence_id}) {reason}"
            )

    async def _send_other(self, kind: str, name: str, details: dict[str, Any] | str) -> None:
        conn = self.session.connection
        try:
            if kind == "raw line":
                assert isinstance(details, str)
                await conn.send_line(self.port.currentText(), details)
                self.result.setText(f"raw line sent on the {self.port.currentText()} port")
            else:
                assert isinstance(details, dict)
                msg_type = MsgType.Event if kind == "event" else MsgType.Telemetry
                comp = self.comp_name.text().strip() or None
                await conn.send_message(msg_type, name, details, comp)
                self.result.setText(f"{kind} {name} sent")
        except (ConnectionError, ValueError, UnicodeError) as error:
            self._error(str(error))
