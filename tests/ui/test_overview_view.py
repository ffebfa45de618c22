"""The Overview view against the real simulator: large lamps with words, following the events."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from PySide6.QtGui import QImage
from pytestqt.qtbot import QtBot

from m2gui.model.ops.local_mode import Local, LocalMode
from m2gui.model.ops.overview import Overview
from m2gui.model.ops.overview_lamps import LEVEL_COLORS, LEVEL_SYMBOLS, Level
from m2gui.model.ops.overview_rules import FLAG_KEYS
from m2gui.model.session import Session
from m2gui.sim import ControllerSimulator
from m2gui.ui.ops.overview_view import OverviewView

from .conftest import until

pytestmark = pytest.mark.timeout(60)


def shows(view: OverviewView, key: str, level: Level, word: str) -> bool:
    """The lamp reads ``symbol word`` on the level's colour."""
    lamp = view.lamp(key)
    return (
        lamp.text() == f"{LEVEL_SYMBOLS[level]} {word}" and LEVEL_COLORS[level] in lamp.styleSheet()
    )


def make(qtbot: QtBot, sim: ControllerSimulator) -> tuple[Session, OverviewView]:
    session = Session("127.0.0.1", sim.command_port, sim.telemetry_port, history=30)
    view = OverviewView(session)
    qtbot.addWidget(view)
    view.resize(900, 550)
    view.show()
    return session, view


def test_overview_follows_the_controller(qtbot: QtBot, run_qasync: Any, tmp_path: Path) -> None:
    async def scenario() -> None:
        async with ControllerSimulator(command_port=0, telemetry_port=0, seed=1) as sim:
            session, view = make(qtbot, sim)
            assert shows(view, "connected", Level.OFF, "NOT CONNECTED")
            assert view.values["commander"].text() == "unknown"
            session.connect()
            await until(lambda: shows(view, "connected", Level.OK, "CONNECTED"), what="link")
            await until(lambda: shows(view, "telemetry", Level.OK, "ACTIVE"), what="telemetry")
            await until(lambda: view.values["commander"].text() == "CSC", what="commander")
            assert "CSC commands" in view.values["commander"].toolTip()
            assert view.values["local_mode"].text() == "Standby"
            assert view.values["control_mode"].text() == "Idle"
            assert view.values["inclination_source"].text() == "ONBOARD"
            # the controller raises 6053 (cRIO communication) at start, as the mock does
            await until(lambda: shows(view, "alarm", Level.ERROR, "ALARM"), what="6053")
            assert "6053" in view.lamp("alarm").toolTip()
            assert shows(view, "comm_power", Level.OFF, "OFF")
            assert shows(view, "motor_power", Level.OFF, "OFF")
            assert shows(view, "interlock", Level.OFF, "RELEASED")
            assert shows(view, "max_limits", Level.OFF, "DISABLED")
            assert shows(view, "cell_temperature", Level.OFF, "NORMAL")
            assert shows(view, "in_position", Level.OFF, "NOT IN POSITION")

            await session.send("switchCommandSource", {"isRemote": False})
            await session.send("clearErrors")
            await until(lambda: shows(view, "alarm", Level.OFF, "NONE"), what="reset")
            assert view.values["commander"].text() == "GUI"
            await session.send("power", {"powerType": 2, "status": True})
            await session.send("power", {"powerType": 1, "status": True})
            await session.send("switchForceBalanceSystem", {"status": True})
            await until(lambda: shows(view, "motor_power", Level.OK, "ON"), what="motor on")
            assert shows(view, "comm_power", Level.OK, "ON")
            await until(lambda: view.values["control_mode"].text() == "ClosedLoop", what="mode")
            await until(lambda: shows(view, "in_position", Level.OK, "IN POSITION"), what="pos")
            # motor power raises warning 6052 (as the reference simulator does)
            await until(lambda: shows(view, "warning", Level.WARNING, "WARNING"), what="6052")

            # faults injected: the controller reports them with its own events
            sim.inject("fault", code=6055)
            sim.inject("interlock")
            sim.inject("cell_temperature_high")
            await until(lambda: "6055" in view.lamp("alarm").toolTip(), what="6055")
            assert shows(view, "alarm", Level.ERROR, "ALARM")
            await until(lambda: shows(view, "interlock", Level.ERROR, "ENGAGED"), what="lock")
            await until(lambda: shows(view, "cell_temperature", Level.ERROR, "HIGH"), what="hot")
            # a fault stops closed-loop control
            await until(lambda: view.values["control_mode"].text() == "TelemetryOnly")
            grab = tmp_path / "overview.png"
            assert view.grab().save(str(grab))
            assert not QImage(str(grab)).isNull()

            # the fault falls: the lamp stays red (latched) until a reset succeeds
            sim.inject("fault", code=6055, active=False)
            await until(lambda: shows(view, "alarm", Level.ERROR, "LATCHED"), what="latched")
            await session.send("clearErrors")
            await until(lambda: shows(view, "alarm", Level.OFF, "NONE"), what="reset")
            await until(lambda: shows(view, "interlock", Level.OFF, "RELEASED"), what="released")
            assert shows(view, "warning", Level.OFF, "NONE")
            assert shows(view, "cell_temperature", Level.OFF, "NORMAL")

            await session.send("enableOpenLoopMaxLimit", {"status": True})
            await until(lambda: shows(view, "max_limits", Level.OK, "ENABLED"), what="max")
            parameters = {
                "enableLutTemperature": True,
                "enableLutInclinometer": True,
                "useExternalElevationAngle": True,
                "enableAngleComparison": False,
                "maxAngleDifference": 2.0,
            }
            await session.send("setControlParameters", parameters)
            await until(lambda: view.values["inclination_source"].text() == "MTMOUNT")

            await session.disconnect()
            await until(lambda: shows(view, "connected", Level.OFF, "NOT CONNECTED"))
            for key in FLAG_KEYS:
                if key not in ("connected", "telemetry"):
                    assert shows(view, key, Level.UNKNOWN, "UNKNOWN"), key
            assert view.values["commander"].text() == "unknown"

    run_qasync(scenario())


def test_local_mode_follows_the_sequencer(qtbot: QtBot, run_qasync: Any) -> None:
    async def scenario() -> None:
        async with ControllerSimulator(command_port=0, telemetry_port=0, seed=5) as sim:
            session, view = make(qtbot, sim)
            session.connect()
            await session.connection.wait_connected(5)  # both ports, not only events
            await until(lambda: view.values["commander"].text() == "CSC", what="welcome")
            await session.send("switchCommandSource", {"isRemote": False})
            await until(lambda: session.events.value("commandableByDDS", "state") is False)
            assert view.values["local_mode"].text() == "Standby"
            procedure = session.store(LocalMode).start(Local.DIAGNOSTIC)
            overview = session.store(Overview)
            assert procedure.name in overview.reading("local_mode").detail  # running now
            await until(
                lambda: view.values["local_mode"].text() == "Diagnostic",
                timeout=15,
                what="Diagnostic",
            )
            await session.disconnect()

    run_qasync(scenario())


def test_every_lamp_has_a_word_and_a_symbol(qtbot: QtBot) -> None:
    session = Session("127.0.0.1", 1, 2, reconnect=False, history=5)
    view = OverviewView(session)
    qtbot.addWidget(view)
    overview = session.store(Overview)
    assert list(view.lamps) == list(FLAG_KEYS)
    for flag in overview.flags:
        lamp = view.lamp(flag.key)
        symbol, word = lamp.text().split(" ", 1)
        assert symbol == LEVEL_SYMBOLS[flag.level] and word == flag.word
        assert flag.title in lamp.toolTip()
    for key in ("commander", "local_mode", "control_mode", "inclination_source"):
        assert view.values[key].text()


def test_fonts_grow_with_the_panel(qtbot: QtBot) -> None:
    session = Session("127.0.0.1", 1, 2, reconnect=False, history=5)
    view = OverviewView(session)
    qtbot.addWidget(view)
    view.resize(900, 550)
    view.show()
    qtbot.waitUntil(lambda: view.width() == 900)
    small = view.lamp("alarm").font().pixelSize()
    assert small >= 20  # large at the 1366x768 tab size already
    view.resize(1800, 1100)
    qtbot.waitUntil(lambda: view.lamp("alarm").font().pixelSize() > small)
    assert view.values["commander"].font().pixelSize() >= 50
