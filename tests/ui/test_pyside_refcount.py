"""Regression guard for PySide6 6.12.0 on Python 3.11.

6.12.0 drops a reference to ``None`` every time Qt calls a Python override
(``paint``, ``paintEvent``) and to ``True`` on every signal disconnect; a qasync
app then aborts with ``Fatal Python error: none_dealloc``. This test fails on
such a build before the app does.
"""

from __future__ import annotations

import sys

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QObject, Signal
from pytestqt.qtbot import QtBot

SLACK = 20  # unrelated code may take or release a few references meanwhile


class Emitter(QObject):
    fired = Signal(int)


def test_repaint_and_disconnect_keep_none_and_true_references(qtbot: QtBot) -> None:
    plot = pg.PlotWidget()
    qtbot.addWidget(plot)
    plot.resize(320, 200)
    plot.plot(np.arange(100.0), np.sin(np.arange(100.0) / 10))
    plot.show()
    qtbot.waitExposed(plot)

    none_before = sys.getrefcount(None)
    true_before = sys.getrefcount(True)

    for _ in range(1000):
        plot.repaint()

    emitter = Emitter()
    received: list[int] = []
    for i in range(1000):
        emitter.fired.connect(received.append)
        emitter.fired.emit(i)
        emitter.fired.disconnect(received.append)

    assert received == list(range(1000))
    assert sys.getrefcount(None) >= none_before - SLACK
    assert sys.getrefcount(True) >= true_before - SLACK
