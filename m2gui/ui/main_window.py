"""The main window: connection toolbar, panels registered in one place, menus, settings.

Every frequent action is a `QAction` with a shortcut; Help > Keyboard
shortcuts lists them, read from the actions of the window and its panels.
"""

from __future__ import annotations

import concurrent.futures
import logging
import platform
from collections.abc import Callable

import pyqtgraph
import PySide6
from PySide6.QtCore import QByteArray, QSettings, Qt, QTimer, Signal, qVersion
from PySide6.QtGui import QAction, QCloseEvent, QGuiApplication, QKeySequence
from PySide6.QtWidgets import (
    QDockWidget,
    QFileDialog,
    QLabel,
    QMainWindow,
    QMessageBox,
    QWidget,
)

import m2gui
from m2gui.model.history import Preferences
from m2gui.model.log_store import LogStore
from m2gui.model.ops.local_mode import LocalMode
from m2gui.model.plot_layout import DEFAULT_LAYOUT, PlotLayout
from m2gui.model.session import Session
from m2gui.net import DEFAULT_COMMAND_PORT, DEFAULT_TELEMETRY_PORT, ConnectionState
from m2gui.record.live import LiveRecording
from m2gui.record.replay import ReplaySource

from .bridge import listen
from .commands.console import ConsolePanel
from .commands.history_panel import HistoryPanel
from .commands.panel import CommandPanel
from .connect_dialog import ConnectDialog
from .connection_bar import ConnectionBar
from .domain_views import CELL_VIEWS, OPERATIONS_VIEWS, DomainTabs
from .events_panel import EventsPanel
from .log_panel import LogPanel
from .plots.area import PlotArea
from .plots.browser import SignalBrowser
from .recording_export import install_recording_menu
from .recording_status import RecordingStatus, record_action
from .replay_bar import ReplayBar
from .settings import setting_int
from .shortcuts_dialog import ShortcutsDialog
from .source_banner import SourceBanner
from .tasks import spawn
from .workspace import Workspace

__all__ = ["MainWindow", "default_dock_sizes"]

log = logging.getLogger(__name__)

AREAS = {
    "left": Qt.DockWidgetArea.LeftDockWidgetArea,
    "right": Qt.DockWidgetArea.RightDockWidgetArea,
    "bottom": Qt.DockWidgetArea.BottomDockWidgetArea,
    "top": Qt.DockWidgetArea.TopDockWidgetArea,
}
#: Bumped when the dock layout changes so that an old saved layout is ignored.
LAYOUT_VERSION = 5
#: The window's size when nothing is saved (smaller if the screen is).
DEFAULT_SIZE = (1400, 860)
#: Default dock sizes, px: Signals (its names' width, at most a share of the
#: window), the right docks (Commands, Events), the bottom docks (Log, ...).
SIGNALS_WIDTH = (200, 0.2)
RIGHT_WIDTH = (420, 0.28, 560)
BOTTOM_HEIGHT = (150, 0.22, 260)


def default_dock_sizes(width: int, height: int, signals_hint: int) -> tuple[int, int, int]:
    """Default dock sizes for a window of ``width`` x ``height``.

    Parameters
    ----------
    width, height : `int`
        The window's size, px.
    signals_hint : `int`
        The width the signal browser asks for (its names whole), px.

    Returns
    -------
    signals, right, bottom : `int`
        Width of the Signals dock, of the right docks, height of the bottom docks.
    """
    low, share = SIGNALS_WIDTH
    signals = max(low, min(signals_hint, round(width * share)))
    low, share, high = RIGHT_WIDTH
    right = max(low, min(high, round(width * share)))
    low, share, high = BOTTOM_HEIGHT
    bottom = max(low, min(high, round(height * share)))
    return signals, right, bottom


#: Seconds (ticks of the 1 s long-history timer) between two heartbeats of the
#: recording's pyramid writer, so an idle live pyramid never looks abandoned.
HEARTBEAT_TICKS = 10


class MainWindow(QMainWindow):
    """The m2gui window. Panels plug in through `add_panel`.

    Parameters
    ----------
    session : `Session`
        Catalogue, connection and stores.
    settings : `QSettings`
        Where geometry, layout and the last address are saved.
    log_handler : `LogStore` or None
        The handler feeding the log panel (a new one if None).
    remember_address : `bool`
        Save the address on close (off for the embedded simulator's ports).
    """

    #: Emitted once the window has closed (the application then shuts down).
    closed = Signal()
    #: File > Open recording: the folder chosen (the application opens a replay window).
    open_recording_requested = Signal(str)

    def __init__(
        self,
        session: Session,
        settings: QSettings,
        log_handler: LogStore | None = None,
        remember_address: bool = True,
        parent: QWidget | None = None,
        recording: LiveRecording | None = None,
    ) -> None:
        super().__init__(parent)
        self.session = session
        self.recording = recording
        self.remember_address = remember_address
        self.settings = settings
        self.setWindowTitle("m2gui — LSST M2 cell controller")
        self.setObjectName("m2gui_main_window")
        self.setDockNestingEnabled(True)
        # The right docks (Commands) take the full height; the bottom ones
        # span the signals and the workspace.
        self.setCorner(Qt.Corner.BottomRightCorner, Qt.DockWidgetArea.RightDockWidgetArea)
        self.panels: dict[str, QDockWidget] = {}
        #: Ctrl+1, Ctrl+2... : show a workspace tab.
        self.tab_actions: list[QAction] = []
        self.workspace = Workspace()
        self.workspace.setObjectName("workspace")
        self.workspace.setDocumentMode(True)
        self.setCentralWidget(self.workspace)
        self._make_actions()
        self.connection_bar = ConnectionBar(
            session, self.connect_action, self.disconnect_action, self
        )
        self.addToolBar(self.connection_bar)
        self.banner = SourceBanner(session.source, self)
        self.addToolBarBreak()
        self.addToolBar(self.banner)
        self.replay_bar: ReplayBar | None = None
        if isinstance(session.source, ReplaySource):
            self.replay_bar = ReplayBar(session.source, self)
            self.addToolBarBreak()
            self.addToolBar(self.replay_bar)
        if session.read_only is not None:
            self.connection_bar.setVisible(False)
            self.setWindowTitle(f"m2gui — {session.source.describe()}")
        self._make_menus()
        self.status = QLabel()
        self.statusBar().addPermanentWidget(self.status)
        self.recording_status: RecordingStatus | None = None
        self.record_action: QAction | None = None
        if recording is not None:
            self.record_action = record_action(recording, self)
            self.addAction(self.record_action)
            self.connection_bar.addSeparator()
            self.connection_bar.addAction(self.record_action)
            self.recording_status = RecordingStatus(recording)
            self.statusBar().addPermanentWidget(self.recording_status)
            listen(self, recording.failed, self._recording_failed, mode="latest")
        self._background = concurrent.futures.ThreadPoolExecutor(1, "m2gui-history")
        self._refreshing: concurrent.futures.Future[None] | None = None
        self._ticks = 0
        self.history_timer = QTimer(self)
        self.history_timer.setInterval(1000)
        self.history_timer.timeout.connect(self.follow_long_history)
        self.history_timer.start()
        self.log_handler = log_handler or LogStore()
        self.plot_area = PlotArea(
            session.telemetry,
            session.catalogue,
            settings=settings,
            long_history=lambda: session.long_history,
        )
        self.signal_browser = SignalBrowser(session.catalogue)
        self.signal_browser.plot_requested.connect(self.plot)
        self.events_panel = EventsPanel(session.events)
        self.log_panel = LogPanel(self.log_handler)
        self.command_panel = CommandPanel(session)
        self.history_panel = HistoryPanel(session.history, catalogue=session.catalogue)
        self.console_panel = ConsolePanel(session)
        self.history_panel.resend_requested.connect(self.resend)
        # The controller's local mode follows faults from the start, shown or not.
        session.store(LocalMode)
        self.operations = DomainTabs(session, OPERATIONS_VIEWS)
        self.cell = DomainTabs(session, CELL_VIEWS)
        self.add_panel("plots", "Plots", self.plot_area, "center")
        self.add_panel("operations", "Operations", self.operations, "center")
        self.add_panel("cell", "Mirror cell", self.cell, "center")
        self.add_panel("signals", "Signals", self.signal_browser, "left")
        self.add_panel("events", "Events", self.events_panel, "right")
        self.add_panel("commands", "Commands", self.command_panel, "right", tabify_with="events")
        self.add_panel("log", "Log", self.log_panel, "bottom")
        self.add_panel(
            "history", "Command history", self.history_panel, "bottom", tabify_with="log"
        )
        self.add_panel("console", "Console", self.console_panel, "bottom", tabify_with="log")
        self.panels["commands"].raise_()
        self.panels["history"].raise_()
        self._command_search_shortcut()
        listen(self, session.link.changed, self._update_actions, mode="poke")
        listen(self, session.plots.requested, self._plot_requested)
        self._update_actions()
        self._dialog: ConnectDialog | None = None
        self._closing = False
        install_recording_menu(self)
        self.restore_settings()

    # ------------------------------------------------------------------
    # Panels
    # ------------------------------------------------------------------
    def add_panel(
        self, key: str, title: str, widget: QWidget, area: str, tabify_with: str | None = None
    ) -> QWidget:
        """Register a panel: a tab of the central workspace or a dock.

        Parameters
        ----------
        key : `str`
            Unique name (also used to save the layout).
        title : `str`
            Title shown to the user.
        widget : `QWidget`
            The panel.
        area : `str`
            "center", "left", "right", "top" or "bottom".
        tabify_with : `str` or None
            Key of a dock to share tabs with.
        """
        if area == "center":
            widget.setObjectName(f"panel_{key}")
            index = self.workspace.add_page(widget, title)
            if index < 9:
                action = QAction(f"Show the {title} tab", self)
                action.setShortcut(QKeySequence(f"Ctrl+{index + 1}"))
                action.triggered.connect(lambda: self.workspace.setCurrentWidget(widget))
                self.addAction(action)
                self.go_menu.addAction(action)
                self.tab_actions.append(action)
            return widget
        dock = QDockWidget(title, self)
        dock.setObjectName(f"dock_{key}")
        dock.setWidget(widget)
        self.addDockWidget(AREAS[area], dock)
        if tabify_with is not None:
            self.tabifyDockWidget(self.panels[tabify_with], dock)
        self.panels[key] = dock
        action = dock.toggleViewAction()
        action.setText(title)
        self.view_menu.addAction(action)
        return dock

    # ------------------------------------------------------------------
    # Actions and menus
    # ------------------------------------------------------------------
    def _make_actions(self) -> None:
        self.connect_action = QAction("Connect", self)
        self.connect_action.setShortcut(QKeySequence("Ctrl+K"))
        self.connect_action.setToolTip("Connect to the controller (Ctrl+K)")
        self.connect_action.triggered.connect(self.connect_to_controller)
        self.disconnect_action = QAction("Disconnect", self)
        self.disconnect_action.setShortcut(QKeySequence("Ctrl+Shift+K"))
        self.disconnect_action.setToolTip("Disconnect (Ctrl+Shift+K)")
        self.disconnect_action.triggered.connect(self.disconnect_from_controller)
        self.connect_dialog_action = QAction("Connect to…", self)
        self.connect_dialog_action.triggered.connect(self.open_connect_dialog)
        self.quit_action = QAction("Quit", self)
        # The platform's Quit key, or Ctrl+Q where the platform has none.
        self.quit_action.setShortcuts(
            QKeySequence.keyBindings(QKeySequence.StandardKey.Quit) or [QKeySequence("Ctrl+Q")]
        )
        self.quit_action.setShortcutContext(Qt.ShortcutContext.ApplicationShortcut)
        self.quit_action.triggered.connect(self.close)
        self.about_action = QAction("About m2gui", self)
        self.about_action.triggered.connect(self.show_about)
        self.shortcuts_action = QAction("Keyboard shortcuts", self)
        self.shortcuts_action.setShortcut(QKeySequence.StandardKey.HelpContents)
        self.shortcuts_action.triggered.connect(self.show_shortcuts)
        self.search_action = self._action("Search the signals", "Ctrl+F", self.focus_signal_search)
        self.plot_action = self._action("Plot the selected signals", "Ctrl+P", self.plot_selected)
        self.next_panel_action = self._action(
            "Next plot panel", "Ctrl+PgDown", lambda: self.select_plot_panel(+1)
        )
        self.previous_panel_action = self._action(
            "Previous plot panel", "Ctrl+PgUp", lambda: self.select_plot_panel(-1)
        )
        self.pause_action = self._action(
            "Pause or resume all plots", "Ctrl+Space", self.toggle_pause_all
        )

    def _action(self, text: str, keys: str, slot: Callable[[], object]) -> QAction:
        """A window-wide action with a shortcut (also active while the menus are hidden)."""
        action = QAction(text, self)
        action.setShortcut(QKeySequence(keys))
        action.triggered.connect(slot)
        self.addAction(action)
        return action

    def _make_menus(self) -> None:
        bar = self.menuBar()
        file_menu = bar.addMenu("&File")
        self.open_recording_action = file_menu.addAction("Open recording…")
        self.open_recording_action.setShortcut(QKeySequence("Ctrl+O"))
        self.open_recording_action.triggered.connect(self.request_open_recording)
        file_menu.addSeparator()
        open_layout = file_menu.addAction("Open plot layout…")
        open_layout.triggered.connect(lambda: self._layout_dialog(save=False))
        save_layout = file_menu.addAction("Save plot layout…")
        save_layout.triggered.connect(lambda: self._layout_dialog(save=True))
        file_menu.addSeparator()
        file_menu.addAction(self.quit_action)
        connection_menu = bar.addMenu("&Connection")
        for action in (self.connect_action, self.connect_dialog_action, self.disconnect_action):
            connection_menu.addAction(action)
        self.view_menu = bar.addMenu("&View")
        self.go_menu = bar.addMenu("&Go")
        self.go_menu.addAction(self.search_action)
        plots_menu = bar.addMenu("&Plots")
        for action in (
            self.plot_action,
            self.pause_action,
            self.next_panel_action,
            self.previous_panel_action,
        ):
            plots_menu.addAction(action)
        help_menu = bar.addMenu("&Help")
        help_menu.addAction(self.shortcuts_action)
        help_menu.addAction(self.about_action)

    def follow_long_history(self) -> None:
        """Give the plots the recording's long history once on disk; pick up what it gained."""
        session = self.session
        if self.recording is not None:
            # A new folder after Record off and on: the plots follow it.
            archive = self.recording.archive()
            if archive is not None and archive is not session.long_history:
                session.long_history = archive
        self._ticks += 1
        if self.recording is not None and self._ticks % HEARTBEAT_TICKS == 0:
            self._background.submit(self.recording.heartbeat)
        history = session.long_history
        if history is not None and (self._refreshing is None or self._refreshing.done()):
            # Off the GUI thread: a refresh waits while a plot query reads the disk.
            self._refreshing = self._background.submit(history.refresh)

    def _recording_failed(self, batch: list[tuple[str]]) -> None:
        self.statusBar().showMessage(f"Recording stopped: {batch[-1][0]}", 30_000)

    def request_open_recording(self) -> QFileDialog:
        """Ask for a recording folder; `open_recording_requested` carries the choice."""
        dialog = QFileDialog(self, "Open recording")
        dialog.setFileMode(QFileDialog.FileMode.Directory)
        dialog.setOption(QFileDialog.Option.ShowDirsOnly, True)
        if self.recording is not None:
            dialog.setDirectory(str(self.recording.options.root))
        dialog.fileSelected.connect(self.open_recording_requested.emit)
        dialog.open()
        return dialog

    def _update_actions(self) -> None:
        status = self.session.link.status
        idle = status.state is ConnectionState.DISCONNECTED
        live = self.session.read_only is None
        self.connect_action.setEnabled(idle and live)
        self.connect_dialog_action.setEnabled(idle and live)
        self.disconnect_action.setEnabled(not idle and live)
        self.status.setText(status.address)

    def connect_to_controller(self) -> None:
        """Connect to the address shown in the toolbar."""
        host, command_port, telemetry_port = self.connection_bar.address()
        if not host or command_port == telemetry_port:
            log.error("cannot connect: give a host and two different ports")
            return
        self.session.set_address(host, command_port, telemetry_port)
        self.session.connect()
        self._update_actions()

    def disconnect_from_controller(self) -> None:
        """Disconnect (commands in flight fail) and stop reconnecting."""
        spawn(self.session.disconnect(), "disconnect")

    def open_connect_dialog(self) -> ConnectDialog:
        """Ask for the controller's address; connect when accepted."""
        host, command_port, telemetry_port = self.connection_bar.address()
        dialog = ConnectDialog(host, command_port, telemetry_port, self)
        dialog.accepted.connect(lambda: self._dialog_accepted(dialog))
        dialog.open()
        self._dialog = dialog
        return dialog

    def _dialog_accepted(self, dialog: ConnectDialog) -> None:
        self.connection_bar.set_address(*dialog.values())
        self.connect_to_controller()

    def _plot_requested(self, batch: list[tuple[list[str]]]) -> None:
        """A view asked for signals to be plotted ("Plot" in its context menu)."""
        self.plot([name for (names,) in batch for name in names])

    def plot(self, names: list[str]) -> None:
        """Add signals to the current plot panel and show the Plots tab."""
        if names:
            self.plot_area.plot(list(dict.fromkeys(names)))
            self.workspace.setCurrentWidget(self.plot_area)

    # ------------------------------------------------------------------
    # Keyboard
    # ------------------------------------------------------------------
    def focus_signal_search(self) -> None:
        """Show the Signals dock and put the keyboard in its search box (Ctrl+F)."""
        dock = self.panels["signals"]
        dock.show()
        dock.raise_()
        self.signal_browser.focus_search()

    def plot_selected(self) -> None:
        """Plot the signals selected in the browser (Ctrl+P)."""
        self.signal_browser.plot_selected()

    def select_plot_panel(self, step: int) -> None:
        """Make the next (+1) or previous (-1) plot panel current, Plots tab shown."""
        self.workspace.setCurrentWidget(self.plot_area)
        self.plot_area.select_panel(step)

    def toggle_pause_all(self) -> None:
        """Pause every plot panel, or resume them all if all are paused (Ctrl+Space)."""
        self.plot_area.pause_all(not self.plot_area.all_paused)

    def _command_search_shortcut(self) -> None:
        """Make the command panel's "Find command" (Ctrl+L) work anywhere in the window.

        The panel's own action is added to the window (one action for the
        key, so never an ambiguous shortcut) and also shows the Commands dock.
        """
        action = self.command_panel.search_action
        self.addAction(action)
        action.triggered.connect(self.show_command_search)
        self.go_menu.insertAction(self.tab_actions[0], action)
        self.go_menu.insertSeparator(self.tab_actions[0])

    def show_command_search(self) -> None:
        """Show the Commands dock and put the keyboard in its search box (Ctrl+L)."""
        dock = self.panels["commands"]
        dock.show()
        dock.raise_()
        self.command_panel.focus_search()

    def show_shortcuts(self) -> ShortcutsDialog:
        """Help > Keyboard shortcuts (non-blocking)."""
        dialog = ShortcutsDialog(self, self.workspace)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()
        return dialog

    def resend(self, name: str, params: dict[str, object]) -> None:
        """Put a past command back in the command form and show it."""
        self.command_panel.load(name, params)
        self.panels["commands"].show()
        self.panels["commands"].raise_()

    def _layout_dialog(self, save: bool) -> QFileDialog:
        dialog = QFileDialog(self, "Save plot layout" if save else "Open plot layout")
        dialog.setNameFilter("Plot layouts (*.json)")
        dialog.setDefaultSuffix("json")
        if save:
            dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
            dialog.fileSelected.connect(self.plot_area.save_layout)
        else:
            dialog.setFileMode(QFileDialog.FileMode.ExistingFile)
            dialog.fileSelected.connect(self.plot_area.load_layout)
        dialog.open()
        return dialog

    def about_text(self) -> str:
        """Versions of m2gui and what it runs on."""
        return (
            f"<b>m2gui {m2gui.__version__}</b><br>"
            "Engineering GUI for the LSST M2 cell controller.<br><br>"
            f"Qt {qVersion()}<br>PySide6 {PySide6.__version__}<br>"
            f"pyqtgraph {pyqtgraph.__version__}<br>Python {platform.python_version()}"
        )

    def show_about(self) -> QMessageBox:
        """Show Help > About (window-modal, never blocking the loop)."""
        box = QMessageBox(
            QMessageBox.Icon.Information, "About m2gui", self.about_text(), parent=self
        )
        box.setTextFormat(Qt.TextFormat.RichText)
        box.open()
        return box

    # ------------------------------------------------------------------
    # Settings
    # ------------------------------------------------------------------
    def restore_settings(self) -> None:
        """Restore geometry, dock layout and the last address."""
        s = self.settings
        geometry = s.value("window/geometry")
        state = s.value("window/state")
        if isinstance(geometry, QByteArray):
            self.restoreGeometry(geometry)
        if isinstance(state, QByteArray) and setting_int(s, "window/layout", 0) == LAYOUT_VERSION:
            self.restoreState(state, LAYOUT_VERSION)
        elif isinstance(geometry, QByteArray):
            self.apply_default_layout(self.width(), self.height())
        else:
            width, height = self.default_size()
            self.apply_default_layout(width, height)
            if (width, height) != DEFAULT_SIZE:  # a small screen: use all of it
                self.setWindowState(Qt.WindowState.WindowMaximized)
        self.workspace.setCurrentIndex(setting_int(s, "window/tab", 0))
        layout = DEFAULT_LAYOUT
        saved = s.value("plots/layout")
        if isinstance(saved, str) and saved:
            try:
                layout = PlotLayout.from_json(saved, self.session.catalogue)
            except ValueError as error:
                log.warning("ignoring the saved plot layout: %s", error)
        self.plot_area.apply_layout(layout)
        prefs = s.value("commands/preferences")
        if isinstance(prefs, str):
            self.session.preferences = Preferences.from_json(prefs)
            self.command_panel.refresh_tree()

    def default_size(self) -> tuple[int, int]:
        """`DEFAULT_SIZE`, no larger than the screen's available area.

        On a smaller screen the window then opens maximized. The offscreen
        platform has no real screen (800 x 600): there the default is kept,
        as screenshots expect.
        """
        width, height = DEFAULT_SIZE
        screen = self.screen() or QGuiApplication.primaryScreen()
        if screen is not None and QGuiApplication.platformName() != "offscreen":
            available = screen.availableGeometry().size()
            width, height = min(width, available.width()), min(height, available.height())
        return width, height

    def apply_default_layout(self, width: int, height: int) -> None:
        """Resize the window and give the docks their default sizes for that size.

        See `default_dock_sizes`: Signals shows its names whole (up to a
        fifth of the width), the right docks get their usable width, the
        workspace takes the rest.
        """
        self.resize(width, height)
        signals, right, bottom = default_dock_sizes(
            width, height, self.signal_browser.sizeHint().width()
        )
        horizontal, vertical = Qt.Orientation.Horizontal, Qt.Orientation.Vertical
        self.resizeDocks([self.panels["signals"]], [signals], horizontal)
        self.resizeDocks([self.panels["events"]], [right], horizontal)
        self.resizeDocks([self.panels["log"]], [bottom], vertical)

    def last_address(self) -> tuple[str, int, int]:
        """The address saved last time (defaults: 127.0.0.1, 50010, 50011)."""
        s = self.settings
        return (
            str(s.value("connection/host", "127.0.0.1")),
            setting_int(s, "connection/command_port", DEFAULT_COMMAND_PORT),
            setting_int(s, "connection/telemetry_port", DEFAULT_TELEMETRY_PORT),
        )

    def save_settings(self) -> None:
        """Save geometry, dock layout and the current address."""
        s = self.settings
        s.setValue("window/geometry", self.saveGeometry())
        s.setValue("window/state", self.saveState(LAYOUT_VERSION))
        s.setValue("window/layout", LAYOUT_VERSION)
        s.setValue("window/tab", self.workspace.currentIndex())
        s.setValue("plots/layout", self.plot_area.to_layout().to_json())
        s.setValue("commands/preferences", self.session.preferences.to_json())
        host, command_port, telemetry_port = self.connection_bar.address()
        if self.remember_address:
            s.setValue("connection/host", host)
            s.setValue("connection/command_port", command_port)
            s.setValue("connection/telemetry_port", telemetry_port)
        s.sync()

    def closeEvent(self, event: QCloseEvent) -> None:
        if not self._closing:
            self._closing = True
            self.save_settings()
            self.history_timer.stop()
            self._background.shutdown(wait=False, cancel_futures=True)
            self.plot_area.shutdown()
            self.closed.emit()
        event.accept()
