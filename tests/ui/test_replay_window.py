"""A replay window driven as a user would: play, pause, speed, seek by time of day, loop."""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QSettings, Qt
from pytestqt.qtbot import QtBot

from m2gui.model import load_catalogue
from m2gui.model.session import Session
from m2gui.record import Archive, Recorder
from m2gui.record import open as open_recording
from m2gui.record.live import LiveRecording, RecordingOptions
from m2gui.record.replay import FASTEST, ReplaySource
from m2gui.record.time_of_day import format_clock
from m2gui.sim import ControllerSimulator
from m2gui.ui.main_window import MainWindow
from m2gui.ui.recording_status import status_text

from .conftest import until

pytestmark = pytest.mark.timeout(90)


async def _record(folder: Path, seconds_of_telemetry: int = 40) -> None:
    async with ControllerSimulator(command_port=0, telemetry_port=0, seed=2) as sim:
        session = Session("127.0.0.1", sim.command_port, sim.telemetry_port, history=60)
        recorder = Recorder(folder, {"host": "127.0.0.1"}, flush_interval=0.2)
        session.connection.add_wire_listener(recorder.write)
        session.connect()
        await session.connection.wait_connected(5)
        await until(
            lambda: any(b.count >= seconds_of_telemetry for b in session.telemetry.buffers.values())
        )
        await session.disconnect()
        recorder.close()


def test_replay_controls(run_qasync: Any, qtbot: QtBot, tmp_path: Path) -> None:
    async def body() -> None:
        await _record(tmp_path / "run")
        catalogue = load_catalogue()
        recording = open_recording(tmp_path / "run")
        source = ReplaySource(recording, catalogue, speed=1.0)
        session = Session(catalogue=catalogue, source=source, history=60)
        session.long_history = Archive(recording, catalogue)
        settings = QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat)
        window = MainWindow(session, settings)
        qtbot.addWidget(window)
        window.resize(1366, 768)
        window.show()
        bar = window.replay_bar
        assert bar is not None and window.banner.isVisible()
        session.connect()
        await until(lambda: session.telemetry.buffers, what="telemetry at 1x")
        # Pause with a click: nothing more is delivered.
        qtbot.mouseClick(bar.play_button, Qt.MouseButton.LeftButton)
        assert not source.playing and bar.play_button.text().endswith("Play")
        delivered = source.delivered
        for _ in range(30):
            await asyncio.sleep(0)
        assert source.delivered == delivered
        # Type a time of day: the replay seeks there.
        target = source.start_time + 0.6 * (source.end_time - source.start_time)
        bar.time_edit.setText(format_clock(target)[:8])
        qtbot.keyClick(bar.time_edit, Qt.Key.Key_Return)
        assert abs(source.position - target) < 1.0 and bar.message.text() == ""
        bar.time_edit.setText("99:00")
        qtbot.keyClick(bar.time_edit, Qt.Key.Key_Return)
        assert "not a time of day" in bar.message.text()
        # Max speed, play: it reaches the end and stops there.
        bar.speed.setCurrentIndex(bar.speed.findData(FASTEST))
        assert source.speed == FASTEST
        qtbot.mouseClick(bar.play_button, Qt.MouseButton.LeftButton)
        await until(lambda: not source.playing, timeout=30, what="the end")
        bar.refresh()
        assert bar.slider.value() == bar.slider.maximum()
        window.grab().save(str(tmp_path / "replay.png"))
        # Loop over a range: playback stays inside it.
        bar.loop_from.setText(format_clock(source.start_time + 0.5))
        bar.loop_to.setText(format_clock(source.start_time + 1.5))
        bar.loop_box.setChecked(True)
        assert source.loop is not None, bar.message.text()
        _, hi = source.loop
        laps: list[float] = []
        source.reset.connect(lambda: laps.append(source.position))
        qtbot.mouseClick(bar.play_button, Qt.MouseButton.LeftButton)
        await until(lambda: len(laps) >= 3, timeout=20, what="three laps of the loop")
        assert source.position <= hi + 1e-6
        window.close()
        await session.close()

    run_qasync(body(), timeout=80)


def test_recording_status_and_toggle(run_qasync: Any, qtbot: QtBot, tmp_path: Path) -> None:
    async def body() -> None:
        async with ControllerSimulator(command_port=0, telemetry_port=0, seed=2) as sim:
            session = Session("127.0.0.1", sim.command_port, sim.telemetry_port, history=60)
            catalogue = session.catalogue
            folder = tmp_path / "rec"
            recording = LiveRecording(
                session.connection,
                session.telemetry,
                catalogue,
                RecordingOptions(tmp_path, folder),
            )
            settings = QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat)
            window = MainWindow(session, settings, recording=recording)
            qtbot.addWidget(window)
            window.show()
            assert window.record_action is not None and window.recording_status is not None
            assert window.recording_status.text() == "recording off"
            window.record_action.trigger()  # the user presses Record
            assert recording.active
            session.connect()
            await session.connection.wait_connected(5)
            await until(lambda: list(folder.glob("part-*.m2rec")), timeout=10, what="a part")
            window.recording_status.refresh()
            await until(
                lambda: (
                    (window.recording_status.refresh(), "● REC" in window.recording_status.text())[
                        1
                    ]
                    and "part-00001" in window.recording_status.text()
                ),
                timeout=10,
            )
            # The long history reaches the plots once a frame is on disk.
            await until(
                lambda: (window.follow_long_history(), session.long_history is not None)[1],
                timeout=10,
            )
            # The folder vanishes: recording stops with the reason, the app goes on.
            # (Deleting races with the writers' own files: delete until it is gone.)
            await until(
                lambda: (shutil.rmtree(folder, ignore_errors=True), recording.error)[1],
                timeout=10,
                what="the error",
            )
            text, _, style = status_text(recording)
            assert "recording stopped" in text and str(folder) in text and "d03030" in style
            await until(lambda: not window.record_action.isChecked(), what="toggle off")
            assert session.connected
            window.close()
            await session.close()
            recording.close()

    run_qasync(body(), timeout=60)
