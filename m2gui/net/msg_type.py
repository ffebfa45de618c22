"""Message types a client writes to the controller."""

from __future__ import annotations

import enum

__all__ = ["PREFIXES", "MsgType"]


class MsgType(enum.IntEnum):
    """Kind of message written by `TcpClient.write_message`.

    The value decides the header: ``cmd_<name>`` plus a ``sequence_id`` for a
    command, ``evt_<name>`` for an event and ``tel_<name>`` for telemetry.
    """

    Command = 1
    Event = 2
    Telemetry = 3


#: The ``id`` prefix of each message type written by a client.
PREFIXES = {MsgType.Command: "cmd_", MsgType.Event: "evt_", MsgType.Telemetry: "tel_"}
