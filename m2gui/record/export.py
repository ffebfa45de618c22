"""Export a recording (or a time range of it) to Parquet or CSV.

`export_parquet` writes one file per telemetry topic (``axialForce.parquet``,
...), ``events.parquet`` and ``commands.parquet``, in one pass over the
recording, streaming each table in chunks (memory stays bounded whatever the
length). A long recording is decoded by worker processes, each taking a run
of consecutive frames, while the calling thread writes their tables in
recording order. `export_csv` writes chosen signals (``topic.field[i]``).

Both are meant for a worker thread: ``progress(fraction)`` is called as
frames are done (ending with 1.0), and setting the ``cancel`` event stops
the export and removes everything it wrote: files appear in the target only
once complete.
"""

from __future__ import annotations

import contextlib
import csv
import dataclasses
import datetime
import json
import logging
import math
import multiprocessing
import os
import re
import shutil
import tempfile
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, BinaryIO, Protocol

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
    Hint,
    TableBuilder,
    command_row,
    decode,
    event_columns,
    event_hints,
    event_row,
    is_command_line,
    topic_hints,
)
from .format import FRAME_HEADER, CorruptFrame, FrameHeader, decode_payload
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
            self.path,
            schema.with_metadata(self._metadata),
            compression="zstd",
            use_dictionary=_dictionary_columns(schema),
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


def _dictionary_columns(schema: pa.Schema) -> list[str]:
    """Columns worth a dictionary: not times, not floats (measurements rarely repeat
    exactly, and trying a dictionary on them costs several times the write)."""
    names = []
    for field in schema:
        kind = field.type
        if pa.types.is_list(kind) or pa.types.is_fixed_size_list(kind):
            continue  # arrays: mostly floats; plain encoding + zstd
        if pa.types.is_floating(kind) or pa.types.is_timestamp(kind):
            continue
        names.append(field.name)
    return names


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
    workers: int | None = None,
) -> list[Path]:
    """Export a recording to Parquet files, one per table.

    A long export is cut into jobs of consecutive frames, decoded in
    ``workers`` processes at once (each line is read and decoded once) while
    this thread writes their tables in recording order.

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
    workers : `int` or None
        Worker processes decoding the recording; 1 decodes in this thread.
        None: one per CPU (at most `MAX_WORKERS`) when the range holds more
        than `PARALLEL_BYTES` of lines, else 1.

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
        written = _write_parquet(
            recording, work, start, end, progress, cancel, chunk_bytes, workers
        )
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


#: Raw (decompressed) frame bytes of one job of a parallel export.
JOB_BYTES = 32 * 1024 * 1024
#: An export of more raw bytes than this runs in worker processes (by default).
PARALLEL_BYTES = 128 * 1024 * 1024
#: Worker processes at most (by default).
MAX_WORKERS = 8
#: Jobs handed to the workers ahead of the one being written, per worker.
_AHEAD = 2
#: Seconds between two looks at the cancel event while waiting for workers.
_POLL = 0.05

#: A table's key: ("topic", message id), or (EVENTS, "") or (COMMANDS, "").
Key = tuple[str, str]
_EVENTS_KEY: Key = (EVENTS, "")
_COMMANDS_KEY: Key = (COMMANDS, "")


class _Output(Protocol):
    """Where a job puts what it decodes."""

    def topic(self, ident: str) -> None:
        """A telemetry topic met for the first time in this job."""

    def table(self, key: Key, table: pa.Table, nbytes: int) -> None:
        """A chunk of rows of one table (``nbytes`` of lines behind it)."""


@dataclass(frozen=True)
class _Job:
    """Consecutive frames to decode, and the time range kept."""

    frames: tuple[FrameRef, ...]
    start: float | None
    end: float | None
    chunk_bytes: int


@dataclass
class _Collected:
    """A job's output gathered in a worker process, replayed by the writer."""

    topics: list[str] = dataclasses.field(default_factory=list)
    tables: list[tuple[Key, pa.Table, int]] = dataclasses.field(default_factory=list)
    skipped: int = 0
    #: Frames the worker could not read: the writer reads them again to report them.
    bad: list[FrameRef] = dataclasses.field(default_factory=list)

    def topic(self, ident: str) -> None:
        self.topics.append(ident)

    def table(self, key: Key, table: pa.Table, nbytes: int) -> None:
        self.tables.append((key, table, nbytes))


def _read_frame(ref: FrameRef, files: dict[Path, BinaryIO]) -> list[WireLine]:
    """The lines of a frame, read without a `Recording` (in a worker process).

    Raises
    ------
    CorruptFrame, OSError
        If the frame cannot be read or fails its checks.
    """
    file = files.get(ref.part)
    if file is None:
        file = files[ref.part] = ref.part.open("rb")
    file.seek(ref.offset + FRAME_HEADER.size)
    payload = file.read(ref.compressed)
    header = FrameHeader(
        ref.compressed, ref.raw, ref.payload_crc, ref.t_first, ref.t_last, ref.count, ref.ports
    )
    return decode_payload(header, payload)


def _run_job(
    job: _Job,
    output: _Output,
    read: Callable[[FrameRef], list[WireLine] | None],
    cancel: threading.Event | None = None,
    on_frame: Callable[[], None] | None = None,
) -> int | None:
    """Decode the lines of ``job`` into tables; the lines skipped, or None if cancelled.

    ``read(ref)`` gives a frame's lines (None: unreadable, left out).
    """
    catalogue = load_catalogue()
    replies = catalogue.replies
    columns = event_columns(catalogue)
    chunk_bytes = job.chunk_bytes
    builders: dict[str, TableBuilder] = {}
    events = TableBuilder(event_hints(catalogue))
    commands = TableBuilder(COMMAND_HINTS)
    lo = -math.inf if job.start is None else job.start
    hi = math.inf if job.end is None else job.end
    loads = orjson.loads
    skipped = 0
    for ref in job.frames:
        if cancel is not None and cancel.is_set():
            return None
        lines = read(ref)
        if lines is None:
            continue
        if ref.t_first < lo or ref.t_last > hi:
            lines = [line for line in lines if lo <= line.time <= hi]
        for wire in lines:
            t, port, direction, line = wire
            try:
                message = loads(line)
            except orjson.JSONDecodeError:
                message = decode(line)  # the slow fallbacks of decode_line
            if type(message) is dict:
                ident = message.get("id")
            else:
                message = ident = None
            if type(ident) is str and port == "telemetry" and direction == "in":
                # the bulk of a recording: kept short
                builder = builders.get(ident)
                if builder is None:
                    builder = builders[ident] = TableBuilder(
                        topic_hints(catalogue.telemetry.get(ident))
                    )
                    output.topic(ident)
                builder.add(t, message, len(line))
                if builder.nbytes >= chunk_bytes:
                    nbytes = builder.nbytes
                    output.table(("topic", ident), builder.take(), nbytes)
            elif is_command_line(wire, ident, replies):
                commands.add(t, command_row(wire, message), len(line))
                if commands.nbytes >= chunk_bytes:
                    nbytes = commands.nbytes
                    output.table(_COMMANDS_KEY, commands.take(), nbytes)
            elif message is None or not isinstance(ident, str):
                skipped += 1
            else:
                events.add(t, event_row(message, line, columns), len(line))
                if events.nbytes >= chunk_bytes:
                    nbytes = events.nbytes
                    output.table(_EVENTS_KEY, events.take(), nbytes)
        if on_frame is not None:
            on_frame()
    for ident, builder in builders.items():
        if len(builder):
            nbytes = builder.nbytes
            output.table(("topic", ident), builder.take(), nbytes)
    for key, builder in ((_EVENTS_KEY, events), (_COMMANDS_KEY, commands)):
        if len(builder):
            nbytes = builder.nbytes
            output.table(key, builder.take(), nbytes)
    return skipped


def _worker_job(job: _Job) -> _Collected:
    """A job run in a worker process."""
    collected = _Collected()
    files: dict[Path, BinaryIO] = {}

    def read(ref: FrameRef) -> list[WireLine] | None:
        try:
            return _read_frame(ref, files)
        except (CorruptFrame, OSError, ValueError):
            collected.bad.append(ref)
            return None

    try:
        skipped = _run_job(job, collected, read)
    finally:
        for file in files.values():
            file.close()
    collected.skipped = skipped or 0
    return collected


class _Writer:
    """Writes the tables of the jobs, in recording order, one Parquet file each.

    Chunks of a table with the same schema are joined until they hold
    ``chunk_bytes`` of lines, so that a table split over many jobs still
    gets row groups of a useful size.
    """

    def __init__(self, work: Path, metadata: dict[bytes, bytes], chunk_bytes: int) -> None:
        self.work = work
        self.metadata = metadata
        self.chunk_bytes = chunk_bytes
        self.topics: list[str] = []
        self.skipped = 0
        self._used = {EVENTS, COMMANDS}
        self._sinks: dict[Key, _ParquetSink] = {
            _EVENTS_KEY: _ParquetSink(
                work / f"{EVENTS}.parquet", metadata | {b"m2gui.table": b"events"}
            ),
            _COMMANDS_KEY: _ParquetSink(
                work / f"{COMMANDS}.parquet", metadata | {b"m2gui.table": b"commands"}
            ),
        }
        self._pending: dict[Key, tuple[list[pa.Table], int]] = {}

    def topic(self, ident: str) -> None:
        key = ("topic", ident)
        if key in self._sinks:
            return
        name = _file_name(ident, self._used)
        self._sinks[key] = _ParquetSink(
            self.work / name, self.metadata | {b"m2gui.table": ident.encode()}
        )
        self.topics.append(ident)

    def table(self, key: Key, table: pa.Table, nbytes: int) -> None:
        tables, held = self._pending.pop(key, ([], 0))
        if tables and not tables[0].schema.equals(table.schema):
            self._write(key, tables)
            tables, held = [], 0
        tables.append(table)
        held += nbytes
        if held >= self.chunk_bytes:
            self._write(key, tables)
        else:
            self._pending[key] = (tables, held)

    def add(self, collected: _Collected) -> None:
        """Replay a worker's output."""
        for ident in collected.topics:
            self.topic(ident)
        for key, table, nbytes in collected.tables:
            self.table(key, table, nbytes)
        self.skipped += collected.skipped

    def _write(self, key: Key, tables: list[pa.Table]) -> None:
        table = tables[0] if len(tables) == 1 else pa.concat_tables(tables)
        self._sinks[key].write(table)

    def finish(self, hints: dict[Key, dict[str, Hint]]) -> list[Path]:
        """Write what is held; events and commands get a file even when empty."""
        for key, (tables, _) in list(self._pending.items()):
            self._write(key, tables)
        self._pending.clear()
        for key, key_hints in hints.items():
            if self._sinks[key].schema is None:
                self._sinks[key].write(TableBuilder(key_hints).take())
        keys = [("topic", ident) for ident in self.topics] + [_EVENTS_KEY, _COMMANDS_KEY]
        return [self._sinks[key].path for key in keys]

    def close(self) -> None:
        for sink in self._sinks.values():
            sink.close()


def _jobs(frames: Sequence[FrameRef], job: _Job, size: int) -> list[_Job]:
    """``frames`` cut into jobs of about ``size`` raw bytes (consecutive frames)."""
    jobs: list[_Job] = []
    run: list[FrameRef] = []
    held = 0
    for ref in frames:
        run.append(ref)
        held += ref.raw
        if held >= size:
            jobs.append(replace(job, frames=tuple(run)))
            run, held = [], 0
    if run:
        jobs.append(replace(job, frames=tuple(run)))
    return jobs


def _worker_count(workers: int | None, frames: Sequence[FrameRef]) -> int:
    if workers is not None:
        return max(1, workers)
    if sum(ref.raw for ref in frames) <= PARALLEL_BYTES:
        return 1
    return max(1, min(os.cpu_count() or 1, MAX_WORKERS))


def _write_parquet(
    recording: Recording,
    work: Path,
    start: float | None,
    end: float | None,
    progress: Progress | None,
    cancel: threading.Event | None,
    chunk_bytes: int,
    workers: int | None,
) -> list[Path] | None:
    catalogue = load_catalogue()
    metadata = {
        b"m2gui.recording": str(recording.path).encode(),
        b"m2gui.metadata": json.dumps(recording.metadata, default=str).encode(),
    }
    frames = recording.frames_in(start, end)
    report = _Progress(progress, len(frames))
    writer = _Writer(work, metadata, chunk_bytes)
    job = _Job(tuple(frames), start, end, chunk_bytes)
    count = _worker_count(workers, frames)
    try:
        if count == 1:
            done = 0

            def on_frame() -> None:
                nonlocal done
                done += 1
                report.frames_done(done)

            def read(ref: FrameRef) -> list[WireLine]:
                return recording.read_frame(ref)

            skipped = _run_job(job, writer, read, cancel, on_frame)
            if skipped is None:
                return None
            writer.skipped = skipped
        elif not _run_parallel(
            recording, _jobs(frames, job, JOB_BYTES), count, writer, report, cancel
        ):
            return None
        hints = {_EVENTS_KEY: event_hints(catalogue), _COMMANDS_KEY: dict(COMMAND_HINTS)}
        paths = writer.finish(hints)
    finally:
        writer.close()
    if writer.skipped:
        log.warning(
            "export: %d lines were not JSON objects with an id and are left out", writer.skipped
        )
    return paths


def _run_parallel(
    recording: Recording,
    jobs: list[_Job],
    workers: int,
    writer: _Writer,
    report: _Progress,
    cancel: threading.Event | None,
) -> bool:
    """Run ``jobs`` in worker processes, writing their output in order; False if cancelled."""
    # "spawn": a fork of a process with threads (the GUI's) may deadlock.
    context = multiprocessing.get_context("spawn")
    pool = ProcessPoolExecutor(max_workers=min(workers, len(jobs)), mp_context=context)
    running: dict[Future[_Collected], int] = {}
    finished: dict[int, _Collected] = {}
    submitted = written = frames_done = 0
    try:
        while written < len(jobs):
            while submitted < len(jobs) and submitted - written < _AHEAD * workers:
                running[pool.submit(_worker_job, jobs[submitted])] = submitted
                submitted += 1
            ready, _ = wait(running, timeout=_POLL, return_when=FIRST_COMPLETED)
            if cancel is not None and cancel.is_set():
                return False
            for future in ready:
                index = running.pop(future)
                finished[index] = future.result()
                frames_done += len(jobs[index].frames)
                report.frames_done(frames_done)
            while written in finished:
                collected = finished.pop(written)
                for ref in collected.bad:  # reported (logged, counted) by the recording
                    if recording.read_frame(ref):
                        log.warning(
                            "export: %s frame at byte %d could not be read; left out",
                            ref.part.name,
                            ref.offset,
                        )
                writer.add(collected)
                written += 1
        return True
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


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
