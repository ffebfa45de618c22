"""Colour maps for the mirror map: perceptually uniform and readable by colour-blind users.

Two tables of 256 sRGB colours, computed here from their numeric
definitions (no matplotlib):

- ``VIRIDIS`` (sequential, for magnitudes): the viridis map of van der Walt
  and Smith, from the public-domain degree-6 polynomial fit of each sRGB
  channel. Its lightness rises monotonically from dark blue-violet to
  yellow, so values keep their order in grey scale and for every common
  form of colour blindness.
- ``COOLWARM`` (diverging, for signed values about zero): Moreland's
  "cool to warm" map, interpolated in his Msh space (polar CIELAB) from blue
  (59, 76, 192) through a light neutral to red (180, 4, 38). Lightness peaks
  at zero and falls the same way on both sides; the two sides differ along
  the blue-yellow axis as well, which protan and deutan vision keeps.

`Colormap.indices` turns values into table indices (NaN -> -1, "no value");
a view keeps one brush per index and only swaps brushes.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

__all__ = [
    "COLORMAPS",
    "COOLWARM",
    "LEVELS",
    "VIRIDIS",
    "Colormap",
    "lab_to_srgb",
    "relative_luminance",
    "srgb_to_lab",
]

FloatArray = npt.NDArray[np.float64]
#: Entries of every table.
LEVELS = 256

# D65 white (CIE 1931 2°), as Moreland uses.
_WHITE = np.array([0.95047, 1.0, 1.08883])
_RGB_TO_XYZ = np.array(
    [
        [0.4124564, 0.3575761, 0.1804375],
        [0.2126729, 0.7151522, 0.0721750],
        [0.0193339, 0.1191920, 0.9503041],
    ]
)
_XYZ_TO_RGB = np.linalg.inv(_RGB_TO_XYZ)


def _to_linear(srgb: FloatArray) -> FloatArray:
    return np.where(srgb <= 0.04045, srgb / 12.92, ((srgb + 0.055) / 1.055) ** 2.4)


def _to_srgb(linear: FloatArray) -> FloatArray:
    linear = np.clip(linear, 0.0, 1.0)
    return np.where(linear <= 0.0031308, 12.92 * linear, 1.055 * linear ** (1 / 2.4) - 0.055)


def srgb_to_lab(srgb: npt.ArrayLike) -> FloatArray:
    """CIELAB (D65) of sRGB colours in [0, 1], shape (..., 3)."""
    xyz = _to_linear(np.asarray(srgb, dtype=float)) @ _RGB_TO_XYZ.T / _WHITE
    f = np.where(xyz > (6 / 29) ** 3, np.cbrt(xyz), xyz / (3 * (6 / 29) ** 2) + 4 / 29)
    lightness = 116 * f[..., 1] - 16
    a = 500 * (f[..., 0] - f[..., 1])
    b = 200 * (f[..., 1] - f[..., 2])
    return np.stack([lightness, a, b], axis=-1)


def lab_to_srgb(lab: npt.ArrayLike) -> FloatArray:
    """sRGB in [0, 1] (clipped to the gamut) of CIELAB (D65) colours, shape (..., 3)."""
    lab = np.asarray(lab, dtype=float)
    fy = (lab[..., 0] + 16) / 116
    f = np.stack([fy + lab[..., 1] / 500, fy, fy - lab[..., 2] / 200], axis=-1)
    xyz = np.where(f > 6 / 29, f**3, 3 * (6 / 29) ** 2 * (f - 4 / 29)) * _WHITE
    return np.asarray(_to_srgb(xyz @ _XYZ_TO_RGB.T))


def relative_luminance(srgb: npt.ArrayLike) -> FloatArray:
    """WCAG relative luminance of sRGB colours in [0, 1], shape (..., 3)."""
    linear = _to_linear(np.asarray(srgb, dtype=float))
    return np.asarray(linear @ np.array([0.2126, 0.7152, 0.0722]))


@dataclass(frozen=True)
class Colormap:
    """A table of `LEVELS` sRGB colours and how values index it.

    Attributes
    ----------
    name : `str`
        Short name ("viridis").
    diverging : `bool`
        True for a map about zero (light middle), False for magnitudes.
    rgb : ndarray of uint8, shape (LEVELS, 3)
        The colours.
    dark_text : ndarray of bool, shape (LEVELS,)
        True where black text reads better than white on the colour (higher
        WCAG contrast).
    """

    name: str
    diverging: bool
    rgb: npt.NDArray[np.uint8]
    dark_text: npt.NDArray[np.bool_] = field(init=False)

    def __post_init__(self) -> None:
        luminance = relative_luminance(self.rgb / 255.0)
        # contrast with black (L + 0.05) / 0.05 against white 1.05 / (L + 0.05)
        object.__setattr__(self, "dark_text", (luminance + 0.05) ** 2 > 0.0525)

    def indices(
        self,
        values: npt.ArrayLike,
        low: float,
        high: float,
        out: npt.NDArray[np.int16] | None = None,
    ) -> npt.NDArray[np.int16]:
        """Table index of each value on the scale ``low``..``high``.

        Values beyond the scale get the end colours; NaN (no value) gets -1.
        """
        v = np.asarray(values, dtype=float)
        span = high - low
        scale = LEVELS / span if span > 0 else 0.0
        t = np.nan_to_num((v - low) * scale, nan=-2.0, posinf=LEVELS - 1, neginf=0.0)
        t = np.clip(t, 0, LEVELS - 1, out=t)
        t[np.isnan(v)] = -1
        if out is None:
            return t.astype(np.int16)
        np.copyto(out, t, casting="unsafe")
        return out

    def hex(self, index: int) -> str:
        """``#rrggbb`` of entry ``index``."""
        r, g, b = (int(c) for c in self.rgb[index])
        return f"#{r:02x}{g:02x}{b:02x}"

    def at(self, t: float) -> tuple[int, int, int]:
        """The colour at ``t`` in [0, 1] along the map."""
        r, g, b = (int(c) for c in self.rgb[min(LEVELS - 1, max(0, int(t * LEVELS)))])
        return r, g, b


def _table(srgb: FloatArray) -> npt.NDArray[np.uint8]:
    return np.asarray(np.round(np.clip(srgb, 0.0, 1.0) * 255), dtype=np.uint8)


# Degree-6 polynomial fit of viridis per sRGB channel, coefficients c0..c6
# (Matt Zucker's public-domain fit; error below 1/255 against the published table).
_VIRIDIS_COEFFICIENTS = np.array(
    [
        [0.2777273272234177, 0.005407344544966578, 0.3340998053353061],
        [0.1050930431085774, 1.404613529898575, 1.384590162594685],
        [-0.3308618287255563, 0.214847559468213, 0.09509516302823659],
        [-4.634230498983486, -5.799100973351585, -19.33244095627987],
        [6.228269936347081, 14.17993336680509, 56.69055260068105],
        [4.776384997670288, -13.74514537774601, -65.35303263337234],
        [-5.435455855934631, 4.645852612178535, 26.3124352495832],
    ]
)


def _viridis() -> npt.NDArray[np.uint8]:
    t = np.linspace(0.0, 1.0, LEVELS)
    powers = t[:, None] ** np.arange(7)[None, :]
    return _table(powers @ _VIRIDIS_COEFFICIENTS)


def _lab_to_msh(lab: FloatArray) -> FloatArray:
    m = float(np.linalg.norm(lab))
    s = float(np.arccos(lab[0] / m)) if m > 0 else 0.0
    h = float(np.arctan2(lab[2], lab[1]))
    return np.array([m, s, h])


def _msh_to_lab(msh: FloatArray) -> FloatArray:
    m, s, h = msh[..., 0], msh[..., 1], msh[..., 2]
    return np.stack([m * np.cos(s), m * np.sin(s) * np.cos(h), m * np.sin(s) * np.sin(h)], -1)


def _adjust_hue(saturated: FloatArray, m_unsaturated: float) -> float:
    """Moreland's hue spin for the unsaturated end of a segment."""
    m, s, h = (float(v) for v in saturated)
    if m >= m_unsaturated:
        return h
    spin = s * math.sqrt(m_unsaturated**2 - m**2) / (m * math.sin(s))
    return h + spin if h > -math.pi / 3 else h - spin


def _coolwarm() -> npt.NDArray[np.uint8]:
    cool = _lab_to_msh(srgb_to_lab(np.array([59, 76, 192]) / 255.0))
    warm = _lab_to_msh(srgb_to_lab(np.array([180, 4, 38]) / 255.0))
    middle = max(cool[0], warm[0], 88.0)
    out = np.empty((LEVELS, 3))
    for k, t in enumerate(np.linspace(0.0, 1.0, LEVELS)):
        if t < 0.5:
            start, end, u = cool.copy(), np.array([middle, 0.0, 0.0]), 2 * t
            end[2] = _adjust_hue(start, middle)
        else:
            start, end, u = np.array([middle, 0.0, 0.0]), warm.copy(), 2 * t - 1
            start[2] = _adjust_hue(end, middle)
        out[k] = _msh_to_lab((1 - u) * start + u * end)
    return _table(lab_to_srgb(out))


VIRIDIS = Colormap("viridis", False, _viridis())
COOLWARM = Colormap("cool-warm", True, _coolwarm())
#: By name.
COLORMAPS = {c.name: c for c in (VIRIDIS, COOLWARM)}
