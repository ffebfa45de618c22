"""Export a recording (or a time range of it) to Parquet or CSV.

`export_parquet` writes one file per telemetry topic (``axialForce.parquet``,
...), ``events.parquet`` and ``commands.parquet``, in one pass over the
recording, streaming each table in chunks (memory stays bounded whatever the
length). `export_csv` writes chosen signals (``topic.field[i]``).

Both are meant for a worker thread: ``progress(fraction)`` is called as
frames are done (ending with 1.0), and setting the ``cancel`` event stops
the export and removes everything it wrote: files appear in the target only
once complete.
"""

from __future__ import annotations

import contextlib
import csv
import datetime
import json
import logging
import os
import re
import shutil
import tempfile
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import orjson
import pyarrow as pa
import pyarrow.parquet as pq

from m2gui.model import load_catalogue
from m2gui.model.signals import parse_signal
from m2gui.net import WireLine

from .arrow import (
    COMMAND_HINTS,
    COMMANDS,
    DECIMAL,
    EVENTS,
    TableBuilder,
    command_row,
    decode,
    event_columns,
    event_hints,
    event_row,
    is_command_line,
    topic_hints,
)
from .reader import FrameRef, Recording

__all__ = ["export_csv", "export_parquet"]

log = logging.getLogger(__name__)

Progress = Callable[[float], None]
#: Line bytes a table collects before it is written out as a row group.
CHUNK_BYTES = 16 * 1024 * 1024
#: Progress is reported when it moved by at least this much.
_PROGRESS_STEP = 0.005


class _Progress:
    def __init__(self, callback: Progress | None, total: int) -> None:
        self._callback = callback
        self._total = max(total, 1)
        self._last = -1.0

    def frames_done(self, n: int) -> None:
        fraction = min(n / self._total, 1.0) * 0.99  # the last 1 % is moving files
        if self._callback is not None and fraction - self._last >= _PROGRESS_STEP:
            self._last = fraction
            self._callback(fraction)

    def done(self) -> None:
        if self._callback is not None:
            self._callback(1.0)


def _frame_lines(
    recording: Recording, ref: FrameRef, start: float | None, end: float | None
) -> list[WireLine]:
    lines = recording.read_frame(ref)
    lo = -float("inf") if start is None else start
    hi = float("inf") if end is None else end
    if ref.t_first < lo or ref.t_last > hi:
        lines = [line for line in lines if lo <= line.time <= hi]
    return lines


# ----------------------------------------------------------------------------- parquet
class _ParquetSink:
    """One Parquet file written chunk by chunk; widens its schema if it must.

    Chunks are typed by their own values; when a later chunk does not fit
    the schema (an int64 column meets a value beyond it), the file written so
    far is rewritten with the widened schema (rare).
    """

    def __init__(self, path: Path, metadata: dict[bytes, bytes]) -> None:
        self.path = path
        self._metadata = metadata
        self._writer: pq.ParquetWriter | None = None
        self.schema: pa.Schema | None = None

    def _open(self, schema: pa.Schema) -> None:
        self.schema = schema
        self._writer = pq.ParquetWriter(
            self.path, schema.with_metadata(self._metadata), compression="zstd"
        )

    def write(self, table: pa.Table) -> None:
        if self._writer is None or self.schema is None:
            self._open(table.schema)
            assert self._writer is not None
            self._writer.write_table(table)
            return
        try:
            fitted = _fit(table, self.schema)
        except _Misfit:
            merged = _merge(self.schema, table.schema)
            try:
                self._rewrite(merged)
                fitted = _fit(table, merged)
            except _Misfit:
                loose = _loosen(merged, self.schema, table.schema)
                self._rewrite(loose)
                fitted = _fit(table, loose)
        assert self._writer is not None
        self._writer.write_table(fitted)

    def _rewrite(self, schema: pa.Schema) -> None:
        assert self._writer is not None
        self._writer.close()
        old = self.path.with_name(self.path.name + ".old")
        os.replace(self.path, old)
        try:
            self._open(schema)
            assert self._writer is not None
            written = pq.ParquetFile(old)
            for group in range(written.num_row_groups):
                self._writer.write_table(_fit(written.read_row_group(group), schema))
            written.close()
        finally:
            old.unlink()
        log.info("export: %s widened to %s", self.path.name, schema)

    def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
            self._writer = None


class _Misfit(Exception):
    """A chunk that does not fit a schema."""


def _fit(table: pa.Table, schema: pa.Schema) -> pa.Table:
    """``table`` with ``schema``'s columns and types (missing columns null)."""
    if any(name not in schema.names for name in table.column_names):
        raise _Misfit("new column")
    columns = []
    for field in schema:
        if field.name not in table.column_names:
            columns.append(pa.nulls(len(table), field.type))
            continue
        column = table.column(field.name)
        if column.type != field.type:
            column = _cast(column, field.type)
        columns.append(column)
    return pa.Table.from_arrays(columns, schema=schema)


def _cast(column: pa.ChunkedArray, kind: pa.DataType) -> pa.ChunkedArray:
    try:
        return column.cast(kind)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError):
        if kind != pa.string():
            raise _Misfit(f"{column.type} into {kind}") from None
    values = [None if v is None else _json(v) for v in column.to_pylist()]
    return pa.chunked_array([pa.array(values, type=pa.string())])


def _json(value: Any) -> str:
    if isinstance(value, str):
        return value
    try:
        return orjson.dumps(value).decode()
    except TypeError:
        return str(value)


def _widen(a: pa.DataType, b: pa.DataType) -> pa.DataType:
    """A type holding values of both ``a`` and ``b`` (tried first; see `_loosen`)."""
    if a == b:
        return a
    if pa.types.is_null(a):
        return b
    if pa.types.is_null(b):
        return a
    if pa.types.is_integer(a) and pa.types.is_integer(b):
        return pa.uint64()
    if {a, b} <= {DECIMAL} | {pa.int64(), pa.uint64()}:
        return DECIMAL
    if (pa.types.is_integer(a) or pa.types.is_floating(a)) and (
        pa.types.is_integer(b) or pa.types.is_floating(b)
    ):
        return pa.float64()
    a_list = pa.types.is_list(a) or pa.types.is_fixed_size_list(a)
    b_list = pa.types.is_list(b) or pa.types.is_fixed_size_list(b)
    if a_list and b_list:
        element = _widen(a.value_type, b.value_type)
        if (
            pa.types.is_fixed_size_list(a)
            and pa.types.is_fixed_size_list(b)
            and a.list_size == b.list_size
        ):
            return pa.list_(element, a.list_size)
        return pa.list_(element)
    return pa.string()


def _merge(old: pa.Schema, new: pa.Schema) -> pa.Schema:
    fields = []
    for field in old:
        index = new.get_field_index(field.name)
        kind = field.type if index < 0 else _widen(field.type, new.field(index).type)
        fields.append(field.with_type(kind))
    fields.extend(field for field in new if field.name not in old.names)
    return pa.schema(fields)


def _loosen(merged: pa.Schema, old: pa.Schema, new: pa.Schema) -> pa.Schema:
    """``merged`` with every conflicting column made lossless: exact decimals or text."""
    fields = []
    for field in merged:
        kinds = {s.field(field.name).type for s in (old, new) if field.name in s.names}
        if len(kinds) > 1:
            exact_ints = all(
                pa.types.is_integer(k) or pa.types.is_null(k) or k == DECIMAL for k in kinds
            )
            field = field.with_type(DECIMAL if exact_ints else pa.string())
        fields.append(field)
    return pa.schema(fields)


_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]+")


def _file_name(ident: str, used: set[str]) -> str:
    base = _UNSAFE.sub("_", ident).strip(".")[:100] or "topic"
    name = base
    n = 2
    while name.lower() in used:
        name = f"{base}_{n}"
        n += 1
    used.add(name.lower())
    return name + ".parquet"


def export_parquet(
    recording: Recording,
    out_dir: str | Path,
    start: float | None = None,
    end: float | None = None,
    progress: Progress | None = None,
    cancel: threading.Event | None = None,
    *,
    chunk_bytes: int = CHUNK_BYTES,
) -> list[Path]:
    """Export a recording to Parquet files, one per table.

    Parameters
    ----------
    recording : `Recording`
        The recording.
    out_dir : `str` or `pathlib.Path`
        Folder for the files (created if needed); files of the same names
        are replaced.
    start, end : `float` or None
        Limit to lines received in ``[start, end]`` (``time.time()`` seconds).
    progress : callable, optional
        Called with the fraction done (0..1; 1.0 at the end).
    cancel : `threading.Event`, optional
        Set it to stop: nothing is left in ``out_dir``.
    chunk_bytes : `int`
        Line bytes a table collects before writing them as a row group
        (bounds the memory used).

    Returns
    -------
    files : `list` [`pathlib.Path`]
        ``<topic>.parquet`` for every telemetry topic with data (in order of
        first appearance), then ``events.parquet`` and ``commands.parquet``
        (always, possibly empty); [] if cancelled. The tables are those of
        `m2gui.record.arrow.to_arrow`.

    Raises
    ------
    OSError
        If the files cannot be written (nothing partial is left).
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=".m2gui-export-", dir=out))
    try:
        written = _write_parquet(recording, work, start, end, progress, cancel, chunk_bytes)
        if written is None:
            log.info("export to %s cancelled", out)
            return []
        final = []
        for path in written:
            target = out / path.name
            os.replace(path, target)
            final.append(target)
        if progress is not None:
            progress(1.0)
        return final
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _write_parquet(
    recording: Recording,
    work: Path,
    start: float | None,
    end: float | None,
    progress: Progress | None,
    cancel: threading.Event | None,
    chunk_bytes: int,
) -> list[Path] | None:
    catalogue = load_catalogue()
    replies = catalogue.replies
    columns = event_columns(catalogue)
    metadata = {
        b"m2gui.recording": str(recording.path).encode(),
        b"m2gui.metadata": json.dumps(recording.metadata, default=str).encode(),
    }
    used = {EVENTS, COMMANDS}
    sinks: dict[str, _ParquetSink] = {}
    builders: dict[str, TableBuilder] = {}
    events = TableBuilder(event_hints(catalogue))
    commands = TableBuilder(COMMAND_HINTS)
    sinks[EVENTS] = _ParquetSink(work / f"{EVENTS}.parquet", metadata | {b"m2gui.table": b"events"})
    sinks[COMMANDS] = _ParquetSink(
        work / f"{COMMANDS}.parquet", metadata | {b"m2gui.table": b"commands"}
    )
    topics: list[str] = []
    skipped = 0

    def drain(key: str, builder: TableBuilder, force: bool = False) -> None:
        if (force and (len(builder) or sinks[key].schema is None)) or builder.nbytes >= chunk_bytes:
            sinks[key].write(builder.take())

    frames = recording.frames_in(start, end)
    report = _Progress(progress, len(frames))
    try:
        for done, ref in enumerate(frames, 1):
            if cancel is not None and cancel.is_set():
                return None
            for wire in _frame_lines(recording, ref, start, end):
                message = decode(wire.line)
                ident = message.get("id") if message is not None else None
                if wire.port == "telemetry" and wire.direction == "in" and type(ident) is str:
                    # the bulk of a recording: kept short
                    builder = builders.get(ident)
                    if builder is None:
                        builder = builders[ident] = TableBuilder(
                            topic_hints(catalogue.telemetry.get(ident))
                        )
                        name = _file_name(ident, used)
                        sinks[ident] = _ParquetSink(
                            work / name, metadata | {b"m2gui.table": ident.encode()}
                        )
                        topics.append(ident)
                    builder.add(wire.time, message, len(wire.line))  # type: ignore[arg-type]
                    if builder.nbytes >= chunk_bytes:
                        sinks[ident].write(builder.take())
                elif is_command_line(wire, ident, replies):
                    commands.add(wire.time, command_row(wire, message), len(wire.line))
                    drain(COMMANDS, commands)
                elif message is None or not isinstance(ident, str):
                    skipped += 1
                else:
                    events.add(wire.time, event_row(message, wire.line, columns), len(wire.line))
                    drain(EVENTS, events)
            report.frames_done(done)
        for ident in topics:
            drain(ident, builders[ident], force=True)
        drain(EVENTS, events, force=True)
        drain(COMMANDS, commands, force=True)
    finally:
        for sink in sinks.values():
            sink.close()
    if skipped:
        log.warning("export: %d lines were not JSON objects with an id and are left out", skipped)
    return [sinks[key].path for key in [*topics, EVENTS, COMMANDS]]


# ----------------------------------------------------------------------------- csv
def _cell(value: Any, index: int | None) -> str:
    if index is not None:
        value = value[index] if isinstance(value, list) and 0 <= index < len(value) else None
    if value is None:
        return ""
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, int | str):
        return str(value)
    if isinstance(value, float):
        return repr(value)
    return _json(value)


def _iso(t: float) -> str:
    stamp = datetime.datetime.fromtimestamp(t, tz=datetime.UTC)
    return stamp.isoformat(timespec="microseconds").replace("+00:00", "Z")


def export_csv(
    recording: Recording,
    out_path: str | Path,
    signals: Sequence[str],
    start: float | None = None,
    end: float | None = None,
    progress: Progress | None = None,
    cancel: threading.Event | None = None,
) -> Path | None:
    """Export chosen signals to one CSV file.

    One row per telemetry message of a topic holding a chosen signal:
    ``time`` (ISO 8601 UTC, microseconds), then one column per signal, filled
    for that topic's signals and empty for the others (values are never
    invented between samples). Numbers are written exactly as decoded
    (integers in full, floats as their shortest round-trip text).

    Parameters
    ----------
    recording : `Recording`
        The recording.
    out_path : `str` or `pathlib.Path`
        The CSV file (replaced if it exists).
    signals : sequence of `str`
        Signal names, ``topic.field`` or ``topic.field[i]`` (0-based).
    start, end, progress, cancel
        As for `export_parquet`.

    Returns
    -------
    path : `pathlib.Path` or None
        ``out_path``, or None if cancelled (no file is left).

    Raises
    ------
    ValueError
        If a signal is not one of the catalogue's (checked before writing).
    OSError
        If the file cannot be written (no partial file is left).
    """
    catalogue = load_catalogue()
    parsed = [parse_signal(name, catalogue) for name in signals]
    by_topic: dict[str, list[tuple[int, str, int | None]]] = {}
    for column, signal in enumerate(parsed, 1):
        by_topic.setdefault(signal.topic, []).append((column, signal.field, signal.index))
    needles = [(b'"' + topic.encode() + b'"') for topic in by_topic]
    out = Path(out_path)
    partial = out.with_name(f".{out.name}.partial-{os.getpid()}-{threading.get_ident()}")
    frames = recording.frames_in(start, end)
    report = _Progress(progress, len(frames))
    width = len(parsed) + 1
    complete = False
    try:
        with partial.open("w", newline="", encoding="utf-8") as file:
            writer = csv.writer(file)
            writer.writerow(["time", *(signal.name for signal in parsed)])
            for done, ref in enumerate(frames, 1):
                if cancel is not None and cancel.is_set():
                    return None
                for wire in _frame_lines(recording, ref, start, end):
                    if wire.port != "telemetry" or wire.direction != "in":
                        continue
                    if not any(needle in wire.line for needle in needles):
                        continue
                    message = decode(wire.line)
                    ident = message.get("id") if message is not None else None
                    entries = by_topic.get(ident) if isinstance(ident, str) else None
                    if not entries or message is None:
                        continue
                    row = [""] * width
                    row[0] = _iso(wire.time)
                    for column, field, index in entries:
                        row[column] = _cell(message.get(field), index)
                    writer.writerow(row)
                report.frames_done(done)
        os.replace(partial, out)
        complete = True
    finally:
        if not complete:
            with contextlib.suppress(OSError):
                partial.unlink()
    report.done()
    return out
