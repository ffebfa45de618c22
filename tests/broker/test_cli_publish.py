"""``m2gui-cli record --publish``: a cron-job recorder that also feeds viewers."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import pytest

from m2gui.broker import BrokerSource
from m2gui.model import load_catalogue
from m2gui.record import open as open_recording

from ..waiting import until
from .mosquitto import Mosquitto

pytestmark = pytest.mark.timeout(60)


async def test_record_publishes_what_it_records(broker: Mosquitto, tmp_path: Path) -> None:
    url = f"mqtt://127.0.0.1:{broker.port}/m2"
    folder = tmp_path / "night"
    source = BrokerSource(url, load_catalogue(), backoff_initial=0.05)
    source.start()
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "m2gui.cli",
        "--simulate",
        "record",
        str(folder),
        "--duration",
        "4",
        "--publish",
        url,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**os.environ, "PYTHONASYNCIODEBUG": "0"},
    )
    try:
        await until(
            lambda: source.connection.telemetry_stats.messages >= 50,
            timeout=30,
            what="telemetry through the broker",
        )
        await until(lambda: "held by" in (source.read_only or ""), what="the publisher named")
        stdout, stderr = await asyncio.wait_for(process.communicate(), 30)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
        await source.close()
    assert process.returncode == 0, stderr.decode()
    assert b"lines in" in stdout
    with open_recording(folder) as recording:
        assert recording.message_count > 50


def test_a_bad_broker_url_is_a_usage_error() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "m2gui.cli", "record", "x", "--publish", "http://nope"],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 2 and "mqtt" in result.stderr
