"""Fault injection settings of the simulator, for tests and demos."""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["GARBAGE", "Faults"]

#: Bad lines the simulator can send, by kind (see `ControllerSimulator.send_garbage`).
GARBAGE: dict[str, bytes] = {
    "malformed": b'{"id": "powerStatus", "motorVoltage": 23.0, \r\n',
    "invalid-utf8": b'{"id": "powerStatus", "note": "\xff\xfe\xfd"}\r\n',
    "overlong": b'{"id": "powerStatus", "pad": "' + b"x" * 300_000 + b'"}\r\n',
    "not-object": b"[1, 2, 3]\r\n",
    "unknown-id": b'{"id": "noSuchMessage", "value": 1}\r\n',
    "wrong-type": (
        b'{"id": "powerStatus", "motorVoltage": "high", "motorCurrent": null, '
        b'"commVoltage": [1], "commCurrent": true}\r\n'
    ),
}


@dataclass
class Faults:
    """What the simulator does wrong on purpose.

    Attributes
    ----------
    reply_delay : `float`
        Seconds to wait before answering each command.
    withhold : `set` of `str`
        Commands never answered ("*" for all).
    fail_next : `int`
        The next N valid commands are acked, then fail.
    fail_reason : `str`
        The ``user_info`` of injected failures.
    drop_every : `float`
        Drop every connection every N seconds (0: never).
    garbage_every : `float`
        Send one bad line of each kind on both ports every N seconds (0: never).
    """

    reply_delay: float = 0.0
    withhold: set[str] = field(default_factory=set)
    fail_next: int = 0
    fail_reason: str = "injected failure"
    drop_every: float = 0.0
    garbage_every: float = 0.0

    def withholds(self, command: str) -> bool:
        """True if replies to ``command`` are withheld."""
        return "*" in self.withhold or command in self.withhold
