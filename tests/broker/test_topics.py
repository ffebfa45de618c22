"""Reading ids for topics, and the user property that carries time, port and direction."""

# mypy: disable-error-code="no-untyped-call,attr-defined"
from __future__ import annotations

import pytest
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from m2gui.broker import topics
from m2gui.net import WireLine


@pytest.mark.parametrize(
    ("line", "exact", "expected"),
    [
        (b'{"id":"forceActuatorData","x":[1,2]}\r', False, "forceActuatorData"),
        (b'{"x": 1, "id": "powerStatus"}', False, "powerStatus"),
        (b'{"actuators":[6,16],"id":"hardpointList"}', True, "hardpointList"),
        (b'{"inner": {"id": "nested"}, "id": "outer"}', True, "outer"),
        (b'{"id": 5}', False, None),
        (b'{"id": "a/b"}', False, None),
        (b'{"id": "#"}', True, None),
        (b'{"id": "a b"}', True, None),
        (b"[1, 2]", True, None),
        (b"{not json", False, None),
        (b"\xff\xfe", True, None),
        (b"", False, None),
    ],
)
def test_read_id(line: bytes, exact: bool, expected: str | None) -> None:
    assert topics.read_id(line, exact=exact) == expected


def _through_paho(properties: Properties) -> Properties:
    """The properties as a receiving client decodes them."""
    decoded = Properties(PacketTypes.PUBLISH)
    decoded.unpack(properties.pack())
    return decoded


@pytest.mark.parametrize("port", ["command", "telemetry"])
@pytest.mark.parametrize("direction", ["in", "out"])
def test_time_port_and_direction_round_trip_exactly(port: str, direction: str) -> None:
    line = WireLine(1712345678.123456789, port, direction, b'{"id":"x"}\r')
    properties = _through_paho(topics.wire_properties(line))
    assert properties.UserProperty == [("wire", f"{line.time!r} {port} {direction}")]
    assert topics.wire_from_message("whatever", line.line, properties) == line
    assert "wire=" in str(topics.wire_properties(line))


def test_messages_without_the_property_get_their_port_from_the_topic() -> None:
    assert topics.wire_from_message("telemetry", b"x", None, now=5.0) == WireLine(
        5.0, "telemetry", "in", b"x"
    )
    assert topics.wire_from_message("command", b"x", None, now=5.0) == WireLine(
        5.0, "command", "out", b"x"
    )
    assert topics.wire_from_message("bad", b"x", None) is None


@pytest.mark.parametrize(
    "value", ["nan telemetry in", "1.0 serial in", "1.0 telemetry sideways", "garbage", ""]
)
def test_a_bad_property_never_feeds_a_bad_line(value: str) -> None:
    properties = Properties(PacketTypes.PUBLISH)
    properties.UserProperty = [("wire", value)]
    got = topics.wire_from_message("event", b"x", properties, now=9.0)
    # Either refused or fixed from the topic and the arrival time: never NaN, never "serial".
    assert got is None or (got.port, got.direction) in {
        ("command", "in"),
        ("telemetry", "in"),
    }
    if got is not None:
        assert got.time == 9.0 or got.time == 1.0
