"""``--history``: refused clearly when unusable, and the memory it takes is shown."""

from __future__ import annotations

import logging
import math
import os
import sys
from pathlib import Path

import pytest

from m2gui import app
from m2gui.model import load_catalogue
from m2gui.model.memory import available_memory, format_bytes
from m2gui.model.session import Session
from m2gui.model.telemetry import TelemetryStore, planned_nbytes
from m2gui.net import Received

from .test_app import problems, run_m2gui

CAT = load_catalogue()


@pytest.mark.parametrize(
    ("value", "says"),
    [
        ("0", "greater than zero, not '0'"),
        ("-5", "greater than zero, not '-5'"),
        ("-0.0", "greater than zero"),
        ("abc", "not a number of seconds: 'abc'"),
        ("", "not a number of seconds"),
        ("nan", "finite"),
        ("inf", "finite"),
        ("1e999", "not '1e999'"),
    ],
)
def test_unusable_history_is_an_argument_error(
    value: str, says: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        app.parse_args(["--history", value])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert "m2gui: error: argument --history:" in err and says in err


def test_history_needing_more_than_the_available_memory_is_refused(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # Pretend the machine has 100 MiB free: 600 s takes about 136 MiB.
    monkeypatch.setattr(app, "available_memory", lambda: 100 * 2**20)
    with pytest.raises(SystemExit) as exit_info:
        app.parse_args(["--history", "600"])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    need = format_bytes(planned_nbytes(CAT, 600))
    assert f"600 s of telemetry history needs {need} of memory" in err
    assert "more than the 100.0 MiB available" in err
    fits = int(err.split("at most ")[1].split(" s fit")[0])
    assert 0 < fits < 600
    assert planned_nbytes(CAT, fits) <= 100 * 2**20 < planned_nbytes(CAT, fits + 1)
    assert app.parse_args(["--history", str(fits)]).history == fits
    monkeypatch.setattr(app, "available_memory", lambda: 2**10)  # not even one second
    with pytest.raises(SystemExit):
        app.parse_args(["--history", "1"])
    assert "at most 0 s fit" in capsys.readouterr().err


def test_usable_history_is_accepted(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(app, "available_memory", lambda: 2**40)
    assert app.parse_args([]).history == 600.0
    assert app.parse_args(["--history", "0.5"]).history == 0.5
    assert app.parse_args(["--history=86400"]).history == 86400.0
    monkeypatch.setattr(app, "available_memory", lambda: None)  # unknown: not refused
    assert app.parse_args(["--history", "1e6"]).history == 1e6


def test_help_explains_the_memory(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        app.parse_args(["--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "696) x 20 Hz x 8 bytes per second" in text
    assert f"about {format_bytes(planned_nbytes(CAT, 60))} per minute of history" in text
    assert "more than the available memory is refused at start" in text


@pytest.mark.timeout(60)
def test_m2gui_refuses_a_history_the_machine_cannot_hold(tmp_path: Path) -> None:
    # 10^9 s needs about 216 TiB: more than any machine that runs these tests.
    result = run_m2gui(tmp_path, "--simulate", "--quit-after", "2", "--history", "1e9")
    assert result.returncode == 2, result.stderr
    assert "argument --history: 1e+09 s of telemetry history needs" in result.stderr
    assert "TiB of memory, more than the" in result.stderr


@pytest.mark.timeout(60)
def test_m2gui_refuses_a_zero_history(tmp_path: Path) -> None:
    result = run_m2gui(tmp_path, "--simulate", "--quit-after", "2", "--history", "0")
    assert result.returncode == 2, result.stderr
    assert "argument --history: must be a finite number of seconds greater than zero" in (
        result.stderr
    )


@pytest.mark.timeout(60)
def test_m2gui_logs_the_memory_the_history_takes(tmp_path: Path) -> None:
    result = run_m2gui(tmp_path, "--simulate", "--quit-after", "0.5", "--history", "30")
    assert result.returncode == 0, result.stderr
    assert problems(result.stderr) == []
    log = (tmp_path / "m2gui.log").read_text()
    need = format_bytes(planned_nbytes(CAT, 30))
    assert f"INFO    m2gui: telemetry history 30 s: up to {need} of memory of " in log


@pytest.mark.parametrize("bad", [0.0, -1.0, math.nan, math.inf, -math.inf])
def test_the_store_refuses_an_unusable_history(bad: float) -> None:
    with pytest.raises(ValueError, match="finite number of seconds greater than zero"):
        TelemetryStore(CAT, history=bad)
    with pytest.raises(ValueError, match="greater than zero"):
        Session(history=bad)


def test_planned_memory_is_what_the_store_allocates() -> None:
    for history in (0.5, 7.3, 60.0, 600.0):
        store = TelemetryStore(CAT, history=history)
        for name, spec in CAT.telemetry.items():
            message = {f: [0.0] * s.width if s.is_array else 0.0 for f, s in spec.fields.items()}
            store.on_telemetry(Received(name, message, 1.0, "telemetry"))
        assert len(store.buffers) == len(CAT.telemetry)
        assert store.nbytes == store.planned_nbytes == planned_nbytes(CAT, history)


def test_available_memory_reads_meminfo_then_falls_back(tmp_path: Path) -> None:
    meminfo = tmp_path / "meminfo"
    meminfo.write_text("MemTotal:       32000000 kB\nMemAvailable:   1234567 kB\n")
    assert available_memory(meminfo) == 1234567 * 1024
    fallback = available_memory(tmp_path / "missing")
    garbled = tmp_path / "garbled"
    garbled.write_text("MemAvailable: lots\n")
    if sys.platform.startswith("linux"):
        assert fallback is not None and fallback > 0
        assert available_memory(garbled) is not None
    # The real machine: a positive number, not more than physical memory.
    real = available_memory()
    assert real is not None and real > 0
    total = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    assert real <= total


def test_a_history_taking_most_of_the_free_memory_is_a_warning(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    need = planned_nbytes(CAT, 600)
    monkeypatch.setattr(app, "available_memory", lambda: need + 1)
    with caplog.at_level(logging.INFO, logger="m2gui"):
        app.log_history_memory(600)
        monkeypatch.setattr(app, "available_memory", lambda: 100 * need)
        app.log_history_memory(600)
    levels = [r.levelno for r in caplog.records if "telemetry history 600 s" in r.getMessage()]
    assert levels == [logging.WARNING, logging.INFO]
