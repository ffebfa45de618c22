"""Rigid-body moves as the incumbent builds them, and the position store (no Qt)."""

from __future__ import annotations

import math
import time
from typing import Any

import pytest

from m2gui.model.cell.rigid_body import AXES, absolute_move, go_home, jog
from m2gui.model.cell.rigid_body_position import RigidBodyPosition, has_position
from m2gui.model.session import Session
from m2gui.net import Received


def make_session() -> Session:
    return Session("127.0.0.1", 1, 2, reconnect=False, history=5)


def send(session: Session, topic: str, values: list[Any]) -> None:
    message = {axis.field: v for axis, v in zip(AXES, values, strict=True)}
    session.telemetry.on_telemetry(Received(topic, message, time.time(), "telemetry"))


def test_jog_is_the_current_position_plus_the_offsets() -> None:
    params = jog([10.0, -20.0, 5.0, 1.0, 2.0, 3.0], [100.0, 0.0, -4000.0, 4125.0, 0.0, -1.5])
    assert params == {
        "x": 110.0,
        "y": -20.0,
        "z": -3995.0,
        "xRot": 4126.0,
        "yRot": 2.0,
        "zRot": 1.5,
    }


def test_absolute_and_home_moves() -> None:
    assert absolute_move([1, 2, 3, 4, 5, 6]) == {
        "x": 1.0,
        "y": 2.0,
        "z": 3.0,
        "xRot": 4.0,
        "yRot": 5.0,
        "zRot": 6.0,
    }
    home = go_home()
    assert home == dict.fromkeys(("x", "y", "z", "xRot", "yRot", "zRot"), 0.0)
    cat = make_session().catalogue
    assert cat.validate_command("positionMirror", home) == home


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ([4000.5, 0, 0, 0, 0, 0], "position x 4000.5 µm is outside ±4000 µm"),
        ([0, 0, 0, 0, -4126, 0], "position ry -4126 arcsec is outside ±4125 arcsec"),
        ([0, 0, math.inf, 0, 0, 0], "position z inf µm is outside"),
        ([0, 0, 0], "expected 6 values, got 3"),
    ],
)
def test_the_incumbents_ranges(values: list[float], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        absolute_move(values)


def test_jog_needs_a_known_position() -> None:
    with pytest.raises(ValueError, match="offset x 5000 µm is outside"):
        jog([0.0] * 6, [5000.0, 0, 0, 0, 0, 0])
    with pytest.raises(ValueError, match="current position is not known"):
        jog([math.nan, 0, 0, 0, 0, 0], [0.0] * 6)
    with pytest.raises(ValueError, match="current position is not known"):
        jog([], [0.0] * 6)


def test_position_store_follows_both_topics_and_announces_after_update() -> None:
    session = make_session()
    store = session.store(RigidBodyPosition)
    assert store.values() is None and store.values("positionIMS") is None
    assert has_position(session) == (
        "the current position is not known yet (position telemetry comes with motor power)"
    )
    seen: list[tuple[str, Any]] = []
    store.changed.connect(lambda topic: seen.append((topic, store.values(topic))))
    send(session, "position", [1.0, 2.0, 3.0, 4.0, 5.0, 6.0])
    send(session, "positionIMS", [1.5, 2.5, 3.5, 4.5, 5.5, 6.5])
    send(session, "netForcesTotal", [0.0] * 6)  # not a position topic: ignored
    assert seen == [
        ("position", (1.0, 2.0, 3.0, 4.0, 5.0, 6.0)),
        ("positionIMS", (1.5, 2.5, 3.5, 4.5, 5.5, 6.5)),
    ]
    assert has_position(session) is None
    assert store.signal("positionIMS", 4) == "positionIMS.yRot"
    send(session, "position", [1.0, "x", 3.0, 4.0, 5.0, 6.0])
    values = store.values()
    assert values is not None and math.isnan(values[1])
    assert has_position(session) == "the current position has a value that is not a number"


def test_a_store_made_after_telemetry_arrived_reads_it() -> None:
    session = make_session()
    send(session, "position", [1.0, 2.0, 3.0, 4.0, 5.0, 6.0])
    assert session.store(RigidBodyPosition).values() == (1.0, 2.0, 3.0, 4.0, 5.0, 6.0)
