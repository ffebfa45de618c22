"""`CommandPanel`: every command of the catalogue, its form, and Send."""

from __future__ import annotations

import asyncio
import html
import json
import logging
from typing import Any

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QAction, QKeySequence, QTextDocumentFragment
from PySide6.QtWidgets import (
    QComboBox,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QScrollArea,
    QSplitter,
    QToolButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from m2gui.model.catalogue import CommandValidationError
from m2gui.model.commanding import (
    SOURCE_COMMAND,
    SOURCE_EVENT,
    CommandBlocked,
    csc_has_command,
)
from m2gui.model.session import Session
from m2gui.net import CommandError, CommandRecord, Outcome

from ..bridge import listen
from ..command_sender import CommandSender, outcome_html
from ..controls import CommandButton
from ..tasks import spawn
from .form import CommandForm

__all__ = ["CommandPanel"]

log = logging.getLogger(__name__)

FAVOURITES = "★ Favourites"
#: How long the banner shows that command was taken, ms.
BANNER_OUTCOME_MS = 5000
#: The narrowest the list of commands gets (long names are elided; tool tips say them).
TREE_MIN_WIDTH = 120
#: The list's width in a 420-px dock (where most names show whole).
TREE_WIDTH = 175
#: Characters of the Take command outcome shown in the banner.
OUTCOME_CHARS = 400
BANNER_WAITING = "background: #7a4b00; color: white; padding: 6px; border-radius: 3px"
BANNER_OK = "background: #1f6b37; color: white; padding: 6px; border-radius: 3px"
OUTCOME_TEXT = {
    Outcome.SENT: "sent…",
    Outcome.ACK: "acknowledged…",
    Outcome.SUCCESS: "✓ success",
    Outcome.FAIL: "✗ failed",
    Outcome.NOACK: "✗ rejected (noack)",
    Outcome.TIMEOUT: "✗ timed out",
    Outcome.DISCONNECTED: "✗ disconnected",
    Outcome.CANCELLED: "✗ cancelled",
    Outcome.INVALID: "✗ not sent (invalid parameters)",
}


class CommandPanel(QWidget):
    """Pick a command, fill its generated form, send it and watch its fate.

    Parameters
    ----------
    session : `Session`
        Catalogue, connection, events (command source), preferences.
    """

    #: Emitted when favourites or recent values change (to be saved).
    preferences_changed = Signal()

    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.catalogue = session.catalogue
        self.forms: dict[str, CommandForm] = {}
        self.form: CommandForm | None = None
        self.current: str | None = None
        self.command_sender = CommandSender(session, self)
        self.send_task: asyncio.Task[Any] | None = None
        self.last_record: CommandRecord | None = None
        self._watching: str | None = None

        self.banner = QLabel()
        self.banner.setObjectName("command_source_banner")
        self.banner.setWordWrap(True)
        self.banner.setTextFormat(Qt.TextFormat.RichText)
        self.take_command = CommandButton(
            "Take command",
            session,
            SOURCE_COMMAND,
            tip=f"Send {SOURCE_COMMAND} with isRemote = false (the form shown stays)",
        )
        self.take_command.clicked.connect(self._take_command)
        #: Sends Take command (and the confirmation dialogs of the form's commands).
        self.command_sender.reported.connect(self._take_reported)
        self.command_sender.finished.connect(self._take_finished)
        #: What the last Take command did (rich text), shown in the banner a while.
        self.take_outcome: str | None = None
        self._take_ok = False
        self._taking = False
        self._banner_style = ""
        self.banner_timer = QTimer(self)
        self.banner_timer.setSingleShot(True)
        self.banner_timer.timeout.connect(self._clear_take_outcome)
        banner_row = QHBoxLayout()
        banner_row.setContentsMargins(0, 0, 0, 0)
        banner_row.addWidget(self.banner, 1)
        banner_row.addWidget(self.take_command)
        self.banner_widget = QWidget()
        self.banner_widget.setLayout(banner_row)

        self.search = QLineEdit()
        self.search.setPlaceholderText("Search (Ctrl+L)")
        self.search.setClearButtonEnabled(True)
        self.search.textChanged.connect(self._filter)
        self.tree = QTreeWidget()
        self.tree.setObjectName("command_tree")
        self.tree.setHeaderHidden(True)
        self.tree.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        self.tree.setIndentation(12)
        self.tree.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.tree.currentItemChanged.connect(self._item_selected)
        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addWidget(self.search)
        left_layout.addWidget(self.tree)

        self.title = QLabel()
        self.title.setObjectName("command_title")
        self.title.setStyleSheet("font-weight: bold; font-size: 14px")
        self.title.setWordWrap(True)
        self.description = QLabel()
        self.description.setWordWrap(True)
        self.pin = QToolButton()
        self.pin.setText("☆ Pin")
        self.pin.setToolTip("Pin this command to the favourites")
        self.pin.clicked.connect(self._toggle_pin)
        self.recent = QComboBox()
        self.recent.setToolTip("Parameters sent recently with this command")
        self.recent.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
        )
        self.recent.setMinimumContentsLength(6)
        self.recent.setPlaceholderText("Recent")
        self.recent.activated.connect(self._recent_chosen)
        defaults = QToolButton()
        defaults.setText("Defaults")
        defaults.setToolTip("Put the catalogue's default values in the form")
        defaults.clicked.connect(self._defaults)
        tools = QHBoxLayout()
        tools.addWidget(self.pin)
        tools.addWidget(self.recent, 1)
        tools.addWidget(defaults)
        self.form_area = QScrollArea()
        self.form_area.setObjectName("command_form_area")
        self.form_area.setWidgetResizable(True)
        self.form_area.setFrameShape(QFrame.Shape.NoFrame)
        self.send_button = CommandButton(
            "Send", session, lambda: self.current, tip="Validate and send (Ctrl+Return)"
        )
        self.send_button.setObjectName("send_button")
        self.send_button.setDefault(True)
        self.send_button.clicked.connect(self.send)
        self.outcome = QLabel()
        self.outcome.setObjectName("command_outcome")
        self.outcome.setWordWrap(True)
        self.outcome.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        send_row = QHBoxLayout()
        send_row.addWidget(self.send_button)
        send_row.addWidget(self.outcome, 1)
        right = QWidget()
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(4, 0, 0, 0)
        right_layout.addWidget(self.title)
        right_layout.addWidget(self.description)
        right_layout.addLayout(tools)
        right_layout.addWidget(self.form_area, 1)
        right_layout.addLayout(send_row)

        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.addWidget(left)
        self.splitter.addWidget(right)
        self.splitter.setChildrenCollapsible(False)
        self.splitter.setStretchFactor(0, 0)  # extra room goes to the form
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setSizes([TREE_WIDTH, 420 - TREE_WIDTH])
        left.setMinimumWidth(TREE_MIN_WIDTH)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.addWidget(self.banner_widget)
        layout.addWidget(self.splitter, 1)

        #: Send the form (with its usual confirmation): Ctrl+Return, Ctrl+Enter.
        self.send_action = QAction("Send command", self)
        self.send_action.setShortcuts([QKeySequence("Ctrl+Return"), QKeySequence("Ctrl+Enter")])
        self.send_action.setToolTip("Validate and send the command in the form")
        self.send_action.triggered.connect(self.send_from_keyboard)
        #: Put the cursor in the command search: Ctrl+L.
        self.search_action = QAction("Find command", self)
        self.search_action.setShortcut(QKeySequence("Ctrl+L"))
        self.search_action.setToolTip("Search the commands by name or description")
        self.search_action.triggered.connect(self.focus_search)
        #: The panel's keyboard actions, for the window's list of shortcuts.
        self.shortcut_actions: tuple[QAction, ...] = (self.send_action, self.search_action)
        for action in self.shortcut_actions:
            action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            self.addAction(action)

        self.refresh_tree()
        self._choice_sources = self.catalogue.choice_sources()
        listen(self, session.link.changed, self.update_state, mode="poke")
        listen(self, session.events.updated, self._events_updated)
        listen(self, session.history.updated, self._progress)
        self.update_state()
        first = self.tree.topLevelItem(0)
        child = first.child(0) if first is not None and first.childCount() else None
        if child is not None:
            self.tree.setCurrentItem(child)

    # ------------------------------------------------------------------
    # The list of commands
    # ------------------------------------------------------------------
    def refresh_tree(self) -> None:
        """Rebuild the command list (groups, and the pinned favourites on top)."""
        self.tree.clear()
        favourites = self.session.preferences.favourites
        if favourites:
            group = QTreeWidgetItem([FAVOURITES])
            self.tree.addTopLevelItem(group)
            for name in favourites:
                if name in self.catalogue.commands:
                    self._command_item(group, name)
        for group_name in self.catalogue.groups:
            group = QTreeWidgetItem([group_name])
            self.tree.addTopLevelItem(group)
            for name, spec in self.catalogue.commands.items():
                if spec.group == group_name:
                    self._command_item(group, name)
        self.tree.expandAll()

    def _command_item(self, group: QTreeWidgetItem, name: str) -> QTreeWidgetItem:
        spec = self.catalogue.commands[name]
        item = QTreeWidgetItem([name + (" ⚠" if spec.dangerous else "")])
        item.setData(0, Qt.ItemDataRole.UserRole, name)
        item.setToolTip(
            0,
            f"{name}: {spec.description}" + (" (asks for confirmation)" if spec.dangerous else ""),
        )
        group.addChild(item)
        return item

    def _filter(self, text: str) -> None:
        text = text.strip().lower()
        for g in range(self.tree.topLevelItemCount()):
            group = self.tree.topLevelItem(g)
            assert group is not None
            visible = 0
            for c in range(group.childCount()):
                child = group.child(c)
                if child is None:
                    continue
                name = str(child.data(0, Qt.ItemDataRole.UserRole))
                spec = self.catalogue.commands[name]
                hit = not text or text in name.lower() or text in spec.description.lower()
                child.setHidden(not hit)
                visible += hit
            group.setHidden(visible == 0)

    def _item_selected(self, item: QTreeWidgetItem | None, _: Any = None) -> None:
        if item is None:
            return
        name = item.data(0, Qt.ItemDataRole.UserRole)
        if name:
            self.select(str(name))

    def select(self, name: str) -> CommandForm:
        """Show the form of command ``name``."""
        spec = self.catalogue.command(name)
        form = self.forms.get(name)
        if form is None:
            form = CommandForm(spec, self._choices)
            self.forms[name] = form
        if self.form is not None and self.form is not form:
            self.form_area.takeWidget()
        self.form_area.setWidget(form)
        self.form = form
        self.current = name
        danger = " ⚠ asks for confirmation" if spec.dangerous else ""
        self.title.setText(f"{name}{danger}")
        self.description.setText(
            f"{spec.description} <span style='color:#888'>(group: {spec.group}, "
            f"timeout {spec.timeout:g} s)</span>"
        )
        pinned = name in self.session.preferences.favourites
        self.pin.setText("★ Unpin" if pinned else "☆ Pin")
        self._fill_recent()
        self.outcome.setText("")
        self.update_state()
        return form

    def _choices(self, source: str) -> list[str]:
        event, field = source.split(".", 1)
        value = self.session.events.value(event, field, [])
        return [str(v) for v in value] if isinstance(value, list) else []

    def _events_updated(self, batch: list[tuple[str]]) -> None:
        names = {entry_id.split("[", 1)[0] for (entry_id,) in batch}
        if SOURCE_EVENT in names:
            self.update_state()
        if names & self._choice_sources:
            self._refresh_choices()

    def _refresh_choices(self) -> None:
        for form in self.forms.values():
            form.refresh_choices()

    # ------------------------------------------------------------------
    # Favourites and recent values
    # ------------------------------------------------------------------
    def _toggle_pin(self) -> None:
        if self.current is None:
            return
        name = self.current
        self.session.preferences.toggle_favourite(name)
        self.refresh_tree()
        self.select(name)
        self._reselect(name)
        self.preferences_changed.emit()

    def _reselect(self, name: str) -> None:
        for g in range(self.tree.topLevelItemCount()):
            group = self.tree.topLevelItem(g)
            assert group is not None
            for c in range(group.childCount()):
                child = group.child(c)
                if child is not None and child.data(0, Qt.ItemDataRole.UserRole) == name:
                    self.tree.blockSignals(True)
                    self.tree.setCurrentItem(child)
                    self.tree.blockSignals(False)
                    return

    def _fill_recent(self) -> None:
        self.recent.clear()
        # Kept in Python: a uint64 mask does not fit in a QVariant.
        self._recent = list(self.session.preferences.recent.get(self.current or "", []))
        for params in self._recent:
            text = json.dumps(params)
            self.recent.addItem(text if len(text) < 70 else text[:67] + "…")
        self.recent.setEnabled(bool(self._recent))

    def _recent_chosen(self, index: int) -> None:
        if self.form is not None and 0 <= index < len(self._recent):
            self.form.set_values(self._recent[index])

    def _defaults(self) -> None:
        if self.form is not None:
            self.form.set_values(self.form.default_values())

    def load(self, name: str, params: dict[str, Any]) -> None:
        """Put a command and its parameters in the form (re-send from history)."""
        self._reselect(name)
        form = self.select(name)
        form.set_values(params)

    # ------------------------------------------------------------------
    # State: connection and command source
    # ------------------------------------------------------------------
    def update_state(self) -> None:
        """Enable Send, and show the command-source banner, as the state allows.

        The banner shows while the CSC holds command, and for a moment after
        Take command (what it did: the outcome, or why it failed).
        """
        csc = csc_has_command(self.session)
        connected = self.session.connected
        taking = self.command_sender.busy
        if not connected or (not csc and not self._take_ok):
            self._clear_take_outcome(update=False)
        outcome = self.take_outcome
        self.banner_widget.setVisible(connected and (csc or taking or outcome is not None))
        if csc:
            text = (
                f"The CSC holds command ({SOURCE_EVENT} is true). Only "
                f"{SOURCE_COMMAND} can be sent until you take command."
            )
            if taking:
                text += "<br>Taking command…"
            elif outcome is not None:
                text += f"<br>{outcome}"
        elif taking:
            text = "Taking command…"
        else:
            text = f"✓ This GUI holds command.<br>{outcome or ''}"
        style = BANNER_WAITING if csc or taking else BANNER_OK
        if style != self._banner_style:  # restyling costs: only when it changes
            self._banner_style = style
            self.banner.setStyleSheet(style)
        if text != self.banner.text():
            self.banner.setText(text)
        self.take_command.setVisible(csc)
        busy = taking or (self.send_task is not None and not self.send_task.done())
        self.send_button.set_busy(busy)
        self.take_command.set_busy(busy)

    # ------------------------------------------------------------------
    # Sending
    # ------------------------------------------------------------------
    def collect(self) -> dict[str, Any] | None:
        """The form's parameters, validated; None (with the errors shown) if invalid."""
        if self.form is None or self.current is None:
            return None
        params, errors = self.form.values()
        if errors:
            field, message = next(iter(errors.items()))
            self.outcome.setText(f"<span style='color:#d03030'>Not sent: {field}: {message}</span>")
            return None
        try:
            return self.catalogue.validate_command(self.current, params)
        except CommandValidationError as error:
            self.form.show_problem(error.param, error.reason)
            self.outcome.setText(f"<span style='color:#d03030'>Not sent: {error}</span>")
            return None

    def send(self) -> asyncio.Task[Any] | None:
        """Validate, confirm if dangerous, and send in the background."""
        if self.current is None:
            return None
        params = self.collect()
        if params is None:
            return None
        self.send_task = spawn(self._send(self.current, params), f"sending {self.current}")
        self.update_state()
        return self.send_task

    @property
    def confirm_box(self) -> QMessageBox | None:
        """The confirmation dialog of a dangerous command, while it is open."""
        return self.command_sender.confirm_box

    async def _send(self, name: str, params: dict[str, Any]) -> CommandRecord | None:
        spec = self.catalogue.commands[name]
        if spec.needs_confirmation(params):
            self.send_button.setText("Confirm…")
            confirmed = await self.command_sender.confirm(name, params)
            if not confirmed:
                self.send_button.setText("Send")
                self.outcome.setText("Not sent: cancelled.")
                log.info("%s not sent: cancelled by the user", name)
                self._done()
                return None
        self.session.preferences.remember(name, params)
        self._fill_recent()
        self.preferences_changed.emit()
        self.send_button.setText("Sending…")
        self._watching = name
        try:
            record = await self.session.send(name, params, validate=False)
            self.last_record = record
            self._show_record(record)
            return record
        except CommandBlocked as error:
            self.outcome.setText(f"<span style='color:#d03030'>{error}</span>")
        except CommandError as error:
            self.last_record = error.record
            self._show_record(error.record)
        finally:
            self._watching = None
            self.send_button.setText("Send")
            self._done()
        return None

    def _progress(self, batch: list[tuple[CommandRecord]]) -> None:
        """Replies to the command being sent: show that it was acknowledged."""
        for (record,) in batch:
            if self._watching is not None and record.name == self._watching:
                self.send_button.setText(
                    "Acknowledged…" if record.outcome is Outcome.ACK else "Sending…"
                )

    def _done(self) -> None:
        # The task is still "running" while its finally clauses run.
        QTimer.singleShot(0, self.update_state)

    def _show_record(self, record: CommandRecord) -> None:
        label = OUTCOME_TEXT.get(record.outcome, record.outcome.value)
        self.outcome.setText(outcome_html(record, label))

    def _take_command(self) -> None:
        """Send switchCommandSource (isRemote false) without touching the form shown."""
        if self.command_sender.busy:
            return
        self._clear_take_outcome(update=False)
        self._taking = True
        self.command_sender.send(SOURCE_COMMAND, {"isRemote": False})
        self.update_state()

    def _take_reported(self, text: str) -> None:
        if not self._taking:
            return
        # The sender's colours are made for the form; the banner has its own.
        plain = QTextDocumentFragment.fromHtml(text).toPlainText()
        self.take_outcome = f"<b>{html.escape(plain[:OUTCOME_CHARS])}</b>"

    def _take_finished(self, record: CommandRecord | None) -> None:
        if not self._taking:
            return
        self._taking = False
        self._take_ok = record is not None and record.outcome is Outcome.SUCCESS
        if self._take_ok:
            self.banner_timer.start(BANNER_OUTCOME_MS)
        log.info("take command: %s", "done" if self._take_ok else "not done")
        self._done()

    def _clear_take_outcome(self, update: bool = True) -> None:
        self.banner_timer.stop()
        self.take_outcome = None
        self._take_ok = False
        if update:
            self.update_state()

    # ------------------------------------------------------------------
    # Keyboard
    # ------------------------------------------------------------------
    def send_from_keyboard(self) -> asyncio.Task[Any] | None:
        """Ctrl+Return: send the form as Send does, or say why it may not be sent."""
        if self.form is not None:
            self.form.commit_edits()
        reason = self.send_button.blocked_reason()
        if reason is not None:
            self.outcome.setText(
                f"<span style='color:#d03030'>Not sent: {html.escape(reason)}</span>"
            )
            return None
        return self.send()

    def focus_search(self) -> None:
        """Ctrl+L: put the cursor in the command search, its text selected."""
        self.search.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.search.selectAll()
