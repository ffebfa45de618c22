"""What an engineer typed in the raw console, turned into something to send."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from m2gui.net import PREFIXES

__all__ = ["KINDS", "ConsoleInput", "ConsoleInputError", "command_name", "parse_console_input"]

#: What the console sends.
KINDS = ("command", "event", "telemetry", "raw line")


class ConsoleInputError(ValueError):
    """What was typed cannot be sent; the message says why."""


@dataclass(frozen=True)
class ConsoleInput:
    """A message to send: ``details`` is a dict, or the line itself for a raw line."""

    kind: str
    name: str
    details: dict[str, Any] | str


def command_name(name: str) -> str:
    """A typed message name without its protocol prefix (``cmd_``, ``evt_``, ``tel_``)."""
    name = name.strip()
    for prefix in PREFIXES.values():
        name = name.removeprefix(prefix)
    return name


def parse_console_input(kind: str, name: str, text: str) -> ConsoleInput:
    """Check what was typed: a kind, a name (with or without its prefix), JSON parameters.

    Parameters
    ----------
    kind : `str`
        One of `KINDS`.
    name : `str`
        The message name; a ``cmd_``, ``evt_`` or ``tel_`` prefix is dropped
        (the protocol adds it from the kind).
    text : `str`
        A JSON object of parameters (empty: none), or the line for a raw line.

    Raises
    ------
    ConsoleInputError
        With a sentence saying what is wrong.
    """
    if kind not in KINDS:
        raise ConsoleInputError(f"unknown kind {kind!r}")
    text = text.strip()
    if kind == "raw line":
        if not text:
            raise ConsoleInputError("type the line to send")
        return ConsoleInput(kind, "", text)
    name = command_name(name)
    if not name:
        raise ConsoleInputError(f"give the {kind} name")
    details: Any = {}
    if text:
        try:
            details = json.loads(text)
        except json.JSONDecodeError as error:
            raise ConsoleInputError(
                f"parameters are not valid JSON: {error.msg} at column {error.colno}"
            ) from None
        except (RecursionError, ValueError) as error:
            raise ConsoleInputError(f"parameters cannot be read: {str(error)[:100]}") from None
    if not isinstance(details, dict):
        raise ConsoleInputError(f"parameters must be a JSON object, not {type(details).__name__}")
    if "id" in details:
        raise ConsoleInputError("leave 'id' out: it is added from the name")
    return ConsoleInput(kind, name, details)
