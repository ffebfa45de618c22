"""A publishing process for the tests: simulator, connection and publisher; killed by the test.

Usage: ``python -m tests.broker.publish_process BROKER_URL IDENTITY``. Prints
``ready`` once the publisher is connected and has published the start-up
events, then runs until killed.
"""

from __future__ import annotations

import asyncio
import sys

from m2gui.broker import Publisher
from m2gui.model import load_catalogue
from m2gui.sim import ControllerSimulator

from ..conftest import connect_to


async def main(url: str, identity: str) -> None:
    async with ControllerSimulator(command_port=0, telemetry_port=0, seed=5) as sim:
        connection = connect_to(sim)
        publisher = Publisher(connection, url, identity=identity, catalogue=load_catalogue())
        publisher.start()
        connection.start()
        await connection.wait_connected(5)
        while not (publisher.connected and publisher.published >= 20 and not publisher.outbox):
            await asyncio.sleep(0.01)
        print("ready", flush=True)
        await asyncio.Event().wait()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2]))
