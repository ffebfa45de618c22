"""Telemetry buffers: order and bounds through wrap-around, the pyramid, bad values."""

from __future__ import annotations

import logging
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from m2gui.model import Catalogue, load_catalogue
from m2gui.model.signals import Signal, element_labels, parse_signal
from m2gui.model.telemetry import FACTOR, TelemetryStore, TopicBuffer
from m2gui.net import Received

CAT = load_catalogue()


def power_message(i: int) -> dict[str, Any]:
    return {
        "id": "powerStatus",
        "motorVoltage": float(i),
        "motorCurrent": float(-i),
        "commVoltage": float(i % 7),
        "commCurrent": float((i * 37) % 101),
    }


@settings(max_examples=40, deadline=None)
@given(capacity=st.integers(64, 300), n=st.integers(0, 2000))
def test_wrap_around_keeps_order_and_bounds(capacity: int, n: int) -> None:
    buffer = TopicBuffer(CAT.telemetry["powerStatus"], capacity)
    for i in range(n):
        buffer.append(float(i), power_message(i))
    kept = min(n, capacity)
    assert buffer.count == kept
    assert buffer.total == n
    times = buffer.times()
    assert list(times) == [float(i) for i in range(n - kept, n)]
    values = buffer.values(buffer.columns["motorVoltage"])[:, 0]
    assert np.array_equal(values, times)
    assert len(buffer.raw.times) <= capacity + max(capacity // 4, 16)


@settings(max_examples=30, deadline=None)
@given(
    n=st.integers(1, 3000),
    lo=st.floats(0, 1),
    hi=st.floats(0, 1),
    max_blocks=st.integers(4, 200),
)
def test_envelope_keeps_every_extreme(n: int, lo: float, hi: float, max_blocks: int) -> None:
    capacity = 2048
    buffer = TopicBuffer(CAT.telemetry["powerStatus"], capacity)
    rng = np.random.default_rng(n)
    data = rng.normal(size=n)
    for i, v in enumerate(data):
        buffer.append(
            float(i),
            {"motorVoltage": float(v), "motorCurrent": 0.0, "commVoltage": 0.0, "commCurrent": 0.0},
        )
    t0, t1 = sorted((lo * n, hi * n))
    a0, a1 = buffer.index_range(t0, t1)
    col = buffer.columns["motorVoltage"]
    env = buffer.envelope(col, a0, a1, max_blocks)
    a0 = max(a0, n - capacity)
    window = data[a0:a1]
    if len(window) == 0:
        assert env.y.size == 0
        return
    # Peaks are never lost: the drawn extremes are the window's (blocks may
    # start up to one block before the window, so they can only widen it).
    assert env.y[:, 0].max() >= window.max()
    assert env.y[:, 0].min() <= window.min()
    assert np.all(np.diff(env.x) >= 0)  # time order
    # Times are sample indices. The first point drawn is the window's first
    # sample, or the start of the block that holds it (never after it, and
    # less than one block of the level drawn before it).
    block = FACTOR**env.level
    assert a0 - block < env.x[0] <= a0
    if env.level:
        margin = data[max(0, a0 - block) : a1]
        assert env.y[:, 0].max() <= margin.max()
        assert env.y[:, 0].min() >= margin.min()
        assert len(env.x) <= 2 * (max_blocks + 3 * FACTOR * env.level) + FACTOR


def test_envelope_cost_follows_pixels_not_history() -> None:
    buffer = TopicBuffer(CAT.telemetry["axialForce"], 120_000)
    row = {f: [1.0] * 72 for f in CAT.telemetry["axialForce"].fields}
    for i in range(120_000):
        buffer.append(i * 0.05, row)
    a0, a1 = buffer.index_range(0, 1e9)
    env = buffer.envelope(buffer.columns["measured"], a0, a1, 1280)
    assert env.samples == 120_000
    assert len(env.x) < 2 * 1280 + 64
    assert env.y.shape == (len(env.x), 72)


def test_pyramid_levels_match_brute_force() -> None:
    buffer = TopicBuffer(CAT.telemetry["powerStatus"], 4096)
    rng = np.random.default_rng(3)
    data = rng.normal(size=5000)
    for i, v in enumerate(data):
        m = power_message(i)
        m["motorVoltage"] = float(v)
        buffer.append(float(i), m)
    col = buffer.columns["motorVoltage"].start
    for k, level in enumerate(buffer.levels, start=1):
        size = FACTOR**k
        first = level.first
        for b in range(first, level.next_index):
            r = level.row_of(b)
            chunk = data[b * size : (b + 1) * size]
            assert level.mins[r, col] == chunk.min()
            assert level.maxs is not None and level.maxs[r, col] == chunk.max()
            assert level.times[r] == b * size


def test_bad_values_become_nan_counted_and_logged(caplog: pytest.LogCaptureFixture) -> None:
    buffer = TopicBuffer(CAT.telemetry["powerStatus"], 64)
    with caplog.at_level(logging.WARNING):
        buffer.append(
            1.0,
            {"motorVoltage": "high", "motorCurrent": None, "commVoltage": [1], "commCurrent": 2.5},
        )
    values = buffer.values()[0]
    assert np.isnan(values[:3]).all() and values[3] == 2.5
    assert buffer.bad_values == {"motorVoltage": 1, "motorCurrent": 1, "commVoltage": 1}
    assert "bad value 'high'" in caplog.text


def test_short_and_wrong_arrays() -> None:
    buffer = TopicBuffer(CAT.telemetry["tangentForce"], 64)
    msg: dict[str, Any] = {f: [1.0] * 6 for f in CAT.telemetry["tangentForce"].fields}
    msg["lutTemperature"] = []  # the reference simulator sends an empty list
    msg["measured"] = ["a"] * 6
    buffer.append(1.0, msg)
    cols = buffer.columns
    row = buffer.values()[0]
    assert np.isnan(row[cols["lutTemperature"]]).all()
    assert np.isnan(row[cols["measured"]]).all()
    assert (row[cols["applied"]] == 1.0).all()
    assert buffer.short_arrays == {"lutTemperature": 1}
    assert buffer.bad_values == {"measured": 1}


def test_clock_stepping_back_keeps_time_order() -> None:
    buffer = TopicBuffer(CAT.telemetry["powerStatus"], 64)
    for t in (10.0, 11.0, 9.5, 12.0):
        buffer.append(t, power_message(0))
    assert list(buffer.times()) == [10.0, 11.0, 11.0, 12.0]


def test_store_from_received_messages(catalogue: Catalogue) -> None:
    store = TelemetryStore(catalogue, history=10)
    assert store.capacity == 200
    store.on_telemetry(Received("powerStatus", power_message(3), 5.0, "telemetry"))
    store.on_telemetry(Received("noSuchTopic", {"x": 1}, 5.0, "telemetry"))
    assert store.buffer("powerStatus") is not None
    assert store.unknown_topics == {"noSuchTopic": 1}
    assert store.nbytes > 0
    names = [s.name for s in store.signals()]
    assert "axialForce.measured[71]" in names and "powerStatus.motorVoltage" in names
    assert len(names) == len(set(names)) == 696


def test_value_at_nearest_sample() -> None:
    buffer = TopicBuffer(CAT.telemetry["powerStatus"], 64)
    for i in range(10):
        buffer.append(float(i), power_message(i))
    t, values = buffer.value_at(4.4, [0, 1])
    assert t == 4.0 and list(values) == [4.0, -4.0]
    t, _ = buffer.value_at(4.6, [0])
    assert t == 5.0


def test_signal_names_and_labels(catalogue: Catalogue) -> None:
    s = parse_signal("axialForce.measured[12]", catalogue)
    assert s == Signal("axialForce", "measured", 12) and s.name == "axialForce.measured[12]"
    assert parse_signal("powerStatus.motorVoltage", catalogue).index is None
    for bad in (
        "axialForce",
        "axialForce.measured",
        "nope.x",
        "axialForce.nope[1]",
        "axialForce.measured[72]",
        "powerStatus.motorVoltage[0]",
    ):
        with pytest.raises(ValueError):
            parse_signal(bad, catalogue)
    assert element_labels(catalogue.telemetry["axialForce"].fields["measured"])[:2] == ["B1", "B2"]
    assert element_labels(catalogue.telemetry["tangentForce"].fields["measured"])[0] == "A1"
    assert element_labels(catalogue.telemetry["temperature"].fields["ring"])[4] == "LG3-1"


def test_clear_forgets_samples_and_takes_new_ones_from_an_earlier_time() -> None:
    from m2gui.model import load_catalogue
    from m2gui.model.telemetry import TelemetryStore
    from m2gui.net import Received

    store = TelemetryStore(load_catalogue(), 60.0)
    arrived: list[str] = []
    store.arrived.connect(arrived.append)
    for i in range(300):
        message = {"id": "position", "x": float(i), "y": 0.0, "z": 0.0}
        store.on_telemetry(Received("position", message, 1000.0 + i * 0.05, "telemetry"))
    buffer = store.buffers["position"]
    version = buffer.version
    arrived.clear()
    store.clear()
    assert buffer.count == 0 and buffer.version > version and arrived == ["position"]
    for i in range(100):
        message = {"id": "position", "x": -float(i), "y": 0.0, "z": 0.0}
        store.on_telemetry(Received("position", message, 500.0 + i * 0.05, "telemetry"))
    times = buffer.times()
    assert len(times) == 100 and times[0] == 500.0  # not clamped to the old, later times
    envelope = buffer.envelope(buffer.columns["x"], 0, 100, 10)
    assert envelope.x.min() >= 500.0 and envelope.y.max() <= 0.0
