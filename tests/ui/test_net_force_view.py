"""The net force view against the real simulator: live values, one-click plots."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QMenu
from pytestqt.qtbot import QtBot

from m2gui.model.cell.net_force import BALANCE, NET, NetForces
from m2gui.model.session import Session
from m2gui.sim import ControllerSimulator
from m2gui.ui.cell.net_force_view import NetForceView
from m2gui.ui.plots.area import PlotArea

from .conftest import until


def test_values_and_plots(run_qasync: Any, qtbot: QtBot) -> None:
    async def scenario() -> None:
        async with ControllerSimulator(
            command_port=0, telemetry_port=0, all_telemetry=True, seed=7
        ) as sim:
            session = Session("127.0.0.1", sim.command_port, sim.telemetry_port, history=30)
            session.connect()
            await session.connection.wait_connected(5)
            view = NetForceView(session)
            qtbot.addWidget(view)
            view.resize(900, 550)
            view.show()
            assert set(view.values) == {q.signal for q in NET + BALANCE}
            # large numbers with units, live
            await until(
                lambda: all(label.text() != "—" for label in view.values.values()),
                what="all twelve values",
            )
            store = session.store(NetForces)
            first = view.values["netForcesTotal.fz"].text()
            await until(
                lambda: view.values["netForcesTotal.fz"].text() != first, what="live update"
            )
            fz = float(view.values["netForcesTotal.fz"].text())
            assert abs(fz - store.values["netForcesTotal.fz"]) < 1e3
            # one click plots one value; "Plot all six" plots a group
            requested: list[list[str]] = []
            session.plots.requested.connect(requested.append)
            qtbot.mouseClick(view.plot_buttons["netMomentsTotal.mx"], Qt.MouseButton.LeftButton)
            assert requested[-1] == ["netMomentsTotal.mx"]
            qtbot.mouseClick(view.plot_all["Force balance status"], Qt.MouseButton.LeftButton)
            assert requested[-1] == [q.signal for q in BALANCE]
            qtbot.mouseClick(view.plot_all["Total net force and moment"], Qt.MouseButton.LeftButton)
            assert requested[-1] == [q.signal for q in NET]
            # a right-click on a value offers the same
            tile = view.values["forceBalance.fy"].parentWidget()
            tile.customContextMenuRequested.emit(QPoint(5, 5))
            menu = next(m for m in tile.findChildren(QMenu) if m.isVisible())
            menu.actions()[0].trigger()
            menu.close()
            assert requested[-1] == ["forceBalance.fy"]
            # the plot area accepts every one of them as a live curve
            area = PlotArea(session.telemetry, session.catalogue)
            qtbot.addWidget(area)
            panel = area.plot([q.signal for q in NET + BALANCE])
            assert [s.name for s in panel.model.signals] == [q.signal for q in NET + BALANCE]
            view.close()
            await session.disconnect()

    run_qasync(scenario())
