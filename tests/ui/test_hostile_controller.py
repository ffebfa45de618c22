"""The whole window against a hostile controller: it stays connected, drawing, answering.

The real simulator, with every bad thing issue 10 found injected on both
ports, drives the real main window on a qasync loop. After each wave the
window must still be connected (or have reconnected), its plots must keep
drawing, its events view must keep updating, and a command sent by clicking
Send must succeed.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest
from pytestqt.qtbot import QtBot

from m2gui.net import ConnectionState, Outcome
from m2gui.sim import GARBAGE, ControllerSimulator
from m2gui.ui.main_window import MainWindow

from .conftest import until
from .test_main_window import close, make_window

pytestmark = pytest.mark.timeout(90)


def inject(sim: ControllerSimulator, port: str, *lines: bytes) -> None:
    for session in list(sim.sessions[port]):
        for line in lines:
            session.send(line if line.endswith(b"\n") else line + b"\r\n")


def power_status(voltage: str) -> bytes:
    return (
        b'{"id":"powerStatus","motorVoltage":' + voltage.encode() + b',"motorCurrent":0.0,'
        b'"commVoltage":24.0,"commCurrent":1.0}'
    )


async def still_working(window: MainWindow, sim: ControllerSimulator) -> None:
    """Connected, drawing, events flowing, and a command sent from the UI succeeds."""
    session = window.session
    await until(lambda: session.connection.state is ConnectionState.CONNECTED, what="connected")
    frames = window.plot_area.frames
    await until(lambda: window.plot_area.frames >= frames + 3, what="plots drawing")
    panel = window.command_panel
    panel.select("clearErrors")
    await until(lambda: panel.send_button.isEnabled(), what="Send enabled")
    panel.send_button.click()
    await until(
        lambda: (
            bool(session.history.records)
            and session.history.records[-1].name == "clearErrors"
            and session.history.records[-1].outcome.final
        ),
        timeout=10,
        what="clearErrors answered",
    )
    assert session.history.records[-1].outcome is Outcome.SUCCESS, panel.outcome.text()


def test_window_survives_a_hostile_controller(
    run_qasync: Any, tmp_path: Path, qtbot: QtBot
) -> None:
    async def scenario() -> None:
        async with ControllerSimulator(command_port=0, telemetry_port=0, all_telemetry=True) as sim:
            window = make_window(sim, tmp_path, qtbot)
            window.resize(1400, 860)
            window.plot_area.plot(["powerStatus.motorVoltage"])
            window.connect_action.trigger()
            session = window.session
            await until(lambda: session.connection.connected, what="connected")
            await until(lambda: "commandableByDDS" in session.events.latest, what="welcome")
            # Take command from the GUI, as an engineer would, then check all works.
            panel = window.command_panel
            panel.load("switchCommandSource", {"isRemote": False})
            task = panel.send()
            assert task is not None, panel.outcome.text()
            await asyncio.wait_for(task, 10)
            await still_working(window, sim)
            finished = session.history.records[-1].sequence_id

            # Wave 1: every kind of bad line, hostile JSON, hostile values.
            for kind in sorted(GARBAGE):
                await sim.send_garbage("command", kind)
                await sim.send_garbage("telemetry", kind)
            hostile = [
                b"[" * 100_000,
                b'{"a":' * 30_000 + b"1" + b"}" * 30_000,
                b'{"id":"powerStatus","motorVoltage":' + b"9" * 5000 + b"}",
                b"\xff\xfe\xfd",
            ]
            inject(sim, "command", *hostile)
            inject(sim, "telemetry", *hostile)
            inject(
                sim,
                "telemetry",
                *(power_status(v) for v in ("1e999", "-1e999", "NaN", "1.7e308", "-1.7e308")),
                power_status("[[1.0]]"),
                power_status("1" + "0" * 400),
            )
            inject(
                sim,
                "command",
                b'{"id":"hardpointList","actuators":["a","b","c","d","e","f"]}',
                b'{"id":"netForcesTotal","fx":1.0,"fy":2.0,"fz":3.0}',
            )
            await still_working(window, sim)
            assert session.connection.port_stats("telemetry").bad_lines >= 8
            assert "netForcesTotal" in session.connection.latest_telemetry
            assert window.plot_area.frame_errors == 0

            # Wave 2: invented ids and a flood of late replies.
            inject(
                sim,
                "command",
                *(json.dumps({"id": f"invented{i}", "v": i}).encode() for i in range(3000)),
            )
            late = json.dumps(
                {"id": "fail", "sequence_id": finished, "user_info": "x" * 2000}
            ).encode()
            inject(sim, "command", *([late] * 5000))
            await until(lambda: session.connection.late_replies >= 5000, timeout=20)
            await still_working(window, sim)
            assert session.connection.port_stats("command").unknown_dropped > 0
            assert len(session.connection.latest_events) < 300

            # Wave 3: the controller vanishes mid-message and comes back.
            made = session.connection.connections_made
            await sim.send_garbage("telemetry", "truncated")
            await until(lambda: session.connection.connections_made > made, what="reconnected")
            await still_working(window, sim)
            await close(window)

    run_qasync(scenario(), timeout=80)
