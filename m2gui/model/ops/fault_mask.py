"""The enabled-faults mask: a uint64 whose bit n enables the code of fault bit n.

Pure functions, exact on all 64 bits (Python integers, never floats or int64).
The rules follow the incumbent GUI (ts_m2gui ``TabAlarmWarn`` and ts_m2com
``ErrorHandler.calc_enabled_faults_mask``):

- a code is *bypassed* when its bit is set in the default mask
  (``DEFAULT_ENABLED_FAULTS_MASK``, 0xFF800007FFFFFFFF) but clear in the mask;
  only fault and warning codes (>= 6000) are listed, as the incumbent does;
- bypassing codes clears their bits from the mask, together with
  `STANDARD_BYPASS` (the reserved 1000-1002 and warning 6052, as the incumbent's
  Diagnostic mask does);
- reset puts the default mask back;
- a mask of 0 is never sent: it would disable every fault.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from ..catalogue import Catalogue
from .faults_table import BITS, FaultCode, FaultTable

__all__ = [
    "STANDARD_BYPASS",
    "UINT64_MAX",
    "MaskChange",
    "bypass",
    "bypassed_codes",
    "default_mask",
    "describe_change",
    "is_uint64",
    "mask_bits",
    "mask_hex",
    "mask_problem",
    "parse_mask",
    "set_code",
]

UINT64_MAX = (1 << BITS) - 1
#: Codes the incumbent clears together with the selected ones when it bypasses
#: (and in the mask it sends on entering Diagnostic).
STANDARD_BYPASS = (1000, 1001, 1002, 6052)


def default_mask(catalogue: Catalogue) -> int:
    """The controller's default enabled-faults mask, from the catalogue."""
    return int(catalogue.constants["DEFAULT_ENABLED_FAULTS_MASK"])


def is_uint64(value: object) -> bool:
    """True for an integer (not a bool) in 0 .. 2**64 - 1."""
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= UINT64_MAX


def mask_hex(mask: int) -> str:
    """``0x`` and 16 upper-case hex digits, e.g. ``0xFF800007FFFFFFFF``."""
    return f"0x{mask:016X}"


def mask_bits(mask: int) -> str:
    """The 64 bits, bit 63 first, in groups of 8 (``11111111 10000000 ...``)."""
    text = f"{mask:064b}"
    return " ".join(text[i : i + 8] for i in range(0, BITS, 8))


def mask_problem(mask: object) -> str | None:
    """Why ``mask`` must not be sent as ``setEnabledFaultsMask``, or None if it may."""
    if not is_uint64(mask):
        return f"{mask!r} is not an unsigned 64-bit integer"
    if mask == 0:
        return "a mask of 0 would disable every fault and warning: it is never sent"
    return None


def parse_mask(text: str) -> int:
    """Read a mask typed as hex (``0x...``, ``_`` and spaces allowed) or decimal.

    Raises
    ------
    ValueError
        With the reason, if it is not an unsigned 64-bit integer.
    """
    clean = text.strip().replace("_", "").replace(" ", "")
    if not clean:
        raise ValueError("empty: type the mask in hex (0x...) or decimal")
    try:
        value = int(clean[2:], 16) if clean[:2].lower() == "0x" else int(clean, 10)
    except ValueError:
        raise ValueError(f"{text.strip()[:40]!r} is not a hex (0x...) or decimal number") from None
    if not is_uint64(value):
        raise ValueError(f"{clean[:40]} does not fit in 64 bits")
    return value


def set_code(mask: int, table: FaultTable, code: int, enabled: bool) -> int:
    """``mask`` with the bit of ``code`` set (enabled) or cleared (bypassed).

    Raises
    ------
    KeyError
        If ``code`` is not in the table.
    """
    value = table.code(code).value
    return mask | value if enabled else mask & ~value & UINT64_MAX


def bypass(mask: int, table: FaultTable, codes: Iterable[int]) -> int:
    """``mask`` with ``codes`` and `STANDARD_BYPASS` cleared, as the incumbent bypasses.

    Raises
    ------
    KeyError
        If a code is not in the table.
    """
    cleared = table.codes_value([*codes, *STANDARD_BYPASS])
    return mask & ~cleared & UINT64_MAX


def bypassed_codes(mask: int, default: int, table: FaultTable) -> list[FaultCode]:
    """Fault and warning codes enabled by default but not in ``mask``, sorted by code."""
    missing = default & ~mask
    return sorted(
        (r for r in table.decode(missing) if not r.reserved),
        key=lambda r: r.code,
    )


@dataclass(frozen=True)
class MaskChange:
    """What sending a new mask changes, code by code."""

    old: int | None
    new: int
    #: Codes the new mask disables that the old one enabled.
    disables: tuple[FaultCode, ...]
    #: Codes the new mask enables that the old one disabled.
    enables: tuple[FaultCode, ...]
    #: Every fault and warning code bypassed (versus the default) once it is sent.
    bypassed_after: tuple[FaultCode, ...]

    def text(self) -> str:
        """A few lines for a confirmation: the codes it bypasses and enables."""

        def names(rows: tuple[FaultCode, ...]) -> str:
            return ", ".join(f"{r.code} {r.summary}" for r in rows) if rows else "none"

        old = "unknown" if self.old is None else mask_hex(self.old)
        return "\n".join(
            [
                f"Enabled faults mask {old} -> {mask_hex(self.new)}",
                f"Stops reporting: {names(_alarms(self.disables))}",
                f"Reports again: {names(_alarms(self.enables))}",
                f"Bypassed once sent: {names(self.bypassed_after)}",
            ]
        )


def _alarms(rows: tuple[FaultCode, ...]) -> tuple[FaultCode, ...]:
    """The fault and warning rows, by code."""
    return tuple(sorted((r for r in rows if not r.reserved), key=lambda r: r.code))


def describe_change(old: int | None, new: int, default: int, table: FaultTable) -> MaskChange:
    """What sending ``new`` changes from ``old`` (the controller's mask, if known)."""
    before = default if old is None else old
    return MaskChange(
        old=old,
        new=new,
        disables=tuple(table.decode(before & ~new)),
        enables=tuple(table.decode(new & ~before)),
        bypassed_after=tuple(bypassed_codes(new, default, table)),
    )
