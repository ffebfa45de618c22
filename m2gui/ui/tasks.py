"""Background coroutines started from Qt slots, kept referenced and logged."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from typing import Any

__all__ = ["cancel_all", "spawn"]

log = logging.getLogger(__name__)
_tasks: set[asyncio.Task[Any]] = set()


def spawn(coro: Coroutine[Any, Any, Any], what: str) -> asyncio.Task[Any]:
    """Run ``coro`` in the background; its exception, if any, is logged.

    A reference is kept until it ends (the loop keeps only weak ones).
    """
    task = asyncio.ensure_future(coro)
    _tasks.add(task)

    def done(t: asyncio.Task[Any]) -> None:
        _tasks.discard(t)
        if t.cancelled():
            return
        error = t.exception()
        if error is not None:
            log.error("%s failed: %s", what, error, exc_info=error)

    task.add_done_callback(done)
    return task


async def cancel_all() -> None:
    """Cancel every task started with `spawn` and wait for them."""
    tasks = list(_tasks)
    for task in tasks:
        task.cancel()
    if tasks:
        await asyncio.gather(*tasks, return_exceptions=True)
