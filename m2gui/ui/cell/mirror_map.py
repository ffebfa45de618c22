"""`MirrorMapView`: the live map of the 78 actuators, coloured by a chosen quantity.

The map follows the physical orientation of the vendor cell drawing (B1 at
12 o'clock, numbers clockwise). Each actuator is filled by the colour of its
value on its group's colour bar (axial and tangent links have their own
scales), hardpoints are squares (square-ended bars for tangent links) with a
thick outline, the selection is ringed. Hover shows every value of an
actuator, a click selects it (the selection shared by every cell view), a
double-click plots it and the context menu offers "Plot".

Drawing is cheap: one `QGraphicsScene`, built once; each displayed frame
swaps the prebuilt brushes of the actuators whose colour changed. Text
(value labels, the hovered actuator's values, min/max) is refreshed a few
times a second, which is also as fast as anyone can read it.
"""

from __future__ import annotations

import logging
import time

from PySide6.QtCore import QEvent, QPoint, Qt, QTimer, Signal
from PySide6.QtGui import (
    QFontDatabase,
    QHelpEvent,
    QHideEvent,
    QMouseEvent,
    QPainter,
    QResizeEvent,
    QShowEvent,
)
from PySide6.QtWidgets import (
    QComboBox,
    QDoubleSpinBox,
    QFrame,
    QGraphicsView,
    QHBoxLayout,
    QLabel,
    QSizePolicy,
    QToolTip,
    QVBoxLayout,
    QWidget,
)

from m2gui.model.cell.map_model import GROUPS, LabelMode, MirrorMapModel, Show
from m2gui.model.cell.map_quantities import QUANTITIES
from m2gui.model.cell.map_scale import ScaleMode
from m2gui.model.cell.selection import ActuatorSelection
from m2gui.model.session import Session

from ..bridge import listen
from ..plot_menu import add_plot_menu
from .map_colorbar import ColourBar
from .map_scene import SCALE, MirrorScene

__all__ = ["TEXT_INTERVAL_S", "MapCanvas", "MirrorMapView"]

log = logging.getLogger(__name__)

#: Shortest time between two refreshes of the text (values, min/max, labels).
TEXT_INTERVAL_S = 0.25

LEGEND = (
    "<b>Reading the map</b><br>"
    "Viewed as the vendor cell drawing: B1 at 12 o'clock, numbers clockwise.<br>"
    "■ square / square-ended bar, thick outline: hardpoint<br>"
    "◯ ring around it: selected<br>"
    "▨ hatched grey: no value<br>"
    "Tangent links are bars along the direction they push.<br>"
    "<b>Click</b> select · <b>double-click</b> plot · <b>right-click</b> Plot menu"
)


class MapCanvas(QGraphicsView):
    """The view of the `MirrorScene`: fits the map, finds the actuator under the mouse.

    Signals
    -------
    clicked(int), double_clicked(int)
        Left button on an actuator, with its index.
    hovered(int)
        The actuator under the mouse changed (-1: none).
    """

    clicked = Signal(int)
    double_clicked = Signal(int)
    hovered = Signal(int)

    def __init__(self, scene: MirrorScene, model: MirrorMapModel, parent: QWidget | None = None):
        super().__init__(scene, parent)
        self.model = model
        self.map_scene = scene
        self.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        # the outline and ring guides are drawn once into a cached background
        self.setCacheMode(QGraphicsView.CacheModeFlag.CacheBackground)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setMouseTracking(True)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMinimumSize(260, 260)
        self.hover = -1

    def index_at(self, pos: QPoint) -> int | None:
        """The shown actuator drawn at viewport position ``pos``, if any."""
        point = self.mapToScene(pos)
        index = self.model.geometry.actuator_at(point.x() / SCALE, -point.y() / SCALE)
        if index is None or not self.model.shown(index):
            return None
        return index

    def fit(self) -> None:
        """Scale the map to the widget."""
        self.fitInView(self.sceneRect(), Qt.AspectRatioMode.KeepAspectRatio)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self.fit()

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self.fit()

    def mousePressEvent(self, event: QMouseEvent) -> None:
        index = self.index_at(event.position().toPoint())
        if event.button() == Qt.MouseButton.LeftButton and index is not None:
            self.clicked.emit(index)
            event.accept()
            return
        super().mousePressEvent(event)

    def mouseDoubleClickEvent(self, event: QMouseEvent) -> None:
        index = self.index_at(event.position().toPoint())
        if event.button() == Qt.MouseButton.LeftButton and index is not None:
            self.double_clicked.emit(index)
            event.accept()
            return
        super().mouseDoubleClickEvent(event)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        index = self.index_at(event.position().toPoint())
        self._set_hover(-1 if index is None else index)
        super().mouseMoveEvent(event)

    def leaveEvent(self, event: QEvent) -> None:
        self._set_hover(-1)
        super().leaveEvent(event)

    def _set_hover(self, index: int) -> None:
        if index != self.hover:
            self.hover = index
            self.hovered.emit(index)

    def viewportEvent(self, event: QEvent) -> bool:
        if event.type() == QEvent.Type.ToolTip and isinstance(event, QHelpEvent):
            index = self.index_at(event.pos())
            if index is None:
                QToolTip.hideText()
                event.ignore()
            else:
                QToolTip.showText(event.globalPos(), self.model.hover_text(index), self)
            return True
        return super().viewportEvent(event)


class MirrorMapView(QWidget):
    """The live mirror map ("Mirror map" tab).

    Parameters
    ----------
    session : `Session`
        The telemetry, the hardpoints, the shared `ActuatorSelection` and
        the plot requests.
    """

    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.model = MirrorMapModel(session)
        self.selection = session.store(ActuatorSelection)
        #: Refreshes that changed a colour or a range (for tests and benchmarks).
        self.frames = 0
        #: The actuator whose values the side panel shows when none is hovered.
        self.focus: int | None = None
        self._dirty = False
        self._last_text = 0.0
        self.scene = MirrorScene(self.model.geometry, self.palette())
        self.canvas = MapCanvas(self.scene, self.model)
        self._make_controls()
        self.colour_bars = {"axial": ColourBar("Axial"), "tangent": ColourBar("Tangent")}
        self.age = QLabel()
        self.summaries = {group: QLabel() for group in GROUPS}
        self.info = QLabel()
        self.info.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.info.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.info.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.info.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Expanding)
        self.info.setFrameShape(QFrame.Shape.StyledPanel)
        self.legend = QLabel(LEGEND)
        self.legend.setWordWrap(True)
        self._layout()
        self._text_timer = QTimer(self)
        self._text_timer.setSingleShot(True)
        self._text_timer.timeout.connect(self._update_text)
        self._age_timer = QTimer(self)
        self._age_timer.setInterval(1000)
        self._age_timer.timeout.connect(self._show_age)
        self.canvas.clicked.connect(self._on_click)
        self.canvas.double_clicked.connect(self._on_double_click)
        self.canvas.hovered.connect(self._on_hover)
        add_plot_menu(self.canvas, session, self.signals_at)
        self._sync_controls()
        self.scene.set_hardpoints(self.model.hardpoints)
        self.scene.set_selected(self.selection.selected)
        self._apply_show()
        self.redraw()
        listen(self, session.telemetry.arrived, self._on_telemetry, mode="poke")
        listen(self, self.selection.changed, self._on_selection, mode="latest")
        listen(self, self.model.hardpoints_changed, self._on_hardpoints, mode="latest")
        listen(self, self.model.settings_changed, self._on_settings, mode="batch")

    # ------------------------------------------------------------------
    # Building
    # ------------------------------------------------------------------
    def _make_controls(self) -> None:
        self.quantity = QComboBox()
        for key, q in QUANTITIES.items():
            self.quantity.addItem(q.title, key)
        self.quantity.setToolTip("What the colours show")
        self.quantity.currentIndexChanged.connect(self._on_quantity)
        self.mode = QComboBox()
        for mode in ScaleMode:
            self.mode.addItem(mode.caption, mode.value)
        self.mode.setToolTip(
            "Colour scale: fixed range, automatic (follows the values with hysteresis),"
            " or symmetric about zero (diverging colours)"
        )
        self.mode.currentIndexChanged.connect(self._on_mode)
        self.labels = QComboBox()
        for label in LabelMode:
            self.labels.addItem(label.caption, label.value)
        self.labels.setToolTip("What is written on each actuator")
        self.labels.currentIndexChanged.connect(self._on_labels)
        self.show_combo = QComboBox()
        for show, text in ((Show.ALL, "All"), (Show.AXIAL, "Axial"), (Show.TANGENT, "Tangent")):
            self.show_combo.addItem(text, show.value)
        self.show_combo.setToolTip("Which actuators are drawn")
        self.show_combo.currentIndexChanged.connect(self._on_show)
        self.fixed: dict[str, tuple[QDoubleSpinBox, QDoubleSpinBox]] = {}
        for group in GROUPS:
            low, high = QDoubleSpinBox(), QDoubleSpinBox()
            for box, what in ((low, "lowest"), (high, "highest")):
                box.setRange(-1e9, 1e9)
                box.setKeyboardTracking(False)
                box.setToolTip(f"The {what} value of the {group} colour bar (fixed scale)")
                box.valueChanged.connect(self._on_fixed)
            self.fixed[group] = (low, high)
        self.fixed_row = QWidget()
        row = QHBoxLayout(self.fixed_row)
        row.setContentsMargins(0, 0, 0, 0)
        for group in GROUPS:
            low, high = self.fixed[group]
            row.addWidget(QLabel(f"{group.capitalize()} from"))
            row.addWidget(low)
            row.addWidget(QLabel("to"))
            row.addWidget(high)
        row.addStretch(1)
        self.fixed_problem = QLabel()
        row.addWidget(self.fixed_problem)

    def _layout(self) -> None:
        controls = QHBoxLayout()
        for text, widget in (
            ("Colour by", self.quantity),
            ("Scale", self.mode),
            ("Labels", self.labels),
            ("Show", self.show_combo),
        ):
            controls.addWidget(QLabel(text))
            controls.addWidget(widget)
        controls.addStretch(1)
        bars = QHBoxLayout()
        bars.addWidget(self.colour_bars["axial"])
        bars.addWidget(self.colour_bars["tangent"])
        side = QVBoxLayout()
        side.addLayout(bars, 3)
        side.addWidget(self.age)
        for group in GROUPS:
            self.summaries[group].setWordWrap(True)
            side.addWidget(self.summaries[group])
        side.addWidget(self.info, 4)
        side.addWidget(self.legend)
        side_widget = QWidget()
        side_widget.setLayout(side)
        side_widget.setMaximumWidth(330)
        body = QHBoxLayout()
        body.addWidget(self.canvas, 1)
        body.addWidget(side_widget)
        outer = QVBoxLayout(self)
        outer.addLayout(controls)
        outer.addWidget(self.fixed_row)
        outer.addLayout(body, 1)

    # ------------------------------------------------------------------
    # Drawing
    # ------------------------------------------------------------------
    def redraw(self) -> None:
        """Read the latest values and draw everything (after a change of settings)."""
        model = self.model
        model.refresh()
        cmap = model.colormap
        for i, colour in enumerate(model.colour_index.tolist()):
            self.scene.set_colour(i, colour, cmap)
        self._update_bars()
        self._update_text(force=True)
        self._dirty = False

    def refresh(self) -> bool:
        """One display frame: swap the brushes of what changed. True if anything did."""
        model = self.model
        if not model.refresh():
            self._update_text()
            return False
        cmap = model.colormap
        colours = model.colour_index
        for i in model.changed_indices.tolist():
            self.scene.set_colour(i, int(colours[i]), cmap)
        if model.changed_ranges:
            self._update_bars()
        self._update_text()
        self.frames += 1
        return True

    def _update_bars(self) -> None:
        model = self.model
        q = model.quantity
        for group, bar in self.colour_bars.items():
            low, high = model.scales[group].range
            bar.set_scale(
                model.colormap, low, high, model.colour_bar_ticks(group), q.unit, q.decimals
            )

    def _update_text(self, force: bool = False) -> None:
        now = time.monotonic()
        wait = self._last_text + TEXT_INTERVAL_S - now
        if not force and wait > 0:
            if not self._text_timer.isActive():  # the last values get shown too
                self._text_timer.start(int(wait * 1000) + 1)
            return
        self._text_timer.stop()
        self._last_text = now
        model = self.model
        for group, label in self.summaries.items():
            label.setText(model.summary(group))
        self._show_info()
        self._show_age()
        if model.labels is LabelMode.VALUE or force:
            self._update_labels()

    def _update_labels(self) -> None:
        for i in range(self.model.count):
            self.scene.set_label(i, self.model.label(i))

    def _show_info(self) -> None:
        index = self.canvas.hover if self.canvas.hover >= 0 else self.focus
        if index is None:
            self.info.setText("Hover over an actuator for all its values;\nclick to select it.")
        else:
            self.info.setText(self.model.hover_text(index))

    def _show_age(self) -> None:
        self.age.setText(self.model.age_text(time.time()))

    def _apply_show(self) -> None:
        self.scene.set_shown([self.model.shown(i) for i in range(self.model.count)])
        self.colour_bars["axial"].setVisible(self.model.show is not Show.TANGENT)
        self.colour_bars["tangent"].setVisible(self.model.show is not Show.AXIAL)

    # ------------------------------------------------------------------
    # Store signals
    # ------------------------------------------------------------------
    def _on_telemetry(self) -> None:
        if not self.isVisible():
            self._dirty = True  # hidden: no work until shown again
            return
        self.refresh()

    def _on_selection(self, selected: frozenset[int]) -> None:
        self.scene.set_selected(selected)
        self._update_text(force=True)

    def _on_hardpoints(self, hardpoints: frozenset[int]) -> None:
        self.scene.set_hardpoints(hardpoints)
        self.refresh()
        self._update_text(force=True)

    def _on_settings(self, batch: list[tuple[str]]) -> None:
        what = {args[0] for args in batch}
        self._sync_controls()
        if "show" in what:
            self._apply_show()
        self.redraw()

    def _sync_controls(self) -> None:
        model = self.model
        for combo, value in (
            (self.quantity, model.quantity.key),
            (self.mode, model.mode.value),
            (self.labels, model.labels.value),
            (self.show_combo, model.show.value),
        ):
            combo.blockSignals(True)
            combo.setCurrentIndex(combo.findData(value))
            combo.blockSignals(False)
        fixed = model.mode is ScaleMode.FIXED
        self.fixed_row.setVisible(fixed)
        q = model.quantity
        for group, (low, high) in self.fixed.items():
            lo, hi = model.scales[group].fixed
            for box, bound in ((low, lo), (high, hi)):
                box.blockSignals(True)
                box.setDecimals(q.decimals)
                box.setSuffix(f" {q.unit}")
                box.setValue(bound)
                box.blockSignals(False)

    # ------------------------------------------------------------------
    # User
    # ------------------------------------------------------------------
    def _on_quantity(self) -> None:
        self.model.set_quantity(str(self.quantity.currentData()))

    def _on_mode(self) -> None:
        self.model.set_mode(str(self.mode.currentData()))

    def _on_labels(self) -> None:
        self.model.set_labels(str(self.labels.currentData()))

    def _on_show(self) -> None:
        self.model.set_show(str(self.show_combo.currentData()))

    def _on_fixed(self) -> None:
        problems = []
        for group, (low, high) in self.fixed.items():
            if (low.value(), high.value()) == self.model.scales[group].fixed:
                continue
            try:
                self.model.set_fixed(group, low.value(), high.value())
            except ValueError as error:
                problems.append(f"{group}: {error}")
        self.fixed_problem.setText("⚠ " + "; ".join(problems) if problems else "")

    def _on_click(self, index: int) -> None:
        self.focus = index
        self.selection.toggle(index)

    def _on_double_click(self, index: int) -> None:
        # the first click of a double-click toggled the selection: put it back
        self.selection.toggle(index)
        self.session.plots.request(self.model.plot_signals(index))

    def _on_hover(self, index: int) -> None:
        self._show_info()

    def signals_at(self, pos: QPoint) -> list[str]:
        """What "Plot" in the context menu plots: the actuator under ``pos``,
        or the whole selection when it is part of it."""
        index = self.canvas.index_at(pos)
        if index is None:
            return []
        selected = self.selection.selected
        if index in selected and len(selected) > 1:
            return self.model.plot_signals(sorted(selected))
        return self.model.plot_signals(index)

    # ------------------------------------------------------------------
    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self._age_timer.start()
        if self._dirty:
            self.redraw()

    def hideEvent(self, event: QHideEvent) -> None:
        super().hideEvent(event)
        self._age_timer.stop()
