"""`ConsolePanel`: type and send any message; watch the traffic of both ports."""

from __future__ import annotations

import logging
from typing import Any

from PySide6.QtCore import QSortFilterProxyModel, Qt
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
from m2gui.model.commanding import CommandBlocked
from m2gui.model.console_input import (
    KINDS,
    ConsoleInput,
    ConsoleInputError,
    command_name,
    parse_console_input,
)
from m2gui.model.format import ELLIPSIS, preview
from m2gui.model.session import Session
from m2gui.net import CommandError

from ..bridge import listen
from ..command_sender import outcome_html
from ..controls import NO_COMMAND, CommandButton
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
        super().__init__(TRAFFIC_ROWS, parent, max_chars)

    def row_size(self, row: Row) -> int:
        return _size(row)

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
        send = self.send_button = CommandButton(
            "Send", session, self._target, tip="Check what was typed and send it"
        )
        send.clicked.connect(self.send)
        self.kind.currentTextChanged.connect(lambda _: send.update_state())
        self.name.textChanged.connect(lambda _: send.update_state())
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
        self.skipped = 0
        self.traffic_listener = listen(self, session.traffic.message, self._traffic)
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
    def _traffic(self, batch: list[tuple[str, str, Any, float]]) -> None:
        """Show the messages of both ports that came since the last call."""
        rows: list[Row] = []
        telemetry = self.show_telemetry.isChecked()
        paused = self.pause.isChecked()
        for port, direction, message, t in batch:
            if paused:
                self.skipped += 1
            elif telemetry or port != "telemetry" or direction != "in":
                rows.append((t, port, direction, message_text(message)))
        # Keep the tail only: the view could not keep more than this anyway.
        if len(rows) > TRAFFIC_ROWS:
            self.model.dropped += len(rows) - TRAFFIC_ROWS
            rows = rows[-TRAFFIC_ROWS:]
        if rows:
            bar = self.table.verticalScrollBar()
            at_end = bar.value() >= bar.maximum() - 2
            self.model.append(rows)
            if at_end:
                self.table.scrollToBottom()
        self._show_notes()

    def _show_notes(self) -> None:
        notes = []
        if self.skipped:
            notes.append(f"{self.skipped} not shown while paused")
        if self.model.dropped:
            notes.append(f"{self.model.dropped} older rows dropped")
        self.dropped.setText("; ".join(notes))

    def _target(self) -> str | None:
        """The command the Send button sends ("" for other kinds, None for none)."""
        if self.kind.currentText() != "command":
            return NO_COMMAND
        return command_name(self.name.text()) or None

    # ------------------------------------------------------------------
    def parse(self) -> ConsoleInput | None:
        """What to send; None (with the error shown) if it cannot be sent."""
        try:
            return parse_console_input(self.kind.currentText(), self.name.text(), self.body.text())
        except ConsoleInputError as error:
            self._error(str(error))
            return None

    def _error(self, text: str) -> None:
        self.result.setText(f"<span style='color:#d03030'>Not sent: {text}</span>")

    def send(self) -> None:
        """Check what was typed and send it in the background."""
        parsed = self.parse()
        if parsed is None:
            return
        kind, name, details = parsed.kind, parsed.name, parsed.details
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
            record = await self.session.send(name, params, validate=False)
            self.result.setText(outcome_html(record))
        except CommandBlocked as error:
            self._error(str(error))
        except CommandError as error:
            self.show_failure(name, error)

    def show_failure(self, name: str, error: CommandError) -> None:
        """Show why a command failed: its outcome and (a bounded part of) its replies."""
        self.result.setText(outcome_html(error.record))

    async def _send_other(self, kind: str, name: str, details: dict[str, Any] | str) -> None:
        try:
            if kind == "raw line":
                assert isinstance(details, str)
                await self.session.send_raw(self.port.currentText(), details)
                self.result.setText(f"raw line sent on the {self.port.currentText()} port")
            else:
                assert isinstance(details, dict)
                comp = self.comp_name.text().strip() or None
                await self.session.send_message(kind, name, details, comp)
                self.result.setText(f"{kind} {name} sent")
        except (ConnectionError, ValueError, UnicodeError) as error:
            self._error(str(error))
