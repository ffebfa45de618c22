"""UI tests run their coroutine on a real qasync loop, as the application does."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from typing import Any

import pytest
import qasync
from PySide6.QtWidgets import QApplication

from ..waiting import until

__all__ = ["until"]


@pytest.fixture
def run_qasync(qapp: QApplication) -> Callable[..., Any]:
    """Run a coroutine to completion on a qasync loop, with a timeout."""

    qapp.setQuitOnLastWindowClosed(False)  # as the application does

    def run(coro: Coroutine[Any, Any, Any], timeout: float = 20.0) -> Any:
        with asyncio.Runner(loop_factory=lambda: qasync.QEventLoop(qapp)) as runner:
            return runner.run(asyncio.wait_for(coro, timeout))

    return run
