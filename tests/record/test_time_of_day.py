"""Seeking by a typed time of day."""

from __future__ import annotations

import datetime as dt

import pytest

from m2gui.record.time_of_day import format_clock, format_span, resolve_time_of_day

START = dt.datetime(2026, 11, 29, 22, 0).timestamp()
END = START + 8 * 3600  # 06:00 the next day


def test_a_time_after_midnight_is_found_on_the_second_day() -> None:
    t = resolve_time_of_day("01:30", START, END)
    assert dt.datetime.fromtimestamp(t) == dt.datetime(2026, 11, 30, 1, 30)
    assert resolve_time_of_day("23:14:05.5", START, END) == pytest.approx(
        dt.datetime(2026, 11, 29, 23, 14, 5, 500000).timestamp()
    )


@pytest.mark.parametrize("text", ["", "25:00", "12:61", "noon", "12", "12:00:60"])
def test_bad_text_is_refused_with_its_reason(text: str) -> None:
    with pytest.raises(ValueError, match="not a time of day"):
        resolve_time_of_day(text, START, END)


def test_a_time_outside_the_recording_names_its_span() -> None:
    with pytest.raises(ValueError, match=r"not in the recording .22:00:00\.0 to 06:00:00\.0"):
        resolve_time_of_day("12:00", START, END)


def test_formats() -> None:
    assert format_clock(START + 0.25) == "22:00:00.2"
    assert format_span(12 * 3600 + 61) == "12:01:01"
