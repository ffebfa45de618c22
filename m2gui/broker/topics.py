"""The topic layout, and the user property that carries a `WireLine` through a broker.

Under a prefix ``P`` (``mqtt://broker/P``):

==========================  ===========  ========  ===================================
topic                       QoS          retained  what
==========================  ===========  ========  ===================================
``P/telemetry/NAME``        0            no        telemetry lines (either port)
``P/event/NAME``            1            yes       event lines (command port)
``P/reply``                 1            no        ack, noack, success, fail
``P/command``               1            no        lines m2gui sent (command history)
``P/bad``                   0            no        lines whose id could not be read
``P/status``                1            yes       the publisher's status (JSON)
==========================  ===========  ========  ===================================

The payload is the controller's line byte for byte (without the LF). One
MQTT 5 user property travels beside it: ``wire`` = ``"TIME PORT DIRECTION"``,
e.g. ``"1712345678.123456 telemetry in"``: the ``time.time()`` when the line
was received or sent (``repr(float)``: it round-trips exactly), the port
(``command`` or ``telemetry``) and the direction (``in`` or ``out``). One
property, not three: paho decodes each in ~15 µs, a viewer's main cost.

Order: the lines of one topic, and the QoS 1 lines among themselves (events,
replies, commands sent), arrive in the order the publisher got them; a QoS 0
line (telemetry) may overtake a QoS 1 one. Each keeps its own time.
"""

from __future__ import annotations

import re
import time
from typing import Any

import orjson
from paho.mqtt.properties import Properties

from m2gui.net import PORTS, WireLine

__all__ = [
    "BAD",
    "COMMAND",
    "EVENT",
    "REPLY",
    "STATUS",
    "TELEMETRY",
    "read_id",
    "wire_from_message",
    "wire_properties",
]

TELEMETRY = "telemetry"
EVENT = "event"
REPLY = "reply"
COMMAND = "command"
BAD = "bad"
STATUS = "status"

#: What a message id must look like to name a topic level.
_NAME = re.compile(rb"[A-Za-z0-9_.~-]{1,100}")
#: ``"id"`` then a colon and the opening quote of its value.
_ID_VALUE = re.compile(rb'"id"\s*:\s*"([A-Za-z0-9_.~-]{1,100})"')
_DIRECTIONS = ("in", "out")
#: User property id in an MQTT 5 properties block (MQTT 5.0, 2.2.2.2).
_USER_PROPERTY = b"\x26"


def read_id(line: bytes, *, exact: bool) -> str | None:
    """The ``id`` of a controller line, if it can name a topic level; else None.

    With ``exact`` False (telemetry: many lines, never retained) the first
    ``"id": "NAME"`` in the bytes is taken, without decoding; otherwise (and
    when that search finds nothing) the line is decoded and the top-level
    ``id`` of a JSON object is taken. None for a line that is not a JSON
    object, has no string id, or an id with characters a topic level must not
    hold (``/``, ``+``, ``#``, spaces…).
    """
    if not exact:
        start = line.find(b'"id"')
        if start >= 0:
            match = _ID_VALUE.match(line, start)
            if match is not None:
                return match.group(1).decode("ascii")
    try:
        message: Any = orjson.loads(line)
    except orjson.JSONDecodeError:
        return None
    if not isinstance(message, dict):
        return None
    name = message.get("id")
    if not isinstance(name, str) or not _NAME.fullmatch(name.encode("utf-8", "replace")):
        return None
    return name


def _utf8(text: bytes) -> bytes:
    return len(text).to_bytes(2, "big") + text


def _varint(value: int) -> bytes:
    out = bytearray()
    while True:
        byte, value = value % 128, value // 128
        out.append(byte | (0x80 if value else 0))
        if not value:
            return bytes(out)


#: The user property's key, encoded once.
_KEY = _USER_PROPERTY + _utf8(b"wire")
#: The end of the property's value for each port and direction.
_SUFFIXES = {(p, d): f" {p} {d}" for p in PORTS for d in _DIRECTIONS}


class _PackedProperties(Properties):
    """PUBLISH properties already encoded: paho only calls `pack` (and `str` to log).

    Building paho's `Properties` and packing it costs ~20 µs a message, a
    third of a publish; one user property is simple to encode here.
    """

    _packed: bytes
    _text: str

    def __init__(self, packed: bytes, text: str) -> None:
        object.__setattr__(self, "_packed", packed)
        object.__setattr__(self, "_text", text)

    def pack(self) -> bytes:
        return self._packed

    def __str__(self) -> str:
        return self._text

    __repr__ = __str__


def wire_properties(line: WireLine) -> Properties:
    """The ``wire`` user property of ``line`` (time, port, direction), ready for paho."""
    value = repr(line.time) + _SUFFIXES[(line.port, line.direction)]
    body = _KEY + _utf8(value.encode())
    return _PackedProperties(_varint(len(body)) + body, f"[UserProperty: wire={value}]")


def _classify(level: str) -> tuple[str, str] | None:
    """The port and direction implied by a topic's kind, when a message has no properties."""
    if level == TELEMETRY:
        return "telemetry", "in"
    if level in (EVENT, REPLY):
        return "command", "in"
    if level == COMMAND:
        return "command", "out"
    return None


def wire_from_message(
    kind: str, payload: bytes, properties: Properties | None, now: float | None = None
) -> WireLine | None:
    """The `WireLine` a message of topic kind ``kind`` carries, or None if it carries none.

    Time, port and direction come from the ``wire`` user property; a message
    without it (a foreign publisher, a broker bridge that dropped them)
    gets its port and direction from ``kind`` and ``now`` (default: the
    current time) as its time. A time that is not a finite number is
    replaced by ``now`` too.
    """
    port = direction = stamp_text = None
    pairs = getattr(properties, "UserProperty", None) if properties is not None else None
    if isinstance(pairs, list):
        for pair in pairs[:16]:
            if isinstance(pair, tuple) and len(pair) == 2 and pair[0] == "wire":
                fields = str(pair[1]).split(" ")
                if len(fields) == 3:
                    stamp_text, port, direction = fields
                break
    if port is None:
        implied = _classify(kind)
        if implied is None:
            return None
        port, direction = implied
    if port not in PORTS or direction not in _DIRECTIONS:
        return None
    stamp = _time(stamp_text)
    if stamp is None:
        stamp = time.time() if now is None else now
    assert direction is not None
    return WireLine(stamp, port, direction, bytes(payload))


def _time(text: str | None) -> float | None:
    if text is None or len(text) > 40:
        return None
    try:
        value = float(text)
    except ValueError:
        return None
    return value if value == value and abs(value) != float("inf") else None
