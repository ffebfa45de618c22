"""`BrokerSource`: a read-only view of a controller through a broker.

It subscribes to ``PREFIX/#`` (read access is all it needs), turns each
message back into the `WireLine` the publisher received or sent (time, port
and direction from an MQTT 5 user property; see `m2gui.broker.topics`)
and feeds it to its connection, so every store and view works as on a live
connection. The broker's retained events give a viewer that joins late the
full event state at once; the publisher's retained status names who holds
the controller and tells, through its last will, when the publisher is gone.

Commands are always disabled (`read_only` says why); `age` and `stale` tell
how fresh the data are, and the link panel shows the broker and the
publisher's state through `set_state`.
"""

from __future__ import annotations

import asyncio
import logging
import time

import aiomqtt

from m2gui.model.catalogue import Catalogue
from m2gui.model.sources import FedSource, fed_connection
from m2gui.net import ConnectionState, WireLine
from m2gui.net.client import DEFAULT_LIMIT
from m2gui.net.ratelog import RateLimitedLog

from . import topics
from .login import BrokerLogin, TlsOptions, explain, mqtt_logger, random_identifier
from .status import PublisherStatus
from .url import BrokerUrl

__all__ = ["BrokerSource"]

#: Event names whose latest message is remembered, to skip repeats.
MAX_EVENT_NAMES = 1000
#: Largest packet a viewer accepts (told to the broker): a payload it reads,
#: the longest topic MQTT allows and room for the properties.
MAX_PACKET = DEFAULT_LIMIT + 128 * 1024
_FED_KINDS = frozenset((topics.TELEMETRY, topics.EVENT, topics.REPLY, topics.COMMAND, topics.BAD))


class BrokerSource(FedSource):
    """The traffic of a controller, as a publisher relays it through an MQTT broker.

    Parameters
    ----------
    url : `BrokerUrl` or `str`
        ``mqtt://[user@]host[:port]/prefix`` or ``mqtts://…``.
    catalogue : `Catalogue`
        Protocol catalogue (unknown ids are counted as on a live link).
    username, password : `str` or None
        Broker credentials (see `m2gui.broker.url.read_password`).
    tls : `TlsOptions` or None
        TLS settings (``mqtts://`` uses the system's CAs without them).
    stale_after : `float`
        Seconds without data (controller traffic, not status) after which
        the data are stale.
    backoff_initial, backoff_max : `float`
        First and largest wait between connection attempts (doubling).
    timeout : `float`
        Seconds allowed to connect and subscribe.
    log : `logging.Logger` or None
        Logger.

    Signals
    -------
    changed()
        The banner text or `stale` changed.
    """

    kind = "broker"

    def __init__(
        self,
        url: BrokerUrl | str,
        catalogue: Catalogue,
        *,
        username: str | None = None,
        password: str | None = None,
        tls: TlsOptions | None = None,
        stale_after: float = 15.0,
        backoff_initial: float = 0.5,
        backoff_max: float = 10.0,
        timeout: float = 10.0,
        log: logging.Logger | None = None,
    ) -> None:
        self.login = BrokerLogin.make(url, username, password, tls)
        self.url = self.login.url
        super().__init__(fed_connection(catalogue), "", name=f"viewer of {self.url.display}")
        self.log = log or logging.getLogger(__name__)
        self.stale_after = stale_after
        self.backoff_initial = backoff_initial
        self.backoff_max = backoff_max
        self.timeout = timeout
        #: The publisher's latest status, once one was read.
        self.status: PublisherStatus | None = None
        self.broker_connected = False
        self.last_error = ""
        #: Messages received, messages ignored (unknown topic, bad status,
        #: oversized), and events skipped as repeats of the one fed last.
        self.received = 0
        self.ignored = 0
        self.repeats = 0
        self.failures = 0
        self._attempts = 0
        self._last_data: float | None = None
        self._last_event: dict[str, tuple[float, bytes]] = {}
        self._stale = True
        self._tasks: list[asyncio.Task[None]] = []
        self._problem_log = RateLimitedLog(self.log)
        self._prefix_levels = self.url.prefix.count("/") + 1
        self._update()

    # ------------------------------------------------------------------
    # What the window shows
    # ------------------------------------------------------------------
    @property
    def age(self) -> float | None:
        """Seconds since the last line of controller traffic came (None before the first).

        The publisher's status messages do not count: they are not data; nor
        do retained messages (the latest events a viewer gets as it
        subscribes), which may be hours old.
        """
        if self._last_data is None:
            return None
        return max(0.0, time.monotonic() - self._last_data)

    @property
    def stale(self) -> bool:
        """True when the publisher is offline (last will) or no data came for `stale_after` s."""
        return self._stale

    def _compute_stale(self) -> bool:
        age = self.age
        if age is None or age > self.stale_after:
            return True
        return self.status is not None and not self.status.online

    def _banner(self) -> str:
        where = f"Viewer of {self.url.display}"
        status = self.status
        if status is None:
            return f"{where}: no publisher seen yet; commands are disabled"
        if not status.online:
            return (
                f"{where}: the publisher {status.publisher} is offline and the data are stale; "
                "commands are disabled"
            )
        return f"{where}: the controller is held by {status.publisher}; commands are disabled"

    def _link(self) -> tuple[ConnectionState, str]:
        if not self._tasks:
            return ConnectionState.DISCONNECTED, ""
        if not self.broker_connected:
            state = ConnectionState.RECONNECTING if self._attempts else ConnectionState.CONNECTING
            return state, self.last_error or f"connecting to the broker {self.url.broker}"
        status = self.status
        if status is None:
            return (
                ConnectionState.CONNECTING,
                f"connected to the broker; no publisher status on {self.url.prefix}/status yet",
            )
        if not status.online:
            reason = f" ({status.reason})" if status.reason else ""
            text = f"the publisher {status.publisher} is offline{reason}"
            return ConnectionState.RECONNECTING, text
        if not status.connected:
            return (
                ConnectionState.RECONNECTING,
                f"the publisher {status.publisher} has no link to the controller",
            )
        if self.age is None or self._stale:
            return (
                ConnectionState.RECONNECTING,
                f"no data from the publisher {status.publisher} for over {self.stale_after:g} s",
            )
        return ConnectionState.CONNECTED, ""

    def _update(self) -> None:
        """Recompute stale, the banner and the link state; emit `changed` if they changed."""
        stale = self._compute_stale()
        flipped = stale != self._stale
        self._stale = stale
        banner = self._banner()
        if banner != self.read_only:
            self.set_read_only(banner)  # emits changed
        elif flipped:
            self.changed.emit()
        state, detail = self._link()
        connection = self.connection
        if state is not connection.state or detail != connection.last_error:
            self.set_state(state, detail)

    # ------------------------------------------------------------------
    # Lifecycle
    # ------------------------------------------------------------------
    def start(self) -> None:
        """Connect to the broker and subscribe (in the running event loop); keeps reconnecting."""
        if any(not task.done() for task in self._tasks):
            return
        self._attempts = 0
        self._tasks = [
            asyncio.create_task(self._run(), name="m2gui-broker-viewer"),
            asyncio.create_task(self._watch(), name="m2gui-broker-staleness"),
        ]
        self._update()

    async def close(self) -> None:
        """Disconnect and stop; the link shows disconnected. Idempotent."""
        tasks, self._tasks = self._tasks, []
        for task in tasks:
            task.cancel()
        if tasks:  # gather: a cancellation of close itself still propagates
            await asyncio.gather(*tasks, return_exceptions=True)
        self.broker_connected = False
        await super().close()

    async def _watch(self) -> None:
        """Notice when the data go stale (no message arrives to tell)."""
        period = max(0.05, min(1.0, self.stale_after / 4))
        while True:
            await asyncio.sleep(period)
            self._update()

    async def _run(self) -> None:
        delay = 0.0
        while True:
            self._attempts += 1
            try:
                client = self.login.client(
                    random_identifier("view"),
                    timeout=self.timeout,
                    on_message=self._on_message,
                    max_packet=MAX_PACKET,
                    logger=mqtt_logger(self.log),
                )
                async with client:
                    self.broker_connected = True
                    self.last_error = ""
                    await self._subscribe(client)
                    delay = 0.0  # only once subscribed: a refusal keeps backing off
                    self.log.info("viewing %s", self.url.display)
                    self._update()
                    async for _ in client.messages:
                        pass  # messages go to _on_message: this ends when the link is lost
            except (aiomqtt.MqttError, OSError) as error:
                self.last_error = explain(error, self.login)
            except Exception as error:  # a bug, or a library's surprise: never die silently
                self.last_error = explain(error, self.login)
                self._problem_log(
                    logging.ERROR, "unexpected", "viewer: unexpected failure", exc_info=True
                )
            finally:
                self.broker_connected = False
            delay = min(max(delay * 2, self.backoff_initial), self.backoff_max)
            self._problem_log(
                logging.WARNING, "broker", f"viewer: {self.last_error}; retrying in {delay:.1f} s"
            )
            self.last_error = f"{self.last_error}; retrying in {delay:.2g} s"
            self._update()
            await asyncio.sleep(delay)

    async def _subscribe(self, client: aiomqtt.Client) -> None:
        topic = f"{self.url.prefix}/#"
        codes = await client.subscribe(topic, qos=1, timeout=self.timeout)
        for code in codes:
            if getattr(code, "is_failure", False) or (isinstance(code, int) and code >= 0x80):
                raise aiomqtt.MqttError(
                    f"the broker {self.url.broker} refused the subscription to {topic}: {code} "
                    "(the broker's ACL must give this user read access to it)"
                )

    # ------------------------------------------------------------------
    # Messages
    # ------------------------------------------------------------------
    def _on_message(self, message: aiomqtt.Message) -> None:
        """Handle one message, in the socket's read callback: never raises."""
        try:
            self._handle(message)
        except Exception:
            self.failures += 1
            self._problem_log(
                logging.ERROR,
                "failure",
                f"viewer of {self.url.display}: a message on {str(message.topic)[:200]} "
                f"could not be handled ({self.failures} so far)",
                exc_info=True,
            )

    def _handle(self, message: aiomqtt.Message) -> None:
        self.received += 1
        levels = message.topic.value.split("/", self._prefix_levels + 1)
        kind = levels[self._prefix_levels] if len(levels) > self._prefix_levels else ""
        payload = message.payload
        if not isinstance(payload, bytes) or len(payload) > DEFAULT_LIMIT:
            self._ignore(f"a payload that is not bytes or too long on {message.topic.value[:200]}")
            return
        if kind == topics.STATUS:
            self._on_status(payload)
            return
        if kind not in _FED_KINDS:
            self._ignore(f"a message on an unknown topic {message.topic.value[:200]!r}")
            return
        line = topics.wire_from_message(kind, payload, message.properties)
        if line is None:
            self._ignore(f"a message with a bad port or direction on {message.topic.value[:200]}")
            return
        if kind == topics.EVENT and self._repeated(levels[-1], line):
            return
        if not message.retain:  # a retained message may be hours old: not fresh data
            self._last_data = time.monotonic()
        self.deliver(line)
        if self._stale:
            self._update()

    def _repeated(self, name: str, line: WireLine) -> bool:
        """True for an event fed already (retained again after a reconnection)."""
        key = (line.time, line.line)
        if self._last_event.get(name) == key:
            self.repeats += 1
            return True
        if name in self._last_event or len(self._last_event) < MAX_EVENT_NAMES:
            self._last_event[name] = key
        return False

    def _on_status(self, payload: bytes) -> None:
        status = PublisherStatus.parse(payload)
        if status is None:
            self._ignore("a status that is not a JSON object with an online flag")
            return
        if status != self.status:
            self.status = status
            self._set_address(status.controller)
        self._update()

    def _set_address(self, address: str) -> None:
        host, _, ports = address.partition(":")
        command, _, telemetry = ports.partition("/")
        connection = self.connection
        if host and command.isdigit() and telemetry.isdigit():
            connection.host, connection.command_port = host, int(command)
            connection.telemetry_port = int(telemetry)

    def _ignore(self, what: str) -> None:
        self.ignored += 1
        self._problem_log(
            logging.WARNING,
            "ignored",
            f"viewer of {self.url.display}: ignored {what} ({self.ignored} so far)",
        )
