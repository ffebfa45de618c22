"""Qt-free asyncio transport to the M2 cell controller."""

from .client import Client
from .codec import BadLine, decode_line, encode_line
from .command_record import (
    CommandDisconnected,
    CommandError,
    CommandFailed,
    CommandInvalid,
    CommandRecord,
    CommandRejected,
    CommandTimeout,
    Outcome,
)
from .connection import (
    DEFAULT_COMMAND_PORT,
    DEFAULT_TELEMETRY_PORT,
    ConnectionState,
    ControllerConnection,
    PortStats,
    Received,
)
from .msg_type import PREFIXES, MsgType
from .sequence import MAX_SEQUENCE_ID, sequence_id_generator
from .tcp_client import TcpClient
from .wire import PORTS, WireLine, WireListener

__all__ = [
    "DEFAULT_COMMAND_PORT",
    "DEFAULT_TELEMETRY_PORT",
    "MAX_SEQUENCE_ID",
    "PORTS",
    "PREFIXES",
    "BadLine",
    "Client",
    "CommandDisconnected",
    "CommandError",
    "CommandFailed",
    "CommandInvalid",
    "CommandRecord",
    "CommandRejected",
    "CommandTimeout",
    "ConnectionState",
    "ControllerConnection",
    "MsgType",
    "Outcome",
    "PortStats",
    "Received",
    "TcpClient",
    "WireLine",
    "WireListener",
    "decode_line",
    "encode_line",
    "sequence_id_generator",
]
