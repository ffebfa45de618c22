"""TcpClient when the link fails: socket errors, early end of stream, hostile lines, close."""

from __future__ import annotations

import asyncio
import errno
import logging
import socket
import threading

import pytest

from m2gui.net import TcpClient
from m2gui.net.codec import BadLine, decode_line

from .conftest import Collector, LineServer

pytestmark = pytest.mark.timeout(20)

HOSTILE = {
    "nested-arrays": b"[" * 100_000,
    "nested-objects": b'{"a":' * 30_000 + b"1" + b"}" * 30_000,
    "nested-1025": b'{"id":"x","v":' + b"[" * 1025 + b"]" * 1025 + b"}",
    "huge-integer": b'{"id":"x","v":' + b"9" * 5000 + b"}",
    "huge-negative": b'{"id":"x","v":-' + b"9" * 5000 + b"}",
    # NaN sends orjson's refusal to the standard library, which then recurses
    "nan-then-deep": b'{"v":NaN,"w":' + b"[" * 100_000 + b"}",
}


@pytest.mark.parametrize("kind", sorted(HOSTILE))
def test_decode_line_turns_hostile_input_into_bad_line(kind: str) -> None:
    with pytest.raises(BadLine):
        decode_line(HOSTILE[kind])


def test_numbers_beyond_a_double_decode_as_infinity() -> None:
    assert decode_line(b'{"v":1e999999999999}')["v"] == float("inf")
    # uint64 masks stay exact on the fast path
    assert decode_line(b'{"v":18446744073709551615}')["v"] == 2**64 - 1


async def test_hostile_lines_are_counted_and_the_reader_survives(
    server: LineServer, collector: Collector
) -> None:
    client = TcpClient("127.0.0.1", server.port, collector, name="test")
    await client.connect()
    await server.connected.wait()
    for line in HOSTILE.values():
        await server.send(line + b"\r\n")
    await server.send(b'{"id":"after"}\r\n')
    messages = await collector.wait_for(1)
    assert messages == [{"id": "after"}]
    assert client.malformed_lines == len(HOSTILE)
    assert client.connected
    assert not client.done_task.done()
    await client.close()


def _break_transport(client: TcpClient, error: OSError) -> None:
    """Deliver a socket error as asyncio does when recv() fails (e.g. ETIMEDOUT)."""
    writer = client._writer
    assert writer is not None
    writer.transport._force_close(error)  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    "error",
    [
        TimeoutError(errno.ETIMEDOUT, "Connection timed out"),
        OSError(errno.EHOSTUNREACH, "No route to host"),
        ConnectionResetError(errno.ECONNRESET, "Connection reset by peer"),
    ],
    ids=["ETIMEDOUT", "EHOSTUNREACH", "ECONNRESET"],
)
async def test_any_socket_error_ends_the_connection(
    server: LineServer, collector: Collector, error: OSError, caplog: pytest.LogCaptureFixture
) -> None:
    client = TcpClient("127.0.0.1", server.port, collector, name="test")
    await client.connect()
    await server.send(b'{"id":"one"}\r\n')
    await collector.wait_for(1)
    with caplog.at_level(logging.WARNING):
        _break_transport(client, error)
        await asyncio.wait_for(client.done_task, 5)
    assert not client.connected
    assert "connection to" in caplog.text and "lost" in caplog.text
    await client.close()


async def _accept_and_close(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    writer.close()


class _ThreadedAcceptAndClose:
    """Accepts and at once closes in another thread, as a separate process would.

    The end of stream then reaches the client while it is still completing
    its own connect, before its reader has started.
    """

    def __init__(self) -> None:
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.listener.settimeout(0.2)
        self.port = self.listener.getsockname()[1]
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        while not self.stop.is_set():
            try:
                conn, _ = self.listener.accept()
            except OSError:
                continue
            conn.close()

    def close(self) -> None:
        self.stop.set()
        self.thread.join(5)
        self.listener.close()


async def test_end_of_stream_before_the_reader_starts_ends_the_connection(
    collector: Collector,
) -> None:
    peer = _ThreadedAcceptAndClose()
    try:
        for _ in range(10):
            client = TcpClient("127.0.0.1", peer.port, collector, name="test")
            try:
                await client.connect()
            except ConnectionError:
                pass  # closed before the connect finished: also fine
            await asyncio.wait_for(client.done_task, 5)
            assert not client.connected
            await client.close()
    finally:
        peer.close()


async def test_done_task_completes_when_the_connection_fails() -> None:
    server = await asyncio.start_server(_accept_and_close, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    server.close()
    await server.wait_closed()
    client = TcpClient("127.0.0.1", port, Collector(), name="test")
    with pytest.raises(ConnectionError):
        await client.connect()
    assert client.done_task.done()


async def test_close_lets_the_callers_cancellation_through(
    server: LineServer, collector: Collector
) -> None:
    client = TcpClient("127.0.0.1", server.port, collector, name="test")
    await client.connect()
    closing = asyncio.create_task(client.close())
    await asyncio.sleep(0)  # close() is now waiting for the reader to stop
    closing.cancel()
    with pytest.raises(asyncio.CancelledError):
        await closing
    assert closing.cancelled()
    # The closing itself still finishes.
    await asyncio.wait_for(client.done_task, 5)
    assert not client.connected


async def test_close_inside_asyncio_timeout_raises_timeout(
    server: LineServer, collector: Collector
) -> None:
    client = TcpClient("127.0.0.1", server.port, collector, name="test")
    await client.connect()
    with pytest.raises(TimeoutError):
        async with asyncio.timeout(0):
            await client.close()
    await asyncio.wait_for(client.done_task, 5)
