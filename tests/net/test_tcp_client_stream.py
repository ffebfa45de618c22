"""TcpClient against a real loopback server: connection, reader, bad input."""

from __future__ import annotations

import asyncio
import itertools
import json
import logging
import socket

import pytest

from m2gui.net import MsgType, TcpClient
from m2gui.net import tcp_client as tcp_client_module

from .conftest import Collector, LineServer


async def connected_client(server: LineServer, collector: Collector, **kwargs: object) -> TcpClient:
    client = TcpClient("127.0.0.1", server.port, collector, **kwargs)  # type: ignore[arg-type]
    await client.connect(timeout=5)
    await asyncio.wait_for(server.connected.wait(), 5)
    return client


async def test_connect_and_close(server: LineServer, collector: Collector) -> None:
    client = await connected_client(server, collector)
    assert client.connected
    assert client.should_be_connected
    assert client.start_task.done()
    assert not client.done_task.done()
    await client.close()
    assert not client.connected
    assert not client.should_be_connected
    assert client.done_task.done()
    await client.close()  # idempotent
    assert not client.connected


async def test_close_without_connection_is_safe() -> None:
    async def cb(message: dict) -> None:
        pass

    client = TcpClient("127.0.0.1", 9, cb)
    await client.close()
    await client.close()
    assert not client.connected


async def test_async_with(server: LineServer, collector: Collector) -> None:
    async with TcpClient("127.0.0.1", server.port, collector) as client:
        assert client.connected
    assert not client.connected
    assert client.done_task.done()


async def test_connect_refused_names_host_and_port(collector: Collector) -> None:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()  # nothing listens on this port now
    client = TcpClient("127.0.0.1", port, collector)
    with pytest.raises(ConnectionError, match=f"127.0.0.1:{port}"):
        await client.connect(timeout=5)
    assert not client.connected
    await client.close()


async def test_connect_timeout_is_honoured(collector: Collector) -> None:
    # A listener with a full backlog that never accepts: SYNs are dropped and
    # the connection attempt hangs until our timeout.
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(0)
    port = listener.getsockname()[1]
    fillers = []
    for _ in range(4):
        s = socket.socket()
        s.setblocking(False)
        s.connect_ex(("127.0.0.1", port))
        fillers.append(s)
    try:
        client = TcpClient("127.0.0.1", port, collector)
        loop = asyncio.get_running_loop()
        t0 = loop.time()
        with pytest.raises(TimeoutError, match=f"127.0.0.1:{port}"):
            await client.connect(timeout=0.5)
        elapsed = loop.time() - t0
        assert 0.4 < elapsed < 3.0
        await client.close()
    finally:
        for s in fillers:
            s.close()
        listener.close()


async def test_start_twice_raises(server: LineServer, collector: Collector) -> None:
    client = await connected_client(server, collector)
    with pytest.raises(RuntimeError, match="start already called"):
        await client.start()
    await client.close()


async def test_connect_when_connected_returns(server: LineServer, collector: Collector) -> None:
    client = await connected_client(server, collector)
    await client.connect()
    assert client.connected
    await client.close()


async def test_ten_thousand_messages_in_order(server: LineServer, collector: Collector) -> None:
    client = await connected_client(server, collector)
    n = 10_000
    payload = b"".join(b'{"id": "position", "i": %d, "x": [1.5, 2.5]}\r\n' % i for i in range(n))
    # Send in odd-sized pieces so that lines straddle TCP segments.
    for start in range(0, len(payload), 7919):
        await server.send(payload[start : start + 7919])
    messages = await collector.wait_for(n, timeout=10)
    assert [m["i"] for m in messages] == list(range(n))
    assert client.messages_received == n
    assert client.bad_lines == 0
    await client.close()


async def test_line_split_across_many_segments(server: LineServer, collector: Collector) -> None:
    client = await connected_client(server, collector)
    line = b'{"id": "axialForce", "measured": [' + b", ".join([b"1.25"] * 72) + b"]}\r\n"
    for i in range(len(line)):
        await server.send(line[i : i + 1])
        if i % 50 == 0:
            await asyncio.sleep(0)  # let the segment reach the client alone
    messages = await collector.wait_for(1)
    assert messages[0]["measured"] == [1.25] * 72
    await client.close()


async def test_many_messages_in_one_segment(server: LineServer, collector: Collector) -> None:
    client = await connected_client(server, collector)
    await server.send(b"".join(b'{"id": "e", "n": %d}\r\n' % i for i in range(50)))
    messages = await collector.wait_for(50)
    assert [m["n"] for m in messages] == list(range(50))
    await client.close()


async def test_bad_json_in_the_middle_is_skipped_counted_and_logged(
    server: LineServer, collector: Collector, caplog: pytest.LogCaptureFixture
) -> None:
    client = await connected_client(server, collector)
    with caplog.at_level(logging.WARNING):
        await server.send(b'{"id": "a"}\r\n{"id": "b", oops\r\n[1, 2]\r\n{"id": "c"}\r\n')
        messages = await collector.wait_for(2)
    assert [m["id"] for m in messages] == ["a", "c"]
    assert client.malformed_lines == 2
    assert client.connected
    assert "invalid JSON" in caplog.text
    assert "oops" in caplog.text
    assert "expected a JSON object, got list" in caplog.text
    await client.close()


async def test_invalid_utf8_is_skipped_and_counted(
    server: LineServer, collector: Collector, caplog: pytest.LogCaptureFixture
) -> None:
    client = await connected_client(server, collector)
    with caplog.at_level(logging.WARNING):
        await server.send(b'{"id": "\xff\xfe"}\r\n{"id": "ok"}\r\n')
        messages = await collector.wait_for(1)
    assert [m["id"] for m in messages] == ["ok"]
    assert client.invalid_utf8_lines == 1
    assert "invalid UTF-8" in caplog.text
    assert "\\xff" in caplog.text
    await client.close()


async def test_overlong_line_is_skipped_and_counted(
    server: LineServer, collector: Collector, caplog: pytest.LogCaptureFixture
) -> None:
    client = await connected_client(server, collector)
    client.limit = 4096
    with caplog.at_level(logging.WARNING):
        await server.send(b'{"id": "huge", "x": "' + b"y" * 20_000 + b'"}\r\n')
        await server.send(b'{"id": "after"}\r\n')
        messages = await collector.wait_for(1)
    assert [m["id"] for m in messages] == ["after"]
    assert client.overlong_lines == 1
    assert "longer than 4096 bytes" in caplog.text
    assert client.connected
    await client.close()


async def test_nan_and_uint64_and_huge_ints(server: LineServer, collector: Collector) -> None:
    client = await connected_client(server, collector)
    await server.send(
        b'{"id": "enabledFaultsMask", "mask": 18410715311050326015}\r\n'
        b'{"id": "t", "x": NaN, "big": 123456789012345678901234567890}\r\n'
    )
    messages = await collector.wait_for(2)
    assert messages[0]["mask"] == 18410715311050326015
    assert messages[1]["x"] != messages[1]["x"]
    assert messages[1]["big"] == 123456789012345678901234567890
    await client.close()


async def test_bare_lf_framing_is_accepted(server: LineServer, collector: Collector) -> None:
    client = await connected_client(server, collector)
    await server.send(b'{"id": "a"}\n{"id": "b"}\r\n')
    assert [m["id"] for m in await collector.wait_for(2)] == ["a", "b"]
    await client.close()


async def test_server_closing_mid_line(
    server: LineServer, collector: Collector, caplog: pytest.LogCaptureFixture
) -> None:
    client = await connected_client(server, collector)
    with caplog.at_level(logging.WARNING):
        await server.send(b'{"id": "whole"}\r\n{"id": "half", "x": [1, 2')
        await collector.wait_for(1)
        await server.drop()
        await asyncio.wait_for(client.done_task, 5)
    assert not client.connected
    assert client.truncated_lines == 1
    assert "in the middle of a message" in caplog.text
    assert [m["id"] for m in collector.messages] == ["whole"]
    await client.close()


async def test_callback_raising_does_not_stop_reading(
    server: LineServer, caplog: pytest.LogCaptureFixture
) -> None:
    seen: list[str] = []
    done = asyncio.Event()

    async def callback(message: dict) -> None:
        seen.append(message["id"])
        if message["id"] == "boom":
            raise KeyError("boom")
        if message["id"] == "last":
            done.set()

    client = TcpClient("127.0.0.1", server.port, callback)
    await client.connect()
    with caplog.at_level(logging.ERROR):
        await server.send(b'{"id": "a"}\r\n{"id": "boom"}\r\n{"id": "last"}\r\n')
        await asyncio.wait_for(done.wait(), 5)
    assert seen == ["a", "boom", "last"]
    assert client.callback_errors == 1
    assert "error processing message" in caplog.text
    assert "KeyError" in caplog.text
    await client.close()


async def test_callback_gets_extra_args_and_is_awaited_in_order(server: LineServer) -> None:
    order: list[tuple[str, int]] = []
    done = asyncio.Event()

    async def callback(tag: str, message: dict) -> None:
        await asyncio.sleep(0.001 * (3 - message["n"]))  # slower first: order must hold
        order.append((tag, message["n"]))
        if message["n"] == 3:
            done.set()

    client = TcpClient("127.0.0.1", server.port, callback, "cmd")
    await client.connect()
    await server.send(b'{"n": 1}\r\n{"n": 2}\r\n{"n": 3}\r\n')
    await asyncio.wait_for(done.wait(), 5)
    assert order == [("cmd", 1), ("cmd", 2), ("cmd", 3)]
    await client.close()


async def test_callback_can_read_the_bytes_that_follow(server: LineServer) -> None:
    got: list[tuple[dict, bytes]] = []
    done = asyncio.Event()
    client: TcpClient

    async def callback(message: dict) -> None:
        if "size" in message:
            blob = await client.readexactly(message["size"])
            got.append((message, blob))
        else:
            got.append((message, b""))
            done.set()

    client = TcpClient("127.0.0.1", server.port, callback)
    await client.connect()
    await server.send(b'{"size": 5}\r\nHELLO{"id": "next"}\r\n')
    await asyncio.wait_for(done.wait(), 5)
    assert got == [({"size": 5}, b"HELLO"), ({"id": "next"}, b"")]
    await client.close()


async def test_check_message_rate_logs(
    server: LineServer,
    collector: Collector,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(tcp_client_module, "RATE_PERIOD", 0.05)
    client = await connected_client(server, collector, check_message_rate=True)
    with caplog.at_level(logging.DEBUG):
        for i in range(5):
            await server.send(b'{"n": %d}\r\n' % i)
            await asyncio.sleep(0.03)
        await collector.wait_for(5)
    assert "messages/s" in caplog.text
    await client.close()


async def test_write_message_headers(server: LineServer, collector: Collector) -> None:
    client = await connected_client(server, collector)
    await client.write_message(MsgType.Command, "power", {"powerType": 2, "status": True})
    await client.write_message(MsgType.Command, "clearErrors")
    await client.write_message(MsgType.Event, "mountInPosition", {"inPosition": True}, "MTMount")
    await client.write_message(
        MsgType.Telemetry, "elevation", {"actualPosition": 45.0}, comp_name="MTMount"
    )
    await client.write_message(MsgType.Event, "noComp")
    lines = [json.loads(await asyncio.wait_for(server.received.get(), 5)) for _ in range(5)]
    assert lines[0] == {"id": "cmd_power", "sequence_id": 1, "powerType": 2, "status": True}
    assert lines[1] == {"id": "cmd_clearErrors", "sequence_id": 2}
    assert lines[2] == {"id": "evt_mountInPosition", "compName": "MTMount", "inPosition": True}
    assert lines[3] == {"id": "tel_elevation", "compName": "MTMount", "actualPosition": 45.0}
    assert lines[4] == {"id": "evt_noComp"}
    assert client.last_sequence_id == 2
    await client.close()


async def test_write_message_does_not_modify_details(
    server: LineServer, collector: Collector
) -> None:
    client = await connected_client(server, collector)
    details = {"mode": 3}
    await client.write_message(MsgType.Command, "setClosedLoopControlMode", details)
    assert details == {"mode": 3}
    await client.close()


async def test_custom_sequence_generator(server: LineServer, collector: Collector) -> None:
    client = await connected_client(server, collector, sequence_generator=itertools.count(100, 10))
    for _ in range(3):
        await client.write_message(MsgType.Command, "clearErrors")
    ids = [json.loads(await server.received.get())["sequence_id"] for _ in range(3)]
    assert ids == [100, 110, 120]
    assert client.last_sequence_id == 120
    await client.close()


async def test_write_message_errors(server: LineServer, collector: Collector) -> None:
    client = TcpClient("127.0.0.1", server.port, collector)
    with pytest.raises(RuntimeError, match="not connected"):
        await client.write_message(MsgType.Command, "clearErrors")
    await client.connect()
    with pytest.raises(ValueError, match="'id'"):
        await client.write_message(MsgType.Command, "power", {"id": 3})
    with pytest.raises(ValueError, match="not supported"):
        await client.write_message(7, "power")  # type: ignore[arg-type]
    assert client.last_sequence_id == -1
    await client.close()
    with pytest.raises(RuntimeError):
        await client.write_message(MsgType.Command, "clearErrors")


async def test_writes_on_closed_client_raise(server: LineServer, collector: Collector) -> None:
    client = await connected_client(server, collector)
    await client.close()
    with pytest.raises(ConnectionError):
        await client.write(b"x\r\n")
    with pytest.raises(ConnectionError):
        await client.write_str("x")
    with pytest.raises(ConnectionError):
        await client.write_json({"id": "x"})
    with pytest.raises(ConnectionError):
        await client.writelines([b"x"])


async def test_peer_drop_closes_client_and_calls_back(
    server: LineServer, collector: Collector
) -> None:
    client = await connected_client(server, collector)
    await server.drop()
    await asyncio.wait_for(client.done_task, 5)
    assert not client.connected
    # should_be_connected stays True: the drop was not asked for.
    assert client.should_be_connected
    await client.close()
    assert not client.should_be_connected
