"""Recordings as Arrow tables: one per topic, plus events and commands.

Columns follow the catalogue (field order), then any field the catalogue
does not know. Times are a UTC ``timestamp[ns]`` column ``time``. Scalars are
typed by their values, with the catalogue's type as a hint: integers are
``int64``, or ``uint64`` when they do not fit (decoded by orjson, so every
integer up to 2**64 - 1 stays exact, never through a float); floats are
``float64``; integers no 64-bit type holds together (say -1 beside
2**64 - 1) become ``decimal128(20, 0)``; array fields become
``fixed_size_list`` columns (``list`` when their length varies). Values of
mixed kinds fall back to their JSON text.

pyarrow is imported here only; ``import m2gui.record`` does not load it.
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np
import orjson
import pyarrow as pa

from m2gui.model import load_catalogue
from m2gui.model.catalogue import Catalogue, TopicSpec
from m2gui.net import WireLine
from m2gui.net.codec import BadLine, decode_line

if TYPE_CHECKING:
    import pandas

    from .reader import Recording

__all__ = [
    "COMMANDS",
    "EVENTS",
    "Hint",
    "TableBuilder",
    "command_row",
    "decode",
    "event_columns",
    "line_text",
    "to_arrow",
    "to_pandas",
    "topic_hints",
]

log = logging.getLogger(__name__)

#: Table names beside the message ids: all events, and commands sent with their replies.
EVENTS = "events"
COMMANDS = "commands"

INT64_MIN = -(2**63)
INT64_MAX = 2**63 - 1
UINT64_MAX = 2**64 - 1
TIME_TYPE = pa.timestamp("ns", tz="UTC")
#: Integers no 64-bit type holds (negative beside beyond int64) as exact decimals.
DECIMAL = pa.decimal128(20, 0)
DECIMAL_LIMIT = 10**20


class Hint(NamedTuple):
    """What the catalogue says about a column: type name and array length."""

    type: str
    length: int | str | None = None
    unit: str = ""


def topic_hints(spec: TopicSpec | None) -> dict[str, Hint]:
    """Column hints for a catalogue topic (empty if unknown)."""
    if spec is None:
        return {}
    return {name: Hint(f.type, f.length, f.unit) for name, f in spec.fields.items()}


def decode(line: bytes) -> dict[str, Any] | None:
    """A line's JSON object, or None if it is not one."""
    try:
        return decode_line(line)
    except BadLine:
        return None


def line_text(line: bytes) -> str:
    """A line as text (without its CR framing; invalid UTF-8 replaced)."""
    if line.endswith(b"\r"):
        line = line[:-1]
    return line.decode("utf-8", "replace")


# ----------------------------------------------------------------------------- builder
class TableBuilder:
    """Collects rows (time + a dict of values) and makes Arrow tables of them.

    Parameters
    ----------
    hints : `dict` [`str`, `Hint`]
        Known columns, in order, with their catalogue types: always present
        (all null when no row has them), typed by the hint when empty.
    """

    def __init__(self, hints: Mapping[str, Hint] | None = None) -> None:
        self.hints = dict(hints or {})
        self.names: list[str] = list(self.hints)
        self._known = {*self.names, "id"}
        self.times: list[float] = []
        self.rows: list[Mapping[str, Any]] = []
        #: Line bytes behind the rows held (to bound memory while streaming).
        self.nbytes = 0

    def __len__(self) -> int:
        return len(self.rows)

    def add(self, t: float, row: Mapping[str, Any], nbytes: int = 0) -> None:
        """Add a row; keys not seen before become new columns (``id`` excluded)."""
        self.times.append(t)
        self.rows.append(row)
        self.nbytes += nbytes
        known = self._known
        if known.issuperset(row):  # the usual case, checked in C
            return
        for key in row:
            if key not in known:
                known.add(key)
                self.names.append(key)

    def take(self) -> pa.Table:
        """The rows held as a table; the builder is then empty (columns kept)."""
        rows, times = self.rows, self.times
        self.rows, self.times, self.nbytes = [], [], 0
        arrays = [time_array(times)]
        fields = [pa.field("time", TIME_TYPE)]
        for name in self.names:
            hint = self.hints.get(name)
            array = column([row.get(name) for row in rows], hint)
            metadata = {b"unit": hint.unit.encode()} if hint is not None and hint.unit else None
            fields.append(pa.field(name, array.type, metadata=metadata))
            arrays.append(array)
        return pa.Table.from_arrays(arrays, schema=pa.schema(fields))


def time_array(times: Sequence[float]) -> pa.Array:
    """``time.time()`` seconds as UTC nanosecond timestamps, rounded to the microsecond.

    A double holds today's epoch seconds to about 0.24 µs, so digits below the
    microsecond are noise; rounding there shows ``.0036`` as ``.003600000``.
    """
    seconds = np.asarray(times, dtype=np.float64)
    whole = np.floor(seconds)
    micros = np.round((seconds - whole) * 1e6).astype(np.int64)
    nanos = whole.astype(np.int64) * 1_000_000_000 + micros * 1000
    return pa.array(nanos, type=TIME_TYPE)


# ----------------------------------------------------------------------------- columns
#: Element kinds that make a list column JSON text.
_NESTED = {type(None), list, dict}


def _scalar_type(values: Sequence[Any], kinds: set[type], hint: str | None) -> pa.DataType | None:
    """The Arrow type of non-null scalars of ``kinds``, or None if only text can hold them."""
    if kinds == {bool}:
        return pa.bool_()
    if kinds == {int}:
        lo, hi = min(values), max(values)
        if hint == "float" and lo >= -(2**53) and hi <= 2**53:
            return pa.float64()
        if hint == "uint64" and lo >= 0 and hi <= UINT64_MAX:
            return pa.uint64()
        if lo >= INT64_MIN and hi <= INT64_MAX:
            return pa.int64()
        if lo >= 0 and hi <= UINT64_MAX:
            return pa.uint64()
        if lo > -DECIMAL_LIMIT and hi < DECIMAL_LIMIT:
            return DECIMAL  # e.g. -1 beside 2**64 - 1: exact, never a float
        return None
    if kinds <= {int, float}:
        return pa.float64()
    if kinds == {str}:
        return pa.string()
    return None


def _hint_type(hint: Hint | None) -> pa.DataType:
    """The Arrow type of an all-null column, from its hint."""
    if hint is None:
        return pa.null()
    scalar = {
        "bool": pa.bool_(),
        "int": pa.int64(),
        "uint64": pa.uint64(),
        "float": pa.float64(),
        "double": pa.float64(),
        "string": pa.string(),
    }.get(hint.type, pa.string())
    if hint.length is None:
        return scalar
    if isinstance(hint.length, int):
        return pa.list_(scalar, hint.length)
    return pa.list_(scalar)


def _text(value: Any) -> str:
    if isinstance(value, str):
        return value
    try:
        return orjson.dumps(value).decode()
    except TypeError:
        return repr(value)


def _text_column(values: Sequence[Any]) -> pa.Array:
    return pa.array([None if v is None else _text(v) for v in values], type=pa.string())


def column(values: Sequence[Any], hint: Hint | None = None) -> pa.Array:
    """One column of JSON values (None for missing) as an Arrow array."""
    present = [v for v in values if v is not None]
    if not present:
        return pa.nulls(len(values), type=_hint_type(hint))
    if all(type(v) is list for v in present):
        return _list_column(values, present, hint)
    if set(map(type, present)) & _NESTED:
        return _text_column(values)
    kind = _scalar_type(present, set(map(type, present)), hint.type if hint else None)
    if kind is None:
        return _text_column(values)
    return pa.array(values, type=kind)


def _list_size(present: list[list[Any]], hint: Hint | None) -> int | None:
    """The fixed length of a list column, or None for a plain list column.

    The catalogue's length when every value has it; a variable-length field,
    or values that disagree with the catalogue (an empty list), stay a plain
    list. Without a hint, a length shared by all values (not 0).
    """
    lengths = set(map(len, present))
    size: int | None = None
    if hint is not None and hint.length is not None:
        if isinstance(hint.length, int) and lengths == {hint.length}:
            size = hint.length
    elif len(lengths) == 1:
        size = lengths.pop()
    return size or None


def _list_column(values: Sequence[Any], present: list[list[Any]], hint: Hint | None) -> pa.Array:
    kinds = set(map(type, itertools.chain.from_iterable(present)))
    if kinds & _NESTED:
        return _text_column(values)
    size = _list_size(present, hint)
    if float in kinds and kinds <= {float, int}:
        # the common case (force arrays): converted in one call; an integer a
        # double cannot hold exactly makes pyarrow refuse (then: JSON text)
        kind = pa.list_(pa.float64()) if size is None else pa.list_(pa.float64(), size)
        try:
            return pa.array(values, type=kind)
        except (pa.ArrowInvalid, pa.ArrowTypeError):
            return _text_column(values)
    flat = list(itertools.chain.from_iterable(present))
    if flat:
        element = _scalar_type(flat, kinds, hint.type if hint else None)
        if element is None:
            return _text_column(values)
    else:
        element = _hint_type(Hint(hint.type)) if hint else pa.null()
    if size is None:
        return pa.array(values, type=pa.list_(element))
    if len(present) == len(values) and element in (pa.float64(), pa.int64()) and size > 0:
        dtype = np.float64 if element == pa.float64() else np.int64
        flat_array = pa.array(np.asarray(flat, dtype=dtype).reshape(-1), type=element)
        return pa.FixedSizeListArray.from_arrays(flat_array, size)
    return pa.array(values, type=pa.list_(element, size))


# ----------------------------------------------------------------------------- tables
def event_columns(catalogue: Catalogue) -> dict[tuple[str, str], str]:
    """Typed columns of the events table: (event, field) -> column name.

    Scalar fields only; a field name that means the same type in every event
    having it is one shared column (``mode``), else one per event
    (``powerSystemState.state``).
    """
    types: dict[str, set[str]] = {}
    for spec in catalogue.events.values():
        for name, f in spec.fields.items():
            types.setdefault(name, set()).add(f.type if f.length is None else "array")
    columns = {}
    for spec in catalogue.events.values():
        for name, f in spec.fields.items():
            if f.length is not None:
                continue
            shared = len(types[name]) == 1 and name not in ("time", "name", "json")
            columns[(spec.name, name)] = name if shared else f"{spec.name}.{name}"
    return columns


def event_hints(catalogue: Catalogue) -> dict[str, Hint]:
    """Column hints of the events table: time, name, json, then the typed columns."""
    hints = {"name": Hint("string"), "json": Hint("string")}
    for (event, field), name in event_columns(catalogue).items():
        f = catalogue.events[event].fields[field]
        hints.setdefault(name, Hint(f.type, None, f.unit))
    return hints


def event_row(
    message: Mapping[str, Any], line: bytes, columns: Mapping[tuple[str, str], str]
) -> dict[str, Any]:
    """A row of the events table for one decoded event line."""
    name = message.get("id")
    row: dict[str, Any] = {"name": name if isinstance(name, str) else None}
    row["json"] = line_text(line)
    if isinstance(name, str):
        for key, value in message.items():
            target = columns.get((name, key))
            if target is not None and not isinstance(value, list | dict):
                row[target] = value
    return row


COMMAND_HINTS = {
    "direction": Hint("string"),
    "id": Hint("string"),
    "sequence_id": Hint("int"),
    "line": Hint("string"),
}


def command_row(wire: WireLine, message: Mapping[str, Any] | None) -> dict[str, Any]:
    """A row of the commands table (commands and inputs sent, replies received)."""
    ident = message.get("id") if message else None
    seq = message.get("sequence_id") if message else None
    return {
        "direction": wire.direction,
        "id": ident if isinstance(ident, str) else None,
        "sequence_id": seq if type(seq) is int and INT64_MIN <= seq <= INT64_MAX else None,
        "line": line_text(wire.line),
    }


def is_command_line(wire: WireLine, ident: Any, replies: frozenset[str]) -> bool:
    """Whether a line belongs in the commands table (else: event or telemetry)."""
    return wire.direction == "out" or (wire.port == "command" and ident in replies)


def to_arrow(
    recording: Recording, topic: str, start: float | None = None, end: float | None = None
) -> pa.Table:
    """One table of a recording.

    Parameters
    ----------
    recording : `Recording`
        The recording.
    topic : `str`
        A message id (telemetry topic or event name: one row per message,
        one column per field), `EVENTS` (every event: ``time``, ``name``,
        ``json`` and typed columns), or `COMMANDS` (commands sent and
        replies: ``time``, ``direction``, ``id``, ``sequence_id``, ``line``).
    start, end : `float` or None
        Limit to lines received in ``[start, end]`` (``time.time()`` seconds).

    Returns
    -------
    table : `pyarrow.Table`
        Rows in recording order. Lines that are not JSON objects are left out.
    """
    catalogue = load_catalogue()
    lines = recording.iter_messages(start, end)
    if topic == EVENTS:
        return _events_table(lines, catalogue)
    if topic == COMMANDS:
        return _commands_table(lines, catalogue)
    builder = TableBuilder(topic_hints(catalogue.topic(topic)))
    needle = b'"' + topic.encode("utf-8") + b'"'
    for wire in lines:
        if needle not in wire.line:
            continue
        message = decode(wire.line)
        if message is not None and message.get("id") == topic:
            builder.add(wire.time, message)
    return builder.take()


def _events_table(lines: Iterable[WireLine], catalogue: Catalogue) -> pa.Table:
    builder = TableBuilder(event_hints(catalogue))
    columns = event_columns(catalogue)
    for wire in lines:
        if wire.port != "command" or wire.direction != "in":
            continue
        message = decode(wire.line)
        if message is None or message.get("id") in catalogue.replies:
            continue
        builder.add(wire.time, event_row(message, wire.line, columns))
    return builder.take()


def _commands_table(lines: Iterable[WireLine], catalogue: Catalogue) -> pa.Table:
    builder = TableBuilder(COMMAND_HINTS)
    for wire in lines:
        if wire.direction != "out" and wire.port != "command":
            continue
        message = decode(wire.line)
        ident = message.get("id") if message else None
        if is_command_line(wire, ident, catalogue.replies):
            builder.add(wire.time, command_row(wire, message))
    return builder.take()


def to_pandas(
    recording: Recording, topic: str, start: float | None = None, end: float | None = None
) -> pandas.DataFrame:
    """`to_arrow` as a pandas DataFrame (uint64 stays uint64; arrays as numpy arrays)."""
    table = to_arrow(recording, topic, start, end)
    return table.to_pandas(integer_object_nulls=True, timestamp_as_object=False)
