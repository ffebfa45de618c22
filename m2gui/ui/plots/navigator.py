"""`TimeNavigator`: an overview strip of one signal over the whole recording, above the panels.

The strip shows the chosen signal from the start of the long history (on
disk) to the newest sample in memory, and over it the time range the panels
show. Dragging that range (or one of its edges, or clicking elsewhere on the
strip) holds every panel to it; "Live" has every panel follow the latest
data again. The overview's older part is read off the GUI thread (the plot
area's `HistoryFetcher`) and the strip is redrawn every few seconds.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QPushButton, QSizePolicy, QWidget

from m2gui.model.catalogue import Catalogue
from m2gui.model.navigator import (
    NavigatorModel,
    clamp_region,
    overview_width,
    union_range,
    whole_span,
)
from m2gui.model.plot_panel import DiskHistory, layout_column
from m2gui.model.signals import Signal as SignalRef
from m2gui.model.telemetry import Envelope, TelemetryStore

from .colors import curve_color
from .curves import MultiCurveItem
from .disk_parts import DiskParts, join
from .history_fetch import HistoryFetcher
from .time_axis import TimeAxis

__all__ = ["OVERVIEW_HEIGHT", "REFRESH_MS", "TimeNavigator"]

log = logging.getLogger(__name__)

#: Height of the overview strip, pixels.
OVERVIEW_HEIGHT = 60
#: The overview is redrawn this often (milliseconds) while visible.
REFRESH_MS = 3000

TimeRange = tuple[float, float]

_LIVE_TIP = (
    "Live: every panel follows the latest data (checked).\nUncheck to hold every panel where it is."
)


class TimeNavigator(QWidget):
    """The overview strip, its signal choice, the range in view, and "Live".

    Parameters
    ----------
    store : `TelemetryStore`
        The samples in memory.
    catalogue : `Catalogue`
        For the signals' columns.
    disk : `DiskHistory`
        The long history (shared with the panels).
    fetcher : `HistoryFetcher`
        Runs the long-history queries off the GUI thread.
    origin : `float`
        Wall-clock time that is x = 0 on the strip.
    """

    #: The user moved the range: hold every panel to ``(t0, t1)`` (wall clock).
    range_dragged = Signal(float, float)
    #: The user asked every panel to follow the latest data (True) or to hold (False).
    live_toggled = Signal(bool)

    def __init__(
        self,
        store: TelemetryStore,
        catalogue: Catalogue,
        disk: DiskHistory,
        fetcher: HistoryFetcher,
        origin: float,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.store = store
        self.catalogue = catalogue
        self.disk = disk
        self.origin = origin
        self.model = NavigatorModel()
        #: The time range the strip spans (None: nothing to show yet).
        self.span: TimeRange | None = None
        #: Overview redraws done.
        self.redraws = 0
        self._setting = False
        self.parts = DiskParts("navigator", self._disk_arrived)
        self.parts.fetcher = fetcher
        self.combo = QComboBox()
        self.combo.setObjectName("navigator_signal")
        self.combo.setToolTip("The signal shown over the whole recording")
        self.combo.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
        )
        self.combo.setMaximumWidth(240)
        self.combo.setMinimumContentsLength(22)
        self.axis = TimeAxis(origin)
        self.axis.set_mode("clock")
        self.axis.setLabel("")
        self.axis.setHeight(18)
        self.plot = pg.PlotWidget(axisItems={"bottom": self.axis})
        self.plot.setObjectName("overview")
        self.plot.setFixedHeight(OVERVIEW_HEIGHT)
        self.plot.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        item = self.plot.getPlotItem()
        item.hideAxis("left")
        item.hideButtons()
        item.setMenuEnabled(False)
        item.setClipToView(False)
        item.setDownsampling(auto=False)
        item.layout.setContentsMargins(2, 2, 2, 0)
        self.view = item.getViewBox()
        self.view.setMouseEnabled(False, False)
        self.view.disableAutoRange()
        self.curve = MultiCurveItem([])
        pen = pg.mkPen(curve_color(0, 1), width=1)
        pen.setCosmetic(True)
        self.curve.set_pens([pen])
        item.addItem(self.curve)
        self.region = pg.LinearRegionItem(
            values=(0.0, 1.0),
            brush=pg.mkBrush(255, 255, 255, 45),
            hoverBrush=pg.mkBrush(255, 255, 255, 70),
            pen=pg.mkPen("#f0c040", width=1),
            hoverPen=pg.mkPen("#ffe080", width=1),
            swapMode="sort",
        )
        self.region.setZValue(10)
        self.region.setToolTip("The time range the panels show: drag it, or drag an edge")
        self.region.sigRegionChanged.connect(self._region_moved)
        item.addItem(self.region, ignoreBounds=True)
        self.plot.scene().sigMouseClicked.connect(self._clicked)
        self.loading = QLabel("loading history…", self.plot)
        self.loading.setObjectName("navigator_loading")
        self.loading.setStyleSheet(
            "color: #ddd; background: rgba(0, 0, 0, 150); padding: 1px 4px; font-size: 8pt"
        )
        self.loading.move(6, 2)
        self.loading.setVisible(False)
        self.live_button = QPushButton("Live")
        self.live_button.setObjectName("navigator_live")
        self.live_button.setCheckable(True)
        self.live_button.setChecked(True)
        self.live_button.setToolTip(_LIVE_TIP)
        self.live_button.clicked.connect(self._live_clicked)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(4, 0, 4, 2)
        layout.setSpacing(4)
        layout.addWidget(self.combo)
        layout.addWidget(self.plot, 1)
        layout.addWidget(self.live_button)
        self.model.choices_changed.connect(self._show_choices)
        self.model.signal_changed.connect(self._show_signal)
        self.combo.currentIndexChanged.connect(self._signal_picked)
        self.timer = QTimer(self)
        self.timer.setInterval(REFRESH_MS)
        self.timer.timeout.connect(self.refresh_overview)
        self.timer.start()

    def release(self) -> None:
        """Stop refreshing and listening (the plot area is closing)."""
        self.timer.stop()
        self.model.choices_changed.disconnect(self._show_choices)
        self.model.signal_changed.disconnect(self._show_signal)

    # ------------------------------------------------------------------
    # The signal shown
    # ------------------------------------------------------------------
    def set_panels(self, panels: Sequence[Sequence[SignalRef]]) -> None:
        """The panels' signals, each panel's in order (the choices)."""
        self.model.set_panels(panels)

    def _show_choices(self, choices: tuple[SignalRef, ...]) -> None:
        self.combo.blockSignals(True)
        self.combo.clear()
        for signal in choices:
            self.combo.addItem(signal.name, signal)
        self.combo.blockSignals(False)
        self._show_signal(self.model.signal)

    def _show_signal(self, signal: SignalRef | None) -> None:
        index = self.combo.findText(signal.name) if signal is not None else -1
        if index != self.combo.currentIndex():
            self.combo.blockSignals(True)
            self.combo.setCurrentIndex(index)
            self.combo.blockSignals(False)
        self.combo.setToolTip(
            f"{signal.name} over the whole recording" if signal else "No signal on the panels"
        )
        self.refresh_overview()

    def _signal_picked(self, index: int) -> None:
        signal = self.combo.itemData(index)
        if isinstance(signal, SignalRef):
            self.model.choose(signal)

    # ------------------------------------------------------------------
    # The overview
    # ------------------------------------------------------------------
    def _disk_arrived(self) -> None:
        self.refresh_overview()

    def refresh_overview(self) -> None:
        """Redraw the strip: the signal from the start of the long history to the newest sample."""
        if not self.isVisible():
            return
        signal = self.model.signal
        span = self._whole_span(signal)
        if signal is None or span is None:
            self.span = None
            self.curve.set_data(np.empty(0), np.empty((0, 1)))
            self.loading.setVisible(False)
            return
        self.span = span
        width_px = max(100, int(self.view.width()) or 600)
        max_blocks = max(50, width_px // 2)
        buffer = self.store.buffer(signal.topic)
        if buffer is not None and buffer.count:
            column = [buffer.column(signal)]
            boundary = float(buffer.times()[0])
            # Memory's share of the width: drawn as densely as the disk part.
            share = (span[1] - boundary) / max(span[1] - span[0], 1e-9)
            blocks = max(16, math.ceil(max_blocks * min(1.0, share)))
            memory = buffer.envelope(column, buffer.raw.first, buffer.raw.next_index, blocks)
        else:
            column = [layout_column(self.catalogue.telemetry[signal.topic], signal)]
            memory = Envelope(np.empty(0), np.empty((0, 1)), 0, 0)
            boundary = math.inf
        # Ask for a width that grows in steps: a growing recording is not
        # asked again on every refresh.
        asked = (span[0], span[0] + overview_width(span[1] - span[0]))
        disk = self.parts.part(self.disk.source, signal.topic, column, asked, boundary, max_blocks)
        envelope, cuts = (memory, None) if disk is None else join(disk, memory, boundary, math.inf)
        self.curve.set_data(envelope.x - self.origin, envelope.y, cuts)
        self.loading.setVisible(bool(self.parts.loading))
        x0, x1 = span[0] - self.origin, span[1] - self.origin
        self._setting = True
        try:
            self.view.setXRange(x0, x1, padding=0)
            if self.curve.y_range is not None:
                lo, hi = self.curve.y_range
                pad = max(hi - lo, abs(hi) * 1e-3, 1e-9) * 0.08
                self.view.setYRange(lo - pad, hi + pad, padding=0)
        finally:
            self._setting = False
        self.redraws += 1

    def _whole_span(self, signal: SignalRef | None) -> TimeRange | None:
        """From the first sample on disk or in memory to the newest in memory (or on disk)."""
        if signal is None:
            return None
        buffer = self.store.buffer(signal.topic)
        memory = (
            (float(buffer.times()[0]), float(buffer.last_time))
            if buffer is not None and buffer.count
            else None
        )
        span = whole_span(self.disk.spans.get(signal.topic), memory)
        if span is not None and memory is not None:
            span = (span[0], memory[1])  # replaying: not beyond the replay's position
        return span

    # ------------------------------------------------------------------
    # The range in view
    # ------------------------------------------------------------------
    @property
    def dragging(self) -> bool:
        """Whether the user is dragging the range or one of its edges."""
        return bool(self.region.moving or any(line.moving for line in self.region.lines))

    def show_view(self, ranges: Sequence[TimeRange | None], following: bool) -> None:
        """Show the panels' ranges in view (their union) and whether they all follow live data."""
        if self.live_button.isChecked() != following:
            self.live_button.setChecked(following)
        union = union_range(ranges)
        if union is None or self.dragging:
            return
        x0, x1 = union[0] - self.origin, union[1] - self.origin
        shown = self.region.getRegion()
        (v0, v1) = self.view.viewRange()[0]
        pixel = max(v1 - v0, 1e-9) / max(1.0, float(self.view.width()))
        if abs(shown[0] - x0) < pixel / 2 and abs(shown[1] - x1) < pixel / 2:
            return  # not a pixel away: leave the strip alone
        self._setting = True
        try:
            self.region.setRegion((x0, x1))
        finally:
            self._setting = False

    def _region_moved(self, *args: Any) -> None:
        if self._setting:
            return
        lo, hi = self.region.getRegion()
        self.select((lo + self.origin, hi + self.origin), move=bool(self.region.moving))

    def select(self, region: TimeRange, move: bool = True) -> TimeRange:
        """Select ``region`` (wall clock) as the user would: clamped into the
        span, shown, and every panel held to it. Returns the range selected."""
        t0, t1 = clamp_region(region, self.span, move=move)
        x0, x1 = t0 - self.origin, t1 - self.origin
        if tuple(self.region.getRegion()) != (x0, x1):
            self._setting = True
            try:
                self.region.setRegion((x0, x1))
            finally:
                self._setting = False
        self.range_dragged.emit(t0, t1)
        return t0, t1

    def _clicked(self, event: Any) -> None:
        """A click on the strip outside the range moves the range there (same width)."""
        if event.button() != Qt.MouseButton.LeftButton or self.span is None:
            return
        position = event.scenePos()
        if not self.view.sceneBoundingRect().contains(position):
            return
        x = self.view.mapSceneToView(position).x()
        lo, hi = self.region.getRegion()
        if lo <= x <= hi:
            return
        t = x + self.origin
        half = (hi - lo) / 2
        self.select((t - half, t + half))

    def _live_clicked(self, checked: bool) -> None:
        self.live_toggled.emit(checked)
