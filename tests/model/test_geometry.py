"""Cell geometry in the physical convention of cell-geometry.json."""

from __future__ import annotations

import math

import numpy as np
import pytest

from m2gui.model.geometry import (
    AXIAL_RADIUS_M,
    TANGENT_LENGTH_M,
    TANGENT_WIDTH_M,
    load_geometry,
)

G = load_geometry()


def clock_hours(index: int) -> float:
    """Where an actuator is on a clock face seen as the vendor drawing is (12 = top)."""
    return (float(G.angle_deg[index]) / 30.0) % 12 or 12.0


def test_counts_and_labels() -> None:
    assert (G.count, G.n_axial, G.n_tangent) == (78, 72, 6)
    assert G.labels[:3] == ("B1", "B2", "B3")
    assert (G.labels[29], G.labels[30], G.labels[54], G.labels[71]) == ("B30", "C1", "D1", "D18")
    assert G.labels[72:] == ("A1", "A2", "A3", "A4", "A5", "A6")
    assert G.ring_names == ("B", "C", "D", "A")
    assert [G.rings.count(r) for r in "BCDA"] == [30, 24, 18, 6]


def test_b1_a1_d1_at_twelve_o_clock_and_up_on_the_screen() -> None:
    for label in ("B1", "A1", "D1"):
        i = G.labels.index(label)
        assert G.x[i] == pytest.approx(0.0, abs=1e-6)
        assert G.y[i] > 0  # +y is up in the drawing
        assert clock_hours(i) == 12.0
        _, sy = G.screen_xy(i)
        assert sy < 0  # y negated: above the centre on a y-down screen
    c1 = G.labels.index("C1")
    assert G.x[c1] > 0 and 0 < G.angle_deg[c1] < 15  # just right of 12 o'clock
    a4 = G.labels.index("A4")
    assert clock_hours(a4) == pytest.approx(6.0)


@pytest.mark.parametrize("ring", ["B", "C", "D", "A"])
def test_numbers_run_clockwise(ring: str) -> None:
    members = [i for i, r in enumerate(G.rings) if r == ring]
    angles = G.angle_deg[members]
    steps = np.diff(np.unwrap(np.radians(angles)))
    assert np.all(steps > 0)  # clockwise from +y increases
    assert np.degrees(steps.sum()) < 360
    # B2 is to the right of B1, the last one to its left
    assert G.x[members[1]] > G.x[members[0]] - 1e-9
    assert G.x[members[-1]] < 0


def test_rings_are_circles_at_their_radii() -> None:
    for ring, radius in (("B", 1.601), ("C", 1.284), ("D", 1.002), ("A", 1.78019)):
        members = [i for i, r in enumerate(G.rings) if r == ring]
        assert np.allclose(G.radius[members], radius, atol=2e-3)
        assert G.ring_radius(ring) == pytest.approx(radius, abs=2e-3)
    with pytest.raises(KeyError):
        G.ring_radius("Z")


def test_every_actuator_is_inside_the_cell_outline_as_drawn() -> None:
    outline = G.outline_radius
    axial_reach = G.radius[:72] + AXIAL_RADIUS_M
    tangent_reach = np.hypot(G.radius[72:] + TANGENT_WIDTH_M / 2, TANGENT_LENGTH_M / 2)
    assert np.all(axial_reach < outline)
    assert np.all(tangent_reach < outline)


def test_drawn_actuators_do_not_overlap() -> None:
    x, y = G.x[:72], G.y[:72]
    d = np.hypot(x[:, None] - x, y[:, None] - y) + np.eye(72) * 10
    assert d.min() > 2 * AXIAL_RADIUS_M
    # a tangent bar clears the B ring circles next to it
    for i in range(72, 78):
        clearance = np.hypot(G.x[:72] - G.x[i], G.y[:72] - G.y[i]).min()
        assert clearance > AXIAL_RADIUS_M + TANGENT_WIDTH_M / 2


def test_tangent_directions_are_along_the_ring() -> None:
    for i in range(72, 78):
        dx, dy = G.tangent_direction(i)
        assert math.hypot(dx, dy) == pytest.approx(1.0)
        # perpendicular to the radius
        assert dx * G.x[i] + dy * G.y[i] == pytest.approx(0.0, abs=1e-4)
    a1, a4 = G.tangent_direction(72), G.tangent_direction(75)
    assert a1 == pytest.approx((1.0, 0.0), abs=1e-9)  # along x: no share of gravity along y
    assert a4 == pytest.approx((-1.0, 0.0), abs=1e-9)
    for label in ("A2", "A3", "A5", "A6"):
        _, dy = G.tangent_direction(G.labels.index(label))
        assert abs(dy) == pytest.approx(math.cos(math.radians(30)))
    with pytest.raises(ValueError, match="not a tangent link"):
        G.tangent_direction(0)


def test_actuator_at_finds_what_is_drawn_there() -> None:
    assert G.actuator_at(0.0, 1.601) == 0
    assert G.actuator_at(0.05, 1.601 - 0.05) == 0
    assert G.actuator_at(0.0, 0.0) is None  # the centre is empty
    assert G.actuator_at(0.0, -1.78) == 75  # A4
    assert G.actuator_at(0.15, 1.78) == 72  # along A1's bar
    assert G.actuator_at(3.0, 3.0) is None
