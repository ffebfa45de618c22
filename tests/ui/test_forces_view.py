"""The forces view against the real simulator: live values, sorting, filters, plots, flags."""

from __future__ import annotations

import math
import time
from typing import Any

from PySide6.QtCore import QModelIndex, QPoint, Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QMenu
from pytestqt.qtbot import QtBot

from m2gui.model.cell.forces import COLUMNS, FLAG_COLORS, ForcesTable, LimitFlag
from m2gui.model.session import Session
from m2gui.net import Received
from m2gui.sim import ControllerSimulator
from m2gui.ui.cell.forces_view import SORT_ROLE, ForcesView

from .conftest import until
from .views import connected as shared_connected
from .views import shown

MEASURED = [c.key for c in COLUMNS].index("measured")
FORCE_ERROR = [c.key for c in COLUMNS].index("force_error")


async def connected(sim: ControllerSimulator) -> Session:
    return await shared_connected(sim, "hardpointList")


def make_view(session: Session, qtbot: QtBot) -> ForcesView:
    return shown(ForcesView(session), qtbot)


def cell(view: ForcesView, row: int, column: int) -> QModelIndex:
    return view.proxy.index(row, column)


def trigger_plot_menu(widget: Any, position: QPoint) -> None:
    """Right-click: the Plot context menu, its first action triggered."""
    widget.customContextMenuRequested.emit(position)
    menus = [m for m in widget.findChildren(QMenu) if m.isVisible()]
    assert menus, "no Plot menu"
    action = menus[-1].actions()[0]
    assert action.text().startswith("Plot ")
    action.trigger()
    menus[-1].close()


def test_live_table_sorts_filters_and_plots(run_qasync: Any, qtbot: QtBot) -> None:
    async def scenario() -> None:
        async with ControllerSimulator(
            command_port=0, telemetry_port=0, all_telemetry=True, seed=7
        ) as sim:
            session = await connected(sim)
            view = make_view(session, qtbot)
            resets: list[int] = []
            changes: list[int] = []
            view.model.modelReset.connect(lambda: resets.append(1))
            view.model.dataChanged.connect(lambda *_: changes.append(1))
            # the hardpoints, 1-based on the wire, are shown by name
            assert "B6, B16, B26 axial" in view.hardpoints_label.text()
            assert "0-based 5, 15, 25, 73, 75, 77" in view.hardpoints_label.text()
            # live values at display rate, by dataChanged only
            await until(lambda: cell(view, 0, MEASURED).data() != "—", what="forces")
            start = len(changes)
            await until(lambda: len(changes) > start + 3, what="more updates")
            assert resets == []
            assert view.proxy.rowCount() == 78
            assert cell(view, 5, 0).data() == "B6 (HP)"
            assert cell(view, 5, FORCE_ERROR).data() == "0.00"  # zero at hardpoints
            store = session.store(ForcesTable)
            assert store.text(0, "measured") != "—"

            # sort by measured force: click its header
            header = view.table.horizontalHeader()
            x = header.sectionViewportPosition(MEASURED) + 10
            qtbot.mouseClick(header.viewport(), Qt.MouseButton.LeftButton, pos=QPoint(x, 5))
            assert header.sortIndicatorSection() == MEASURED
            view.resort()  # the order follows the values once a second: now
            values = [view.proxy.index(r, MEASURED).data(SORT_ROLE) for r in range(78)]
            order = (
                values
                if header.sortIndicatorOrder() == Qt.SortOrder.AscendingOrder
                else values[::-1]
            )
            assert order == sorted(order)
            await until(lambda: len(changes) > start + 8, what="updates while sorted")
            assert resets == []

            # the ring filter: rows and summaries follow
            view.ring.setCurrentText("Ring C")
            assert sorted(view.visible_actuators()) == list(range(30, 54))
            summary = view.summary_model
            assert [r.title for r in summary.rows] == ["Axial min", "Axial max", "Axial total"]
            low = min(store.values["measured"][30:54])
            text = summary.index(0, MEASURED).data()
            assert abs(float(text) - low) < 0.011 or text == "—"
            view.ring.setCurrentText("Tangent (ring A)")
            assert sorted(view.visible_actuators()) == list(range(72, 78))
            assert [r.group for r in summary.rows] == ["Tangent"] * 3
            view.ring.setCurrentText("Hardpoints")
            assert sorted(view.visible_actuators()) == [5, 15, 25, 73, 75, 77]
            # new hardpoints (sent 0-based, reported 1-based): rows, marks and zeros follow
            await session.send("switchCommandSource", {"isRemote": False})
            await session.send("setHardpointList", {"actuators": [0, 10, 20, 72, 74, 76]})
            await until(
                lambda: sorted(view.visible_actuators()) == [0, 10, 20, 72, 74, 76],
                what="the new hardpoints shown",
            )
            assert "B1, B11, B21 axial · A1, A3, A5 tangent" in view.hardpoints_label.text()
            assert view.model.index(0, 0).data() == "B1 (HP)"
            assert view.model.index(5, 0).data() == "B6"
            assert view.model.index(0, FORCE_ERROR).data() == "0.00"
            view.ring.setCurrentText("All actuators")
            assert view.proxy.rowCount() == 78 and len(summary.rows) == 6

            # Plot: double-click a cell, right-click a cell, right-click a selection
            requested: list[list[str]] = []
            session.plots.requested.connect(requested.append)
            view.table.sortByColumn(0, Qt.SortOrder.AscendingOrder)
            rect = view.table.visualRect(cell(view, 12, MEASURED))
            view.table.scrollTo(cell(view, 12, MEASURED))
            rect = view.table.visualRect(cell(view, 12, MEASURED))
            qtbot.mouseClick(view.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
            qtbot.mouseDClick(view.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
            assert requested[-1] == ["axialForce.measured[12]"]
            view.table.clearSelection()
            view.table.scrollTo(cell(view, 73, 2))
            rect = view.table.visualRect(cell(view, 73, 2))  # A2 LUT temperature
            trigger_plot_menu(view.table.viewport(), rect.center())
            assert requested[-1] == ["tangentForce.lutTemperature[1]"]
            view.table.scrollToTop()
            first = view.table.visualRect(cell(view, 0, 3))
            qtbot.mouseClick(view.table.viewport(), Qt.MouseButton.LeftButton, pos=first.center())
            second = view.table.visualRect(cell(view, 1, 3))
            qtbot.mouseClick(
                view.table.viewport(),
                Qt.MouseButton.LeftButton,
                Qt.KeyboardModifier.ControlModifier,
                second.center(),
            )
            trigger_plot_menu(view.table.viewport(), second.center())
            assert requested[-1] == ["axialForce.applied[0]", "axialForce.applied[1]"]
            view.close()
            await session.disconnect()

    run_qasync(scenario())


def test_forces_near_the_limit_are_marked(run_qasync: Any, qtbot: QtBot) -> None:
    async def scenario() -> None:
        async with ControllerSimulator(
            command_port=0, telemetry_port=0, all_telemetry=True, seed=7
        ) as sim:
            session = await connected(sim)
            view = make_view(session, qtbot)
            for name, params in (
                ("switchCommandSource", {"isRemote": False}),
                ("power", {"powerType": 2, "status": True}),
                ("power", {"powerType": 1, "status": True}),
                ("switchForceBalanceSystem", {"status": True}),
            ):
                await session.send(name, params)
            store = session.store(ForcesTable)
            await until(lambda: store.closed_loop, what="closed loop")
            await until(lambda: "closed loop" in view.limits_label.text(), what="limits shown")
            assert "±444.82 N" in view.limits_label.text()
            # B8 commanded to 444 N in all (the most the controller accepts): the
            # measured force settles within 5 % of the closed-loop limit
            await until(lambda: math.isfinite(store.value(7, "lut_temperature")), what="LUT")
            lut = float(sim.plant.lut_gravity_axial[7] + sim.plant.lut_temperature_axial[7])
            axial = [0.0] * 72
            axial[7] = 444.0 - lut
            await session.send("applyForces", {"axial": axial, "tangent": [0.0] * 6})
            await until(lambda: cell(view, 7, MEASURED).data().startswith("! "), what="mark")
            index = cell(view, 7, MEASURED)
            assert index.data(Qt.ItemDataRole.BackgroundRole) == QColor(FLAG_COLORS[LimitFlag.NEAR])
            assert "within 5% of the closed loop limit ±444.82 N" in index.data(
                Qt.ItemDataRole.ToolTipRole
            )
            assert cell(view, 8, MEASURED).data(Qt.ItemDataRole.BackgroundRole) is None
            assert cell(view, 7, 3).data() == f"{axial[7]:.2f}"  # the applied offset
            view.close()
            await session.disconnect()

    run_qasync(scenario())


def test_forces_beyond_the_limit_are_marked(qtbot: QtBot) -> None:
    """The controller stops control as soon as a force exceeds its limit (6055), so
    an excursion is fed to the stores directly to look at it."""
    session = Session("127.0.0.1", 1, 2, reconnect=False, history=5)
    view = make_view(session, qtbot)
    now = time.time()
    session.events.on_event(Received("forceBalanceSystemStatus", {"status": True}, now, "command"))
    measured = [200.0] * 72
    measured[7] = 452.5
    zeros = [0.0] * 72
    session.telemetry.on_telemetry(
        Received(
            "axialForce",
            {
                "lutGravity": zeros,
                "lutTemperature": zeros,
                "applied": zeros,
                "measured": measured,
                "hardpointCorrection": zeros,
            },
            now,
            "telemetry",
        )
    )
    qtbot.waitUntil(lambda: cell(view, 7, MEASURED).data() == "⚠ 452.50", timeout=2000)
    index = cell(view, 7, MEASURED)
    assert index.data(Qt.ItemDataRole.BackgroundRole) == QColor(FLAG_COLORS[LimitFlag.BEYOND])
    assert index.data(Qt.ItemDataRole.ForegroundRole) == QColor("#ffffff")
    assert "beyond the closed loop limit ±444.82 N" in index.data(Qt.ItemDataRole.ToolTipRole)
    qtbot.waitUntil(lambda: "1 beyond" in view.limits_label.text(), timeout=2000)
    assert "B8" in view.limits_label.text()
    assert cell(view, 8, MEASURED).data(Qt.ItemDataRole.BackgroundRole) is None
