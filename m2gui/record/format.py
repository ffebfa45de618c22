"""The recording file format, version 1: file header, frames, records.

A recording is a folder of parts (``part-00001.m2rec``, ...). A part is a file
header followed by frames; everything is little-endian.

File header::

    magic b"M2REC\\x00\\r\\n" (8) | u16 version | u16 reserved (0) | u32 N |
    N bytes of UTF-8 JSON metadata | u32 crc32(metadata)

Frame (``<4sIIIddIB3xI`` header, then the zlib payload)::

    b"M2FR" | u32 compressed length | u32 raw length | u32 crc32(payload) |
    f64 t_first | f64 t_last | u32 record count | u8 ports (bit 0: command,
    bit 1: telemetry lines inside) | 3 zero bytes | u32 crc32(the 40 bytes before)

The writer puts each port's lines in frames of their own, so the events of
a whole night (command port) are read without decompressing its telemetry.

Raw payload: one record per line, ``<dBBI`` (f64 time, u8 port 0 command /
1 telemetry, u8 direction 0 in / 1 out, u32 line length), then the line bytes.

Nothing read from a file is ever executed or unpickled: headers are structs,
metadata is JSON, lines are returned as bytes.
"""

from __future__ import annotations

import json
import re
import struct
import zlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, NamedTuple

from m2gui.net import WireLine

from .errors import RecordingError

__all__ = [
    "DIRECTIONS",
    "FILE_HEADER",
    "FORMAT_VERSION",
    "FRAME_HEADER",
    "FRAME_SYNC",
    "MAGIC",
    "MAX_COMPRESSED",
    "MAX_METADATA",
    "MAX_RAW",
    "PART_SUFFIX",
    "PORTS",
    "PORT_BITS",
    "RECORD",
    "CorruptFrame",
    "FrameHeader",
    "ReadAt",
    "decode_payload",
    "decode_records",
    "encode_file_header",
    "encode_frame",
    "encode_records",
    "is_valid",
    "list_parts",
    "parse_frame_header",
    "part_name",
    "part_number",
    "read_file_header",
]

MAGIC = b"M2REC\x00\r\n"
FORMAT_VERSION = 1
#: magic, version, reserved, metadata length.
FILE_HEADER = struct.Struct("<8sHHI")
_CRC = struct.Struct("<I")
FRAME_SYNC = b"M2FR"
#: sync, compressed length, raw length, payload crc, t_first, t_last, count, ports,
#: header crc.
FRAME_HEADER = struct.Struct("<4sIIIddIB3xI")
#: Bits of a frame header's ports byte.
PORT_BITS = {"command": 1, "telemetry": 2}
#: The bytes of a frame header covered by its own CRC.
_HEADER_CRC_SPAN = FRAME_HEADER.size - 4
#: time, port code, direction code, line length.
RECORD = struct.Struct("<dBBI")

#: Bounds: a frame beyond them is corrupt (never allocated).
MAX_COMPRESSED = 64 * 1024 * 1024
MAX_RAW = 256 * 1024 * 1024
MAX_METADATA = 1024 * 1024

#: Port and direction names by their code in a record.
PORTS = ("command", "telemetry")
DIRECTIONS = ("in", "out")
_PORT_CODES = {name: code for code, name in enumerate(PORTS)}
_DIRECTION_CODES = {name: code for code, name in enumerate(DIRECTIONS)}

PART_SUFFIX = ".m2rec"
#: ``read(size, offset) -> bytes``: positional read of a part file.
ReadAt = Callable[[int, int], bytes]
_PART_NAME = re.compile(r"^part-(\d+)\.m2rec$")


class CorruptFrame(ValueError):
    """A frame that fails its CRC, its bounds or decompression (the reason)."""


class FrameHeader(NamedTuple):
    """A frame header whose CRC checked."""

    compressed: int
    raw: int
    payload_crc: int
    t_first: float
    t_last: float
    records: int
    #: `PORT_BITS` of the ports whose lines the frame holds.
    ports: int = 3

    @property
    def size(self) -> int:
        """Bytes of the whole frame on disk (header and payload)."""
        return FRAME_HEADER.size + self.compressed


# ----------------------------------------------------------------------------- parts
def part_name(number: int) -> str:
    """File name of part ``number`` (1-based): ``part-00001.m2rec``."""
    return f"part-{number:05d}{PART_SUFFIX}"


def part_number(path: Path) -> int | None:
    """The number of a part file, or None if the name is not a part's."""
    match = _PART_NAME.match(path.name)
    return int(match.group(1)) if match else None


def list_parts(folder: Path) -> list[Path]:
    """The part files of a recording folder, in order."""
    numbered = []
    for path in folder.iterdir():
        number = part_number(path)
        if number is not None:
            numbered.append((number, path))
    return [path for _, path in sorted(numbered)]


# ----------------------------------------------------------------------------- header
def encode_file_header(metadata: Mapping[str, Any]) -> bytes:
    """The file header of a part holding ``metadata`` (JSON-able)."""
    text = json.dumps(dict(metadata), sort_keys=True, default=str).encode("utf-8")
    if len(text) > MAX_METADATA:
        raise ValueError(f"recording metadata of {len(text)} bytes exceeds {MAX_METADATA}")
    return (
        FILE_HEADER.pack(MAGIC, FORMAT_VERSION, 0, len(text)) + text + _CRC.pack(zlib.crc32(text))
    )


def read_file_header(read: ReadAt, name: str) -> tuple[dict[str, Any], int, str | None]:
    """Read a part's file header.

    Parameters
    ----------
    read : callable
        ``read(size, offset) -> bytes``, reading the part file.
    name : `str`
        The file's name, for messages.

    Returns
    -------
    metadata : `dict`
        The metadata (empty if it could not be read).
    size : `int`
        Offset of the first frame.
    problem : `str` or None
        What was wrong with the metadata, if anything (frames are still read).

    Raises
    ------
    RecordingError
        If the file is not an m2gui recording or its format version is newer
        than this code reads.
    """
    head = read(FILE_HEADER.size, 0)
    if len(head) < FILE_HEADER.size or head[: len(MAGIC)] != MAGIC:
        raise RecordingError(f"{name}: not an m2gui recording")
    _, version, _, length = FILE_HEADER.unpack(head)
    if version > FORMAT_VERSION:
        raise RecordingError(
            f"{name}: recording format version {version} is newer than this m2gui "
            f"reads ({FORMAT_VERSION}); update m2gui"
        )
    if version < 1:
        raise RecordingError(f"{name}: recording format version {version} is not supported")
    if length > MAX_METADATA:
        return {}, FILE_HEADER.size, f"{name}: metadata length {length} out of bounds"
    body = read(length + _CRC.size, FILE_HEADER.size)
    size = FILE_HEADER.size + length + _CRC.size
    if len(body) < length + _CRC.size:
        return {}, size, f"{name}: file header truncated"
    text = body[:length]
    (crc,) = _CRC.unpack_from(body, length)
    if zlib.crc32(text) != crc:
        return {}, size, f"{name}: metadata fails its CRC"
    try:
        metadata = json.loads(text.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        return {}, size, f"{name}: metadata is not JSON"
    if not isinstance(metadata, dict):
        return {}, size, f"{name}: metadata is not a JSON object"
    return metadata, size, None


# ----------------------------------------------------------------------------- frames
def is_valid(line: WireLine) -> bool:
    """Whether a line can be recorded (known port and direction, bytes)."""
    try:
        return (
            line.port in _PORT_CODES
            and line.direction in _DIRECTION_CODES
            and isinstance(line.line, bytes | bytearray)
            and isinstance(line.time, float | int)
            and not isinstance(line.time, bool)
        )
    except (AttributeError, TypeError):
        return False


def encode_records(lines: Iterable[WireLine]) -> bytes:
    """The raw payload of ``lines`` (each must pass `is_valid`)."""
    pack = RECORD.pack
    ports = _PORT_CODES
    directions = _DIRECTION_CODES
    chunks: list[bytes] = []
    append = chunks.append
    for t, port, direction, line in lines:
        append(pack(t, ports[port], directions[direction], len(line)))
        append(line)
    return b"".join(chunks)


def encode_frame(lines: Sequence[WireLine], level: int = 3) -> bytes:
    """A whole frame (header and compressed payload) holding ``lines``.

    ``t_first``/``t_last`` are the smallest and largest times of the lines,
    so a time range query can skip the frame by its header alone.
    """
    raw = encode_records(lines)
    if len(raw) > MAX_RAW:
        raise ValueError(f"frame of {len(raw)} raw bytes exceeds {MAX_RAW}")
    payload = zlib.compress(raw, level)
    times = [line.time for line in lines]
    ports = 0
    for port, bit in PORT_BITS.items():
        if any(line.port == port for line in lines):
            ports |= bit
    head = struct.pack(
        "<4sIIIddIB3x",
        FRAME_SYNC,
        len(payload),
        len(raw),
        zlib.crc32(payload),
        float(min(times)) if times else 0.0,
        float(max(times)) if times else 0.0,
        len(lines),
        ports,
    )
    return head + _CRC.pack(zlib.crc32(head)) + payload


def parse_frame_header(data: bytes | memoryview) -> FrameHeader:
    """Check and decode the `FRAME_HEADER.size` bytes of a frame header.

    Raises
    ------
    CorruptFrame
        If the sync word, the header CRC or a bound is wrong.
    """
    if len(data) < FRAME_HEADER.size:
        raise CorruptFrame("frame header truncated")
    sync, compressed, raw, payload_crc, t_first, t_last, count, ports, crc = (
        FRAME_HEADER.unpack_from(data)
    )
    if sync != FRAME_SYNC:
        raise CorruptFrame("no frame sync word")
    if zlib.crc32(bytes(data[:_HEADER_CRC_SPAN])) != crc:
        raise CorruptFrame("frame header fails its CRC")
    if compressed > MAX_COMPRESSED or raw > MAX_RAW or count * RECORD.size > raw:
        raise CorruptFrame(f"frame lengths out of bounds ({compressed}, {raw}, {count})")
    return FrameHeader(compressed, raw, payload_crc, t_first, t_last, count, ports)


def decode_payload(header: FrameHeader, payload: bytes) -> list[WireLine]:
    """Check, decompress and decode a frame's payload.

    Raises
    ------
    CorruptFrame
        If the payload fails its CRC, does not decompress to exactly the raw
        length, or its records do not fit it.
    """
    if len(payload) != header.compressed:
        raise CorruptFrame("payload truncated")
    if zlib.crc32(payload) != header.payload_crc:
        raise CorruptFrame("payload fails its CRC")
    inflater = zlib.decompressobj()
    try:
        raw = inflater.decompress(payload, header.raw + 1)
    except zlib.error as error:
        raise CorruptFrame(f"payload does not decompress ({error})") from None
    if len(raw) != header.raw or not inflater.eof:
        raise CorruptFrame("payload does not decompress to its raw length")
    return decode_records(raw, header.records)


def decode_records(raw: bytes, count: int) -> list[WireLine]:
    """Decode ``count`` records filling ``raw`` exactly.

    Raises
    ------
    CorruptFrame
        If a record has an unknown port or direction or does not fit.
    """
    unpack = RECORD.unpack_from
    step = RECORD.size
    ports = PORTS
    directions = DIRECTIONS
    make = WireLine._make
    out: list[WireLine] = []
    append = out.append
    pos = 0
    end = len(raw)
    try:
        for _ in range(count):
            t, port, direction, length = unpack(raw, pos)
            pos += step
            stop = pos + length
            if stop > end:
                raise CorruptFrame("record runs past the payload")
            append(make((t, ports[port], directions[direction], raw[pos:stop])))
            pos = stop
    except (struct.error, IndexError):
        raise CorruptFrame("record does not fit the payload") from None
    if pos != end:
        raise CorruptFrame("payload holds more than its records")
    return out
