"""Command sequence ids."""

from __future__ import annotations

import re
from collections.abc import Iterator

__all__ = ["MAX_SEQUENCE_ID", "PeekableIds", "high_water_mark", "sequence_id_generator"]

#: The controller's sequence ids are int32; the generator wraps after this.
MAX_SEQUENCE_ID = 2**31 - 1


def sequence_id_generator(start: int = 1, limit: int = MAX_SEQUENCE_ID) -> Iterator[int]:
    """Yield 1, 2, 3, ... and wrap back to 1 after ``limit``.

    Parameters
    ----------
    start : `int`, optional
        First id (default 1).
    limit : `int`, optional
        Largest id before wrapping to 1 (default 2**31 - 1).

    Yields
    ------
    sequence_id : `int`
        The next sequence id.
    """
    if not 1 <= start <= limit:
        raise ValueError(f"start={start} must be in [1, {limit}]")
    value = start
    while True:
        yield value
        value = 1 if value >= limit else value + 1


class PeekableIds(Iterator[int]):
    """A sequence-id generator whose next value can be known before it is used.

    A pending command is registered under its id before the write, so that a
    reply processed while the write drains is never missed. `resync` moves the
    generator when the controller says which id it expects.
    """

    def __init__(self, ids: Iterator[int] | None = None) -> None:
        self._ids = ids if ids is not None else sequence_id_generator()
        self._peeked: int | None = None

    def peek(self) -> int:
        """The id `next` will return."""
        if self._peeked is None:
            self._peeked = next(self._ids)
        return self._peeked

    def __next__(self) -> int:
        value = self.peek()
        self._peeked = None
        return value

    def resync(self, next_id: int) -> None:
        """Continue from ``next_id`` (wrapping to 1 beyond the id range)."""
        if not 1 <= next_id <= MAX_SEQUENCE_ID:
            next_id = 1
        self._ids = sequence_id_generator(next_id)
        self._peeked = None


#: The C++ controller's words when an id is not above its high-water mark,
#: e.g. "Bad sequence_id 1 cmd_switchCommandSource previous sequence_id was 4".
_HIGH_WATER = re.compile(r"bad sequence_?id\b.*?previous sequence_?id was\s+(-?\d+)", re.I | re.S)


def high_water_mark(user_info: object) -> int | None:
    """The last id the controller accepted, if ``user_info`` rejects an id for it.

    Parameters
    ----------
    user_info : `object`
        The ``user_info`` field of a ``noack`` reply (any type: it comes from
        the peer).

    Returns
    -------
    previous : `int` or `None`
        The controller's high-water mark, or None if the text is not a
        sequence-id rejection.
    """
    if not isinstance(user_info, str):
        return None
    match = _HIGH_WATER.search(user_info[:1000])
    if match is None:
        return None
    return int(match.group(1)[:12])
