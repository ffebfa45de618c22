"""`PlotPanel`: a view of one `PanelModel`: toolbar, curves, legend, crosshair."""

from __future__ import annotations

import itertools
import logging
import math
import time
from collections.abc import Callable
from typing import Any

import numpy as np
import pyqtgraph as pg
from psygnal import SignalInstance
from PySide6.QtCore import QPointF, QSettings, Qt, Signal
from PySide6.QtGui import QColor, QResizeEvent
from PySide6.QtWidgets import QHBoxLayout, QLabel, QVBoxLayout, QWidget

from m2gui.model.plot_panel import PanelCurve, PanelModel, TopicCurves
from m2gui.model.signals import Signal as SignalRef
from m2gui.model.telemetry import Envelope, TopicBuffer

from .colors import curve_color
from .curves import MultiCurveItem
from .disk_parts import DiskParts, join
from .drop import DropPlot
from .exporter import PanelExporter
from .grid import GridLines
from .history_fetch import HistoryFetcher
from .legend import LegendList
from .time_axis import TimeAxis
from .toolbar import PanelToolbar

__all__ = ["PlotPanel", "TopicItem"]

log = logging.getLogger(__name__)

_serials = itertools.count()


class TopicItem:
    """What a panel drew of one topic: one `MultiCurveItem` for all its curves."""

    def __init__(self) -> None:
        self.item = MultiCurveItem([])
        #: The buffer version last drawn (-1: draw again).
        self.version = -1


class PlotPanel(QWidget):
    """A live plot of a `PanelModel`: a toolbar, a legend, and the curves.

    The panel keeps only what is drawn (items, colours, the x offset, the
    crosshair); what is shown is the model's, and the panel follows its
    signals.

    Parameters
    ----------
    model : `PanelModel`
        What to show.
    origin : `float`
        Wall-clock time that is x = 0 in clock mode (shared by the panels of an area).
    settings : `QSettings`, optional
        Where the export folder is remembered (default: m2gui's settings file).
    """

    #: Emitted when the user asks to close the panel.
    close_requested = Signal()
    #: Emitted when the panel gets focus (becomes the target of "plot").
    activated = Signal()
    #: Emitted when the view changed and the panel wants a frame.
    redraw_needed = Signal()

    def __init__(
        self,
        model: PanelModel,
        origin: float,
        parent: QWidget | None = None,
        settings: QSettings | None = None,
    ) -> None:
        super().__init__(parent)
        self.model = model
        self.origin = origin
        #: What is drawn of each topic of the model.
        self.groups: dict[str, TopicItem] = {}
        self.colors: dict[SignalRef, QColor] = {}
        self.frames = 0
        self.last_drawn_time = -math.inf
        #: Wall-clock time of x = 0 (the newest sample in live relative mode).
        self.x_offset = origin
        self._rescale_y = True
        self._needs_redraw = True
        self._setting_range = False
        #: Frames that raised (see `frame_failed`).
        self.frame_errors = 0
        self._shown_problems: tuple[int, int] = (0, 0)
        self.axis = TimeAxis(origin)
        self.plot = DropPlot(axisItems={"bottom": self.axis})
        self.plot.setObjectName("plot")
        self.plot.dropped.connect(self._dropped)
        self.item = self.plot.getPlotItem()
        self.item.setClipToView(False)
        self.item.setDownsampling(auto=False)
        self.item.addItem(GridLines(self.item), ignoreBounds=True)
        self.view = self.item.getViewBox()
        self.view.disableAutoRange()
        self.view.sigRangeChangedManually.connect(self._user_moved_view)
        self.view.sigXRangeChanged.connect(self._x_range_changed)
        self.view.sigYRangeChanged.connect(self._y_range_moved)
        self.legend = LegendList()
        self.crosshair = pg.InfiniteLine(angle=90, movable=False, pen=pg.mkPen("#888", width=1))
        self.readout = pg.TextItem(anchor=(0, 0), fill=pg.mkBrush(0, 0, 0, 150))
        self.readout.setZValue(100)
        for extra in (self.crosshair, self.readout):
            extra.setVisible(False)
            self.item.addItem(extra, ignoreBounds=True)
        self._mouse_proxy = pg.SignalProxy(
            self.plot.scene().sigMouseMoved, rateLimit=30, slot=self._mouse_moved
        )
        #: Ranges older than memory, from the long history (see `set_history`).
        self.disk_parts = DiskParts(next(_serials), self._disk_arrived)
        self.loading = QLabel("loading history…", self.plot)
        self.loading.setObjectName("loading_history")
        self.loading.setStyleSheet(
            "color: #ddd; background: rgba(0, 0, 0, 150); padding: 1px 4px; font-size: 8pt"
        )
        self.loading.setToolTip("Older samples are being read from the recording on disk")
        self.loading.move(56, 4)
        self.loading.setVisible(False)
        self.toolbar = PanelToolbar(model)
        self.toolbar.crosshair_toggled.connect(self.set_crosshair)
        # The plot and its legend: what a picture export shows.
        self.figure = QWidget()
        self.figure.setObjectName("figure")
        figure_layout = QHBoxLayout(self.figure)
        figure_layout.setContentsMargins(0, 0, 0, 0)
        figure_layout.setSpacing(0)
        figure_layout.addWidget(self.plot, 1)
        figure_layout.addWidget(self.legend)
        self.exporter = PanelExporter(model, self.figure, self, settings)
        self.exporter.status_changed.connect(self.toolbar.show_export)
        self.toolbar.export_requested.connect(self.exporter.ask)
        self.toolbar.cancel_export_requested.connect(self.exporter.cancel)
        self.toolbar.close_requested.connect(self.close_requested)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.toolbar)
        layout.addWidget(self.figure, 1)
        self.setFocusPolicy(Qt.FocusPolicy.ClickFocus)
        self.axis.set_mode(model.time_mode)
        self._show_curves()
        if not model.auto_y:
            self._hold_y()
        for signal, slot in self._model_slots():
            signal.connect(slot)

    def _model_slots(self) -> list[tuple[SignalInstance, Callable[..., Any]]]:
        model = self.model
        return [
            (model.curves_changed, self._show_curves),
            (model.window_changed, self._mark_dirty),
            (model.time_mode_changed, self._show_time_mode),
            (model.paused_changed, self._mark_dirty),
            (model.held_range_changed, self._mark_dirty),
            (model.auto_y_changed, self._show_auto_y),
            (model.y_range_changed, self._show_y_range),
            (model.legend_changed, self._show_legend),
        ]

    def release(self) -> None:
        """Stop the export in progress and stop listening to the model (closing)."""
        self.exporter.cancel()
        for signal, slot in self._model_slots():
            signal.disconnect(slot, missing_ok=True)
        self.toolbar.release()

    def set_window(self, seconds: float | None) -> None:
        """Show the last ``seconds`` (None: all): the model's `PanelModel.set_window`."""
        self.model.set_window(seconds)

    def set_history(self, fetcher: HistoryFetcher | None) -> None:
        """Read ranges older than memory from the model's long history through
        ``fetcher`` (off the GUI thread); None: memory only."""
        self.disk_parts.fetcher = fetcher
        self._mark_dirty()

    def _disk_arrived(self) -> None:
        self._mark_dirty()

    def request_redraw(self) -> None:
        """Draw again at the next frame (what is shown changed outside the model)."""
        self._mark_dirty()

    def _dropped(self, names: list[str]) -> None:
        self.model.add_signal_names(names)

    # ------------------------------------------------------------------
    # Following the model
    # ------------------------------------------------------------------
    def _show_curves(self) -> None:
        """Items, colours, unit label and legend for the model's curves."""
        model = self.model
        for topic in [t for t in self.groups if t not in model.groups]:
            self.item.removeItem(self.groups.pop(topic).item)
        self.disk_parts.keep_topics(list(model.groups))
        for topic in model.groups:
            if topic not in self.groups:
                self.groups[topic] = TopicItem()
                self.item.addItem(self.groups[topic].item)
        curves = model.curves()
        n = len(curves)
        self.colors = {c.signal: curve_color(i, n) for i, c in enumerate(curves)}
        for topic, group in self.groups.items():
            pens = [pg.mkPen(self.colors[c.signal], width=1) for c in model.groups[topic].curves]
            for pen in pens:
                pen.setCosmetic(True)
            group.item.set_pens(pens)
            group.version = -1
        units = sorted({c.unit for c in curves if c.unit})
        self.item.setLabel("left", ", ".join(units))
        self._show_legend()
        self._mark_dirty()

    def _show_legend(self) -> None:
        """Build the legend's entries only while it is shown (78 entries cost)."""
        curves = self.model.curves()
        shown = self.model.legend_shown and bool(curves)
        entries = []
        if shown:
            labels = self.model.legend_labels()
            entries = [
                (label, f"{c.label} ({c.unit})" if c.unit else c.label, self.colors[c.signal])
                for c, label in zip(curves, labels, strict=True)
            ]
        self.legend.show_entries(entries)
        self.legend.setVisible(shown)

    def resizeEvent(self, event: QResizeEvent) -> None:
        # The legend takes at most a third of the panel's width (and 240 px).
        self.legend.set_max_width(max(60, min(240, event.size().width() // 3)))
        super().resizeEvent(event)

    def _show_time_mode(self, mode: str) -> None:
        if mode != self.axis.mode and mode == "clock":
            self._move_offset(self.origin)
        self.axis.set_mode(mode)
        self._mark_dirty()

    def _move_offset(self, offset: float) -> None:
        """Re-express the view in a new x offset (the same times stay in view)."""
        shift = self.x_offset - offset
        if shift:
            (x0, x1) = self.view.viewRange()[0]
            self.x_offset = offset
            self.axis.offset = offset
            self._setting_range = True
            try:
                self.view.setXRange(x0 + shift, x1 + shift, padding=0)
            finally:
                self._setting_range = False

    def _show_auto_y(self, on: bool) -> None:
        self._rescale_y = True
        if not on:
            self._hold_y()
        self._mark_dirty()

    def _hold_y(self) -> None:
        """Auto-Y is off: show the model's fixed Y range, or, if it has none
        yet, make the range in view the fixed one."""
        if self.model.y_range is not None:
            self._show_y_range(self.model.y_range)
        else:
            lo, hi = self.view.viewRange()[1]
            self.model.set_y_range((lo, hi))

    def _show_y_range(self, y_range: tuple[float, float] | None) -> None:
        if y_range is None or self.model.auto_y:
            return
        if self.view.viewRange()[1] != list(y_range):
            self._setting_range = True
            try:
                self.view.setYRange(*y_range, padding=0)
            finally:
                self._setting_range = False

    def set_crosshair(self, on: bool) -> None:
        """Show a vertical cursor reading out every curve's value."""
        if self.toolbar.cross_button.isChecked() != on:
            self.toolbar.cross_button.setChecked(on)
        self.crosshair.setVisible(on)
        self.readout.setVisible(on)

    # ------------------------------------------------------------------
    # The user moving the view
    # ------------------------------------------------------------------
    def _view_time_range(self) -> tuple[float, float]:
        x0, x1 = self.view.viewRange()[0]
        return x0 + self.x_offset, x1 + self.x_offset

    def _user_moved_view(self, *args: Any) -> None:
        # Zooming or panning by hand freezes the view where the user put it.
        self.model.hold(*self._view_time_range())
        if self.model.auto_y and args and args[0] and len(args[0]) > 1 and args[0][1]:
            self.model.set_auto_y(False)

    def _x_range_changed(self, *args: Any) -> None:
        if self._setting_range:
            return
        if self.model.paused:
            self.model.hold(*self._view_time_range())
        else:
            self._mark_dirty()

    def _y_range_moved(self, *args: Any) -> None:
        if not self._setting_range and not self.model.auto_y:
            lo, hi = self.view.viewRange()[1]
            self.model.set_y_range((lo, hi))

    def _mark_dirty(self) -> None:
        self._needs_redraw = True
        self.redraw_needed.emit()

    # ------------------------------------------------------------------
    # Drawing
    # ------------------------------------------------------------------
    def refresh(self) -> bool:
        """Redraw if the data or the view changed; return whether it did."""
        store = self.model.store
        if self.model.paused:
            if not self._needs_redraw:
                return False
        elif not self._needs_redraw and not any(
            (b := store.buffer(topic)) is not None and b.version != g.version
            for topic, g in self.groups.items()
        ):
            return False
        span = self.model.next_view_range()
        if span is None:
            self._needs_redraw = False
            return False
        self._draw(*span)
        self._needs_redraw = False
        self.frames += 1
        return True

    def _draw(self, t0: float, t1: float) -> None:
        model = self.model
        width_px = max(100, int(self.view.width()) or 800)
        max_blocks = max(50, width_px // 2)
        lo, hi = math.inf, -math.inf
        newest = -math.inf
        if not model.paused:
            self.x_offset = t1 if self.axis.mode == "relative" else self.origin
            self.axis.offset = self.x_offset
        for topic, group in self.groups.items():
            curves = model.groups[topic]
            buffer = model.store.buffer(topic)
            envelope = self._topic_points(topic, curves, buffer, (t0, t1), max_blocks, group)
            if buffer is not None:
                group.version = buffer.version
            if group.item.y_range is not None:
                lo = min(lo, group.item.y_range[0])
                hi = max(hi, group.item.y_range[1])
            if envelope.x.size:
                newest = max(newest, float(envelope.x[-1]))
        self.loading.setVisible(bool(self.disk_parts.loading))
        self._show_problems()  # cheap when nothing changed
        self.last_drawn_time = max(self.last_drawn_time, newest)
        self._setting_range = True
        try:
            x_range = [t0 - self.x_offset, t1 - self.x_offset]
            shown = self.view.viewRange()[0]
            if model.paused:  # the held range, unless already in view (to rounding)
                tolerance = 1e-9 * max(1.0, abs(x_range[1] - x_range[0]))
                if any(abs(a - b) > tolerance for a, b in zip(shown, x_range, strict=True)):
                    self.view.setXRange(*x_range, padding=0)
            elif shown != x_range:
                self.view.setXRange(*x_range, padding=0)
            if model.auto_y and math.isfinite(lo) and math.isfinite(hi):
                self._auto_y(lo, hi)
        finally:
            self._setting_range = False

    def _topic_points(
        self,
        topic: str,
        curves: TopicCurves,
        buffer: TopicBuffer | None,
        view: tuple[float, float],
        max_blocks: int,
        group: TopicItem,
    ) -> Envelope:
        """Draw one topic's curves over ``view``: memory, and what is older from disk."""
        t0, t1 = view
        if buffer is not None and buffer.count:
            columns = curves.columns(buffer)
            a0, a1 = buffer.index_range(t0, t1)
            a0 = max(a0 - 1, 0)
            blocks = max_blocks
            oldest = float(buffer.times()[0])
            if self.model.disk.source is not None and t0 < oldest < t1:
                # The disk draws the older part: memory gets its share of the
                # width, so that both are drawn at the same density.
                blocks = max(16, math.ceil(max_blocks * (t1 - oldest) / (t1 - t0)))
            memory = buffer.envelope(columns, a0, a1, blocks)
            after_gaps = buffer.times_of(buffer.gaps(a0, a1))
            boundary = oldest
            curves.count_undrawable(buffer)
        else:
            columns = curves.layout_columns(self.model.catalogue.telemetry[topic])
            memory = Envelope(np.empty(0), np.empty((0, len(columns))), 0, 0)
            after_gaps = np.empty(0)
            boundary = math.inf
        disk = self.disk_parts.part(
            self.model.disk.source, topic, columns, view, boundary, max_blocks
        )
        if disk is None:
            envelope, cuts = memory, np.empty(0, np.intp)
        else:
            # From the point (or block) before the view: what is further left
            # was asked for only to be reused, and must not scale Y.
            first = max(0, int(np.searchsorted(disk.x, t0, "left")) - 2)
            disk = Envelope(disk.x[first:], disk.y[first:], disk.level, disk.samples)
            envelope, cuts = join(disk, memory, boundary, self.model.gap)
        # Cut the curves where samples stopped coming for a while (no
        # envelope point lies inside a gap: each is a sample's time).
        if after_gaps.size:
            cuts = np.concatenate([cuts, np.searchsorted(envelope.x, after_gaps, "left")])
        group.item.set_data(envelope.x - self.x_offset, envelope.y, cuts if cuts.size else None)
        return envelope

    def frame_failed(self, error: BaseException) -> None:
        """Count a frame that raised ``error`` (the caller logs it) and show it."""
        self.frame_errors += 1
        self._needs_redraw = True  # try again on the next frame
        self._show_problems()

    def _show_problems(self) -> None:
        """Show the counts of undrawable values and failed frames, if any."""
        undrawable = self.model.undrawable
        if (undrawable, self.frame_errors) == self._shown_problems:
            return
        self._shown_problems = (undrawable, self.frame_errors)
        parts, tips = [], []
        if undrawable:
            parts.append(f"{undrawable} value{'s' if undrawable != 1 else ''} not drawn")
            tips.append("Values not drawn (NaN, infinite, or beyond ±1e300):")
            tips.extend(f"  {c.label}: {n}" for c, n in self.model.undrawable_curves())
        if self.frame_errors:
            parts.append(f"{self.frame_errors} frame errors")
            tips.append(f"{self.frame_errors} frames failed (see the log)")
        self.toolbar.show_problems(", ".join(parts), "\n".join(tips[:41]))

    def _auto_y(self, lo: float, hi: float) -> None:
        """Fit Y to the data, with hysteresis: the range (and so the axis, which
        is costly to redraw) changes only when the data leaves it or fills less
        than a third of it."""
        span = hi - lo
        tiny = max(abs(lo), abs(hi), 1e-9) * 1e-3
        span = max(span, tiny)
        y0, y1 = self.view.viewRange()[1]
        fits = y0 <= lo and hi <= y1
        if fits and (y1 - y0) <= 3 * span and not self._rescale_y:
            return
        pad = 0.1 * span
        low, high = lo - pad, hi + pad
        if not (math.isfinite(low) and math.isfinite(high)):
            return  # cannot happen for values within ±PLOT_LIMIT
        self._rescale_y = False
        self.view.setYRange(low, high, padding=0)

    def _mouse_moved(self, event: tuple[QPointF]) -> None:
        if not self.crosshair.isVisible():
            return
        position = event[0]
        if not self.item.sceneBoundingRect().contains(position):
            return
        x = self.view.mapSceneToView(position).x()
        self.crosshair.setPos(x)
        t = x + self.x_offset
        lines = [time.strftime("%H:%M:%S", time.localtime(t)) + f".{int((t % 1) * 1000):03d}"]
        values = self.model.values_at(t, within=self.model.gap)
        lines.extend(self._readout_line(c, v) for c, v in values)
        # Older than memory: what is drawn from disk (a sample, or a block's range).
        in_memory = {c.signal.topic for c, _ in values}
        for topic, group in self.model.groups.items():
            found = (
                None if topic in in_memory else self.disk_parts.values_at(topic, t, self.model.gap)
            )
            if found is not None:
                lows, highs = found
                for curve, low, high in zip(
                    group.curves, lows.tolist(), highs.tolist(), strict=True
                ):
                    lines.append(self._readout_line(curve, low, high))
        if len(lines) == 1 and self.model.signals:
            lines.append("no samples here")
        self.readout.setHtml("<br>".join(lines[:40]))
        (x0, _), (_, y1) = self.view.viewRange()
        self.readout.setPos(x0, y1)

    def _readout_line(self, curve: PanelCurve, value: float, high: float | None = None) -> str:
        color = self.colors[curve.signal].name()
        text = curve.format(value)
        if high is not None and high != value and not (math.isnan(high) and math.isnan(value)):
            text = f"{text} … {curve.format(high)}"
        return f'<span style="color:{color}">{curve.label}</span>: {text}'

    # ------------------------------------------------------------------
    def focusInEvent(self, event: Any) -> None:
        self.activated.emit()
        super().focusInEvent(event)

    def mousePressEvent(self, event: Any) -> None:
        self.activated.emit()
        super().mousePressEvent(event)
