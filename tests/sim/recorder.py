"""Recording what the simulator sends to a connection, and waiting on it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from m2gui.net import ControllerConnection, Received

from ..waiting import until

#: Events the simulator repeats every cycle in some states (not part of a burst).
PERIODIC = frozenset({"cellTemperatureHiWarning", "scriptExecutionStatus", "m2AssemblyInPosition"})


class Recorder:
    """Every event (and the latest telemetry) a connection receives, in order."""

    def __init__(self, conn: ControllerConnection) -> None:
        self.conn = conn
        self.events: list[Received] = []
        conn.subscribe(self.events.append, kind="event")

    async def welcomed(self) -> None:
        """Wait for the end of the welcome burst (its last event)."""
        await until(
            lambda: "cellTemperatureHiWarning" in self.conn.latest_events,
            what="the welcome burst",
        )

    def mark(self) -> int:
        """Index of the next event to arrive."""
        return len(self.events)

    def since(self, mark: int, *, periodic: bool = False) -> list[Received]:
        """Events received since ``mark`` (without the per-cycle repeats unless asked)."""
        return [e for e in self.events[mark:] if periodic or e.name not in PERIODIC]

    async def burst(
        self,
        mark: int,
        count: int,
        first: str | None = None,
        where: Callable[[dict[str, Any]], bool] = lambda m: True,
    ) -> list[dict[str, Any]]:
        """The ``count`` events sent together since ``mark``.

        The burst starts at the first event named ``first`` for which
        ``where`` holds (default: the first event that is not a per-cycle
        repeat). A burst is written in one piece, so the events that follow
        its first one are exactly the burst.
        """

        def found() -> list[Received] | None:
            events = self.events[mark:]
            for i, event in enumerate(events):
                starts = event.name not in PERIODIC if first is None else event.name == first
                if starts and where(event.message):
                    block = events[i : i + count]
                    return block if len(block) == count else None
            return None

        await until(lambda: found() is not None, what=f"{count} events from {first or 'mark'}")
        block = found()
        assert block is not None
        return [{"id": e.name, **{k: v for k, v in e.message.items() if k != "id"}} for e in block]

    async def event(
        self, name: str, mark: int = 0, where: Callable[[dict[str, Any]], bool] = lambda m: True
    ) -> dict[str, Any]:
        """Wait for an event ``name`` after ``mark`` for which ``where`` holds."""

        def found() -> dict[str, Any] | None:
            for e in self.events[mark:]:
                if e.name == name and where(e.message):
                    return e.message
            return None

        await until(lambda: found() is not None, what=f"event {name}")
        message = found()
        assert message is not None
        return message

    def latest(self, name: str) -> dict[str, Any]:
        """The latest event or telemetry ``name``."""
        found = self.conn.latest_events.get(name) or self.conn.latest_telemetry.get(name)
        assert found is not None, name
        return found.message

    async def telemetry(
        self, topic: str, where: Callable[[dict[str, Any]], bool] = lambda m: True
    ) -> dict[str, Any]:
        """Wait for a sample of ``topic`` for which ``where`` holds; return it."""

        def found() -> dict[str, Any] | None:
            latest = self.conn.latest_telemetry.get(topic)
            return latest.message if latest is not None and where(latest.message) else None

        await until(lambda: found() is not None, what=f"telemetry {topic}")
        message = found()
        assert message is not None
        return message
