"""Waiting, in a procedure, until the stores show a condition."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from .errors import StepFailed

if TYPE_CHECKING:
    from m2gui.model.session import Session

__all__ = ["wait_for"]


async def wait_for(
    session: Session, condition: Callable[[], bool], timeout: float, what: str
) -> None:
    """Return once ``condition()`` is true; it is checked again after every event.

    No polling: the check runs when the event store or the link announces a
    change (the incumbent polls its state every 0.5 s instead).

    Parameters
    ----------
    session : `Session`
        Whose stores change.
    condition : callable
        Reads the stores; true when the wait is over.
    timeout : `float`
        Seconds to wait at most.
    what : `str`
        What is awaited, for the failure message ("motor power on").

    Raises
    ------
    StepFailed
        When ``timeout`` passes first, or the link drops while waiting.
    """
    if condition():
        return
    woke = asyncio.Event()

    def poke(*_: Any) -> None:
        woke.set()

    session.events.updated.connect(poke, check_nargs=False)
    session.link.changed.connect(poke, check_nargs=False)
    try:
        async with asyncio.timeout(timeout):
            while not condition():
                if not session.connected:
                    raise StepFailed(f"the link dropped while waiting for {what}")
                woke.clear()
                await woke.wait()
    except TimeoutError:
        raise StepFailed(f"no {what} within {timeout:g} s") from None
    finally:
        session.events.updated.disconnect(poke, missing_ok=True)
        session.link.changed.disconnect(poke, missing_ok=True)
