"""A real loopback line server for the client tests."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest


class LineServer:
    """A TCP server on 127.0.0.1, port 0, that tests drive by hand.

    ``received`` collects the lines clients write; ``send`` writes raw bytes to
    the newest connection.
    """

    def __init__(self) -> None:
        self.server: asyncio.Server | None = None
        self.writers: list[asyncio.StreamWriter] = []
        self.received: asyncio.Queue[bytes] = asyncio.Queue()
        self.connected = asyncio.Event()

    @property
    def port(self) -> int:
        assert self.server is not None
        return int(self.server.sockets[0].getsockname()[1])

    async def start(self) -> None:
        self.server = await asyncio.start_server(self._handle, "127.0.0.1", 0)

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.writers.append(writer)
        self.connected.set()
        try:
            while line := await reader.readline():
                await self.received.put(line)
        except ConnectionError:
            pass

    @property
    def writer(self) -> asyncio.StreamWriter:
        return self.writers[-1]

    async def send(self, data: bytes) -> None:
        self.writer.write(data)
        await self.writer.drain()

    async def drop(self) -> None:
        """Close every client connection from the server side."""
        for writer in self.writers:
            writer.close()
        for writer in self.writers:
            try:
                await writer.wait_closed()
            except ConnectionError:
                pass

    async def stop(self) -> None:
        await self.drop()
        if self.server is not None:
            self.server.close()
            await self.server.wait_closed()


@pytest.fixture
async def server() -> AsyncIterator[LineServer]:
    srv = LineServer()
    await srv.start()
    yield srv
    await srv.stop()


class Collector:
    """A callback that records every message it is given."""

    def __init__(self) -> None:
        self.messages: list[dict] = []
        self.event = asyncio.Event()
        self.wanted = 0

    async def __call__(self, *args: object, message: dict) -> None:
        self.messages.append(message)
        if len(self.messages) >= self.wanted:
            self.event.set()

    async def wait_for(self, count: int, timeout: float = 5.0) -> list[dict]:
        self.wanted = count
        if len(self.messages) < count:
            self.event.clear()
            await asyncio.wait_for(self.event.wait(), timeout)
        return self.messages


@pytest.fixture
def collector() -> Collector:
    return Collector()
