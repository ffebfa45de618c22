"""Qt-free fan-out through an MQTT broker: a publisher and read-only viewers.

`Publisher` relays everything a `ControllerConnection` receives and sends to
``mqtt://broker/PREFIX``; `BrokerSource` is the source (``kind == "broker"``)
that feeds a window's stores from there, commands disabled. See
`m2gui.broker.topics` for the topic layout and `m2gui.broker.url` for
addresses and passwords. The MQTT client is aiomqtt (asyncio, on paho-mqtt);
it runs on qasync's loop as on asyncio's.

A Mosquitto configuration (``mosquitto -c m2.conf``)::

    listener 1883
    # Without it a small message waits for the previous one's ACK (Nagle):
    # up to 40 ms more latency.
    set_tcp_nodelay true
    allow_anonymous false
    password_file /etc/mosquitto/m2.passwd    # mosquitto_passwd -c FILE USER
    acl_file /etc/mosquitto/m2.acl

and its ACL: the publisher writes the prefix, viewers only read it (a viewer
publishes nothing, not even a last will)::

    user m2-publisher
    topic readwrite lsst/m2/#

    user m2-viewer
    topic read lsst/m2/#

For TLS add ``certfile``, ``keyfile`` (and ``cafile``) to the listener, on
port 8883, and use ``mqtts://``.
"""

from .login import BrokerLogin, TlsOptions, explain
from .publisher import Publisher, PublisherStats
from .status import PublisherStatus
from .url import PASSWORD_ENV, BrokerUrl, BrokerUrlError, parse_broker_url, read_password
from .viewer import BrokerSource

__all__ = [
    "PASSWORD_ENV",
    "BrokerLogin",
    "BrokerSource",
    "BrokerUrl",
    "BrokerUrlError",
    "Publisher",
    "PublisherStats",
    "PublisherStatus",
    "TlsOptions",
    "explain",
    "parse_broker_url",
    "read_password",
]
