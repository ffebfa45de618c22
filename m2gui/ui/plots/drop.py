"""Dragging signals onto a plot: the MIME type and a plot widget that accepts it."""

from __future__ import annotations

from typing import Any

import pyqtgraph as pg
from PySide6.QtCore import Signal
from PySide6.QtGui import QDragEnterEvent, QDragMoveEvent, QDropEvent

__all__ = ["SIGNAL_MIME", "DropPlot"]

#: MIME type of dragged signal names (whitespace separated).
SIGNAL_MIME = "application/x-m2gui-signals"


class DropPlot(pg.PlotWidget):  # type: ignore[misc]
    """A PlotWidget that accepts signals dragged from the browser."""

    #: Emitted with the names of the signals dropped.
    dropped = Signal(list)

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.setAcceptDrops(True)

    @staticmethod
    def _names(event: QDragEnterEvent | QDragMoveEvent | QDropEvent) -> list[str]:
        mime = event.mimeData()
        if mime.hasFormat(SIGNAL_MIME):
            return bytes(mime.data(SIGNAL_MIME).data()).decode().split()
        return []

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if self._names(event):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dragMoveEvent(self, event: QDragMoveEvent) -> None:
        if self._names(event):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dropEvent(self, event: QDropEvent) -> None:
        names = self._names(event)
        if names:
            event.acceptProposedAction()
            self.dropped.emit(names)
