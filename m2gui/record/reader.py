"""Reading recordings: `open` a folder (or one part) into a `Recording`.

Opening reads the file headers and the frame headers only (one small
positional read per frame, seeking past the payloads), so a 12-hour folder
opens in a fraction of a second. Payloads are read, checked and decompressed
when iterated.

Damage never raises: a corrupt frame is skipped (the scan resumes at the
next frame whose header CRC checks), counted and logged with its part and
byte offset; an incomplete frame at the end of a part (a crash, or the frame
being written right now) is left out and its bytes counted in
``problems.truncated_bytes``. Only a file that is not a recording at all, or
one of a newer format version, is refused with `RecordingError`.
"""

from __future__ import annotations

import concurrent.futures
import io
import logging
import os
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, NamedTuple

from m2gui.net import WireLine

from .errors import RecordingError
from .format import (
    FILE_HEADER,
    FRAME_HEADER,
    FRAME_SYNC,
    MAGIC,
    CorruptFrame,
    FrameHeader,
    decode_payload,
    list_parts,
    parse_frame_header,
    part_number,
    read_file_header,
)
from .topics import MAX_TOPICS, classify, message_id, read_sidecar

if TYPE_CHECKING:
    import pandas
    import pyarrow

__all__ = ["FrameRef", "Recording", "RecordingProblems", "open"]

log = logging.getLogger(__name__)

#: At most this many problem messages are kept (counts are always exact).
MAX_MESSAGES = 100
#: Bytes read at a time when scanning for the next frame after a corrupt one.
_SCAN_CHUNK = 1024 * 1024
_HAVE_PREAD = hasattr(os, "pread")
#: Parts whose frame headers are read at once when a recording opens.
SCAN_THREADS = 8


class FrameRef(NamedTuple):
    """Where a frame is, from its header alone (the recording's index entry).

    ``offset`` is the byte offset of the frame header in ``part``;
    ``t_first``/``t_last`` the smallest and largest line times in the frame.
    """

    part: Path
    offset: int
    t_first: float
    t_last: float
    count: int  # type: ignore[assignment]  # the spec's name; shadows tuple.count
    compressed: int
    raw: int
    payload_crc: int
    #: Bits (`PORT_BITS`) of the ports whose lines the frame holds.
    ports: int = 3

    @classmethod
    def of(cls, part: Path, offset: int, header: FrameHeader) -> FrameRef:
        """The index entry of the frame whose checked header is at ``offset`` in ``part``."""
        return cls(
            part,
            offset,
            header.t_first,
            header.t_last,
            header.records,
            header.compressed,
            header.raw,
            header.payload_crc,
            header.ports,
        )

    @property
    def end(self) -> int:
        """Offset just past the frame in its part."""
        return self.offset + FRAME_HEADER.size + self.compressed


@dataclass
class RecordingProblems:
    """What was wrong in a recording (nothing raises for these).

    Attributes
    ----------
    corrupt_frames : `int`
        Frames skipped because a header or payload failed its checks.
    truncated_bytes : `int`
        Bytes of incomplete frames at the end of parts (the crash case, or
        the frame being written in a live recording).
    messages : `list` [`str`]
        What happened and where (part name and byte offset), at most
        `MAX_MESSAGES`.
    """

    corrupt_frames: int = 0
    truncated_bytes: int = 0
    messages: list[str] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.corrupt_frames or self.truncated_bytes or self.messages)


class _PartFile:
    """A part opened for positional reads (thread-safe)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._file = io.FileIO(path, "r")
        self._lock = threading.Lock()

    def read(self, size: int, offset: int) -> bytes:
        if _HAVE_PREAD:
            data = os.pread(self._file.fileno(), size, offset)
            while 0 < len(data) < size:  # short read: go on until EOF
                more = os.pread(self._file.fileno(), size - len(data), offset + len(data))
                if not more:
                    break
                data += more
            return data
        with self._lock:
            self._file.seek(offset)
            chunks = []
            left = size
            while left > 0:
                chunk = self._file.read(left)
                if not chunk:
                    break
                chunks.append(chunk)
                left -= len(chunk)
            return b"".join(chunks)

    def size(self) -> int:
        return os.fstat(self._file.fileno()).st_size

    def close(self) -> None:
        self._file.close()


@dataclass
class _PartState:
    path: Path
    file: _PartFile | None = None
    metadata: dict[str, Any] = field(default_factory=dict)
    #: Offset where the next frame header is expected (None: header not read yet).
    position: int | None = None
    truncated: int = 0
    dead: bool = False


def open(path: str | Path) -> Recording:
    """Open a recording folder, or a single part file.

    Parameters
    ----------
    path : `str` or `pathlib.Path`
        A recording folder (holding ``part-00001.m2rec``, ...) or one part.

    Returns
    -------
    recording : `Recording`
        The recording with its frame index built.

    Raises
    ------
    RecordingError
        If the path is missing, holds no parts, is not an m2gui recording, or
        is of a newer format version; the message says which and why.
    """
    return Recording(Path(path))


class Recording:
    """An opened recording: its parts, metadata, frame index and problems.

    Use `open` to make one. Reading is thread-safe; `refresh` picks up frames
    and parts written since (a live recording grows).

    Attributes
    ----------
    path : `pathlib.Path`
        The folder, or the part file opened.
    parts : `list` [`pathlib.Path`]
        The part files, in order.
    metadata : `dict`
        The first part's metadata (``format``, ``created``, ``m2gui``, ``host``,
        ``command_port``, ``telemetry_port``, ``part``).
    frames : `list` [`FrameRef`]
        The frame index, in file order.
    problems : `RecordingProblems`
        Corrupt frames, truncated bytes and messages.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self.parts: list[Path] = []
        self.metadata: dict[str, Any] = {}
        self.frames: list[FrameRef] = []
        self.problems = RecordingProblems()
        self._lock = threading.RLock()
        self._problem_lock = threading.Lock()
        self._states: list[_PartState] = []
        self._messages: list[str] = []
        self._bad: set[tuple[Path, int]] = set()
        self._topics: dict[str, str] | None = None
        self._topics_scanned = 0
        self._closed = False
        try:
            if path.is_dir():
                if not list_parts(path):
                    raise RecordingError(
                        f"{path}: no recording parts (part-*.m2rec) in this folder"
                    )
            elif not path.is_file():
                raise RecordingError(f"{path}: no such recording file or folder")
            self._refresh(opening=True)
        except OSError as error:
            self.close()
            raise RecordingError(f"{path}: {error.strerror or error}") from None
        except RecordingError:
            self.close()
            raise

    # ------------------------------------------------------------------ index
    @property
    def start(self) -> float | None:
        """The earliest line time, or None if no frame was read."""
        return min((f.t_first for f in self.frames), default=None)

    @property
    def end(self) -> float | None:
        """The latest line time, or None if no frame was read."""
        return max((f.t_last for f in self.frames), default=None)

    @property
    def message_count(self) -> int:
        """Lines in the indexed frames (from their headers)."""
        return sum(f.count for f in self.frames)

    def refresh(self) -> list[FrameRef]:
        """Index frames and parts written since the last look.

        Returns
        -------
        frames : `list` [`FrameRef`]
            The new frames (also appended to ``frames``).
        """
        with self._lock:
            if self._closed:
                return []
            before = len(self.frames)
            try:
                self._refresh(opening=False)
            except OSError as error:
                self._problem(f"{self.path}: cannot read ({error.strerror or error})")
            return self.frames[before:]

    def _refresh(self, *, opening: bool) -> None:
        if self.path.is_dir():
            known = {s.path for s in self._states}
            for part in list_parts(self.path):
                if part not in known:
                    self._states.append(_PartState(part))
        elif not self._states:
            self._states.append(_PartState(self.path))
        self.parts = [s.path for s in self._states]
        last = len(self._states) - 1
        todo = [(i, s) for i, s in enumerate(self._states) if not s.dead]
        if len(todo) > 1:
            # Parts are independent: their headers are read in parallel (a
            # night's 43,000 header reads are mostly waiting for the disk).
            with concurrent.futures.ThreadPoolExecutor(min(SCAN_THREADS, len(todo))) as pool:
                futures = [pool.submit(self._scan_part, s, last=i == last) for i, s in todo]
            outcomes = [_outcome(future) for future in futures]
        else:
            outcomes = [_call(self._scan_part, s, i == last) for i, s in todo]
        for (_, state), (found, error) in zip(todo, outcomes, strict=True):
            if error is not None:
                if opening:
                    raise error
                state.dead = True
                self._problem(str(error))
                continue
            self.frames.extend(found)
        if self._states and not self.metadata:
            self.metadata = dict(self._states[0].metadata)
        self._update_tails()

    def _scan_part(self, state: _PartState, *, last: bool) -> list[FrameRef]:
        """Index the frames of ``state``'s part written since the last scan."""
        found: list[FrameRef] = []
        if state.file is None:
            state.file = _PartFile(state.path)
        part = state.file
        size = part.size()
        if state.position is None:
            if size < FILE_HEADER.size:
                head = part.read(size, 0)
                if not MAGIC.startswith(head[: len(MAGIC)]):
                    raise RecordingError(f"{state.path}: not an m2gui recording")
                state.truncated = size  # created, header not (fully) written
                return found
            metadata, start, problem = read_file_header(part.read, str(state.path))
            if problem is not None:
                self._problem(problem)
            state.metadata = metadata
            state.position = start
        pos = state.position
        name = state.path.name
        header_size = FRAME_HEADER.size
        while pos + header_size <= size:
            data = part.read(header_size, pos)
            try:
                header = parse_frame_header(data)
            except CorruptFrame as error:
                following = self._resync(part, pos + 1, size)
                skipped = (following if following is not None else size) - pos
                self._corrupt(
                    f"{name}: corrupt frame at byte {pos} skipped ({error}; {skipped} bytes)"
                )
                pos = following if following is not None else size
                continue
            if pos + header.size > size:
                break  # incomplete: the crash case, or being written now
            found.append(FrameRef.of(state.path, pos, header))
            pos += header.size
        state.position = pos
        state.truncated = size - pos
        return found

    @staticmethod
    def _resync(part: _PartFile, pos: int, size: int) -> int | None:
        """Offset of the next frame header that checks, at or after ``pos``."""
        overlap = FRAME_HEADER.size
        while pos < size:
            chunk = part.read(min(_SCAN_CHUNK, size - pos) + overlap, pos)
            found = chunk.find(FRAME_SYNC)
            while found >= 0:
                candidate = chunk[found : found + overlap]
                if len(candidate) < overlap:
                    candidate = part.read(overlap, pos + found)
                try:
                    parse_frame_header(candidate)
                except CorruptFrame:
                    found = chunk.find(FRAME_SYNC, found + 1)
                    continue
                return pos + found
            pos += _SCAN_CHUNK
        return None

    def _problem(self, message: str) -> None:
        log.warning("%s", message)
        with self._problem_lock:  # parts are scanned in parallel
            if len(self._messages) < MAX_MESSAGES:
                self._messages.append(message)
            self._update_tails()

    def _corrupt(self, message: str) -> None:
        with self._problem_lock:
            self.problems.corrupt_frames += 1
        self._problem(message)

    def _update_tails(self) -> None:
        tails = []
        total = 0
        for state in self._states:
            if state.truncated:
                total += state.truncated
                at = state.position or 0
                tails.append(
                    f"{state.path.name}: incomplete frame of {state.truncated} bytes at byte "
                    f"{at} left out (the recording was cut short, or is being written)"
                )
        self.problems.truncated_bytes = total
        self.problems.messages = (self._messages + tails)[:MAX_MESSAGES]

    # ------------------------------------------------------------------ frames
    def frames_in(self, start: float | None = None, end: float | None = None) -> list[FrameRef]:
        """The indexed frames that may hold lines in ``[start, end]``."""
        frames = list(self.frames)
        if start is None and end is None:
            return frames
        lo = -float("inf") if start is None else start
        hi = float("inf") if end is None else end
        return [f for f in frames if f.t_last >= lo and f.t_first <= hi]

    def read_frame(self, ref: FrameRef) -> list[WireLine]:
        """The lines of one frame; [] (counted, logged) if it is corrupt."""
        state = next((s for s in self._states if s.path == ref.part), None)
        if state is None or state.file is None or self._closed:
            return []
        try:
            payload = state.file.read(ref.compressed, ref.offset + FRAME_HEADER.size)
            header = FrameHeader(
                ref.compressed,
                ref.raw,
                ref.payload_crc,
                ref.t_first,
                ref.t_last,
                ref.count,
                ref.ports,
            )
            return decode_payload(header, payload)
        except CorruptFrame as error:
            with self._lock:
                key = (ref.part, ref.offset)
                if key not in self._bad:
                    self._bad.add(key)
                    self._corrupt(
                        f"{ref.part.name}: corrupt frame at byte {ref.offset} skipped ({error})"
                    )
            return []
        except (OSError, ValueError) as error:  # ValueError: file closed meanwhile
            with self._lock:
                self._problem(f"{ref.part.name}: cannot read frame at byte {ref.offset} ({error})")
            return []

    def iter_frames(
        self, start: float | None = None, end: float | None = None
    ) -> Iterator[list[WireLine]]:
        """Yield the lines of each frame in file order, limited to ``[start, end]``.

        Frames outside the range are skipped by the index alone; lines of a
        frame straddling a bound are filtered. Empty lists are not yielded.
        """
        lo = -float("inf") if start is None else start
        hi = float("inf") if end is None else end
        for ref in self.frames_in(start, end):
            lines = self.read_frame(ref)
            if ref.t_first < lo or ref.t_last > hi:
                lines = [line for line in lines if lo <= line.time <= hi]
            if lines:
                yield lines

    def iter_messages(
        self, start: float | None = None, end: float | None = None, ports: int = 3
    ) -> Iterator[WireLine]:
        """Yield every line in time order, limited to ``[start, end]`` (inclusive).

        Each port's lines are in frames of their own: frames whose times
        overlap are merged by time (stable: lines of one time keep file
        order). ``ports``: the `PORT_BITS` of the ports wanted (frames of
        other ports are not even read).
        """
        lo = -float("inf") if start is None else start
        hi = float("inf") if end is None else end
        refs = [ref for ref in self.frames_in(start, end) if ref.ports & ports]
        yield from merge_frames(refs, self.read_frame, lo, hi)

    # ------------------------------------------------------------------ topics
    @property
    def topics(self) -> dict[str, str]:
        """Message id -> ``"telemetry"``, ``"event"``, ``"reply"`` or ``"command"``.

        From the recorder's ``topics.json`` when it covers every part (no
        payload is read); else computed on first use by scanning the lines
        (one pattern search per line, no JSON decoding), and later calls only
        scan frames indexed since. At most `MAX_TOPICS` ids are listed.
        """
        side = read_sidecar(self.path) if self.path.is_dir() else None
        if side is not None and side.complete:
            numbers = {part_number(path) for path in self.parts}
            if numbers <= side.parts:
                return side.topics
        with self._lock:
            if self._topics is None:
                self._topics = {}
            frames = self.frames[self._topics_scanned :]
            self._topics_scanned += len(frames)
            topics = self._topics
        for ref in frames:
            for line in self.read_frame(ref):
                name = message_id(line.line)
                if name is None or name in topics:
                    continue
                if len(topics) >= MAX_TOPICS:
                    with self._lock:
                        self._problem(f"{self.path}: more than {MAX_TOPICS} message ids")
                    return dict(topics)
                topics[name] = classify(name, line.port, line.direction)
        return dict(topics)

    # ------------------------------------------------------------------ tables
    def to_arrow(
        self, topic: str, start: float | None = None, end: float | None = None
    ) -> pyarrow.Table:
        """One topic as a pyarrow Table (see `m2gui.record.arrow.to_arrow`)."""
        from .arrow import to_arrow

        return to_arrow(self, topic, start, end)

    def to_pandas(
        self, topic: str, start: float | None = None, end: float | None = None
    ) -> pandas.DataFrame:
        """One topic as a pandas DataFrame (see `m2gui.record.arrow.to_pandas`)."""
        from .arrow import to_pandas

        return to_pandas(self, topic, start, end)

    # ------------------------------------------------------------------ life
    def close(self) -> None:
        """Close the part files (idempotent)."""
        with self._lock:
            self._closed = True
            for state in self._states:
                if state.file is not None:
                    state.file.close()

    def __enter__(self) -> Recording:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<Recording {self.path} parts={len(self.parts)} frames={len(self.frames)}>"


def _outcome(
    future: concurrent.futures.Future[list[FrameRef]],
) -> tuple[list[FrameRef], RecordingError | None]:
    try:
        return future.result(), None
    except RecordingError as error:
        return [], error


def _call(
    scan: Callable[..., list[FrameRef]], state: _PartState, last: bool
) -> tuple[list[FrameRef], RecordingError | None]:
    try:
        return scan(state, last=last), None
    except RecordingError as error:
        return [], error


def merge_frames(
    refs: list[FrameRef],
    read: Callable[[FrameRef], list[WireLine]],
    lo: float = -float("inf"),
    hi: float = float("inf"),
) -> Iterator[WireLine]:
    """The lines of ``refs`` (file order) in time order, within ``[lo, hi]``.

    Consecutive frames whose time ranges overlap (the two ports' frames of
    one flush) are read together and their lines sorted by time; a group
    never grows beyond what overlaps, so memory stays at a few frames.
    """
    index = 0
    while index < len(refs):
        group = [refs[index]]
        until = refs[index].t_last
        index += 1
        while index < len(refs) and refs[index].t_first <= until:
            until = max(until, refs[index].t_last)
            group.append(refs[index])
            index += 1
        lines = [line for ref in group for line in read(ref)]
        if len(group) > 1:
            lines.sort(key=_time)
        for line in lines:
            if lo <= line.time <= hi:
                yield line


def _time(line: WireLine) -> float:
    return line.time
