"""`ActuatorSelection`: the actuators an engineer picked, shared by every cell view."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from psygnal import Signal

from ..geometry import CellGeometry, load_geometry

if TYPE_CHECKING:
    from ..session import Session

__all__ = ["ActuatorSelection"]


class ActuatorSelection:
    """A set of 0-based actuator indices (0-71 axial, 72-77 tangent).

    One per session (``session.store(ActuatorSelection)``): a click on the
    mirror map and the actuator panel's ring buttons change the same set.

    Signals
    -------
    changed(frozenset)
        After the selection changed, with the new set.
    """

    changed = Signal(frozenset)

    def __init__(
        self, session: Session | None = None, geometry: CellGeometry | None = None
    ) -> None:
        self.geometry = geometry or load_geometry()
        self._selected: frozenset[int] = frozenset()

    @property
    def selected(self) -> frozenset[int]:
        """The selected indices."""
        return self._selected

    def set(self, indices: Iterable[int]) -> None:
        """Select exactly ``indices`` (out-of-range ones are ignored)."""
        count = len(self.geometry.labels)
        new = frozenset(i for i in indices if 0 <= i < count)
        if new != self._selected:
            self._selected = new
            self.changed.emit(new)

    def toggle(self, index: int) -> None:
        """Add ``index`` if it is not selected, remove it if it is."""
        self.set(self._selected ^ {index})

    def select_ring(self, ring: str, add: bool = False) -> None:
        """Select every actuator of ``ring`` ("A", "B", "C" or "D")."""
        ring_indices = {i for i, r in enumerate(self.geometry.rings) if r == ring}
        self.set(self._selected | ring_indices if add else ring_indices)

    def select_all(self) -> None:
        """Select all 78."""
        self.set(range(len(self.geometry.labels)))

    def clear(self) -> None:
        """Select none."""
        self.set(())

    def axial(self) -> list[int]:
        """The selected axial actuators, sorted."""
        return sorted(i for i in self._selected if i < self.geometry.n_axial)

    def tangent(self) -> list[int]:
        """The selected tangent links, sorted."""
        return sorted(i for i in self._selected if i >= self.geometry.n_axial)
