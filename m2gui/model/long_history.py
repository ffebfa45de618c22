"""`LongHistory`: telemetry older than the in-memory window, from a recording on disk."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from .telemetry import Envelope

__all__ = ["LongHistory"]


class LongHistory(Protocol):
    """What the plots ask of the long history (`m2gui.record.archive.Archive` is one).

    Column indices are those of the in-memory `TopicBuffer` of the topic.
    Calls may take a while (disk): the GUI makes them off its thread.
    """

    def envelope(
        self, topic: str, columns: slice | Sequence[int], t0: float, t1: float, max_blocks: int
    ) -> Envelope:
        """Points to draw ``columns`` of ``topic`` over ``[t0, t1]`` (as `TopicBuffer.envelope`)."""

    def span(self, topic: str) -> tuple[float, float] | None:
        """First and last sample times of ``topic`` on disk, or None."""

    def refresh(self) -> None:
        """Pick up what was written since (a live recording grows)."""
