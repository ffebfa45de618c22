"""``catalogue``: commands with parameters, units, ranges and defaults; topics; enumerations."""

from __future__ import annotations

import json

from m2gui.cli import ExitCode
from m2gui.model import Catalogue

from .conftest import cli


def test_overview_lists_every_command_event_and_topic(catalogue: Catalogue) -> None:
    result = cli("catalogue")
    assert result.code == ExitCode.OK, result.stderr
    words = result.stdout.split()
    for name in [*catalogue.commands, *catalogue.events, *catalogue.telemetry]:
        assert name in words or f"!{name}" in words, name
    assert f"commands ({len(catalogue.commands)})" in result.stdout


def test_a_command_with_units_ranges_and_defaults() -> None:
    result = cli("catalogue", "cmd_applyForces")
    assert result.code == ExitCode.OK, result.stderr
    text = result.stdout
    assert text.startswith("command applyForces (group motion and forces; timeout 10 s)")
    assert "axial                  float[72]" in text
    assert "72 values (number -444.82…444.82 N)" in text
    assert "default 0.0" in text
    mask = cli("catalogue", "setEnabledFaultsMask").stdout
    assert "0x0…0xFFFFFFFFFFFFFFFF" in mask and "default 0xFF800007FFFFFFFF" in mask
    assert "dangerous" in mask
    move = cli("catalogue", "moveActuators").stdout
    assert "optional, needed when actuatorCommand is Start" in move
    assert "CommandActuator: Start 1, Stop 2, Pause 3, Resume 4" in move


def test_a_topic_and_an_enumeration() -> None:
    topic = cli("catalogue", "powerSystemState").stdout
    assert topic.startswith("event powerSystemState (one per powerType)")
    assert "PowerSystemState: Init 1, PoweredOff 2" in topic
    tel = cli("catalogue", "axialForce").stdout
    assert "measured               float[72]      N" in tel
    enum = cli("catalogue", "DigitalOutput").stdout
    assert "0x4  InterlockEnable" in enum


def test_json_and_names(catalogue: Catalogue) -> None:
    entry = json.loads(cli("catalogue", "power", "--json").stdout)
    assert entry["power"]["params"]["powerType"]["enum"] == "PowerType"
    assert cli("catalogue", "--names", "commands").lines == list(catalogue.commands)
    whole = json.loads(cli("catalogue", "--json").stdout)
    assert set(whole["telemetry"]) == set(catalogue.telemetry)


def test_an_unknown_name_exits_6_with_a_suggestion() -> None:
    result = cli("catalogue", "PowerTipe")
    assert result.code == ExitCode.INVALID
    assert "no command, event, telemetry topic or enumeration 'PowerTipe'" in result.stderr
    assert "did you mean PowerType" in result.stderr
