"""The default window fits 1366 x 768 and 1920 x 1080; every frequent action has a key."""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QItemSelectionModel, Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QMessageBox, QWidget
from pytestqt.qtbot import QtBot

from m2gui.sim import ControllerSimulator
from m2gui.ui.main_window import MainWindow, default_dock_sizes
from m2gui.ui.shortcuts_dialog import EVERYWHERE, ShortcutsDialog

from .conftest import until
from .test_main_window import close, make_window

CTRL = Qt.KeyboardModifier.ControlModifier
#: Characters the signal search must show at least.
SEARCH_CHARS = 20
#: Widths below which a dock is not usable, px (the command panel is made for 420).
USABLE_WIDTH = {"signals": 200, "commands": 420, "events": 420}
#: Width the plot panels' toolbars are made for, px.
PLOT_WIDTH = 450


def shown(widget: QWidget) -> bool:
    """Whether any of ``widget`` is on screen (a tabbed dock behind another is not)."""
    return not widget.visibleRegion().isEmpty()


def current_is(window: MainWindow, page: QWidget) -> bool:
    return window.workspace.currentWidget() is page


def build(sim: ControllerSimulator, tmp_path: Path, qtbot: QtBot, size: tuple[int, int]) -> Any:
    """The default window (no saved settings) at ``size``, connected to ``sim``."""
    window = make_window(sim, tmp_path, qtbot)
    window.apply_default_layout(*size)
    window.connect_action.trigger()
    return window


async def settled(window: MainWindow, size: tuple[int, int]) -> None:
    await until(lambda: window.session.connected, what="connected")
    await until(lambda: window.command_panel.banner.isVisible(), what="command-source banner")
    await until(lambda: (window.width(), window.height()) == size, what=f"window {size}")
    await until(lambda: window.signal_browser.search.width() > 100, what="docks laid out")


@pytest.mark.parametrize("size", [(1366, 768), (1920, 1080)], ids=["1366x768", "1920x1080"])
def test_default_layout_fits(
    size: tuple[int, int], run_qasync: Any, tmp_path: Path, qtbot: QtBot
) -> None:
    async def scenario() -> None:
        async with ControllerSimulator(command_port=0, telemetry_port=0) as sim:
            window = build(sim, tmp_path, qtbot, size)
            await settled(window, size)
            # The window is the size asked for: no dock or tab forces it wider.
            assert window.minimumSizeHint().width() <= size[0]
            assert window.minimumSizeHint().height() <= size[1]
            browser = window.signal_browser
            metrics = browser.search.fontMetrics()
            clear_button = browser.search.height()  # the clear button is about square
            assert browser.search.width() - clear_button >= SEARCH_CHARS * (
                metrics.averageCharWidth()
            )
            # Every topic name is shown whole, and nothing scrolls sideways.
            tree = browser.tree
            assert not tree.horizontalScrollBar().isVisible()
            assert tree.header().length() <= tree.viewport().width()
            topics = [browser.model.item(row).text() for row in range(browser.model.rowCount())]
            widest = max(metrics.horizontalAdvance(t) for t in topics) + tree.indentation()
            assert tree.columnWidth(0) >= widest
            for key, dock in window.panels.items():
                dock.raise_()  # each tab of a tabbed dock in turn
                await until(partial(shown, dock), what=key)
                assert dock.width() >= dock.widget().minimumSizeHint().width(), key
                assert dock.width() >= USABLE_WIDTH.get(key, 0), (key, dock.width())
                assert dock.height() >= 150, (key, dock.height())
            # The workspace gets what the docks leave, and at least a plot panel's width.
            assert window.workspace.width() >= PLOT_WIDTH
            await close(window)

    run_qasync(scenario())


def test_plot_panels_fit_the_default_workspace(
    run_qasync: Any, tmp_path: Path, qtbot: QtBot
) -> None:
    async def scenario() -> None:
        async with ControllerSimulator(command_port=0, telemetry_port=0) as sim:
            window = build(sim, tmp_path, qtbot, (1366, 768))
            await settled(window, (1366, 768))
            assert window.workspace.widget(0) is window.plot_area
            viewport = window.plot_area.parentWidget()  # of the page's scroll area
            assert viewport is not None
            assert window.plot_area.width() <= viewport.width(), "the plots scroll sideways"
            await close(window)

    run_qasync(scenario())


def test_default_dock_sizes_follow_the_window() -> None:
    assert default_dock_sizes(1366, 768, 260) == (260, 420, 169)
    assert default_dock_sizes(1920, 1080, 260) == (260, 538, 238)
    assert default_dock_sizes(1920, 1080, 900) == (384, 538, 238)  # a fifth at most
    assert default_dock_sizes(800, 600, 100) == (200, 420, 150)  # never below usable


def test_saved_layout_of_an_older_version_is_replaced(
    run_qasync: Any, tmp_path: Path, qtbot: QtBot
) -> None:
    async def scenario() -> None:
        window = make_window(None, tmp_path, qtbot)
        window.resizeDocks([window.panels["signals"]], [110], Qt.Orientation.Horizontal)
        window.close()
        window.settings.setValue("window/layout", 4)  # saved by m2gui before this layout
        again = make_window(None, tmp_path, qtbot)
        await until(lambda: again.panels["signals"].width() >= USABLE_WIDTH["signals"])
        again.close()

    run_qasync(scenario())


# ----------------------------------------------------------------------
# Keyboard
# ----------------------------------------------------------------------
def keyboard_window(tmp_path: Path, qtbot: QtBot) -> MainWindow:
    window = make_window(None, tmp_path, qtbot)
    window.apply_default_layout(1366, 768)
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window)
    return window


def press(window: MainWindow, keys: str) -> None:
    """Type a key sequence as a user would, to whatever has the focus."""
    QTest.keySequence(QApplication.focusWidget() or window, QKeySequence(keys))


def plotted(window: MainWindow) -> list[str]:
    current = window.plot_area.current
    return [] if current is None else [s.name for s in current.model.signals]


def test_ctrl_f_focuses_the_signal_search(run_qasync: Any, tmp_path: Path, qtbot: QtBot) -> None:
    async def scenario() -> None:
        window = keyboard_window(tmp_path, qtbot)
        window.panels["signals"].hide()
        window.signal_browser.search.setText("old")
        window.command_panel.search.setFocus()
        press(window, "Ctrl+F")
        search = window.signal_browser.search
        await until(search.hasFocus, what="search focused")
        assert window.panels["signals"].isVisible()
        assert search.selectedText() == "old"  # typing replaces the last search
        window.close()

    run_qasync(scenario())


def test_search_then_down_then_enter_plots_the_first_match(
    run_qasync: Any, tmp_path: Path, qtbot: QtBot
) -> None:
    async def scenario() -> None:
        window = keyboard_window(tmp_path, qtbot)
        window.workspace.setCurrentWidget(window.operations)
        press(window, "Ctrl+F")
        await until(window.signal_browser.search.hasFocus)
        QTest.keyClicks(window.signal_browser.search, "motorVoltage")
        press(window, "Down")
        tree = window.signal_browser.tree
        await until(tree.hasFocus, what="list focused")
        name = window.signal_browser.names_at(tree.currentIndex())
        assert len(name) == 1 and name[0].endswith(".motorVoltage")
        press(window, "Return")
        await until(lambda: plotted(window)[-1:] == name, what="plotted")
        assert window.workspace.currentWidget() is window.plot_area
        window.close()

    run_qasync(scenario())


def test_ctrl_p_plots_the_selected_signals(run_qasync: Any, tmp_path: Path, qtbot: QtBot) -> None:
    async def scenario() -> None:
        window = keyboard_window(tmp_path, qtbot)
        browser = window.signal_browser
        browser.search.setText("commCurrent")
        proxy = browser.proxy
        flags = QItemSelectionModel.SelectionFlag.Select | QItemSelectionModel.SelectionFlag.Rows
        for row in range(proxy.rowCount()):
            browser.tree.selectionModel().select(proxy.index(row, 0), flags)
        window.command_panel.search.setFocus()  # Ctrl+P works wherever the focus is
        before = plotted(window)
        press(window, "Ctrl+P")
        await until(lambda: plotted(window) != before, what="plotted")
        added = [n for n in plotted(window) if n not in before]
        assert added and all(n.endswith(".commCurrent") for n in added)
        window.close()

    run_qasync(scenario())


def test_ctrl_digits_switch_the_workspace_tabs(
    run_qasync: Any, tmp_path: Path, qtbot: QtBot
) -> None:
    async def scenario() -> None:
        window = keyboard_window(tmp_path, qtbot)
        for keys, page in (
            ("Ctrl+2", window.operations),
            ("Ctrl+3", window.cell),
            ("Ctrl+1", window.plot_area),
        ):
            press(window, keys)
            await until(partial(current_is, window, page), what=keys)
        window.close()

    run_qasync(scenario())


def test_ctrl_page_keys_move_between_plot_panels(
    run_qasync: Any, tmp_path: Path, qtbot: QtBot
) -> None:
    async def scenario() -> None:
        window = keyboard_window(tmp_path, qtbot)
        area = window.plot_area
        assert len(area.panels) >= 2
        area.panels[0].activated.emit()
        assert area.current is area.panels[0]
        window.workspace.setCurrentWidget(window.cell)
        press(window, "Ctrl+PgDown")
        await until(lambda: window.workspace.currentWidget() is area, what="plots shown")
        await until(lambda: area.current is area.panels[1], what="next panel")
        press(window, "Ctrl+PgUp")
        await until(lambda: area.current is area.panels[0], what="previous panel")
        window.close()

    run_qasync(scenario())


def test_ctrl_space_pauses_then_resumes_every_panel(
    run_qasync: Any, tmp_path: Path, qtbot: QtBot
) -> None:
    async def scenario() -> None:
        window = keyboard_window(tmp_path, qtbot)
        panels = window.plot_area.panels
        panels[0].model.set_paused(True)  # one already paused: the others pause too
        press(window, "Ctrl+Space")
        await until(lambda: all(p.model.paused for p in panels), what="all paused")
        press(window, "Ctrl+Space")
        await until(lambda: not any(p.model.paused for p in panels), what="all resumed")
        window.close()

    run_qasync(scenario())


def test_ctrl_l_shows_the_command_panel_and_its_search(
    run_qasync: Any, tmp_path: Path, qtbot: QtBot
) -> None:
    async def scenario() -> None:
        window = keyboard_window(tmp_path, qtbot)
        commands = window.panels["commands"]
        window.panels["events"].raise_()  # Commands behind Events
        await until(lambda: not shown(commands), what="commands behind")
        window.signal_browser.search.setFocus()
        press(window, "Ctrl+L")
        await until(window.command_panel.search.hasFocus, what="command search focused")
        await until(partial(shown, commands), what="commands shown")
        # Closed, or with the keyboard already in the panel: the same key, no ambiguity.
        commands.close()
        press(window, "Ctrl+L")
        await until(commands.isVisible, what="commands reopened")
        await until(window.command_panel.search.hasFocus, what="search focused again")
        window.command_panel.tree.setFocus()
        press(window, "Ctrl+L")
        await until(window.command_panel.search.hasFocus, what="from inside the panel")
        window.close()

    run_qasync(scenario())


def test_ctrl_return_sends_with_confirmation(run_qasync: Any, tmp_path: Path, qtbot: QtBot) -> None:
    async def scenario() -> None:
        async with ControllerSimulator(command_port=0, telemetry_port=0) as sim:
            window = make_window(sim, tmp_path, qtbot)
            window.activateWindow()
            await until(lambda: QApplication.activeWindow() is window)
            window.connect_action.trigger()
            panel = window.command_panel
            await until(lambda: window.session.connected)
            await until(panel.take_command.isEnabled, what="Take command offered")
            panel.take_command.click()
            panel.load("power", {"powerType": 2, "status": True})
            await until(panel.send_button.isEnabled, what="Send enabled")
            window.show_command_search()
            press(window, "Ctrl+Return")
            await until(lambda: panel.confirm_box is not None, what="confirmation asked")
            box = panel.confirm_box
            assert isinstance(box, QMessageBox) and box.isVisible()
            box.button(QMessageBox.StandardButton.Cancel).click()
            await until(lambda: panel.confirm_box is None, what="answered")
            await close(window)

    run_qasync(scenario())


def test_help_lists_every_shortcut_from_the_actions(
    run_qasync: Any, tmp_path: Path, qtbot: QtBot
) -> None:
    async def scenario() -> None:
        window = keyboard_window(tmp_path, qtbot)
        press(window, "F1")  # Help > Keyboard shortcuts
        await until(lambda: window.findChild(ShortcutsDialog) is not None, what="dialog")
        shown = window.findChild(ShortcutsDialog)
        assert isinstance(shown, ShortcutsDialog)
        assert (shown.isVisible() and not shown.isModal()) or shown.windowModality() == (
            Qt.WindowModality.WindowModal
        )  # open(): the loop keeps turning
        rows = shown.rows()
        assert ("Search the signals", "Ctrl+F", EVERYWHERE) in rows
        assert ("Plot the selected signals", "Ctrl+P", EVERYWHERE) in rows
        assert ("Plot the selected signals", "Return, Enter", "Signals") in rows
        assert ("Show the Mirror cell tab", "Ctrl+3", EVERYWHERE) in rows
        assert ("Connect", "Ctrl+K", EVERYWHERE) in rows
        keys = {keys for _, keys, _ in rows}
        for expected in ("Ctrl+PgDown", "Ctrl+PgUp", "Ctrl+Space", "Ctrl+L", "Ctrl+1"):
            assert expected in keys
        # Generated from the actions: a panel's new action shows up the next time.
        extra = QAction("Do the new thing", window.events_panel)
        extra.setShortcut(QKeySequence("Ctrl+Shift+J"))
        extra.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        window.events_panel.addAction(extra)
        shown.close()
        await until(lambda: window.findChild(ShortcutsDialog) is None, what="deleted on close")
        again = window.show_shortcuts()
        assert ("Do the new thing", "Ctrl+Shift+J", "Events") in again.rows()
        again.close()
        window.close()

    run_qasync(scenario())
