"""Fault injection: each kind sends the controller's events, in its order; clearErrors clears.

Everything goes over real sockets to the real simulator: ``sim.inject`` on one
side, a `ControllerConnection` receiving the events on the other.
"""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
import sys
from collections.abc import AsyncIterator

import pytest

from m2gui.model import Catalogue
from m2gui.net import ControllerConnection, TcpClient
from m2gui.sim import ControllerSimulator, Injection, parse_injection

from ..conftest import connect_to
from ..waiting import until
from .recorder import Recorder

DEFAULT_MASK = 0xFF800007FFFFFFFF
ALL_CODES = 2**64 - 1
DI_NO_POWER, DI_COMM, DI_BOTH = 0x9F00FFFF, 0x80007FFF, 0x3F
RELAY = 1 << 31


def bit(catalogue: Catalogue, code: int) -> int:
    return next(1 << r["bit"] for r in catalogue.fault_bits if r["code"] == code)


async def until_cycles(sim: ControllerSimulator, cycles: int) -> None:
    """Wait until the simulator has run ``cycles`` more control cycles."""
    start = sim.telemetry_cycles
    await until(lambda: sim.telemetry_cycles >= start + cycles, what=f"{cycles} cycles")


@pytest.fixture
async def rec(conn: ControllerConnection) -> AsyncIterator[Recorder]:
    recorder = Recorder(conn)
    await recorder.welcomed()
    yield recorder


async def power_on(conn: ControllerConnection) -> None:
    await conn.command("power", {"powerType": 2, "status": True})
    await conn.command("power", {"powerType": 1, "status": True})


async def closed_loop(conn: ControllerConnection) -> None:
    await power_on(conn)
    await conn.command("switchForceBalanceSystem", {"status": True})


async def test_welcome_ends_with_6053_limit_switches_and_cell_temperature(
    sim: ControllerSimulator, catalogue: Catalogue
) -> None:
    for expected_status in (bit(catalogue, 6053), 0):
        conn = connect_to(sim)
        conn.start()
        rec = Recorder(conn)
        try:
            await rec.welcomed()
            names = [e.name for e in rec.events]
            assert names[-5:] == [
                "forceBalanceSystemStatus",
                "openLoopMaxLimit",
                "summaryFaultsStatus",
                "limitSwitchStatus",
                "cellTemperatureHiWarning",
            ]
            assert rec.events[-3].message["status"] == expected_status
            assert rec.events[-2].message == {
                "id": "limitSwitchStatus",
                "retract": [],
                "extend": [],
            }
            assert rec.events[-1].message == {"id": "cellTemperatureHiWarning", "hiWarning": False}
            # Raised once at start: cleared, it does not come back for the next client.
            await conn.command("clearErrors")
        finally:
            await conn.close()


async def test_every_code_of_the_table_rises_and_falls(
    sim: ControllerSimulator, conn: ControllerConnection, rec: Recorder, catalogue: Catalogue
) -> None:
    await conn.command("clearErrors")
    await conn.command("setEnabledFaultsMask", {"mask": ALL_CODES})
    assert len(catalogue.fault_bits) == 64
    for row in catalogue.fault_bits:
        mask = 1 << row["bit"]
        mark = rec.mark()
        sim.inject("fault", code=row["code"])
        assert (await rec.burst(mark, 1)) == [{"id": "summaryFaultsStatus", "status": mask}]
        mark = rec.mark()
        sim.inject("fault", code=row["code"], active=False)
        assert (await rec.burst(mark, 1)) == [{"id": "summaryFaultsStatus", "status": 0}]
    # Bits add up, exactly (uint64 over the wire).
    for code in (6087, 6053, 1000):
        sim.inject("fault", code=code)
    expected = bit(catalogue, 6087) | bit(catalogue, 6053) | bit(catalogue, 1000)
    await rec.event("summaryFaultsStatus", where=lambda m: m["status"] == expected)
    assert expected > 2**63


async def test_masked_codes_are_ignored(
    sim: ControllerSimulator, conn: ControllerConnection, rec: Recorder, catalogue: Catalogue
) -> None:
    await conn.command("clearErrors")
    await conn.command("setEnabledFaultsMask", {"mask": DEFAULT_MASK & ~bit(catalogue, 6055)})
    mark = rec.mark()
    sim.inject("fault", code=6055)  # masked by the new mask
    sim.inject("fault", code=1040)  # reserved, masked by the default mask
    sim.inject("fault", code=6056)
    # Nothing for the masked codes: the first event is the one for 6056, alone.
    assert await rec.burst(mark, 1) == [
        {"id": "summaryFaultsStatus", "status": bit(catalogue, 6056)}
    ]
    assert sim.controller.summary_faults == bit(catalogue, 6056)


async def test_masking_an_active_code_drops_it(
    sim: ControllerSimulator, conn: ControllerConnection, rec: Recorder, catalogue: Catalogue
) -> None:
    await conn.command("clearErrors")
    sim.inject("fault", code=6081)
    mark = rec.mark()
    mask = DEFAULT_MASK & ~bit(catalogue, 6081)
    await conn.command("setEnabledFaultsMask", {"mask": mask})
    assert await rec.burst(mark, 2, "enabledFaultsMask") == [
        {"id": "enabledFaultsMask", "mask": mask},
        {"id": "summaryFaultsStatus", "status": 0},
    ]


async def test_limit_switch_in_open_loop_is_warning_6057(
    sim: ControllerSimulator, conn: ControllerConnection, rec: Recorder, catalogue: Catalogue
) -> None:
    await power_on(conn)
    await conn.command("clearErrors")
    mark = rec.mark()
    sim.inject("limit_switch", actuator=12, direction="retract")
    assert await rec.burst(mark, 2) == [
        {"id": "limitSwitchStatus", "retract": [12], "extend": []},
        {"id": "summaryFaultsStatus", "status": bit(catalogue, 6057)},
    ]
    mark = rec.mark()
    sim.inject("limit_switch", actuator=77, direction="extend")
    sim.inject("limit_switch", actuator=3, direction="retract")
    burst = await rec.burst(mark, 4)
    assert burst[2] == {"id": "limitSwitchStatus", "retract": [3, 12], "extend": [77]}
    # A warning: the control mode is untouched.
    assert sim.controller.closed_loop_mode == 1
    # Released switches leave the lists; with none left, the code goes too.
    mark = rec.mark()
    for actuator, direction in ((12, "retract"), (3, "retract"), (77, "extend")):
        sim.inject("limit_switch", actuator=actuator, direction=direction, active=False)
    assert (await rec.burst(mark, 6))[-2:] == [
        {"id": "limitSwitchStatus", "retract": [], "extend": []},
        {"id": "summaryFaultsStatus", "status": 0},
    ]


async def test_limit_switch_in_closed_loop_is_fault_6056_and_opens_the_loop(
    sim: ControllerSimulator, conn: ControllerConnection, rec: Recorder, catalogue: Catalogue
) -> None:
    await closed_loop(conn)
    await conn.command("clearErrors")
    assert sim.controller.digital_output == 0x3F
    mark = rec.mark()
    sim.inject("limit_switch", actuator=40, direction="extend")
    assert await rec.burst(mark, 5) == [
        {"id": "limitSwitchStatus", "retract": [], "extend": [40]},
        {"id": "summaryFaultsStatus", "status": bit(catalogue, 6056)},
        {"id": "forceBalanceSystemStatus", "status": False},
        {"id": "closedLoopControlMode", "mode": 2},
        {"id": "digitalOutput", "value": 0x1F},
    ]
    assert not sim.controller.force_balance


async def test_fault_stops_open_loop_but_a_warning_does_not(
    sim: ControllerSimulator, conn: ControllerConnection, rec: Recorder, catalogue: Catalogue
) -> None:
    await power_on(conn)
    await conn.command("setClosedLoopControlMode", {"mode": 3})
    await conn.command("clearErrors")
    mark = rec.mark()
    sim.inject("fault", code=6081)  # warning
    sim.inject("fault", code=6055)  # fault
    assert await rec.burst(mark, 3) == [
        {"id": "summaryFaultsStatus", "status": bit(catalogue, 6081)},
        {"id": "summaryFaultsStatus", "status": bit(catalogue, 6081) | bit(catalogue, 6055)},
        {"id": "closedLoopControlMode", "mode": 2},
    ]


async def test_ilc_fault_until_clear_faults(
    sim: ControllerSimulator, conn: ControllerConnection, rec: Recorder, catalogue: Catalogue
) -> None:
    await conn.command("power", {"powerType": 2, "status": True})
    await conn.command("clearErrors")
    await conn.command("getInnerLoopControlMode", {"addresses": [5, 80]})
    mark = rec.mark()
    sim.inject("ilc_fault", address=5)
    assert await rec.burst(mark, 2) == [
        {"id": "innerLoopControlMode", "address": 5, "mode": 5},
        {"id": "summaryFaultsStatus", "status": bit(catalogue, 6051)},
    ]
    mark = rec.mark()
    sim.inject("ilc_fault", address=80)  # a sensor ILC: the monitoring ILC warning
    assert await rec.burst(mark, 2) == [
        {"id": "innerLoopControlMode", "address": 80, "mode": 5},
        {"id": "summaryFaultsStatus", "status": bit(catalogue, 6051) | bit(catalogue, 6052)},
    ]
    modes: dict[int, int] = {}
    conn.subscribe(
        lambda r: modes.__setitem__(r.message["address"], r.message["mode"]),
        "innerLoopControlMode",
    )
    await conn.command("getInnerLoopControlMode", {"addresses": [5]})
    assert modes[5] == 5
    # A faulted ILC ignores mode changes until ClearFaults, which takes it to Standby.
    await conn.command("setInnerLoopControlMode", {"addresses": [5], "mode": 2})
    assert modes[5] == 5
    await conn.command("setInnerLoopControlMode", {"addresses": [5], "mode": 6})
    assert modes[5] == 1
    # The code stays latched until clearErrors, as on the controller.
    assert sim.controller.summary_faults & bit(catalogue, 6051)
    # Undoing the sensor ILC's injection puts it back and drops its code.
    mark = rec.mark()
    sim.inject("ilc_fault", address=80, active=False)
    assert await rec.burst(mark, 2) == [
        {"id": "innerLoopControlMode", "address": 80, "mode": 1},
        {"id": "summaryFaultsStatus", "status": bit(catalogue, 6051)},
    ]


async def test_cell_temperature_high_repeats_every_cycle(
    sim: ControllerSimulator, conn: ControllerConnection, rec: Recorder, catalogue: Catalogue
) -> None:
    await conn.command("clearErrors")
    mark = rec.mark()
    sim.inject("cell_temperature_high")
    assert await rec.burst(mark, 2, "cellTemperatureHiWarning") == [
        {"id": "cellTemperatureHiWarning", "hiWarning": True},
        {"id": "summaryFaultsStatus", "status": bit(catalogue, 6075)},
    ]
    # Repeated every cycle while true, as the reference simulator does.
    await rec.event(
        "cellTemperatureHiWarning",
        mark + 3,
        lambda m: m["hiWarning"] and len(rec.since(mark, periodic=True)) >= 6,
    )
    mark = rec.mark()
    sim.inject("cell_temperature_high", active=False)
    assert await rec.burst(mark, 2, "cellTemperatureHiWarning", lambda m: not m["hiWarning"]) == [
        {"id": "cellTemperatureHiWarning", "hiWarning": False},
        {"id": "summaryFaultsStatus", "status": 0},
    ]
    await until_cycles(sim, 3)
    warnings = [e.message["hiWarning"] for e in rec.events if e.name == "cellTemperatureHiWarning"]
    assert warnings[-1] is False


async def test_interlock_sets_the_relay_input(
    sim: ControllerSimulator, conn: ControllerConnection, rec: Recorder
) -> None:
    await power_on(conn)
    assert rec.latest("digitalInput")["value"] == DI_BOTH
    assert rec.latest("interlock")["state"] is False
    mark = rec.mark()
    sim.inject("interlock")
    assert await rec.burst(mark, 2) == [
        {"id": "digitalInput", "value": DI_BOTH | RELAY},
        {"id": "interlock", "state": True},
    ]
    mark = rec.mark()
    sim.inject("interlock", active=False)
    assert await rec.burst(mark, 2) == [
        {"id": "digitalInput", "value": DI_BOTH},
        {"id": "interlock", "state": False},
    ]


async def test_breaker_trips_raise_the_controllers_codes(
    sim: ControllerSimulator, conn: ControllerConnection, rec: Recorder, catalogue: Catalogue
) -> None:
    bits = catalogue.bitfields["DigitalInput"]
    j1_w9_1, j1_w9_2 = bits["J1_W9_1_MotorPowerBreaker"], bits["J1_W9_2_MotorPowerBreaker"]
    j2_w10_1 = bits["J2_W10_1_MotorPowerBreaker"]
    j3_w14_2 = bits["J3_W14_2_CommunicationPowerBreaker"]
    await power_on(conn)
    await conn.command("clearErrors")
    mark = rec.mark()
    sim.inject("breaker", power="motor", index=0)  # J1-W9-1 opens: one on its line
    assert await rec.burst(mark, 2) == [
        {"id": "digitalInput", "value": DI_BOTH | j1_w9_1},
        {"id": "summaryFaultsStatus", "status": bit(catalogue, 6071)},
    ]
    # The feed's current drops with the open breaker (8.5 A nominal, 9 breakers).
    await rec.telemetry("powerStatus", lambda m: 6.0 < m["motorCurrent"] < 8.2)
    mark = rec.mark()
    sim.inject("breaker", power="motor", index=3)  # J2-W10-1: one on another line
    assert (await rec.burst(mark, 2))[1]["status"] == bit(catalogue, 6071)
    mark = rec.mark()
    sim.inject("breaker", power="motor", index=1)  # J1-W9-2: two on line J1: fault
    assert await rec.burst(mark, 2) == [
        {"id": "digitalInput", "value": DI_BOTH | j1_w9_1 | j1_w9_2 | j2_w10_1},
        {"id": "summaryFaultsStatus", "status": bit(catalogue, 6071) | bit(catalogue, 6070)},
    ]
    mark = rec.mark()
    sim.inject("breaker", power="communication", index=5)
    assert (await rec.burst(mark, 2))[0] == {
        "id": "digitalInput",
        "value": DI_BOTH | j1_w9_1 | j1_w9_2 | j2_w10_1 | j3_w14_2,
    }
    # resetBreakers closes the feed's breakers (the codes stay until clearErrors).
    mark = rec.mark()
    await conn.command("resetBreakers", {"powerType": 1})
    resets = [e.message["value"] for e in rec.since(mark) if e.name == "digitalInput"]
    motor_bits = sum(v for k, v in bits.items() if k.endswith("MotorPowerBreaker"))
    assert resets == [DI_BOTH | motor_bits | j3_w14_2, DI_BOTH | j3_w14_2]
    assert sim.controller.summary_faults & bit(catalogue, 6070)
    await rec.telemetry("powerStatus", lambda m: m["motorCurrent"] > 8.2)


async def test_breaker_of_an_unpowered_feed_raises_its_code_at_power_on(
    sim: ControllerSimulator, conn: ControllerConnection, rec: Recorder, catalogue: Catalogue
) -> None:
    await conn.command("clearErrors")
    mark = rec.mark()
    sim.inject("breaker", power="communication", index=0)
    # An unpowered feed reads its breakers open anyway: no change, no code yet.
    assert await rec.burst(mark, 2) == [
        {"id": "digitalInput", "value": DI_NO_POWER},
        {"id": "summaryFaultsStatus", "status": 0},
    ]
    mark = rec.mark()
    await conn.command("power", {"powerType": 2, "status": True})
    names = [e.name for e in rec.since(mark)]
    assert names[-1] == "summaryFaultsStatus"
    assert rec.since(mark)[-1].message["status"] == bit(catalogue, 6071)
    j1_w12_1 = catalogue.bitfields["DigitalInput"]["J1_W12_1_CommunicationPowerBreaker"]
    assert rec.latest("digitalInput")["value"] == DI_COMM | j1_w12_1


async def test_clear_errors_clears_everything_injected(
    sim: ControllerSimulator, conn: ControllerConnection, rec: Recorder
) -> None:
    await power_on(conn)
    await conn.command("getInnerLoopControlMode", {"addresses": [7]})
    for kind, kwargs in (
        ("fault", {"code": 6087}),
        ("limit_switch", {"actuator": 5, "direction": "retract"}),
        ("ilc_fault", {"address": 7}),
        ("cell_temperature_high", {}),
        ("interlock", {}),
        ("breaker", {"power": "motor", "index": 8}),
    ):
        sim.inject(kind, **kwargs)
    await rec.event("digitalInput", where=lambda m: m["value"] == DI_BOTH | RELAY | 1 << 14)
    mark = rec.mark()
    await conn.command("clearErrors")
    assert await rec.burst(mark, 7, "summaryFaultsStatus") == [
        {"id": "summaryFaultsStatus", "status": 0},
        {"id": "digitalInput", "value": DI_BOTH},
        {"id": "digitalOutput", "value": 0x1F},
        {"id": "interlock", "state": False},
        {"id": "limitSwitchStatus", "retract": [], "extend": []},
        {"id": "cellTemperatureHiWarning", "hiWarning": False},
        {"id": "innerLoopControlMode", "address": 7, "mode": 1},
    ]
    ctrl = sim.controller
    assert not (ctrl.limit_retract or ctrl.limit_extend or ctrl.ilc_faults)
    assert not (ctrl.cell_temperature_high or ctrl.interlock_relay)
    assert not any(bank.tripped for bank in ctrl.breakers.values())
    # The warning stops repeating.
    await until_cycles(sim, 3)
    warnings = [e.message["hiWarning"] for e in rec.events if e.name == "cellTemperatureHiWarning"]
    assert warnings[-1] is False


@pytest.mark.parametrize(
    ("kind", "kwargs", "reason"),
    [
        ("smoke", {}, "unknown injection kind"),
        ("fault", {"code": 6000}, "unknown fault code 6000"),
        ("limit_switch", {"actuator": 78, "direction": "retract"}, "actuator 78"),
        ("limit_switch", {"actuator": 1, "direction": "up"}, "retract or extend"),
        ("ilc_fault", {"address": 84}, "ILC address 84"),
        ("breaker", {"power": "motor", "index": 9}, "breaker index 9"),
        ("breaker", {"power": "communication", "index": 6}, "breaker index 6"),
        ("breaker", {"power": "hydraulic", "index": 0}, "motor or communication"),
    ],
)
async def test_bad_injections_say_why(
    sim: ControllerSimulator, kind: str, kwargs: dict, reason: str
) -> None:
    with pytest.raises(ValueError, match=reason):
        sim.inject(kind, **kwargs)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("fault:6055", Injection("fault", {"code": 6055, "active": True})),
        ("fault:6055:off", Injection("fault", {"code": 6055, "active": False})),
        (
            "limit_switch:12:retract",
            Injection("limit_switch", {"actuator": 12, "direction": "retract", "active": True}),
        ),
        ("ilc_fault:83@2.5", Injection("ilc_fault", {"address": 83, "active": True}, 2.5)),
        ("cell_temperature_high", Injection("cell_temperature_high", {"active": True})),
        ("cell-temperature-high:off", Injection("cell_temperature_high", {"active": False})),
        ("interlock@1", Injection("interlock", {"active": True}, 1.0)),
        (
            "breaker:Motor:2",
            Injection("breaker", {"power": "motor", "index": 2, "active": True}),
        ),
    ],
)
def test_parse_injection(text: str, expected: Injection) -> None:
    assert parse_injection(text) == expected


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("meteor", "unknown injection kind"),
        ("fault", "expected fault:CODE"),
        ("fault:x", "code must be an integer"),
        ("limit_switch:12", "expected limit_switch:ACTUATOR:DIRECTION"),
        ("breaker:motor:1:2", "expected breaker:POWER:INDEX"),
    ],
)
def test_parse_injection_refuses_with_a_reason(text: str, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        parse_injection(text)


async def test_delayed_injection_comes_later() -> None:
    sim = ControllerSimulator(
        command_port=0,
        telemetry_port=0,
        seed=3,
        injections=[parse_injection("fault:6081@0.3"), parse_injection("interlock")],
    )
    async with sim:
        conn = connect_to(sim)
        conn.start()
        rec = Recorder(conn)
        try:
            await rec.welcomed()
            assert rec.latest("interlock")["state"] is True  # at start: in the welcome
            assert sim.controller.summary_faults == 1 << 57
            message = await rec.event("summaryFaultsStatus", where=lambda m: m["status"] != 1 << 57)
            assert message["status"] == 1 << 57 | 1 << 24
        finally:
            await conn.close()


def test_m2gui_sim_inject_flags() -> None:
    """``m2gui-sim --inject`` applies its conditions before the first client connects."""
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "m2gui.sim",
            "--command-port",
            "0",
            "--telemetry-port",
            "0",
            "--inject",
            "fault:6087",
            "--inject",
            "limit_switch:12:retract",
            "--inject",
            "breaker:motor:0",
        ],
        stderr=subprocess.PIPE,
        text=True,
        env=dict(os.environ, PYTHONUNBUFFERED="1"),
    )
    try:
        assert proc.stderr is not None
        match = re.search(r"commands (\d+), telemetry", proc.stderr.readline())
        assert match
        port = int(match.group(1))

        async def welcome() -> list[dict]:
            messages: list[dict] = []

            async def keep(message: dict) -> None:
                messages.append(message)

            async with TcpClient("127.0.0.1", port, keep) as client:
                assert client.connected
                for _ in range(500):
                    if messages and messages[-1]["id"] == "cellTemperatureHiWarning":
                        break
                    await asyncio.sleep(0.01)
            return messages

        messages = asyncio.run(welcome())
        by_id = {m["id"]: m for m in messages}
        assert by_id["summaryFaultsStatus"]["status"] == 1 << 63 | 1 << 57 | 1 << 5
        assert by_id["limitSwitchStatus"] == {
            "id": "limitSwitchStatus",
            "retract": [12],
            "extend": [],
        }
        assert by_id["digitalInput"]["value"] == DI_NO_POWER  # motor feed off: open anyway
    finally:
        proc.kill()
        proc.wait(timeout=10)


def test_m2gui_sim_help_documents_injection() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "m2gui.sim", "--help"], capture_output=True, text=True, check=True
    ).stdout
    for word in (
        "--inject",
        "--script-seconds",
        "fault:CODE",
        "limit_switch:ACTUATOR:DIR",
        "ilc_fault:ADDRESS",
        "cell_temperature_high",
        "interlock",
        "breaker:FEED:INDEX",
    ):
        assert word in out
    bad = subprocess.run(
        [sys.executable, "-m", "m2gui.sim", "--inject", "fault:12345"],
        capture_output=True,
        text=True,
        timeout=20,
    )
    assert bad.returncode != 0
