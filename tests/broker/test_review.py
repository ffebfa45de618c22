"""Review findings on the broker fan-out: each test failed before its fix."""

from __future__ import annotations

import asyncio
import logging
import time

import aiomqtt
import orjson
import pytest

from m2gui.broker import (
    BrokerSource,
    BrokerUrl,
    BrokerUrlError,
    Publisher,
    TlsOptions,
    parse_broker_url,
)
from m2gui.model import Catalogue
from m2gui.model.sources import fed_connection
from m2gui.net.client import DEFAULT_LIMIT

from ..waiting import until
from .conftest import VIEWER
from .mosquitto import Mosquitto


def url(broker: Mosquitto) -> str:
    return f"mqtt://127.0.0.1:{broker.port}/m2"


def online_status() -> bytes:
    return orjson.dumps(
        {"online": True, "publisher": "ops@m2-gui 1", "connected": True, "time": time.time()}
    )


async def test_a_viewer_asks_the_broker_to_keep_oversized_messages_away(
    broker: Mosquitto, catalogue: Catalogue
) -> None:
    """A payload beyond what a viewer reads never reaches it: the broker drops it.

    Without a maximum packet size in its CONNECT, a viewer reads any message
    the broker forwards whole (up to 256 MB) before ignoring it.
    """
    source = BrokerSource(url(broker), catalogue, backoff_initial=0.05, backoff_max=0.2)
    source.start()
    try:
        await until(
            lambda: source.connection.last_error.startswith("connected to the broker"),
            what="the viewer subscribed",
        )
        async with aiomqtt.Client("127.0.0.1", broker.port) as raw:
            big = b'{"id": "huge", "x": "' + b"x" * (DEFAULT_LIMIT + 200_000) + b'"}'
            await raw.publish("m2/telemetry/huge", big, qos=1)
            await raw.publish("m2/status", online_status(), qos=1)
        await until(lambda: source.status is not None, what="the status after the big one")
        assert source.ignored == 0  # it never came
        assert source.received == 1
    finally:
        await source.close()


async def test_retained_events_are_not_fresh_data(broker: Mosquitto, catalogue: Catalogue) -> None:
    """A late viewer's retained events may be hours old: they do not make the data fresh."""
    async with aiomqtt.Client("127.0.0.1", broker.port) as raw:
        line = b'{"id": "inPosition", "inPosition": true}'
        await raw.publish("m2/event/inPosition", line, qos=1, retain=True)
        await raw.publish("m2/status", online_status(), qos=1, retain=True)
    source = BrokerSource(url(broker), catalogue, backoff_initial=0.05, backoff_max=0.2)
    source.start()
    try:
        await until(lambda: source.delivered == 1, what="the retained event")
        await until(lambda: source.status is not None, what="the retained status")
        assert source.age is None
        assert source.stale
        # A line the publisher relays now is fresh data.
        async with aiomqtt.Client("127.0.0.1", broker.port) as raw:
            await raw.publish("m2/telemetry/x", b'{"id": "x"}', qos=1)
        await until(lambda: source.delivered == 2, what="live telemetry")
        await until(lambda: not source.stale, what="fresh data")
        assert source.age is not None
    finally:
        await source.close()


#: A host name the resolver refuses before asking anyone (a label over 63 characters).
BAD_HOST = "a" * 64 + ".example"


def test_a_host_name_the_resolver_refuses_is_refused_clearly() -> None:
    with pytest.raises(BrokerUrlError, match="not a valid host name"):
        parse_broker_url(f"mqtt://{BAD_HOST}/m2")


async def test_an_unexpected_failure_does_not_kill_the_publisher_or_viewer(
    catalogue: Catalogue,
) -> None:
    """The resolver's UnicodeError (not an OSError) ended both tasks silently."""
    where = BrokerUrl("mqtt", BAD_HOST, 1883, "m2")
    publisher = Publisher(
        fed_connection(catalogue), where, backoff_initial=0.05, backoff_max=0.1, timeout=1.0
    )
    source = BrokerSource(where, catalogue, backoff_initial=0.05, backoff_max=0.1, timeout=1.0)
    publisher.start()
    source.start()
    try:
        await until(lambda: publisher.last_error != "", what="the publisher's error")
        await until(lambda: source.last_error != "", what="the viewer's error")
        assert BAD_HOST[:20] in publisher.describe() or "idna" in publisher.last_error
        assert publisher._task is not None and not publisher._task.done()
        assert all(not task.done() for task in source._tasks)
        assert "retrying" in source.connection.last_error
    finally:
        await publisher.close()
        await source.close()


async def test_closing_a_viewer_can_itself_be_cancelled(
    broker: Mosquitto, catalogue: Catalogue
) -> None:
    source = BrokerSource(url(broker), catalogue, backoff_initial=0.05, backoff_max=0.2)
    source.start()
    await until(lambda: source.broker_connected, what="the viewer connected")
    closing = asyncio.create_task(source.close())
    await asyncio.sleep(0)  # close is now waiting for its tasks
    closing.cancel()
    with pytest.raises(asyncio.CancelledError):
        await closing
    assert closing.cancelled()


async def test_a_publisher_the_broker_lets_write_nothing_says_so(
    secured_broker: Mosquitto, catalogue: Catalogue, caplog: pytest.LogCaptureFixture
) -> None:
    """A user with read access only: every publish was refused, yet all looked published.

    Refused at every connection, the publisher also backs off to its longest delay.
    """
    caplog.set_level(logging.WARNING, logger="m2gui.broker.publisher")
    publisher = Publisher(
        fed_connection(catalogue),
        f"mqtt://127.0.0.1:{secured_broker.port}/m2",
        username=VIEWER[0],
        password=VIEWER[1],
        backoff_initial=0.05,
        backoff_max=0.4,
        timeout=2.0,
    )
    publisher.start()
    try:
        await until(lambda: publisher.connections_made >= 1, what="a connection")
        await until(lambda: "retrying in 0.4 s" in caplog.text, what="the longest delay")
        await until(lambda: "write access" in publisher.last_error, what="the refusal")
        assert "not authori" in publisher.last_error.lower()
        assert VIEWER[1] not in publisher.last_error
        assert "broker not connected" in publisher.describe()
    finally:
        await publisher.close()


async def test_unreadable_tls_files_do_not_kill_the_publisher(catalogue: Catalogue) -> None:
    """The client was made outside the try: a missing CA file ended the task silently."""
    publisher = Publisher(
        fed_connection(catalogue),
        "mqtts://127.0.0.1:1/m2",
        tls=TlsOptions(ca_file="/nonexistent/ca.pem"),
        backoff_initial=0.05,
        backoff_max=0.1,
    )
    publisher.start()
    try:
        await until(lambda: "No such file" in publisher.last_error, what="the error")
        assert publisher._task is not None and not publisher._task.done()
    finally:
        await publisher.close()
