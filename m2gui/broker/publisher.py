"""`Publisher`: everything a controller connection sends and receives, out to a broker.

The publisher taps `ControllerConnection.add_wire_listener` and publishes
each line, byte for byte, as the topic layout of `m2gui.broker.topics` says:

- ``PREFIX/telemetry/NAME`` (QoS 0), ``PREFIX/event/NAME`` (QoS 1, retained:
  a viewer that joins late gets the latest of every event at once),
  ``PREFIX/reply`` (ack, noack, success, fail; QoS 1), ``PREFIX/command``
  (lines sent to the controller, so viewers' command history shows them;
  QoS 1), ``PREFIX/bad`` (lines whose id could not be read: not JSON, not an
  object, no string id, or one a topic cannot hold; QoS 0; viewers count them
  as bad lines exactly as the direct connection did);
- ``PREFIX/status``: retained JSON (`m2gui.broker.status`) with the publisher's
  identity, the controller link and who holds command, again every
  ``status_interval`` seconds and on every change; the MQTT last will
  replaces it with ``"online": false`` if the publisher dies.

The receive time, the port and the direction travel beside the payload as
one MQTT 5 user property (``wire`` = ``"TIME PORT DIRECTION"``), so nothing
is re-encoded.

The controller connection is never slowed nor stopped by the broker: the wire
listener only appends to a bounded `Outbox` (telemetry dropped oldest first,
counted; events and replies kept up to a much larger bound), and a task
drains it to the broker in batches, reconnecting with exponential backoff.
On every (re)connection the latest line of each event is published again
(retained), so the broker's state is whole even after it restarted empty.
Events the connection received before the publisher started are published
from its latest values, re-encoded (`m2gui.net.encode_line`), with their
receive time: the only lines not published byte for byte.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any

import aiomqtt
import paho.mqtt.client as mqtt

from m2gui.model.catalogue import Catalogue
from m2gui.net import ConnectionState, ControllerConnection, WireLine, encode_line
from m2gui.net.connection import REPLY_IDS

from . import topics
from .login import BrokerLogin, TlsOptions, explain, mqtt_logger, random_identifier
from .outbox import Outbox
from .status import commander_of, default_identity, status_payload
from .url import BrokerUrl

__all__ = ["Publisher", "PublisherStats"]

#: Distinct event names remembered to publish again after a reconnection.
MAX_EVENT_NAMES = 1000


@dataclass(frozen=True)
class PublisherStats:
    """What the status bar shows of a publisher.

    Attributes
    ----------
    published : `int`
        Lines the broker accepted (QoS 0: written to it).
    dropped_telemetry : `int`
        Telemetry lines dropped because the outbox was full.
    dropped_other : `int`
        Other lines dropped (only beyond the outbox's much larger bound).
    lost : `int`
        Lines whose publishing failed when the broker connection broke.
    buffered : `int`
        Lines waiting for the broker.
    connected : `bool`
        The broker connection is up.
    last_error : `str`
        Why the broker connection is down (empty while up).
    """

    published: int
    dropped_telemetry: int
    dropped_other: int
    lost: int
    buffered: int
    connected: bool
    last_error: str


class Publisher:
    """Publish a controller connection's traffic to an MQTT broker.

    Parameters
    ----------
    connection : `ControllerConnection`
        The connection whose lines are published (live, or fed).
    url : `BrokerUrl` or `str`
        ``mqtt://[user@]host[:port]/prefix`` or ``mqtts://…``.
    identity : `str` or None
        Who publishes, for viewers' banners (default ``user@host pid``).
    username, password : `str` or None
        Broker credentials (see `m2gui.broker.url.read_password`).
    tls : `TlsOptions` or None
        TLS settings (``mqtts://`` uses the system's CAs without them).
    catalogue : `Catalogue` or None
        With it, command-port lines naming telemetry (the C++ controller's
        ``netForcesTotal``) go to ``telemetry/NAME``, not ``event/NAME``.
    max_buffer : `int`
        Lines waiting for the broker before telemetry is dropped.
    max_kept : `int` or None
        Other lines kept at most (default 20 x ``max_buffer``).
    batch : `int`
        Lines published per step of the drain task.
    status_interval : `float`
        Seconds between status messages when nothing changes.
    backoff_initial, backoff_max : `float`
        First and largest wait between connection attempts (doubling).
    timeout : `float`
        Seconds allowed to connect and for a QoS 1 publish to be acknowledged.
    log : `logging.Logger` or None
        Logger.
    """

    def __init__(
        self,
        connection: ControllerConnection,
        url: BrokerUrl | str,
        *,
        identity: str | None = None,
        username: str | None = None,
        password: str | None = None,
        tls: TlsOptions | None = None,
        catalogue: Catalogue | None = None,
        max_buffer: int = 10_000,
        max_kept: int | None = None,
        batch: int = 200,
        status_interval: float = 5.0,
        backoff_initial: float = 0.5,
        backoff_max: float = 10.0,
        timeout: float = 10.0,
        log: logging.Logger | None = None,
    ) -> None:
        self.connection = connection
        self.login = BrokerLogin.make(url, username, password, tls)
        self.url = self.login.url
        self.identity = identity or default_identity()
        self.log = log or logging.getLogger(__name__)
        self.batch = batch
        self.status_interval = status_interval
        self.backoff_initial = backoff_initial
        self.backoff_max = backoff_max
        self.timeout = timeout
        self.outbox = Outbox(max_buffer, max_kept or 20 * max_buffer)
        self.published = 0
        self.lost = 0
        self.connected = False
        self.last_error = ""
        self.connections_made = 0
        self.started = time.time()
        self._telemetry_names = frozenset(catalogue.telemetry) if catalogue is not None else None
        self._prefix = self.url.prefix
        #: The latest line of each event, published again after a reconnection.
        self._latest_events: dict[str, WireLine] = {}
        self._wakeup = asyncio.Event()
        self._stop = asyncio.Event()
        self._status_due = True
        self._last_status: tuple[bool, str, str] | None = None
        self._remove_tap: Callable[[], None] | None = None
        self._task: asyncio.Task[None] | None = None
        self._closed = False
        self._state_listening = False
        #: Why the broker refused a QoS 1 publish on this connection (PUBACK), if it did.
        self._refused = ""
        #: This connection got a status through (a refusing broker never resets the backoff).
        self._served = False

    # ------------------------------------------------------------------
    # Lifecycle
    # ------------------------------------------------------------------
    @property
    def stats(self) -> PublisherStats:
        """Counters and link state, for the status bar."""
        return PublisherStats(
            published=self.published,
            dropped_telemetry=self.outbox.dropped_telemetry,
            dropped_other=self.outbox.dropped_other,
            lost=self.lost,
            buffered=len(self.outbox),
            connected=self.connected,
            last_error=self.last_error,
        )

    def describe(self) -> str:
        """``publishing to mqtt://host/prefix`` and how it goes, for the status bar."""
        stats = self.stats
        text = f"publishing to {self.url.display}"
        if not stats.connected:
            text += f": broker not connected ({stats.last_error or 'connecting'})"
        if stats.dropped_telemetry:
            text += f"; {stats.dropped_telemetry} telemetry messages dropped"
        return text

    def start(self) -> None:
        """Tap the connection and start publishing (in the running event loop)."""
        if self._task is not None and not self._task.done():
            return
        self._closed = False
        self._wakeup = asyncio.Event()
        self._stop = asyncio.Event()
        if self._remove_tap is None:
            self._seed()
            self._remove_tap = self.connection.add_wire_listener(self._on_wire)
        if not self._state_listening:  # the connection cannot remove one: add it once
            self._state_listening = True
            self.connection.add_state_listener(self._on_state)
        self._task = asyncio.create_task(self._run(), name="m2gui-publisher")

    async def close(self) -> None:
        """Stop: publish ``"online": false`` (if the broker is there) and disconnect; idempotent."""
        self._closed = True
        if self._remove_tap is not None:
            self._remove_tap()
            self._remove_tap = None
        task, self._task = self._task, None
        if task is not None and not task.done():
            self._stop.set()
            self._wakeup.set()  # the run loop publishes the last status and leaves
            try:
                await asyncio.wait_for(asyncio.shield(task), self.timeout + 1)
            except TimeoutError:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        self.connected = False

    def _seed(self) -> None:
        """Queue the events the connection received before the tap, re-encoded.

        A publisher started on a connection that is already up would
        otherwise publish no event until each changes; these lines are the
        only ones not published byte for byte (the connection keeps them
        decoded), with their original receive time.
        """
        known = sorted(self.connection.latest_events.values(), key=lambda r: r.time)
        for received in known:
            if received.name not in self._latest_events:
                payload = encode_line(received.message, b"")
                self.outbox.put(WireLine(received.time, received.port, "in", payload))

    # ------------------------------------------------------------------
    # The tap: called in the controller connection's read path
    # ------------------------------------------------------------------
    def _on_wire(self, line: WireLine) -> None:
        self.outbox.put(line)
        if not self._wakeup.is_set():
            self._wakeup.set()

    def _on_state(self, state: ConnectionState) -> None:
        if not self._closed:
            self._status_due = True
            self._wakeup.set()

    # ------------------------------------------------------------------
    # The broker side
    # ------------------------------------------------------------------
    def _will(self) -> aiomqtt.Will:
        return aiomqtt.Will(
            f"{self._prefix}/{topics.STATUS}",
            status_payload(
                online=False,
                identity=self.identity,
                connection=self.connection,
                started=self.started,
                reason="the publisher lost the broker or died (last will)",
            ),
            qos=1,
            retain=True,
        )

    async def _run(self) -> None:
        delay = 0.0
        while not self._closed:
            self._served = False
            try:
                # In the try: making the client reads the TLS files (OSError).
                client = self.login.client(
                    random_identifier("pub"),
                    will=self._will(),
                    timeout=self.timeout,
                    logger=mqtt_logger(self.log),
                )
                client.pending_calls_threshold = 1_000_000  # batches publish concurrently
                self._refused = ""
                self._watch_refusals(client)
                async with client:
                    self.connected = True
                    self.connections_made += 1
                    self.last_error = ""
                    self.log.info("publishing to %s as %s", self.url.display, self.identity)
                    await self._serve(client)
                    return
            except aiomqtt.MqttError as error:
                self.last_error = explain(error, self.login)
            except OSError as error:  # e.g. the TLS files cannot be read
                self.last_error = explain(error, self.login)
            except Exception as error:  # a bug, or a library's surprise: never die silently
                self.last_error = explain(error, self.login)
                self.log.exception("publisher: unexpected failure")
            finally:
                self.connected = False
            if self._served:  # the broker took a status: start the backoff again
                delay = 0.0
            delay = min(max(delay * 2, self.backoff_initial), self.backoff_max)
            self.log.warning(
                "publisher: %s; %d lines waiting; retrying in %.1f s",
                self.last_error,
                len(self.outbox),
                delay,
            )
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stop.wait(), delay)

    async def _serve(self, client: aiomqtt.Client) -> None:
        """Publish until closed (then say offline) or the broker connection breaks (raises)."""
        lost = asyncio.ensure_future(_until_lost(client))
        try:
            await self._serve_until(client, lost)
        finally:
            lost.cancel()
            with contextlib.suppress(asyncio.CancelledError, aiomqtt.MqttError):
                await lost

    async def _serve_until(self, client: aiomqtt.Client, lost: asyncio.Future[None]) -> None:
        self._status_due = True
        again = sorted(self._latest_events.values(), key=lambda line: line.time)
        for start in range(0, len(again), self.batch):
            await _unless(lost, self._publish(client, again[start : start + self.batch]))
        next_status = 0.0
        while True:
            if self._closed:
                await _unless(lost, self._drain(client))
                await _unless(
                    lost,
                    self._publish_status(client, online=False, reason="the publisher stopped"),
                )
                return
            if self._status_due or time.monotonic() >= next_status:
                self._status_due = False
                next_status = time.monotonic() + self.status_interval
                await _unless(lost, self._publish_status(client, online=True))
            if self.outbox:
                await _unless(lost, self._publish(client, self.outbox.take(self.batch)))
                self._check_refused()
                if self._status_changed():
                    self._status_due = True
                continue
            self._wakeup.clear()
            woken: asyncio.Future[Any] = asyncio.ensure_future(self._wakeup.wait())
            await asyncio.wait(
                {woken, lost},
                timeout=max(0.0, next_status - time.monotonic()),
                return_when=asyncio.FIRST_COMPLETED,
            )
            woken.cancel()
            if lost.done():
                lost.result()  # raises why
                raise aiomqtt.MqttError("the broker connection was lost")

    def _watch_refusals(self, client: aiomqtt.Client) -> None:
        """Note a PUBACK that refuses a message: aiomqtt takes it for success.

        A broker whose ACL does not let this user write the prefix answers
        each QoS 1 publish with "Not authorized" (0x87), and drops QoS 0 ones
        silently: without this, all would look published.
        """
        paho = getattr(client, "_client", None)
        if not isinstance(paho, mqtt.Client):
            return
        chained = paho.on_publish

        def on_publish(*args: Any) -> None:
            code = args[3] if len(args) > 3 else None
            if getattr(code, "is_failure", False) and not self._refused:
                self._refused = str(code)
            if chained is not None:
                chained(*args)

        paho.on_publish = on_publish

    def _check_refused(self) -> None:
        """Raise `aiomqtt.MqttError` if the broker refused a publish on this connection."""
        if self._refused:
            user = f"user {self.login.username!r}" if self.login.username else "anonymous clients"
            raise aiomqtt.MqttError(
                f"the broker {self.url.broker} refused what the publisher sent to "
                f"{self._prefix}: {self._refused} (its ACL must give {user} write access "
                f"to {self._prefix}/#)"
            )

    async def _drain(self, client: aiomqtt.Client) -> None:
        """Publish what waits, until the outbox is empty or the timeout runs out."""
        deadline = time.monotonic() + self.timeout
        while self.outbox and time.monotonic() < deadline:
            await self._publish(client, self.outbox.take(self.batch))

    def _status_changed(self) -> bool:
        connection = self.connection
        now = (connection.connected, connection.state.value, commander_of(connection))
        return now != self._last_status

    async def _publish_status(
        self, client: aiomqtt.Client, *, online: bool, reason: str = ""
    ) -> None:
        connection = self.connection
        self._last_status = (connection.connected, connection.state.value, commander_of(connection))
        payload = status_payload(
            online=online,
            identity=self.identity,
            connection=connection,
            started=self.started,
            counters={
                "published": self.published,
                "dropped_telemetry": self.outbox.dropped_telemetry,
                "dropped_other": self.outbox.dropped_other,
            },
            reason=reason,
        )
        await client.publish(
            f"{self._prefix}/{topics.STATUS}", payload, qos=1, retain=True, timeout=self.timeout
        )
        self._check_refused()
        self._served = True

    def _route(self, line: WireLine) -> tuple[str, int, bool]:
        """The topic, QoS and retain flag of ``line``."""
        prefix = self._prefix
        if line.direction == "out":
            return f"{prefix}/{topics.COMMAND}", 1, False
        if line.port == "telemetry":
            name = topics.read_id(line.line, exact=False)
            if name is None:
                return f"{prefix}/{topics.BAD}", 0, False
            return f"{prefix}/{topics.TELEMETRY}/{name}", 0, False
        name = topics.read_id(line.line, exact=True)
        if name is None:
            return f"{prefix}/{topics.BAD}", 0, False
        if name in REPLY_IDS:
            return f"{prefix}/{topics.REPLY}", 1, False
        if self._telemetry_names is not None and name in self._telemetry_names:
            return f"{prefix}/{topics.TELEMETRY}/{name}", 0, False
        if name in self._latest_events or len(self._latest_events) < MAX_EVENT_NAMES:
            self._latest_events[name] = line
        return f"{prefix}/{topics.EVENT}/{name}", 1, True

    async def _publish(self, client: aiomqtt.Client, lines: list[WireLine]) -> None:
        """Publish ``lines`` (paho sends them in order); raise if one fails.

        QoS 0 lines but the batch's last go straight to paho's queue (an
        aiomqtt publish costs two tasks and an event more, a third of the
        publisher's CPU at 20 Hz); the rest go through aiomqtt, concurrently,
        and awaiting them is the backpressure: the last is awaited until
        written, so every line before it was too. Lines whose publishing
        failed or was cancelled (the broker went) are counted in `lost`.
        """
        before = self.published
        calls: list[Coroutine[Any, Any, None]] = []
        paho = getattr(client, "_client", None)  # aiomqtt's paho client
        direct = isinstance(paho, mqtt.Client)
        last = len(lines) - 1
        gathered = False
        try:
            for index, line in enumerate(lines):
                topic, qos, retain = self._route(line)
                if direct and qos == 0 and index < last:
                    assert isinstance(paho, mqtt.Client)
                    properties = topics.wire_properties(line)
                    info = paho.publish(topic, line.line, 0, retain, properties)
                    if info.rc != mqtt.MQTT_ERR_SUCCESS:
                        raise aiomqtt.MqttCodeError(info.rc, "Could not publish message")
                    self.published += 1
                    continue
                calls.append(self._publish_one(client, topic, line, qos, retain))
            gathered = True
            results = await asyncio.gather(*calls, return_exceptions=True)
        finally:
            if not gathered:
                for call in calls:
                    call.close()
            self.lost += len(lines) - (self.published - before)
        for result in results:
            if isinstance(result, BaseException):
                raise result

    async def _publish_one(
        self, client: aiomqtt.Client, topic: str, line: WireLine, qos: int, retain: bool
    ) -> None:
        await client.publish(
            topic,
            line.line,
            qos=qos,
            retain=retain,
            properties=topics.wire_properties(line),
            timeout=self.timeout,
        )
        self.published += 1


async def _until_lost(client: aiomqtt.Client) -> None:
    """Return never: raise `aiomqtt.MqttError` once the broker connection is lost.

    The publisher subscribes to nothing, so the message iterator ends only
    by the disconnection (aiomqtt's public way to learn of it).
    """
    async for _ in client.messages:
        pass
    raise aiomqtt.MqttError("the broker connection was lost")


async def _unless(lost: asyncio.Future[None], work: Coroutine[Any, Any, None]) -> None:
    """Run ``work``; if the broker connection is lost first, cancel it and raise why."""
    task = asyncio.ensure_future(work)
    waiters: set[asyncio.Future[None]] = {task, lost}
    try:
        await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
    except asyncio.CancelledError:
        task.cancel()
        raise
    if task.done():
        task.result()
        return
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError, aiomqtt.MqttError):
        await task
    lost.result()
    raise aiomqtt.MqttError("the broker connection was lost")
