"""The m2gui application: command line, logging, QApplication on a qasync loop."""

from __future__ import annotations

import argparse
import asyncio
import inspect
import logging
import logging.handlers
import os
import signal
import socket
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from types import TracebackType
from typing import Any

os.environ.setdefault("QT_API", "pyside6")

import platformdirs
import qasync
from PySide6.QtCore import (
    QMessageLogContext,
    QSettings,
    QSocketNotifier,
    Qt,
    QtMsgType,
    qInstallMessageHandler,
)
from PySide6.QtWidgets import QApplication, QMessageBox

import m2gui
from m2gui.broker import BrokerSource, BrokerUrlError, Publisher
from m2gui.broker.options import add_broker_arguments, broker_login, broker_url
from m2gui.model import load_catalogue
from m2gui.model.link import LinkStatus
from m2gui.model.log_store import LogStore
from m2gui.model.memory import available_memory, format_bytes
from m2gui.model.session import Session
from m2gui.model.telemetry import (
    NOMINAL_RATE_HZ,
    check_history,
    largest_history,
    planned_nbytes,
)
from m2gui.net import DEFAULT_COMMAND_PORT, DEFAULT_TELEMETRY_PORT
from m2gui.record import RecordingError
from m2gui.record import open as open_recording
from m2gui.record.archive import Archive
from m2gui.record.live import LiveRecording, RecordingOptions
from m2gui.record.replay import ReplaySource
from m2gui.record.retention import default_root
from m2gui.sim import ControllerSimulator
from m2gui.sim.injection import injection_argument
from m2gui.ui.broker_status import BrokerStatus
from m2gui.ui.main_window import MainWindow
from m2gui.ui.settings import open_settings, setting_float, setting_int
from m2gui.ui.tasks import cancel_all, spawn

__all__ = ["build_parser", "history_seconds", "main", "parse_args"]

log = logging.getLogger("m2gui")
#: Seconds `--screenshot` waits for the connection and the first telemetry.
SCREENSHOT_TIMEOUT = 30.0


def history_seconds(text: str) -> float:
    """The ``--history`` option: a finite number of seconds greater than zero."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {text!r}") from None
    try:
        return check_history(value)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"must be a finite number of seconds greater than zero, not {text!r}"
        ) from None


def _history_help() -> str:
    catalogue = load_catalogue()
    columns = sum(f.width for t in catalogue.telemetry.values() for f in t.fields.values())
    per_minute = format_bytes(planned_nbytes(catalogue, 60.0))
    return (
        f"seconds of telemetry history kept for the plots (default 600). Memory: every "
        f"telemetry column of the catalogue ({columns}) x {NOMINAL_RATE_HZ:g} Hz x 8 bytes "
        f"per second, plus a quarter of slack and the min/max zoom pyramid: about "
        f"{per_minute} per minute of history, taken as the topics arrive. A history that "
        f"needs more than the available memory is refused at start"
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="m2gui", description="Engineering GUI for the LSST M2 cell controller."
    )
    parser.add_argument("--host", help="controller host (else: ask, prefilled with the last)")
    parser.add_argument("--command-port", type=int, default=None, help="default 50010")
    parser.add_argument("--telemetry-port", type=int, default=None, help="default 50011")
    parser.add_argument(
        "--simulate",
        action="store_true",
        help="start the embedded controller simulator in this process and connect to it",
    )
    parser.add_argument(
        "--inject",
        action="append",
        default=[],
        type=injection_argument,
        metavar="SPEC",
        help="with --simulate: a controller condition to inject (repeatable), e.g. "
        "fault:6055, limit_switch:12:retract, breaker:motor:0@5 (see m2gui-sim --help)",
    )
    parser.add_argument(
        "--replay",
        type=Path,
        metavar="PATH",
        help="open a recording (a folder, or one part file) and play it into the same views; "
        "commands are disabled",
    )
    parser.add_argument(
        "--record",
        type=Path,
        metavar="PATH",
        help="record this run into the folder PATH (recording is otherwise on by default, "
        "into a new folder under --record-root for each run)",
    )
    parser.add_argument(
        "--no-record", action="store_true", help="do not record this run (Record in the toolbar)"
    )
    parser.add_argument(
        "--record-root",
        type=Path,
        metavar="DIR",
        help="where recordings are kept (default: the user data folder's m2gui/recordings); "
        "retention: settings recording/retention_days and recording/retention_gb",
    )
    parser.add_argument(
        "--publish",
        type=broker_url,
        metavar="URL",
        help="publish everything the controller connection receives to an MQTT broker, "
        "mqtt[s]://BROKER[:PORT]/PREFIX, for read-only viewers",
    )
    parser.add_argument(
        "--source",
        type=broker_url,
        metavar="URL",
        help="open a read-only viewer on a publisher's broker, mqtt[s]://BROKER[:PORT]/PREFIX "
        "(commands disabled)",
    )
    add_broker_arguments(parser)
    parser.add_argument("--log-level", default="INFO", help="DEBUG, INFO, WARNING or ERROR")
    parser.add_argument("--log-file", type=Path, help="default: m2gui.log in the user log dir")
    parser.add_argument("--no-reconnect", action="store_true", help="do not reconnect after a drop")
    parser.add_argument(
        "--screenshot",
        type=Path,
        metavar="PATH",
        help="once connected and telemetry is shown, save the window as PNG and quit",
    )
    parser.add_argument(
        "--layout", type=Path, metavar="PATH", help="plot layout (JSON) to open at start"
    )
    parser.add_argument(
        "--history",
        type=history_seconds,
        default=600.0,
        metavar="SECONDS",
        help=_history_help(),
    )
    parser.add_argument("--version", action="version", version=f"m2gui {m2gui.__version__}")
    parser.add_argument("--screenshot-after", type=float, default=1.5, help=argparse.SUPPRESS)
    parser.add_argument("--settings", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--quit-after", type=float, help=argparse.SUPPRESS)
    parser.add_argument("--quit-when-connected", action="store_true", help=argparse.SUPPRESS)
    return parser


def history_memory(history: float) -> tuple[int, int | None]:
    """Bytes the telemetry history of ``history`` seconds takes, and bytes available."""
    return planned_nbytes(load_catalogue(), history), available_memory()


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Parse the command line; exit with status 2 and a message if it is unusable.

    Beyond argparse's own checks, a ``--history`` that needs more memory than
    the machine has available is refused here, before anything starts.
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.inject and not args.simulate:
        parser.error("argument --inject: only with --simulate (the embedded simulator)")
    if args.replay is not None and (args.simulate or args.host):
        parser.error("argument --replay: not with --simulate or --host (a replay is its source)")
    if args.record is not None and args.no_record:
        parser.error("argument --record: not with --no-record")
    if args.source is not None and (args.simulate or args.host or args.replay or args.publish):
        parser.error(
            "argument --source: not with --simulate, --host, --replay or --publish "
            "(a viewer's controller is the publisher's)"
        )
    if args.publish is not None and args.replay is not None:
        parser.error("argument --publish: not with --replay (publish a live controller)")
    for url in (args.publish, args.source):
        if url is not None:
            try:
                args.broker_login = broker_login(args, url)
            except BrokerUrlError as error:
                parser.error(str(error))
    need, available = history_memory(args.history)
    if available is not None and need > available:
        fits = largest_history(load_catalogue(), available)
        parser.error(
            f"argument --history: {args.history:g} s of telemetry history needs "
            f"{format_bytes(need)} of memory, more than the {format_bytes(available)} "
            f"available; at most {fits} s fit"
        )
    return args


def log_history_memory(history: float) -> None:
    """Log, at start, the memory the telemetry history will take."""
    need, available = history_memory(history)
    of = f" of {format_bytes(available)} available" if available is not None else ""
    level = logging.INFO
    if available is not None and need > available / 2:
        level = logging.WARNING
    log.log(
        level,
        "telemetry history %g s: up to %s of memory%s",
        history,
        format_bytes(need),
        of,
    )


def setup_logging(level: str, log_file: Path | None) -> LogStore:
    """Log to stderr, to a rotating file and to the log panel."""
    root = logging.getLogger()
    root.setLevel(level.upper())
    fmt = logging.Formatter("%(asctime)s %(levelname)-7s %(name)s: %(message)s")
    stderr = logging.StreamHandler()
    stderr.setFormatter(fmt)
    stderr.setLevel(logging.WARNING)
    path = log_file or platformdirs.user_log_path("m2gui") / "m2gui.log"
    path.parent.mkdir(parents=True, exist_ok=True)
    file_handler = logging.handlers.RotatingFileHandler(
        path, maxBytes=5 * 2**20, backupCount=3, encoding="utf-8"
    )
    file_handler.setFormatter(fmt)
    panel = LogStore()
    for handler in (stderr, file_handler, panel):
        root.addHandler(handler)
    log.info("m2gui %s, logging to %s", m2gui.__version__, path)
    return panel


#: Qt messages that are platform noise, logged at debug level only.
QT_NOISE = ("propagateSizeHints",)
QT_LEVELS = {
    QtMsgType.QtDebugMsg: logging.DEBUG,
    QtMsgType.QtInfoMsg: logging.INFO,
    QtMsgType.QtWarningMsg: logging.WARNING,
    QtMsgType.QtCriticalMsg: logging.ERROR,
    QtMsgType.QtFatalMsg: logging.CRITICAL,
}


def qt_message_handler(kind: QtMsgType, context: QMessageLogContext, message: str) -> None:
    """Route Qt's own messages into Python logging (logger ``qt``)."""
    level = QT_LEVELS.get(kind, logging.WARNING)
    if any(noise in message for noise in QT_NOISE):
        level = logging.DEBUG
    logging.getLogger("qt").log(level, "%s", message)


def install_excepthook(loop: asyncio.AbstractEventLoop) -> None:
    """Send uncaught exceptions (Qt slots, asyncio callbacks) to the log."""

    def hook(kind: type[BaseException], value: BaseException, tb: TracebackType | None) -> None:
        log.critical("uncaught exception: %s", value, exc_info=(kind, value, tb))

    def loop_hook(loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        error = context.get("exception")
        log.error("asyncio: %s", context.get("message"), exc_info=error)

    sys.excepthook = hook
    loop.set_exception_handler(loop_hook)


class SignalWatcher:
    """Ctrl+C and SIGTERM close the window, without polling.

    Python runs signal handlers only when it gets control; the wake-up fd makes
    Qt's event loop notice the signal at once.
    """

    def __init__(self, on_signal: Any) -> None:
        self.reader, self.writer = socket.socketpair()
        self.reader.setblocking(False)
        self.writer.setblocking(False)
        self.previous_fd = signal.set_wakeup_fd(self.writer.fileno())
        self.notifier = QSocketNotifier(self.reader.fileno(), QSocketNotifier.Type.Read)
        self.notifier.activated.connect(self._drain)
        self.previous = {
            sig: signal.signal(sig, lambda *a: on_signal())
            for sig in (signal.SIGINT, signal.SIGTERM)
        }

    def _drain(self) -> None:
        try:
            self.reader.recv(64)
        except OSError:
            pass

    def close(self) -> None:
        self.notifier.setEnabled(False)
        signal.set_wakeup_fd(self.previous_fd)
        for sig, handler in self.previous.items():
            signal.signal(sig, handler)
        self.reader.close()
        self.writer.close()


async def take_screenshot(window: MainWindow, path: Path, settle: float = 1.5) -> bool:
    """Wait for the connection and the first telemetry, save the window, close it."""
    session = window.session
    deadline = time.monotonic() + SCREENSHOT_TIMEOUT
    while session.link.telemetry_age() is None:
        if time.monotonic() > deadline:
            log.error("screenshot: no telemetry within %g s", SCREENSHOT_TIMEOUT)
            window.close()
            return False
        await asyncio.sleep(0.05)
    await asyncio.sleep(settle)  # let the panels draw a few refreshes
    path.parent.mkdir(parents=True, exist_ok=True)
    ok = window.grab().save(str(path))
    if ok:
        log.info("screenshot saved to %s", path)
    else:
        log.error("screenshot: could not write %s", path)
    window.close()
    return bool(ok)


def live_recording(
    session: Session, settings: QSettings, args: argparse.Namespace
) -> LiveRecording:
    """The recording of a live session: started at each connection unless turned off."""
    days = setting_float(settings, "recording/retention_days", 30.0)
    gigabytes = setting_float(settings, "recording/retention_gb", 50.0)
    options = RecordingOptions(
        args.record_root or default_root(),
        args.record,
        retention_days=days if days > 0 else None,
        retention_bytes=int(gigabytes * 2**30) if gigabytes > 0 else None,
    )
    recording = LiveRecording(session.connection, session.telemetry, session.catalogue, options)
    enabled = args.record is not None or (
        not args.no_record and setting_int(settings, "recording/enabled", 1) != 0
    )

    def start_when_connected(status: LinkStatus) -> None:
        if status.connected and recording.wanted and not recording.active:
            try:
                recording.start()
            except RecordingError as error:
                log.error("%s", error)

    recording.wanted = enabled
    session.link.changed.connect(start_when_connected)
    return recording


class ReplayWindows:
    """Replay windows opened from File > Open recording, beside the live one."""

    def __init__(self, settings: QSettings, panel_log: LogStore, history: float) -> None:
        self.settings = settings
        self.panel_log = panel_log
        self.history = history
        self.windows: list[MainWindow] = []

    def open(self, path: str) -> MainWindow | None:
        """Open ``path`` in a new replay window (an error is logged and shown)."""
        try:
            recording = open_recording(path)
        except RecordingError as error:
            log.error("cannot open the recording: %s", error)
            QMessageBox.warning(None, "Open recording", str(error))
            return None
        catalogue = load_catalogue()
        source = ReplaySource(recording, catalogue)
        session = Session(catalogue=catalogue, source=source, history=self.history)
        session.long_history = Archive(recording, catalogue)
        window = MainWindow(session, self.settings, self.panel_log, remember_address=False)
        window.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose, False)
        self.windows.append(window)
        window.closed.connect(lambda: spawn(self._closed(window), "close replay"))
        window.show()
        session.connect()
        for problem in recording.problems.messages:
            log.warning("recording %s: %s", path, problem)
        return window

    async def _closed(self, window: MainWindow) -> None:
        if window in self.windows:
            self.windows.remove(window)
            try:
                await window.session.close()
            finally:
                # Not deleted on close (the session closes first); nothing
                # else would ever delete it, nor its session's history.
                window.deleteLater()

    async def close_all(self) -> None:
        """Close every replay window and its replay."""
        for window in list(self.windows):
            window.close()
            await self._closed(window)


async def run(app: QApplication, args: argparse.Namespace, panel_log: LogStore) -> int:
    """Build the window and run until it closes; return the exit code."""
    loop = asyncio.get_running_loop()
    install_excepthook(loop)
    settings = open_settings(args.settings)
    sim: ControllerSimulator | None = None
    if args.simulate:
        sim = ControllerSimulator(
            command_port=0, telemetry_port=0, all_telemetry=True, injections=args.inject
        )
        await sim.start()
        address = ("127.0.0.1", sim.command_port, sim.telemetry_port)
    else:
        address = (
            args.host or str(settings.value("connection/host", "127.0.0.1")),
            args.command_port
            or setting_int(settings, "connection/command_port", DEFAULT_COMMAND_PORT),
            args.telemetry_port
            or setting_int(settings, "connection/telemetry_port", DEFAULT_TELEMETRY_PORT),
        )
    if args.replay is not None:
        try:
            replayed = open_recording(args.replay)
        except RecordingError as error:
            log.error("cannot replay: %s", error)
            return 2
        catalogue = load_catalogue()
        session = Session(
            catalogue=catalogue,
            source=ReplaySource(replayed, catalogue),
            history=args.history,
        )
        session.long_history = Archive(replayed, catalogue)
    elif args.source is not None:
        catalogue = load_catalogue()
        viewer = BrokerSource(args.source, catalogue, **args.broker_login)
        session = Session(catalogue=catalogue, source=viewer, history=args.history)
    else:
        session = Session(*address, reconnect=not args.no_reconnect, history=args.history)
    recording: LiveRecording | None = None
    if args.replay is None and args.source is None:
        recording = live_recording(session, settings, args)
    publisher: Publisher | None = None
    if args.publish is not None:
        publisher = Publisher(
            session.connection, args.publish, catalogue=session.catalogue, **args.broker_login
        )
        publisher.start()
    window = MainWindow(
        session, settings, panel_log, remember_address=sim is None, recording=recording
    )
    broker_status = BrokerStatus(publisher or session.source)
    if broker_status.wanted:
        window.statusBar().addPermanentWidget(broker_status)
    replays = ReplayWindows(settings, panel_log, args.history)
    window.open_recording_requested.connect(replays.open)
    if args.layout is not None:
        window.plot_area.load_layout(str(args.layout))
    window.connection_bar.set_address(*address)
    closed: asyncio.Future[None] = loop.create_future()

    def on_closed() -> None:
        if not closed.done():
            closed.set_result(None)

    window.closed.connect(on_closed)
    watcher = SignalWatcher(window.close)
    window.show()
    exit_code = 0
    if args.replay is not None or args.source is not None:
        session.connect()
    elif sim is not None or args.host:
        window.connect_to_controller()
    else:
        window.open_connect_dialog()
    screenshot = None
    if args.screenshot:
        screenshot = spawn(
            take_screenshot(window, args.screenshot, args.screenshot_after), "screenshot"
        )
    if args.quit_after:
        loop.call_later(args.quit_after, window.close)
    if args.quit_when_connected:

        def quit_when_connected(status: LinkStatus) -> None:
            if status.connected:
                loop.call_soon(window.close)

        session.link.changed.connect(quit_when_connected)
    try:
        await closed
    finally:
        watcher.close()
        if screenshot is not None and screenshot.done() and not screenshot.cancelled():
            exit_code = 0 if screenshot.result() else 1
        # Each step on its own: one that fails must not skip the others (the
        # recording's last second above all).
        steps: list[tuple[str, Callable[[], Awaitable[None] | None]]] = [
            ("replay windows", replays.close_all),
            ("publisher", publisher.close if publisher is not None else lambda: None),
            ("session", session.close),
            # The simulator right after the session: while it runs it keeps
            # writing to the closed client (a reset on its side).
            ("simulator", sim.stop if sim is not None else lambda: None),
            ("recording", recording.close if recording is not None else lambda: None),
            ("tasks", cancel_all),
        ]
        for what, step in steps:
            try:
                result = step()
                if inspect.isawaitable(result):
                    await result
            except Exception:
                log.exception("closing the %s failed", what)
        log.info("m2gui closed")
    return exit_code


def main(argv: list[str] | None = None) -> int:
    """Run m2gui; return its exit code."""
    args = parse_args(argv)
    panel_log = setup_logging(args.log_level, args.log_file)
    log_history_memory(args.history)
    qInstallMessageHandler(qt_message_handler)
    app = QApplication.instance() or QApplication(sys.argv[:1])
    assert isinstance(app, QApplication)
    app.setApplicationName("m2gui")
    app.setApplicationVersion(m2gui.__version__)
    app.setQuitOnLastWindowClosed(False)
    with asyncio.Runner(loop_factory=lambda: qasync.QEventLoop(app)) as runner:
        code = runner.run(run(app, args, panel_log))
    logging.getLogger().removeHandler(panel_log)
    return code
