"""Property: whatever bytes a peer sends, the reader survives and accounts for every line."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from m2gui.net import TcpClient

pytestmark = pytest.mark.timeout(120)

LIMIT = 65536

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**64 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=20,
)
objects = st.dictionaries(st.text(max_size=8), json_values, max_size=6)


def _valid(obj: dict[str, Any]) -> tuple[bytes, dict[str, Any] | None]:
    return json.dumps(obj).encode(), obj


hostile = st.sampled_from(
    [
        b"[" * 60_000,
        b'{"a":' * 3000 + b"1" + b"}" * 3000,
        b'{"v":' + b"7" * 5000 + b"}",
        b'{"v":' + b"[" * 1100 + b"]" * 1100 + b"}",
        b"x" * (LIMIT + 10),  # overlong
        b"",
        b"\r",
        b"\xff\xfe{}",
        b"[1,2]",
        b'"text"',
    ]
)
junk = st.binary(max_size=300).map(lambda b: b.replace(b"\n", b""))

lines = st.lists(
    objects.map(_valid) | hostile.map(lambda b: (b, None)) | junk.map(lambda b: (b, None)),
    max_size=12,
)


async def _scenario(items: list[tuple[bytes, dict[str, Any] | None]], cuts: list[int]) -> None:
    received: list[dict[str, Any]] = []
    done = asyncio.Event()

    async def on_message(message: dict[str, Any]) -> None:
        received.append(message)
        if message.get("id") == "__sentinel__":
            done.set()

    stream = b"".join(line + b"\n" for line, _ in items) + b'{"id":"__sentinel__"}\n'
    writers: list[asyncio.StreamWriter] = []

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writers.append(writer)
        start = 0
        for cut in [*sorted(set(cuts)), len(stream)]:
            cut = min(cut, len(stream))
            if cut > start:
                writer.write(stream[start:cut])
                await writer.drain()
                start = cut
        await reader.read()  # hold the connection open until the client closes

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    client = TcpClient("127.0.0.1", port, on_message, name="prop")
    client.limit = LIMIT
    try:
        await client.connect()
        await asyncio.wait_for(done.wait(), 20)
        assert client.connected and not client.done_task.done()
        assert client.messages_received + client.bad_lines == len(items) + 1
        assert client.messages_received == len(received)
        expected = [obj for _, obj in items if obj is not None]
        it = iter(received)
        assert all(obj in it for obj in expected), "a valid line was lost"
        assert received[-1] == {"id": "__sentinel__"}
    finally:
        await client.close()
        for writer in writers:
            writer.close()
        server.close()
        await server.wait_closed()


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(items=lines, cuts=st.lists(st.integers(min_value=1, max_value=200_000), max_size=5))
def test_reader_survives_any_byte_stream(
    items: list[tuple[bytes, dict[str, Any] | None]], cuts: list[int]
) -> None:
    asyncio.run(_scenario(items, cuts))
