"""Net force and moment, and force balance: the twelve values and their signals."""

from __future__ import annotations

import time
from typing import Any

from m2gui.model import load_catalogue
from m2gui.model.cell.net_force import BALANCE, GROUPS, NET, NetForces, unit_text
from m2gui.model.session import Session
from m2gui.model.signals import parse_signal
from m2gui.net import Received

CAT = load_catalogue()


def tel(session: Session, name: str, **fields: Any) -> None:
    session.telemetry.on_telemetry(Received(name, {"id": name, **fields}, time.time(), "telemetry"))


def test_signals_are_the_six_and_six() -> None:
    assert [q.signal for q in NET] == [
        "netForcesTotal.fx",
        "netForcesTotal.fy",
        "netForcesTotal.fz",
        "netMomentsTotal.mx",
        "netMomentsTotal.my",
        "netMomentsTotal.mz",
    ]
    assert [q.signal for q in BALANCE] == [
        f"forceBalance.{a}" for a in ("fx", "fy", "fz", "mx", "my", "mz")
    ]
    assert [q.unit for q in NET] == ["N"] * 3 + ["N·m"] * 3
    assert [q.title for q in BALANCE] == ["Fx", "Fy", "Fz", "Mx", "My", "Mz"]
    for quantity in NET + BALANCE:
        parse_signal(quantity.signal, CAT)  # known to the catalogue and plottable
        spec = CAT.telemetry[quantity.topic].fields[quantity.field]
        assert unit_text(spec.unit) == quantity.unit
    assert [g[2] for g in GROUPS] == [NET, BALANCE]


def test_values_follow_telemetry() -> None:
    session = Session("127.0.0.1", 1, 2, reconnect=False, history=5)
    store = session.store(NetForces)
    seen: list[tuple[str, ...]] = []
    store.changed.connect(seen.append)
    assert store.text("netForcesTotal.fx") == "—"
    tel(session, "netForcesTotal", fx=1.25, fy=-2.0, fz=15580.3)
    assert seen == [("netForcesTotal.fx", "netForcesTotal.fy", "netForcesTotal.fz")]
    assert store.text("netForcesTotal.fz") == "15580.3"
    assert store.text("netForcesTotal.fx", decimals=2) == "1.25"
    tel(session, "forceBalance", fx=0.1, fy=0.2, fz=0.3, mx=1.0, my=2.0, mz=-3.0)
    assert len(seen[-1]) == 6
    assert store.values["forceBalance.mz"] == -3.0
    tel(session, "forceBalance", fx=-0.01, fy=0.2, fz=0.3, mx=1.0, my=2.0, mz=-3.0)
    assert store.text("forceBalance.fx") == "0.0"  # never -0.0
    tel(
        session, "powerStatus", motorVoltage=1.0, motorCurrent=1.0, commVoltage=1.0, commCurrent=1.0
    )
    assert len(seen) == 3  # other topics are not announced
    # a new store reads what is already there
    other = NetForces(session)
    assert other.values["netForcesTotal.fy"] == -2.0
