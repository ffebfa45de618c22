"""Where ``m2gui-cli`` writes: results on stdout, messages on stderr, colour on terminals.

A reader that closes the pipe (``| head``) is not an error: the first write
that fails marks the output closed (listeners are told, so the command can
end quietly) and stdout is pointed at the null device, so nothing complains
again when Python flushes it at exit.
"""

from __future__ import annotations

import json
import logging
import os
import sys
from collections.abc import Callable, Mapping
from typing import Any, TextIO

import orjson

__all__ = ["PROG", "STYLES", "Output", "json_text", "setup_logging", "wants_color"]

PROG = "m2gui-cli"
#: ANSI styles by name.
STYLES = {
    "ok": "32",
    "error": "1;31",
    "warning": "33",
    "dim": "2",
    "bold": "1",
    "info": "36",
}


def json_text(data: Any) -> str:
    """``data`` as compact JSON on one line (integers beyond 64 bits too)."""
    try:
        return orjson.dumps(data).decode()
    except TypeError:
        return json.dumps(data, separators=(",", ":"), ensure_ascii=False, default=str)


def wants_color(stream: TextIO, env: Mapping[str, str] | None = None) -> bool:
    """Colour only on a terminal, unless ``NO_COLOR`` is set or ``TERM`` is ``dumb``."""
    env = os.environ if env is None else env
    if env.get("NO_COLOR") or env.get("TERM") == "dumb":
        return False
    try:
        return stream.isatty()
    except (AttributeError, ValueError):  # closed, or not a real stream
        return False


def _quiet_stdout() -> None:
    """Point file descriptor 1 at the null device (the reader has gone)."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError, AttributeError):
        pass


class Output:
    """The results (stdout) and messages (stderr) of one run of the tool.

    Parameters
    ----------
    stdout, stderr : text streams or None
        Default: ``sys.stdout`` and ``sys.stderr``.
    env : mapping or None
        Environment (``NO_COLOR``), default ``os.environ``.
    """

    def __init__(
        self,
        stdout: TextIO | None = None,
        stderr: TextIO | None = None,
        env: Mapping[str, str] | None = None,
    ) -> None:
        # sys.stdout is None when the shell closed it (``>&-``): results go nowhere
        self.stdout: TextIO = stdout or sys.stdout or open(os.devnull, "w")  # noqa: SIM115
        self.stderr = stderr or sys.stderr
        self.color = wants_color(self.stdout, env)
        self.err_color = wants_color(self.stderr, env)
        #: True once the reader of stdout has gone (or stdout failed).
        self.closed = False
        #: Why writing the results failed (disk full, I/O error); None if it did not.
        self.error: str | None = None
        self._on_closed: list[Callable[[], None]] = []

    @property
    def tty(self) -> bool:
        """True when stdout is a terminal."""
        try:
            return self.stdout.isatty()
        except (AttributeError, ValueError):
            return False

    def on_closed(self, callback: Callable[[], None]) -> None:
        """Call ``callback()`` when the reader of stdout goes away."""
        self._on_closed.append(callback)

    def paint(self, text: str, style: str) -> str:
        """``text`` in ``style`` (a key of `STYLES`) when stdout is a terminal."""
        return _paint(text, style) if self.color else text

    def write(self, text: str) -> bool:
        """Write ``text`` to stdout and flush; False if the reader has gone."""
        if self.closed:
            return False
        try:
            self.stdout.write(text)
            self.stdout.flush()
        except BrokenPipeError:
            self._closed()
            return False
        except (OSError, ValueError) as error:  # disk full, I/O error: the results are lost
            self._failed(error)
            return False
        return True

    def line(self, text: str = "") -> bool:
        """Write one line of results; False if the reader has gone."""
        return self.write(text + "\n")

    def _closed(self) -> None:
        self.closed = True
        if self.stdout is sys.stdout:
            _quiet_stdout()
        for callback in self._on_closed:
            callback()

    def _failed(self, error: Exception) -> None:
        self.error = getattr(error, "strerror", None) or str(error) or type(error).__name__
        self._closed()

    def finish(self) -> None:
        """Flush stdout at the end, quietly if the reader has gone."""
        if self.closed:
            return
        try:
            self.stdout.flush()
        except BrokenPipeError:
            self._closed()
        except (OSError, ValueError) as error:
            self._failed(error)

    def message(self, text: str, style: str = "error") -> None:
        """A message for the person at the terminal, on stderr: ``m2gui-cli: text``."""
        head = f"{PROG}:"
        if self.err_color:
            head = _paint(head, style)
        try:
            self.stderr.write(f"{head} {text}\n")
            self.stderr.flush()
        except (OSError, ValueError):
            pass


def _paint(text: str, style: str) -> str:
    code = STYLES.get(style)
    return f"\x1b[{code}m{text}\x1b[0m" if code else text


class _Formatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        record.levelname_lower = record.levelname.lower()
        return super().format(record)


def setup_logging(level: str) -> None:
    """Log at ``level`` and above to stderr, as ``m2gui-cli: warning: ...``.

    Raises
    ------
    ValueError
        If ``level`` is not a logging level name.
    """
    number = logging.getLevelName(level.upper())
    if not isinstance(number, int):
        raise ValueError(f"unknown log level {level!r}: DEBUG, INFO, WARNING or ERROR")
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_Formatter(f"{PROG}: %(levelname_lower)s: %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(number)
