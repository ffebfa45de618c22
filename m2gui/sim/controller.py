"""The simulated cell controller's state machine: commands in, events out.

No sockets here: `SimController.execute` takes a validated command and returns
the events it causes, in the protocol's order, or raises `CommandFailure` when
the state forbids it. The server (`m2gui.sim.server`) frames and sends them.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from m2gui.model import Catalogue

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
DI_NO_POWER, DI_COMM, DI_COMM_MOTOR = 0x9F00FFFF, 0x80007FFF, 0x3F
WARNING_6052_BIT = 34
STEPS_PER_CYCLE = 100
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
    """Controller state, changed by commands and by the control loop's ticks."""

    catalogue: Catalogue
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
        self.n_ilc = int(c["NUM_INNER_LOOP_CONTROLLER"])
        self.hardpoints: list[int] = list(c["DEFAULT_HARDPOINTS_0_BASED"])
        self.tangent_options: list[list[int]] = [list(o) for o in c["TANGENT_HARDPOINT_OPTIONS"]]
        self.enabled_faults_mask = int(c["DEFAULT_ENABLED_FAULTS_MASK"])
        self.ilc_modes = [STANDBY] * self.n_ilc
        self.temperature_reference = [float(c["DEFAULT_TEMPERATURE_REF_C"])] * int(
            c["NUM_TEMPERATURE_RING"]
        )
        self.temperature_intake = [0.0] * int(c["NUM_TEMPERATURE_INTAKE"])
        self.temperature_exhaust = [0.0] * int(c["NUM_TEMPERATURE_EXHAUST"])
        self.applied_axial = np.zeros(self.n_axial)
        self.applied_tangent = np.zeros(self.n_tangent)
        self.target_position = np.zeros(6)
        self.home_offset = np.zeros(6)
        self.steps = np.zeros(self.n_axial + self.n_tangent, dtype=np.int64)
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
        self.lut_axial = np.zeros(self.n_axial)
        self.lut_tangent = np.zeros(self.n_tangent)

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
        if self.motor_on:
            return DI_COMM_MOTOR
        return DI_COMM if self.comm_on else DI_NO_POWER

    @property
    def interlock(self) -> bool:
        return not self.digital_output & DO_INTERLOCK

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

    def ev_summary_faults(self) -> Event:
        return self.event("summaryFaultsStatus", status=self.summary_faults)

    def welcome(self) -> list[Event]:
        """The events sent on every new command connection, in protocol order."""
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
        # ILC modes are unknown until asked (or set) with communication power on.
        for address in range(self.n_ilc):
            mode = self.ilc_modes[address] if self.ilc_reported and self.comm_on else UNKNOWN
            events.append(self.event("innerLoopControlMode", address=address, mode=mode))
        events.append(self.event("forceBalanceSystemStatus", status=self.force_balance))
        events.append(self.event("openLoopMaxLimit", status=self.open_loop_max_limit))
        events.append(self.ev_summary_faults())
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
        warning = 1 << WARNING_6052_BIT
        if powerType == MOTOR and status and self.enabled_faults_mask & warning:
            self.summary_faults |= warning
            events.append(self.ev_summary_faults())
        return events

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
        return events

    def cmd_resetBreakers(self, powerType: int) -> list[Event]:
        if not self.power[powerType]:
            raise CommandFailure(f"{self.catalogue.enum_name('PowerType', powerType)} power is off")
        reset_bit = DO_RESET_MOTOR if powerType == MOTOR else DO_RESET_COMM
        self.digital_output &= ~reset_bit
        events = [self.ev_digital_output(), self.ev_interlock(), self.ev_digital_input()]
        self.power_state[powerType] = RESETTING
        events.append(self.ev_power_state(powerType))
        self.digital_output |= reset_bit
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
        self.summary_faults = 0
        return [
            self.ev_summary_faults(),
            self.ev_digital_input(),
            self.ev_digital_output(),
            self.ev_interlock(),
        ]

    def cmd_switchForceBalanceSystem(self, status: bool) -> list[Event]:
        if status:
            if not self.motor_on:
                raise CommandFailure("motor power is off")
            if self.open_loop_max_limit:
                raise CommandFailure("disable the open-loop max limit first")
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
            elif mode in (NO_CHANGE, UNKNOWN):
                pass
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
        self.enabled_faults_mask = mask
        self.summary_faults &= mask
        return [self.event("enabledFaultsMask", mask=mask)]

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
        elif scriptCommand == 4:  # Stop
            if s.state not in ("running", "paused"):
                raise CommandFailure("no script is running")
            s.state, s.percentage = "loaded", 0.0
        elif scriptCommand == 5:  # Pause
            if s.state != "running":
                raise CommandFailure("no script is running")
            s.state = "paused"
        else:  # Resume
            if s.state != "paused":
                raise CommandFailure("no script is paused")
            s.state = "running"
        return [self.event("scriptExecutionStatus", percentage=s.percentage)]

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
    def tick(self, settled: bool) -> list[Event]:
        """Advance moves and scripts by one cycle; return the events it causes.

        ``settled`` says whether the plant has reached its force and position
        targets (drives ``m2AssemblyInPosition``).
        """
        events = []
        move = self.move
        if move is not None and not move.paused and self.motor_on:
            step = max(-STEPS_PER_CYCLE, min(STEPS_PER_CYCLE, move.remaining))
            self.steps[move.actuators] += step
            move.remaining -= step
            if move.remaining == 0:
                self.move = None
        s = self.script
        if s.state == "running":
            s.percentage = min(100.0, s.percentage + 1.0)
            events.append(self.event("scriptExecutionStatus", percentage=s.percentage))
            if s.percentage >= 100.0:
                s.state, s.percentage = "loaded", 0.0
        in_position = settled and self.motor_on and self.force_balance
        if in_position != self.in_position:
            self.in_position = in_position
            events.append(self.event("m2AssemblyInPosition", inPosition=in_position))
        return events
