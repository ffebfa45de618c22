"""What the domain-view tests share: a connected session and a view shown as in the window."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any, TypeVar

from PySide6.QtWidgets import QWidget
from pytestqt.qtbot import QtBot

from m2gui.model.session import Session
from m2gui.sim import ControllerSimulator

from ..waiting import until

__all__ = ["connected", "shown", "view_rig"]

#: The tab area of the main window at 1366 x 768.
TAB_SIZE = (900, 550)
V = TypeVar("V", bound=QWidget)


async def connected(sim: ControllerSimulator, welcome: str = "commandableByDDS") -> Session:
    """A session connected to ``sim``, once the welcome event ``welcome`` arrived."""
    session = Session("127.0.0.1", sim.command_port, sim.telemetry_port, history=30)
    session.connection.backoff_initial = 0.05
    session.connect()
    await session.connection.wait_connected(5)
    await until(lambda: welcome in session.events.latest, what=f"welcome ({welcome})")
    return session


def shown(view: V, qtbot: QtBot, size: tuple[int, int] = TAB_SIZE) -> V:
    """``view`` shown at the size of a tab of the main window, closed at teardown."""
    qtbot.addWidget(view)
    view.resize(*size)
    view.show()
    return view


@asynccontextmanager
async def view_rig(
    qtbot: QtBot,
    make: Callable[[Session], V],
    *,
    welcome: str = "configurationFiles",
    take_command: bool = True,
    ready: Callable[[V], object] | None = None,
) -> AsyncIterator[tuple[ControllerSimulator, Session, V]]:
    """A simulator, a session connected to it, and a view of it shown.

    ``take_command`` sends switchCommandSource (isRemote false) first;
    ``ready`` is waited for before the test body runs.
    """
    async with ControllerSimulator(command_port=0, telemetry_port=0, seed=5) as sim:
        session = Session("127.0.0.1", sim.command_port, sim.telemetry_port, history=30)
        view = shown(make(session), qtbot)
        session.connect()
        await session.connection.wait_connected(5)
        await until(lambda: welcome in session.events.latest, what=f"welcome ({welcome})")
        if ready is not None:
            check: Any = ready
            await until(lambda: check(view), what="view ready")
        if take_command:
            await session.send("switchCommandSource", {"isRemote": False})
        try:
            yield sim, session, view
        finally:
            view.close()
            await session.disconnect()
