"""Qt-free asyncio transport to the M2 cell controller."""

from .client import Client
from .codec import BadLine, decode_line, encode_line
from .msg_type import MsgType
from .sequence import MAX_SEQUENCE_ID, sequence_id_generator
from .tcp_client import TcpClient

__all__ = [
    "MAX_SEQUENCE_ID",
    "BadLine",
    "Client",
    "MsgType",
    "TcpClient",
    "decode_line",
    "encode_line",
    "sequence_id_generator",
]
