"""The app's recording wiring: on by default at each connection, and the user's choice kept."""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings

from m2gui.app import live_recording
from m2gui.model.session import Session
from m2gui.net import WireLine
from m2gui.record import Recorder
from m2gui.record import writer as writer_module
from m2gui.sim import ControllerSimulator

from .waiting import until

pytestmark = pytest.mark.timeout(60)


def _args(tmp_path: Path, **kw: object) -> argparse.Namespace:
    base: dict[str, object] = {"record": None, "no_record": False, "record_root": tmp_path}
    base.update(kw)
    return argparse.Namespace(**base)


async def test_recording_starts_at_connection_and_a_stop_survives_reconnects(
    tmp_path: Path,
) -> None:
    settings = QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat)
    async with ControllerSimulator(command_port=0, telemetry_port=0, seed=1) as sim:
        session = Session("127.0.0.1", sim.command_port, sim.telemetry_port, history=30)
        session.connection.backoff_initial = 0.05
        recording = live_recording(session, settings, _args(tmp_path))
        assert recording.wanted and not recording.active
        session.connect()
        await until(lambda: recording.active, what="recording at the connection")
        first = recording.folder
        # The user stops it (what the Record toggle does); the link drops and comes back.
        recording.wanted = False
        recording.stop()
        connections = session.connection.connections_made
        await sim.drop_connections()
        await until(lambda: session.connection.connections_made > connections, what="reconnect")
        await until(lambda: session.connected, what="connected again")
        assert not recording.active, "a reconnect restarted a recording the user stopped"
        # Wanted again: the next connection records into a new folder.
        recording.wanted = True
        await sim.drop_connections()
        await until(lambda: recording.active, what="recording again")
        assert recording.folder != first
        await session.close()
        recording.close()


async def test_no_record_records_nothing(tmp_path: Path) -> None:
    settings = QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat)
    async with ControllerSimulator(command_port=0, telemetry_port=0, seed=1) as sim:
        session = Session("127.0.0.1", sim.command_port, sim.telemetry_port, history=30)
        recording = live_recording(session, settings, _args(tmp_path, no_record=True))
        session.connect()
        await session.connection.wait_connected(5)
        await until(lambda: session.link.telemetry_age() is not None, what="telemetry")
        assert not recording.active and not any(tmp_path.glob("*/part-*"))
        await session.close()


def test_a_writer_bug_stops_recording_with_a_message(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: object, **kwargs: object) -> bytes:
        raise RuntimeError("a bug")

    monkeypatch.setattr(writer_module, "encode_frame", broken)
    errors: list[str] = []
    recorder = Recorder(tmp_path / "rec", {}, flush_interval=0.05, on_error=errors.append)
    recorder.write(WireLine(time.time(), "command", "in", b"{}"))
    deadline = time.monotonic() + 10
    while not errors and time.monotonic() < deadline:
        time.sleep(0.01)
    assert errors and "internal error" in errors[0] and "a bug" in errors[0]
    assert not recorder.status().active
    recorder.close()
