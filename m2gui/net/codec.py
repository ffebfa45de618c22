"""JSON decoding for the controller's line protocol.

orjson decodes the usual lines two to three times faster than the standard
library, and keeps every integer from -2**63 to 2**64 - 1 exact (so the
protocol's uint64 masks survive). Lines orjson refuses but Python's json
accepts (bare ``NaN``/``Infinity``, numbers that overflow a double) fall back
to the standard library. Integers beyond 64 bits, which no protocol field
carries, arrive as the nearest double, as with most JSON decoders.

Whatever a line holds, decoding it either returns a dict or raises `BadLine`:
deeply nested values, integers of thousands of digits and other hostile input
never escape as another exception.
"""

from __future__ import annotations

import json
from typing import Any

import orjson

__all__ = ["BadLine", "decode_line", "encode_line", "preview"]

#: How many characters of a bad line go into a log message.
PREVIEW_CHARS = 200


class BadLine(ValueError):
    """A received line that is not a JSON object.

    Attributes
    ----------
    kind : `str`
        ``"utf8"`` (not valid UTF-8), ``"json"`` (not valid JSON) or
        ``"not-object"`` (valid JSON that is not an object).
    """

    def __init__(self, kind: str, reason: str) -> None:
        super().__init__(reason)
        self.kind = kind


def decode_line(line: bytes | bytearray) -> dict[str, Any]:
    """Decode one received line into a message dict.

    Parameters
    ----------
    line : `bytes` or `bytearray`
        The line, with or without its terminator (JSON allows trailing
        CR/LF whitespace).

    Returns
    -------
    message : `dict`
        The decoded JSON object.

    Raises
    ------
    BadLine
        If the line is not UTF-8, not JSON, or not a JSON object.
    """
    try:
        message = orjson.loads(line)
    except orjson.JSONDecodeError as error:
        if str(error).startswith("depth limit exceeded"):
            # json.loads would recurse until RecursionError: refuse at once.
            raise BadLine("json", "invalid JSON: nested deeper than 1024 levels") from None
        message = _decode_slow(line)
    if type(message) is not dict:
        raise BadLine("not-object", f"expected a JSON object, got {type(message).__name__}")
    return message


def _decode_slow(line: bytes | bytearray) -> Any:
    try:
        text = bytes(line).decode("utf-8")
    except UnicodeDecodeError as error:
        raise BadLine("utf8", f"invalid UTF-8 at byte {error.start}") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise BadLine("json", f"invalid JSON: {error.msg} at column {error.colno}") from None
    except RecursionError:
        raise BadLine("json", "invalid JSON: nested too deeply") from None
    except (ValueError, OverflowError, MemoryError) as error:
        # e.g. an integer of more than 4300 digits
        raise BadLine("json", f"unusable JSON: {str(error)[:120]}") from None


def encode_line(message: Any, terminator: bytes = b"\r\n") -> bytes:
    """Encode a message as one terminated JSON line.

    Uses orjson for speed; falls back to the standard library for values orjson
    cannot encode exactly (integers beyond 64 bits, non-finite floats, which
    orjson would silently turn into null).
    """
    try:
        if not _has_non_finite(message):
            return orjson.dumps(message) + terminator
    except TypeError:
        pass
    return json.dumps(message).encode("utf-8") + terminator


def _has_non_finite(value: Any) -> bool:
    if type(value) is float:
        return value != value or value in (float("inf"), float("-inf"))
    if type(value) is dict:
        return any(_has_non_finite(v) for v in value.values())
    if type(value) is list:
        return any(_has_non_finite(v) for v in value)
    return False


def preview(line: bytes | bytearray | str, limit: int = PREVIEW_CHARS) -> str:
    """Return a printable, truncated rendering of a line for log messages."""
    if isinstance(line, str):
        text = line
    else:
        text = bytes(line[: limit * 4]).decode("utf-8", errors="backslashreplace")
    if len(text) > limit:
        return repr(text[:limit]) + f"... ({len(line)} bytes)"
    return repr(text)
