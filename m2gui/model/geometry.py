"""Where the 72 axial actuators and 6 tangent links sit on the cell."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from importlib import resources

import numpy as np
import numpy.typing as npt

__all__ = ["CellGeometry", "load_geometry"]


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
    def n_axial(self) -> int:
        """Number of axial actuators (72)."""
        return len(self.labels) - len(self.tangent_angle_deg)

    def label(self, index: int) -> str:
        """Return the ring label (B1..D18, A1..A6) of a 0-based index."""
        return self.labels[index]


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
