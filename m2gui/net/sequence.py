"""Command sequence ids."""

from __future__ import annotations

from collections.abc import Iterator

__all__ = ["MAX_SEQUENCE_ID", "sequence_id_generator"]

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
