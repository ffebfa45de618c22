"""`PlotRequests`: any view asks for signals to be plotted, the plot area obliges."""

from __future__ import annotations

from psygnal import Signal

__all__ = ["PlotRequests"]


class PlotRequests:
    """Requests to plot telemetry signals, from any view ("Plot" in a context menu).

    Signals
    -------
    requested(list)
        Signal names such as ``axialForce.measured[12]``, to add to the
        current plot panel.
    """

    requested = Signal(list)

    def request(self, names: list[str]) -> None:
        """Ask for ``names`` to be plotted (unknown names are ignored by the plot area)."""
        if names:
            self.requested.emit(list(names))
