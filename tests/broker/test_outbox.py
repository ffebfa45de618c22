"""The publisher's outbox: bounded, telemetry lost first, order kept."""

from __future__ import annotations

import pytest

from m2gui.broker.outbox import Outbox
from m2gui.net import WireLine


def tel(n: int) -> WireLine:
    return WireLine(float(n), "telemetry", "in", b"t%d" % n)


def event(n: int) -> WireLine:
    return WireLine(float(n), "command", "in", b"e%d" % n)


def test_lines_come_out_in_arrival_order() -> None:
    box = Outbox(limit=100)
    lines = [tel(0), event(1), tel(2), tel(3), WireLine(4.0, "command", "out", b"c"), event(5)]
    for line in lines:
        box.put(line)
    assert len(box) == 6
    assert box.take(4) + box.take(10) == lines
    assert not box


def test_when_full_the_oldest_telemetry_goes_and_events_stay() -> None:
    box = Outbox(limit=4)
    for line in (tel(0), event(1), tel(2), tel(3), tel(4), event(5), tel(6)):
        box.put(line)
    assert box.dropped_telemetry == 3 and box.dropped_other == 0
    assert box.take(10) == [event(1), tel(4), event(5), tel(6)]


def test_events_alone_are_kept_up_to_the_larger_bound_then_counted() -> None:
    box = Outbox(limit=2, keep_limit=5)
    for n in range(7):
        box.put(event(n))
    assert box.dropped_other == 2 and box.dropped_telemetry == 0
    box.put(tel(7))  # full of events: the new telemetry is the one lost
    assert box.dropped_telemetry == 1
    assert box.take(10) == [event(n) for n in range(2, 7)]


def test_telemetry_sent_by_us_is_not_droppable() -> None:
    box = Outbox(limit=1)
    sent = WireLine(0.0, "telemetry", "out", b"x")
    box.put(sent)
    box.put(tel(1))
    assert box.take(5) == [sent] and box.dropped_telemetry == 1


def test_limits_must_be_positive() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        Outbox(limit=0)
