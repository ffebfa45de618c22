"""Hostile telemetry values: a sample is stored whole (bad fields as NaN, counted) or not at all."""

from __future__ import annotations

import logging
from typing import Any

import numpy as np
import pytest

from m2gui.model import load_catalogue
from m2gui.model.telemetry import FACTOR, TelemetryStore, TopicBuffer
from m2gui.net import Received

CAT = load_catalogue()
WIDTH = 72


def deeply_nested(depth: int) -> list[Any]:
    outer: list[Any] = []
    inner = outer
    for _ in range(depth):
        inner.append([])
        inner = inner[0]
    return outer


def power(i: int) -> dict[str, Any]:
    return {
        "motorVoltage": float(i),
        "motorCurrent": float(-i),
        "commVoltage": 1.0,
        "commCurrent": 2.0,
    }


def axial(i: int) -> dict[str, Any]:
    return {f: [float(i + k) for k in range(WIDTH)] for f in CAT.telemetry["axialForce"].fields}


@pytest.mark.parametrize(
    "hostile",
    [10**400, -(10**400), 2**1024, 10**5000],
    ids=["1e400", "-1e400", "2**1024", "5001-digits"],
)
def test_scalar_too_big_for_a_double_is_counted_and_the_row_is_whole(
    hostile: int, caplog: pytest.LogCaptureFixture
) -> None:
    buffer = TopicBuffer(CAT.telemetry["powerStatus"], 64)
    buffer.append(1.0, power(1))
    message = power(2)
    message["motorVoltage"] = hostile
    with caplog.at_level(logging.WARNING):
        buffer.append(2.0, message)  # must not raise
    buffer.append(3.0, power(3))
    assert buffer.count == buffer.total == 3
    assert list(buffer.times()) == [1.0, 2.0, 3.0]
    cols = buffer.columns
    row = buffer.values()[1]
    assert np.isnan(row[cols["motorVoltage"]]).all()
    # The other fields of the hostile sample are stored, not left as garbage.
    assert row[cols["motorCurrent"]][0] == -2.0
    assert row[cols["commVoltage"]][0] == 1.0 and row[cols["commCurrent"]][0] == 2.0
    assert buffer.bad_values == {"motorVoltage": 1}
    assert "powerStatus.motorVoltage: bad value" in caplog.text


@pytest.mark.parametrize(
    "hostile",
    [
        [[1.0, 2.0]] * WIDTH,  # nested, regular: a 72 x 2 array
        [[1.0], [2.0, 3.0]] + [0.0] * (WIDTH - 2),  # nested, ragged
        [[1.0, 2.0]] * 3,  # nested and short
        [10**400] + [1.0] * (WIDTH - 1),  # an element too big for a double
        [1.0] * (WIDTH - 1) + [{"a": 1}],  # an element of the wrong kind
        [[[[]]]] * WIDTH,  # deeper nesting
        [deeply_nested(5000)] * WIDTH,  # deeper than numpy goes
    ],
    ids=["nested", "ragged", "nested-short", "huge-element", "dict-element", "deep", "deeper"],
)
def test_hostile_array_is_counted_and_the_row_is_whole(hostile: list[Any]) -> None:
    buffer = TopicBuffer(CAT.telemetry["axialForce"], 64)
    buffer.append(1.0, axial(1))
    message = axial(2)
    message["measured"] = hostile
    buffer.append(2.0, message)  # must not raise
    buffer.append(3.0, axial(3))
    assert buffer.count == buffer.total == 3
    cols = buffer.columns
    row = buffer.values()[1]
    assert np.isnan(row[cols["measured"]]).all()
    for field in ("lutGravity", "lutTemperature", "applied", "hardpointCorrection"):
        assert list(row[cols[field]]) == [float(2 + k) for k in range(WIDTH)]
    assert buffer.bad_values == {"measured": 1}
    assert buffer.short_arrays == {}


def test_store_survives_hostile_samples_and_keeps_the_pyramid_right() -> None:
    store = TelemetryStore(CAT, history=60)
    seen: list[str] = []
    store.arrived.connect(seen.append)
    n = FACTOR**3
    expected = []
    for i in range(n):
        message = power(i)
        if i % 5 == 0:
            message["motorCurrent"] = 10**400
            expected.append(np.nan)
        else:
            expected.append(float(-i))
        store.on_telemetry(Received("powerStatus", message, float(i), "telemetry"))
    buffer = store.buffer("powerStatus")
    assert buffer is not None
    assert buffer.count == buffer.total == n and len(seen) == n
    assert store.bad_values == len(range(0, n, 5))
    current = buffer.values(buffer.columns["motorCurrent"])[:, 0]
    assert np.array_equal(current, np.array(expected), equal_nan=True)
    voltage = buffer.values(buffer.columns["motorVoltage"])[:, 0]
    assert list(voltage) == [float(i) for i in range(n)]
    # Pyramid level 1 reduces 4 whole rows: the voltage column is exact.
    level = buffer.levels[0]
    col = buffer.columns["motorVoltage"].start
    assert level.maxs is not None
    assert list(level.maxs[level.start : level.end, col]) == [
        float(4 * b + 3) for b in range(n // 4)
    ]
