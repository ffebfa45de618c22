"""`MultiCurveItem`: every curve of one topic in a panel, drawn in one item.

One graphics item per panel and topic instead of one per curve: a frame costs
one bounding box and one ``paint`` call, and each curve is a ``QPolygonF``
filled straight from numpy and drawn with ``drawPolyline`` (measured here: two
to three times faster than 78 ``PlotCurveItem``s for the same points).

A curve is cut into several polylines where values cannot be drawn and where
the caller says the data has a gap (``breaks``); a sample alone between two
cuts is drawn as a dot. A curve cut into more than `MAX_POLYLINES` pieces is
one ``QPainterPath`` built from numpy instead: the work per frame stays
bounded however many gaps the controller makes.
"""

from __future__ import annotations

import logging
from typing import Any

import numpy as np
import numpy.typing as npt
import pyqtgraph as pg
from pyqtgraph import functions as fn
from PySide6.QtCore import QRectF
from PySide6.QtGui import QPainter, QPainterPath, QPen, QPolygonF

from m2gui.model.plot_limits import PLOT_LIMIT, drawable
from m2gui.net.ratelog import RateLimitedLog

__all__ = ["MAX_POLYLINES", "PLOT_LIMIT", "MultiCurveItem"]

log = logging.getLogger(__name__)
_paint_log = RateLimitedLog(log)

#: Pieces of one curve drawn as separate polylines; more make one path.
MAX_POLYLINES = 32


class MultiCurveItem(pg.GraphicsObject):  # type: ignore[misc]
    """Several curves sharing one x array.

    Parameters
    ----------
    pens : list of `QPen`
        One pen per curve (width 1, cosmetic: the fast path).
    """

    def __init__(self, pens: list[QPen]) -> None:
        super().__init__()
        self.pens = pens
        self._dot_pens = [_dot_pen(p) for p in pens]
        self._polylines: list[list[QPolygonF]] = [[] for _ in pens]
        #: Per curve, its pieces as one path when there are too many for polylines.
        self._paths: list[QPainterPath | None] = [None for _ in pens]
        #: Per curve, the samples alone between two cuts (None: there are none).
        self._dots: list[QPolygonF | None] = [None for _ in pens]
        self._rect = QRectF()
        #: Lowest and highest drawn value, None when nothing is drawn.
        self.y_range: tuple[float, float] | None = None
        #: The data last set (references, not copies).
        self.x: npt.NDArray[np.float64] = np.empty(0)
        self.y: npt.NDArray[np.float64] = np.empty((0, len(pens)))
        #: Paints that raised (logged, rate limited; the next paint tries again).
        self.paint_errors = 0

    def set_pens(self, pens: list[QPen]) -> None:
        self.pens = pens
        self._dot_pens = [_dot_pen(p) for p in pens]
        self._polylines = [[] for _ in pens]
        self._paths = [None for _ in pens]
        self._dots = [None for _ in pens]
        self.update()

    def set_data(
        self,
        x: npt.NDArray[np.float64],
        y: npt.NDArray[np.float64],
        breaks: npt.NDArray[np.intp] | None = None,
    ) -> None:
        """Replace the data: ``x`` (n), ``y`` (n x curves).

        NaN, infinite and huge (beyond ``±PLOT_LIMIT``) values are left out:
        the curve has a gap there, and they do not count in `y_range`.
        ``breaks`` (ascending indices into ``x``) cut every curve before
        those points: gaps in the data.
        """
        self.prepareGeometryChange()
        self.x, self.y = x, y
        n = len(x)
        if n == 0 or y.size == 0:
            self._polylines = [[] for _ in self.pens]
            self._paths = [None for _ in self.pens]
            self._dots = [None for _ in self.pens]
            self._rect = QRectF()
            self.y_range = None
            self.update()
            return
        cuts = _valid_breaks(breaks, n)
        can_draw = drawable(y)  # False for NaN, inf and huge
        all_drawable: npt.NDArray[np.bool_] = np.all(can_draw, axis=0)
        polylines: list[list[QPolygonF]] = []
        paths: list[QPainterPath | None] = []
        dots: list[QPolygonF | None] = []
        whole = _runs(np.ones(n, bool), cuts) if cuts.size or n == 1 else None
        for j in range(y.shape[1]):
            if all_drawable[j] and whole is None:
                polylines.append([_polygon(x, y[:, j])])  # the fast path: one polyline
                paths.append(None)
                dots.append(None)
                continue
            starts, ends = (
                whole if all_drawable[j] and whole is not None else _runs(can_draw[:, j], cuts)
            )
            lines, path, alone = _split(x, y[:, j], starts, ends)
            polylines.append(lines)
            paths.append(path)
            dots.append(alone)
        self._polylines = polylines
        self._paths = paths
        self._dots = dots
        if all_drawable.all():
            lo, hi = float(y.min()), float(y.max())
        else:
            lo = float(np.min(y, where=can_draw, initial=np.inf))
            hi = float(np.max(y, where=can_draw, initial=-np.inf))
        if lo <= hi:
            self.y_range = (lo, hi)
        else:  # nothing drawable
            self.y_range = None
            lo = hi = 0.0
        self._rect = QRectF(float(x[0]), lo, float(x[-1] - x[0]), hi - lo)
        self.update()

    def boundingRect(self) -> QRectF:
        return self._rect

    def paint(self, painter: QPainter, *args: Any) -> None:
        # An exception must not escape into Qt's paint of the whole scene.
        try:
            self._draw_curves(painter)
        except Exception as error:
            self.paint_errors += 1
            _paint_log(
                logging.ERROR,
                "paint",
                f"plot curves could not be painted ({self.paint_errors} so far): {error!r}",
                exc_info=True,
            )

    def _draw_curves(self, painter: QPainter) -> None:
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, False)
        for pen, polylines, path in zip(self.pens, self._polylines, self._paths, strict=True):
            painter.setPen(pen)
            for polyline in polylines:
                painter.drawPolyline(polyline)
            if path is not None:
                painter.drawPath(path)
        for pen, dots in zip(self._dot_pens, self._dots, strict=True):
            if dots is not None:
                painter.setPen(pen)
                painter.drawPoints(dots)


def _dot_pen(pen: QPen) -> QPen:
    """The pen of a sample drawn alone: the curve's colour, 3 pixels wide."""
    dot = QPen(pen)
    dot.setWidth(3)
    dot.setCosmetic(True)
    return dot


def _polygon(x: npt.NDArray[np.float64], y: npt.NDArray[np.float64]) -> QPolygonF:
    polygon: QPolygonF = fn.create_qpolygonf(len(x))
    points = fn.ndarray_from_qpolygonf(polygon)
    points[:, 0] = x
    points[:, 1] = y
    return polygon


def _valid_breaks(breaks: npt.NDArray[np.intp] | None, n: int) -> npt.NDArray[np.intp]:
    """The distinct cuts strictly inside ``[0, n)``, ascending."""
    if breaks is None or not len(breaks):
        return np.empty(0, np.intp)
    cuts = np.unique(np.asarray(breaks, np.intp))
    return cuts[(cuts > 0) & (cuts < n)]


def _runs(
    mask: npt.NDArray[np.bool_], cuts: npt.NDArray[np.intp]
) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.intp]]:
    """Starts and ends ``[a, b)`` of the stretches where ``mask`` is True,
    also cut before every index of ``cuts``."""
    edges = np.flatnonzero(np.diff(np.concatenate(([0], mask.view(np.int8), [0]))))
    starts, ends = edges[0::2], edges[1::2]
    if cuts.size:
        inside = cuts[mask[cuts] & mask[cuts - 1]]  # a cut between two drawn points
        starts = np.sort(np.concatenate((starts, inside)))
        ends = np.sort(np.concatenate((ends, inside)))
    return starts, ends


def _split(
    x: npt.NDArray[np.float64],
    y: npt.NDArray[np.float64],
    starts: npt.NDArray[np.intp],
    ends: npt.NDArray[np.intp],
) -> tuple[list[QPolygonF], QPainterPath | None, QPolygonF | None]:
    """The stretches ``[a, b)`` as polylines (or, if there are more than
    `MAX_POLYLINES`, as one path), and the points alone (one-sample stretches)."""
    long = (ends - starts) > 1
    alone = starts[~long]
    dots = _polygon(x[alone], y[alone]) if alone.size else None
    a, b = starts[long], ends[long]
    if a.size <= MAX_POLYLINES:
        lines = [_polygon(x[i:j], y[i:j]) for i, j in zip(a.tolist(), b.tolist(), strict=True)]
        return lines, None, dots
    n = len(x)
    # Points of the stretches, and those that connect to the next point (all but each last).
    inside = np.zeros(n + 1, np.int32)
    inside[a] += 1
    inside[b] -= 1
    links = np.zeros(n + 1, np.int32)
    links[a] += 1
    links[b - 1] -= 1
    member = np.flatnonzero(np.cumsum(inside[:-1]) > 0)
    connect = (np.cumsum(links[:-1]) > 0)[member].astype(np.int32)
    path = fn.arrayToQPath(x[member], y[member], connect=connect, finiteCheck=False)
    return [], path, dots
