"""Turn protocol values into text an engineer reads: enum names, bits, labels, units.

Whatever the controller sends, formatting never raises and its text is bounded:
a value that does not match its catalogue field (or cannot be shown at all) is
shown raw, cut to a preview, behind the `MARK`.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from .catalogue import UINT64_MAX, Catalogue, FieldSpec, Param
from .geometry import load_geometry

__all__ = [
    "ELLIPSIS",
    "MARK",
    "MAX_INT_BITS",
    "MAX_TEXT",
    "Formatted",
    "Truncated",
    "describe_value",
    "format_params",
    "format_value",
    "join_bounded",
    "preview",
    "value_problem",
]

MAX_LIST_ITEMS = 8
#: Most characters of a formatted value (an ellipsis shows where it was cut).
MAX_TEXT = 300
#: Shown before a value that does not match its field or could not be formatted.
MARK = "⚠"
ELLIPSIS = "…"
#: Integers wider than this are shown by their size (``str`` is slow, then refuses).
MAX_INT_BITS = 4096
#: Containers nested deeper than this are cut in previews.
MAX_DEPTH = 32
#: Longest index list shown as ranges (``0-83``) in command parameters.
MAX_INDEX_LIST = 4096


@dataclass(frozen=True)
class Truncated:
    """A value too large to keep: its preview and (at least) its size.

    Attributes
    ----------
    preview : `str`
        The beginning of the value as JSON-like text.
    size : `int`
        Approximate size of the whole value, characters of JSON; a lower bound.
    """

    preview: str
    size: int

    def __str__(self) -> str:
        return self.preview


@dataclass(frozen=True)
class Formatted:
    """A value as text, why it is marked (None when it is not), and whether it was cut.

    ``cut`` is True when ``text`` does not show the whole value (a preview, a
    list shown by its first values, text cut at `MAX_TEXT`).
    """

    text: str
    problem: str | None = None
    cut: bool = False


class _Cut:
    """Set by the formatters when they leave part of a value out."""

    def __init__(self) -> None:
        self.cut = False


def format_value(catalogue: Catalogue, spec: FieldSpec | None, value: Any) -> str:
    """Return ``value`` as text, using what the catalogue knows of its field.

    See `describe_value`; this returns its text only.
    """
    return describe_value(catalogue, spec, value).text


def describe_value(catalogue: Catalogue, spec: FieldSpec | None, value: Any) -> Formatted:
    """Return ``value`` as text, and what is wrong with it if anything. Never raises.

    Enumerations show their name, bit fields their set bits, fault masks their
    codes, actuator indices their ring labels (values are 0-based here: the
    event store converts 1-based fields at the edge), numbers their unit at
    the catalogue's precision (`FieldSpec.format_number`: ``12.3 N``). A
    value that does not match ``spec`` (or that cannot be formatted) is shown
    raw, as a bounded preview after `MARK`; the reason is in ``problem``.
    Text longer than `MAX_TEXT` is cut and ends with an ellipsis.
    """
    try:
        if isinstance(value, Truncated):
            return Formatted(
                _clip(f"{MARK} {value.preview}"),
                f"too large to keep (at least {value.size:,} characters): beginning only",
                True,
            )
        problem = value_problem(spec, value) if spec is not None else None
        if problem is not None:
            return _marked(value, problem)
        out = _Cut()
        text = _typed(catalogue, spec, value, out)
        return Formatted(_clip(text), None, out.cut or len(text) > MAX_TEXT)
    except Exception as error:  # formatting must never raise
        return _marked(value, f"could not be formatted ({type(error).__name__})")


def format_params(
    catalogue: Catalogue,
    command: str,
    params: dict[str, Any],
    limit: int = MAX_TEXT,
    separator: str = ", ",
) -> str:
    """A command's parameters as ``name=value, ...``, at most about ``limit`` characters.

    Values are shown as `describe_value` shows event fields: enumeration names,
    numbers with their unit at the catalogue's precision for that unit; index
    lists as ranges (``0-83``) and hexadecimal parameters in hexadecimal.
    Never raises; parameters the catalogue does not know are shown plainly.
    """
    if not isinstance(params, dict):
        return describe_value(catalogue, None, params).text
    spec = catalogue.commands.get(command)
    parts = (
        f"{name}={_param_text(catalogue, spec.params.get(name) if spec else None, value)}"
        for name, value in params.items()
    )
    return join_bounded(parts, limit, separator)


def _param_text(catalogue: Catalogue, param: Param | None, value: Any) -> str:
    if param is None:
        return describe_value(catalogue, None, value).text
    whole = isinstance(value, int) and not isinstance(value, bool)
    if param.display == "hex" and whole and 0 <= value <= UINT64_MAX:
        return f"0x{value:X}"
    if (
        param.index_base is not None
        and isinstance(value, list)
        and len(value) <= MAX_INDEX_LIST
        and all(isinstance(v, int) and not isinstance(v, bool) for v in value)
    ):
        return _clip(format_index_list(value) or "none")
    return describe_value(catalogue, _param_field(catalogue, param), value).text


def _param_field(catalogue: Catalogue, param: Param) -> FieldSpec:
    """The `FieldSpec` a parameter would have as a field (its precision by its unit)."""
    precision = catalogue.precision_by_unit.get(param.unit) if param.type == "float" else None
    return FieldSpec(
        name=param.name,
        type=param.type,
        length=param.length,
        unit=param.unit,
        enum=param.enum,
        precision=precision,
    )


def value_problem(spec: FieldSpec, value: Any) -> str | None:
    """What is wrong with ``value`` for the field ``spec`` (its type, its length), or None."""
    if isinstance(value, Truncated):
        return "too large to keep"
    if spec.is_array:
        if not isinstance(value, list):
            return f"expected a list of {spec.type}, got {_kind(value)}"
        if isinstance(spec.length, int) and len(value) != spec.length:
            return f"expected {spec.length} values, got {len(value)}"
        for i, element in enumerate(value):
            reason = _element_problem(spec.type, element)
            if reason is not None:
                return f"[{i}]: {reason}"
        return None
    return _element_problem(spec.type, value)


def _element_problem(kind: str, value: Any) -> str | None:
    if kind == "bool":
        ok = isinstance(value, bool)
    elif kind == "string":
        ok = isinstance(value, str)
    elif kind == "int":
        ok = isinstance(value, int) and not isinstance(value, bool)
    elif kind == "uint64":
        ok = isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= UINT64_MAX
    elif kind == "float":
        ok = isinstance(value, int | float) and not isinstance(value, bool)
    else:
        return None
    return None if ok else f"expected {kind}, got {_kind(value)}"


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int" if value.bit_length() <= 64 else f"int of {value.bit_length()} bits"
    return {str: "string", float: "float", list: "list", dict: "object"}.get(
        type(value), "null" if value is None else type(value).__name__
    )


def _marked(value: Any, problem: str) -> Formatted:
    text, cut = preview(value, MAX_TEXT - 2)
    return Formatted(f"{MARK} {text}", problem, cut)


def _clip(text: str, limit: int = MAX_TEXT) -> str:
    return text if len(text) <= limit else text[:limit] + ELLIPSIS


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _typed(catalogue: Catalogue, spec: FieldSpec | None, value: Any, out: _Cut) -> str:
    if spec is None:
        return _plain(value, out)
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
        shown = value[: MAX_LIST_ITEMS * 4]
        named = " ".join(labels[i] if 0 <= i < len(labels) else f"?{i}" for i in shown)
        more = f" ... ({len(value)} values)" if len(value) > len(shown) else ""
        out.cut |= bool(more)
        return f"{_plain(value, out)} = {named}{more}" if value else "[] (none)"
    if spec.precision is not None and _is_number(value):
        return spec.format_number(value)
    if spec.precision is not None and isinstance(value, list):
        digits = spec.precision
        items = [f"{v:.{digits}f}" for v in value[:MAX_LIST_ITEMS]]
        text = _list_text(items, len(value), out)
    else:
        text = _plain(value, out)
    if spec.unit and isinstance(value, int | float | list) and not isinstance(value, bool):
        text += f" {spec.unit}"
    return text


def _list_text(items: list[str], length: int, out: _Cut) -> str:
    """``[a, b, ... (n values)]``: the first items of a list of ``length`` values."""
    more = f", ... ({length} values)" if length > len(items) else ""
    out.cut |= bool(more)
    return "[" + ", ".join(items) + more + "]"


def _plain(value: Any, out: _Cut) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value:.6g}"
    if isinstance(value, int):
        if value.bit_length() > MAX_INT_BITS:
            raise ValueError("integer too large to show")
        return str(value)
    if isinstance(value, str):
        return value
    if isinstance(value, list) and not any(
        isinstance(v, list | dict) for v in value[:MAX_LIST_ITEMS]
    ):
        return _list_text([_plain(v, out) for v in value[:MAX_LIST_ITEMS]], len(value), out)
    text, cut = preview(value, MAX_TEXT)
    out.cut |= cut
    return text


class _Full(Exception):
    """The preview has reached its limit."""


class _Preview:
    """Writes a value as JSON-like text, stopping at ``limit`` characters."""

    def __init__(self, limit: int) -> None:
        self.limit = max(0, limit)
        self.parts: list[str] = []
        self.length = 0
        self.truncated = False

    def write(self, text: str) -> None:
        room = self.limit - self.length
        if len(text) > room:
            self.parts.append(text[:room])
            self.length = self.limit
            self.truncated = True
            raise _Full
        self.parts.append(text)
        self.length += len(text)

    def value(self, value: Any, depth: int) -> None:
        if value is None:
            self.write("null")
        elif isinstance(value, bool):
            self.write("true" if value else "false")
        elif isinstance(value, int):
            bits = value.bit_length()
            self.write(str(value) if bits <= MAX_INT_BITS else f"<integer of {bits} bits>")
        elif isinstance(value, float):
            self.write(repr(value) if math.isfinite(value) else str(value))
        elif isinstance(value, str):
            self.string(value)
        elif isinstance(value, Truncated):
            self.write(value.preview)
            self.truncated = True
        elif isinstance(value, list | tuple | dict):
            if depth >= MAX_DEPTH:
                self.truncated = True
                raise _Full
            self.container(value, depth + 1)
        else:
            self.string(f"<{type(value).__name__}>")

    def string(self, text: str) -> None:
        room = self.limit - self.length
        quoted = json.dumps(text[: room + 1], ensure_ascii=False)
        # lone surrogates (possible from a lenient JSON decoder) cannot be shown as UTF-8
        self.write(quoted.encode("utf-8", "backslashreplace").decode("utf-8"))

    def container(self, value: list[Any] | tuple[Any, ...] | dict[Any, Any], depth: int) -> None:
        if isinstance(value, dict):
            self.write("{")
            for i, (key, item) in enumerate(value.items()):
                self.write(", " if i else "")
                self.string(str(key) if not isinstance(key, str) else key)
                self.write(": ")
                self.value(item, depth)
            self.write("}")
        else:
            self.write("[")
            for i, item in enumerate(value):
                self.write(", " if i else "")
                self.value(item, depth)
            self.write("]")


def preview(value: Any, limit: int = MAX_TEXT) -> tuple[str, bool]:
    """Return ``value`` as JSON-like text of at most ``limit`` characters (plus an ellipsis).

    The work done is bounded by ``limit``, not by the size of ``value``, and it
    never raises: huge integers show their size, deep nesting is cut, other
    objects their type. Returns ``(text, truncated)``; truncated text ends with
    an ellipsis.
    """
    out = _Preview(limit)
    try:
        out.value(value, 0)
    except _Full:
        pass
    except Exception:  # a preview must never raise
        out.parts.append(f"<{type(value).__name__}>")
        out.truncated = True
    text = "".join(out.parts)
    return (text + ELLIPSIS, True) if out.truncated else (text, False)


def join_bounded(parts: Iterable[str], limit: int, separator: str = "; ") -> str:
    """Join the non-empty ``parts`` into at most about ``limit`` characters.

    What does not fit is replaced by an ellipsis and a count, e.g.
    ``"a; b; … (+19998 more, 20000 in all)"``. Only the parts shown are copied.
    """
    shown: list[str] = []
    length = 0
    total = 0
    whole = 0
    full = False
    for part in parts:
        if not part:
            continue
        total += 1
        if full:
            continue
        gap = len(separator) if shown else 0
        room = limit - length - gap
        if len(part) <= room:
            shown.append(part)
            length += gap + len(part)
            whole += 1
            continue
        if room > 20:
            shown.append(part[:room] + ELLIPSIS)
        full = True
    text = separator.join(shown)
    if whole == total:
        return text
    return f"{text} {ELLIPSIS} (+{total - whole} more, {total} in all)"


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
