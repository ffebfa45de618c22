"""`MirrorScene`: the 78 actuators as graphics items, updated by brush only.

Built once from the geometry (physical convention: B1 at 12 o'clock,
numbers clockwise, y negated for the y-down scene). Scene units are
centimetres. A frame only swaps prebuilt brushes of the actuators whose
colour changed; labels, hardpoint shapes and selection rings change only
when those change.
"""

from __future__ import annotations

import math

from PySide6.QtCore import QPointF, QRect, QRectF, Qt
from PySide6.QtGui import (
    QBrush,
    QColor,
    QFont,
    QPainter,
    QPainterPath,
    QPalette,
    QPen,
    QPolygonF,
)
from PySide6.QtWidgets import (
    QGraphicsItem,
    QGraphicsPathItem,
    QGraphicsScene,
    QGraphicsSimpleTextItem,
)

from m2gui.model.cell.colormaps import Colormap
from m2gui.model.geometry import (
    AXIAL_RADIUS_M,
    TANGENT_LENGTH_M,
    TANGENT_WIDTH_M,
    CellGeometry,
)

__all__ = ["NO_VALUE", "SCALE", "MirrorScene"]

#: Scene units per metre.
SCALE = 100.0
#: The colour behind the hatching of an actuator without a value.
NO_VALUE = QColor(128, 128, 128)
#: Selection ring: radius beyond the actuator and pen width (scene units).
HALO_GAP = 2.6
HALO_WIDTH = 2.4
LABEL_SIZE = 9
TWELVE_NOTE = "▲ +y: 12 o'clock of the vendor drawing"


def _circle(radius: float) -> QPainterPath:
    path = QPainterPath()
    path.addEllipse(QPointF(0, 0), radius, radius)
    return path


def _square(half: float) -> QPainterPath:
    path = QPainterPath()
    path.addRoundedRect(QRectF(-half, -half, 2 * half, 2 * half), half * 0.25, half * 0.25)
    return path


def _double_arrow(length: float, width: float, hardpoint: bool) -> QPainterPath:
    """A bar along x with an arrowhead at each end (plain square ends for a hardpoint)."""
    half, w = length / 2, width / 2
    if hardpoint:
        points = [(-half, -w), (half, -w), (half, w), (-half, w)]
    else:
        head, hw = width * 0.9, w * 1.7
        points = [
            (-half + head, -w),
            (half - head, -w),
            (half - head, -hw),
            (half, 0.0),
            (half - head, hw),
            (half - head, w),
            (-half + head, w),
            (-half + head, hw),
            (-half, 0.0),
            (-half + head, -hw),
        ]
    path = QPainterPath()
    path.addPolygon(QPolygonF([QPointF(x, y) for x, y in points]))
    path.closeSubpath()
    return path


class MirrorScene(QGraphicsScene):
    """The mirror map's items.

    Parameters
    ----------
    geometry : `CellGeometry`
        Where the actuators are.
    palette : `QPalette`
        For the outline, label and selection colours.
    """

    def __init__(self, geometry: CellGeometry, palette: QPalette) -> None:
        super().__init__()
        self.geometry = geometry
        g = geometry
        self.n_axial = g.n_axial
        fg = palette.windowText().color()
        self._fg = fg
        self._mid = palette.mid().color()
        self._base = palette.base().color()
        self.text_brushes = {
            True: QBrush(QColor(0, 0, 0)),
            False: QBrush(QColor(255, 255, 255)),
            None: QBrush(fg),
        }
        self.no_value_brush = QBrush(NO_VALUE, Qt.BrushStyle.BDiagPattern)
        self._brushes: dict[str, list[QBrush]] = {}
        r = AXIAL_RADIUS_M * SCALE
        self._paths = {
            (False, False): _circle(r),
            (False, True): _square(r * 0.92),
            (True, False): _double_arrow(TANGENT_LENGTH_M * SCALE, TANGENT_WIDTH_M * SCALE, False),
            (True, True): _double_arrow(TANGENT_LENGTH_M * SCALE, TANGENT_WIDTH_M * SCALE, True),
        }
        self._pens = {
            False: QPen(QColor(fg.red(), fg.green(), fg.blue(), 150), 0.8),
            True: QPen(fg, 2.2),
        }
        self._draw_cell()
        self.shapes: list[QGraphicsPathItem] = []
        self.halos: list[QGraphicsPathItem] = []
        self.labels: list[QGraphicsSimpleTextItem] = []
        self.hardpoints: frozenset[int] = frozenset()
        self.selected: frozenset[int] = frozenset()
        font = QFont()
        font.setPixelSize(LABEL_SIZE)
        self.label_font = font
        halo_pen = QPen(fg, HALO_WIDTH)
        for i in range(g.count):
            tangent = g.is_tangent(i)
            sx, sy = (c * SCALE for c in g.screen_xy(i))
            shape = QGraphicsPathItem(self._paths[(tangent, False)])
            shape.setPos(sx, sy)
            shape.setPen(self._pens[False])
            shape.setBrush(self.no_value_brush)
            shape.setData(0, i)
            halo = QGraphicsPathItem(self._halo_path(tangent))
            halo.setPos(sx, sy)
            halo.setPen(halo_pen)
            halo.setBrush(Qt.BrushStyle.NoBrush)
            halo.setVisible(False)
            halo.setZValue(-1)
            if tangent:
                angle = float(g.tangent_angle_deg[i - g.n_axial])
                shape.setRotation(angle)  # along (cos θ, -sin θ) in y-up metres
                halo.setRotation(angle)
                label = QGraphicsSimpleTextItem()
                label.setBrush(self.text_brushes[None])
                label.setData(1, self._tangent_label_centre(i))
            else:
                label = QGraphicsSimpleTextItem(shape)
                label.setData(1, QPointF(0, 0))
            label.setFont(font)
            self.addItem(shape)
            self.addItem(halo)
            if label.parentItem() is None:
                self.addItem(label)
            self.shapes.append(shape)
            self.halos.append(halo)
            self.labels.append(label)
        margin = 0.32 * SCALE
        outline = g.outline_radius * SCALE + margin
        self.setSceneRect(QRectF(-outline, -outline, 2 * outline, 2 * outline))

    # ------------------------------------------------------------------
    def _draw_cell(self) -> None:
        """Prepare the static drawing: outline, ring guides, the 12 o'clock note.

        They are painted by `drawBackground`, which the view caches: a frame
        never strokes these scene-sized circles again.
        """
        g = self.geometry
        self.outline = g.outline_radius * SCALE
        self._outline_pen = QPen(self._fg, 1.6)
        self._guide_pen = QPen(self._mid, 0.8, Qt.PenStyle.DashLine)
        self._guide_radii = [g.ring_radius(ring) * SCALE for ring in ("B", "C", "D")]
        self._note_font = QFont()
        self._note_font.setPixelSize(9)

    def drawBackground(self, painter: QPainter, rect: QRectF | QRect) -> None:
        painter.fillRect(rect, self._base)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.setPen(self._guide_pen)
        for radius in self._guide_radii:
            painter.drawEllipse(QPointF(0, 0), radius, radius)
        painter.setPen(self._outline_pen)
        painter.drawEllipse(QPointF(0, 0), self.outline, self.outline)
        painter.setPen(self._mid)
        painter.setFont(self._note_font)
        corner = self.outline + 0.3 * SCALE
        painter.drawText(QPointF(-corner, -corner + 9), TWELVE_NOTE)

    def _halo_path(self, tangent: bool) -> QPainterPath:
        if not tangent:
            return _circle(AXIAL_RADIUS_M * SCALE + HALO_GAP)
        path = QPainterPath()
        length = TANGENT_LENGTH_M * SCALE + 2 * HALO_GAP
        width = TANGENT_WIDTH_M * SCALE * 1.7 + 2 * HALO_GAP
        path.addRoundedRect(QRectF(-length / 2, -width / 2, length, width), 4, 4)
        return path

    def _tangent_label_centre(self, index: int) -> QPointF:
        g = self.geometry
        radius = (g.radius[index] + TANGENT_WIDTH_M * 1.7) * SCALE
        angle = math.radians(float(g.angle_deg[index]))
        return QPointF(radius * math.sin(angle), -radius * math.cos(angle))

    # ------------------------------------------------------------------
    def brushes(self, cmap: Colormap) -> list[QBrush]:
        """One brush per entry of ``cmap`` (made once)."""
        brushes = self._brushes.get(cmap.name)
        if brushes is None:
            brushes = [QBrush(QColor(int(r), int(g), int(b))) for r, g, b in cmap.rgb]
            self._brushes[cmap.name] = brushes
        return brushes

    def set_colour(self, index: int, colour: int, cmap: Colormap) -> None:
        """Fill actuator ``index`` with entry ``colour`` of ``cmap`` (-1: no value)."""
        shape = self.shapes[index]
        if colour < 0:
            shape.setBrush(self.no_value_brush)
            if index < self.n_axial:
                self.labels[index].setBrush(self.text_brushes[None])
            return
        shape.setBrush(self.brushes(cmap)[colour])
        if index < self.n_axial:
            self.labels[index].setBrush(self.text_brushes[bool(cmap.dark_text[colour])])

    def set_label(self, index: int, text: str) -> None:
        """Write ``text`` on actuator ``index`` (shrunk to fit an axial circle)."""
        label = self.labels[index]
        if label.text() == text:
            return
        label.setText(text)
        rect = label.boundingRect()
        room = 2 * AXIAL_RADIUS_M * SCALE * 0.9
        scale = min(1.0, room / rect.width()) if rect.width() > 0 else 1.0
        label.setScale(scale)
        centre = label.data(1)
        label.setPos(
            centre.x() - rect.width() * scale / 2,
            centre.y() - rect.height() * scale / 2,
        )

    def set_hardpoints(self, hardpoints: frozenset[int]) -> None:
        """Draw the hardpoints as squares (axial) or square-ended bars with a thick outline."""
        for i in self.hardpoints ^ hardpoints:
            if not 0 <= i < len(self.shapes):
                continue
            hard = i in hardpoints
            shape = self.shapes[i]
            shape.setPath(self._paths[(i >= self.n_axial, hard)])
            shape.setPen(self._pens[hard])
        self.hardpoints = hardpoints

    def set_selected(self, selected: frozenset[int]) -> None:
        """Ring the selected actuators."""
        for i in self.selected ^ selected:
            if 0 <= i < len(self.halos):
                self.halos[i].setVisible(i in selected and self.shapes[i].isVisible())
        self.selected = selected

    def set_shown(self, shown: list[bool]) -> None:
        """Show or hide each actuator (the All / Axial / Tangent choice)."""
        for i, visible in enumerate(shown):
            items: tuple[QGraphicsItem, ...] = (self.shapes[i], self.labels[i])
            for item in items:
                item.setVisible(visible)
            self.halos[i].setVisible(visible and i in self.selected)
