"""`Source`: where the stores' messages come from (a controller, a recording, a broker)."""

from __future__ import annotations

import abc

import psygnal

from m2gui.net import ControllerConnection

__all__ = ["Source"]


class Source(abc.ABC):
    """One origin of controller traffic, behind the connection the stores attach to.

    Every source owns a `ControllerConnection`: a live source's has sockets,
    a replay's or a broker viewer's is fed line by line
    (`ControllerConnection.feed`), so the stores, the command history and
    every view see the same dispatch whatever the origin.

    Signals
    -------
    changed()
        After `read_only` or `describe` changed.
    reset()
        Before the source jumps in time (a replay seeking back): the stores
        forget the history they hold. A live source never emits it.
    caught_up(float)
        After a jump, once every event before that time was fed again: the
        stores forget latest values from after it (the jump's future).
    """

    changed = psygnal.Signal()
    reset = psygnal.Signal()
    caught_up = psygnal.Signal(float)

    #: ``"live"``, ``"replay"`` or ``"broker"``.
    kind: str = "live"

    def __init__(self, connection: ControllerConnection) -> None:
        self.connection = connection

    @property
    def read_only(self) -> str | None:
        """Why commands cannot be sent through this source (the banner text), or None."""
        return None

    @abc.abstractmethod
    def describe(self) -> str:
        """A short text naming the source, for the title and the status bar."""

    @abc.abstractmethod
    def start(self) -> None:
        """Start delivering (connect, play, subscribe)."""

    @abc.abstractmethod
    async def close(self) -> None:
        """Stop delivering and release everything; idempotent."""
