"""The on-disk format of the long-history pyramid (see `m2gui.record.pyramid`).

A recording folder holds a ``pyramid/`` subfolder, rebuildable from the wire
log at any time::

    pyramid/meta.json         block sizes, widths, samples stored, covered time
    pyramid/<topic>.l<k>      level k: one fixed-width row per block of
                              B1 * FACTOR**(k-1) samples
    pyramid/<topic>.tail      (closed pyramids only) the samples after the
                              last complete level-1 block, as float64 rows
                              (time, then the columns)

A level row is little-endian ``f64 t_first, f64 t_last, f32 mins[width],
f32 maxs[width]``, NaN-aware (a block whose values are all NaN gives NaN). The
columns are the `m2gui.model.telemetry.TopicBuffer` layout, so a column index
means the same on disk and in memory. Nothing read is ever executed: the
meta is JSON, checked field by field; the rows are numbers.
"""

from __future__ import annotations

import json
import math
import os
import time
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from m2gui.model.catalogue import Catalogue, TopicSpec

__all__ = [
    "B1",
    "FACTOR",
    "FOLDER_NAME",
    "LEVELS",
    "LIVE_TIMEOUT",
    "META_NAME",
    "PyramidError",
    "PyramidMeta",
    "TopicMeta",
    "check_files",
    "is_telemetry",
    "layout_of",
    "level_path",
    "pyramid_folder",
    "read_meta",
    "read_tail",
    "row_dtype",
    "tail_path",
    "write_atomic",
]

FloatArray = npt.NDArray[np.float64]
Float32Array = npt.NDArray[np.float32]

#: Samples per level-1 block.
B1 = 16
#: Level k + 1 reduces this many rows of level k.
FACTOR = 8
#: Levels kept: the coarsest block holds B1 * FACTOR**(LEVELS-1) samples (58 h at 20 Hz).
LEVELS = 7
#: Version of ``meta.json`` and the level files.
META_FORMAT = 1
META_NAME = "meta.json"
FOLDER_NAME = "pyramid"
#: An unclosed pyramid whose writer has not written ``meta.json`` for this many
#: seconds belongs to a writer that died: it is stale.
LIVE_TIMEOUT = 30.0


class PyramidError(Exception):
    """A pyramid on disk that cannot be used (missing, corrupt, or of another layout)."""


@cache
def row_dtype(width: int) -> np.dtype[Any]:
    """The dtype of one level row of a topic of ``width`` columns (16 + 8 * width bytes)."""
    return np.dtype(
        [("t0", "<f8"), ("t1", "<f8"), ("min", "<f4", (width,)), ("max", "<f4", (width,))]
    )


def pyramid_folder(path: Path) -> Path:
    """The pyramid folder of a recording folder (or of a part file in it)."""
    path = Path(path)
    folder = path.parent if path.suffix == ".m2rec" else path
    return folder / FOLDER_NAME


def level_path(directory: Path, topic: str, level: int) -> Path:
    """The file of one level of one topic."""
    return directory / f"{topic}.l{level}"


def tail_path(directory: Path, topic: str) -> Path:
    """The file of a closed pyramid's last incomplete block of one topic."""
    return directory / f"{topic}.tail"


def layout_of(spec: TopicSpec) -> list[list[Any]]:
    """A topic's column layout as stored in ``meta.json``: ``[[field, width], ...]``."""
    return [[name, f.width] for name, f in spec.fields.items()]


# ----------------------------------------------------------------------------- meta
@dataclass
class TopicMeta:
    """What the pyramid holds of one topic.

    ``samples`` are the samples in complete level-1 blocks (a multiple of
    ``b1``); ``tail`` the samples after them in the ``.tail`` file (closed
    pyramids only); ``t_first``/``t_last`` the times of the first and last
    sample stored; ``pending_from`` the time of the first sample received but
    not stored (lost if the writer dies), None if there is none.
    """

    width: int
    layout: list[list[Any]]
    samples: int = 0
    tail: int = 0
    t_first: float | None = None
    t_last: float | None = None
    pending_from: float | None = None


@dataclass
class PyramidMeta:
    """The contents of ``meta.json``.

    ``covered`` is the time up to which every sample received was given to
    the writer (None before the first); ``closed`` whether the writer finished
    (`PyramidWriter.close`); ``updated`` the wall-clock time of the last write
    (a heartbeat while the writer lives).
    """

    b1: int = B1
    factor: int = FACTOR
    levels: int = LEVELS
    closed: bool = False
    covered: float | None = None
    updated: float = 0.0
    topics: dict[str, TopicMeta] = field(default_factory=dict)

    def block(self, level: int) -> int:
        """Samples per row of ``level`` (1-based)."""
        return int(self.b1 * self.factor ** (level - 1))

    def rows(self, topic: str, level: int) -> int:
        """Complete rows of ``level`` stored for ``topic``."""
        meta = self.topics.get(topic)
        return 0 if meta is None else meta.samples // self.block(level)

    def dumps(self) -> bytes:
        """The bytes of ``meta.json``."""
        return json.dumps(self.to_json(), separators=(",", ":")).encode()

    def to_json(self) -> dict[str, Any]:
        """The JSON-able form written to ``meta.json``."""
        return {
            "format": META_FORMAT,
            "kind": "m2gui-pyramid",
            "b1": self.b1,
            "factor": self.factor,
            "levels": self.levels,
            "closed": self.closed,
            "covered": self.covered,
            "updated": self.updated,
            "topics": {
                name: {
                    "width": t.width,
                    "layout": t.layout,
                    "samples": t.samples,
                    "tail": t.tail,
                    "t_first": t.t_first,
                    "t_last": t.t_last,
                    "pending_from": t.pending_from,
                }
                for name, t in self.topics.items()
            },
        }

    @classmethod
    def from_json(cls, data: Any) -> PyramidMeta:
        """Parse and check ``meta.json`` contents; raise `PyramidError` if unusable."""
        if not isinstance(data, dict) or data.get("kind") != "m2gui-pyramid":
            raise PyramidError("not a pyramid meta file")
        if data.get("format") != META_FORMAT:
            raise PyramidError(f"pyramid format {data.get('format')!r:.20}, not {META_FORMAT}")
        b1 = _int(data, "b1", 1, 1 << 16)
        factor = _int(data, "factor", 2, 1 << 10)
        levels = _int(data, "levels", 1, 16)
        closed = data.get("closed")
        if type(closed) is not bool:
            raise PyramidError("closed is not a boolean")
        topics_in = data.get("topics")
        if not isinstance(topics_in, dict):
            raise PyramidError("topics is not an object")
        topics: dict[str, TopicMeta] = {}
        for name, t in topics_in.items():
            if not isinstance(t, dict) or not name.isidentifier():
                raise PyramidError(f"bad topic entry {name!r:.40}")
            width = _int(t, "width", 1, 1 << 16)
            layout = t.get("layout")
            if not isinstance(layout, list):
                raise PyramidError(f"{name}: layout is not a list")
            samples = _int(t, "samples", 0, 1 << 48)
            if samples % b1:
                raise PyramidError(f"{name}: {samples} samples is not a whole number of blocks")
            tail = _int(t, "tail", 0, b1 - 1)
            topics[name] = TopicMeta(
                width=width,
                layout=layout,
                samples=samples,
                tail=tail if closed else 0,
                t_first=_time(t, "t_first"),
                t_last=_time(t, "t_last"),
                pending_from=_time(t, "pending_from"),
            )
        updated = _time(data, "updated")
        return cls(
            b1=b1,
            factor=factor,
            levels=levels,
            closed=closed,
            covered=_time(data, "covered"),
            updated=0.0 if updated is None else updated,
            topics=topics,
        )


def _int(data: dict[str, Any], key: str, lo: int, hi: int) -> int:
    value = data.get(key)
    if type(value) is not int or not lo <= value <= hi:
        raise PyramidError(f"{key} is {value!r:.20}, not an integer in [{lo}, {hi}]")
    return value


def _time(data: dict[str, Any], key: str) -> float | None:
    value = data.get(key)
    if value is None:
        return None
    if type(value) not in (int, float) or not math.isfinite(value):
        raise PyramidError(f"{key} is {value!r:.20}, not a time")
    return float(value)


def read_meta(directory: Path) -> PyramidMeta:
    """Read and check ``directory/meta.json``.

    Raises
    ------
    PyramidError
        If it is missing, not JSON, or not a pyramid meta file this code reads.
    """
    path = directory / META_NAME
    try:
        text = path.read_bytes()
    except FileNotFoundError:
        raise PyramidError(f"{path}: missing") from None
    except OSError as error:
        raise PyramidError(f"{path}: cannot read ({error.strerror or error})") from None
    if len(text) > 16 * 1024 * 1024:
        raise PyramidError(f"{path}: too large")
    try:
        data = json.loads(text)
    except (ValueError, RecursionError) as error:
        raise PyramidError(f"{path}: not JSON ({str(error)[:80]})") from None
    try:
        return PyramidMeta.from_json(data)
    except PyramidError as error:
        raise PyramidError(f"{path}: {error}") from None


def check_files(directory: Path, meta: PyramidMeta) -> None:
    """Raise `PyramidError` if a level or tail file is shorter than ``meta`` says."""
    for topic, t in meta.topics.items():
        size = row_dtype(t.width).itemsize
        for level in range(1, meta.levels + 1):
            rows = meta.rows(topic, level)
            path = level_path(directory, topic, level)
            try:
                have = path.stat().st_size if rows else 0
            except OSError:
                have = -1
            if have < rows * size:
                raise PyramidError(
                    f"{path}: {max(have, 0)} bytes, expected at least {rows * size} "
                    f"({rows} rows of {size})"
                )
        if t.tail:
            path = tail_path(directory, topic)
            want = t.tail * (1 + t.width) * 8
            try:
                have = path.stat().st_size
            except OSError:
                have = -1
            if have != want:
                raise PyramidError(f"{path}: {max(have, 0)} bytes, expected {want}")


def read_tail(directory: Path, topic: str, meta: TopicMeta) -> tuple[FloatArray, FloatArray]:
    """The tail samples of a closed pyramid: ``(times, rows)``."""
    if not meta.tail:
        return np.empty(0), np.empty((0, meta.width))
    data = np.fromfile(tail_path(directory, topic), dtype="<f8")
    rows = data.reshape(meta.tail, 1 + meta.width)
    return rows[:, 0].copy(), rows[:, 1:].copy()


def write_atomic(path: Path, data: bytes) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(data)
    for attempt in range(5):
        try:
            os.replace(tmp, path)
            return
        except PermissionError:  # Windows: a reader has the file open right now
            if attempt == 4:
                raise
            time.sleep(0.01 * (attempt + 1))


def is_telemetry(catalogue: Catalogue, port: str, name: str) -> bool:
    """Whether a message ``name`` received on ``port`` is a telemetry sample.

    As `m2gui.net.ControllerConnection` dispatches: telemetry ids on the
    telemetry port, and on the command port those the catalogue does not
    also list as events (the controller sends some telemetry there too).
    """
    return name in catalogue.telemetry and (port == "telemetry" or name not in catalogue.events)
