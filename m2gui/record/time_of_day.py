"""Typing a time of day to seek in a recording: ``23:14``, ``23:14:05.2``."""

from __future__ import annotations

import datetime as dt
import re

__all__ = ["format_clock", "format_span", "resolve_time_of_day"]

_CLOCK = re.compile(r"^\s*(\d{1,2}):(\d{2})(?::(\d{2}(?:\.\d*)?))?\s*$")


def resolve_time_of_day(text: str, start: float, end: float) -> float:
    """The recording time (``time.time()`` seconds) of a local time of day.

    The first moment at or after the day the recording starts on that has
    this time of day and lies in ``[start, end]``: a night that spans
    midnight finds ``01:30`` on the second day.

    Raises
    ------
    ValueError
        If ``text`` is not ``HH:MM`` or ``HH:MM:SS[.s]``, or no such moment
        lies in the recording (the message gives the recording's span).
    """
    match = _CLOCK.match(text)
    if match is None:
        raise ValueError(f"not a time of day: {text!r} (type HH:MM or HH:MM:SS)")
    hour, minute = int(match[1]), int(match[2])
    second = float(match[3]) if match[3] else 0.0
    if hour > 23 or minute > 59 or second >= 60:
        raise ValueError(f"not a time of day: {text!r}")
    day = dt.datetime.fromtimestamp(start).date()
    last_day = dt.datetime.fromtimestamp(end).date()
    while day <= last_day:
        moment = dt.datetime(day.year, day.month, day.day, hour, minute).timestamp() + second
        if start <= moment <= end:
            return moment
        day += dt.timedelta(days=1)
    raise ValueError(
        f"{text.strip()} is not in the recording ({format_clock(start)} to {format_clock(end)})"
    )


def format_clock(t: float) -> str:
    """Local time of day, ``HH:MM:SS.s``."""
    moment = dt.datetime.fromtimestamp(t)
    return moment.strftime("%H:%M:%S") + f".{moment.microsecond // 100_000}"


def format_span(seconds: float) -> str:
    """A duration as ``H:MM:SS``."""
    whole = max(0, int(seconds))
    return f"{whole // 3600}:{whole // 60 % 60:02d}:{whole % 60:02d}"
