"""Broker restarted, publisher killed or silent: both sides cope, the controller never waits."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path
from typing import Any

import orjson

from m2gui.broker import BrokerSource, Publisher
from m2gui.model import Catalogue, load_catalogue
from m2gui.model.sources import fed_connection
from m2gui.net import ConnectionState, Outcome, WireLine
from m2gui.sim import ControllerSimulator

from ..conftest import connect_to
from ..waiting import until
from .mosquitto import Mosquitto

ROOT = Path(__file__).resolve().parents[2]


def url(broker: Mosquitto) -> str:
    return f"mqtt://127.0.0.1:{broker.port}/m2"


def viewer(broker: Mosquitto, catalogue: Catalogue, **options: Any) -> BrokerSource:
    source = BrokerSource(url(broker), catalogue, backoff_initial=0.05, backoff_max=0.2, **options)
    source.start()
    return source


async def test_a_broker_killed_and_restarted_mid_stream(
    broker: Mosquitto, sim: ControllerSimulator, catalogue: Catalogue
) -> None:
    conn = connect_to(sim)
    states: list[ConnectionState] = []
    publisher = Publisher(
        conn,
        url(broker),
        catalogue=catalogue,
        max_buffer=30,
        backoff_initial=0.05,
        backoff_max=0.2,
        timeout=2.0,
    )
    publisher.start()
    conn.start()
    await conn.wait_connected(5)
    conn.add_state_listener(states.append)
    source = viewer(broker, catalogue)
    shown: list[tuple[str, float]] = []
    source.connection.subscribe(lambda r: shown.append((r.name, r.time)), kind="event")
    try:
        await until(lambda: source.connection.connected, what="the viewer connected")
        await until(lambda: len(source.connection.latest_telemetry) >= 1, what="telemetry")

        broker.kill()
        await until(lambda: not publisher.connected, what="the publisher noticed")
        await until(
            lambda: (
                source.connection.state is ConnectionState.RECONNECTING
                and "cannot reach the broker" in source.connection.last_error
            ),
            what="the viewer says the broker is gone",
        )
        await until(
            lambda: "cannot reach the broker" in publisher.stats.last_error,
            what="the publisher says the broker is gone",
        )
        # The controller connection goes on as if nothing happened: telemetry
        # arrives, commands work, and the publisher drops the oldest telemetry.
        before = conn.telemetry_stats.messages
        await until(lambda: conn.telemetry_stats.messages >= before + 60, what="telemetry")
        record = await conn.command("clearErrors")
        assert record.outcome is Outcome.SUCCESS
        await until(lambda: publisher.stats.dropped_telemetry > 0, what="drops counted")
        assert publisher.stats.buffered <= 30 and publisher.stats.dropped_other == 0

        broker.start()
        await until(lambda: publisher.connected, what="the publisher reconnected")
        await until(lambda: source.connection.connected, what="the viewer reconnected")
        seen = source.connection.telemetry_stats.messages
        await until(
            lambda: source.connection.telemetry_stats.messages >= seen + 20,
            what="telemetry in the viewer again",
        )
        assert states == []  # the controller link never dropped
        # The broker restarted empty; the publisher published the events again.
        late = viewer(broker, catalogue)
        try:
            await until(
                lambda: set(late.connection.latest_events) >= set(conn.latest_events),
                what="the event state in a viewer that joined after the restart",
            )
        finally:
            await late.close()
        # The viewer got the events again (published again, and retained again
        # on its new subscription) but fed each only once.
        await until(lambda: source.repeats > 0, what="repeated events skipped")
        assert len(shown) == len(set(shown))
    finally:
        await source.close()
        await conn.close()
        await publisher.close()


async def test_a_killed_publisher_leaves_viewers_stale_through_its_last_will(
    broker: Mosquitto, catalogue: Catalogue
) -> None:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tests.broker.publish_process",
        url(broker),
        "ops@far-away 99",
        cwd=ROOT,
        stdout=asyncio.subprocess.PIPE,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    source = viewer(broker, catalogue)
    changes: list[None] = []
    source.changed.connect(lambda: changes.append(None))
    try:
        assert process.stdout is not None
        ready = await asyncio.wait_for(process.stdout.readline(), 15)
        assert ready.strip() == b"ready"
        await until(lambda: source.connection.connected, what="the viewer connected")
        assert not source.stale
        assert "held by ops@far-away 99" in (source.read_only or "")
        changes.clear()

        process.send_signal(signal.SIGKILL)
        await process.wait()
        await until(lambda: source.stale, what="stale through the last will")
        assert source.status is not None and not source.status.online
        assert "last will" in source.status.reason
        assert source.read_only == (
            f"Viewer of mqtt://127.0.0.1:{broker.port}/m2: the publisher ops@far-away 99 is "
            "offline and the data are stale; commands are disabled"
        )
        assert source.connection.state is ConnectionState.RECONNECTING
        assert "the publisher ops@far-away 99 is offline" in source.connection.last_error
        assert changes, "changed was not emitted"
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
        await source.close()


async def test_a_silent_publisher_makes_the_data_stale_and_a_stopped_one_says_so(
    broker: Mosquitto,
) -> None:
    catalogue = load_catalogue()
    fed = fed_connection(catalogue, "m2-ctrl:50010/50011")
    publisher = Publisher(fed, url(broker), identity="ops@desk 7", status_interval=60)
    publisher.start()
    source = viewer(broker, catalogue, stale_after=0.4)
    try:
        await until(lambda: publisher.connected and source.broker_connected, what="connected")
        # The publisher has no controller link yet: its status says so.
        await until(
            lambda: "ops@desk 7 has no link to the controller" in source.connection.last_error,
            what="no controller link",
        )
        fed.set_fed_state(ConnectionState.CONNECTED)  # the publisher's "controller" is up
        line = orjson.dumps({"id": "summaryState", "summaryState": 5})
        fed.feed(WireLine(1.0, "command", "in", line))
        await until(lambda: not source.stale, what="fresh data")
        age = source.age
        assert age is not None and age < 0.4
        # No line for longer than stale_after: stale, though the publisher is online.
        await until(lambda: source.stale, what="stale by silence")
        assert source.status is not None and source.status.online
        assert "no data from the publisher ops@desk 7" in source.connection.last_error
        fed.feed(WireLine(2.0, "command", "in", line))
        await until(lambda: not source.stale, what="fresh again")

        await publisher.close()
        await until(lambda: source.status is not None and not source.status.online, what="offline")
        assert source.stale and source.status is not None
        assert source.status.reason == "the publisher stopped"
    finally:
        await source.close()
        await publisher.close()
