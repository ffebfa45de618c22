"""`NetForceView`: total net force and moment, and force balance, as large numbers.

Each of the twelve numbers has a "Plot" button that opens it as a live plot
in the plot area (``session.plots.request``), each group a "Plot all six";
a right-click on a number offers the same. Values come from the Qt-free
`NetForces` store at the display rate.
"""

from __future__ import annotations

from collections.abc import Iterable

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QFrame,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from m2gui.model.cell.net_force import GROUPS, NetForces, Quantity
from m2gui.model.session import Session

from ..bridge import listen
from ..plot_menu import add_plot_menu

__all__ = ["NetForceView"]


class NetForceView(QWidget):
    """The six net force/moment values and the six force-balance values.

    Parameters
    ----------
    session : `Session`
        Where the values come from (``session.store(NetForces)``) and where
        plot requests go (``session.plots``).

    Attributes
    ----------
    values : `dict` [`str`, `QLabel`]
        Signal name -> the label showing its value.
    plot_buttons : `dict` [`str`, `QPushButton`]
        Signal name -> its "Plot" button.
    plot_all : `dict` [`str`, `QPushButton`]
        Group title -> its "Plot all six" button.
    """

    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.store = session.store(NetForces)
        self.values: dict[str, QLabel] = {}
        self.plot_buttons: dict[str, QPushButton] = {}
        self.plot_all: dict[str, QPushButton] = {}
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        for title, description, quantities in GROUPS:
            layout.addWidget(self._group(title, description, quantities))
        layout.addStretch(1)
        self.refresh([q.signal for _, _, qs in GROUPS for q in qs])
        listen(self, self.store.changed, self._changed, defer_hidden=True)

    def _group(self, title: str, description: str, quantities: tuple[Quantity, ...]) -> QGroupBox:
        box = QGroupBox(title)
        box.setStyleSheet("QGroupBox { font-weight: bold; }")
        about = QLabel(description)
        about.setWordWrap(True)
        about.setStyleSheet("font-weight: normal")
        signals = [q.signal for q in quantities]
        plot_all = QPushButton("Plot all six")
        plot_all.setToolTip("Plot " + ", ".join(signals) + " in the plot area")
        plot_all.clicked.connect(lambda: self.session.plots.request(signals))
        self.plot_all[title] = plot_all
        head = QHBoxLayout()
        head.addWidget(about, 1)
        head.addWidget(plot_all)
        grid = QGridLayout()
        for i, quantity in enumerate(quantities):
            grid.addWidget(self._tile(quantity), i // 3, i % 3)
        inner = QVBoxLayout(box)
        inner.addLayout(head)
        inner.addLayout(grid)
        return box

    def _tile(self, quantity: Quantity) -> QFrame:
        signal = quantity.signal
        tile = QFrame()
        tile.setFrameShape(QFrame.Shape.StyledPanel)
        tile.setToolTip(f"{signal} ({quantity.unit}); right-click or Plot to plot it")
        name = QLabel(quantity.title)
        name.setStyleSheet("font-size: 13pt; font-weight: bold")
        name.setMinimumWidth(30)
        value = QLabel("—")
        value.setObjectName(f"value:{signal}")
        value.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        value.setStyleSheet("font-size: 20pt; font-weight: bold; font-family: monospace")
        value.setMinimumWidth(110)
        unit = QLabel(quantity.unit)
        unit.setStyleSheet("font-size: 13pt; font-weight: normal")
        plot = QPushButton("Plot")
        plot.setMaximumWidth(56)
        plot.setToolTip(f"Plot {signal} in the plot area")
        plot.clicked.connect(lambda: self.session.plots.request([signal]))
        row = QHBoxLayout(tile)
        row.setContentsMargins(8, 4, 8, 4)
        row.addWidget(name)
        row.addWidget(value, 1)
        row.addWidget(unit)
        row.addWidget(plot)
        add_plot_menu(tile, self.session, lambda _position: [signal])
        self.values[signal] = value
        self.plot_buttons[signal] = plot
        return tile

    def _changed(self, batch: list[tuple[tuple[str, ...]]]) -> None:
        self.refresh({signal for (signals,) in batch for signal in signals})

    def refresh(self, signals: Iterable[str]) -> None:
        """Show the latest value of ``signals`` (signal names)."""
        for signal in signals:
            label = self.values.get(signal)
            if label is not None:
                label.setText(self.store.text(signal))
