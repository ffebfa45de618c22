"""Waiting on conditions, never on fixed sleeps."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable


async def until(condition: Callable[[], object], timeout: float = 5.0, what: str = "") -> None:
    """Wait (letting the event loop run) until ``condition()`` is true.

    Raises
    ------
    AssertionError
        If it is still false after ``timeout`` seconds; ``what`` names it.
    """
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what or condition}")
        await asyncio.sleep(0.01)
