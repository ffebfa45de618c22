"""`HardpointSelection`: the hardpoint set being edited, and the one the controller reports."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from psygnal import Signal

from m2gui.net.ratelog import RateLimitedLog

from ..geometry import CellGeometry, load_geometry
from .hardpoints import (
    HardpointCheck,
    check_hardpoints,
    names,
    set_hardpoint_list,
    suggest_hardpoints,
    suggest_problem,
)

if TYPE_CHECKING:
    from ..session import Session

__all__ = ["HARDPOINT_EVENT", "HardpointSelection", "valid_hardpoints"]

log = logging.getLogger(__name__)
_problem_log = RateLimitedLog(log, burst=3, interval=10.0)

#: The event that reports the controller's hardpoints (0-based in the EventStore).
HARDPOINT_EVENT = "hardpointList"


class HardpointSelection:
    """The hardpoints an engineer is choosing (the draft), beside the reported set.

    One per session (``session.store(HardpointSelection)``). The draft starts
    as the controller's ``hardpointList`` and follows it whenever the
    reported set changes (after an Apply, or a change made elsewhere);
    `reset` goes back to it. The 1-based event arrives 0-based from the
    `EventStore`, so everything here is 0-based.

    Signals
    -------
    changed(frozenset)
        After the draft or the reported set changed, with the draft.
    """

    changed = Signal(frozenset)

    def __init__(self, session: Session | None = None, geometry: CellGeometry | None = None):
        self.geometry = geometry or load_geometry()
        self._draft: frozenset[int] = frozenset()
        self._reported: tuple[int, ...] | None = None
        #: ``hardpointList`` events ignored because they were not actuator indices.
        self.ignored = 0
        if session is not None:
            self._events = session.events
            session.events.updated.connect(self._on_event)
            self._take_reported(session.events.value(HARDPOINT_EVENT, "actuators"))

    # ------------------------------------------------------------------
    @property
    def draft(self) -> frozenset[int]:
        """The selected indices (0-based)."""
        return self._draft

    @property
    def reported(self) -> tuple[int, ...] | None:
        """The controller's hardpoints (0-based, sorted), None until reported."""
        return self._reported

    @property
    def check(self) -> HardpointCheck:
        """Whether the draft may be applied, in words."""
        return check_hardpoints(self.geometry, self._draft)

    @property
    def differs(self) -> bool:
        """True when the draft is not the reported set."""
        return self._reported is None or self._draft != frozenset(self._reported)

    def describe_reported(self) -> str:
        """The reported set by name, or that none was reported yet."""
        if self._reported is None:
            return "not reported yet"
        return names(self.geometry, self._reported)

    def suggest_problem(self) -> str | None:
        """Why `suggest` cannot complete the draft now (None if it can)."""
        return suggest_problem(self.geometry, self._draft)

    def reset_problem(self) -> str | None:
        """Why `reset` cannot be done now (None if it can)."""
        if self._reported is None:
            return "the controller has not reported its hardpoints yet"
        if not self.differs:
            return "the selection is already the reported set"
        return None

    def params(self) -> dict[str, Any]:
        """``setHardpointList`` parameters for the draft.

        Raises
        ------
        ValueError
            If the draft is not a valid hardpoint set.
        """
        return set_hardpoint_list(self.geometry, sorted(self._draft))

    # ------------------------------------------------------------------
    def set(self, indices: Iterable[int]) -> None:
        """Make the draft exactly ``indices`` (out-of-range ones are ignored)."""
        count = len(self.geometry.labels)
        new = frozenset(i for i in indices if 0 <= i < count)
        if new != self._draft:
            self._draft = new
            self.changed.emit(new)

    def toggle(self, index: int) -> None:
        """Add ``index`` to the draft, or remove it."""
        self.set(self._draft ^ {index})

    def suggest(self) -> None:
        """Complete the draft as the incumbent's Suggest does.

        Raises
        ------
        ValueError
            Without at least one axial and one tangent actuator in the draft.
        """
        self.set(suggest_hardpoints(self.geometry, self._draft))

    def reset(self) -> None:
        """Go back to the reported set (nothing happens before one is reported)."""
        if self._reported is not None:
            self.set(self._reported)

    # ------------------------------------------------------------------
    def _on_event(self, entry_id: str) -> None:
        if entry_id != HARDPOINT_EVENT:
            return
        self._take_reported(self._events.value(HARDPOINT_EVENT, "actuators"))

    def _take_reported(self, value: Any) -> None:
        count = len(self.geometry.labels)
        if not isinstance(value, list) or len(value) > count:
            if value is not None:
                self.ignored += 1
                _problem_log(logging.WARNING, "shape", "hardpointList ignored: not a list")
            return
        indices = [v for v in value if isinstance(v, int) and not isinstance(v, bool)]
        if len(indices) != len(value) or any(not 0 <= i < count for i in indices):
            self.ignored += 1
            _problem_log(
                logging.WARNING, "index", f"hardpointList ignored: not indices 0..{count - 1}"
            )
            return
        reported = tuple(sorted(indices))
        if reported == self._reported:
            return  # the welcome again after a reconnection: keep the draft
        self._reported = reported
        if frozenset(reported) != self._draft:
            self._draft = frozenset(reported)
        self.changed.emit(self._draft)


def valid_hardpoints(session: Session) -> str | None:
    """Rule: the draft of the session's `HardpointSelection` is a valid set."""
    check = session.store(HardpointSelection).check
    return None if check.valid else check.text
