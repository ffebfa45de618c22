"""Command parameter values typed as text: ``mode=OpenLoop``, ``axial=0,0,...``, ``mask=0x...``.

The rules a terminal (``m2gui-cli send``) and a form share for turning what an
engineer types into the value a catalogue `Param` takes, and back:

- ``bool``: ``true``/``false`` (also ``yes``/``no``, ``on``/``off``, ``1``/``0``);
- enumerations: a name of the enumeration (exact, else the one name equal
  ignoring case) or its number;
- ``int`` and ``uint64``: decimal, or ``0x`` hexadecimal (``0b``, ``0o`` too),
  ``_`` allowed between digits (``0xFFFF_FFFF``);
- ``float``: a decimal number;
- ``string``: the text as typed;
- arrays: values separated by commas (spaces or semicolons too), or
  ``@PATH`` for a CSV file (one value per line, a header skipped, or all on
  one line); integer arrays also take ranges (``0-3,7``).

Parsing checks the form of each value only; ranges, lengths and enumeration
membership are `Catalogue.validate_command`'s, whose messages name the
parameter and the element.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from .catalogue import CommandSpec, CommandValidationError, Param

__all__ = [
    "FALSE_WORDS",
    "TRUE_WORDS",
    "ParamTextError",
    "param_hint",
    "param_value_text",
    "parse_assignments",
    "parse_param_text",
    "parse_scalar",
    "split_values",
    "values_from_csv",
]

TRUE_WORDS = ("true", "yes", "on", "1")
FALSE_WORDS = ("false", "no", "off", "0")
#: Characters of typed text quoted back in a message.
QUOTE_CHARS = 40
#: Most values read for one array (from text or a file): the longest array of
#: the catalogue has 84; anything far beyond is a wrong file.
MAX_VALUES = 100_000
_SEPARATORS = re.compile(r"[\s,;]+")
_RANGE = re.compile(r"^(-?\d+)-(-?\d+)$")

#: Reads the text of ``@PATH`` (raises OSError or UnicodeError).
Loader = Callable[[str], str]


class ParamTextError(ValueError):
    """Typed text is not a value of its parameter; the message says why.

    Attributes
    ----------
    index : `int` or None
        The array element at fault, if one is.
    """

    def __init__(self, message: str, index: int | None = None) -> None:
        super().__init__(message)
        self.index = index


def _quote(text: str) -> str:
    shown = text if len(text) <= QUOTE_CHARS else text[:QUOTE_CHARS] + "…"
    return repr(shown)


def _enum_value(param: Param, text: str) -> int | None:
    """The number of enumeration name ``text`` (exact, else unique ignoring case)."""
    values = param.enum_values
    if text in values:
        return int(values[text])
    folded = [number for name, number in values.items() if name.lower() == text.lower()]
    return int(folded[0]) if len(folded) == 1 else None


def _integer(text: str) -> int:
    compact = text.replace("_", "")
    if re.fullmatch(r"[+-]?\d+", compact):
        return int(compact, 10)  # "010" is ten, not an error
    return int(text, 0)


def parse_scalar(param: Param, text: str) -> Any:
    """One value of ``param`` (or one element of an array parameter) from text.

    Raises
    ------
    ParamTextError
        If the text is not of the parameter's type.
    """
    raw = text
    text = text.strip()
    kind = param.type
    if kind == "string":
        return raw
    if not text:
        raise ParamTextError("empty: give a value")
    if kind == "bool":
        word = text.lower()
        if word in TRUE_WORDS:
            return True
        if word in FALSE_WORDS:
            return False
        raise ParamTextError(f"{_quote(text)} is not true or false")
    if param.enum_values:
        number = _enum_value(param, text)
        if number is not None:
            return number
    if kind in ("int", "uint64"):
        try:
            return _integer(text)
        except ValueError:
            names = f" or a {param.enum} name" if param.enum_values else ""
            raise ParamTextError(f"{_quote(text)} is not a whole number{names}") from None
    try:
        return float(text.replace("_", ""))
    except ValueError:
        raise ParamTextError(f"{_quote(text)} is not a number") from None


def split_values(text: str) -> list[str]:
    """The values of typed array text: separated by commas, semicolons or spaces."""
    return [part for part in _SEPARATORS.split(text.strip()) if part]


def _is_number(cell: str) -> bool:
    """True for a decimal or ``0x`` number (a header cell is not one)."""
    cell = cell.strip()
    try:
        float(cell.replace("_", ""))
    except ValueError:
        try:
            _integer(cell)
        except ValueError:
            return False
    return True


def values_from_csv(text: str) -> list[str]:
    """The values of a CSV file, as text, for an array parameter.

    Lines without a number (a header) are skipped. One line left gives every
    cell of it; otherwise each line gives its first numeric cell, as the
    command form's "Load CSV" reads a column.

    Raises
    ------
    ParamTextError
        If the file holds more than `MAX_VALUES` values.
    """
    rows = [
        [cell.strip() for cell in row if cell.strip()]
        for row in csv.reader(io.StringIO(text))
        if any(_is_number(cell) for cell in row)
    ]
    if len(rows) == 1:
        values = rows[0]
    else:
        values = [next(c for c in row if _is_number(c)) for row in rows]
    if len(values) > MAX_VALUES:
        raise ParamTextError(f"more than {MAX_VALUES} values")
    return values


def _expand(param: Param, parts: Sequence[str]) -> list[Any]:
    values: list[Any] = []
    for part in parts:
        span = _RANGE.match(part) if param.type == "int" and not param.enum_values else None
        if span is not None:
            lo, hi = int(span.group(1)), int(span.group(2))
            if hi < lo:
                raise ParamTextError(f"{_quote(part)}: the range goes down", len(values))
            if hi - lo + len(values) >= MAX_VALUES:
                raise ParamTextError(f"{_quote(part)}: more than {MAX_VALUES} values")
            values.extend(range(lo, hi + 1))
            continue
        try:
            values.append(parse_scalar(param, part))
        except ParamTextError as error:
            raise ParamTextError(f"[{len(values)}]: {error}", len(values)) from None
    return values


def parse_param_text(param: Param, text: str, *, load: Loader | None = None) -> Any:
    """The value of ``param`` from typed text (see the module's rules).

    Parameters
    ----------
    param : `Param`
        The catalogue's parameter.
    text : `str`
        What was typed after ``name=``.
    load : callable or None
        ``load(path) -> str`` reads the file of ``@PATH`` (arrays only);
        None: ``@`` is refused.

    Returns
    -------
    value
        A bool, int, float, str or list of them; None for an empty optional
        parameter (left out).

    Raises
    ------
    ParamTextError
        If the text is not a value of the parameter's type, or the file
        cannot be read.
    """
    if not text.strip() and param.type != "string":
        if param.optional:
            return None
        if param.is_array:
            return []
        raise ParamTextError("empty: give a value")
    if not param.is_array:
        return parse_scalar(param, text)
    stripped = text.strip()
    if stripped.startswith("@"):
        path = stripped[1:]
        if load is None:
            raise ParamTextError("values from a file (@PATH) are not available here")
        if not path:
            raise ParamTextError("@ needs a file name: @values.csv")
        try:
            content = load(path)
        except (OSError, UnicodeError) as error:
            reason = getattr(error, "strerror", None) or str(error)
            raise ParamTextError(f"cannot read {path}: {reason}") from None
        return _expand(param, values_from_csv(content))
    parts = split_values(stripped)
    if len(parts) > MAX_VALUES:
        raise ParamTextError(f"more than {MAX_VALUES} values")
    return _expand(param, parts)


def parse_assignments(
    spec: CommandSpec,
    items: Sequence[str],
    *,
    base: Mapping[str, Any] | None = None,
    load: Loader | None = None,
) -> dict[str, Any]:
    """The parameters of a command from ``name=value`` texts.

    Parameters
    ----------
    spec : `CommandSpec`
        The command.
    items : sequence of `str`
        ``name=value`` texts, each parameter at most once.
    base : mapping or None
        Values the texts add to or replace (e.g. the catalogue's defaults).
    load : callable or None
        Reads ``@PATH`` files (see `parse_param_text`).

    Returns
    -------
    params : `dict`
        Values by parameter name, to check with `Catalogue.validate_command`
        (empty optional parameters are left out).

    Raises
    ------
    CommandValidationError
        Naming the command, the parameter (with ``[i]`` for an element) and
        what was wrong.
    """
    params: dict[str, Any] = dict(base or {})
    seen: set[str] = set()
    for item in items:
        name, sep, text = item.partition("=")
        name = name.strip()
        if not sep or not name:
            raise CommandValidationError(
                spec.name, None, f"{_quote(item)} is not name=value ({_known(spec)})"
            )
        param = spec.params.get(name)
        if param is None:
            raise CommandValidationError(spec.name, name, f"unexpected parameter ({_known(spec)})")
        if name in seen:
            raise CommandValidationError(spec.name, name, "given twice")
        seen.add(name)
        try:
            value = parse_param_text(param, text, load=load)
        except ParamTextError as error:
            where = name if error.index is None else f"{name}[{error.index}]"
            reason = str(error)
            if error.index is not None:
                reason = reason.removeprefix(f"[{error.index}]: ")
            raise CommandValidationError(
                spec.name, where, f"{reason} ({param_hint(param)})"
            ) from None
        if value is None:
            params.pop(name, None)
        else:
            params[name] = value
    return params


def _known(spec: CommandSpec) -> str:
    return "parameters: " + (", ".join(spec.params) or "none")


def param_value_text(param: Param, value: Any) -> str:
    """``value`` as one would type it (the inverse of `parse_param_text`)."""
    if isinstance(value, list | tuple):
        return ",".join(param_value_text(_element(param), v) for v in value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int) and param.enum_values:
        for name, number in param.enum_values.items():
            if number == value:
                return name
        return str(value)
    if isinstance(value, int) and param.display == "hex":
        return f"0x{value:X}"
    if value is None:
        return ""
    return str(value)


def _element(param: Param) -> Param:
    return Param(
        param.name,
        param.type,
        enum=param.enum,
        enum_values=param.enum_values,
        display=param.display,
    )


def param_hint(param: Param) -> str:
    """What ``param`` takes, in a few words: type, names, range, unit, length."""
    kind = param.type
    if param.enum_values:
        names = ", ".join(f"{n} {v}" for n, v in param.enum_values.items())
        what = f"{param.enum}: {names}"
    elif kind == "bool":
        what = "true or false"
    elif kind == "uint64":
        what = "unsigned 64-bit integer, 0x hexadecimal or decimal"
    elif kind == "int":
        what = "whole number"
    elif kind == "float":
        what = "number"
    else:
        what = "text"
    if param.min is not None and param.max is not None and not param.enum_values:
        if param.display == "hex":
            what += f" 0x{int(param.min):X}…0x{int(param.max):X}"
        else:
            what += f" {param.min:g}…{param.max:g}"
    if param.unit:
        what += f" {param.unit}"
    if param.is_array:
        count = (
            f"{param.fixed_length} values" if param.fixed_length is not None else "a list of values"
        )
        ranges = ", ranges a-b" if kind == "int" and not param.enum_values else ""
        what = f"{count} ({what}), comma-separated{ranges} or @file.csv"
    return what
