"""The fault-bit table: for each bit of ``summaryFaultsStatus``, its code, class and meaning.

Bit ``n`` of the 64-bit ``summaryFaultsStatus.status`` (and of
``enabledFaultsMask.mask``) is row ``n`` of the controller's ``error_code.tsv``
(file order, not code order). The bits, codes and classes come from the
catalogue (``fault_bits``); the summary and cause texts come from the
catalogue when it has them (``summary``/``cause`` keys) and otherwise from
`DESCRIPTIONS` here (the summaries are the controller's own names, the causes
are short paraphrases of its cause column).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import cache

from ..catalogue import Catalogue

__all__ = [
    "CLASS_WORDS",
    "DESCRIPTIONS",
    "FAULT",
    "RESERVED",
    "WARNING",
    "FaultCode",
    "FaultTable",
    "fault_table",
]

FAULT = "fault"
WARNING = "warning"
RESERVED = "reserved"
#: How each class is written in the views.
CLASS_WORDS = {FAULT: "Fault", WARNING: "Warning", RESERVED: "Reserved"}
#: Bits in ``summaryFaultsStatus`` and ``enabledFaultsMask``.
BITS = 64

#: Summary and cause of each fault and warning code.
DESCRIPTIONS: dict[int, tuple[str, str]] = {
    6051: (
        "Actuator ILC Read Error",
        "An actuator ILC answered with an exception code, timed out, missed a command or "
        "reported a fault.",
    ),
    6052: (
        "Monitoring ILC Read Error",
        "A monitoring ILC answered with an exception code or did not answer (timeout).",
    ),
    6053: (
        "cRIO Communication Error",
        "Communication between the cRIO and the M2 controller was lost.",
    ),
    6054: ("ILC State Transition Error", "An ILC did not change state (after three retries)."),
    6055: (
        "Excessive Force Detected",
        "A measured actuator force went beyond the programmable threshold.",
    ),
    6056: (
        "Actuator Limit Switch Triggered [Closed-loop]",
        "An actuator reported a closed limit switch (either direction) in closed loop.",
    ),
    6057: (
        "Actuator Limit Switch Triggered [Open-loop]",
        "An actuator reported a closed limit switch (either direction) in open loop.",
    ),
    6058: (
        "Inclinometer Error [Fault]",
        "Inclinometer communication error, or its ILC reported a fault.",
    ),
    6059: (
        "Inclinometer Error [Warning]",
        "Inclinometer communication error or ILC fault while it is not used for control.",
    ),
    6060: (
        "Inclinometer Difference Error",
        "The TCS elevation and the local inclinometer differ by too much.",
    ),
    6061: (
        "Motor Power Supply(s) Over/Under Voltage [Fault]",
        "Motor supply voltage outside its programmable limits.",
    ),
    6062: (
        "Motor Power Supply(s) Over/Under Voltage [Warning]",
        "Motor supply voltage outside its programmable limits.",
    ),
    6063: (
        "Comm Power Supply(s) Over/Under Voltage [Fault]",
        "Communication supply voltage outside its programmable limits.",
    ),
    6064: (
        "Comm Power Supply(s) Over/Under Voltage [Warning]",
        "Communication supply voltage outside its programmable limits.",
    ),
    6065: ("Excessive Motor Current", "Motor current above its programmable limit."),
    6066: ("Excessive Comm Current", "Communication current above its programmable limit."),
    6067: (
        "Power Relay Opening Fault",
        "A power relay did not open when the software commanded it.",
    ),
    6068: ("Power Supply Health Fault", "A power supply signalled an internal fault."),
    6069: (
        "Multi-breaker Trip on Same COMM Power Feed",
        "Two or more breakers of the communication feed tripped.",
    ),
    6070: (
        "Multi-breaker Trip on Same MOTOR Power Feed",
        "Two or more breakers of the motor feed tripped.",
    ),
    6071: ("Single Breaker Trip", "One breaker tripped."),
    6072: (
        "Power Supply Load Sharing Error",
        "The redundancy module reports unbalanced supply load.",
    ),
    6073: (
        "cRIO 50 msec Cycle Time Monitor [Fault]",
        "The control loop took more than 50 ms for three cycles in a row.",
    ),
    6074: (
        "cRIO 50 msec Cycle Time Monitor [Warning]",
        "The control loop took more than 50 ms for one cycle.",
    ),
    6075: (
        "Excessive Cell Temperature Differential",
        "The intake to exhaust temperature difference exceeded its threshold.",
    ),
    6077: (
        "Configurable Parameter File Read Error",
        "The configuration file could not be read or its data is corrupt.",
    ),
    6078: ("Displacement Sensor Out of Range", "A displacement sensor value is out of range."),
    6079: ("Inclinometer Out of Range", "The inclinometer value is out of range."),
    6080: (
        "Mirror Temperature Sensor Out of Range [Fault]",
        "A mirror temperature sensor value is out of range.",
    ),
    6081: (
        "Mirror Temperature Sensor Out of Range [Warning]",
        "A mirror temperature sensor value is out of range.",
    ),
    6082: (
        "Airflow Temperature Sensor Out of Range",
        "An intake or exhaust temperature sensor value is out of range.",
    ),
    6083: ("Axial Actuator Encoder Out of Range", "An axial encoder value is out of range."),
    6084: ("Tangent Actuator Encoder Out of Range", "A tangent encoder value is out of range."),
    6085: (
        "Loss of TMA Communications on Enable",
        "The MTMount elevation is not available while in, or entering, Enable.",
    ),
    6086: (
        "Loss of TMA Communications",
        "The MTMount elevation is not available (outside Enable: a warning).",
    ),
    6087: (
        "User Identified Error (Emergency Stop)",
        "A user raised a fault from the EUI to force the controller to its fault state.",
    ),
    6088: (
        "Tangent Load Cell Fault",
        "The tangent load cells violate one of the four monitoring checks (weight, sum, links).",
    ),
}

RESERVED_SUMMARY = "*** Reserved ***"
RESERVED_CAUSE = "Reserved for future use; the controller should never set it."


@dataclass(frozen=True)
class FaultCode:
    """One row of the fault-bit table.

    Attributes
    ----------
    bit : `int`
        Bit index, 0-63, in ``summaryFaultsStatus`` and ``enabledFaultsMask``.
    code : `int`
        Error code (10xx are reserved placeholders).
    kind : `str`
        `FAULT`, `WARNING` or `RESERVED`.
    summary, cause : `str`
        What it means, and what raises it.
    """

    bit: int
    code: int
    kind: str
    summary: str
    cause: str

    @property
    def value(self) -> int:
        """The bit's value in the 64-bit word (``1 << bit``)."""
        return 1 << self.bit

    @property
    def reserved(self) -> bool:
        """True for the reserved placeholders (codes below 6000)."""
        return self.kind == RESERVED

    @property
    def class_word(self) -> str:
        """ "Fault", "Warning" or "Reserved"."""
        return CLASS_WORDS.get(self.kind, self.kind)


class FaultTable:
    """The 64 rows of the fault-bit table, by bit and by code.

    Parameters
    ----------
    catalogue : `Catalogue`
        Its ``fault_bits`` rows give bit, code and kind.

    Raises
    ------
    ValueError
        If the catalogue's rows are not 64 distinct bits 0-63 with distinct codes
        and known kinds.
    """

    def __init__(self, catalogue: Catalogue) -> None:
        rows: list[FaultCode] = []
        for raw in catalogue.fault_bits:
            bit, code, kind = int(raw["bit"]), int(raw["code"]), str(raw["kind"])
            if kind not in CLASS_WORDS:
                raise ValueError(f"fault bit {bit}: unknown kind {kind!r}")
            known = DESCRIPTIONS.get(code)
            if kind == RESERVED:
                summary, cause = RESERVED_SUMMARY, RESERVED_CAUSE
            elif known is not None:
                summary, cause = known
            else:
                summary, cause = f"Code {code}", "No description known."
            summary = str(raw.get("summary") or summary)
            cause = str(raw.get("cause") or cause)
            rows.append(FaultCode(bit, code, kind, summary, cause))
        rows.sort(key=lambda r: r.bit)
        if [r.bit for r in rows] != list(range(BITS)):
            raise ValueError("the catalogue's fault_bits must be bits 0-63, once each")
        if len({r.code for r in rows}) != BITS:
            raise ValueError("the catalogue's fault_bits codes must be distinct")
        self.rows: tuple[FaultCode, ...] = tuple(rows)
        self.by_code: dict[int, FaultCode] = {r.code: r for r in rows}

    def __iter__(self) -> Iterator[FaultCode]:
        return iter(self.rows)

    def __len__(self) -> int:
        return len(self.rows)

    def bit(self, bit: int) -> FaultCode:
        """The row of bit ``bit`` (0-63)."""
        return self.rows[bit]

    def code(self, code: int) -> FaultCode:
        """The row of error code ``code``.

        Raises
        ------
        KeyError
            If no bit carries that code.
        """
        try:
            return self.by_code[code]
        except KeyError:
            raise KeyError(f"{code} is not a code of the fault-bit table") from None

    def decode(self, word: int) -> list[FaultCode]:
        """The rows whose bits are set in ``word``, by bit."""
        return [r for r in self.rows if word >> r.bit & 1]

    def codes_value(self, codes: Iterable[int]) -> int:
        """The 64-bit value with the bits of ``codes`` set.

        Raises
        ------
        KeyError
            If a code is not in the table.
        """
        value = 0
        for code in codes:
            value |= self.code(code).value
        return value

    @property
    def alarms(self) -> list[FaultCode]:
        """The fault and warning rows (not the reserved ones), sorted by code."""
        return sorted((r for r in self.rows if not r.reserved), key=lambda r: r.code)


@cache
def fault_table(catalogue: Catalogue) -> FaultTable:
    """The `FaultTable` of ``catalogue`` (built once per catalogue)."""
    return FaultTable(catalogue)
