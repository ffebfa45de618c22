"""What the screenshot scripts share: the tab-area size, waiting, saving, running on qasync."""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("QT_API", "pyside6")

import qasync
from PySide6.QtWidgets import QApplication, QWidget

HERE = Path(__file__).resolve().parent
#: The tab area of the main window at 1366 x 768.
SIZE = (900, 550)


async def until(condition: Callable[[], object], timeout: float = 10.0) -> None:
    """Wait, letting Qt and asyncio run, until ``condition()`` is true."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(f"condition not met: {condition}")
        await asyncio.sleep(0.02)


def save(widget: QWidget, name: str) -> Path:
    """Grab ``widget`` into ``docs/screenshots/<name>``."""
    path = HERE / name
    if not widget.grab().save(str(path)):
        raise OSError(f"could not write {path}")
    print(f"saved {path}")  # a script's output, not library code
    return path


def run(main: Callable[[], Coroutine[Any, Any, None]]) -> None:
    """Run ``main()`` on a qasync loop, as the application does."""
    application = QApplication.instance() or QApplication([])
    assert isinstance(application, QApplication)
    application.setQuitOnLastWindowClosed(False)
    with asyncio.Runner(loop_factory=lambda: qasync.QEventLoop(application)) as runner:
        runner.run(main())
