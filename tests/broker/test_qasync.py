"""The GUI runs on qasync's QEventLoop: publisher and viewer work there too.

aiomqtt drives paho through ``loop.add_reader``/``add_writer`` and a thread
for the blocking connect (``run_in_executor``, ``call_soon_threadsafe``);
qasync supports all of them.
"""

from __future__ import annotations

import asyncio

import qasync
from PySide6.QtWidgets import QApplication

from m2gui.broker import BrokerSource, Publisher
from m2gui.model import load_catalogue
from m2gui.net import Outcome
from m2gui.sim import ControllerSimulator

from ..conftest import connect_to
from ..waiting import until
from .mosquitto import Mosquitto


def test_publisher_and_viewer_on_the_qasync_loop(qapp: QApplication, broker: Mosquitto) -> None:
    catalogue = load_catalogue()
    url = f"mqtt://127.0.0.1:{broker.port}/m2"

    async def scenario() -> None:
        assert isinstance(asyncio.get_running_loop(), qasync.QEventLoop)
        async with ControllerSimulator(command_port=0, telemetry_port=0, seed=2) as sim:
            conn = connect_to(sim)
            publisher = Publisher(conn, url, catalogue=catalogue)
            publisher.start()
            conn.start()
            source = BrokerSource(url, catalogue, backoff_initial=0.05)
            source.start()
            try:
                await until(lambda: source.connection.connected, what="the viewer connected")
                await until(
                    lambda: set(source.connection.latest_events) >= set(conn.latest_events),
                    what="the events in the viewer",
                )
                seen = source.connection.telemetry_stats.messages
                await until(
                    lambda: source.connection.telemetry_stats.messages >= seen + 30,
                    what="telemetry flowing",
                )
                # The command and its replies (QoS 1) reach the viewer too.
                outcomes: list[Outcome] = []
                source.connection.add_command_listener(lambda r: outcomes.append(r.outcome))
                record = await conn.command("clearErrors")
                assert record.outcome is Outcome.SUCCESS
                await until(lambda: Outcome.SUCCESS in outcomes, what="the viewer's success")
            finally:
                await source.close()
                await publisher.close()
                await conn.close()

    qapp.setQuitOnLastWindowClosed(False)
    with asyncio.Runner(loop_factory=lambda: qasync.QEventLoop(qapp)) as runner:
        runner.run(asyncio.wait_for(scenario(), 20))
