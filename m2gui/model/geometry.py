"""Where the 72 axial actuators and 6 tangent links sit on the cell.

Physical convention (``cell-geometry.json``, "coordinate_frame"): ``x`` and
``y`` in metres, +x right and +y up as the vendor cell drawing is viewed. B1
is at 12 o'clock and the numbers of every ring run clockwise; the tangent
link angle is measured clockwise from +y (A1 at 12 o'clock, A4 at 6). A
screen, whose y points down, draws ``(x, -y)`` (`screen_xy`); the incumbent
GUI did not negate y and showed B1 at the bottom.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from functools import cache
from importlib import resources

import numpy as np
import numpy.typing as npt

__all__ = [
    "AXIAL_RADIUS_M",
    "OUTLINE_MARGIN_M",
    "TANGENT_LENGTH_M",
    "TANGENT_WIDTH_M",
    "CellGeometry",
    "load_geometry",
]

#: Radius of an axial actuator as drawn (centres are at least 0.286 m apart).
AXIAL_RADIUS_M = 0.12
#: Length (along the direction it acts) and width of a tangent link as drawn.
TANGENT_LENGTH_M = 0.36
TANGENT_WIDTH_M = 0.10
#: The drawn cell outline is this far outside the outermost actuator centre
#: (a drawing outline, not a mechanical dimension).
OUTLINE_MARGIN_M = 0.12


@dataclass(frozen=True)
class CellGeometry:
    """Actuator labels and positions, indexed by the 0-based command index.

    ``x`` and ``y`` are metres, +x right and +y up as the vendor drawing is
    viewed; for tangent links ``angle_deg`` is measured clockwise from +y.
    """

    labels: tuple[str, ...]
    rings: tuple[str, ...]
    x: npt.NDArray[np.float64]
    y: npt.NDArray[np.float64]
    tangent_angle_deg: npt.NDArray[np.float64]
    default_hardpoints: tuple[int, ...]

    @property
    def count(self) -> int:
        """Number of actuators (78)."""
        return len(self.labels)

    @property
    def n_axial(self) -> int:
        """Number of axial actuators (72)."""
        return len(self.labels) - len(self.tangent_angle_deg)

    @property
    def n_tangent(self) -> int:
        """Number of tangent links (6)."""
        return len(self.tangent_angle_deg)

    def label(self, index: int) -> str:
        """Return the ring label (B1..D18, A1..A6) of a 0-based index."""
        return self.labels[index]

    def is_tangent(self, index: int) -> bool:
        """True for a tangent link (72-77)."""
        return index >= self.n_axial

    @property
    def radius(self) -> npt.NDArray[np.float64]:
        """Distance of each actuator from the cell centre (m)."""
        return np.hypot(self.x, self.y)

    @property
    def angle_deg(self) -> npt.NDArray[np.float64]:
        """Angle of each actuator, clockwise from +y (12 o'clock), in [0, 360)."""
        return np.degrees(np.arctan2(self.x, self.y)) % 360.0

    def ring_radius(self, ring: str) -> float:
        """Mean radius of the actuators of ``ring`` ("A", "B", "C" or "D")."""
        members = [i for i, r in enumerate(self.rings) if r == ring]
        if not members:
            raise KeyError(f"no ring {ring!r}")
        return float(self.radius[members].mean())

    @property
    def ring_names(self) -> tuple[str, ...]:
        """The rings in index order (B, C, D, A)."""
        return tuple(dict.fromkeys(self.rings))

    @property
    def outline_radius(self) -> float:
        """Radius of the drawn cell outline (m): every actuator is inside it."""
        return float(self.radius.max()) + OUTLINE_MARGIN_M

    def tangent_direction(self, index: int) -> tuple[float, float]:
        """Unit vector (x, y) of the direction tangent link ``index`` acts along.

        The link lies on the circle of the A ring and pushes along it: the
        direction is perpendicular to the radius, ``(cos θ, -sin θ)`` for a
        link at θ clockwise from +y (the clockwise sense). A1 at 12 o'clock
        acts along x and carries no share of a gravity load along y;
        A2, A3, A5 and A6 act at 30° from y (their cos 30° factors).
        """
        if not self.is_tangent(index):
            raise ValueError(f"{self.labels[index]} is not a tangent link")
        theta = math.radians(float(self.tangent_angle_deg[index - self.n_axial]))
        return math.cos(theta), -math.sin(theta)

    def screen_xy(self, index: int) -> tuple[float, float]:
        """Position of actuator ``index`` for a y-down screen: ``(x, -y)`` in metres."""
        return float(self.x[index]), -float(self.y[index])

    def actuator_at(self, x: float, y: float, reach: float | None = None) -> int | None:
        """The actuator drawn at physical position ``(x, y)`` (metres), if any.

        The nearest actuator whose centre is within ``reach`` (default: the
        drawn axial radius, or half a tangent link's length for a link).
        """
        distances = np.hypot(self.x - x, self.y - y)
        index = int(np.argmin(distances))
        if reach is None:
            reach = TANGENT_LENGTH_M / 2 if self.is_tangent(index) else AXIAL_RADIUS_M
        return index if distances[index] <= reach else None


@cache
def load_geometry() -> CellGeometry:
    """Load the packaged cell geometry once."""
    text = resources.files("m2gui.resources").joinpath("cell_geometry.json").read_text()
    data = json.loads(text)
    acts = sorted(data["actuators"], key=lambda a: a["index"])
    return CellGeometry(
        labels=tuple(a["label"] for a in acts),
        rings=tuple(a["ring"] for a in acts),
        x=np.array([a["x"] for a in acts], dtype=float),
        y=np.array([a["y"] for a in acts], dtype=float),
        tangent_angle_deg=np.array([a["angle_deg"] for a in acts if "angle_deg" in a], float),
        default_hardpoints=tuple(data["default_hardpoints"]),
    )
