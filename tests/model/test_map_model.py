"""The mirror map's model: values from the telemetry store, colours, hardpoints, text."""

from __future__ import annotations

import math
import time
from typing import Any

import numpy as np
import pytest

from m2gui.model.cell.colormaps import COOLWARM, VIRIDIS
from m2gui.model.cell.map_model import GROUPS, LabelMode, MirrorMapModel, Show, compact
from m2gui.model.cell.map_quantities import QUANTITIES
from m2gui.model.cell.map_scale import ScaleMode
from m2gui.model.cell.selection import ActuatorSelection
from m2gui.model.session import Session
from m2gui.net import Received


def make() -> tuple[Session, MirrorMapModel]:
    session = Session("127.0.0.1", 1, 2, reconnect=False, history=5)
    return session, MirrorMapModel(session)


def feed(session: Session, topic: str, **fields: Any) -> None:
    message = {k: (v.tolist() if isinstance(v, np.ndarray) else v) for k, v in fields.items()}
    session.telemetry.on_telemetry(Received(topic, message, time.time(), "telemetry"))


def forces(n: int, **override: Any) -> dict[str, Any]:
    out: dict[str, Any] = {
        "lutGravity": np.full(n, 200.0),
        "lutTemperature": np.zeros(n),
        "applied": np.zeros(n),
        "measured": np.full(n, 200.0),
        "hardpointCorrection": np.zeros(n),
    }
    out.update(override)
    return out


def hardpoints(session: Session, one_based: list[int]) -> None:
    session.events.on_event(
        Received("hardpointList", {"actuators": one_based}, time.time(), "command")
    )


def test_no_telemetry_no_value() -> None:
    _, model = make()
    assert not model.refresh()  # "no value" from the start: nothing changed
    assert np.all(np.isnan(model.values))
    assert np.all(model.colour_index == -1)
    assert not model.refresh()  # nothing new: nothing to do
    assert model.changed_indices.size == 0
    assert model.summary("axial") == "Axial: no value"
    assert "no value" in model.hover_text(3)


def test_measured_force_colours_follow_values_and_the_scale() -> None:
    session, model = make()
    measured = np.linspace(0.0, 400.0, 72)
    feed(session, "axialForce", **forces(72, measured=measured))
    feed(
        session, "tangentForce", **forces(6, measured=np.array([0, 1000, 2000, 0, -2000, -1000.0]))
    )
    assert model.refresh()
    assert model.values[:72] == pytest.approx(measured)
    assert model.values[72:].tolist() == [0, 1000, 2000, 0, -2000, -1000]
    assert model.colormap is VIRIDIS  # automatic: sequential map
    low, high = model.scales["axial"].range
    assert low <= 0.0 and high >= 400.0
    expected = VIRIDIS.indices(measured, low, high)
    assert model.colour_index[:72].tolist() == expected.tolist()
    assert np.all(np.diff(model.colour_index[:72]) >= 0)  # more force, further along the map
    # the tangent links have their own scale (thousands of newtons)
    t_low, t_high = model.scales["tangent"].range
    assert t_low <= -2000 and t_high >= 2000 and model.colour_index[74] > model.colour_index[73]
    assert set(model.changed_ranges) == set(GROUPS)
    # one actuator changes: only it changes colour
    measured2 = measured.copy()
    measured2[10] = 390.0
    feed(session, "axialForce", **forces(72, measured=measured2))
    assert model.refresh()
    assert model.changed_indices.tolist() == [10]
    assert model.changed_ranges == ()
    assert model.summary("axial") == "Axial: min B1 0.0, max D18 400.0 N"
    assert model.colour_bar_ticks("axial")[0] >= low


def test_steps_of_one_colour_level_are_not_redrawn() -> None:
    session, model = make()
    model.set_mode(ScaleMode.FIXED)
    model.set_fixed("axial", 0.0, 256.0)  # one newton per colour level
    feed(session, "axialForce", **forces(72, measured=np.full(72, 100.5)))
    assert model.refresh()
    assert model.colour_index[0] == 100
    values = np.full(72, 100.5)
    values[0], values[1], values[2] = 101.5, 102.5, 99.5  # +1, +2 and -1 levels
    feed(session, "axialForce", **forces(72, measured=values))
    assert model.refresh()
    assert model.changed_indices.tolist() == [1]  # only the visible step
    assert model.colour_index[:3].tolist() == [100, 102, 100]
    values[0] = 102.5  # drifted two levels away from what is drawn: redrawn
    values[3] = math.nan  # a value going away is always redrawn
    feed(session, "axialForce", **forces(72, measured=values))
    model.refresh()
    assert model.changed_indices.tolist() == [0, 3]
    assert model.colour_index[[0, 3]].tolist() == [102, -1]
    model.set_fixed("axial", 0.0, 512.0)  # a new range redraws exactly
    model.refresh()
    assert model.colour_index[2] == VIRIDIS.indices([99.5], 0.0, 512.0)[0]


def test_force_error_is_symmetric_diverging_and_zero_at_hardpoints() -> None:
    session, model = make()
    hardpoints(session, [6, 16, 26, 74, 76, 78])
    assert model.hardpoints == frozenset({5, 15, 25, 73, 75, 77})
    model.set_quantity("force_error")
    assert model.mode is ScaleMode.SYMMETRIC and model.colormap is COOLWARM
    measured = np.full(72, 190.0)  # 10 N short everywhere
    feed(session, "axialForce", **forces(72, measured=measured))
    feed(session, "tangentForce", **forces(6, lutTemperature=[]))  # sent empty
    model.refresh()
    assert model.values[5] == 0.0 and model.values[15] == 0.0 and model.values[0] == 10.0
    assert model.values[72:].tolist() == [0.0] * 6
    low, high = model.scales["axial"].range
    assert low == -high and high >= 10.0
    assert model.colour_index[5] == COOLWARM.indices([0.0], low, high)[0]  # the neutral middle
    assert model.colour_index[0] > model.colour_index[5]
    # the hardpoints move: the zeroed errors move with them
    seen: list[frozenset[int]] = []
    model.hardpoints_changed.connect(seen.append)
    hardpoints(session, [1, 11, 21, 73, 75, 77])
    assert seen == [frozenset({0, 10, 20, 72, 74, 76})]
    assert model.refresh()
    assert model.values[0] == 0.0 and model.values[5] == 10.0
    assert sorted(model.changed_indices.tolist()) == [0, 5, 10, 15, 20, 25]


def test_bad_hardpoint_values_are_ignored() -> None:
    session, model = make()
    hardpoints(session, [6, 999, "x", 74])  # type: ignore[list-item]
    assert model.hardpoints == frozenset({5, 73})


@pytest.mark.parametrize(
    ("key", "axial_topic", "field", "raw", "shown"),
    [
        ("applied", "axialForce", "applied", 12.5, 12.5),
        ("lut_gravity", "axialForce", "lutGravity", 210.0, 210.0),
        ("position", "axialEncoderPositions", "position", 1500.0, 1.5),  # um -> mm
        ("steps", "axialActuatorSteps", "steps", 1234, 1234.0),
    ],
)
def test_each_quantity_reads_its_telemetry(
    key: str, axial_topic: str, field: str, raw: float, shown: float
) -> None:
    session, model = make()
    model.set_quantity(key)
    assert model.quantity is QUANTITIES[key]
    if axial_topic == "axialForce":
        feed(session, axial_topic, **forces(72, **{field: np.full(72, raw)}))
    else:
        feed(session, axial_topic, **{field: [raw] * 72})
    model.refresh()
    assert model.values[:72] == pytest.approx(np.full(72, shown))
    assert np.all(np.isnan(model.values[72:]))  # tangent topic not received
    assert model.plot_signals(3) == [f"{axial_topic}.{field}[3]"]
    tangent = QUANTITIES[key].tangent
    assert tangent is not None
    assert model.plot_signals(75) == [f"{tangent.topic}.{tangent.field}[3]"]


def test_switching_quantity_reads_again_without_new_samples() -> None:
    session, model = make()
    feed(session, "axialForce", **forces(72, applied=np.full(72, -3.0)))
    model.refresh()
    model.set_quantity("applied")
    assert model.refresh()
    assert model.values[0] == -3.0
    assert model.mode is ScaleMode.SYMMETRIC


def test_fixed_mode_freezes_the_current_range_and_takes_new_ones() -> None:
    session, model = make()
    feed(session, "axialForce", **forces(72, measured=np.linspace(0, 100, 72)))
    model.refresh()
    before = model.scales["axial"].range
    changes: list[str] = []
    model.settings_changed.connect(changes.append)
    model.set_mode(ScaleMode.FIXED)
    assert model.scales["axial"].range == before
    feed(session, "axialForce", **forces(72, measured=np.linspace(0, 1000, 72)))
    model.refresh()
    assert model.scales["axial"].range == before  # fixed: saturates, no rescale
    assert model.colour_index[71] == 255
    model.set_fixed("axial", 0.0, 2000.0)
    model.refresh()
    assert model.scales["axial"].range == (0.0, 2000.0)
    assert model.colour_index[71] == VIRIDIS.indices([1000.0], 0, 2000)[0]
    with pytest.raises(ValueError):
        model.set_fixed("tangent", 1.0, 0.0)
    assert changes == ["mode", "fixed"]
    assert model.describe()["fixed"]["axial"] == (0.0, 2000.0)


def test_labels_and_show() -> None:
    session, model = make()
    feed(session, "axialForce", **forces(72, measured=np.full(72, 123.456)))
    model.refresh()
    assert model.label(0) == "B1" and model.label(77) == "A6"
    model.set_labels(LabelMode.INDEX)
    assert model.label(0) == "0" and model.label(77) == "77"
    model.set_labels("id")
    assert model.label(0) == "1" and model.label(77) == "78"
    model.set_labels(LabelMode.VALUE)
    assert model.label(0) == "123" and model.label(77) == "–"
    model.set_show(Show.TANGENT)
    assert not model.shown(0) and model.shown(72)
    model.set_show("axial")
    assert model.shown(0) and not model.shown(72)
    assert [compact(v) for v in (0.0, -5.25, 12.34, 123.4, 123456.0, math.nan)] == [
        "0.00",
        "-5.25",
        "12.3",
        "123",
        "123k",
        "–",
    ]
    assert compact(0.01234, 4) == "0.012"
    assert compact(-0.001) == "0.00" and compact(-0.0001, 4) == "0.000"
    assert compact(1234.0, 0) == "1234"


def test_hover_text_has_every_value() -> None:
    session, model = make()
    hardpoints(session, [6, 16, 26, 74, 76, 78])
    session.store(ActuatorSelection).set([11])
    feed(
        session,
        "axialForce",
        **forces(
            72,
            lutGravity=np.full(72, 100.0),
            lutTemperature=np.full(72, 1.5),
            applied=np.full(72, 2.0),
            measured=np.full(72, 99.0),
            hardpointCorrection=np.full(72, 0.25),
        ),
    )
    feed(session, "axialEncoderPositions", position=[2500.0] * 72)
    feed(session, "axialActuatorSteps", steps=[-42] * 72)
    text = model.hover_text(11)
    lines = text.splitlines()
    assert lines[0] == "B12 · axial actuator · index 11 (ID 12) · selected"
    values = {line.split("  ")[0].strip(): line.split()[-2:] for line in lines[1:]}
    assert values["Measured force"] == ["99.00", "N"]
    assert values["Force error"] == ["4.75", "N"]  # 100 + 1.5 + 2 + 0.25 - 99
    assert values["Applied force"] == ["2.00", "N"]
    assert values["LUT gravity"] == ["100.00", "N"]
    assert values["LUT temperature"] == ["1.50", "N"]
    assert values["Hardpoint correction"] == ["0.25", "N"]
    assert values["Position"] == ["2.5000", "mm"]
    assert values["Steps"] == ["-42", "step"]
    feed(session, "axialEncoderPositions", position=[-0.01] * 72)
    assert "Position" in model.hover_text(0) and " 0.0000 mm" in model.hover_text(0)
    assert "hardpoint" in model.hover_text(5).splitlines()[0]
    assert "Force error" in model.hover_text(5) and "0.00 N" in model.hover_text(5)
    feed(session, "forceErrorTangent", force=[1.0, 2.0, 3.0, 4.0, 5.0, 6.0], weight=0.0, sum=0.0)
    tangent = model.hover_text(74)
    assert tangent.splitlines()[0] == "A3 · tangent link · index 74 (ID 75)"
    assert "Load-cell error" in tangent and "3.00 N" in tangent
    assert "LUT temperature" not in tangent
    signals = [v.signal for v in model.actuator_values(74)]
    assert "forceErrorTangent.force[2]" in signals and "tangentActuatorSteps.steps[2]" in signals


def test_plot_signals_of_the_force_error_are_its_terms() -> None:
    _, model = make()
    model.set_quantity("force_error")
    assert model.plot_signals(12) == [
        "axialForce.lutGravity[12]",
        "axialForce.lutTemperature[12]",
        "axialForce.applied[12]",
        "axialForce.measured[12]",
        "axialForce.hardpointCorrection[12]",
    ]
    assert model.plot_signals(73)[0] == "forceErrorTangent.force[1]"
    assert "tangentForce.lutTemperature[1]" not in model.plot_signals(73)
    model.set_quantity("measured")
    assert model.plot_signals([0, 72]) == ["axialForce.measured[0]", "tangentForce.measured[0]"]


def test_only_the_quantity_topics_trigger_work() -> None:
    session, model = make()
    model.refresh()
    feed(session, "temperature", ring=[20.0] * 12, intake=[1.0, 2.0], exhaust=[1.0, 2.0])
    assert not model.refresh()
    feed(session, "axialForce", **forces(72))
    assert model.refresh()


def test_short_arrays_do_not_break_the_map() -> None:
    session, model = make()
    feed(session, "axialForce", **forces(72, measured=[1.0, 2.0]))  # NaN-padded by the store
    model.refresh()
    assert model.values[0] == 1.0 and math.isnan(model.values[5])
    assert model.colour_index[5] == -1
