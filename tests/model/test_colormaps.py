"""The mirror map's colour maps: ordered in lightness, readable with colour blindness."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pytest

from m2gui.model.cell.colormaps import (
    COLORMAPS,
    COOLWARM,
    LEVELS,
    VIRIDIS,
    lab_to_srgb,
    relative_luminance,
    srgb_to_lab,
)

# Machado, Oliveira and Fernandes (2009), severity 1.0, on linear RGB.
CVD = {
    "protanopia": np.array(
        [
            [0.152286, 1.052583, -0.204868],
            [0.114503, 0.786281, 0.099216],
            [-0.003882, -0.048116, 1.051998],
        ]
    ),
    "deuteranopia": np.array(
        [
            [0.367322, 0.860646, -0.227968],
            [0.280085, 0.672501, 0.047413],
            [-0.011820, 0.042940, 0.968881],
        ]
    ),
    "tritanopia": np.array(
        [
            [1.255528, -0.076749, -0.178779],
            [-0.078411, 0.930809, 0.147602],
            [0.004733, 0.691367, 0.303900],
        ]
    ),
}


def simulate(
    rgb: npt.NDArray[np.uint8], matrix: npt.NDArray[np.float64]
) -> npt.NDArray[np.float64]:
    srgb = rgb / 255.0
    linear = np.where(srgb <= 0.04045, srgb / 12.92, ((srgb + 0.055) / 1.055) ** 2.4)
    seen = np.clip(linear @ matrix.T, 0, 1)
    return np.where(seen <= 0.0031308, 12.92 * seen, 1.055 * seen ** (1 / 2.4) - 0.055)


def lightness(srgb: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    return srgb_to_lab(srgb)[:, 0]


def test_lab_round_trip_and_known_values() -> None:
    assert srgb_to_lab([1.0, 1.0, 1.0]) == pytest.approx([100.0, 0.0, 0.0], abs=0.01)
    assert srgb_to_lab([0.0, 0.0, 0.0]) == pytest.approx([0.0, 0.0, 0.0], abs=0.01)
    assert srgb_to_lab([1.0, 0.0, 0.0]) == pytest.approx([53.24, 80.09, 67.20], abs=0.05)
    colours = np.random.default_rng(3).random((50, 3))
    assert lab_to_srgb(srgb_to_lab(colours)) == pytest.approx(colours, abs=1e-9)
    assert relative_luminance([1.0, 1.0, 1.0]) == pytest.approx(1.0)


def test_tables() -> None:
    assert set(COLORMAPS) == {"viridis", "cool-warm"}
    for cmap in COLORMAPS.values():
        assert cmap.rgb.shape == (LEVELS, 3) and cmap.rgb.dtype == np.uint8
    # the published end points of viridis and of Moreland's cool-warm
    assert np.abs(VIRIDIS.rgb[0].astype(int) - (68, 1, 84)).max() <= 4
    assert np.abs(VIRIDIS.rgb[-1].astype(int) - (253, 231, 37)).max() <= 4
    assert np.abs(VIRIDIS.rgb[128].astype(int) - (33, 145, 140)).max() <= 3
    assert tuple(COOLWARM.rgb[0]) == (59, 76, 192)
    assert tuple(COOLWARM.rgb[-1]) == (180, 4, 38)
    assert np.abs(COOLWARM.rgb[127].astype(int) - 221).max() <= 2  # light neutral middle
    assert VIRIDIS.hex(0) == "#" + "".join(f"{c:02x}" for c in VIRIDIS.rgb[0])
    assert not VIRIDIS.diverging and COOLWARM.diverging


@pytest.mark.parametrize("vision", [None, *CVD])
def test_viridis_lightness_rises_evenly_for_every_vision(vision: str | None) -> None:
    srgb = VIRIDIS.rgb / 255.0 if vision is None else simulate(VIRIDIS.rgb, CVD[vision])
    light = lightness(srgb)
    coarse = light[::8]
    assert np.all(np.diff(coarse) > 0)  # order kept, colour or not
    assert np.diff(light).min() > -0.1  # 8-bit rounding only
    if vision is None:
        t = np.arange(LEVELS)
        fit = np.polyval(np.polyfit(t, light, 1), t)
        assert np.abs(fit - light).max() < 2.0  # perceptually even steps
        assert light[-1] - light[0] > 70


@pytest.mark.parametrize("vision", [None, *CVD])
def test_coolwarm_is_light_in_the_middle_and_its_sides_stay_apart(vision: str | None) -> None:
    srgb = COOLWARM.rgb / 255.0 if vision is None else simulate(COOLWARM.rgb, CVD[vision])
    light = lightness(srgb)
    half = LEVELS // 2
    assert np.all(np.diff(light[:half:8]) > 0)
    assert np.all(np.diff(light[half::8]) < 0)
    if vision is None:
        assert np.abs(light - light[::-1]).max() < 3  # both signs equally dark
    lab = srgb_to_lab(srgb)
    for k in (0, 32, 64, 96):  # -x and +x never look alike
        assert np.linalg.norm(lab[k] - lab[LEVELS - 1 - k]) > 10


def test_indices() -> None:
    got = VIRIDIS.indices([0.0, 0.5, 1.0, np.nan, 2.0, -1.0, np.inf], 0.0, 1.0)
    assert got.tolist() == [0, 128, 255, -1, 255, 0, 255]
    out = np.zeros(3, dtype=np.int16)
    assert VIRIDIS.indices([-10.0, 0.0, 10.0], -10.0, 10.0, out=out) is out
    assert out.tolist() == [0, 128, 255]
    assert VIRIDIS.indices([1.0], 1.0, 1.0).tolist() == [0]  # empty scale: first colour
    assert VIRIDIS.at(1.0) == tuple(int(c) for c in VIRIDIS.rgb[-1])


def test_text_colour_reads_on_every_entry() -> None:
    for cmap in COLORMAPS.values():
        luminance = relative_luminance(cmap.rgb / 255.0)
        text = np.where(cmap.dark_text, 0.0, 1.0)
        contrast = (np.maximum(luminance, text) + 0.05) / (np.minimum(luminance, text) + 0.05)
        assert contrast.min() > 4.5  # WCAG AA for normal text
    assert not VIRIDIS.dark_text[0] and VIRIDIS.dark_text[-1]
    assert COOLWARM.dark_text[128]
