"""How to reach a broker: address, user, password, TLS; and what a failure means.

Both the publisher and the viewer make their `aiomqtt.Client` here: MQTT 5
(user properties), TCP_NODELAY on the socket (without it a QoS 1 publish
after a QoS 0 one waits for the broker's delayed ACK, ~40 ms), and a new
client for every attempt (an aiomqtt client entered again after a lost
connection reports itself connected before the broker answered).
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import ssl
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import aiomqtt
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from paho.mqtt.reasoncodes import ReasonCode

from .url import PASSWORD_ENV, BrokerUrl, BrokerUrlError, parse_broker_url

__all__ = ["BrokerLogin", "TlsOptions", "explain", "mqtt_logger", "random_identifier"]

#: CONNACK reason codes of a refused login: MQTT 5 (0x86, 0x87) and 3.1.1 (4, 5).
_BAD_LOGIN = {134, 4}
_NOT_AUTHORISED = {135, 5}


@dataclass(frozen=True)
class TlsOptions:
    """TLS settings for ``mqtts://`` (the system's CA certificates by default).

    Attributes
    ----------
    ca_file : `str` or None
        CA certificate(s) (PEM) to trust instead of the system's.
    cert_file, key_file : `str` or None
        A client certificate and its key, for brokers that require one.
    insecure : `bool`
        Accept any certificate and host name (test brokers only).
    """

    ca_file: str | None = None
    cert_file: str | None = None
    key_file: str | None = None
    insecure: bool = False

    def context(self) -> ssl.SSLContext:
        """An SSL context with these settings (reads the files)."""
        context = ssl.create_default_context(cafile=self.ca_file)
        if self.cert_file:
            context.load_cert_chain(self.cert_file, self.key_file)
        if self.insecure:
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
        return context


@dataclass(frozen=True)
class BrokerLogin:
    """A broker address with the credentials and TLS settings to use it.

    Attributes
    ----------
    url : `BrokerUrl`
        Where the broker is and the topic prefix.
    username : `str` or None
        User name (default: the one in the address, if any).
    password : `str` or None
        Password; never shown by ``repr`` or in any message.
    tls : `TlsOptions` or None
        TLS settings for ``mqtts://`` (default: the system's CAs).
    """

    url: BrokerUrl
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    tls: TlsOptions | None = None

    @classmethod
    def make(
        cls,
        url: BrokerUrl | str,
        username: str | None = None,
        password: str | None = None,
        tls: TlsOptions | None = None,
    ) -> BrokerLogin:
        """A login from an address (parsed if a string) and options.

        Raises
        ------
        BrokerUrlError
            If ``url`` is a string that is not a broker address, or TLS
            options come with an ``mqtt://`` address.
        """
        parsed = parse_broker_url(url) if isinstance(url, str) else url
        if tls is not None and not parsed.tls:
            raise BrokerUrlError(
                f"TLS options were given for {parsed.display}: use an mqtts:// address for TLS"
            )
        return cls(parsed, username or parsed.username, password, tls)

    def client(
        self,
        identifier: str,
        *,
        will: aiomqtt.Will | None = None,
        timeout: float = 10.0,
        keepalive: int = 30,
        on_message: Callable[[aiomqtt.Message], None] | None = None,
        max_packet: int | None = None,
        logger: logging.Logger | None = None,
    ) -> aiomqtt.Client:
        """A new MQTT 5 client for this broker (call in the event loop; enter it to connect).

        With ``on_message``, each message received is handed to it at once,
        in the socket's read callback, instead of being queued for
        ``client.messages`` (whose iteration then only ends, by raising
        `aiomqtt.MqttError`, when the connection is lost): no queue to bound,
        and no turn of the event loop per message. ``on_message`` must not
        raise.

        With ``max_packet``, the broker is told (MQTT 5 Maximum Packet Size)
        to send no larger packet: it drops a bigger message for this client
        instead of making it read the whole (up to 256 MB) first.
        """
        tls_context = None
        if self.url.tls:
            tls_context = (self.tls or TlsOptions()).context()
        options: dict[str, Any] = {}
        if self.username is not None:
            options.update(username=self.username, password=self.password)
        if max_packet is not None:
            connect = Properties(PacketTypes.CONNECT)  # type: ignore[no-untyped-call]
            connect.MaximumPacketSize = max_packet
            options.update(properties=connect)
        return aiomqtt.Client(
            self.url.host,
            self.url.port,
            identifier=identifier,
            protocol=aiomqtt.ProtocolVersion.V5,
            will=will,
            timeout=timeout,
            keepalive=keepalive,
            tls_context=tls_context,
            queue_type=_handing_queue(on_message) if on_message is not None else None,
            socket_options=[(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)],
            logger=logger,
            **options,
        )


def _handing_queue(
    on_message: Callable[[aiomqtt.Message], None],
) -> type[asyncio.Queue[aiomqtt.Message]]:
    """A queue class for aiomqtt's ``queue_type`` that hands each message on, keeping none."""

    class HandingQueue(asyncio.Queue[aiomqtt.Message]):
        def put_nowait(self, item: aiomqtt.Message) -> None:
            on_message(item)

    return HandingQueue


def explain(error: BaseException, login: BrokerLogin) -> str:
    """A message for the user about ``error`` from the broker of ``login``.

    Says which broker and, for a refused login, what to check; never
    contains the password.
    """
    broker = login.url.broker
    code = getattr(error, "rc", None)
    value = code.value if isinstance(code, ReasonCode) else code
    where = f"the password comes from {PASSWORD_ENV} or --mqtt-password-file"
    if isinstance(error, aiomqtt.MqttError) and value in _BAD_LOGIN:
        who = f"user {login.username!r}" if login.username else "no user name given"
        return f"the broker {broker} refused the login: bad user name or password ({who}; {where})"
    if isinstance(error, aiomqtt.MqttError) and value in _NOT_AUTHORISED:
        if not login.username:
            return (
                f"the broker {broker} refused the login: not authorised (it does not accept "
                "anonymous clients: give --mqtt-user and a password)"
            )
        return (
            f"the broker {broker} refused the login: not authorised (a wrong password for "
            f"user {login.username!r}, or a user the broker does not accept; {where})"
        )
    text = _scrub(str(error) or type(error).__name__, login)
    if text.startswith("Disconnected during message iteration") or text.startswith(
        "the broker connection was lost"
    ):
        cause = error.__cause__
        why = _scrub(str(cause), login) if cause is not None else ""
        return f"lost the connection to the broker {broker}" + (f" ({why})" if why else "")
    if text.startswith("the broker "):
        return text  # ours, complete already
    lowered = text.lower()
    if "connection refused" in lowered and value is None:
        return f"cannot reach the broker {broker}: connection refused (is it running on that port?)"
    if "name or service not known" in lowered or "nodename nor servname" in lowered:
        return f"cannot reach the broker {broker}: unknown host name"
    if "timed out" in lowered:
        hint = "" if login.url.tls else " (a port that speaks TLS only needs mqtts://)"
        return f"no answer from the broker {broker} in time: {text}{hint}"
    if "ssl" in lowered or "certificate" in lowered:
        return f"TLS with the broker {broker} failed: {text}"
    if isinstance(error, aiomqtt.MqttCodeError) and isinstance(code, ReasonCode):
        return f"the broker {broker} refused: {code}"
    if isinstance(error, OSError | aiomqtt.MqttError) and "errno" in lowered:
        return f"cannot reach the broker {broker}: {text}"
    return f"broker {broker}: {text}"


def _scrub(text: str, login: BrokerLogin) -> str:
    """``text`` without the password, should a library ever have put it there."""
    if login.password:
        text = text.replace(login.password, "***")
    return text


def mqtt_logger(parent: logging.Logger) -> logging.Logger:
    """``PARENT.mqtt``, for paho's messages: at WARNING unless set otherwise.

    paho logs every packet at DEBUG (hundreds a second); like aiomqtt's own
    ``mqtt`` logger, this one shows them only when asked for by name.
    """
    logger = parent.getChild("mqtt")
    if logger.level == logging.NOTSET:
        logger.setLevel(logging.WARNING)
    return logger


def random_identifier(kind: str) -> str:
    """A client identifier for this process: ``m2gui-KIND-HOST-PID-RANDOM`` (≤ 64 characters)."""
    host = socket.gethostname().split(".")[0][:20] or "host"
    return f"m2gui-{kind}-{host}-{os.getpid()}-{os.urandom(3).hex()}"
