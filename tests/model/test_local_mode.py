"""Local mode: each transition against the simulator, exactly the incumbent's commands.

The expected sequences are the incumbent's (incumbent-gui-views.md, "Main
window, command source and state machine"; the ILC bring-up of ts_m2com as
m2-protocol.md describes it), written out here by hand.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest

from m2gui.model import load_catalogue
from m2gui.model.ops.ilc import IlcStates
from m2gui.model.ops.local_mode import Local, LocalMode, drop_codes
from m2gui.model.procedures import (
    Procedure,
    ProcedureOutcome,
    ProcedureResult,
    ProcedureRunner,
    StepStatus,
)
from m2gui.model.procedures.local_mode import diagnostic_faults_mask
from m2gui.model.session import Session
from m2gui.sim import ControllerSimulator

from ..waiting import until

pytestmark = pytest.mark.timeout(30)

CAT = load_catalogue()
MOTOR, COMM = 1, 2
ACTUATORS_BUT_BYPASSED = [a for a in range(78) if a != 5]  # the sim bypasses ILC 5 (ModBUS 6)
SENSORS = list(range(78, 84))

#: Standby -> Diagnostic (enter_diagnostic), comm power off.
ENTER_DIAGNOSTIC = [
    ("setEnabledFaultsMask", {"mask": 0xFF800003FFFFFFF8}),
    ("switchDigitalOutput", {"bit": 4, "status": 2}),
    ("switchDigitalOutput", {"bit": 8, "status": 2}),
    ("switchDigitalOutput", {"bit": 16, "status": 2}),
    ("setClosedLoopControlMode", {"mode": 1}),
    ("loadConfiguration", {}),
    (
        "setControlParameters",
        {
            "enableLutTemperature": True,
            "enableLutInclinometer": True,
            "useExternalElevationAngle": False,
            "enableAngleComparison": False,
            "maxAngleDifference": 2.0,
        },
    ),
    ("setClosedLoopControlMode", {"mode": 1}),
    ("resetForceOffsets", {}),
    ("resetActuatorSteps", {}),
]
#: Diagnostic -> Enable (enter_enable), every ILC in Standby.
ENTER_ENABLE = [
    ("power", {"powerType": COMM, "status": True}),
    ("power", {"powerType": MOTOR, "status": True}),
    ("getInnerLoopControlMode", {"addresses": ACTUATORS_BUT_BYPASSED + SENSORS}),
    ("setInnerLoopControlMode", {"addresses": ACTUATORS_BUT_BYPASSED, "mode": 2}),
    ("setInnerLoopControlMode", {"addresses": SENSORS, "mode": 3}),
    ("setInnerLoopControlMode", {"addresses": ACTUATORS_BUT_BYPASSED, "mode": 3}),
    ("setClosedLoopControlMode", {"mode": 3}),
]
#: Enable -> Diagnostic (exit_enable), also on a fault.
EXIT_ENABLE = [
    ("runScript", {"scriptCommand": 4}),
    ("runScript", {"scriptCommand": 2}),
    ("resetForceOffsets", {}),
    ("resetActuatorSteps", {}),
    ("setClosedLoopControlMode", {"mode": 2}),
    ("power", {"powerType": MOTOR, "status": False}),
]
#: Diagnostic -> Standby (exit_diagnostic).
EXIT_DIAGNOSTIC = [
    ("power", {"powerType": COMM, "status": False}),
    ("setClosedLoopControlMode", {"mode": 1}),
]


def sent(session: Session, since: int) -> list[tuple[str, dict[str, Any]]]:
    records = list(session.history.records)[since:]
    return [(r.name, {k: v for k, v in r.params.items() if k != "scriptName"}) for r in records]


class Cell:
    """A session on the simulator with the GUI in command, and its local mode."""

    def __init__(self, sim: ControllerSimulator, session: Session) -> None:
        self.sim = sim
        self.session = session
        self.local = session.store(LocalMode)
        self.runner = session.store(ProcedureRunner)
        self.ilcs = session.store(IlcStates)

    @property
    def mark(self) -> int:
        return len(self.session.history.records)

    async def go(self, target: Local) -> tuple[ProcedureResult, list[tuple[str, Any]]]:
        since = self.mark
        procedure = self.local.start(target)
        assert procedure.task is not None
        result = await asyncio.wait_for(procedure.task, 20)
        return result, sent(self.session, since)

    async def to_enable(self) -> None:
        for target in (Local.DIAGNOSTIC, Local.ENABLE):
            result, _ = await self.go(target)
            assert result.outcome is ProcedureOutcome.SUCCEEDED, result.text


@pytest.fixture
async def cell(sim: ControllerSimulator) -> AsyncIterator[Cell]:
    session = Session("127.0.0.1", sim.command_port, sim.telemetry_port, history=5)
    session.connect()
    await session.connection.wait_connected(5)
    await until(lambda: "summaryFaultsStatus" in session.events.latest, what="welcome")
    await session.send("switchCommandSource", {"isRemote": False})
    await session.send("clearErrors")
    yield Cell(sim, session)
    await session.disconnect()


# ----------------------------------------------------------------------
# Rules and decoding, without a controller
# ----------------------------------------------------------------------
def test_the_diagnostic_mask_is_the_default_without_1000_1001_1002_6052() -> None:
    mask = diagnostic_faults_mask(CAT)
    assert mask == 0xFF800007FFFFFFFF & ~(0b111 | 1 << 34) == 0xFF800003FFFFFFF8


def test_every_fault_and_warning_6057_drop_enable_and_nothing_else_does() -> None:
    for row in CAT.fault_bits:
        codes = drop_codes(CAT, 1 << row["bit"])
        if row["kind"] == "fault" or row["code"] == 6057:
            assert codes == (row["code"],), row
        else:
            assert codes == (), row
    assert drop_codes(CAT, (1 << 57) | (1 << 34) | (1 << 5)) == (6057, 6053)
    for bad in (None, -1, True, "0x1", 1.5):
        assert drop_codes(CAT, bad) == ()


def offline_local() -> tuple[Session, LocalMode]:
    session = Session("127.0.0.1", 1, 2, reconnect=False, history=5)
    return session, session.store(LocalMode)


def test_which_transition_each_mode_allows() -> None:
    _, local = offline_local()
    expected = {
        Local.STANDBY: {Local.DIAGNOSTIC},
        Local.DIAGNOSTIC: {Local.STANDBY, Local.ENABLE},
        Local.ENABLE: {Local.DIAGNOSTIC},
    }
    for mode, allowed in expected.items():
        local.mode = mode
        for target in Local:
            reason = local.transition_reason(target)
            assert (reason is None) == (target in allowed), (mode, target, reason)
    local.mode = Local.STANDBY
    assert local.transition_reason(Local.STANDBY) == "already in Standby"
    assert local.transition_reason(Local.ENABLE) == "from Standby only Diagnostic can be entered"


def test_the_command_source_buttons_follow_the_incumbent() -> None:
    session, local = offline_local()
    assert local.source_reason(True) is None and local.source_reason(False) is None
    session.events.on_event(_received("commandableByDDS", state=True))
    assert local.source_reason(True) == "the CSC holds command already"
    assert local.source_reason(False) is None
    session.events.on_event(_received("commandableByDDS", state=False))
    assert local.source_reason(False) == "this GUI holds command already"
    local.mode = Local.DIAGNOSTIC
    assert local.source_reason(True) is not None and "Diagnostic" in local.source_reason(True)
    local.mode = Local.ENABLE
    assert local.source_reason(True) is None


def test_no_transition_in_closed_loop() -> None:
    session, local = offline_local()
    session.events.on_event(_received("forceBalanceSystemStatus", status=True))
    assert local.transition_reason(Local.DIAGNOSTIC) == (
        "closed-loop control is running: leave closed loop first"
    )


def test_enable_is_refused_while_a_fault_is_active() -> None:
    session, local = offline_local()
    local.mode = Local.DIAGNOSTIC
    session.events.on_event(_received("summaryFaultsStatus", status=1 << 57))
    reason = local.transition_reason(Local.ENABLE)
    assert reason is not None and reason.startswith("fault 6053 active: clear the faults first")
    session.events.on_event(_received("summaryFaultsStatus", status=1 << 34))  # warning 6052
    assert local.transition_reason(Local.ENABLE) is None


def test_start_refuses_with_the_reason() -> None:
    _, local = offline_local()
    with pytest.raises(RuntimeError, match="not connected"):
        local.start(Local.DIAGNOSTIC)


def _received(name: str, **fields: Any) -> Any:
    import time

    from m2gui.net import Received

    return Received(name, {"id": name, **fields}, time.time(), "command")


# ----------------------------------------------------------------------
# The transitions against the simulator
# ----------------------------------------------------------------------
async def test_standby_to_diagnostic_sends_the_incumbent_sequence(cell: Cell) -> None:
    result, commands = await cell.go(Local.DIAGNOSTIC)
    assert result.outcome is ProcedureOutcome.SUCCEEDED, result.text
    assert commands == ENTER_DIAGNOSTIC
    assert cell.local.mode is Local.DIAGNOSTIC
    assert cell.sim.controller.enabled_faults_mask == 0xFF800003FFFFFFF8
    assert result.safe_state.startswith("Local mode Diagnostic: communication power off")


async def test_diagnostic_to_enable_brings_every_ilc_up(cell: Cell) -> None:
    await cell.go(Local.DIAGNOSTIC)
    result, commands = await cell.go(Local.ENABLE)
    assert result.outcome is ProcedureOutcome.SUCCEEDED, result.text
    assert commands == ENTER_ENABLE
    assert cell.local.mode is Local.ENABLE
    controller = cell.sim.controller
    assert controller.motor_on and controller.comm_on and controller.closed_loop_mode == 3
    assert [controller.ilc_modes[a] for a in ACTUATORS_BUT_BYPASSED + SENSORS] == [3] * 83
    assert cell.ilcs.modes[5] is None  # bypassed: skipped, not read
    procedure = cell.runner.last
    assert procedure is not None
    ilc_step = procedure.runs[2]
    assert ilc_step.title == "ILCs to Enabled" and ilc_step.tries == 1
    assert ilc_step.note.startswith("83 ILCs Enabled; bypassed, skipped: ModBUS ids 6")
    assert len(ilc_step.commands) == 4


async def test_enable_to_diagnostic_and_back_to_standby(cell: Cell) -> None:
    await cell.to_enable()
    cell.sim.faults.fail_next = 1  # runScript Stop fails: the clean-up goes on
    cell.sim.faults.fail_reason = "no script is running"
    result, commands = await cell.go(Local.DIAGNOSTIC)
    assert result.outcome is ProcedureOutcome.SUCCEEDED, result.text
    assert commands == EXIT_ENABLE
    procedure = cell.runner.last
    assert procedure is not None
    assert procedure.runs[0].status is StepStatus.TOLERATED
    assert procedure.runs[0].note == "runScript fail: no script is running"
    assert [r.status for r in procedure.runs[1:]] == [StepStatus.DONE] * 5
    assert cell.local.mode is Local.DIAGNOSTIC and not cell.sim.controller.motor_on
    assert cell.sim.controller.closed_loop_mode == 2

    result, commands = await cell.go(Local.STANDBY)
    assert result.outcome is ProcedureOutcome.SUCCEEDED, result.text
    assert commands == EXIT_DIAGNOSTIC
    assert cell.local.mode is Local.STANDBY and not cell.sim.controller.comm_on
    assert cell.ilcs.modes == [None] * 84  # ILC modes reset to Unknown
    assert result.safe_state == (
        "Local mode Standby: communication power off, motor power off, controller mode Idle."
    )


async def test_with_power_already_on_the_transitions_only_relabel(cell: Cell) -> None:
    await cell.session.send("power", {"powerType": COMM, "status": True})
    result, commands = await cell.go(Local.DIAGNOSTIC)
    assert result.outcome is ProcedureOutcome.SUCCEEDED and commands == []
    assert cell.local.mode is Local.DIAGNOSTIC
    await cell.session.send("power", {"powerType": MOTOR, "status": True})
    result, commands = await cell.go(Local.ENABLE)
    assert result.outcome is ProcedureOutcome.SUCCEEDED and commands == []
    assert cell.local.mode is Local.ENABLE
    procedure = cell.runner.last
    assert procedure is not None
    assert [r.status for r in procedure.runs] == [StepStatus.SKIPPED] * 4


async def test_a_failed_step_stops_enable_and_powers_the_motor_off_again(cell: Cell) -> None:
    await cell.go(Local.DIAGNOSTIC)

    def fail_open_loop(procedure: Procedure, run: Any) -> None:
        if run.title == "Controller mode OpenLoop" and run.sending:
            cell.sim.faults.fail_next = 1
            cell.sim.faults.fail_reason = "open loop refused"

    cell.runner.step.connect(fail_open_loop)
    result, commands = await cell.go(Local.ENABLE)
    assert result.outcome is ProcedureOutcome.FAILED
    assert result.reason == (
        "step 4 'Controller mode OpenLoop' failed: setClosedLoopControlMode fail: open loop refused"
    )
    assert commands == [*ENTER_ENABLE, ("power", {"powerType": MOTOR, "status": False})]
    assert cell.local.mode is Local.DIAGNOSTIC
    assert not cell.sim.controller.motor_on
    assert result.safe_state.startswith(
        "Local mode Diagnostic: communication power on, motor power off"
    )


async def test_a_failed_first_command_stops_diagnostic_with_nothing_else_sent(cell: Cell) -> None:
    cell.sim.faults.fail_next = 1
    result, commands = await cell.go(Local.DIAGNOSTIC)
    assert result.outcome is ProcedureOutcome.FAILED
    assert result.failed_step is not None and result.failed_step.index == 1
    assert "setEnabledFaultsMask fail: injected failure" in result.reason
    assert commands == ENTER_DIAGNOSTIC[:1]
    assert cell.local.mode is Local.STANDBY
    assert result.safe_state.startswith("Local mode Standby")


async def test_the_ilc_bring_up_is_retried(cell: Cell) -> None:
    await cell.go(Local.DIAGNOSTIC)
    failed = {"done": False}

    def fail_first_ilc_command(procedure: Procedure, run: Any) -> None:
        if run.sending == "setInnerLoopControlMode" and not failed["done"]:
            failed["done"] = True
            cell.sim.faults.fail_next = 1

    cell.runner.step.connect(fail_first_ilc_command)
    result, commands = await cell.go(Local.ENABLE)
    assert result.outcome is ProcedureOutcome.SUCCEEDED, result.text
    procedure = cell.runner.last
    assert procedure is not None and procedure.runs[2].tries == 2
    names = [name for name, _ in commands]
    assert names == [
        "power",
        "power",
        "getInnerLoopControlMode",
        "setInnerLoopControlMode",  # failed
        "setInnerLoopControlMode",  # try 2: Standby -> Disabled
        "setInnerLoopControlMode",
        "setInnerLoopControlMode",
        "setClosedLoopControlMode",
    ]


async def test_the_ilc_bring_up_gives_up_after_three_tries(cell: Cell) -> None:
    await cell.go(Local.DIAGNOSTIC)
    procedure = cell.local.start(Local.ENABLE)
    assert procedure.task is not None

    def fail_ilcs(p: Procedure, run: Any) -> None:
        if run.sending == "setInnerLoopControlMode":
            cell.sim.faults.fail_next = 1

    cell.runner.step.connect(fail_ilcs)
    result = await asyncio.wait_for(procedure.task, 20)
    assert result.outcome is ProcedureOutcome.FAILED
    assert result.reason.startswith("step 3 'ILCs to Enabled' failed: setInnerLoopControlMode")
    assert result.reason.endswith("(after 3 tries)")
    assert not cell.sim.controller.motor_on  # the clean-up powered it off
    assert cell.local.mode is Local.DIAGNOSTIC


async def test_cancel_mid_way_stops_cleanly(cell: Cell) -> None:
    await cell.go(Local.DIAGNOSTIC)
    cell.sim.faults.withhold = {"setInnerLoopControlMode"}  # the bring-up hangs there
    since = cell.mark
    procedure = cell.local.start(Local.ENABLE)
    await until(lambda: procedure.runs[2].sending == "setInnerLoopControlMode", what="ILCs")
    cell.sim.faults.withhold = set()
    assert cell.local.cancel()
    assert procedure.task is not None
    result = await asyncio.wait_for(procedure.task, 10)
    assert result.outcome is ProcedureOutcome.CANCELLED
    assert result.reason == "cancelled by the user at step 3 'ILCs to Enabled'"
    assert procedure.runs[2].status is StepStatus.CANCELLED
    assert procedure.runs[3].status is StepStatus.PENDING
    assert [n for n, _ in sent(cell.session, since)] == [
        "power",
        "power",
        "getInnerLoopControlMode",
        "setInnerLoopControlMode",  # cancelled while waiting for its reply
        "power",  # clean-up: motor off
    ]
    assert not cell.sim.controller.motor_on
    assert cell.local.mode is Local.DIAGNOSTIC and not cell.runner.busy
    assert "motor power off" in result.safe_state


async def test_a_fault_in_enable_drops_to_diagnostic_with_a_banner(cell: Cell) -> None:
    await cell.to_enable()
    since = cell.mark
    changes: list[str] = []
    cell.local.changed.connect(changes.append)
    cell.sim.broadcast([{"id": "summaryFaultsStatus", "status": 1 << 57}])  # 6053: a fault
    await until(lambda: cell.local.mode is Local.DIAGNOSTIC, 10, "the drop")
    assert sent(cell.session, since) == EXIT_ENABLE
    assert not cell.sim.controller.motor_on
    banner = cell.local.banner
    assert banner is not None and banner.codes == (6053,)
    assert banner.result is not None and banner.result.outcome is ProcedureOutcome.SUCCEEDED
    assert "Enable dropped to Diagnostic on fault 6053" in banner.text
    assert cell.local.drops == 1
    assert changes[0] == "banner" and "mode" in changes
    procedure = cell.runner.last
    assert procedure is not None and procedure.name == "Enable → Diagnostic (on fault 6053)"
    # It stays until acknowledged; then it is gone.
    cell.sim.broadcast([{"id": "summaryFaultsStatus", "status": 0}])
    await until(lambda: cell.session.events.value("summaryFaultsStatus", "status") == 0)
    assert cell.local.banner is banner
    cell.local.acknowledge()
    assert cell.local.banner is None and changes[-1] == "banner"


async def test_warning_6057_drops_enable_and_other_warnings_do_not(cell: Cell) -> None:
    await cell.to_enable()
    cell.sim.broadcast([{"id": "summaryFaultsStatus", "status": 1 << 34}])  # warning 6052
    await until(lambda: cell.session.events.value("summaryFaultsStatus", "status") == 1 << 34)
    assert cell.local.mode is Local.ENABLE and not cell.runner.busy
    cell.sim.broadcast([{"id": "summaryFaultsStatus", "status": 1 << 5}])  # warning 6057
    await until(lambda: cell.local.mode is Local.DIAGNOSTIC, 10, "the drop")
    assert cell.local.banner is not None and cell.local.banner.codes == (6057,)


async def test_a_fault_outside_enable_drops_nothing(cell: Cell) -> None:
    await cell.go(Local.DIAGNOSTIC)
    since = cell.mark
    cell.sim.broadcast([{"id": "summaryFaultsStatus", "status": 1 << 57}])
    await until(lambda: cell.session.events.value("summaryFaultsStatus", "status") == 1 << 57)
    assert cell.local.mode is Local.DIAGNOSTIC and cell.local.banner is None
    assert sent(cell.session, since) == []


async def test_a_failed_drop_is_not_repeated_for_the_same_codes(cell: Cell) -> None:
    await cell.to_enable()

    def fail_power(procedure: Procedure, run: Any) -> None:
        if run.sending == "power":
            cell.sim.faults.fail_next = 1

    cell.runner.step.connect(fail_power)
    cell.sim.broadcast([{"id": "summaryFaultsStatus", "status": 1 << 57}])
    await until(lambda: cell.local.drops == 1 and not cell.runner.busy, 10, "the failed drop")
    banner = cell.local.banner
    assert banner is not None and banner.result is not None
    assert banner.result.outcome is ProcedureOutcome.FAILED
    assert "the clean-up failed" in banner.text
    assert cell.local.mode is Local.ENABLE and cell.sim.controller.motor_on
    # More events with the same fault do not start it again and again.
    cell.runner.step.disconnect(fail_power)
    cell.sim.broadcast([{"id": "summaryFaultsStatus", "status": 1 << 57}])
    await until(lambda: cell.session.events.latest["summaryFaultsStatus"].count >= 3)
    assert cell.local.drops == 1
    # A new code does.
    cell.sim.broadcast([{"id": "summaryFaultsStatus", "status": (1 << 57) | (1 << 4)}])
    await until(lambda: cell.local.mode is Local.DIAGNOSTIC, 10, "the second drop")
    assert cell.local.drops == 2


# ----------------------------------------------------------------------
# Open- and closed-loop control
# ----------------------------------------------------------------------
def test_the_control_mode_rules() -> None:
    session, local = offline_local()
    assert local.control_reason(False) == "closed-loop control is not running (open loop already)"
    reason = local.control_reason(True)
    assert reason is not None and reason.startswith("closed loop needs these ILCs Enabled")
    for address in [*range(78), 83]:
        session.events.on_event(_received("innerLoopControlMode", address=address, mode=3))
    assert local.control_reason(True) is None
    session.events.on_event(_received("innerLoopControlMode", address=40, mode=5))
    assert local.control_reason(True) == (
        "closed loop needs these ILCs Enabled: ModBUS ids 41 (addresses 40)"
    )
    session.events.on_event(_received("bypassedActuatorILCs", ilcs=[41]))  # 1-based
    assert local.control_reason(True) is None  # a bypassed ILC is not needed
    local.mode = Local.DIAGNOSTIC
    assert local.control_reason(True) == "only in Standby or Enable (the local mode is Diagnostic)"
    local.mode = Local.ENABLE
    session.events.on_event(_received("forceBalanceSystemStatus", status=True))
    assert local.control_reason(True) == "closed-loop control is running already"
    assert local.control_reason(False) is None


async def test_closed_then_open_loop_send_the_incumbent_commands(cell: Cell) -> None:
    await cell.to_enable()
    since = cell.mark
    procedure = cell.local.start_control(True)
    assert procedure.task is not None
    result = await asyncio.wait_for(procedure.task, 10)
    assert result.outcome is ProcedureOutcome.SUCCEEDED, result.text
    assert sent(cell.session, since) == [
        ("enableOpenLoopMaxLimit", {"status": False}),
        ("switchForceBalanceSystem", {"status": True}),
    ]
    assert cell.sim.controller.force_balance
    assert result.safe_state.startswith("Closed loop running:")
    # In closed loop no local-mode transition may start.
    assert cell.local.transition_reason(Local.DIAGNOSTIC) == (
        "closed-loop control is running: leave closed loop first"
    )
    since = cell.mark
    procedure = cell.local.start_control(False)
    assert procedure.task is not None
    result = await asyncio.wait_for(procedure.task, 10)
    assert result.outcome is ProcedureOutcome.SUCCEEDED, result.text
    assert sent(cell.session, since) == [("switchForceBalanceSystem", {"status": False})]
    assert not cell.sim.controller.force_balance
    with pytest.raises(RuntimeError, match="open loop already"):
        cell.local.start_control(False)
