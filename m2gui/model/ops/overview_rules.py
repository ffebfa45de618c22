"""The overview's rules: which flag comes from where, and its colour and word.

The incumbent GUI shows ten status flags (``isCrioConnected`` ...
``isCellTemperatureHigh``). A flag that is on is red for alarm, interlock and
cell temperature, yellow for warning, and green for the others; a flag that is
off is grey. m2gui adds two states the incumbent cannot show: unknown (nothing
reported yet, or no link to the controller: the value would be stale) and
stale telemetry (connected, but no telemetry for `STALE_AFTER` seconds).
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from typing import Any

from m2gui.net import CommandRecord, Outcome

from ..catalogue import UINT64_MAX, Catalogue
from ..link import STALE_AFTER
from .overview_lamps import Lamp, Level

__all__ = [
    "FLAG_KEYS",
    "FLAG_SPECS",
    "RESET_COMMAND",
    "STALE_AFTER",
    "Flag",
    "FlagSpec",
    "Reading",
    "ResetWatch",
    "as_bool",
    "as_status",
    "classify_code",
    "commander_text",
    "make_flag",
    "power_bits",
]


@dataclass(frozen=True)
class FlagSpec:
    """One of the ten flags: its title, its colour when on, its words, its source."""

    key: str
    title: str
    incumbent: str
    on_level: Level
    on_word: str
    off_word: str
    source: str


#: The ten flags, in the incumbent's order.
FLAG_SPECS: tuple[FlagSpec, ...] = (
    FlagSpec(
        "connected",
        "Controller",
        "isCrioConnected",
        Level.OK,
        "CONNECTED",
        "NOT CONNECTED",
        "m2gui's link to both controller ports, and the controller's tcpIpConnected event",
    ),
    FlagSpec(
        "telemetry",
        "Telemetry",
        "isTelemetryActive",
        Level.OK,
        "ACTIVE",
        "NONE",
        f"any telemetry received in the last {STALE_AFTER:g} s",
    ),
    FlagSpec(
        "in_position",
        "Mirror in position",
        "isInPosition",
        Level.OK,
        "IN POSITION",
        "NOT IN POSITION",
        "m2AssemblyInPosition.inPosition",
    ),
    FlagSpec(
        "comm_power",
        "Communication power",
        "isPowerCommunicationOn",
        Level.OK,
        "ON",
        "OFF",
        "digitalOutput bit 1 (CommunicationPower)",
    ),
    FlagSpec(
        "motor_power",
        "Motor power",
        "isPowerMotorOn",
        Level.OK,
        "ON",
        "OFF",
        "digitalOutput bit 0 (MotorPower)",
    ),
    FlagSpec(
        "max_limits",
        "Open-loop max limits",
        "isOpenLoopMaxLimitsEnabled",
        Level.OK,
        "ENABLED",
        "DISABLED",
        "openLoopMaxLimit.status",
    ),
    FlagSpec(
        "alarm",
        "Alarm",
        "isAlarmOn",
        Level.ERROR,
        "ALARM",
        "NONE",
        "fault-class codes in summaryFaultsStatus (and errorCode), kept until a reset",
    ),
    FlagSpec(
        "warning",
        "Warning",
        "isWarningOn",
        Level.WARNING,
        "WARNING",
        "NONE",
        "warning-class codes in summaryFaultsStatus (and errorCode), kept until a reset",
    ),
    FlagSpec(
        "interlock",
        "Interlock",
        "isInterlockEngaged",
        Level.ERROR,
        "ENGAGED",
        "RELEASED",
        "interlock.state",
    ),
    FlagSpec(
        "cell_temperature",
        "Cell temperature",
        "isCellTemperatureHigh",
        Level.ERROR,
        "HIGH",
        "NORMAL",
        "cellTemperatureHiWarning.hiWarning",
    ),
)
#: The flag keys, in order.
FLAG_KEYS: tuple[str, ...] = tuple(spec.key for spec in FLAG_SPECS)
_SPECS = {spec.key: spec for spec in FLAG_SPECS}


@dataclass(frozen=True)
class Flag:
    """A flag as shown: on, off or unknown, with its lamp.

    Attributes
    ----------
    key : `str`
        One of `FLAG_KEYS`.
    title : `str`
        What it is about ("Motor power").
    state : `bool` or None
        On, off, or None when unknown.
    lamp : `Lamp`
        Level, word and detail.
    """

    key: str
    title: str
    state: bool | None
    lamp: Lamp

    @property
    def level(self) -> Level:
        """The lamp's level."""
        return self.lamp.level

    @property
    def color(self) -> str:
        """The lamp's colour."""
        return self.lamp.color

    @property
    def word(self) -> str:
        """The lamp's word."""
        return self.lamp.word


@dataclass(frozen=True)
class Reading:
    """A state shown as large text (commander, local mode, control mode, source)."""

    key: str
    title: str
    text: str
    detail: str = ""


def make_flag(
    key: str,
    state: bool | None,
    detail: str = "",
    *,
    word: str | None = None,
    level: Level | None = None,
) -> Flag:
    """The flag ``key`` in ``state``, with the incumbent's colour rule.

    On: the flag's own level (red, yellow or green) and word; off: grey with
    the off word; None: unknown (light grey, ``UNKNOWN``). ``word`` and
    ``level`` override the rule (stale telemetry, a latched alarm).

    Raises
    ------
    KeyError
        If ``key`` is not one of `FLAG_KEYS`.
    """
    spec = _SPECS[key]
    if state is None:
        rule_level, rule_word = Level.UNKNOWN, "UNKNOWN"
    elif state:
        rule_level, rule_word = spec.on_level, spec.on_word
    else:
        rule_level, rule_word = Level.OFF, spec.off_word
    text = f"{spec.title}: {detail}" if detail else spec.title
    text += f"\nSource: {spec.source} (incumbent: {spec.incumbent})."
    lamp = Lamp(level or rule_level, word or rule_word, text)
    return Flag(key, spec.title, state, lamp)


def as_bool(value: Any) -> bool | None:
    """A JSON boolean, or None for anything else."""
    return value if isinstance(value, bool) else None


def as_status(value: Any) -> int | None:
    """A uint64 bit field (``summaryFaultsStatus.status``), or None if it is not one."""
    if isinstance(value, bool) or not isinstance(value, int):
        return None
    return value if 0 <= value <= UINT64_MAX else None


def power_bits(catalogue: Catalogue, digital_output: Any) -> tuple[bool | None, bool | None]:
    """Communication and motor power from a ``digitalOutput.value`` (None if unusable)."""
    if isinstance(digital_output, bool) or not isinstance(digital_output, int):
        return None, None
    if not 0 <= digital_output <= 0xFFFFFFFF:
        return None, None
    bits = catalogue.bitfields["DigitalOutput"]
    comm = bool(digital_output & bits["CommunicationPower"])
    motor = bool(digital_output & bits["MotorPower"])
    return comm, motor


def classify_code(catalogue: Catalogue, code: int) -> str | None:
    """``fault``, ``warning`` or None (reserved) for an error code.

    Codes of the fault-bit table take its class; other codes at or above the
    catalogue's ``MINIMUM_ERROR_CODE`` (only a legacy ``errorCode`` event can
    carry one) count as faults, to be safe; codes below it are dummies.
    """
    for row in catalogue.fault_bits:
        if row["code"] == code:
            kind = str(row["kind"])
            return kind if kind in ("fault", "warning") else None
    minimum = int(catalogue.constants.get("MINIMUM_ERROR_CODE", 6000))
    return "fault" if code >= minimum else None


def commander_text(state: Any) -> str:
    """Who holds command, from ``commandableByDDS.state``: CSC, GUI or unknown."""
    if state is True:
        return "CSC"
    if state is False:
        return "GUI"
    return "unknown"


#: The command whose success clears what m2gui latched (faults, limit switches).
RESET_COMMAND = "clearErrors"


class ResetWatch:
    """Tells, once per command, that a ``clearErrors`` succeeded.

    `CommandHistory` announces a command several times (sent, ack, outcome,
    late replies); `is_new_reset` is true only the first time a given
    ``clearErrors`` record is seen with the outcome ``success``.
    """

    def __init__(self) -> None:
        self._seen: deque[int] = deque(maxlen=32)

    def is_new_reset(self, record: CommandRecord) -> bool:
        """True the first time ``record`` is a successful ``clearErrors``."""
        if record.name != RESET_COMMAND or record.outcome is not Outcome.SUCCESS:
            return False
        key = id(record)
        if key in self._seen:
            return False
        self._seen.append(key)
        return True
