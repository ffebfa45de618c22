"""Script Control: runScript commands, the name rule and the progress (no Qt)."""

from __future__ import annotations

import time
from typing import Any

import pytest

from m2gui.model.cell.scripts import (
    ScriptCommand,
    load_script,
    needs_script_name,
    script_control,
    script_name,
    script_progress,
)
from m2gui.model.session import Session
from m2gui.net import Received


def make_session() -> Session:
    return Session("127.0.0.1", 1, 2, reconnect=False, history=5)


def feed(session: Session, name: str, **fields: Any) -> None:
    session.events.on_event(Received(name, {"id": name, **fields}, time.time(), "command"))


def test_load_script_sends_only_the_base_name() -> None:
    expected = {"scriptCommand": 1, "scriptName": "move_b_ring.py"}
    assert load_script("move_b_ring.py") == expected
    assert load_script("  /u/script/move_b_ring.py ") == expected
    assert load_script(r"C:\scripts\move_b_ring.py") == expected
    assert script_name("dir/sub/") == ""
    cat = make_session().catalogue
    assert cat.validate_command("runScript", expected) == expected


@pytest.mark.parametrize("text", ["", "   ", "/u/script/"])
def test_load_script_needs_a_non_blank_name(text: str) -> None:
    with pytest.raises(ValueError, match="type the script's name first"):
        load_script(text)
    rule = needs_script_name(lambda: text)
    assert rule(make_session()) == "type the script's name first (a file in /u/script on the cRIO)"


def test_name_rule_follows_what_is_typed() -> None:
    typed = {"text": ""}
    rule = needs_script_name(lambda: typed["text"])
    session = make_session()
    assert rule(session) is not None
    typed["text"] = "a.py"
    assert rule(session) is None
    typed["text"] = "x" * 300
    assert rule(session) == "the script name is longer than 255 characters"


def test_script_controls_carry_only_the_command() -> None:
    assert [script_control(c) for c in list(ScriptCommand)[1:]] == [
        {"scriptCommand": 2},
        {"scriptCommand": 3},
        {"scriptCommand": 4},
        {"scriptCommand": 5},
        {"scriptCommand": 6},
    ]
    with pytest.raises(ValueError, match="LoadScript needs a name"):
        script_control(ScriptCommand.LOAD_SCRIPT)


def test_progress_from_script_execution_status() -> None:
    session = make_session()
    assert script_progress(session) is None
    feed(session, "scriptExecutionStatus", percentage=42.0)
    assert script_progress(session) == 42.0
    feed(session, "scriptExecutionStatus", percentage=130)
    assert script_progress(session) == 100.0
    feed(session, "scriptExecutionStatus", percentage="half")
    assert script_progress(session) is None
    feed(session, "scriptExecutionStatus", percentage=True)
    assert script_progress(session) is None
