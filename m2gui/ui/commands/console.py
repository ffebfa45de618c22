"""`ConsolePanel`: type and send any message; watch the traffic of both ports."""

from __future__ import annotations

import html
import json
import logging
from collections import deque
from itertools import chain
from typing import Any

from PySide6.QtCore import QModelIndex, QSortFilterProxyModel, Qt, QTimer
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
from m2gui.model.format import ELLIPSIS, join_bounded, preview
from m2gui.model.session import Session
from m2gui.net import PREFIXES, CommandError, MsgType

from ..style import format_time
from ..table_model import Index, RowsModel
from ..tasks import spawn

__all__ = ["ConsolePanel", "TrafficModel", "message_text"]

log = logging.getLogger(__name__)

#: Rows kept in the traffic view.
TRAFFIC_ROWS = 5000
#: Characters kept of one message (the rest is cut, and the row says so).
TEXT_CHARS = 2000
#: Characters kept in the traffic view in all (rows dropped oldest first).
TRAFFIC_CHARS = 2_000_000
#: What a row costs beyond its text, counted against `TRAFFIC_CHARS`.
ROW_OVERHEAD = 100
#: Characters of a reply's reason shown after sending.
RESULT_CHARS = 300
KINDS = ("command", "event", "telemetry", "raw line")

Row = tuple[float, str, str, str]


def _size(row: Row) -> int:
    return len(row[3]) + ROW_OVERHEAD


def _is_cut(text: str) -> bool:
    return len(text) > TEXT_CHARS and text.endswith(ELLIPSIS)


def message_text(message: Any) -> str:
    """A message as JSON-like text of at most `TEXT_CHARS` characters (and an ellipsis).

    Never raises (``json.dumps`` does on integers of more than 4300 digits);
    the work is bounded by `TEXT_CHARS`, not by the size of the message.
    """
    if isinstance(message, str):
        return message if len(message) <= TEXT_CHARS else message[:TEXT_CHARS] + ELLIPSIS
    return preview(message, TEXT_CHARS)[0]


class TrafficModel(RowsModel[Row]):
    """Messages in and out of both ports, newest last, capped in rows and characters.

    Attributes
    ----------
    chars : `int`
        Characters kept (message texts, plus `ROW_OVERHEAD` a row).
    dropped : `int`
        Rows dropped, oldest first, to stay within the caps.
    """

    HEADERS = ("Time", "Port", "Dir", "Message")

    def __init__(self, parent: QWidget | None = None, max_chars: int = TRAFFIC_CHARS) -> None:
        super().__init__(TRAFFIC_ROWS, parent)
        self.max_chars = max_chars
        self.chars = 0
        self.dropped = 0

    def append(self, rows: list[Row]) -> None:
        """Add rows at the end, dropping the oldest beyond the row and character caps."""
        if not rows:
            return
        first = len(self.rows)
        self.beginInsertRows(QModelIndex(), first, first + len(rows) - 1)
        self.rows.extend(rows)
        self.chars += sum(_size(row) for row in rows)
        self.endInsertRows()
        excess, chars = 0, self.chars
        while excess < len(self.rows) and (
            len(self.rows) - excess > self.max_rows or chars > self.max_chars
        ):
            chars -= _size(self.rows[excess])
            excess += 1
        if excess:
            self.beginRemoveRows(QModelIndex(), 0, excess - 1)
            del self.rows[:excess]
            self.chars = chars
            self.dropped += excess
            self.endRemoveRows()

    def clear(self) -> None:
        """Remove every row."""
        super().clear()
        self.chars = 0

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or role not in (
            Qt.ItemDataRole.DisplayRole,
            Qt.ItemDataRole.ToolTipRole,
        ):
            return None
        t, port, direction, text = self.rows[index.row()]
        if role == Qt.ItemDataRole.ToolTipRole:
            if index.column() != 3:
                return None
            if _is_cut(text):
                return f"{text}\n(truncated: only the first {TEXT_CHARS} characters are kept)"
            return text
        return (format_time(t), port, direction, text[:400])[index.column()]


class ConsolePanel(QWidget):
    """A raw JSON console and a traffic view of both ports.

    Messages are sent through the connection (``write_message``): commands get
    their header and sequence id and land in the history like any other;
    events and telemetry inputs get ``compName``; a raw line goes as typed.
    """

    def __init__(
        self,
        session: Session,
        parent: QWidget | None = None,
        *,
        max_chars: int = TRAFFIC_CHARS,
    ) -> None:
        super().__init__(parent)
        self.session = session
        self.max_chars = max_chars
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

        self.model = TrafficModel(self, max_chars)
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
        self.dropped.setToolTip(
            f"The view keeps the last {TRAFFIC_ROWS} messages, {max_chars / 1e6:g} M characters "
            f"in all, and the first {TEXT_CHARS} characters of each (cut ones end with …)"
        )
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
        self.table.setWordWrap(False)
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
        self._pending: deque[Row] = deque()
        self._pending_chars = 0
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
        row = (t, port, direction, message_text(message))
        self._pending.append(row)
        self._pending_chars += _size(row)
        while len(self._pending) > TRAFFIC_ROWS or self._pending_chars > self.max_chars:
            self._pending_chars -= _size(self._pending.popleft())
            self.model.dropped += 1

    def refresh(self) -> None:
        """Move new traffic into the view."""
        if not self._pending:
            return
        rows = list(self._pending)
        self._pending.clear()
        self._pending_chars = 0
        bar = self.table.verticalScrollBar()
        at_end = bar.value() >= bar.maximum() - 2
        self.model.append(rows)
        if at_end:
            self.table.scrollToBottom()
        notes = []
        if self.skipped:
            notes.append(f"{self.skipped} not shown while paused")
        if self.model.dropped:
            notes.append(f"{self.model.dropped} older rows dropped")
        self.dropped.setText("; ".join(notes))

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
            self.show_failure(name, error)

    def show_failure(self, name: str, error: CommandError) -> None:
        """Show why a command failed: its outcome and (a bounded part of) its replies."""
        record = error.record
        reason = join_bounded(chain((record.reason,), record.user_info), RESULT_CHARS)
        self.result.setText(
            f"<span style='color:#d03030'>{html.escape(name)}: {record.outcome.value}</span> "
            f"(seq {record.sequence_id}) {html.escape(reason)}"
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
