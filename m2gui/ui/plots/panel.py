"""`PlotPanel`: one live plot of any signals, with its own toolbar."""

from __future__ import annotations

import logging
import math
import threading
import time
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyqtgraph as pg
import shiboken6
from PySide6.QtCore import QPointF, Qt, Signal
from PySide6.QtGui import QAction, QColor, QDragEnterEvent, QDragMoveEvent, QDropEvent
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QMenu,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from m2gui.model.catalogue import Catalogue
from m2gui.model.plot_layout import WINDOWS, PanelLayout
from m2gui.model.signals import Signal as SignalRef
from m2gui.model.signals import element_labels, parse_signal
from m2gui.model.telemetry import TelemetryStore, TopicBuffer

from ..tasks import spawn
from .curves import PLOT_LIMIT, MultiCurveItem
from .export import ExportCancelled, export_csv, export_png, export_svg
from .grid import GridLines
from .time_axis import TimeAxis

__all__ = ["SIGNAL_MIME", "PlotPanel"]

log = logging.getLogger(__name__)

SIGNAL_MIME = "application/x-m2gui-signals"
#: Rows looked at per numpy call when counting undrawable values.
COUNT_BLOCK = 4096
#: Legends with more curves than this start hidden.
LEGEND_LIMIT = 16
PALETTE = [
    "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
    "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf",
]  # fmt: skip


def curve_color(i: int, n: int) -> QColor:
    """Distinct colours: a qualitative palette, then evenly spread hues."""
    if n <= len(PALETTE):
        return QColor(PALETTE[i])
    color: QColor = pg.intColor(i, hues=max(n, 12), values=1, maxValue=230, sat=200)
    return color


@dataclass
class Curve:
    """One signal on a panel."""

    signal: SignalRef
    label: str
    unit: str
    color: QColor


class _Group:
    """Curves of one topic in a panel, drawn by one `MultiCurveItem`."""

    def __init__(self, topic: str) -> None:
        self.topic = topic
        self.curves: list[Curve] = []
        self.item = MultiCurveItem([])
        self.columns: list[int] = []
        self.version = -1
        #: Absolute index of the first sample not yet looked at for `undrawable`.
        self.counted = 0
        #: Per curve: samples not drawn (NaN, infinite or beyond ±PLOT_LIMIT).
        self.undrawable = np.zeros(0, np.int64)

    def reset_counts(self) -> None:
        """Count the undrawable values again, from the oldest retained sample."""
        self.counted = 0
        self.undrawable = np.zeros(len(self.columns), np.int64)


class _DropPlot(pg.PlotWidget):  # type: ignore[misc]
    """A PlotWidget that accepts signals dragged from the browser."""

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


class PlotPanel(QWidget):
    """A live plot: a toolbar, a legend, and curves of any telemetry signals.

    Parameters
    ----------
    store : `TelemetryStore`
        Where the samples are.
    catalogue : `Catalogue`
        For units and element labels.
    origin : `float`
        Wall-clock time that is x = 0 (shared by the panels of an area).
    """

    #: Emitted when the panel's layout (signals or options) changes.
    changed = Signal()
    #: Emitted when the user asks to close the panel.
    close_requested = Signal()
    #: Emitted when the panel gets focus (becomes the target of "plot").
    activated = Signal()
    #: Emitted when the view changed and the panel wants a frame.
    redraw_needed = Signal()

    def __init__(
        self,
        store: TelemetryStore,
        catalogue: Catalogue,
        origin: float,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.store = store
        self.catalogue = catalogue
        self.origin = origin
        self.groups: dict[str, _Group] = {}
        self._order: dict[SignalRef, int] = {}
        self.window: float | None = 60.0
        self.paused = False
        self.auto_y = True
        self._rescale_y = True
        self.legend_wanted: bool | None = None
        self.title = ""
        self.frames = 0
        self.last_drawn_time = -math.inf
        #: Wall-clock time of x = 0 (the newest sample in live relative mode).
        self.x_offset = origin
        self._needs_redraw = True
        self._setting_range = False
        self._export_cancel: threading.Event | None = None
        #: Frames that raised (see `frame_failed`).
        self.frame_errors = 0
        self._shown_problems: tuple[int, int] = (0, 0)
        #: Fraction of the last CSV export written.
        self.export_fraction = 0.0
        self.axis = TimeAxis(origin)
        self.plot = _DropPlot(axisItems={"bottom": self.axis})
        self.plot.setObjectName("plot")
        self.plot.dropped.connect(lambda names: self.add_signal_names(names))
        self.item = self.plot.getPlotItem()
        self.item.setClipToView(False)
        self.item.setDownsampling(auto=False)
        self.item.addItem(GridLines(self.item), ignoreBounds=True)
        self.view = self.item.getViewBox()
        self.view.disableAutoRange()
        self.view.sigRangeChangedManually.connect(self._user_moved_view)
        self.view.sigXRangeChanged.connect(self._view_changed)
        self.legend = pg.LegendItem(offset=(10, 10), labelTextSize="8pt")
        self.legend.setParentItem(self.view)
        self._legend_samples: list[pg.PlotDataItem] = []
        self.crosshair = pg.InfiniteLine(angle=90, movable=False, pen=pg.mkPen("#888", width=1))
        self.readout = pg.TextItem(anchor=(0, 0), fill=pg.mkBrush(0, 0, 0, 150))
        self.readout.setZValue(100)
        for extra in (self.crosshair, self.readout):
            extra.setVisible(False)
            self.item.addItem(extra, ignoreBounds=True)
        self._mouse_proxy = pg.SignalProxy(
            self.plot.scene().sigMouseMoved, rateLimit=30, slot=self._mouse_moved
        )
        self._build_toolbar()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addLayout(self.toolbar)
        layout.addWidget(self.plot)
        self.setFocusPolicy(Qt.FocusPolicy.ClickFocus)

    # ------------------------------------------------------------------
    # Toolbar
    # ------------------------------------------------------------------
    def _button(self, text: str, tip: str, checkable: bool = False) -> QToolButton:
        button = QToolButton()
        button.setText(text)
        button.setToolTip(tip)
        button.setCheckable(checkable)
        button.setAutoRaise(True)
        self.toolbar.addWidget(button)
        return button

    def _build_toolbar(self) -> None:
        self.toolbar = QHBoxLayout()
        self.toolbar.setContentsMargins(4, 2, 4, 2)
        self.title_label = QLabel()
        self.title_label.setStyleSheet("font-weight: bold")
        self.toolbar.addWidget(self.title_label)
        self.toolbar.addStretch(1)
        self.window_box = QComboBox()
        self.window_box.addItems(list(WINDOWS))
        self.window_box.setCurrentText("1 min")
        self.window_box.setToolTip("Time window")
        self.window_box.currentTextChanged.connect(lambda t: self.set_window(WINDOWS[t]))
        self.toolbar.addWidget(self.window_box)
        self.time_box = QComboBox()
        self.time_box.addItems(["relative", "clock"])
        self.time_box.setToolTip("Time axis: seconds before the latest sample, or local time")
        self.time_box.currentTextChanged.connect(self.set_time_mode)
        self.toolbar.addWidget(self.time_box)
        self.pause_button = self._button("Pause", "Freeze the view (data keeps coming)", True)
        self.pause_button.toggled.connect(self.set_paused)
        self.auto_y_button = self._button("Auto Y", "Scale Y to the visible data", True)
        self.auto_y_button.setChecked(True)
        self.auto_y_button.toggled.connect(self.set_auto_y)
        self.cross_button = self._button("Cursor", "Crosshair with every curve's value", True)
        self.cross_button.toggled.connect(self.set_crosshair)
        self.legend_button = self._button("Legend", "Show the legend", True)
        self.legend_button.toggled.connect(self._legend_toggled)
        self.curves_button = self._button("Curves", "Remove curves")
        self.curves_menu = QMenu(self)
        self.curves_menu.aboutToShow.connect(self._fill_curves_menu)
        self.curves_button.setMenu(self.curves_menu)
        self.curves_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.export_button = self._button("Export", "Export the visible data or the picture")
        self.export_menu = QMenu(self)
        self.export_button.setMenu(self.export_menu)
        self.export_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        for kind, text in (
            ("csv", "Visible data as CSV…"),
            ("png", "Picture as PNG…"),
            ("svg", "Picture as SVG…"),
        ):
            action = QAction(text, self.export_menu)
            action.triggered.connect(lambda _=False, k=kind: self.ask_export(k))
            self.export_menu.addAction(action)
        self.undrawn_label = QLabel()
        self.undrawn_label.setStyleSheet("color: #d9822b")
        self.undrawn_label.setVisible(False)
        self.toolbar.addWidget(self.undrawn_label)
        self.status = QLabel()
        self.toolbar.addWidget(self.status)
        self.cancel_export_button = self._button("Cancel", "Stop the CSV export (no file is left)")
        self.cancel_export_button.clicked.connect(self.cancel_export)
        self.cancel_export_button.setVisible(False)
        close = self._button("✕", "Close this panel")
        close.clicked.connect(lambda: self.close_requested.emit())

    def _fill_curves_menu(self) -> None:
        menu = self.curves_menu
        menu.clear()
        for curve in self.curves():
            action = QAction(f"Remove {curve.label}", menu)
            action.triggered.connect(lambda _=False, s=curve.signal: self.remove_signal(s))
            menu.addAction(action)
        menu.addSeparator()
        clear = QAction("Clear panel", menu)
        clear.triggered.connect(self.clear)
        clear.setEnabled(bool(self.groups))
        menu.addAction(clear)

    # ------------------------------------------------------------------
    # Curves
    # ------------------------------------------------------------------
    def curves(self) -> list[Curve]:
        """Every curve, in the order added."""
        out = [c for g in self.groups.values() for c in g.curves]
        return sorted(out, key=lambda c: self._order.get(c.signal, 0))

    @property
    def signals(self) -> list[SignalRef]:
        """The plotted signals, in the order added."""
        return [c.signal for c in self.curves()]

    def add_signal_names(self, names: list[str]) -> list[SignalRef]:
        """Add curves by name; bad names are logged and skipped."""
        signals = []
        for name in names:
            try:
                signals.append(parse_signal(name, self.catalogue))
            except ValueError as error:
                log.warning("cannot plot %s", error)
        return self.add_signals(signals)

    def add_signals(self, signals: list[SignalRef]) -> list[SignalRef]:
        """Add curves (signals already shown are skipped); return those added."""
        present = set(self.signals)
        added = []
        for signal in signals:
            if signal in present:
                continue
            present.add(signal)
            added.append(signal)
            spec = self.catalogue.telemetry[signal.topic].fields[signal.field]
            label = signal.name
            if signal.index is not None:
                element = element_labels(spec)[signal.index]
                if not element.startswith("["):
                    label += f" {element}"
            group = self.groups.get(signal.topic)
            if group is None:
                group = self.groups[signal.topic] = _Group(signal.topic)
                self.item.addItem(group.item)
            group.curves.append(Curve(signal, label, spec.unit, QColor()))
            self._order[signal] = len(self._order)
        self._restyle()
        self.changed.emit()
        return added

    def remove_signal(self, signal: SignalRef) -> None:
        """Remove one curve."""
        group = self.groups.get(signal.topic)
        if group is None:
            return
        group.curves = [c for c in group.curves if c.signal != signal]
        if not group.curves:
            self.item.removeItem(group.item)
            del self.groups[signal.topic]
        self._restyle()
        self.changed.emit()

    def clear(self) -> None:
        """Remove every curve."""
        for group in self.groups.values():
            self.item.removeItem(group.item)
        self.groups.clear()
        self._order.clear()
        self._restyle()
        self.changed.emit()

    def _restyle(self) -> None:
        curves = self.curves()
        n = len(curves)
        for i, curve in enumerate(curves):
            curve.color = curve_color(i, n)
        for group in self.groups.values():
            group.columns = [self._column(c.signal) for c in group.curves]
            group.reset_counts()
            pens = [pg.mkPen(c.color, width=1) for c in group.curves]
            for pen in pens:
                pen.setCosmetic(True)
            group.item.set_pens(pens)
            group.version = -1
        units = sorted({c.unit for c in curves if c.unit})
        self.item.setLabel("left", ", ".join(units))
        self._rebuild_legend(curves)
        self._mark_dirty()
        self._show_title()

    def _column(self, signal: SignalRef) -> int:
        spec = self.catalogue.telemetry[signal.topic]
        column = 0
        for fname, fspec in spec.fields.items():
            if fname == signal.field:
                return column + (signal.index or 0)
            column += fspec.width
        raise KeyError(signal.name)

    def _rebuild_legend(self, curves: list[Curve]) -> None:
        show = self.legend_wanted if self.legend_wanted is not None else len(curves) <= LEGEND_LIMIT
        self.legend_button.blockSignals(True)
        self.legend_button.setChecked(show)
        self.legend_button.blockSignals(False)
        self._fill_legend(curves if show else [])
        self.legend.setVisible(show and bool(curves))

    def _fill_legend(self, curves: list[Curve]) -> None:
        """Build the legend's entries (only while it is shown: 78 entries cost)."""
        self.legend.clear()
        self._legend_samples = []
        for curve in curves:
            sample = pg.PlotDataItem(pen=pg.mkPen(curve.color, width=2))
            self._legend_samples.append(sample)
            self.legend.addItem(sample, curve.label)
        self.legend.setColumnCount(max(1, math.ceil(len(curves) / 12)))

    def _legend_toggled(self, on: bool) -> None:
        self.legend_wanted = on
        self._fill_legend(self.curves() if on else [])
        self.legend.setVisible(on and bool(self.groups))
        self.changed.emit()

    def _show_title(self) -> None:
        n = sum(len(g.curves) for g in self.groups.values())
        text = self.title or ("empty: drop signals here" if n == 0 else "")
        self.title_label.setText(f"{text}  ({n} curves)" if n else text)

    # ------------------------------------------------------------------
    # Options
    # ------------------------------------------------------------------
    def set_window(self, seconds: float | None) -> None:
        """Show the last ``seconds`` (None: all the history)."""
        self.window = seconds
        name = next((k for k, v in WINDOWS.items() if v == seconds), None)
        if name is not None and self.window_box.currentText() != name:
            self.window_box.setCurrentText(name)
        self._mark_dirty()
        self.changed.emit()

    def set_time_mode(self, mode: str) -> None:
        """Use "relative" (seconds before the latest sample) or "clock" time."""
        if self.time_box.currentText() != mode:
            self.time_box.setCurrentText(mode)
        if mode != self.axis.mode and mode == "clock":
            self._move_offset(self.origin)
        self.axis.set_mode(mode)
        self._mark_dirty()
        self.changed.emit()

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

    def set_paused(self, paused: bool) -> None:
        """Freeze the view; the buffers keep filling. Resuming follows live data."""
        self.paused = paused
        if self.pause_button.isChecked() != paused:
            self.pause_button.setChecked(paused)
        self.pause_button.setText("Resume" if paused else "Pause")
        self._mark_dirty()

    def set_auto_y(self, on: bool) -> None:
        """Scale Y to the visible data on every frame, or leave it to the user."""
        self.auto_y = on
        self._rescale_y = True
        if self.auto_y_button.isChecked() != on:
            self.auto_y_button.setChecked(on)
        self._mark_dirty()
        self.changed.emit()

    def set_crosshair(self, on: bool) -> None:
        """Show a vertical cursor reading out every curve's value."""
        if self.cross_button.isChecked() != on:
            self.cross_button.setChecked(on)
        self.crosshair.setVisible(on)
        self.readout.setVisible(on)

    def _user_moved_view(self, *args: Any) -> None:
        # Zooming or panning by hand freezes the view where the user put it.
        if not self.paused:
            self.set_paused(True)
        if self.auto_y and args and args[0] and len(args[0]) > 1 and args[0][1]:
            self.set_auto_y(False)

    def _view_changed(self, *args: Any) -> None:
        if not self._setting_range:
            self._mark_dirty()

    def _mark_dirty(self) -> None:
        self._needs_redraw = True
        self.redraw_needed.emit()

    # ------------------------------------------------------------------
    # Drawing
    # ------------------------------------------------------------------
    def newest_time(self) -> float | None:
        """The newest sample time of the panel's topics."""
        times = [
            b.last_time
            for topic in self.groups
            if (b := self.store.buffer(topic)) is not None and b.count
        ]
        return max(times) if times else None

    def refresh(self) -> bool:
        """Redraw if the data or the view changed; return whether it did."""
        versions_changed = any(
            (b := self.store.buffer(g.topic)) is not None and b.version != g.version
            for g in self.groups.values()
        )
        if self.paused:
            if not self._needs_redraw:
                return False
            x0, x1 = self.view.viewRange()[0]
            t0, t1 = x0 + self.x_offset, x1 + self.x_offset
        else:
            if not (versions_changed or self._needs_redraw):
                return False
            newest = self.newest_time()
            if newest is None:
                self._needs_redraw = False
                return False
            t1 = newest
            t0 = t1 - self.window if self.window is not None else self._oldest_time()
        self._draw(t0, t1)
        self._needs_redraw = False
        self.frames += 1
        return True

    def _oldest_time(self) -> float:
        times = [
            float(b.times()[0])
            for topic in self.groups
            if (b := self.store.buffer(topic)) is not None and b.count
        ]
        return min(times) if times else 0.0

    def _draw(self, t0: float, t1: float) -> None:
        width_px = max(100, int(self.view.width()) or 800)
        max_blocks = max(50, width_px // 2)
        lo, hi = math.inf, -math.inf
        newest = -math.inf
        if not self.paused:
            self.x_offset = t1 if self.axis.mode == "relative" else self.origin
            self.axis.offset = self.x_offset
        for group in self.groups.values():
            buffer = self.store.buffer(group.topic)
            if buffer is None or not buffer.count:
                group.item.set_data(np.empty(0), np.empty((0, len(group.columns))))
                continue
            a0, a1 = buffer.index_range(t0, t1)
            envelope = buffer.envelope(group.columns, max(a0 - 1, 0), a1, max_blocks)
            group.item.set_data(envelope.x - self.x_offset, envelope.y)
            group.version = buffer.version
            self._count_undrawable(group, buffer)
            if group.item.y_range is not None:
                lo = min(lo, group.item.y_range[0])
                hi = max(hi, group.item.y_range[1])
            if envelope.x.size:
                newest = max(newest, float(envelope.x[-1]))
        self._show_problems()  # cheap when nothing changed
        self.last_drawn_time = max(self.last_drawn_time, newest)
        self._setting_range = True
        try:
            if not self.paused:
                x_range = (t0 - self.x_offset, t1 - self.x_offset)
                if self.view.viewRange()[0] != list(x_range):
                    self.view.setXRange(*x_range, padding=0)
            if self.auto_y and math.isfinite(lo) and math.isfinite(hi):
                self._auto_y(lo, hi)
        finally:
            self._setting_range = False

    @staticmethod
    def _count_undrawable(group: _Group, buffer: TopicBuffer) -> None:
        """Count the undrawable values of the samples that arrived since the
        last frame (numpy over those rows only)."""
        raw = buffer.raw
        start = max(group.counted, raw.first)
        end = raw.next_index
        group.counted = end
        # Blocks of rows bound the temporaries when a whole history is counted
        # (a curve just added); a frame normally counts one or two rows.
        for a in range(raw.row_of(start), raw.row_of(end), COUNT_BLOCK):
            b = min(a + COUNT_BLOCK, raw.row_of(end))
            rows = raw.mins[a:b][:, group.columns]
            with np.errstate(invalid="ignore"):
                bad = np.count_nonzero(~(np.abs(rows) <= PLOT_LIMIT), axis=0)
            group.undrawable += bad

    @property
    def undrawable(self) -> int:
        """Values of the panel's curves not drawn: NaN, infinite or beyond
        ``±PLOT_LIMIT`` (among the samples retained when a curve was added, and
        every sample since)."""
        return int(sum(int(g.undrawable.sum()) for g in self.groups.values()))

    def frame_failed(self, error: BaseException) -> None:
        """Count a frame that raised ``error`` (the caller logs it) and show it."""
        self.frame_errors += 1
        self._needs_redraw = True  # try again on the next frame
        self._show_problems()

    def _show_problems(self) -> None:
        """Show the counts of undrawable values and failed frames, if any."""
        undrawable = self.undrawable
        if (undrawable, self.frame_errors) == self._shown_problems:
            return
        self._shown_problems = (undrawable, self.frame_errors)
        parts, tips = [], []
        if undrawable:
            parts.append(f"{undrawable} value{'s' if undrawable != 1 else ''} not drawn")
            tips.append("Values not drawn (NaN, infinite, or beyond ±1e300):")
            for group in self.groups.values():
                for curve, count in zip(group.curves, group.undrawable.tolist(), strict=True):
                    if count:
                        tips.append(f"  {curve.label}: {count}")
        if self.frame_errors:
            parts.append(f"{self.frame_errors} frame errors")
            tips.append(f"{self.frame_errors} frames failed (see the log)")
        self.undrawn_label.setText(", ".join(parts))
        self.undrawn_label.setToolTip("\n".join(tips[:41]))
        self.undrawn_label.setVisible(bool(parts))

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
        point = self.view.mapSceneToView(position)
        x = point.x()
        self.crosshair.setPos(x)
        t = x + self.x_offset
        lines = [time.strftime("%H:%M:%S", time.localtime(t)) + f".{int((t % 1) * 1000):03d}"]
        for group in self.groups.values():
            buffer = self.store.buffer(group.topic)
            if buffer is None or not buffer.count:
                continue
            _, values = buffer.value_at(t, group.columns)
            for curve, value in zip(group.curves, values, strict=True):
                lines.append(
                    f'<span style="color:{curve.color.name()}">{curve.label}</span>: '
                    f"{value:.6g} {curve.unit}"
                )
        self.readout.setHtml("<br>".join(lines[:40]))
        (x0, _), (_, y1) = self.view.viewRange()
        self.readout.setPos(x0, y1)

    def readout_text(self, t: float) -> dict[str, float]:
        """Every curve's value at time ``t`` (wall clock), as the crosshair shows."""
        out = {}
        for group in self.groups.values():
            buffer = self.store.buffer(group.topic)
            if buffer is None or not buffer.count:
                continue
            _, values = buffer.value_at(t, group.columns)
            for curve, value in zip(group.curves, values, strict=True):
                out[curve.signal.name] = float(value)
        return out

    def visible_range(self) -> tuple[float, float]:
        """The visible time range (wall clock)."""
        x0, x1 = self.view.viewRange()[0]
        return x0 + self.x_offset, x1 + self.x_offset

    # ------------------------------------------------------------------
    # Export
    # ------------------------------------------------------------------
    def ask_export(self, kind: str) -> QFileDialog:
        """Ask where to export (a non-blocking dialog), then export."""
        dialog = QFileDialog(self, f"Export {kind.upper()}")
        dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
        dialog.setDefaultSuffix(kind)
        dialog.setNameFilter(f"{kind.upper()} files (*.{kind})")
        dialog.fileSelected.connect(lambda path: self.export(kind, path))
        dialog.open()
        return dialog

    def export(self, kind: str, path: str) -> None:
        """Export to ``path``: "csv" runs in a worker thread with progress shown
        and a button to cancel it (an export still running is cancelled)."""
        if kind == "csv":
            self.cancel_export()
            cancel = self._export_cancel = threading.Event()
            self.export_fraction = 0.0
            self.status.setText("exporting 0%")
            self.cancel_export_button.setVisible(True)

            def progress(fraction: float) -> None:
                if cancel.is_set() or not shiboken6.isValid(self):
                    return
                self.export_fraction = fraction
                self.status.setText(f"exporting {fraction:.0%}")

            async def run() -> None:
                try:
                    rows = await export_csv(self, path, progress, cancel)
                except ExportCancelled:
                    log.info("CSV export to %s cancelled", path)
                    self._export_ended(cancel, "export cancelled")
                except OSError as error:
                    log.error("CSV export to %s failed: %s", path, error)
                    self._export_ended(cancel, "export failed")
                else:
                    log.info("exported %d rows of %d curves to %s", rows, len(self.curves()), path)
                    self._export_ended(cancel, f"{rows} rows exported")

            self.export_task = spawn(run(), "CSV export")
        elif kind == "png":
            ok = export_png(self, path)
            log.log(
                logging.INFO if ok else logging.ERROR,
                "PNG export to %s: %s",
                path,
                "done" if ok else "failed",
            )
        else:
            export_svg(self, path)
            log.info("SVG export to %s: done", path)

    def cancel_export(self) -> None:
        """Stop the CSV export in progress, if any (it leaves no file)."""
        cancel, self._export_cancel = self._export_cancel, None
        if cancel is not None:
            cancel.set()
            self.status.setText("cancelling export…")
            self.cancel_export_button.setVisible(False)

    def _export_ended(self, cancel: threading.Event, text: str) -> None:
        if not shiboken6.isValid(self):
            return  # the panel was closed meanwhile
        if self._export_cancel is cancel:
            self._export_cancel = None
        if self._export_cancel is None:  # not replaced by a newer export
            self.cancel_export_button.setVisible(False)
            self.status.setText(text)

    # ------------------------------------------------------------------
    # Layout
    # ------------------------------------------------------------------
    def to_layout(self) -> PanelLayout:
        """This panel as a `PanelLayout`."""
        y_range = None
        if not self.auto_y:
            lo, hi = self.view.viewRange()[1]
            y_range = (float(lo), float(hi))
        return PanelLayout(
            signals=[s.name for s in self.signals],
            window=self.window,
            time_mode=self.axis.mode,
            auto_y=self.auto_y,
            y_range=y_range,
            legend=self.legend_wanted,
            title=self.title,
        )

    def apply_layout(self, layout: PanelLayout) -> None:
        """Show the signals and options of a `PanelLayout`."""
        self.clear()
        self.title = layout.title
        self.legend_wanted = layout.legend
        self.add_signal_names(layout.signals)
        self.set_window(layout.window)
        self.set_time_mode(layout.time_mode)
        self.set_auto_y(layout.auto_y)
        if layout.y_range is not None and not layout.auto_y:
            self.view.setYRange(*layout.y_range, padding=0)

    def focusInEvent(self, event: Any) -> None:
        self.activated.emit()
        super().focusInEvent(event)

    def mousePressEvent(self, event: Any) -> None:
        self.activated.emit()
        super().mousePressEvent(event)
