"""UI tests run their coroutine on a real qasync loop, as the application does."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Coroutine
from typing import Any

import pytest
import qasync
from PySide6.QtWidgets import QApplication


@pytest.fixture
def run_qasync(qapp: QApplication) -> Callable[..., Any]:
    """Run a coroutine to completion on a qasync loop, with a timeout."""

    qapp.setQuitOnLastWindowClosed(False)  # as the application does

    def run(coro: Coroutine[Any, Any, Any], timeout: float = 20.0) -> Any:
        with asyncio.Runner(loop_factory=lambda: qasync.QEventLoop(qapp)) as runner:
            return runner.run(asyncio.wait_for(coro, timeout))

    return run


async def until(condition: Callable[[], object], timeout: float = 5.0, what: str = "") -> None:
    """Wait (letting Qt and asyncio run) until ``condition()`` is true."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what or condition}")
        await asyncio.sleep(0.02)
