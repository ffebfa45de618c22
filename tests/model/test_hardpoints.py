"""Hardpoint validity, the Suggest completion, and the hardpoint selection store."""

from __future__ import annotations

import logging
import time
from typing import Any

import pytest

from m2gui.model.cell.hardpoints import (
    check_hardpoints,
    names,
    select_axial_hardpoints,
    set_hardpoint_list,
    suggest_hardpoints,
    suggest_problem,
)
from m2gui.model.cell.hardpoints_selection import HardpointSelection, valid_hardpoints
from m2gui.model.geometry import load_geometry
from m2gui.model.session import Session
from m2gui.net import Received

GEOM = load_geometry()
DEFAULT = [5, 15, 25, 73, 75, 77]


def make_session() -> Session:
    return Session("127.0.0.1", 1, 2, reconnect=False, history=5)


def feed(session: Session, name: str, **fields: Any) -> None:
    session.events.on_event(Received(name, {"id": name, **fields}, time.time(), "command"))


# ----------------------------------------------------------------------
# Validity
# ----------------------------------------------------------------------
def test_the_default_set_is_valid() -> None:
    assert list(GEOM.default_hardpoints) == DEFAULT
    check = check_hardpoints(GEOM, DEFAULT)
    assert check.valid
    assert check.text == "valid: axial B6 B16 B26, tangent A2 A4 A6"
    assert set_hardpoint_list(GEOM, DEFAULT) == {"actuators": DEFAULT}


@pytest.mark.parametrize("member", [5, 15, 25])
def test_b6_b16_b26_is_the_triangle_of_each_of_its_members(member: int) -> None:
    assert select_axial_hardpoints(GEOM, member) == [5, 15, 25]
    assert names(GEOM, [25, 5, 15]) == "B6 B16 B26"


def test_every_axial_actuator_has_a_triangle_on_its_own_ring() -> None:
    for index in range(GEOM.n_axial):
        triangle = select_axial_hardpoints(GEOM, index)
        assert index in triangle and len(triangle) == 3
        assert {GEOM.rings[i] for i in triangle} == {GEOM.rings[index]}
        assert check_hardpoints(GEOM, [*triangle, 72, 74, 76]).valid
    assert select_axial_hardpoints(GEOM, 30) == [30, 38, 46]  # C1 C9 C17
    assert select_axial_hardpoints(GEOM, 54) == [54, 60, 66]  # D1 D7 D13
    with pytest.raises(ValueError, match="not an axial actuator"):
        select_axial_hardpoints(GEOM, 72)


@pytest.mark.parametrize(
    "tangent", [[72, 73, 74], [72, 74, 77], [73, 75, 76], [75, 76, 77], [72, 73, 77]]
)
def test_invalid_tangent_groups(tangent: list[int]) -> None:
    check = check_hardpoints(GEOM, [5, 15, 25, *tangent])
    assert not check.valid
    assert check.text.startswith("the tangent hardpoints must be A1 A3 A5 or A2 A4 A6, not ")
    with pytest.raises(ValueError, match="tangent hardpoints must be"):
        set_hardpoint_list(GEOM, [5, 15, 25, *tangent])


@pytest.mark.parametrize(
    ("selection", "text"),
    [
        ([5, 15, 26, 73, 75, 77], "with B6 that is B6 B16 B26, not B6 B16 B27"),
        ([5, 15, 30, 73, 75, 77], "with B6 that is B6 B16 B26, not B6 B16 C1"),
        ([5, 15, 25, 73, 75], "select 6 hardpoints (3 axial and 3 tangent): 5 selected (3 axial"),
        ([], "select 6 hardpoints (3 axial and 3 tangent): 0 selected"),
        ([5, 15, 25, 35, 73, 75], "3 axial and 3 tangent hardpoints: 4 axial and 2 tangent"),
        ([5, 15, 25, 73, 75, 99], "not actuator indices"),
    ],
)
def test_invalid_sets_say_why(selection: list[int], text: str) -> None:
    check = check_hardpoints(GEOM, selection)
    assert not check.valid
    assert text in check.text


# ----------------------------------------------------------------------
# Suggest
# ----------------------------------------------------------------------
@pytest.mark.parametrize(
    ("selection", "suggested"),
    [
        ([15, 75], DEFAULT),  # B16 and A4 -> the default set
        ([25, 77], DEFAULT),
        ([30, 72], [30, 38, 46, 72, 74, 76]),  # C1 and A1
        ([60, 76], [54, 60, 66, 72, 74, 76]),  # D7 and A5
        ([7, 40, 73, 72], [7, 17, 27, 72, 74, 76]),  # lowest axial, lowest tangent
    ],
)
def test_suggest_completes_the_selection(selection: list[int], suggested: list[int]) -> None:
    assert suggest_problem(GEOM, selection) is None
    result = suggest_hardpoints(GEOM, selection)
    assert result == suggested
    assert check_hardpoints(GEOM, result).valid


@pytest.mark.parametrize(
    ("selection", "problem"),
    [
        ([], "select one axial and one tangent actuator first"),
        ([5, 15], "select at least one tangent link first"),
        ([73], "select at least one axial actuator first"),
    ],
)
def test_suggest_needs_one_axial_and_one_tangent(selection: list[int], problem: str) -> None:
    assert suggest_problem(GEOM, selection) == problem
    with pytest.raises(ValueError, match=problem):
        suggest_hardpoints(GEOM, selection)


# ----------------------------------------------------------------------
# The selection store
# ----------------------------------------------------------------------
def test_the_draft_starts_as_the_reported_set_converted_once_to_zero_based() -> None:
    session = make_session()
    store = session.store(HardpointSelection)
    assert store.reported is None and store.draft == frozenset()
    assert store.reset_problem() == "the controller has not reported its hardpoints yet"
    assert valid_hardpoints(session) is not None
    seen: list[frozenset[int]] = []
    store.changed.connect(seen.append)
    feed(session, "hardpointList", actuators=[6, 16, 26, 74, 76, 78])  # 1-based on the wire
    assert store.reported == (5, 15, 25, 73, 75, 77)
    assert store.draft == frozenset(DEFAULT)
    assert seen == [frozenset(DEFAULT)]
    assert valid_hardpoints(session) is None
    assert store.params() == {"actuators": DEFAULT}
    assert store.describe_reported() == "B6 B16 B26 A2 A4 A6"


def test_edit_suggest_reset_and_a_reconnection_keeps_the_edit() -> None:
    session = make_session()
    store = session.store(HardpointSelection)
    feed(session, "hardpointList", actuators=[6, 16, 26, 74, 76, 78])
    store.set([30, 72])
    assert valid_hardpoints(session) == (
        "select 6 hardpoints (3 axial and 3 tangent): 2 selected (1 axial, 1 tangent)"
    )
    with pytest.raises(ValueError, match="select 6 hardpoints"):
        store.params()
    store.suggest()
    assert store.draft == frozenset({30, 38, 46, 72, 74, 76}) and store.differs
    feed(session, "hardpointList", actuators=[6, 16, 26, 74, 76, 78])  # welcome again
    assert store.draft == frozenset({30, 38, 46, 72, 74, 76})
    store.reset()
    assert store.draft == frozenset(DEFAULT) and not store.differs
    assert store.reset_problem() == "the selection is already the reported set"
    store.toggle(5)
    assert 5 not in store.draft
    # a new reported set (after an Apply) becomes the draft
    feed(session, "hardpointList", actuators=[31, 39, 47, 73, 75, 77])
    assert store.reported == (30, 38, 46, 72, 74, 76)
    assert store.draft == frozenset(store.reported)


def test_suggest_without_a_tangent_leaves_the_draft(caplog: pytest.LogCaptureFixture) -> None:
    store = HardpointSelection()
    store.set([5])
    assert store.suggest_problem() == "select at least one tangent link first"
    with pytest.raises(ValueError):
        store.suggest()
    assert store.draft == frozenset({5})


@pytest.mark.parametrize(
    "value", ["6,16", [6, 16, "x"], [0, 16, 26, 74, 76, 78], [1] * 200, [6.0, 16, 26, 74, 76, 78]]
)
def test_a_malformed_hardpoint_list_is_ignored_and_counted(
    value: Any, caplog: pytest.LogCaptureFixture
) -> None:
    session = make_session()
    store = session.store(HardpointSelection)
    feed(session, "hardpointList", actuators=[6, 16, 26, 74, 76, 78])
    with caplog.at_level(logging.WARNING):
        feed(session, "hardpointList", actuators=value)
    assert store.reported == tuple(DEFAULT)
    assert store.ignored == 1


def test_both_problems_are_named_at_once() -> None:
    check = check_hardpoints(GEOM, [30, 38, 47, 72, 73, 74])
    assert not check.valid
    assert check.text == (
        "the axial hardpoints must be a near-equilateral triangle on one ring: "
        "with C1 that is C1 C9 C17, not C1 C9 C18; "
        "the tangent hardpoints must be A1 A3 A5 or A2 A4 A6, not A1 A2 A3"
    )
