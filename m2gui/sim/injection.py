"""What the simulator can be told to break, and how the controller words it.

Qt-free, socket-free pieces shared by `SimController.inject` and the
``m2gui-sim --inject`` flag:

- `FaultTable`: the 64 bits of ``summaryFaultsStatus`` / ``enabledFaultsMask``
  from the catalogue's ``fault_bits`` (code to bit, fault or warning class).
- `BreakerBank`: the power breakers of one feed, their ``digitalInput`` bits and
  the lines they sit on, with the controller's rule for breaker codes.
- `Injection` and `parse_injection`: the ``kind:arg:arg[:on|off][@seconds]``
  text of the command-line flag.

Breaker polarity follows the controller, not the incumbent GUI's Utility view:
a set ``...PowerBreaker`` bit is an open breaker (ts_mtm2_controller's
``check_breakers`` counts a breaker closed when its bit is 0; the reference
simulator sets the bits of an unpowered feed and while it resets breakers).
"""

from __future__ import annotations

import argparse
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from m2gui.model import Catalogue

__all__ = [
    "INJECTION_HELP",
    "INJECTION_KINDS",
    "BreakerBank",
    "FaultTable",
    "Injection",
    "breaker_banks",
    "parse_injection",
]

#: Injection kinds, with the keyword arguments ``inject`` takes in order.
INJECTION_KINDS: dict[str, tuple[str, ...]] = {
    "fault": ("code",),
    "limit_switch": ("actuator", "direction"),
    "ilc_fault": ("address",),
    "cell_temperature_high": (),
    "interlock": (),
    "breaker": ("power", "index"),
}

#: Help for ``m2gui-sim --inject`` (also the grammar `parse_injection` reads).
INJECTION_HELP = """\
Inject a condition, as KIND[:ARG...][:on|off][@SECONDS] (repeatable; applied
once listening, or SECONDS later):
  fault:CODE                    a code of the fault-bit table, e.g. fault:6055
  limit_switch:ACTUATOR:DIR     DIR retract or extend, ACTUATOR 0-77
  ilc_fault:ADDRESS             ADDRESS 0-83 goes to Fault
  cell_temperature_high         cellTemperatureHiWarning and warning 6075
  interlock                     interlock engaged (InterlockPowerRelay input)
  breaker:FEED:INDEX            FEED motor (INDEX 0-8) or communication (0-5)
Masked codes (enabledFaultsMask) are ignored; clearErrors clears everything.
Examples: --inject fault:6055  --inject limit_switch:12:retract@5
"""


class FaultTable:
    """The fault-bit table: which bit of the 64-bit status each code owns.

    Parameters
    ----------
    catalogue : `Catalogue`
        Its ``fault_bits`` rows (bit, code, kind).
    """

    def __init__(self, catalogue: Catalogue) -> None:
        self.bits: dict[int, int] = {int(r["code"]): int(r["bit"]) for r in catalogue.fault_bits}
        self.kinds: dict[int, str] = {int(r["code"]): str(r["kind"]) for r in catalogue.fault_bits}
        #: Every bit whose code is of the fault class (the others are warnings or reserved).
        self.fault_class_mask = sum(
            1 << self.bits[code] for code, kind in self.kinds.items() if kind == "fault"
        )

    def mask(self, code: int) -> int:
        """The status bit value of ``code``.

        Raises
        ------
        ValueError
            If ``code`` is not in the table.
        """
        try:
            return 1 << self.bits[code]
        except KeyError:
            raise ValueError(
                f"unknown fault code {code}: the table has {min(self.bits)}-{max(self.bits)} "
                f"({len(self.bits)} codes)"
            ) from None

    def masks(self, codes: Iterable[int]) -> int:
        """The status bits of several codes."""
        value = 0
        for code in codes:
            value |= self.mask(code)
        return value


@dataclass
class BreakerBank:
    """The breakers of one power feed.

    Attributes
    ----------
    bits : `list` of `int`
        ``digitalInput`` bit value of each breaker, by index.
    line_size : `int`
        Breakers per line (3 on the motor feed, 2 on communication): the
        controller checks each line (J1, J2, J3) on its own.
    multi_code : `int`
        The fault raised when a line has two or more open breakers
        (6070 motor, 6069 communication).
    nominal_current : `float`
        Current (A) drawn with every breaker closed.
    tripped : `set` of `int`
        Indices of the open (tripped) breakers.
    """

    bits: list[int]
    line_size: int
    multi_code: int
    nominal_current: float
    tripped: set[int] = field(default_factory=set)

    #: Warning code for a line with exactly one open breaker.
    SINGLE_CODE = 6071

    @property
    def all_bits(self) -> int:
        """The bits of every breaker of the feed."""
        return sum(self.bits)

    @property
    def tripped_bits(self) -> int:
        """The bits of the tripped breakers."""
        return sum(self.bits[i] for i in self.tripped)

    def check(self, index: int) -> None:
        """Raise `ValueError` unless ``index`` names a breaker of this feed."""
        if not 0 <= index < len(self.bits):
            raise ValueError(f"breaker index {index} outside 0-{len(self.bits) - 1}")

    def codes(self) -> set[int]:
        """The codes the controller raises for the tripped breakers (feed on)."""
        codes: set[int] = set()
        lines: dict[int, int] = {}
        for index in self.tripped:
            lines[index // self.line_size] = lines.get(index // self.line_size, 0) + 1
        for count in lines.values():
            codes.add(self.SINGLE_CODE if count == 1 else self.multi_code)
        return codes

    @property
    def closed_fraction(self) -> float:
        """Share of the breakers that are closed (scales the feed's current)."""
        return 1.0 - len(self.tripped) / len(self.bits)


def breaker_banks(catalogue: Catalogue, nominal: dict[str, float]) -> dict[str, BreakerBank]:
    """The motor and communication breaker banks from the ``DigitalInput`` bit field."""
    inputs = catalogue.bitfields["DigitalInput"]
    motor = sorted(v for k, v in inputs.items() if k.endswith("MotorPowerBreaker"))
    comm = sorted(v for k, v in inputs.items() if k.endswith("CommunicationPowerBreaker"))
    return {
        "motor": BreakerBank(motor, 3, 6070, float(nominal.get("motor_A", 8.5))),
        "communication": BreakerBank(comm, 2, 6069, float(nominal.get("comm_A", 6.5))),
    }


@dataclass(frozen=True)
class Injection:
    """One ``--inject`` request: ``inject(kind, **kwargs)`` after ``delay`` seconds."""

    kind: str
    kwargs: dict[str, Any]
    delay: float = 0.0

    def __str__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.kwargs.items())
        when = f" after {self.delay:g} s" if self.delay else ""
        return f"{self.kind}({args}){when}"


_SPEC = re.compile(r"^(?P<body>[^@]+?)(?:@(?P<delay>[0-9]*\.?[0-9]+))?$")


def injection_argument(text: str) -> Injection:
    """An ``--inject`` argument: the parsed injection, or an argparse error saying why."""
    try:
        return parse_injection(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def parse_injection(text: str) -> Injection:
    """Parse ``KIND[:ARG...][:on|off][@SECONDS]`` (see `INJECTION_HELP`).

    Raises
    ------
    ValueError
        With the reason, for an unknown kind or a wrong number of arguments.
    """
    match = _SPEC.match(text.strip())
    if match is None:
        raise ValueError(f"cannot read injection {text!r}")
    parts = [p.strip() for p in match.group("body").split(":")]
    kind = parts[0].replace("-", "_")
    if kind not in INJECTION_KINDS:
        raise ValueError(
            f"unknown injection kind {parts[0]!r}: one of {', '.join(INJECTION_KINDS)}"
        )
    names = INJECTION_KINDS[kind]
    args = parts[1:]
    active = True
    if len(args) == len(names) + 1 and args[-1].lower() in ("on", "off"):
        active = args.pop().lower() == "on"
    if len(args) != len(names):
        wanted = ":".join([kind, *(n.upper() for n in names)])
        raise ValueError(f"injection {text!r}: expected {wanted}[:on|off]")
    kwargs: dict[str, Any] = {}
    for name, value in zip(names, args, strict=True):
        if name in ("code", "actuator", "address", "index"):
            try:
                kwargs[name] = int(value)
            except ValueError:
                raise ValueError(f"injection {text!r}: {name} must be an integer") from None
        else:
            kwargs[name] = value.lower()
    kwargs["active"] = active
    delay = float(match.group("delay")) if match.group("delay") else 0.0
    return Injection(kind, kwargs, delay)
