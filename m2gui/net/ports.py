"""Port numbers typed on a command line (`m2gui-cli`, `m2gui-sim`)."""

from __future__ import annotations

import argparse
from collections.abc import Callable

__all__ = ["port_argument"]


def port_argument(lowest: int) -> Callable[[str], int]:
    """An argparse type: a TCP port from ``lowest`` (0: a server picks a free port) to 65535."""

    def port_number(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a port number: {text!r}") from None
        if not lowest <= value <= 65535:
            raise argparse.ArgumentTypeError(f"a port is {lowest}-65535, not {text!r}")
        return value

    return port_number
