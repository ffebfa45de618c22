""" "Plot" on any value: a context menu that sends telemetry signals to the plot area."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QMenu, QWidget

from m2gui.model.session import Session

__all__ = ["add_plot_menu"]


def add_plot_menu(
    widget: QWidget, session: Session, signals_at: Callable[[QPoint], list[str]]
) -> None:
    """Give ``widget`` a context menu whose "Plot" adds the signals under the cursor.

    Parameters
    ----------
    widget : `QWidget`
        The view (a table, a lamp, a map).
    session : `Session`
        Its session: the request goes to ``session.plots``.
    signals_at : callable
        Returns the telemetry signal names (``topic.field[i]``) shown at a
        position of ``widget``; no menu when it returns none.
    """
    widget.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)

    def show(position: QPoint) -> None:
        names = signals_at(position)
        if not names:
            return
        menu = QMenu(widget)
        label = ", ".join(names[:3]) + (f" and {len(names) - 3} more" if len(names) > 3 else "")
        action = menu.addAction(f"Plot {label}")
        action.triggered.connect(lambda: session.plots.request(names))
        menu.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        menu.popup(widget.mapToGlobal(position))

    widget.customContextMenuRequested.connect(show)
