"""The mirror map, driven as a user would: against the simulator and against fed stores."""

from __future__ import annotations

import time
from typing import Any

import numpy as np
import pytest
from PySide6.QtCore import QEvent, QPoint, QPointF, Qt
from PySide6.QtGui import QHelpEvent
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QMenu, QToolTip
from pytestqt.qtbot import QtBot

from m2gui.model.cell.colormaps import COOLWARM, VIRIDIS
from m2gui.model.cell.map_model import COLOUR_DEADBAND
from m2gui.model.cell.selection import ActuatorSelection
from m2gui.model.session import Session
from m2gui.net import Received
from m2gui.sim import ControllerSimulator
from m2gui.ui.bridge import Listener
from m2gui.ui.cell.mirror_map import MirrorMapView

from .conftest import until

pytestmark = pytest.mark.timeout(60)

HARDPOINTS_0 = {5, 15, 25, 73, 75, 77}


def make_view(qtbot: QtBot, session: Session) -> MirrorMapView:
    view = MirrorMapView(session)
    qtbot.addWidget(view)
    view.resize(900, 550)
    view.show()
    return view


def offline_session() -> Session:
    return Session("127.0.0.1", 1, 2, reconnect=False, history=5)


def feed(session: Session, topic: str, **fields: Any) -> None:
    message = {k: (v.tolist() if isinstance(v, np.ndarray) else v) for k, v in fields.items()}
    session.telemetry.on_telemetry(Received(topic, message, time.time(), "telemetry"))


def feed_forces(session: Session, axial: np.ndarray, tangent: np.ndarray) -> None:
    for topic, measured in (("axialForce", axial), ("tangentForce", tangent)):
        n = len(measured)
        feed(
            session,
            topic,
            lutGravity=np.zeros(n),
            lutTemperature=np.zeros(n),
            applied=np.zeros(n),
            measured=measured,
            hardpointCorrection=np.zeros(n),
        )


def centre(view: MirrorMapView, index: int) -> QPoint:
    """Viewport position of an actuator's centre."""
    return view.canvas.mapFromScene(view.scene.shapes[index].pos())


def fill(view: MirrorMapView, index: int) -> tuple[int, int, int]:
    colour = view.scene.shapes[index].brush().color()
    return colour.red(), colour.green(), colour.blue()


def assert_colours_follow_values(view: MirrorMapView) -> None:
    """Every actuator's fill is the colour bar's colour for its value (within the dead band)."""
    model = view.model
    for group, part in model.slices.items():
        bar = view.colour_bars[group]
        assert bar.cmap is model.colormap
        assert (bar.low, bar.high) == model.scales[group].range
        expected = bar.cmap.indices(model.values[part], bar.low, bar.high)
        for index, colour in zip(range(part.start, part.stop), expected.tolist(), strict=True):
            drawn = int(model.colour_index[index])
            if colour < 0:
                assert drawn == -1
                assert view.scene.shapes[index].brush().style() == Qt.BrushStyle.BDiagPattern
            else:
                assert abs(drawn - colour) <= COLOUR_DEADBAND, index
                assert fill(view, index) == tuple(int(c) for c in bar.cmap.rgb[drawn]), index


def test_colours_follow_the_simulator_and_the_colour_bar(qtbot: QtBot, run_qasync: Any) -> None:
    async def scenario() -> None:
        async with ControllerSimulator(
            command_port=0, telemetry_port=0, all_telemetry=True, seed=7
        ) as sim:
            session = Session("127.0.0.1", sim.command_port, sim.telemetry_port, history=30)
            view = make_view(qtbot, session)
            session.connect()
            await until(lambda: np.isfinite(view.model.values).all(), what="all 78 values")
            await until(lambda: view.scene.hardpoints == HARDPOINTS_0, what="hardpoints")
            assert_colours_follow_values(view)
            assert view.model.colormap is VIRIDIS
            # colour by the applied force, as a user picks it
            view.quantity.setCurrentIndex(view.quantity.findData("applied"))
            await until(lambda: view.colour_bars["axial"].cmap is COOLWARM, what="diverging")
            sim.controller.applied_axial[12] = 100.0
            sim.controller.applied_tangent[1] = -800.0
            await until(lambda: view.model.values[12] == 100.0, what="applied force")
            await until(lambda: view.model.values[73] == -800.0, what="tangent applied")
            bar = view.colour_bars["axial"]
            await until(lambda: bar.high >= 100.0, what="colour bar grows")
            assert bar.low == -bar.high  # symmetric about zero
            warm = int(COOLWARM.indices([100.0], bar.low, bar.high)[0])
            assert warm > 192  # well into the warm side
            assert fill(view, 12) == tuple(int(c) for c in COOLWARM.rgb[warm])
            assert fill(view, 0) == tuple(int(c) for c in COOLWARM.rgb[128])  # zero: neutral
            t_bar = view.colour_bars["tangent"]
            cool = int(COOLWARM.indices([-800.0], t_bar.low, t_bar.high)[0])
            assert cool < 64  # well into the cool side
            assert fill(view, 73) == tuple(int(c) for c in COOLWARM.rgb[cool])
            assert_colours_follow_values(view)
            summary = view.summaries["axial"]
            await until(lambda: "max B13 100.0 N" in summary.text(), what="min/max in words")
            # the hardpoints follow the hardpointList event (1-based on the wire)
            hard_pen = view.scene.shapes[5].pen().widthF()
            assert hard_pen > view.scene.shapes[0].pen().widthF()
            sim.broadcast([{"id": "hardpointList", "actuators": [1, 11, 21, 73, 75, 77]}])
            await until(lambda: view.scene.hardpoints == {0, 10, 20, 72, 74, 76}, what="moved")
            assert view.scene.shapes[0].pen().widthF() == hard_pen
            assert view.scene.shapes[5].pen().widthF() < hard_pen
            frames = view.frames
            sim.controller.applied_axial[12] = -100.0
            await until(lambda: view.frames > frames, what="draws the change")
            assert fill(view, 12) == tuple(int(c) for c in COOLWARM.rgb[255 - warm])
            await session.disconnect()

    run_qasync(scenario())


def test_map_is_drawn_as_the_vendor_drawing(qtbot: QtBot) -> None:
    view = make_view(qtbot, offline_session())
    g = view.model.geometry
    shapes = view.scene.shapes
    b1, b2, b16 = (shapes[g.labels.index(name)].pos() for name in ("B1", "B2", "B16"))
    assert abs(b1.x()) < 1e-6 and b1.y() < 0  # 12 o'clock on the y-down screen
    assert b2.x() > b1.x()  # numbers run clockwise
    assert b16.y() > 0  # and B16 at the bottom
    for i in range(72, 78):
        # each bar lies along the direction its link pushes (y flipped for the screen)
        dx, dy = g.tangent_direction(i)
        along = shapes[i].mapToScene(QPointF(1.0, 0.0)) - shapes[i].pos()
        assert along.x() == pytest.approx(dx, abs=1e-6)
        assert along.y() == pytest.approx(-dy, abs=1e-6)
    outline = g.outline_radius * 100
    for shape in shapes:
        rect = shape.sceneBoundingRect()
        for corner in (rect.topLeft(), rect.bottomRight()):
            assert abs(corner.x()) < outline and abs(corner.y()) < outline


def test_click_selects_and_a_selection_made_elsewhere_is_ringed(qtbot: QtBot) -> None:
    session = offline_session()
    view = make_view(qtbot, session)
    selection = session.store(ActuatorSelection)
    qtbot.waitExposed(view)
    viewport = view.canvas.viewport()
    QTest.mouseClick(
        viewport, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, centre(view, 0)
    )
    assert selection.selected == {0}
    qtbot.waitUntil(lambda: view.scene.halos[0].isVisible())
    # the actuator panel (or anyone) changes the shared selection: the rings follow
    selection.set([3, 72])
    qtbot.waitUntil(lambda: view.scene.halos[3].isVisible() and view.scene.halos[72].isVisible())
    assert not view.scene.halos[0].isVisible()
    # a tangent link is clicked along its bar; a click on the empty centre does nothing
    QTest.mouseClick(
        viewport, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, centre(view, 72)
    )
    assert selection.selected == {3}
    QTest.mouseClick(
        viewport,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
        view.canvas.mapFromScene(0, 0),
    )
    assert selection.selected == {3}
    qtbot.waitUntil(lambda: not view.scene.halos[72].isVisible())
    # hidden actuators cannot be clicked
    view.show_combo.setCurrentIndex(view.show_combo.findData("axial"))
    qtbot.waitUntil(lambda: not view.scene.shapes[73].isVisible())
    QTest.mouseClick(
        viewport, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, centre(view, 73)
    )
    assert selection.selected == {3}
    assert not view.colour_bars["tangent"].isVisible()


def test_double_click_plots_the_actuator_and_keeps_the_selection(qtbot: QtBot) -> None:
    session = offline_session()
    view = make_view(qtbot, session)
    qtbot.waitExposed(view)
    requests: list[list[str]] = []
    session.plots.requested.connect(requests.append)
    selection = session.store(ActuatorSelection)
    window = view.window().windowHandle()
    point = view.canvas.viewport().mapTo(view.window(), centre(view, 11))
    # through the window, as the platform delivers it: press, release, double-click, release
    QTest.mouseDClick(window, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, point)
    qtbot.waitUntil(lambda: bool(requests))
    assert requests == [["axialForce.measured[11]"]]
    assert selection.selected == frozenset()
    view.quantity.setCurrentIndex(view.quantity.findData("position"))
    qtbot.waitUntil(lambda: view.model.quantity.key == "position")
    point = view.canvas.viewport().mapTo(view.window(), centre(view, 74))
    QTest.mouseDClick(window, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, point)
    qtbot.waitUntil(lambda: len(requests) == 2)
    assert requests[1] == ["tangentEncoderPositions.position[2]"]


def test_context_menu_plots_the_actuator_or_the_selection(qtbot: QtBot) -> None:
    session = offline_session()
    view = make_view(qtbot, session)
    requests: list[list[str]] = []
    session.plots.requested.connect(requests.append)
    view.canvas.customContextMenuRequested.emit(centre(view, 30))
    menu = view.canvas.findChild(QMenu)
    assert menu is not None
    (action,) = menu.actions()
    assert action.text() == "Plot axialForce.measured[30]"
    action.trigger()
    assert requests == [["axialForce.measured[30]"]]
    menu.close()
    session.store(ActuatorSelection).set([30, 31, 72])
    assert view.signals_at(centre(view, 31)) == [
        "axialForce.measured[30]",
        "axialForce.measured[31]",
        "tangentForce.measured[0]",
    ]
    assert view.signals_at(centre(view, 40)) == ["axialForce.measured[40]"]
    assert view.signals_at(view.canvas.mapFromScene(0, 0)) == []


def test_hover_shows_every_value_live(qtbot: QtBot) -> None:
    session = offline_session()
    view = make_view(qtbot, session)
    qtbot.waitExposed(view)
    feed_forces(session, np.full(72, 150.0), np.full(6, 900.0))
    qtbot.waitUntil(lambda: view.model.values[0] == 150.0)
    viewport = view.canvas.viewport()
    QTest.mouseMove(viewport, centre(view, 1))
    qtbot.waitUntil(lambda: view.canvas.hover == 1)
    assert view.info.text() == view.model.hover_text(1)
    assert view.info.text().startswith("B2 · axial actuator")
    assert "Measured force" in view.info.text() and "150.00 N" in view.info.text()
    # the panel follows new values (a few times a second)
    feed_forces(session, np.full(72, 175.0), np.full(6, 900.0))
    qtbot.waitUntil(lambda: "175.00 N" in view.info.text(), timeout=3000)
    # the tool tip says the same
    global_pos = viewport.mapToGlobal(centre(view, 1))
    QApplication.sendEvent(viewport, QHelpEvent(QEvent.Type.ToolTip, centre(view, 1), global_pos))
    assert QToolTip.text() == view.model.hover_text(1)
    QToolTip.hideText()


def test_labels_and_scale_modes_from_the_controls(qtbot: QtBot) -> None:
    session = offline_session()
    view = make_view(qtbot, session)
    axial = np.linspace(-20.0, 40.0, 72)
    feed_forces(session, axial, np.array([1.0, 2.0, 3.0, 4.0, 5.0, 6.0]))
    qtbot.waitUntil(lambda: view.model.values[71] == 40.0)
    assert view.scene.labels[0].text() == "B1" and view.scene.labels[77].text() == "A6"
    view.labels.setCurrentIndex(view.labels.findData("index"))
    qtbot.waitUntil(lambda: view.scene.labels[0].text() == "0")
    assert view.scene.labels[77].text() == "77"
    view.labels.setCurrentIndex(view.labels.findData("value"))
    qtbot.waitUntil(lambda: view.scene.labels[71].text() == "40.0")
    # symmetric: diverging colours about zero
    view.mode.setCurrentIndex(view.mode.findData("symmetric"))
    qtbot.waitUntil(lambda: view.colour_bars["axial"].cmap is COOLWARM)
    assert view.colour_bars["axial"].low == -view.colour_bars["axial"].high
    assert_colours_follow_values(view)
    # fixed: the boxes appear with the frozen range and set a new one
    view.mode.setCurrentIndex(view.mode.findData("fixed"))
    qtbot.waitUntil(lambda: view.fixed_row.isVisible())
    low, high = view.fixed["axial"]
    assert (low.value(), high.value()) == view.model.scales["axial"].range
    high.setValue(400.0)
    low.setValue(0.0)
    qtbot.waitUntil(lambda: view.colour_bars["axial"].high == 400.0)
    assert view.colour_bars["axial"].low == 0.0 and view.colour_bars["axial"].cmap is VIRIDIS
    assert_colours_follow_values(view)
    low.setValue(500.0)  # above the highest: refused with the reason
    assert "low < high" in view.fixed_problem.text()
    assert view.model.scales["axial"].range == (0.0, 400.0)


def test_hidden_map_does_no_drawing_work(qtbot: QtBot) -> None:
    session = offline_session()
    view = make_view(qtbot, session)
    feed_forces(session, np.full(72, 1.0), np.full(6, 1.0))
    qtbot.waitUntil(lambda: view.frames >= 1)
    (listener,) = [x for x in view.findChildren(Listener) if x.objectName() == "listener:arrived"]
    view.hide()
    frames, deliveries = view.frames, listener.deliveries
    for k in range(5):
        feed_forces(session, np.full(72, 10.0 * k), np.full(6, 1.0))
    qtbot.waitUntil(lambda: listener.deliveries > deliveries)  # delivered, and dropped
    assert view.frames == frames
    assert view.model.values[0] == 1.0  # not even read
    view.show()
    qtbot.waitUntil(lambda: view.model.values[0] == 40.0)
    assert_colours_follow_values(view)
