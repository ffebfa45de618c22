"""`PanelModel`: what one plot panel shows, Qt-free.

The signals and their columns, the title, the time window and time mode,
paused or live, the Y scaling, the visible data, and the panel's layout. A
view (``m2gui.ui.plots.panel.PlotPanel``) draws it and listens to its
signals; each is emitted after the state changed, with what changed.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from psygnal import Signal as EventSignal

from .catalogue import Catalogue, FieldSpec, TopicSpec
from .long_history import LongHistory
from .plot_layout import TIME_MODES, WINDOWS, PanelLayout
from .plot_limits import UndrawableCount
from .plot_table import Table, signals_table
from .signals import Signal, element_labels, parse_signal
from .telemetry import RowParser, TelemetryStore, TopicBuffer

__all__ = [
    "DISK_GRID",
    "LEGEND_LIMIT",
    "LONG_WINDOWS",
    "TITLE_LIMIT",
    "DiskHistory",
    "PanelCurve",
    "PanelModel",
    "TopicCurves",
    "clean_title",
    "disk_range",
    "layout_column",
    "window_choices",
]

log = logging.getLogger(__name__)

#: Legends with more curves than this start hidden.
LEGEND_LIMIT = 16
#: Characters kept of a panel title.
TITLE_LIMIT = 100

TimeRange = tuple[float, float]

#: Time windows offered beside `WINDOWS` when a long history (a recording on disk) is there.
LONG_WINDOWS: dict[str, float] = {"1 h": 3600.0, "6 h": 21600.0, "12 h": 43200.0}
#: A view asks the long history for its range widened to a grid of 1/DISK_GRID of its width.
DISK_GRID = 16


def window_choices(long_history: bool, current: float | None = None) -> dict[str, float | None]:
    """The time windows to offer, by name, shortest first and "all" last.

    The long ones (`LONG_WINDOWS`) only with a long history, or when the
    panel already shows one of them (a layout saved with one).
    """
    short: list[tuple[str, float | None]] = [(k, v) for k, v in WINDOWS.items() if v is not None]
    rest: list[tuple[str, float | None]] = [(k, v) for k, v in WINDOWS.items() if v is None]
    long: list[tuple[str, float | None]] = []
    if long_history or current in LONG_WINDOWS.values():
        long = list(LONG_WINDOWS.items())
    return dict(short + long + rest)


def disk_range(
    t0: float, t1: float, boundary: float, max_blocks: int
) -> tuple[float, float, int] | None:
    """What to ask the long history for to draw ``[t0, t1]`` when memory starts at ``boundary``.

    Parameters
    ----------
    t0, t1 : `float`
        The time range in view.
    boundary : `float`
        The time of the oldest sample in memory (``inf`` if memory has none).
    max_blocks : `int`
        Blocks the view draws over its whole width.

    Returns
    -------
    query : tuple or None
        None if memory holds the whole view (or the view is empty). Else
        ``(start, end, blocks)``: the part of the view older than
        ``boundary``, widened outward to a grid of 1/`DISK_GRID` of the view's
        width (so that a live view, whose start moves every frame, asks again
        only once it moved that much, and a held view never), and the blocks
        that give it at least the view's resolution (in steps of a quarter
        octave: resizing by a few pixels does not ask again).
    """
    if not (math.isfinite(t0) and math.isfinite(t1) and t0 < t1 and t0 < boundary):
        return None
    step = (t1 - t0) / DISK_GRID
    end = min(t1, boundary)
    start = math.floor(t0 / step) * step
    stop = math.ceil(end / step) * step
    if stop <= start:  # rounding at huge times
        stop = start + step
    # Blocks in quarter-octave steps: a panel resized by a few pixels asks again only
    # once its resolution changed by a fifth.
    blocks = max(16.0, max_blocks * (stop - start) / (t1 - t0))
    return start, stop, math.ceil(2.0 ** (math.ceil(math.log2(blocks) * 4) / 4))


def layout_column(spec: TopicSpec, signal: Signal) -> int:
    """The column of ``signal`` in its topic's rows, as every `TopicBuffer` of
    the topic lays them out (for a topic not in memory)."""
    columns = RowParser(spec, log_bad=False).columns
    return int(columns[signal.field].start) + (signal.index or 0)


class DiskHistory:
    """The long history as the GUI thread knows it; shared by the panels of an area.

    `source` (a `LongHistory`, which may read the disk) is only ever queried
    off the GUI thread; `spans` are the topics' spans on disk it reported
    last (`set_spans`), so that time ranges are worked out without waiting.
    """

    #: The source or the spans changed.
    changed = EventSignal()

    def __init__(self) -> None:
        self.source: LongHistory | None = None
        #: First and last sample time on disk, per topic.
        self.spans: dict[str, TimeRange] = {}

    @property
    def available(self) -> bool:
        """Whether there is a long history."""
        return self.source is not None

    def set_source(self, source: LongHistory | None) -> None:
        """Use ``source`` (None: memory only); its spans are not known yet."""
        if source is self.source:
            return
        self.source = source
        self.spans = {}
        self.changed.emit()

    def set_spans(self, source: LongHistory, spans: Mapping[str, TimeRange | None]) -> None:
        """The spans ``source`` reported (ignored if it is no longer the source)."""
        if source is not self.source:
            return
        clean = {
            topic: (float(span[0]), float(span[1]))
            for topic, span in spans.items()
            if span is not None and math.isfinite(span[0]) and span[0] <= span[1]
        }
        if clean != self.spans:
            self.spans = clean
            self.changed.emit()

    def first_time(self, topics: Iterable[str]) -> float | None:
        """The oldest sample time on disk of ``topics`` (None: none on disk)."""
        times = [s[0] for t in topics if (s := self.spans.get(t)) is not None]
        return min(times) if times else None

    def last_time(self, topics: Iterable[str]) -> float | None:
        """The newest sample time on disk of ``topics`` (None: none on disk)."""
        times = [s[1] for t in topics if (s := self.spans.get(t)) is not None]
        return max(times) if times else None


def clean_title(title: str) -> str:
    """A panel title as kept: one line, spaces collapsed, at most `TITLE_LIMIT` characters."""
    return " ".join(title.split())[:TITLE_LIMIT].strip()


@dataclass(frozen=True)
class PanelCurve:
    """One signal on a panel, with what a legend says about it."""

    signal: Signal
    label: str
    unit: str
    #: The catalogue's field (precision and unit of the values).
    spec: FieldSpec | None = None

    def format(self, value: float) -> str:
        """``value`` at the catalogue's precision, with the unit (``"12.3 N"``)."""
        if self.spec is not None:
            return self.spec.format_number(value)
        return f"{value:g} {self.unit}" if self.unit else f"{value:g}"


class TopicCurves:
    """The curves of one topic on a panel, and their undrawable values.

    Parameters
    ----------
    topic : `str`
        The telemetry topic.
    """

    def __init__(self, topic: str) -> None:
        self.topic = topic
        self.curves: list[PanelCurve] = []
        #: Undrawable values per curve (see `count_undrawable`).
        self.undrawable = UndrawableCount()
        self._buffer: TopicBuffer | None = None
        self._columns: list[int] = []
        self._layout_columns: list[int] | None = None

    def columns(self, buffer: TopicBuffer) -> list[int]:
        """The curves' columns in ``buffer``, as the buffer lays them out.

        Looked up from the buffer once (again only if the curves or the
        buffer change), never worked out here.
        """
        if buffer is not self._buffer:
            self._columns = [buffer.column(c.signal) for c in self.curves]
            self._buffer = buffer
            self.undrawable.reset(len(self.curves))
        return self._columns

    def layout_columns(self, spec: TopicSpec) -> list[int]:
        """The curves' columns in the topic's row layout, without a buffer
        (the topic is on disk only): as every buffer of it lays them out."""
        if self._layout_columns is None:
            self._layout_columns = [layout_column(spec, c.signal) for c in self.curves]
        return self._layout_columns

    def count_undrawable(self, buffer: TopicBuffer) -> None:
        """Count the undrawable values of the samples that arrived since the last count."""
        self.undrawable.update(buffer, self.columns(buffer))

    def curves_changed(self) -> None:
        """The curves changed: look the columns up again and count again."""
        self._buffer = None
        self._columns = []
        self._layout_columns = None
        self.undrawable.reset(len(self.curves))


class PanelModel:
    """One plot panel's state, Qt-free.

    Parameters
    ----------
    store : `TelemetryStore`
        Where the samples are.
    catalogue : `Catalogue`
        For signal names, units and element labels.
    disk : `DiskHistory`, optional
        The long history (shared by the panels of an area); default: none.
    """

    #: Something saved in the layout changed: "signals", "title", "window",
    #: "time_mode", "auto_y", "y_range" or "legend".
    changed = EventSignal(str)
    #: Curves were added or removed: (added, removed), tuples of `Signal`.
    curves_changed = EventSignal(tuple, tuple)
    #: The title changed (the new title).
    title_changed = EventSignal(str)
    #: The time window changed (seconds, or None for all the history).
    window_changed = EventSignal(object)
    #: The time mode changed ("relative" or "clock").
    time_mode_changed = EventSignal(str)
    #: Paused (True) or following live data again (False).
    paused_changed = EventSignal(bool)
    #: While paused, the time range held in view changed: (t0, t1), wall clock.
    held_range_changed = EventSignal(float, float)
    #: Y scales to the visible data (True) or stays where the user put it.
    auto_y_changed = EventSignal(bool)
    #: The fixed Y range changed: (low, high), or None.
    y_range_changed = EventSignal(object)
    #: The legend choice changed: True, False, or None (shown for few curves).
    legend_changed = EventSignal(object)

    def __init__(
        self, store: TelemetryStore, catalogue: Catalogue, disk: DiskHistory | None = None
    ) -> None:
        self.store = store
        self.catalogue = catalogue
        #: The long history: older samples than memory holds, on disk.
        self.disk = disk if disk is not None else DiskHistory()
        #: Curves by topic (a topic's curves are drawn and counted together).
        self.groups: dict[str, TopicCurves] = {}
        self._curves: list[PanelCurve] = []
        self.title = ""
        #: Seconds shown, ending at the newest sample (None: all the history).
        self.window: float | None = 60.0
        self.time_mode = "relative"
        self.paused = False
        self.auto_y = True
        #: The fixed Y range while auto-Y is off (None: not known yet, or auto-Y).
        self.y_range: TimeRange | None = None
        #: Legend shown (True), hidden (False), or shown for few curves (None).
        self.legend: bool | None = None
        #: The time range in view (wall clock): the live window as of the last
        #: `next_view_range`, or the range held while paused.
        self.view_range: TimeRange | None = None

    # ------------------------------------------------------------------
    # Signals
    # ------------------------------------------------------------------
    def curves(self) -> list[PanelCurve]:
        """Every curve, in the order added."""
        return list(self._curves)

    @property
    def signals(self) -> list[Signal]:
        """The plotted signals, in the order added."""
        return [c.signal for c in self._curves]

    def add_signal_names(self, names: Iterable[str]) -> list[Signal]:
        """Add curves by name; bad names are logged and skipped. Return those added."""
        signals = []
        for name in names:
            try:
                signals.append(parse_signal(name, self.catalogue))
            except ValueError as error:
                log.warning("cannot plot %s", error)
        return self.add_signals(signals)

    def add_signals(self, signals: Iterable[Signal]) -> list[Signal]:
        """Add curves (signals already shown are skipped); return those added."""
        present = set(self.signals)
        added: list[Signal] = []
        for signal in signals:
            if signal in present:
                continue
            spec = self.catalogue.telemetry[signal.topic].fields[signal.field]
            label = signal.name
            if signal.index is not None:
                element = element_labels(spec)[signal.index]
                if not element.startswith("["):
                    label += f" {element}"
            curve = PanelCurve(signal, label, spec.unit, spec)
            present.add(signal)
            added.append(signal)
            self._curves.append(curve)
            group = self.groups.get(signal.topic)
            if group is None:
                group = self.groups[signal.topic] = TopicCurves(signal.topic)
            group.curves.append(curve)
            group.curves_changed()
        if added:
            self._curves_changed(tuple(added), ())
        return added

    def remove_signal(self, signal: Signal) -> None:
        """Remove one curve (nothing happens if it is not shown)."""
        group = self.groups.get(signal.topic)
        if group is None or signal not in [c.signal for c in group.curves]:
            return
        self._curves = [c for c in self._curves if c.signal != signal]
        group.curves = [c for c in group.curves if c.signal != signal]
        group.curves_changed()
        if not group.curves:
            del self.groups[signal.topic]
        self._curves_changed((), (signal,))

    def clear(self) -> None:
        """Remove every curve."""
        removed = tuple(self.signals)
        self._curves = []
        self.groups.clear()
        if removed:
            self._curves_changed((), removed)

    def _curves_changed(self, added: tuple[Signal, ...], removed: tuple[Signal, ...]) -> None:
        self.curves_changed.emit(added, removed)
        self.changed.emit("signals")

    def legend_labels(self) -> list[str]:
        """The curves' labels for the legend: without the topic when every
        curve is of the same topic (``ring[3]`` for ``temperature.ring[3]``)."""
        if len(self.groups) == 1:
            return [c.label.split(".", 1)[-1] for c in self._curves]
        return [c.label for c in self._curves]

    @property
    def legend_shown(self) -> bool:
        """Whether the legend is shown: as chosen, else when there are few curves."""
        if self.legend is not None:
            return self.legend
        return len(self._curves) <= LEGEND_LIMIT

    # ------------------------------------------------------------------
    # Options
    # ------------------------------------------------------------------
    def set_title(self, title: str) -> None:
        """Name the panel (kept as `clean_title` makes it: one line, bounded)."""
        title = clean_title(title)
        if title != self.title:
            self.title = title
            self.title_changed.emit(title)
            self.changed.emit("title")

    def set_window(self, seconds: float | None) -> None:
        """Show the last ``seconds`` (None: all the history).

        Raises
        ------
        ValueError
            If ``seconds`` is not a positive finite number or None.
        """
        if seconds is not None and not (math.isfinite(seconds) and seconds > 0):
            raise ValueError(f"window must be a positive number of seconds or None: {seconds!r}")
        if seconds != self.window:
            self.window = seconds
            self.window_changed.emit(seconds)
            self.changed.emit("window")

    def set_time_mode(self, mode: str) -> None:
        """Label time as "relative" (seconds before the latest sample) or "clock".

        Raises
        ------
        ValueError
            If ``mode`` is neither.
        """
        if mode not in TIME_MODES:
            raise ValueError(f"time mode must be one of {TIME_MODES}, not {mode!r}")
        if mode != self.time_mode:
            self.time_mode = mode
            self.time_mode_changed.emit(mode)
            self.changed.emit("time_mode")

    def set_paused(self, paused: bool) -> None:
        """Freeze the view where it is (the store keeps filling), or follow live data."""
        if paused == self.paused:
            return
        self.paused = paused
        if paused and self.view_range is None:
            self.view_range = self.live_range()
        self.paused_changed.emit(paused)

    def hold(self, t0: float, t1: float) -> None:
        """Hold the time range ``[t0, t1]`` in view (pausing): the user moved the view."""
        held = (float(t0), float(t1))
        was_paused = self.paused
        moved = held != self.view_range
        self.view_range = held
        self.paused = True
        if not was_paused:
            self.paused_changed.emit(True)
        if moved:
            self.held_range_changed.emit(*held)

    def set_auto_y(self, on: bool) -> None:
        """Scale Y to the visible data on every frame (True), or keep a fixed range."""
        if on == self.auto_y:
            return
        self.auto_y = on
        self.auto_y_changed.emit(on)
        self.changed.emit("auto_y")
        if on:
            self.set_y_range(None)

    def set_y_range(self, y_range: tuple[float, float] | None) -> None:
        """The fixed Y range (used while auto-Y is off)."""
        if y_range is not None:
            y_range = (float(y_range[0]), float(y_range[1]))
        if y_range != self.y_range:
            self.y_range = y_range
            self.y_range_changed.emit(y_range)
            self.changed.emit("y_range")

    def set_legend(self, legend: bool | None) -> None:
        """Show the legend (True), hide it (False), or show it for few curves (None)."""
        if legend != self.legend:
            self.legend = legend
            self.legend_changed.emit(legend)
            self.changed.emit("legend")

    # ------------------------------------------------------------------
    # Time
    # ------------------------------------------------------------------
    @property
    def gap(self) -> float:
        """Seconds without a sample of a topic drawn (and exported) as a gap."""
        return self.store.gap

    def _buffers(self) -> list[TopicBuffer]:
        return [
            b for topic in self.groups if (b := self.store.buffer(topic)) is not None and b.count
        ]

    def newest_time(self) -> float | None:
        """The newest sample time of the panel's topics in memory (None: no
        samples), or, if memory has none, on disk."""
        times = [b.last_time for b in self._buffers()]
        return max(times) if times else self.disk.last_time(self.groups)

    def oldest_time(self) -> float | None:
        """The oldest sample time of the panel's topics, in memory or on disk
        (None: no samples)."""
        times = [float(b.times()[0]) for b in self._buffers()]
        first = self.disk.first_time(self.groups)
        if first is not None:
            times.append(first)
        return min(times) if times else None

    def live_range(self) -> TimeRange | None:
        """The window ending at the newest sample (None: no samples)."""
        t1 = self.newest_time()
        if t1 is None:
            return None
        if self.window is not None:
            return t1 - self.window, t1
        t0 = self.oldest_time()
        return (t0 if t0 is not None else t1), t1

    def next_view_range(self) -> TimeRange | None:
        """The time range to show now, remembered in `view_range`.

        The held range while paused, else the live window.
        """
        if not self.paused or self.view_range is None:
            self.view_range = self.live_range()
        return self.view_range

    def visible_range(self) -> TimeRange | None:
        """The time range in view (None: nothing was ever in view and no samples)."""
        return self.view_range if self.view_range is not None else self.live_range()

    # ------------------------------------------------------------------
    # Data
    # ------------------------------------------------------------------
    def visible_table(self) -> Table:
        """The samples of the panel's signals in the visible range (what export writes)."""
        span = self.visible_range()
        t0, t1 = span if span is not None else (math.inf, -math.inf)
        return signals_table(self.store, self.signals, t0, t1)

    def values_at(self, t: float, within: float = math.inf) -> list[tuple[PanelCurve, float]]:
        """Every curve's sample nearest to time ``t``.

        Curves without samples, or whose nearest sample is more than
        ``within`` seconds from ``t`` (``t`` is in a gap: pass `gap`), are
        left out.
        """
        out: list[tuple[PanelCurve, float]] = []
        for group in self.groups.values():
            buffer = self.store.buffer(group.topic)
            if buffer is None or not buffer.count:
                continue
            when, values = buffer.value_at(t, group.columns(buffer))
            if abs(when - t) <= within:
                out.extend(zip(group.curves, values.tolist(), strict=True))
        return out

    @property
    def undrawable(self) -> int:
        """Values of the panel's curves not drawn: NaN, infinite or beyond
        ``±PLOT_LIMIT`` (among the samples retained when a curve was added or
        first drawn, and every sample counted since)."""
        return sum(g.undrawable.total for g in self.groups.values())

    def undrawable_curves(self) -> list[tuple[PanelCurve, int]]:
        """The curves with undrawable values, and how many."""
        return [
            (curve, count)
            for g in self.groups.values()
            for curve, count in zip(g.curves, g.undrawable.per_column.tolist(), strict=True)
            if count
        ]

    # ------------------------------------------------------------------
    # Layout
    # ------------------------------------------------------------------
    def to_layout(self) -> PanelLayout:
        """This panel as a `PanelLayout`."""
        return PanelLayout(
            signals=[s.name for s in self.signals],
            window=self.window,
            time_mode=self.time_mode,
            auto_y=self.auto_y,
            y_range=None if self.auto_y else self.y_range,
            legend=self.legend,
            title=self.title,
        )

    def apply_layout(self, layout: PanelLayout) -> None:
        """Show the signals and options of a `PanelLayout` (bad signal names are skipped)."""
        self.clear()
        self.set_title(layout.title)
        self.set_legend(layout.legend)
        self.add_signal_names(layout.signals)
        self.set_window(layout.window)
        self.set_time_mode(layout.time_mode)
        self.set_auto_y(layout.auto_y)
        if not layout.auto_y and layout.y_range is not None:
            self.set_y_range(layout.y_range)
