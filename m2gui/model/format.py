"""Turn protocol values into text an engineer reads: enum names, bits, labels, units."""

from __future__ import annotations

from typing import Any

from .catalogue import Catalogue, FieldSpec
from .geometry import load_geometry

__all__ = ["format_value"]

MAX_LIST_ITEMS = 8


def format_value(catalogue: Catalogue, spec: FieldSpec | None, value: Any) -> str:
    """Return ``value`` as text, using what the catalogue knows of its field.

    Enumerations show their name, bit fields their set bits, fault masks their
    codes, actuator indices their ring labels (values are 0-based here: the
    event store converts 1-based fields at the edge), numbers their unit.
    """
    if spec is None:
        return _plain(value)
    enum = spec.enum
    if isinstance(value, int) and not isinstance(value, bool) and enum:
        if enum in catalogue.enums:
            return f"{value} ({catalogue.enum_name(enum, value)})"
        if enum in catalogue.bitfields:
            names = [n for n, bit in catalogue.bitfields[enum].items() if value & bit]
            return f"0x{value:X}: " + (", ".join(names) if names else "none")
        if enum == "SummaryFaultBits":
            rows = [r for r in catalogue.fault_codes(value) if r["kind"] != "reserved"]
            codes = " ".join(f"{r['code']}{'W' if r['kind'] == 'warning' else 'F'}" for r in rows)
            return f"0x{value:X}" + (f": {codes}" if codes else "")
    if spec.index_base is not None and isinstance(value, list):
        labels = load_geometry().labels
        named = " ".join(labels[i] if 0 <= i < len(labels) else f"?{i}" for i in value)
        return f"{value} = {named}" if value else "[] (none)"
    text = _plain(value)
    if spec.unit and isinstance(value, int | float | list) and not isinstance(value, bool):
        text += f" {spec.unit}"
    return text


def _plain(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value:.6g}"
    if isinstance(value, list):
        items = [_plain(v) for v in value[:MAX_LIST_ITEMS]]
        more = f", ... ({len(value)} values)" if len(value) > MAX_LIST_ITEMS else ""
        return "[" + ", ".join(items) + more + "]"
    return str(value)


def parse_index_list(text: str) -> list[int]:
    """Parse ``"0-3, 7, 80-83"`` into ``[0, 1, 2, 3, 7, 80, 81, 82, 83]``.

    Raises
    ------
    ValueError
        If a part is not a number or an ascending ``a-b`` range.
    """
    out: list[int] = []
    for part in text.replace(";", ",").split(","):
        part = part.strip()
        if not part:
            continue
        if "-" in part[1:]:
            lo_text, hi_text = part.split("-", 1)
            try:
                lo, hi = int(lo_text), int(hi_text)
            except ValueError:
                raise ValueError(f"{part!r} is not a range a-b") from None
            if hi < lo:
                raise ValueError(f"{part!r}: the range goes down")
            out.extend(range(lo, hi + 1))
        else:
            try:
                out.append(int(part))
            except ValueError:
                raise ValueError(f"{part!r} is not a whole number") from None
    return out


def format_index_list(values: list[int]) -> str:
    """The inverse of `parse_index_list`: consecutive runs become ranges."""
    parts: list[str] = []
    i = 0
    while i < len(values):
        j = i
        while j + 1 < len(values) and values[j + 1] == values[j] + 1:
            j += 1
        parts.append(str(values[i]) if j - i < 2 else f"{values[i]}-{values[j]}")
        if 0 < j - i < 2:
            parts.append(str(values[j]))
        i = j + 1
    return ", ".join(parts)
