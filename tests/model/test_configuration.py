"""The Configuration store: the config event laid out with units, the files, the Set rule."""

from __future__ import annotations

from typing import Any

import pytest

from m2gui.model.ops.configuration import (
    MAX_FILES,
    NOTE,
    Configuration,
    set_file_rules,
    short_file_name,
)
from m2gui.model.ops.local_mode import Local, LocalMode
from m2gui.model.session import Session
from m2gui.net import Received

FILES = [
    "Configurable_File_Description_20180831T091922_M2_optical.csv",
    "Configurable_File_Description_20180831T092326_M2_handling.csv",
    "Configurable_File_Description_20180831T092423_surrogate_optical.csv",
    "Configurable_File_Description_20180831T092556_surrogate_handling.csv",
]
CONFIG = {
    "configuration": FILES[3],
    "version": "20180831T092556",
    "controlParameters": "CtrlParameterFiles_2018-07-19_104314_surg",
    "lutParameters": "FinalHandlingLUTs",
    "powerWarningMotor": 5.0,
    "powerFaultMotor": 10.0,
    "powerThresholdMotor": 20.0,
    "powerWarningComm": 5.0,
    "powerFaultComm": 10.0,
    "powerThresholdComm": 10.0,
    "inPositionAxial": 0.158,
    "inPositionTangent": 1.1,
    "inPositionSample": 1.0,
    "timeoutSal": 15.0,
    "timeoutCrio": 1.0,
    "timeoutIlc": 3,
    "inclinometerDelta": 2.0,
    "inclinometerDiffEnabled": True,
    "cellTemperatureDelta": 2.0,
}


def make_session() -> Session:
    return Session("127.0.0.1", 1, 2, reconnect=False, history=5)


def event(session: Session, name: str, **fields: Any) -> None:
    session.events.on_event(Received(name, {"id": name, **fields}, 1.7e9, "command"))


def rows(store: Configuration) -> dict[str, tuple[str, str, str]]:
    return {r.field: (g.title, r.text, r.unit) for g in store.groups for r in g.rows}


def test_the_config_event_in_the_incumbents_groups_with_units() -> None:
    session = make_session()
    store = session.store(Configuration)
    assert [g.title for g in store.groups] == [
        "File paths and version",
        "Motor power supply monitoring",
        "Communication power supply monitoring",
        "In-position flag",
        "Communication timeout",
        "Inclinometer",
        "Temperature",
    ]
    assert all(r.text == "—" for g in store.groups for r in g.rows)
    event(session, "config", **CONFIG)
    shown = rows(store)
    assert shown["configuration"] == ("File paths and version", FILES[3], "")
    assert shown["powerWarningMotor"] == ("Motor power supply monitoring", "5", "%")
    assert shown["powerFaultComm"] == ("Communication power supply monitoring", "10", "%")
    assert shown["powerThresholdMotor"][1:] == ("20", "A")
    assert shown["inPositionAxial"][1:] == ("0.158", "N")
    assert shown["inPositionSample"][1:] == ("1", "s")
    assert shown["timeoutSal"][1:] == ("15", "s")
    assert shown["timeoutIlc"][1:] == ("3", "counts")
    assert shown["inclinometerDelta"][1:] == ("2", "°")
    assert shown["inclinometerDiffEnabled"][1:] == ("yes", "")
    assert shown["cellTemperatureDelta"] == ("Temperature", "2", "°C")
    labels = {r.field: r.label for g in store.groups for r in g.rows}
    assert labels["powerWarningMotor"] == "24 V accuracy warning"
    assert labels["timeoutIlc"] == "ILC telemetry receipt error persistence"
    assert store.current == FILES[3]
    # every field of the event is shown
    assert set(shown) == set(CONFIG)


def test_changed_rows_are_marked_and_extra_fields_shown() -> None:
    session = make_session()
    store = session.store(Configuration)
    seen: list[str] = []
    store.changed.connect(seen.append)
    event(session, "config", **CONFIG)
    assert not any(r.changed for g in store.groups for r in g.rows)  # first: nothing marked
    event(session, "config", **{**CONFIG, "configuration": FILES[0], "newField": "x" * 500})
    assert seen == ["config", "config"]
    marked = {r.field for g in store.groups for r in g.rows if r.changed}
    assert marked == {"configuration", "newField"}
    other = store.groups[-1]
    assert other.title == "Other" and other.rows[0].field == "newField"
    assert len(other.rows[0].text) <= 201
    assert store.current == FILES[0]


def test_files_and_the_chosen_one() -> None:
    session = make_session()
    store = session.store(Configuration)
    seen: list[str] = []
    store.changed.connect(seen.append)
    assert store.files == [] and store.chosen is None
    event(session, "configurationFiles", files=FILES)
    assert store.files == FILES and seen == ["files"]
    with pytest.raises(ValueError):
        store.set_params()
    store.choose(FILES[1])
    assert store.chosen == FILES[1] and seen[-1] == "chosen"
    assert store.set_params() == {"file": FILES[1]}
    assert session.catalogue.validate_command("setConfigurationFile", store.set_params())
    with pytest.raises(ValueError):
        store.choose("not_a_file.csv")
    event(session, "configurationFiles", files=FILES)  # same list: nothing announced
    assert seen == ["files", "chosen"]
    event(session, "configurationFiles", files=FILES[2:])
    assert store.chosen is None and seen[-2:] == ["chosen", "files"]


def test_the_file_list_is_bounded() -> None:
    session = make_session()
    store = session.store(Configuration)
    event(session, "configurationFiles", files=[f"f{i}.csv" for i in range(1000)])
    assert len(store.files) == MAX_FILES
    event(session, "configurationFiles", files=["ok.csv", 3, "", "y" * 10_000, None, "ok.csv"])
    assert store.files == ["ok.csv"]
    assert store.dropped_files == 1000 - MAX_FILES + 5
    event(session, "configurationFiles", files="not a list")
    assert store.files == []


@pytest.mark.parametrize(
    ("mode", "chosen", "reason"),
    [
        ("Diagnostic", True, "allowed only in local mode Standby (it is Diagnostic)"),
        ("Enable", True, "allowed only in local mode Standby (it is Enable)"),
        ("Standby", False, "choose a configuration file first"),
        ("Standby", True, None),
    ],
)
def test_set_only_in_standby_with_a_file_chosen(
    mode: str, chosen: bool, reason: str | None
) -> None:
    session = make_session()
    session.store(LocalMode).mode = Local(mode)
    store = session.store(Configuration)
    event(session, "configurationFiles", files=FILES)
    if chosen:
        store.choose(FILES[0])
    found = next((r for rule in set_file_rules() if (r := rule(session))), None)
    assert found == reason
    assert "next Enable" in NOTE


def test_short_file_names() -> None:
    assert short_file_name(FILES[1]) == "20180831T092326_M2_handling.csv"
    assert short_file_name("other.csv") == "other.csv"
    assert short_file_name("Configurable_File_Description_") == "Configurable_File_Description_"
