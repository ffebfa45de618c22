"""ILC status: colours with words, devices, the store, Check and Enable against the simulator."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from m2gui.model.commanding import requires_mode
from m2gui.model.ops.ilc import (
    LEGEND,
    N_ILC,
    IlcStates,
    ilc_device,
    ilc_group,
    ilc_look,
    modbus_id,
    needs_communication_power,
)
from m2gui.model.procedures import ProcedureOutcome, ProcedureRunner, StepStatus
from m2gui.model.procedures.ilc_bringup import (
    check_ilcs_procedure,
    enable_ilcs_procedure,
    ids_text,
)
from m2gui.model.session import Session
from m2gui.net import Received
from m2gui.sim import ControllerSimulator

from ..waiting import until

pytestmark = pytest.mark.timeout(30)

GEOMETRY = Path(__file__).resolve().parents[3] / "shared" / "protocol" / "cell-geometry.json"


def received(name: str, **fields: Any) -> Received:
    return Received(name, {"id": name, **fields}, time.time(), "command")


def offline() -> Session:
    return Session("127.0.0.1", 1, 2, reconnect=False, history=5)


def test_each_mode_has_the_incumbents_colour_and_a_word() -> None:
    expected = {
        1: ("#4fd2e8", "Standby"),  # cyan
        2: ("#2b5cd6", "Disabled"),  # blue
        3: ("#2e9d4f", "Enabled"),  # green
        5: ("#d03030", "Fault"),  # red
        8: ("#9a9a9a", "Unknown"),  # grey
        4: ("#9a9a9a", "FirmwareUpdate"),
        None: ("#c8c8c8", "not read"),  # the incumbent's NaN: grey
        99: ("#9a9a9a", "mode 99"),
    }
    for mode, (color, word) in expected.items():
        look = ilc_look(mode)
        assert (look.color, look.word) == (color, word), mode
    assert [ilc_look(m).word for m in LEGEND] == [
        "Standby",
        "Disabled",
        "Enabled",
        "Fault",
        "Unknown",
        "not read",
    ]
    # Text stays readable on each lamp: dark on light colours, white on dark ones.
    assert ilc_look(1).text_color == "#000000" and ilc_look(2).text_color == "#ffffff"


def test_modbus_ids_groups_and_devices_match_the_cell_geometry() -> None:
    assert [modbus_id(a) for a in (0, 71, 72, 77, 78, 83)] == [1, 72, 73, 78, 79, 84]
    assert [ilc_group(a) for a in (0, 71, 72, 77, 78, 83)] == [
        "Axial",
        "Axial",
        "Tangent",
        "Tangent",
        "Sensor",
        "Sensor",
    ]
    if not GEOMETRY.exists():
        pytest.skip("shared/protocol/cell-geometry.json not beside the checkout")
    table = json.loads(GEOMETRY.read_text())["ilc_address_map"]
    assert len(table) == N_ILC
    for row in table:
        assert modbus_id(row["address0"]) == row["modbus_id"]
        assert ilc_device(row["address0"]) == row["device"]
    with pytest.raises(ValueError):
        ilc_device(84)


def test_the_store_follows_the_events_and_ignores_bad_ones() -> None:
    session = offline()
    session.events.on_event(received("innerLoopControlMode", address=3, mode=3))
    session.events.on_event(received("bypassedActuatorILCs", ilcs=[6, 16]))  # 1-based on the wire
    ilcs = session.store(IlcStates)  # made late: reads what is there already
    assert ilcs.modes[3] == 3 and ilcs.bypassed == (5, 15)
    changes: list[frozenset[int]] = []
    ilcs.changed.connect(changes.append)
    session.events.on_event(received("innerLoopControlMode", address=83, mode=5))
    session.events.on_event(received("innerLoopControlMode", address=83, mode=5))  # no change
    session.events.on_event(received("innerLoopControlMode", address=84, mode=1))
    session.events.on_event(received("innerLoopControlMode", address=2, mode="x"))
    session.events.on_event(received("bypassedActuatorILCs", ilcs=[6, 999, "a"]))
    assert changes == [frozenset({83}), frozenset({15})]
    assert ilcs.modes[83] == 5 and ilcs.ignored == 2 and ilcs.bypassed == (5,)
    assert ilcs.unknown() == [a for a in range(N_ILC) if a not in (3, 83)]
    counts = ilcs.counts()
    assert counts == {"Enabled": 1, "Fault": 1, "not read": 82}
    tip = ilcs.tooltip(5)
    assert tip.startswith("ModBUS id 6 (address 5): axial actuator B6")
    assert "Bypassed" in tip
    ilcs.reset()
    assert ilcs.modes == [None] * N_ILC and changes[-1] == frozenset(range(N_ILC))


def test_ids_text_is_bounded() -> None:
    assert ids_text([5, 6]) == "ModBUS ids 6, 7 (addresses 5, 6)"
    long = ids_text(list(range(84)))
    assert "(84 in all)" in long and len(long) < 200


def test_check_and_enable_need_idle_and_communication_power() -> None:
    session = offline()
    idle = requires_mode(1)
    assert idle(session) == "needs the controller in Idle mode (it is unknown)"
    session.events.on_event(received("closedLoopControlMode", mode=3))
    assert idle(session) == "needs the controller in Idle mode (it is OpenLoop)"
    session.events.on_event(received("closedLoopControlMode", mode=1))
    assert idle(session) is None
    assert needs_communication_power(session) is not None
    session.events.on_event(received("powerSystemState", powerType=2, status=True, state=5))
    assert needs_communication_power(session) is None


@pytest.fixture
async def powered(sim: ControllerSimulator) -> AsyncIterator[Session]:
    """A session in command, with communication power on and the controller Idle."""
    session = Session("127.0.0.1", sim.command_port, sim.telemetry_port, history=5)
    session.connect()
    await session.connection.wait_connected(5)
    await until(lambda: "summaryFaultsStatus" in session.events.latest, what="welcome")
    await session.send("switchCommandSource", {"isRemote": False})
    await session.send("power", {"powerType": 2, "status": True})
    yield session
    await session.disconnect()


async def test_check_asks_only_the_unknown_ilcs_and_waits_for_their_answers(
    powered: Session,
) -> None:
    ilcs = powered.store(IlcStates)
    assert set(ilcs.modes) == {8}  # the welcome burst: Unknown before they were asked
    powered.events.on_event(received("innerLoopControlMode", address=0, mode=1))
    since = len(powered.history.records)
    runner = powered.store(ProcedureRunner)
    result = await asyncio.wait_for(runner.start(check_ilcs_procedure(powered)), 10)
    assert result.outcome is ProcedureOutcome.SUCCEEDED, result.text
    (record,) = list(powered.history.records)[since:]
    assert record.name == "getInnerLoopControlMode"
    assert record.params == {"addresses": list(range(1, 84))}
    assert ilcs.modes == [1] * 84  # the simulator's ILCs start in Standby
    assert "Nothing was changed on the cell" in result.safe_state
    # Nothing unknown: nothing sent.
    again = await asyncio.wait_for(runner.start(check_ilcs_procedure(powered)), 10)
    assert again.outcome is ProcedureOutcome.SUCCEEDED
    assert runner.last is not None and runner.last.runs[0].status is StepStatus.SKIPPED
    assert len(powered.history.records) == since + 1


async def test_check_says_which_ilcs_did_not_answer(
    powered: Session, sim: ControllerSimulator
) -> None:
    sim.faults.withhold = {"getInnerLoopControlMode"}
    powered.events.on_event(received("innerLoopControlMode", address=0, mode=1))
    procedure = check_ilcs_procedure(powered)
    runner = powered.store(ProcedureRunner)
    task = runner.start(procedure)
    await until(lambda: procedure.runs[0].sending == "getInnerLoopControlMode")
    procedure.cancel()
    result = await asyncio.wait_for(task, 5)
    assert result.outcome is ProcedureOutcome.CANCELLED
    assert powered.store(IlcStates).modes[1] is None  # asked, never answered: not read


async def test_enable_ilcs_brings_them_up_from_the_known_modes(
    powered: Session, sim: ControllerSimulator
) -> None:
    sim.controller.ilc_modes[10] = 5  # one in Fault
    sim.controller.ilc_modes[80] = 4  # one updating its firmware
    since = len(powered.history.records)
    runner = powered.store(ProcedureRunner)
    result = await asyncio.wait_for(runner.start(enable_ilcs_procedure(powered)), 10)
    assert result.outcome is ProcedureOutcome.SUCCEEDED, result.text
    actuators = [a for a in range(78) if a != 5]
    sent = [(r.name, r.params) for r in list(powered.history.records)[since:]]
    assert sent == [
        # Unknown (from the welcome) is asked again, bypassed 5 skipped.
        ("getInnerLoopControlMode", {"addresses": actuators + list(range(78, 84))}),
        ("setInnerLoopControlMode", {"addresses": [10], "mode": 6}),  # Fault -> ClearFaults
        ("setInnerLoopControlMode", {"addresses": [80], "mode": 1}),  # FirmwareUpdate -> Standby
        ("setInnerLoopControlMode", {"addresses": actuators, "mode": 2}),
        ("setInnerLoopControlMode", {"addresses": list(range(78, 84)), "mode": 3}),
        ("setInnerLoopControlMode", {"addresses": actuators, "mode": 3}),
    ]
    assert all(sim.controller.ilc_modes[a] == 3 for a in actuators + list(range(78, 84)))
    assert "83 Enabled" in result.safe_state


async def test_enable_ilcs_fails_naming_the_ilcs_that_stay_in_fault(
    powered: Session, sim: ControllerSimulator
) -> None:
    real = sim.controller.cmd_setInnerLoopControlMode

    def stuck(addresses: list[int], mode: int) -> list[dict[str, Any]]:
        events = real(addresses, mode)
        for event in events:
            if event["address"] == 20:
                event["mode"] = 5  # ILC 20 (ModBUS 21) faults whatever it is told
                sim.controller.ilc_modes[20] = 5
        return events

    sim.controller.cmd_setInnerLoopControlMode = stuck  # type: ignore[method-assign]
    procedure = enable_ilcs_procedure(powered, tries=2, timeout=2.0)
    result = await asyncio.wait_for(powered.store(ProcedureRunner).start(procedure), 15)
    assert result.outcome is ProcedureOutcome.FAILED
    # Try 1: Standby -> Disabled leaves it in Fault; try 2: ClearFaults leaves it in Fault.
    assert result.reason == (
        "step 1 'ILCs to Enabled' failed: ILCs went to Fault instead of Standby: "
        "ModBUS ids 21 (addresses 20) (after 2 tries)"
    )
    assert procedure.runs[0].tries == 2
