"""What every domain view shares: Session.store, "Plot" requests, the command sender."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QPoint
from PySide6.QtWidgets import QLabel, QMenu, QMessageBox
from pytestqt.qtbot import QtBot

from m2gui.model.session import Session
from m2gui.net import Outcome
from m2gui.sim import ControllerSimulator
from m2gui.ui.command_sender import CommandSender
from m2gui.ui.plot_menu import add_plot_menu

from .conftest import until
from .test_main_window import make_window

pytestmark = pytest.mark.timeout(60)


def test_session_store_makes_one_instance_per_session() -> None:
    made: list[Session] = []

    class Domain:
        def __init__(self, session: Session) -> None:
            made.append(session)

    session = Session("127.0.0.1", 1, 2, reconnect=False, history=5)
    first = session.store(Domain)
    assert session.store(Domain) is first
    assert made == [session]
    other = Session("127.0.0.1", 1, 2, reconnect=False, history=5)
    assert other.store(Domain) is not first


def test_plot_from_a_context_menu_reaches_the_plot_area(
    qtbot: QtBot, tmp_path: Path, run_qasync: Any
) -> None:
    async def scenario() -> None:
        window = make_window(None, tmp_path, qtbot)
        label = QLabel("motor voltage")
        qtbot.addWidget(label)
        add_plot_menu(label, window.session, lambda pos: ["powerStatus.motorVoltage"])
        label.show()
        label.customContextMenuRequested.emit(QPoint(2, 2))
        menu = label.findChild(QMenu)
        assert menu is not None
        (action,) = menu.actions()
        assert action.text() == "Plot powerStatus.motorVoltage"
        action.trigger()

        def plotted() -> list[str]:
            current = window.plot_area.current
            return [] if current is None else [s.name for s in current.model.signals]

        await until(lambda: "powerStatus.motorVoltage" in plotted(), what="plotted")
        assert window.workspace.currentWidget() is window.plot_area
        window.close()

    run_qasync(scenario())


def test_command_sender_validates_confirms_and_reports(qtbot: QtBot, run_qasync: Any) -> None:
    async def scenario() -> None:
        async with ControllerSimulator(command_port=0, telemetry_port=0) as sim:
            session = Session("127.0.0.1", sim.command_port, sim.telemetry_port)
            view = QLabel()
            qtbot.addWidget(view)
            sender = CommandSender(session, view)
            reports: list[str] = []
            sender.reported.connect(reports.append)
            session.connect()
            await session.connection.wait_connected(5)  # both ports, not only events
            await until(lambda: "commandableByDDS" in session.events.latest, what="welcome")
            # invalid: nothing sent
            assert await sender.send("positionMirror", {"x": 9000.0}) is None
            assert "Not sent" in reports[-1] and "above the maximum" in reports[-1]
            # the CSC holds command: refused with the reason
            assert await sender.send("clearErrors") is None
            assert "CSC holds command" in reports[-1]
            record = await sender.send("switchCommandSource", {"isRemote": False})
            assert record is not None and record.outcome is Outcome.SUCCESS
            assert "success" in reports[-1] and "done" in reports[-1]
            # dangerous: asks, and Cancel sends nothing
            task = sender.send("power", {"powerType": 2, "status": True})
            await until(lambda: sender.confirm_box is not None, what="confirmation")
            assert sender.busy
            box = sender.confirm_box
            assert box is not None
            box.button(QMessageBox.StandardButton.Cancel).click()
            assert await task is None
            assert "cancelled" in reports[-1]
            assert not sim.controller.comm_on
            assert [r.name for r in session.history.records] == ["switchCommandSource"]
            await session.disconnect()

    run_qasync(scenario())
