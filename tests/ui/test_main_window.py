"""The application shell against the real simulator, on a real qasync loop."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import Any

import PySide6
from PySide6.QtCore import QSettings
from PySide6.QtGui import QColor, QGuiApplication
from PySide6.QtWidgets import QScrollArea
from pytestqt.qtbot import QtBot

from m2gui.model.log_store import LogStore
from m2gui.model.session import Session
from m2gui.net import Received
from m2gui.sim import ControllerSimulator
from m2gui.ui import events_panel as events_module
from m2gui.ui.main_window import DEFAULT_SIZE, MainWindow, default_dock_sizes
from m2gui.ui.style import HIGHLIGHT

from .conftest import until


def make_window(
    sim: ControllerSimulator | None, tmp_path: Path, qtbot: QtBot, **kw: Any
) -> MainWindow:
    port_c, port_t = (sim.command_port, sim.telemetry_port) if sim else (50010, 50011)
    session = Session("127.0.0.1", port_c, port_t)
    session.connection.backoff_initial = 0.05
    session.connection.backoff_max = 0.2
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    window = MainWindow(session, settings, **kw)
    qtbot.addWidget(window)  # closed and deleted at teardown
    window.connection_bar.set_address("127.0.0.1", port_c, port_t)
    window.show()
    return window


async def close(window: MainWindow) -> None:
    window.close()
    await window.session.disconnect()


def test_connects_and_events_fill(run_qasync: Any, tmp_path: Path, qtbot: QtBot) -> None:
    async def scenario() -> None:
        async with ControllerSimulator(command_port=0, telemetry_port=0) as sim:
            window = make_window(sim, tmp_path, qtbot)
            bar = window.connection_bar
            assert bar.state_label.text() == "disconnected"
            assert window.connect_action.isEnabled()
            window.connect_action.trigger()
            await until(lambda: bar.state_label.text() == "connected", what="connected")
            assert not window.connect_action.isEnabled()
            assert window.disconnect_action.isEnabled()
            assert not bar.host.isEnabled()
            panel = window.events_panel
            await until(lambda: "summaryFaultsStatus" in panel.items, what="welcome events")
            assert "tcpIpConnected" in panel.items
            assert "powerSystemState[Motor]" in panel.items
            assert "powerSystemState[Communication]" in panel.items
            assert "innerLoopControlMode[83]" in panel.items
            hardpoints = panel.field_items[("hardpointList", "actuators")]
            assert hardpoints.text(0) == "actuators (0-based)"
            assert hardpoints.text(1) == "[5, 15, 25, 73, 75, 77] = B6 B16 B26 A2 A4 A6"
            mode = panel.field_items[("closedLoopControlMode", "mode")]
            assert mode.text(1) == "1 (Idle)"
            await until(lambda: bar.age.text().startswith("telemetry "), what="telemetry age")
            assert "ms" in bar.age.text()
            await until(lambda: "tel     0/s" not in bar.rates.text(), what="telemetry rate")
            assert panel.history_model.rowCount() >= 102
            await close(window)

    run_qasync(scenario())


def test_disconnect_and_reconnect_from_the_ui(
    run_qasync: Any, tmp_path: Path, qtbot: QtBot
) -> None:
    async def scenario() -> None:
        async with ControllerSimulator(command_port=0, telemetry_port=0) as sim:
            window = make_window(sim, tmp_path, qtbot)
            bar = window.connection_bar
            window.connect_action.trigger()
            await until(lambda: bar.state_label.text() == "connected")
            window.disconnect_action.trigger()
            await until(lambda: bar.state_label.text() == "disconnected", what="disconnected")
            assert bar.host.isEnabled()
            assert bar.age.text() == "telemetry: none"
            # as a user would: click Connect once it is offered again
            await until(window.connect_action.isEnabled, what="Connect enabled")
            window.connect_action.trigger()
            await until(lambda: bar.state_label.text() == "connected", what="reconnected")
            await close(window)

    run_qasync(scenario())


def test_simulator_drop_shows_reconnecting_then_connected(
    run_qasync: Any, tmp_path: Path, qtbot: QtBot
) -> None:
    async def scenario() -> None:
        async with ControllerSimulator(command_port=0, telemetry_port=0) as sim:
            window = make_window(sim, tmp_path, qtbot)
            bar = window.connection_bar
            shown: list[str] = []
            window.session.connection.add_state_listener(
                lambda state: shown.append(bar.state_label.text())
            )
            window.connect_action.trigger()
            await until(lambda: bar.state_label.text() == "connected")
            window.session.connection.backoff_initial = 0.3
            await sim.stop()  # the controller goes away for a while
            await until(lambda: bar.state_label.text().startswith("reconnecting"))
            text = bar.state_label.text()
            assert text == "reconnecting" or text.startswith("reconnecting in ")
            await until(lambda: bar.age.text().startswith("telemetry"), what="age")
            restarted = ControllerSimulator(
                command_port=sim.command_port, telemetry_port=sim.telemetry_port
            )
            await restarted.start()
            await until(lambda: bar.state_label.text() == "connected", timeout=10)
            assert "connected" in shown and any(s.startswith("reconnecting") for s in shown)
            await close(window)
            await restarted.stop()

    run_qasync(scenario())


def test_stale_telemetry_is_marked(run_qasync: Any, tmp_path: Path, qtbot: QtBot) -> None:
    async def scenario() -> None:
        async with ControllerSimulator(command_port=0, telemetry_port=0, rate=20) as sim:
            window = make_window(sim, tmp_path, qtbot)
            bar = window.connection_bar
            window.connect_action.trigger()
            await until(lambda: bar.age.text().startswith("telemetry "))
            assert sim._telemetry_task is not None
            sim._telemetry_task.cancel()  # the controller stops publishing
            await until(lambda: "STALE" in bar.age.text(), timeout=5, what="stale")
            await close(window)

    run_qasync(scenario())


def test_settings_round_trip(run_qasync: Any, tmp_path: Path, qtbot: QtBot) -> None:
    async def scenario() -> None:
        window = make_window(None, tmp_path, qtbot)
        window.panels["log"].hide()
        window.panels["console"].raise_()
        window.connection_bar.set_address("m2-controller.example", 50110, 50111)
        window.plot_area.panels[0].set_window(10.0)
        window.session.preferences.toggle_favourite("clearErrors")
        window.close()
        await asyncio.sleep(0.05)
        saved = window.settings.value("window/geometry")
        again = make_window(None, tmp_path, qtbot)
        assert again.last_address() == ("m2-controller.example", 50110, 50111)
        # Qt clamps a restored window to the (offscreen, 800 x 600) screen, so
        # the size itself is Qt's; the saved geometry must be accepted.
        assert saved is not None and again.restoreGeometry(saved)
        assert again.panels["log"].isHidden()
        assert not again.panels["events"].isHidden()
        assert again.plot_area.to_layout().panels[0].window == 10.0
        assert again.session.preferences.favourites == ["clearErrors"]
        favourites = again.command_panel.tree.topLevelItem(0)
        assert favourites is not None and favourites.text(0) == "★ Favourites"
        again.close()

    run_qasync(scenario())


def test_connect_dialog_checks_and_connects(run_qasync: Any, tmp_path: Path, qtbot: QtBot) -> None:
    async def scenario() -> None:
        async with ControllerSimulator(command_port=0, telemetry_port=0) as sim:
            window = make_window(None, tmp_path, qtbot)
            dialog = window.open_connect_dialog()
            assert dialog.isVisible()
            dialog.host.setText("127.0.0.1")
            dialog.command_port.setValue(sim.command_port)
            dialog.telemetry_port.setValue(sim.command_port)
            dialog._check()
            assert "must differ" in dialog.error.text()
            assert dialog.isVisible()
            dialog.telemetry_port.setValue(sim.telemetry_port)
            dialog._check()
            assert not dialog.isVisible()
            bar = window.connection_bar
            await until(lambda: bar.state_label.text() == "connected")
            assert bar.address() == ("127.0.0.1", sim.command_port, sim.telemetry_port)
            await close(window)

    run_qasync(scenario())


def test_log_panel_filters_and_searches(run_qasync: Any, tmp_path: Path, qtbot: QtBot) -> None:
    async def scenario() -> None:
        handler = LogStore()
        logger = logging.getLogger("m2gui.test_log_panel")
        logger.addHandler(handler)
        logger.setLevel(logging.DEBUG)
        window = make_window(None, tmp_path, qtbot, log_handler=handler)
        panel = window.log_panel
        logger.debug("a debug line")
        logger.info("an info line")
        logger.warning("a warning about the tangent links")
        logger.error("an error")
        panel.refresh()
        assert panel.model.rowCount() == 4
        assert panel.proxy.rowCount() == 3  # INFO and above by default
        panel.level.setCurrentText("WARNING")
        assert panel.proxy.rowCount() == 2
        panel.search.setText("tangent")
        assert panel.proxy.rowCount() == 1
        index = panel.proxy.index(0, 3)
        assert panel.proxy.data(index) == "a warning about the tangent links"
        assert panel.proxy.data(panel.proxy.index(0, 1)) == "WARNING"
        logger.removeHandler(handler)
        window.close()

    run_qasync(scenario())


def test_changed_event_values_are_highlighted_briefly(
    run_qasync: Any, tmp_path: Path, monkeypatch: Any, qtbot: QtBot
) -> None:
    monkeypatch.setattr(events_module, "HIGHLIGHT_FOR", 0.2)

    async def scenario() -> None:
        window = make_window(None, tmp_path, qtbot)
        store = window.session.events
        panel = window.events_panel

        def send(state: bool) -> None:
            message = {"id": "interlock", "state": state}
            store.on_event(Received("interlock", message, 1.0e9, "command"))

        send(False)
        panel.refresh()
        item = panel.field_items[("interlock", "state")]
        assert item.text(1) == "false"
        assert item.background(1).color() != QColor(HIGHLIGHT)
        send(True)
        panel.refresh()
        assert item.text(1) == "true"
        assert item.background(1).color() == QColor(HIGHLIGHT)
        assert panel.items["interlock"].text(1) == "×2"
        # aged out by the panel's own highlight timer
        await until(lambda: item.background(1).color() != QColor(HIGHLIGHT), what="aged out")
        panel.history_filter.setText("interlock")
        assert panel.history_proxy.rowCount() == 2
        window.close()

    run_qasync(scenario())


def test_about_lists_versions(run_qasync: Any, tmp_path: Path, qtbot: QtBot) -> None:
    async def scenario() -> None:
        window = make_window(None, tmp_path, qtbot)
        text = window.about_text()
        assert PySide6.__version__ in text and "pyqtgraph" in text and "Python" in text
        box = window.show_about()
        assert box.isVisible()
        box.close()
        assert [a.text() for a in window.view_menu.actions()] == [
            "Signals",
            "Events",
            "Commands",
            "Log",
            "Command history",
            "Console",
        ]
        window.close()

    run_qasync(scenario())


def test_every_domain_view_is_a_tab_and_shows(
    run_qasync: Any, tmp_path: Path, qtbot: QtBot
) -> None:
    from m2gui.ui.domain_views import CELL_VIEWS, OPERATIONS_VIEWS

    async def scenario() -> None:
        async with ControllerSimulator(command_port=0, telemetry_port=0, all_telemetry=True) as sim:
            window = make_window(sim, tmp_path, qtbot)
            window.resize(1366, 768)
            window.connect_action.trigger()
            await until(lambda: window.session.connected, what="connected")
            tabs = [window.workspace.tabText(i) for i in range(window.workspace.count())]
            assert tabs == ["Plots", "Operations", "Mirror cell"]
            for group, specs in ((window.operations, OPERATIONS_VIEWS), (window.cell, CELL_VIEWS)):
                window.workspace.setCurrentWidget(group)
                assert [group.tabText(i) for i in range(group.count())] == [s.title for s in specs]
                for spec in specs:
                    view = group.show_view(spec.key)
                    await until(view.isVisible, what=spec.title)
                    assert view.width() > 600 and view.height() > 350, spec.title
            await close(window)

    run_qasync(scenario(), timeout=40)


def test_default_window_sizes_its_docks_without_settings(
    run_qasync: Any, tmp_path: Path, qtbot: QtBot
) -> None:
    async def scenario() -> None:
        window = make_window(None, tmp_path, qtbot)  # nothing saved: the default path
        await until(lambda: window.signal_browser.search.width() > 100, what="laid out")
        assert (window.width(), window.height()) == DEFAULT_SIZE
        browser = window.signal_browser
        signals, right, _ = default_dock_sizes(*DEFAULT_SIZE, browser.sizeHint().width())
        assert window.panels["signals"].width() == signals
        assert window.panels["commands"].width() == right
        assert not browser.tree.horizontalScrollBar().isVisible()
        # The right docks take the full height, beside the bottom ones.
        commands = window.panels["commands"].geometry()
        history = window.panels["history"].geometry()
        assert commands.bottom() > history.top() and history.right() < commands.left()
        window.close()

    run_qasync(scenario())


def test_workspace_pages_scroll_instead_of_widening_the_window(
    run_qasync: Any, tmp_path: Path, qtbot: QtBot
) -> None:
    async def scenario() -> None:
        window = make_window(None, tmp_path, qtbot)
        window.apply_default_layout(1366, 768)
        workspace = window.workspace
        workspace.setCurrentWidget(window.operations)
        view = window.operations.show_view("ilcs")  # wider than the workspace at 1366
        await until(view.isVisible, what="ILC view")
        assert workspace.currentWidget() is window.operations
        assert workspace.indexOf(window.cell) == 2 and workspace.widget(0) is window.plot_area
        # the view scrolls in its own page: the inner tab bar stays in place
        page = window.operations.findChild(QScrollArea, "page_ilcs")
        assert page is not None and page.widget() is view
        assert view.width() > page.viewport().width()
        assert page.horizontalScrollBar().isVisible()
        assert window.operations.tabBar().isVisible()
        assert window.width() == 1366  # the page scrolls; the window keeps its size
        window.close()

    run_qasync(scenario())


def test_default_size_is_bounded_by_a_small_screen(
    run_qasync: Any, tmp_path: Path, qtbot: QtBot, monkeypatch: Any
) -> None:
    async def scenario() -> None:
        # as on a real display whose screen is the offscreen one's 800 x 600
        monkeypatch.setattr(QGuiApplication, "platformName", staticmethod(lambda: "xcb"))
        window = make_window(None, tmp_path, qtbot)
        screen = window.screen().availableGeometry().size()
        assert window.default_size() == (screen.width(), screen.height())
        assert window.isMaximized()
        window.close()

    run_qasync(scenario())
