"""`PlotArea`: the plot panels, one display-rate refresh timer, layouts."""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable

from PySide6.QtCore import QSettings, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QDoubleSpinBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from m2gui.model.catalogue import Catalogue
from m2gui.model.long_history import LongHistory
from m2gui.model.plot_layout import PanelLayout, PlotLayout
from m2gui.model.plot_panel import DiskHistory, PanelModel
from m2gui.model.telemetry import TelemetryStore
from m2gui.net.ratelog import RateLimitedLog

from ..bridge import listen
from .history_fetch import HistoryFetcher
from .navigator import TimeNavigator
from .panel import PlotPanel

__all__ = ["SPANS_EVERY", "PlotArea"]

#: Seconds between two looks at the long history's spans (sooner while a
#: panel's topic has none yet: every `SPANS_MISSING_EVERY`).
SPANS_EVERY = 30.0
SPANS_MISSING_EVERY = 5.0

log = logging.getLogger(__name__)
_frame_log = RateLimitedLog(log)


class PlotArea(QWidget):
    """Plot panels stacked in a splitter, added and removed by the user.

    Redraws are driven by one single-shot `QTimer`, started when new samples
    arrive (or a view changes) and never sooner than one display period after
    the previous frame: frames follow the data with little delay and never
    exceed the display rate. A panel redraws only when its data or its view
    changed.

    Parameters
    ----------
    store : `TelemetryStore`
        The telemetry history.
    catalogue : `Catalogue`
        Protocol catalogue.
    refresh_hz : `float`
        Display refresh rate (default 30).
    settings : `QSettings`, optional
        Where the panels remember their export folder (default: m2gui's
        settings file, opened at the first export).
    long_history : callable, optional
        Returns the long history (the recording on disk) or None; looked at
        every second (``lambda: session.long_history``). With one, panels
        draw ranges older than memory from it (read off the GUI thread), the
        window choices reach 12 hours, and the time navigator is shown.
    """

    #: Emitted when panels, signals or options change.
    layout_changed = Signal()

    def __init__(
        self,
        store: TelemetryStore,
        catalogue: Catalogue,
        refresh_hz: float = 30.0,
        parent: QWidget | None = None,
        settings: QSettings | None = None,
        long_history: Callable[[], LongHistory | None] | None = None,
    ) -> None:
        super().__init__(parent)
        self.settings = settings
        self.store = store
        self.catalogue = catalogue
        self.origin = time.time()
        #: The long history as the panels know it (shared by their models).
        self.disk = DiskHistory()
        #: Runs every long-history query, off the GUI thread.
        self.fetcher = HistoryFetcher(self)
        self._long_history = long_history
        self._spans_asked = -math.inf
        self._spans_serial = 0
        self.navigator = TimeNavigator(store, catalogue, self.disk, self.fetcher, self.origin)
        self.navigator.setObjectName("time_navigator")
        self.navigator.setVisible(False)
        self.navigator.range_dragged.connect(self._navigator_dragged)
        self.navigator.live_toggled.connect(self._navigator_live)
        self.panels: list[PlotPanel] = []
        self.current: PlotPanel | None = None
        self.splitter = QSplitter(Qt.Orientation.Vertical)
        self.splitter.setChildrenCollapsible(False)
        add = QPushButton("+ Panel")
        add.setToolTip("Add an empty plot panel")
        add.clicked.connect(lambda: self.add_panel())
        self.rate_box = QDoubleSpinBox()
        self.rate_box.setRange(1, 120)
        self.rate_box.setDecimals(0)
        self.rate_box.setSuffix(" Hz")
        self.rate_box.setToolTip("Display refresh rate")
        self.rate_box.valueChanged.connect(self.set_refresh_rate)
        self.memory = QLabel()
        self.memory.setToolTip("Memory held by the telemetry history")
        bar = QHBoxLayout()
        bar.setContentsMargins(4, 2, 4, 2)
        bar.addWidget(add)
        bar.addStretch(1)
        bar.addWidget(self.memory)
        bar.addWidget(QLabel("refresh"))
        bar.addWidget(self.rate_box)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(bar)
        layout.addWidget(self.navigator)
        layout.addWidget(self.splitter, 1)
        self.timer = QTimer(self)
        self.timer.setSingleShot(True)
        self.timer.setTimerType(Qt.TimerType.PreciseTimer)
        self.timer.timeout.connect(self.refresh)
        self.frames = 0
        #: Panel frames that raised, over all panels.
        self.frame_errors = 0
        self.live = True
        self._last_frame = 0.0
        self._last_memory = 0.0
        self.set_refresh_rate(refresh_hz)
        # New data asks for a frame; request_frame paces frames at the refresh rate.
        self.data_listener = listen(
            self, store.arrived, self._data_arrived, mode="poke", interval_ms=0
        )
        self.memory_timer = QTimer(self)
        self.memory_timer.setInterval(1000)
        self.memory_timer.timeout.connect(self._show_memory)
        self.memory_timer.timeout.connect(self.follow_long_history)
        self.memory_timer.start()
        self.disk.changed.connect(self._disk_changed)
        self.follow_long_history()

    # ------------------------------------------------------------------
    def set_refresh_rate(self, hz: float) -> None:
        """Redraw at most ``hz`` times a second."""
        self.refresh_hz = float(hz)
        if self.rate_box.value() != hz:
            self.rate_box.setValue(hz)
        self.layout_changed.emit()

    def set_live(self, live: bool) -> None:
        """Redraw on new data (True), or only when `refresh` is called (tests)."""
        self.live = live
        if not live:
            self.timer.stop()

    def request_frame(self) -> None:
        """Schedule a redraw, one display period after the previous at the soonest."""
        if not self.live or self.timer.isActive():
            return
        wait = self._last_frame + 1.0 / self.refresh_hz - time.monotonic()
        self.timer.start(max(0, int(wait * 1000)))

    def _data_arrived(self) -> None:
        if not self.timer.isActive() and self.live:
            self.request_frame()

    def refresh(self) -> None:
        """Redraw the panels whose data or view changed.

        A panel whose frame raises is counted (`frame_errors`, and on the
        panel), logged with a rate limit, and skipped: the others still draw.
        """
        self._last_frame = time.monotonic()
        for panel in self.panels:
            if not panel.isVisible():
                continue
            try:
                drawn = panel.refresh()
            except Exception as error:
                self.frame_errors += 1
                panel.frame_failed(error)
                _frame_log(
                    logging.ERROR,
                    f"frame:{type(error).__name__}",
                    f"plot panel {panel.objectName()} ({panel.model.title or 'untitled'}): "
                    f"frame failed ({panel.frame_errors} so far): {error!r}",
                    exc_info=True,
                )
                continue
            if drawn:
                self.frames += 1
        if self.navigator.isVisible():
            self.navigator.show_view(
                [p.model.view_range for p in self.panels],
                bool(self.panels) and not any(p.model.paused for p in self.panels),
            )

    # ------------------------------------------------------------------
    # The long history
    # ------------------------------------------------------------------
    def follow_long_history(self) -> None:
        """Pick up the long history if it changed, and look at its spans now and then."""
        if self._long_history is not None:
            source = self._long_history()
            if source is not self.disk.source:
                self.set_long_history(source)
                return
        if self.disk.source is None:
            return
        missing = any(t not in self.disk.spans for p in self.panels for t in p.model.groups)
        every = SPANS_MISSING_EVERY if missing else SPANS_EVERY
        if time.monotonic() - self._spans_asked >= every:
            self.ask_spans()

    def set_long_history(self, source: LongHistory | None) -> None:
        """Draw ranges older than memory from ``source`` (None: memory only)."""
        self.disk.set_source(source)
        if source is not None:
            self.ask_spans()

    def ask_spans(self) -> None:
        """Ask the long history (off the GUI thread) where each topic starts and ends."""
        source = self.disk.source
        if source is None:
            return
        self._spans_asked = time.monotonic()
        self._spans_serial += 1
        topics = list(self.catalogue.telemetry)
        disk = self.disk

        def spans() -> dict[str, tuple[float, float] | None]:
            return {topic: source.span(topic) for topic in topics}

        def arrived(tag: object, result: object, error: BaseException | None) -> None:
            if isinstance(result, dict):
                disk.set_spans(source, result)

        self.fetcher.fetch(("spans",), (id(source), self._spans_serial), spans, arrived)

    def _disk_changed(self) -> None:
        self.navigator.setVisible(self.disk.available)
        for panel in self.panels:
            panel.request_redraw()
        self.navigator.refresh_overview()

    def _navigator_dragged(self, t0: float, t1: float) -> None:
        for panel in self.panels:
            panel.model.hold(t0, t1)

    def _navigator_live(self, live: bool) -> None:
        self.pause_all(not live)

    def _update_navigator(self) -> None:
        self.navigator.set_panels([p.model.signals for p in self.panels])

    def shutdown(self) -> None:
        """Stop the long-history worker and the timers (the window is closing)."""
        self.memory_timer.stop()
        self.timer.stop()
        self.navigator.release()
        self.fetcher.close()

    def _show_memory(self) -> None:
        bad = self.store.bad_values
        text = f"history {self.store.nbytes / 2**20:.1f} MiB"
        if bad:
            text += f", {bad} bad values"
        self.memory.setText(text)

    def add_panel(self, layout: PanelLayout | None = None) -> PlotPanel:
        """Add a panel (empty, or as ``layout`` says) and make it current."""
        model = PanelModel(self.store, self.catalogue, self.disk)
        if layout is not None:
            model.apply_layout(layout)
        panel = PlotPanel(model, self.origin, settings=self.settings)
        panel.set_history(self.fetcher)
        panel.setObjectName(f"plot_panel_{len(self.panels)}")
        panel.close_requested.connect(lambda: self.remove_panel(panel))
        panel.activated.connect(lambda: self._set_current(panel))
        panel.redraw_needed.connect(self.request_frame)
        model.changed.connect(self._panel_changed)
        self.panels.append(panel)
        self.splitter.addWidget(panel)
        self._set_current(panel)
        self._update_navigator()
        self.layout_changed.emit()
        return panel

    def remove_panel(self, panel: PlotPanel) -> None:
        """Remove a panel."""
        if panel not in self.panels:
            return
        self.panels.remove(panel)
        panel.model.changed.disconnect(self._panel_changed)
        panel.release()
        key = panel.disk_parts.key
        self.fetcher.forget(lambda k: not (isinstance(k, tuple) and k[0] == key))
        panel.hide()
        panel.setParent(None)
        panel.deleteLater()
        if self.current is panel:
            self.current = self.panels[-1] if self.panels else None
        self._update_navigator()
        self.layout_changed.emit()

    def _panel_changed(self, what: str) -> None:
        if what == "signals":
            self._update_navigator()
        self.layout_changed.emit()

    def _set_current(self, panel: PlotPanel) -> None:
        self.current = panel
        for p in self.panels:
            p.toolbar.set_current(p is panel)

    def pause_all(self, paused: bool) -> None:
        """Pause every panel (True) or have every panel follow live data again (False)."""
        for panel in self.panels:
            panel.model.set_paused(paused)

    @property
    def all_paused(self) -> bool:
        """Whether there are panels and every one is paused (for a "pause all" toggle)."""
        return bool(self.panels) and all(p.model.paused for p in self.panels)

    def select_panel(self, step: int) -> PlotPanel | None:
        """Make the panel ``step`` places after the current one (before it if
        negative, wrapping around) current, and give it the keyboard focus.

        Returns the panel now current (None: there are no panels).
        """
        if not self.panels:
            return None
        if self.current in self.panels:
            index = (self.panels.index(self.current) + step) % len(self.panels)
        else:
            index = 0 if step >= 0 else len(self.panels) - 1
        panel = self.panels[index]
        self._set_current(panel)
        panel.setFocus(Qt.FocusReason.OtherFocusReason)
        return panel

    def plot(self, names: list[str]) -> PlotPanel:
        """Add signals to the current panel (a new one if there is none)."""
        panel = self.current or self.add_panel()
        panel.model.add_signal_names(names)
        return panel

    # ------------------------------------------------------------------
    def to_layout(self) -> PlotLayout:
        """All panels as a `PlotLayout`."""
        return PlotLayout(
            panels=[p.model.to_layout() for p in self.panels], refresh_hz=self.refresh_hz
        )

    def apply_layout(self, layout: PlotLayout) -> None:
        """Replace the panels with those of ``layout``."""
        for panel in list(self.panels):
            self.remove_panel(panel)
        for panel_layout in layout.panels:
            self.add_panel(panel_layout)
        self.set_refresh_rate(layout.refresh_hz)
        if self.panels:
            self._set_current(self.panels[0])

    def save_layout(self, path: str) -> None:
        """Write the layout to a JSON file."""
        self.to_layout().save(path)
        log.info("plot layout saved to %s", path)

    def load_layout(self, path: str) -> bool:
        """Read a layout file; a bad file is logged and changes nothing."""
        try:
            layout = PlotLayout.load(path, self.catalogue)
        except (OSError, ValueError) as error:
            log.error("cannot load plot layout %s: %s", path, error)
            return False
        self.apply_layout(layout)
        log.info("plot layout loaded from %s", path)
        return True
