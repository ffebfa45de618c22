"""The direct read and write methods of Client, each with its documented errors."""

from __future__ import annotations

import asyncio
import ctypes
import json
import logging

import pytest

from m2gui.net import Client

from .conftest import LineServer

log = logging.getLogger(__name__)


class Pair(ctypes.Structure):
    _fields_ = [("a", ctypes.c_int32), ("b", ctypes.c_double)]


async def connected(server: LineServer, **kwargs: object) -> Client:
    client = Client("127.0.0.1", server.port, log, name="test", **kwargs)  # type: ignore[arg-type]
    await client.connect(timeout=5)
    await asyncio.wait_for(server.connected.wait(), 5)
    return client


async def test_read_up_to_n(server: LineServer) -> None:
    client = await connected(server)
    await server.send(b"abcdef")
    data = await client.read(4)
    assert 1 <= len(data) <= 4
    assert b"abcdef".startswith(data)
    await client.close()


async def test_read_minus_one_reads_to_eof(server: LineServer) -> None:
    client = await connected(server)
    await server.send(b"first\r\n")
    assert await client.readuntil(b"\r\n") == b"first\r\n"
    await server.send(b"tail-1 tail-2")
    await server.drop()
    assert await client.read(-1) == b"tail-1 tail-2"
    await client.close()


async def test_readexactly_and_incomplete(server: LineServer) -> None:
    client = await connected(server)
    await server.send(b"12345678")
    assert await client.readexactly(3) == b"123"
    assert await client.readexactly(2) == b"45"
    await server.drop()
    with pytest.raises(asyncio.IncompleteReadError) as info:
        await client.readexactly(10)
    assert info.value.partial == b"678"
    await client.close()


async def test_readline_and_partial_at_eof(server: LineServer) -> None:
    client = await connected(server)
    await server.send(b"one\ntwo\r\nthr")
    assert await client.readline() == b"one\n"
    assert await client.readline() == b"two\r\n"
    await server.drop()
    assert await client.readline() == b"thr"
    await client.close()


async def test_readuntil_default_separator_and_custom(server: LineServer) -> None:
    client = await connected(server)
    await server.send(b"a|b\n")
    assert await client.readuntil(b"|") == b"a|"
    assert await client.readuntil() == b"b\n"
    await client.close()


async def test_readuntil_limit_overrun_leaves_data(server: LineServer) -> None:
    client = await connected(server, limit=16)
    await server.send(b"x" * 40 + b"\n")
    with pytest.raises(asyncio.LimitOverrunError):
        await client.readuntil(b"\n")
    # The data stays: the caller may read it another way.
    assert await client.readexactly(40) == b"x" * 40
    assert await client.readuntil(b"\n") == b"\n"
    await client.close()


async def test_readline_overlong_raises_value_error_and_discards(server: LineServer) -> None:
    client = await connected(server, limit=16)
    await server.send(b"y" * 40 + b"\nnext\n")
    with pytest.raises(ValueError):
        await client.readline()
    assert await client.readline() == b"next\n"
    await client.close()


async def test_readuntil_incomplete_at_eof(server: LineServer) -> None:
    client = await connected(server)
    await server.send(b"no separator")
    await server.drop()
    with pytest.raises(asyncio.IncompleteReadError) as info:
        await client.readuntil(b"\r\n")
    assert info.value.partial == b"no separator"
    await client.close()


async def test_read_str_strips_terminator_and_rejects_bad_utf8(server: LineServer) -> None:
    client = await connected(server)
    await server.send("héllo\r\n".encode() + b"\xff\r\n")
    assert await client.read_str() == "héllo"
    with pytest.raises(UnicodeError):
        await client.read_str()
    await client.close()


async def test_read_json_and_decode_error(server: LineServer) -> None:
    client = await connected(server)
    await server.send(b'{"id": "x", "v": [1, 2]}\r\n{bad\r\n')
    assert await client.read_json() == {"id": "x", "v": [1, 2]}
    with pytest.raises(json.JSONDecodeError):
        await client.read_json()
    await client.close()


async def test_read_into_and_write_from(server: LineServer) -> None:
    client = await connected(server)
    src = Pair(7, 2.5)
    await server.send(bytes(src))
    dst = Pair()
    await client.read_into(dst)
    assert (dst.a, dst.b) == (7, 2.5)
    await client.write_from(Pair(1, 1.0), Pair(2, 2.0))
    await client.write(b"\n")
    raw = await asyncio.wait_for(server.received.get(), 5)
    assert raw == bytes(Pair(1, 1.0)) + bytes(Pair(2, 2.0)) + b"\n"
    await client.close()


async def test_read_into_incomplete(server: LineServer) -> None:
    client = await connected(server)
    await server.send(b"\x01\x02")
    await server.drop()
    with pytest.raises(asyncio.IncompleteReadError):
        await client.read_into(Pair())
    await client.close()


async def test_write_methods(server: LineServer) -> None:
    client = await connected(server)
    await client.write(b"raw\n")
    await client.writelines([b"a", b"b\n"])
    await client.write_str("str")
    await client.write_json({"id": "cmd_x", "mask": 18410715311050326015})
    got = [await asyncio.wait_for(server.received.get(), 5) for _ in range(4)]
    assert got[0] == b"raw\n"
    assert got[1] == b"ab\n"
    assert got[2] == b"str\r\n"
    assert json.loads(got[3]) == {"id": "cmd_x", "mask": 18410715311050326015}
    assert got[3].endswith(b"\r\n")
    await client.close()


async def test_write_json_type_error(server: LineServer) -> None:
    client = await connected(server)
    with pytest.raises(TypeError):
        await client.write_json({"x": object()})
    await client.close()


async def test_write_str_unicode_error(server: LineServer) -> None:
    client = await connected(server)
    client.encoding = "ascii"
    with pytest.raises(UnicodeError):
        await client.write_str("é")
    await client.close()


async def test_reads_and_writes_when_not_connected_raise() -> None:
    client = Client("127.0.0.1", 9, log)
    for call in (
        client.read(1),
        client.readexactly(1),
        client.readline(),
        client.readuntil(),
        client.read_str(),
        client.read_json(),
        client.read_into(Pair()),
        client.write(b"x"),
        client.writelines([b"x"]),
        client.write_str("x"),
        client.write_json({}),
        client.write_from(Pair()),
    ):
        with pytest.raises(ConnectionError, match=r"not connected to 127\.0\.0\.1:9"):
            await call
    await client.close()


async def test_close_while_read_pending(server: LineServer) -> None:
    client = await connected(server)
    pending = asyncio.create_task(client.readexactly(100))
    await asyncio.sleep(0.05)
    assert not pending.done()
    await client.close()
    with pytest.raises((asyncio.IncompleteReadError, ConnectionError)):
        await asyncio.wait_for(pending, 5)
    assert not client.connected


async def test_connect_callback_called_on_state_change(server: LineServer) -> None:
    states: list[bool] = []

    async def on_change(c: Client) -> None:
        states.append(c.connected)

    client = await connected(server, connect_callback=on_change)
    await client.call_connect_callback()  # no change: not called again
    assert states == [True]
    await client.close()
    assert states == [True, False]


async def test_connection_monitor_notices_peer_drop(server: LineServer) -> None:
    client = await connected(server, monitor_connection_interval=0.02)
    await server.drop()
    # Nobody reads, so only the connection monitor can notice.
    await asyncio.wait_for(client.done_task, 5)
    assert not client.connected
    await client.close()
