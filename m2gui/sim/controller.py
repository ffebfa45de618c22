"""The simulated cell controller's state machine: commands in, events out.

No sockets here: `SimController.execute` takes a validated command and returns
the events it causes, in the protocol's order, or raises `CommandFailure` when
the state forbids it; `SimController.inject` does the same for the conditions
tests and demos inject (faults, limit switches, ILC faults, cell temperature,
interlock, breakers); `SimController.tick` runs one control cycle. The server
(`m2gui.sim.server`) frames and sends the events.

Fault codes follow the controller (ts_mtm2_controller's error handler): a code
is set only when its bit is enabled in ``enabledFaultsMask``, stays set until
``clearErrors``, and a new fault-class code stops open- and closed-loop control
(the mode drops to TelemetryOnly). ``inject(..., active=False)`` undoes an
injection, its code included, so that a GUI can be shown a code that rose and
fell.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from m2gui.model import Catalogue

from .injection import INJECTION_KINDS, BreakerBank, FaultTable, breaker_banks

__all__ = ["CommandFailure", "SimController"]

Event = dict[str, Any]

# Enumeration values used below (names from the catalogue's enums).
MOTOR, COMM = 1, 2
INIT, POWERED_OFF, POWERING_ON, RESETTING, POWERED_ON, POWERING_OFF = 1, 2, 3, 4, 5, 6
IDLE, TELEMETRY_ONLY, OPEN_LOOP, CLOSED_LOOP = 1, 2, 3, 4
STANDBY, DISABLED, ENABLED, FIRMWARE, FAULT, CLEAR_FAULTS, NO_CHANGE, UNKNOWN = range(1, 9)
DO_MOTOR, DO_COMM, DO_INTERLOCK, DO_RESET_MOTOR, DO_RESET_COMM, DO_CLOSED_LOOP = (
    1,
    2,
    4,
    8,
    16,
    32,
)
#: digitalInput: the six supply status bits (always fine here) and the
#: interlock power relay (set while motor power is off or the interlock trips).
DI_STATUS_OK = 0x3F
DI_INTERLOCK_RELAY = 1 << 31
#: The feeds, by PowerType, with their breaker bank names.
FEEDS = {MOTOR: "motor", COMM: "communication"}
# Fault codes the controller raises itself.
CODE_ILC_READ = 6051  # actuator ILC read error
CODE_MONITOR_ILC_READ = 6052  # monitoring (sensor) ILC read warning; motor power on
CODE_CRIO_COMM = 6053  # cRIO communication, raised once at start
CODE_EXCESSIVE_FORCE = 6055
CODE_LIMIT_CLOSED_LOOP = 6056
CODE_LIMIT_OPEN_LOOP = 6057
CODE_CELL_TEMPERATURE = 6075
BREAKER_CODES = frozenset({6069, 6070, 6071})
#: Open-loop move speed: 100 steps per 20 Hz cycle, as the reference simulator.
STEPS_PER_SECOND = 2000.0
#: Seconds a script takes from 0 to 100 % (the reference simulator: 1 % per
#: cycle of its ~10 Hz loop).
DEFAULT_SCRIPT_SECONDS = 10.0
ARCSEC = math.pi / 180 / 3600


class CommandFailure(Exception):
    """The controller answers ``fail``; the message becomes ``user_info``."""


@dataclass
class ActuatorMove:
    """An open-loop move in progress (steps left per actuator)."""

    actuators: list[int]
    remaining: int
    paused: bool = False


@dataclass
class ScriptEngine:
    """The cRIO's script runner: load, run, pause, resume, stop, clear."""

    name: str = ""
    state: str = "empty"  # empty, loaded, running, paused
    percentage: float = 0.0


@dataclass
class SimController:
    """Controller state, changed by commands, injections and the control loop's ticks."""

    catalogue: Catalogue
    script_duration: float = DEFAULT_SCRIPT_SECONDS
    power: dict[int, bool] = field(default_factory=lambda: {COMM: False, MOTOR: False})
    power_state: dict[int, int] = field(default_factory=lambda: {COMM: INIT, MOTOR: INIT})
    closed_loop_mode: int = IDLE
    force_balance: bool = False
    open_loop_max_limit: bool = False
    commandable_by_dds: bool = True
    digital_output: int = DO_INTERLOCK | DO_RESET_MOTOR | DO_RESET_COMM
    inclination_source: int = 1
    summary_faults: int = 0
    in_position: bool = False
    mount_in_position: bool = False
    external_elevation: float | None = None
    ilc_reported: bool = False
    reboot_requested: bool = False
    script: ScriptEngine = field(default_factory=ScriptEngine)
    move: ActuatorMove | None = None
    #: Injected conditions (cleared by clearErrors).
    limit_retract: set[int] = field(default_factory=set)
    limit_extend: set[int] = field(default_factory=set)
    #: Faulted ILC address -> the mode it had before the fault.
    ilc_faults: dict[int, int] = field(default_factory=dict)
    cell_temperature_high: bool = False
    interlock_relay: bool = False
    control_parameters: dict[str, Any] = field(
        default_factory=lambda: {
            "enableLutTemperature": True,
            "enableLutInclinometer": True,
            "useExternalElevationAngle": False,
            "enableAngleComparison": False,
            "maxAngleDifference": 2.0,
        }
    )

    def __post_init__(self) -> None:
        c = self.catalogue.constants
        self.n_axial = int(c["NUM_AXIAL"])
        self.n_tangent = int(c["NUM_TANGENT_LINK"])
        self.n_actuators = self.n_axial + self.n_tangent
        self.n_ilc = int(c["NUM_INNER_LOOP_CONTROLLER"])
        self.hardpoints: list[int] = list(c["DEFAULT_HARDPOINTS_0_BASED"])
        self.tangent_options: list[list[int]] = [list(o) for o in c["TANGENT_HARDPOINT_OPTIONS"]]
        self.enabled_faults_mask = int(c["DEFAULT_ENABLED_FAULTS_MASK"])
        self.fault_table = FaultTable(self.catalogue)
        self.breakers: dict[str, BreakerBank] = breaker_banks(
            self.catalogue, dict(c.get("POWER_NOMINAL", {}))
        )
        self.ilc_modes = [STANDBY] * self.n_ilc
        self.temperature_reference = [float(c["DEFAULT_TEMPERATURE_REF_C"])] * int(
            c["NUM_TEMPERATURE_RING"]
        )
        self.temperature_intake = [0.0] * int(c["NUM_TEMPERATURE_INTAKE"])
        self.temperature_exhaust = [0.0] * int(c["NUM_TEMPERATURE_EXHAUST"])
        self.applied_axial = np.zeros(self.n_axial)
        self.applied_tangent = np.zeros(self.n_tangent)
        #: Commanded rigid-body position relative to home (um, arcsec), and home.
        self.target_position = np.zeros(6)
        self.home_offset = np.zeros(6)
        self.steps = np.zeros(self.n_actuators, dtype=np.int64)
        self.configuration_files = [
            f"Configurable_File_Description_20180831T{stamp}_{kind}.csv"
            for stamp, kind in (
                ("091922", "M2_optical"),
                ("092326", "M2_handling"),
                ("092423", "surrogate_optical"),
                ("092556", "surrogate_handling"),
            )
        ]
        self.configuration_file = self.configuration_files[-1]
        self.limits_axial = float(c["LIMIT_FORCE_AXIAL_CLOSED_LOOP_N"])
        self.limits_tangent = float(c["LIMIT_FORCE_TANGENT_CLOSED_LOOP_N"])
        self._limits_open = (
            float(c["LIMIT_FORCE_AXIAL_OPEN_LOOP_N"]),
            float(c["LIMIT_FORCE_TANGENT_OPEN_LOOP_N"]),
        )
        self._limits_open_max = (
            float(c["MAX_LIMIT_FORCE_AXIAL_OPEN_LOOP_N"]),
            float(c["MAX_LIMIT_FORCE_TANGENT_OPEN_LOOP_N"]),
        )
        self.lut_axial = np.zeros(self.n_axial)
        self.lut_tangent = np.zeros(self.n_tangent)
        self._resetting: int | None = None
        self._step_budget = 0.0
        # The mock registers a cRIO communication fault when its server starts.
        self._set_codes([CODE_CRIO_COMM], True)

    # ------------------------------------------------------------------
    # Derived state and the events that report it
    # ------------------------------------------------------------------
    @property
    def motor_on(self) -> bool:
        return self.power[MOTOR]

    @property
    def comm_on(self) -> bool:
        return self.power[COMM]

    @property
    def digital_input(self) -> int:
        """The 32 input bits: a set breaker bit is an open breaker.

        An unpowered feed reads all its breakers open (as do the feed's
        breakers while ``resetBreakers`` runs); a powered one reads its
        tripped breakers open. The interlock power relay bit is set while
        motor power is off or the interlock is injected. Without injections
        this gives the reference values: no power 0x9F00FFFF, communication
        0x80007FFF, both 0x3F.
        """
        value = DI_STATUS_OK
        for power_type, name in FEEDS.items():
            bank = self.breakers[name]
            if not self.power[power_type] or self._resetting == power_type:
                value |= bank.all_bits
            else:
                value |= bank.tripped_bits
        if not self.motor_on or self.interlock_relay:
            value |= DI_INTERLOCK_RELAY
        return value

    @property
    def interlock(self) -> bool:
        return not self.digital_output & DO_INTERLOCK or self.interlock_relay

    @property
    def loop_running(self) -> bool:
        """Open- or closed-loop control is on (what a new fault stops)."""
        return self.force_balance or self.closed_loop_mode in (OPEN_LOOP, CLOSED_LOOP)

    def force_limits(self) -> tuple[float, float]:
        """Axial and tangent force limits (N) of the current control mode."""
        if self.force_balance or self.closed_loop_mode == CLOSED_LOOP:
            return self.limits_axial, self.limits_tangent
        return self._limits_open_max if self.open_loop_max_limit else self._limits_open

    def event(self, name: str, **fields: Any) -> Event:
        return {"id": name, **fields}

    def ev_digital_input(self) -> Event:
        return self.event("digitalInput", value=self.digital_input)

    def ev_digital_output(self) -> Event:
        return self.event("digitalOutput", value=self.digital_output)

    def ev_interlock(self) -> Event:
        return self.event("interlock", state=self.interlock)

    def ev_power_state(self, power_type: int) -> Event:
        return self.event(
            "powerSystemState",
            powerType=power_type,
            status=self.power[power_type],
            state=self.power_state[power_type],
        )

    def ev_limit_switch(self) -> Event:
        return self.event(
            "limitSwitchStatus",
            retract=sorted(self.limit_retract),
            extend=sorted(self.limit_extend),
        )

    def ev_cell_temperature(self) -> Event:
        return self.event("cellTemperatureHiWarning", hiWarning=self.cell_temperature_high)

    def ev_ilc_mode(self, address: int) -> Event:
        return self.event(
            "innerLoopControlMode", address=address, mode=self.reported_ilc_mode(address)
        )

    def reported_ilc_mode(self, address: int) -> int:
        """ILC modes are unknown until asked (or set) with communication power on."""
        if address in self.ilc_faults or (self.ilc_reported and self.comm_on):
            return self.ilc_modes[address]
        return UNKNOWN

    def ev_config(self) -> Event:
        name = self.configuration_file
        match = re.search(r"_(\d{8}T\d{6})_", name)
        m2 = "_M2_" in name
        return self.event(
            "config",
            configuration=name,
            version=match.group(1) if match else "unknown",
            controlParameters="CtrlParameterFiles_2018-07-19_"
            + ("104257_m2" if m2 else "104314_surg"),
            lutParameters="FinalOpticalLUTs" if "optical" in name else "FinalHandlingLUTs",
            powerWarningMotor=5.0,
            powerFaultMotor=10.0,
            powerThresholdMotor=20.0,
            powerWarningComm=5.0,
            powerFaultComm=10.0,
            powerThresholdComm=10.0,
            inPositionAxial=0.158,
            inPositionTangent=1.1,
            inPositionSample=1.0,
            timeoutSal=15.0,
            timeoutCrio=1.0,
            timeoutIlc=3,
            inclinometerDelta=2.0,
            inclinometerDiffEnabled=True,
            cellTemperatureDelta=2.0,
        )

    def ev_hardpoints(self) -> list[Event]:
        return [
            self.event("hardpointList", actuators=[i + 1 for i in self.hardpoints]),
            self.event("bypassedActuatorILCs", ilcs=[self.hardpoints[0] + 1]),
        ]

    def welcome(self) -> list[Event]:
        """The events sent on every new command connection, in protocol order.

        The 15 welcome events, the 84 ILC modes, then ``forceBalanceSystemStatus``,
        ``openLoopMaxLimit``, ``summaryFaultsStatus`` (with 6053 until cleared),
        ``limitSwitchStatus`` and ``cellTemperatureHiWarning``.
        """
        events = [
            self.event("tcpIpConnected", isConnected=True),
            self.event("commandableByDDS", state=self.commandable_by_dds),
            *self.ev_hardpoints(),
            self.ev_interlock(),
            self.event("inclinationTelemetrySource", source=self.inclination_source),
            self.ev_temperature_offset(),
            self.ev_digital_input(),
            self.ev_digital_output(),
            self.ev_config(),
            self.event("closedLoopControlMode", mode=self.closed_loop_mode),
            self.event("enabledFaultsMask", mask=self.enabled_faults_mask),
            self.event("configurationFiles", files=list(self.configuration_files)),
            self.ev_power_state(COMM),
            self.ev_power_state(MOTOR),
        ]
        events += [self.ev_ilc_mode(address) for address in range(self.n_ilc)]
        events.append(self.event("forceBalanceSystemStatus", status=self.force_balance))
        events.append(self.event("openLoopMaxLimit", status=self.open_loop_max_limit))
        events.append(self.ev_summary_faults())
        events.append(self.ev_limit_switch())
        events.append(self.ev_cell_temperature())
        return events

    def ev_temperature_offset(self) -> Event:
        return self.event(
            "temperatureOffset",
            ring=list(self.temperature_reference),
            intake=list(self.temperature_intake),
            exhaust=list(self.temperature_exhaust),
        )

    # ------------------------------------------------------------------
    # Commands
    # ------------------------------------------------------------------
    def execute(self, name: str, params: dict[str, Any]) -> list[Event]:
        """Run a validated command; return its events in order.

        Raises
        ------
        CommandFailure
            When the controller's state forbids the command.
        """
        handler = getattr(self, "cmd_" + name)
        events: list[Event] = handler(**params)
        return events

    def _set_power(self, power_type: int, on: bool) -> list[Event]:
        events = []
        self.power_state[power_type] = POWERING_ON if on else POWERING_OFF
        self.power[power_type] = on
        events.append(self.ev_power_state(power_type))
        self.power_state[power_type] = POWERED_ON if on else POWERED_OFF
        bit = DO_MOTOR if power_type == MOTOR else DO_COMM
        self.digital_output = self.digital_output | bit if on else self.digital_output & ~bit
        events.append(self.ev_power_state(power_type))
        if power_type == MOTOR and not on and self.force_balance:
            self.force_balance = False
            self.digital_output &= ~DO_CLOSED_LOOP
            events.append(self.event("forceBalanceSystemStatus", status=False))
        if power_type == COMM and not on:
            self.ilc_reported = False
        return events

    def cmd_power(self, powerType: int, status: bool) -> list[Event]:
        events = self._set_power(powerType, status)
        events += [
            self.ev_digital_input(),
            self.ev_digital_output(),
            self.ev_interlock(),
            self.event("openLoopMaxLimit", status=self.open_loop_max_limit),
        ]
        # The reference simulator raises warning 6052 whenever motor power comes on.
        codes = [CODE_MONITOR_ILC_READ] if powerType == MOTOR and status else []
        return events + self._raise_events(codes, breakers=True)

    def cmd_switchDigitalOutput(self, bit: int, status: int) -> list[Event]:
        old = self.digital_output
        if status == 1:
            new = old & ~bit
        elif status == 2:
            new = old | bit
        else:
            new = old ^ bit
        self.digital_output = new
        events = [self.ev_digital_output(), self.ev_interlock()]
        for do_bit, power_type in ((DO_COMM, COMM), (DO_MOTOR, MOTOR)):
            on = bool(new & do_bit)
            if on != self.power[power_type]:
                events += self._set_power(power_type, on)
        return events + self._raise_events([], breakers=True)

    def cmd_resetBreakers(self, powerType: int) -> list[Event]:
        if not self.power[powerType]:
            raise CommandFailure(f"{self.catalogue.enum_name('PowerType', powerType)} power is off")
        reset_bit = DO_RESET_MOTOR if powerType == MOTOR else DO_RESET_COMM
        self.digital_output &= ~reset_bit
        # The feed's breakers read open while they are reset, then closed; the
        # codes they raised stay until clearErrors.
        self._resetting = powerType
        events = [self.ev_digital_output(), self.ev_interlock(), self.ev_digital_input()]
        self.power_state[powerType] = RESETTING
        events.append(self.ev_power_state(powerType))
        self.digital_output |= reset_bit
        self.breakers[FEEDS[powerType]].tripped.clear()
        self._resetting = None
        events += [self.ev_digital_output(), self.ev_interlock()]
        self.power_state[powerType] = POWERED_ON
        events += [self.ev_power_state(powerType), self.ev_digital_input()]
        return events

    def cmd_rebootController(self) -> list[Event]:
        self.reboot_requested = True
        return []

    def cmd_applyForces(self, axial: list[float], tangent: list[float]) -> list[Event]:
        ax, tan = np.asarray(axial, float), np.asarray(tangent, float)
        total_ax = ax + self.lut_axial
        total_tan = tan + self.lut_tangent
        for total, limit, offset in (
            (total_ax, self.limits_axial, 0),
            (total_tan, self.limits_tangent, self.n_axial),
        ):
            over = np.flatnonzero(np.abs(total) > limit)
            if over.size:
                i = int(over[0])
                raise CommandFailure(
                    f"actuator index {i + offset}: applied plus look-up-table force "
                    f"{total[i]:.1f} N exceeds the closed-loop limit of {limit:g} N"
                )
        self.applied_axial, self.applied_tangent = ax, tan
        self.in_position = False
        return [self.event("m2AssemblyInPosition", inPosition=False)]

    def cmd_resetForceOffsets(self) -> list[Event]:
        self.applied_axial[:] = 0.0
        self.applied_tangent[:] = 0.0
        self.in_position = False
        return [self.event("m2AssemblyInPosition", inPosition=False)]

    def cmd_positionMirror(
        self, x: float, y: float, z: float, xRot: float, yRot: float, zRot: float
    ) -> list[Event]:
        if not self.motor_on:
            raise CommandFailure("motor power is off")
        if not self.force_balance:
            raise CommandFailure("the force balance system (closed loop) is not running")
        radial = math.hypot(x * math.cos(yRot * ARCSEC), y * math.cos(xRot * ARCSEC))
        if radial > 7740.0:
            raise CommandFailure(f"radial position {radial:.0f} um exceeds 7740 um")
        if abs(z) > 7890.0:
            raise CommandFailure(f"z position {z:.0f} um exceeds 7890 um")
        self.target_position = np.array([x, y, z, xRot, yRot, zRot], float)
        self.in_position = False
        return [self.event("m2AssemblyInPosition", inPosition=False)]

    def cmd_moveActuators(
        self,
        actuatorCommand: int,
        actuators: list[int] | None = None,
        displacement: float | None = None,
        unit: int | None = None,
    ) -> list[Event]:
        if actuatorCommand == 1:  # Start
            if self.move is not None:
                raise CommandFailure("actuators are already moving")
            if not actuators:
                raise CommandFailure("no actuators selected")
            if not self.motor_on:
                raise CommandFailure("motor power is off")
            if self.force_balance:
                raise CommandFailure("actuator moves need open loop; closed loop is running")
            step_mm = float(self.catalogue.constants["STEP_TO_MM"])
            steps = displacement or 0.0
            if unit == 1:
                steps = steps / step_mm
            self.move = ActuatorMove(sorted(set(actuators)), round(steps))
        elif actuatorCommand == 2:  # Stop
            self.move = None
        elif actuatorCommand == 3:  # Pause
            if self.move is None or self.move.paused:
                raise CommandFailure("no move to pause")
            self.move.paused = True
        else:  # Resume
            if self.move is None or not self.move.paused:
                raise CommandFailure("no paused move to resume")
            self.move.paused = False
        return []

    def cmd_resetActuatorSteps(self) -> list[Event]:
        return []

    def cmd_saveMirrorPosition(self) -> list[Event]:
        return []

    def cmd_setMirrorHome(self) -> list[Event]:
        self.home_offset = self.home_offset + self.target_position
        self.target_position = np.zeros(6)
        return []

    def cmd_clearErrors(self) -> list[Event]:
        """Clear every code and every injected condition; report the result.

        The reference simulator's four events (summary, digital input and
        output, interlock), then the limit switches, the cell temperature
        warning and the ILCs whose injected fault ended (back to their mode).
        """
        self.summary_faults = 0
        self.limit_retract.clear()
        self.limit_extend.clear()
        self.interlock_relay = False
        self.cell_temperature_high = False
        for bank in self.breakers.values():
            bank.tripped.clear()
        restored = sorted(self.ilc_faults)
        for address, mode in self.ilc_faults.items():
            self.ilc_modes[address] = mode
        self.ilc_faults.clear()
        return [
            self.ev_summary_faults(),
            self.ev_digital_input(),
            self.ev_digital_output(),
            self.ev_interlock(),
            self.ev_limit_switch(),
            self.ev_cell_temperature(),
            *(self.ev_ilc_mode(address) for address in restored),
        ]

    def cmd_switchForceBalanceSystem(self, status: bool) -> list[Event]:
        if status:
            if not self.motor_on:
                raise CommandFailure("motor power is off")
            if self.open_loop_max_limit:
                raise CommandFailure("disable the open-loop max limit first")
            self.move = None
        self.force_balance = status
        if status:
            self.digital_output |= DO_CLOSED_LOOP
        else:
            self.digital_output &= ~DO_CLOSED_LOOP
        self.closed_loop_mode = CLOSED_LOOP if status else OPEN_LOOP
        return [
            self.event("forceBalanceSystemStatus", status=status),
            self.event("openLoopMaxLimit", status=self.open_loop_max_limit),
            self.event("closedLoopControlMode", mode=self.closed_loop_mode),
            self.ev_digital_output(),
        ]

    def cmd_enableOpenLoopMaxLimit(self, status: bool) -> list[Event]:
        if status and self.force_balance:
            raise CommandFailure("not allowed while closed loop is running")
        self.open_loop_max_limit = status
        return [self.event("openLoopMaxLimit", status=status)]

    def cmd_setClosedLoopControlMode(self, mode: int) -> list[Event]:
        self.closed_loop_mode = mode
        return [self.event("closedLoopControlMode", mode=mode)]

    def _ilc_addresses(self, addresses: list[int]) -> None:
        if not self.comm_on:
            raise CommandFailure("communication power is off: the ILCs cannot be reached")
        self.ilc_reported = True

    def cmd_setInnerLoopControlMode(self, addresses: list[int], mode: int) -> list[Event]:
        self._ilc_addresses(addresses)
        events = []
        for address in addresses:
            current = self.ilc_modes[address]
            if mode == CLEAR_FAULTS:
                current = STANDBY
                self.ilc_faults.pop(address, None)
            elif mode in (NO_CHANGE, UNKNOWN) or address in self.ilc_faults:
                pass  # a faulted ILC leaves Fault only through ClearFaults
            elif mode == ENABLED and address < self.n_axial + self.n_tangent:
                # Actuator ILCs reach Enabled only through Disabled.
                if current in (DISABLED, ENABLED):
                    current = ENABLED
            else:
                current = mode
            self.ilc_modes[address] = current
            events.append(self.event("innerLoopControlMode", address=address, mode=current))
        return events

    def cmd_getInnerLoopControlMode(self, addresses: list[int]) -> list[Event]:
        self._ilc_addresses(addresses)
        return [
            self.event("innerLoopControlMode", address=a, mode=self.ilc_modes[a]) for a in addresses
        ]

    def cmd_switchCommandSource(self, isRemote: bool) -> list[Event]:
        self.commandable_by_dds = isRemote
        return [self.event("commandableByDDS", state=isRemote)]

    def cmd_loadConfiguration(self) -> list[Event]:
        return [self.ev_config()]

    def cmd_setConfigurationFile(self, file: str) -> list[Event]:
        if file not in self.configuration_files:
            raise CommandFailure(f"unknown configuration file {file!r}")
        self.configuration_file = file
        return [self.ev_config()]

    def cmd_setControlParameters(self, **params: Any) -> list[Event]:
        self.control_parameters.update(params)
        self.inclination_source = 2 if params["useExternalElevationAngle"] else 1
        return [self.event("inclinationTelemetrySource", source=self.inclination_source)]

    def cmd_setTemperatureOffset(
        self, ring: list[float], intake: list[float], exhaust: list[float]
    ) -> list[Event]:
        self.temperature_reference = list(ring)
        self.temperature_intake = list(intake)
        self.temperature_exhaust = list(exhaust)
        return [self.ev_temperature_offset()]

    def cmd_setEnabledFaultsMask(self, mask: int) -> list[Event]:
        old = self.summary_faults
        self.enabled_faults_mask = mask
        self.summary_faults &= mask
        events = [self.event("enabledFaultsMask", mask=mask)]
        if self.summary_faults != old:
            events.append(self.ev_summary_faults())
        return events

    def cmd_setHardpointList(self, actuators: list[int]) -> list[Event]:
        axial, tangent = actuators[:3], actuators[3:]
        if actuators != sorted(actuators) or len(set(actuators)) != 6:
            raise CommandFailure("hardpoints must be six distinct indices in ascending order")
        if any(a >= self.n_axial for a in axial):
            raise CommandFailure("the first three hardpoints must be axial (0..71)")
        if tangent not in self.tangent_options:
            raise CommandFailure(f"tangent hardpoints must be one of {self.tangent_options}")
        if self.force_balance:
            raise CommandFailure("not allowed while closed loop is running")
        self.hardpoints = list(actuators)
        return self.ev_hardpoints()

    def cmd_runScript(self, scriptCommand: int, scriptName: str | None = None) -> list[Event]:
        s = self.script
        if scriptCommand == 1:  # LoadScript
            if not (scriptName or "").strip():
                raise CommandFailure("LoadScript needs a script name")
            if s.state in ("running", "paused"):
                raise CommandFailure("a script is running")
            s.name, s.state, s.percentage = scriptName or "", "loaded", 0.0
        elif scriptCommand == 2:  # Clear
            if s.state == "running":
                raise CommandFailure("stop the script before clearing it")
            s.name, s.state, s.percentage = "", "empty", 0.0
        elif scriptCommand == 3:  # Run
            if s.state != "loaded":
                raise CommandFailure(f"no script ready to run (script is {s.state})")
            s.state = "running"
        elif scriptCommand == 4:  # Stop (as the reference simulator: never fails)
            if s.state in ("running", "paused"):
                s.state, s.percentage = "loaded", 0.0
        elif scriptCommand == 5:  # Pause (never fails either)
            if s.state == "running":
                s.state = "paused"
        else:  # Resume
            if s.state != "paused":
                raise CommandFailure("no script is paused")
            s.state = "running"
        return [self.event("scriptExecutionStatus", percentage=s.percentage)]

    # ------------------------------------------------------------------
    # Fault codes
    # ------------------------------------------------------------------
    def ev_summary_faults(self) -> Event:
        return self.event("summaryFaultsStatus", status=self.summary_faults)

    def _set_codes(self, codes: Iterable[int], active: bool) -> tuple[bool, bool]:
        """Set (if enabled by the mask) or clear codes.

        Returns whether the status changed and whether a fault-class code
        was newly set.
        """
        bits = self.fault_table.masks(codes)
        old = self.summary_faults
        new = old | (bits & self.enabled_faults_mask) if active else old & ~bits
        self.summary_faults = new
        return new != old, bool(new & ~old & self.fault_table.fault_class_mask)

    def _fault_reaction(self) -> list[Event]:
        """A new fault stops open- and closed-loop control (mode TelemetryOnly)."""
        if not self.loop_running:
            return []
        events = []
        self.move = None
        if self.force_balance:
            self.force_balance = False
            events.append(self.event("forceBalanceSystemStatus", status=False))
        self.closed_loop_mode = TELEMETRY_ONLY
        events.append(self.event("closedLoopControlMode", mode=self.closed_loop_mode))
        if self.digital_output & DO_CLOSED_LOOP:
            self.digital_output &= ~DO_CLOSED_LOOP
            events.append(self.ev_digital_output())
        return events

    def _breaker_codes(self) -> set[int]:
        """Codes the open breakers of the powered feeds call for."""
        codes: set[int] = set()
        for power_type, name in FEEDS.items():
            if self.power[power_type]:
                codes |= self.breakers[name].codes()
        return codes

    def _raise_events(
        self, codes: Iterable[int], *, breakers: bool = False, always: bool = False
    ) -> list[Event]:
        """Raise ``codes`` (and the breaker codes); the summary if it changed, the reaction."""
        codes = set(codes)
        if breakers:
            codes |= self._breaker_codes()
        changed, new_fault = self._set_codes(codes, True)
        events = [self.ev_summary_faults()] if changed or always else []
        return events + (self._fault_reaction() if new_fault else [])

    # ------------------------------------------------------------------
    # Injection
    # ------------------------------------------------------------------
    def inject(self, kind: str, **kwargs: Any) -> list[Event]:
        """Apply an injected condition; return the events the controller sends.

        Parameters
        ----------
        kind : `str`
            One of ``fault`` (``code``), ``limit_switch`` (``actuator``,
            ``direction``), ``ilc_fault`` (``address``),
            ``cell_temperature_high``, ``interlock``, ``breaker`` (``power``,
            ``index``); each also takes ``active`` (default True; False undoes
            the injection and drops its code).
        **kwargs
            The keyword arguments of that kind.

        Raises
        ------
        ValueError
            For an unknown kind or an argument out of range.
        """
        if kind not in INJECTION_KINDS:
            raise ValueError(
                f"unknown injection kind {kind!r}: one of {', '.join(INJECTION_KINDS)}"
            )
        events: list[Event] = getattr(self, "_inject_" + kind)(**kwargs)
        return events

    def _inject_fault(self, code: int, active: bool = True) -> list[Event]:
        self.fault_table.mask(code)  # unknown codes raise
        if active:
            return self._raise_events([code])
        changed, _ = self._set_codes([code], False)
        return [self.ev_summary_faults()] if changed else []

    def _inject_limit_switch(
        self, actuator: int, direction: str, active: bool = True
    ) -> list[Event]:
        if not 0 <= actuator < self.n_actuators:
            raise ValueError(f"actuator {actuator} outside 0-{self.n_actuators - 1}")
        switches = {"retract": self.limit_retract, "extend": self.limit_extend}.get(
            direction.lower()
        )
        if switches is None:
            raise ValueError(f"limit switch direction {direction!r}: retract or extend")
        events = []
        if active:
            switches.add(actuator)
            if self.move is not None and actuator in self.move.actuators:
                self.move = None  # the switch stops that actuator's motor
            closed = self.force_balance or self.closed_loop_mode == CLOSED_LOOP
            code = CODE_LIMIT_CLOSED_LOOP if closed else CODE_LIMIT_OPEN_LOOP
            events = [self.ev_limit_switch(), *self._raise_events([code], always=True)]
        else:
            switches.discard(actuator)
            if not self.limit_retract and not self.limit_extend:
                self._set_codes([CODE_LIMIT_CLOSED_LOOP, CODE_LIMIT_OPEN_LOOP], False)
            events = [self.ev_limit_switch(), self.ev_summary_faults()]
        return events

    def _inject_ilc_fault(self, address: int, active: bool = True) -> list[Event]:
        if not 0 <= address < self.n_ilc:
            raise ValueError(f"ILC address {address} outside 0-{self.n_ilc - 1}")
        actuator = address < self.n_actuators
        code = CODE_ILC_READ if actuator else CODE_MONITOR_ILC_READ
        if active:
            self.ilc_faults.setdefault(address, self.ilc_modes[address])
            self.ilc_modes[address] = FAULT
            return [self.ev_ilc_mode(address), *self._raise_events([code], always=True)]
        previous = self.ilc_faults.pop(address, None)
        if previous is not None:
            self.ilc_modes[address] = previous
        if not any((a < self.n_actuators) == actuator for a in self.ilc_faults):
            self._set_codes([code], False)
        return [self.ev_ilc_mode(address), self.ev_summary_faults()]

    def _inject_cell_temperature_high(self, active: bool = True) -> list[Event]:
        self.cell_temperature_high = active
        self._set_codes([CODE_CELL_TEMPERATURE], active)
        return [self.ev_cell_temperature(), self.ev_summary_faults()]

    def _inject_interlock(self, active: bool = True) -> list[Event]:
        self.interlock_relay = active
        return [self.ev_digital_input(), self.ev_interlock()]

    def _inject_breaker(self, power: str, index: int, active: bool = True) -> list[Event]:
        name = {"motor": "motor", "communication": "communication", "comm": "communication"}.get(
            str(power).lower()
        )
        if name is None:
            raise ValueError(f"breaker feed {power!r}: motor or communication")
        bank = self.breakers[name]
        bank.check(index)
        if active:
            bank.tripped.add(index)
            return [self.ev_digital_input(), *self._raise_events([], breakers=True, always=True)]
        bank.tripped.discard(index)
        self._set_codes(BREAKER_CODES - self._breaker_codes(), False)
        return [self.ev_digital_input(), self.ev_summary_faults()]

    # ------------------------------------------------------------------
    # Inputs from other systems
    # ------------------------------------------------------------------
    def input_event(self, name: str, message: dict[str, Any]) -> None:
        if name == "mountinposition":
            self.mount_in_position = bool(message.get("inPosition"))

    def input_telemetry(self, name: str, message: dict[str, Any]) -> None:
        if name == "elevation":
            value = message.get("actualPosition")
            if isinstance(value, int | float) and not isinstance(value, bool):
                self.external_elevation = float(value)

    # ------------------------------------------------------------------
    # The control loop's tick
    # ------------------------------------------------------------------
    def tick(
        self, dt: float, settled: bool, forces: npt.NDArray[np.float64] | None = None
    ) -> list[Event]:
        """Advance moves and scripts by ``dt`` seconds; return the events it causes.

        ``settled`` says whether the plant has reached its force and position
        targets (drives ``m2AssemblyInPosition``); ``forces`` are the 78
        measured forces, checked against the limits of the current mode
        (6055 excessive force while open or closed loop runs).
        """
        events = []
        move = self.move
        if move is not None and not move.paused and self.motor_on:
            self._step_budget += STEPS_PER_SECOND * dt
            budget = int(self._step_budget)
            if budget:
                self._step_budget -= budget
                step = max(-budget, min(budget, move.remaining))
                self.steps[move.actuators] += step
                move.remaining -= step
                if move.remaining == 0:
                    self.move = None
        else:
            self._step_budget = 0.0
        s = self.script
        if s.state == "running":
            s.percentage += 100.0 * dt / max(self.script_duration, 1e-3)
            if s.percentage >= 100.0 - 1e-9:
                events.append(self.event("scriptExecutionStatus", percentage=100.0))
                s.state, s.percentage = "loaded", 0.0
            else:
                events.append(
                    self.event("scriptExecutionStatus", percentage=round(s.percentage, 2))
                )
        if self.cell_temperature_high:
            events.append(self.ev_cell_temperature())
        if forces is not None:
            events += self._check_forces(forces)
        in_position = settled and self.motor_on and self.force_balance
        if in_position != self.in_position:
            self.in_position = in_position
            events.append(self.event("m2AssemblyInPosition", inPosition=in_position))
        return events

    def _check_forces(self, forces: npt.NDArray[np.float64]) -> list[Event]:
        if not (self.motor_on and self.loop_running):
            return []
        axial, tangent = self.force_limits()
        over = bool(np.abs(forces[: self.n_axial]).max() > axial) or bool(
            np.abs(forces[self.n_axial :]).max() > tangent
        )
        if not over or self.summary_faults & self.fault_table.mask(CODE_EXCESSIVE_FORCE):
            return []
        return self._raise_events([CODE_EXCESSIVE_FORCE])
