"""Issue 17: the command panel as an engineer uses it in the first hour (pytest-qt, offscreen).

Each test drives the widgets with clicks and keys, against the real simulator
where something is sent.
"""

from __future__ import annotations

from typing import Any

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QColor, QImage, QKeySequence
from PySide6.QtWidgets import (
    QApplication,
    QDockWidget,
    QMainWindow,
    QMessageBox,
    QTableWidget,
    QTreeWidgetItem,
    QWidget,
)
from pytestqt.qtbot import QtBot

from m2gui.model.session import Session
from m2gui.net import Outcome
from m2gui.sim import ControllerSimulator
from m2gui.ui.commands import panel as panel_module
from m2gui.ui.commands.panel import CommandPanel

from .conftest import until
from .test_commands import Rig

#: The Commands dock must be usable this wide (issue 17: the default window at 1366x768).
DOCK_WIDTH = 420


def tree_item(panel: CommandPanel, name: str) -> QTreeWidgetItem:
    """The item of command ``name`` in its group (not in the favourites)."""
    tree = panel.tree
    found = None
    for g in range(tree.topLevelItemCount()):
        group = tree.topLevelItem(g)
        assert group is not None
        for c in range(group.childCount()):
            child = group.child(c)
            if child is not None and child.data(0, Qt.ItemDataRole.UserRole) == name:
                found = child
    assert found is not None, name
    return found


def click_command(qtbot: QtBot, panel: CommandPanel, name: str) -> None:
    """Click command ``name`` in the tree, as a user does."""
    item = tree_item(panel, name)
    panel.tree.scrollToItem(item)
    rect = panel.tree.visualItemRect(item)
    qtbot.mouseClick(panel.tree.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert panel.current == name


def activate(qtbot: QtBot, widget: QWidget) -> None:
    """Make ``widget``'s window the active one (shortcuts need an active window)."""
    window = widget.window()
    window.show()
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window, timeout=2000)


def red_pixels(image: QImage, left: int, top: int, width: int, height: int) -> int:
    """Pixels of ``image`` in the rectangle that are clearly red."""
    count = 0
    for x in range(max(0, left), min(image.width(), left + width)):
        for y in range(max(0, top), min(image.height(), top + height)):
            c = QColor(image.pixel(x, y))
            count += c.red() > 170 and c.green() < 110 and c.blue() < 110
    return count


# ----------------------------------------------------------------------
# 1. Take command keeps the selection; the outcome shows in the banner
# ----------------------------------------------------------------------
def test_take_command_keeps_the_selected_form_and_shows_the_outcome_in_the_banner(
    run_qasync: Any, qtbot: QtBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(panel_module, "BANNER_OUTCOME_MS", 100)

    async def scenario() -> None:
        async with ControllerSimulator(command_port=0, telemetry_port=0) as sim:
            rig = Rig(sim, qtbot)
            panel = rig.panel
            await rig.connect()
            click_command(qtbot, panel, "power")
            power_form = panel.form
            power_form.fields["status"].editor.click()  # the user's work in progress
            assert panel.banner_widget.isVisible()
            qtbot.mouseClick(panel.take_command, Qt.MouseButton.LeftButton)
            await until(lambda: "success" in panel.banner.text(), what="outcome in the banner")
            # the form and the tree still show power, with what the user typed
            assert panel.current == "power"
            assert panel.form is power_form
            assert power_form.fields["status"].editor.isChecked()
            current = panel.tree.currentItem()
            assert current is not None and current.data(0, Qt.ItemDataRole.UserRole) == "power"
            record = rig.session.history.records[-1]
            assert (record.name, record.outcome) == ("switchCommandSource", Outcome.SUCCESS)
            assert record.params == {"isRemote": False}
            assert "switchCommandSource" in panel.banner.text()
            assert panel.banner_widget.isVisible()  # the outcome stays a moment...
            assert not panel.take_command.isVisible()  # ...with nothing left to take
            panel.grab().save("/tmp/issue17_take_command_banner.png")
            # ...then goes, since the GUI holds command
            await until(lambda: not panel.banner_widget.isVisible(), what="banner gone")
            assert panel.send_button.isEnabled()
            await rig.close()

    run_qasync(scenario())


def test_a_failed_take_command_says_why_in_the_banner_and_keeps_it(
    run_qasync: Any, qtbot: QtBot
) -> None:
    async def scenario() -> None:
        async with ControllerSimulator(command_port=0, telemetry_port=0) as sim:
            rig = Rig(sim, qtbot)
            panel = rig.panel
            await rig.connect()
            click_command(qtbot, panel, "applyForces")
            sim.faults.fail_next = 1
            sim.faults.fail_reason = "the CSC refused"
            qtbot.mouseClick(panel.take_command, Qt.MouseButton.LeftButton)
            await until(lambda: "the CSC refused" in panel.banner.text(), what="failure")
            assert "fail" in panel.banner.text()
            assert "The CSC holds command" in panel.banner.text()
            assert panel.banner_widget.isVisible() and panel.take_command.isEnabled()
            assert panel.current == "applyForces"
            await rig.close()

    run_qasync(scenario())


# ----------------------------------------------------------------------
# 3. An invalid cell stays visible whatever the selection
# ----------------------------------------------------------------------
def test_an_invalid_cell_stays_marked_while_it_is_selected(qtbot: QtBot) -> None:
    panel = CommandPanel(Session("127.0.0.1", 1, 2))
    qtbot.addWidget(panel)
    panel.resize(900, 700)
    activate(qtbot, panel)
    click_command(qtbot, panel, "applyForces")
    assert panel.form is not None
    table = panel.form.fields["axial"].table
    assert isinstance(table, QTableWidget)
    item = table.item(3, 0)
    assert item is not None
    table.scrollToItem(item)
    rect = table.visualItemRect(item)
    qtbot.mouseClick(table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    qtbot.mouseDClick(table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    editor = QApplication.focusWidget()
    assert editor is not None and editor is not table
    qtbot.keyClick(editor, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClicks(editor, "500")  # above the 444.82 N limit
    qtbot.keyClick(editor, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: item.text() == "500", timeout=2000)  # committed (queued)
    assert item.isSelected() and table.currentItem() is item
    assert "above the maximum" in item.toolTip()
    image = table.viewport().grab().toImage()
    panel.grab().save("/tmp/issue17_invalid_cell_selected.png")
    # the cell's edges are red although the selection colour fills it
    dpr = image.devicePixelRatio()
    x, y, w, h = (int(v * dpr) for v in (rect.x(), rect.y(), rect.width(), rect.height()))
    assert red_pixels(image, x, y, w, 3) > w // 2, "no red along the top edge"
    assert red_pixels(image, x, y + h - 3, w, 3) > w // 2, "no red along the bottom edge"
    # a valid selected cell has none
    good = table.item(5, 0)
    assert good is not None
    good_rect = table.visualItemRect(good)
    qtbot.mouseClick(table.viewport(), Qt.MouseButton.LeftButton, pos=good_rect.center())
    image = table.viewport().grab().toImage()
    assert red_pixels(image, good_rect.x(), good_rect.y(), good_rect.width(), 3) == 0
    # fixing the value removes the mark
    item.setText("100")
    image = table.viewport().grab().toImage()
    assert red_pixels(image, rect.x(), rect.y(), rect.width(), rect.height()) == 0


# ----------------------------------------------------------------------
# 4. Keyboard: Ctrl+Return sends (with its confirmation), Ctrl+L finds a command
# ----------------------------------------------------------------------
def test_the_panel_has_keyboard_actions_the_window_can_list(qtbot: QtBot) -> None:
    panel = CommandPanel(Session("127.0.0.1", 1, 2))
    qtbot.addWidget(panel)
    actions = {a.text(): a for a in panel.shortcut_actions}
    send = actions["Send command"]
    assert send.shortcuts() == [QKeySequence("Ctrl+Return"), QKeySequence("Ctrl+Enter")]
    assert actions["Find command"].shortcut() == QKeySequence("Ctrl+L")
    for action in panel.shortcut_actions:
        assert action in panel.actions()
        assert action.shortcutContext() == Qt.ShortcutContext.WidgetWithChildrenShortcut


def test_ctrl_l_focuses_the_command_search(qtbot: QtBot) -> None:
    panel = CommandPanel(Session("127.0.0.1", 1, 2))
    qtbot.addWidget(panel)
    panel.resize(900, 700)
    activate(qtbot, panel)
    panel.tree.setFocus()
    qtbot.keyClick(panel.tree, Qt.Key.Key_L, Qt.KeyboardModifier.ControlModifier)
    assert QApplication.focusWidget() is panel.search
    qtbot.keyClicks(panel.search, "setHardpoint")
    visible = [
        tree_item(panel, name)
        for name in panel.catalogue.commands
        if not tree_item(panel, name).isHidden()
    ]
    assert [i.data(0, Qt.ItemDataRole.UserRole) for i in visible] == ["setHardpointList"]


def test_ctrl_return_sends_the_form_with_its_usual_confirmation(
    run_qasync: Any, qtbot: QtBot
) -> None:
    async def scenario() -> None:
        async with ControllerSimulator(command_port=0, telemetry_port=0) as sim:
            rig = Rig(sim, qtbot)
            panel = rig.panel
            await rig.connect()
            activate(qtbot, panel)
            qtbot.mouseClick(panel.take_command, Qt.MouseButton.LeftButton)
            await until(lambda: not panel.take_command.isVisible(), what="command taken")
            await until(lambda: panel.send_button.isEnabled(), what="send enabled")
            # a command with no confirmation: Ctrl+Enter (keypad) from the tree
            click_command(qtbot, panel, "clearErrors")
            before = len(rig.session.history.records)
            qtbot.keyClick(panel.tree, Qt.Key.Key_Enter, Qt.KeyboardModifier.ControlModifier)
            await until(lambda: len(rig.session.history.records) == before + 1, what="sent")
            await until(lambda: "success" in panel.outcome.text(), what="clearErrors done")
            # a dangerous one asks first: Ctrl+Return from one of its fields
            click_command(qtbot, panel, "power")
            assert panel.form is not None
            combo = panel.form.fields["powerType"].editor
            combo.setCurrentIndex(1)  # Communication
            status = panel.form.fields["status"].editor
            status.setFocus()
            qtbot.keyClick(status, Qt.Key.Key_Space)
            assert status.isChecked()
            qtbot.keyClick(status, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
            await until(lambda: panel.confirm_box is not None, what="confirmation")
            assert not sim.controller.comm_on
            box = panel.confirm_box
            assert box is not None
            box.button(QMessageBox.StandardButton.Yes).click()
            await until(lambda: sim.controller.comm_on, what="communication power on")
            await until(lambda: "success" in panel.outcome.text(), what="power done")
            # a cell being edited is taken into account: 500 N is refused before sending
            activate(qtbot, panel)  # back from the dialog (offscreen has no window manager)
            click_command(qtbot, panel, "applyForces")
            table = panel.form.fields["axial"].table
            assert isinstance(table, QTableWidget)
            item = table.item(0, 0)
            assert item is not None
            rect = table.visualItemRect(item)
            qtbot.mouseClick(table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
            qtbot.mouseDClick(table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
            editor = QApplication.focusWidget()
            assert editor is not None and editor is not table
            qtbot.keyClick(editor, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
            qtbot.keyClicks(editor, "500")
            sent = len(rig.session.history.records)
            qtbot.keyClick(editor, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
            assert "500 is above the maximum" in panel.outcome.text()
            assert item.text() == "500"
            assert len(rig.session.history.records) == sent
            await rig.close()

    run_qasync(scenario())


def test_ctrl_return_says_why_when_the_command_may_not_be_sent(qtbot: QtBot) -> None:
    panel = CommandPanel(Session("127.0.0.1", 1, 2))
    qtbot.addWidget(panel)
    panel.resize(900, 700)
    activate(qtbot, panel)
    click_command(qtbot, panel, "clearErrors")
    qtbot.keyClick(panel.tree, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    assert "not connected" in panel.outcome.text()
    assert panel.send_task is None


# ----------------------------------------------------------------------
# 5. The Commands dock is usable at about 420 px wide
# ----------------------------------------------------------------------
def test_the_commands_dock_is_usable_420_px_wide(qtbot: QtBot) -> None:
    window = QMainWindow()
    qtbot.addWidget(window)
    window.setCentralWidget(QWidget())
    dock = QDockWidget("Commands")
    panel = CommandPanel(Session("127.0.0.1", 1, 2))
    dock.setWidget(panel)
    window.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, dock)
    window.resize(1366, 768)
    window.show()
    assert dock.minimumSizeHint().width() <= DOCK_WIDTH - 20
    window.resizeDocks([dock], [DOCK_WIDTH], Qt.Orientation.Horizontal)
    qtbot.waitUntil(lambda: abs(dock.width() - DOCK_WIDTH) <= 2, timeout=2000)
    # every command can be picked, and its form fits without scrolling sideways
    for name in panel.catalogue.commands:
        click_command(qtbot, panel, name)
        QApplication.processEvents()
        assert not panel.form_area.horizontalScrollBar().isVisible(), name
        for widget in (panel.send_button, panel.title, panel.form_area):
            right = widget.mapTo(panel, QPoint(widget.width(), 0)).x()
            assert right <= panel.width(), (name, widget.objectName())
    assert panel.tree.width() >= 120  # the list of commands stays readable
    click_command(qtbot, panel, "applyForces")
    QApplication.processEvents()
    window.grab().save("/tmp/issue17_commands_dock_420.png")
    panel.grab().save("/tmp/issue17_commands_panel_420.png")
    # long names are elided in the tree, and the whole name is in the tool tip
    item = tree_item(panel, "switchForceBalanceSystem")
    assert "switchForceBalanceSystem" in item.toolTip(0)
