"""The actuator selection shared by the cell views."""

from __future__ import annotations

from m2gui.model.cell.selection import ActuatorSelection
from m2gui.model.session import Session


def test_selection_announces_each_change_once() -> None:
    selection = ActuatorSelection()
    seen: list[frozenset[int]] = []
    selection.changed.connect(seen.append)
    selection.select_ring("A")
    selection.select_ring("A")  # no change, no signal
    selection.toggle(0)
    selection.set([500, -1, 3])  # out of range ignored
    assert seen == [frozenset(range(72, 78)), frozenset({0, *range(72, 78)}), frozenset({3})]
    selection.select_all()
    assert len(selection.selected) == 78
    assert selection.axial() == list(range(72)) and selection.tangent() == list(range(72, 78))
    selection.clear()
    assert selection.selected == frozenset()


def test_one_selection_per_session() -> None:
    session = Session("127.0.0.1", 1, 2, reconnect=False, history=5)
    assert session.store(ActuatorSelection) is session.store(ActuatorSelection)
