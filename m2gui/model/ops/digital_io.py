"""The cell's 8 digital outputs and 32 digital inputs: names, decoding and polarity.

Names come from the catalogue's bit fields (``DigitalOutput``, ``DigitalInput``),
in bit order; each bit is shown with a word and a lamp level, never a colour
alone.

Polarity
--------
- Status inputs (bits 0-5, ``...OK``) are OK when their bit is 1.
- Breaker inputs (``...PowerBreaker``) are closed (OK) when their bit is 0 and open
  when it is 1: *tripped* while their feed is powered, *resetting* while the feed
  resets its breakers, merely *open* while the feed is off. The rule and its one
  constant (``BREAKER_OK_BIT``) are the Utility View's (`m2gui.model.cell.utility`),
  so the two views always agree. This is what the incumbent GUI *shows*: its
  Diagnostics table XOR-inverts the breaker bits and lights "... Breaker OK" when
  the bit is 0, and its Utility View lights a breaker green when the bit is 0. It is
  also what the reference simulator (and m2gui's) sends: no power ``0x9F00FFFF``
  (every breaker open), communication ``0x80007FFF``, both feeds ``0x3F`` (all
  closed), the feed's bits set while ``resetBreakers`` runs.
- The interlock power relay (bit 31) is **on when its bit is 0**: the incumbent
  inverts it before display ("Interlock Power Relay On"), and the protocol says the
  interlock is engaged when the bit is set.

The inconsistency: the incumbent's model code names the opposite.
``Model._update_breaker`` passes ``not (digitalInput & bit)`` as "the breaker is
triggered", i.e. *triggered when its bit is 0*, and the protocol notes repeat that
reading; with it, every breaker of a powered cell would be tripped in the
reference simulator, and every breaker of an unpowered one fine. The incumbent's
displays, the vendor's inversion and the simulators agree on "set = open", so m2gui
shows that and says so (`POLARITY_NOTE`). The polarity is unverified on hardware.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass
from typing import Any

from ..catalogue import Catalogue
from ..cell.utility import BREAKER_OK_BIT, Breaker, breaker_lamp
from .overview_lamps import Lamp, Level

__all__ = [
    "BREAKER_OK_BIT",
    "GUIDE_NOTE",
    "POLARITY_NOTE",
    "RELAY_ON_BIT",
    "Bit",
    "InputKind",
    "decode_bits",
    "digital_inputs",
    "digital_outputs",
    "input_lamp",
    "output_advice",
    "output_lamp",
    "switch_output_params",
]

#: Value of the InterlockPowerRelay bit when the relay is on (interlock released).
RELAY_ON_BIT = 0

POLARITY_NOTE = (
    "A breaker bit of 0 is a closed breaker (OK), 1 an open one: tripped while its feed "
    "is powered, open while the feed is off. This is what the incumbent GUI shows and the "
    "simulators send; the incumbent's model code names the opposite (triggered when 0). "
    "Unverified on hardware."
)
GUIDE_NOTE = (
    "User guide: switch communication power on before motor power, and motor power off "
    "before communication power. The interlock is released only when D2 (Interlock Enable) "
    "and input D31 (relay) are on with D0 and D1 on."
)


class InputKind(enum.Enum):
    """What a digital input reports."""

    STATUS = "status"
    BREAKER = "breaker"
    RELAY = "relay"
    SPARE = "spare"


@dataclass(frozen=True)
class Bit:
    """One digital input or output bit.

    Attributes
    ----------
    index : `int`
        Bit number (``D0`` ... ``D31``).
    name : `str`
        Catalogue name (``J1_W9_1_MotorPowerBreaker``).
    label : `str`
        Name for people (``J1-W9-1 Motor Power Breaker``).
    kind : `InputKind` or None
        For inputs, what the bit reports; None for outputs.
    """

    index: int
    name: str
    label: str
    kind: InputKind | None = None

    @property
    def value(self) -> int:
        """The bit's value, ``2**index`` (what ``switchDigitalOutput.bit`` takes)."""
        return 1 << self.index

    @property
    def feed(self) -> str | None:
        """``Motor`` or ``Communication`` for a breaker input, else None."""
        if self.kind is not InputKind.BREAKER:
            return None
        return "Motor" if "Motor" in self.name else "Communication"

    @property
    def short_label(self) -> str:
        """A shorter name for narrow tables (``J1-W12-2 Comm Breaker``)."""
        return (
            self.label.replace("Communication", "Comm")
            .replace(" Power Breaker", " Breaker")
            .replace("Power Supply", "PSU")
        )

    @property
    def tag(self) -> str:
        """``D<index>``, as the incumbent captions it."""
        return f"D{self.index}"


def _label(name: str) -> str:
    """``J1_W9_1_MotorPowerBreaker`` -> ``J1-W9-1 Motor Power Breaker``."""
    match = re.match(r"^(J\d+_W\d+_\d+)_(\w+)$", name)
    if match:
        return f"{match.group(1).replace('_', '-')} {_words(match.group(2))}"
    match = re.match(r"^(\w+?)_(\d+)_OK$", name)  # PowerSupplyDC_2_OK
    if match:
        return f"{_words(match.group(1))} #{match.group(2)} OK"
    match = re.match(r"^Spare(Input|Output)_(\d+)$", name)
    if match:
        return f"Spare {match.group(1)} {match.group(2)}"
    return _words(name)


def _words(camel: str) -> str:
    """``ResetMotorBreakers`` -> ``Reset Motor Breakers`` (acronyms kept: ``DC``, ``OK``)."""
    spaced = re.sub(r"(?<=[a-z])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", " ", camel)
    return spaced.replace("_", " ").strip()


def _bits(catalogue: Catalogue, field: str) -> list[tuple[int, str]]:
    out = []
    for name, value in catalogue.bitfields[field].items():
        if value > 0 and value & (value - 1) == 0:
            out.append((value.bit_length() - 1, name))
    return sorted(out)


def _input_kind(name: str) -> InputKind:
    if name.endswith("PowerBreaker"):
        return InputKind.BREAKER
    if name.endswith("PowerRelay"):
        return InputKind.RELAY
    if name.startswith("Spare"):
        return InputKind.SPARE
    return InputKind.STATUS


def digital_outputs(catalogue: Catalogue) -> list[Bit]:
    """The digital outputs D0..D7, in bit order, named from the catalogue."""
    return [Bit(i, name, _label(name)) for i, name in _bits(catalogue, "DigitalOutput")]


def digital_inputs(catalogue: Catalogue) -> list[Bit]:
    """The digital inputs D0..D31, in bit order, named from the catalogue."""
    return [
        Bit(i, name, _label(name), _input_kind(name))
        for i, name in _bits(catalogue, "DigitalInput")
    ]


def decode_bits(value: Any, width: int) -> list[bool] | None:
    """The ``width`` low bits of ``value`` (bit 0 first), or None if it is not an integer.

    A negative or too-wide value is not a bit field the controller sends: None.
    """
    if isinstance(value, bool) or not isinstance(value, int):
        return None
    if value < 0 or value >> width:
        return None
    return [bool(value >> i & 1) for i in range(width)]


def output_lamp(bit: Bit, on: bool | None) -> Lamp:
    """The lamp of one digital output: ON (green), OFF (grey), or unknown."""
    where = f"{bit.tag} {bit.label} (digitalOutput bit {bit.index}, value {bit.value})"
    if on is None:
        return Lamp(Level.UNKNOWN, "?", f"{where}: no digitalOutput event yet")
    if on:
        return Lamp(Level.OK, "ON", f"{where}: set")
    return Lamp(Level.OFF, "OFF", f"{where}: clear")


def input_lamp(
    bit: Bit, raw: bool | None, feed_on: bool | None = None, feed_state: int | None = None
) -> Lamp:
    """The lamp of one digital input, with the polarity in the module notes.

    Parameters
    ----------
    bit : `Bit`
        The input.
    raw : `bool` or None
        Its bit in ``digitalInput.value`` (None: no event yet).
    feed_on, feed_state
        For a breaker, its feed's ``powerSystemState`` ``status`` and ``state``.
    """
    where = f"{bit.tag} {bit.label} (digitalInput bit {bit.index})"
    if raw is None:
        return Lamp(Level.UNKNOWN, "?", f"{where}: no digitalInput event yet")
    level = int(raw)
    if bit.kind is InputKind.BREAKER and bit.feed is not None:
        breaker = Breaker(bit.label.split(" ", 1)[0], bit.feed, bit.index)
        lamp = breaker_lamp(level << bit.index, breaker, feed_on, feed_state)
        return Lamp(lamp.level, lamp.word, f"{lamp.detail}. {POLARITY_NOTE}")
    if bit.kind is InputKind.RELAY:
        if level == RELAY_ON_BIT:
            return Lamp(Level.OK, "ON", f"{where} is {level}: relay on, interlock released")
        return Lamp(Level.ERROR, "OFF", f"{where} is {level}: relay off, interlock engaged")
    if bit.kind is InputKind.SPARE:
        return Lamp(Level.OFF, str(level), f"{where} is {level} (spare)")
    if raw:
        return Lamp(Level.OK, "OK", f"{where} is 1")
    return Lamp(Level.ERROR, "NOT OK", f"{where} is 0")


def switch_output_params(catalogue: Catalogue, bit: Bit) -> dict[str, int]:
    """``switchDigitalOutput`` parameters toggling ``bit``, as the incumbent sends them.

    The incumbent's ON/OFF buttons send ``{bit: 2**idx, status: ToggleBit}``.
    """
    return {"bit": bit.value, "status": catalogue.enums["DigitalOutputStatus"]["ToggleBit"]}


def output_advice(catalogue: Catalogue, bit: Bit, outputs: list[bool] | None) -> str | None:
    """What the user guide says against toggling ``bit`` now, or None.

    Advice only (the incumbent does not enforce it): communication power on
    before motor power, motor power off before communication power.
    """
    if outputs is None:
        return None
    names = catalogue.bitfields["DigitalOutput"]
    motor = names["MotorPower"].bit_length() - 1
    comm = names["CommunicationPower"].bit_length() - 1
    if bit.index == motor and not outputs[motor] and not outputs[comm]:
        return "the guide says: switch communication power on before motor power"
    if bit.index == comm and outputs[comm] and outputs[motor]:
        return "the guide says: switch motor power off before communication power"
    return None
