"""Shared fixtures: the real simulator on free ports, and a connection to it."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("QT_API", "pyside6")

from m2gui.model import Catalogue, load_catalogue
from m2gui.net import ControllerConnection
from m2gui.sim import ControllerSimulator


@pytest.fixture
def catalogue() -> Catalogue:
    return load_catalogue()


@pytest.fixture
async def sim() -> AsyncIterator[ControllerSimulator]:
    simulator = ControllerSimulator(command_port=0, telemetry_port=0, seed=7)
    await simulator.start()
    yield simulator
    await simulator.stop()


def connect_to(sim: ControllerSimulator, **kwargs: object) -> ControllerConnection:
    cat = load_catalogue()
    options: dict = dict(
        known_events=cat.events,
        known_telemetry=cat.telemetry,
        backoff_initial=0.05,
        backoff_max=0.2,
    )
    options.update(kwargs)
    return ControllerConnection("127.0.0.1", sim.command_port, sim.telemetry_port, **options)


@pytest.fixture
async def conn(sim: ControllerSimulator) -> AsyncIterator[ControllerConnection]:
    connection = connect_to(sim)
    connection.start()
    await connection.wait_connected(5)
    yield connection
    await connection.close()
