"""`TcpClient`: the M2 controller's JSON-line client (API of ``lsst.ts.m2com.TcpClient``)."""

from __future__ import annotations

import asyncio
import copy
import json
import logging
import time
from collections.abc import Callable, Coroutine, Iterator
from typing import Any

from .client import DEFAULT_CHUNK_SIZE, Client
from .codec import BadLine, decode_line, preview
from .msg_type import PREFIXES, MsgType
from .ratelog import RateLimitedLog
from .sequence import sequence_id_generator

__all__ = ["TcpClient"]

#: Seconds between two message-rate reports with ``check_message_rate``.
RATE_PERIOD = 2.0


class TcpClient(Client):
    """TCP/IP client of the M2 cell controller.

    After connecting, a background task reads one JSON object per line and
    awaits ``callback_process_message(*args, message=msg)`` for each, in order,
    before it reads the next line (so the callback may itself read the bytes
    that follow with the direct read methods). Lines that are not UTF-8, not
    JSON, not an object or longer than ``limit`` are logged with their content
    (truncated), counted and skipped; an exception raised by the callback is
    logged and counted; reading goes on. End of stream or a lost connection
    closes the client.

    Parameters
    ----------
    host : `str`
        Host address.
    port : `int`
        Port to connect.
    callback_process_message : coroutine function
        Awaited for every received message, with the keyword argument
        ``message`` (a `dict`).
    *args : `typing.Any`
        Positional arguments passed to ``callback_process_message`` first.
    log : `logging.Logger` or None, optional
        A logger. If None, a logger will be instantiated. (the default is None)
    sequence_generator : generator or `None`, optional
        Sequence generator of the command ids (the default yields 1, 2, 3 ...).
    name : `str`, optional
        Name of the tcp-client, used in log messages. (the default is
        "tcp-client")
    check_message_rate : `bool`, optional
        If True, the received message rate is logged at debug level every
        couple of seconds. (the default is False)

    Attributes
    ----------
    log : `logging.Logger`
        A logger.
    timeout : `float`
        Read timeout in second. Kept for compatibility: the background reader
        waits for data without a timeout and notices a closed peer at once.
    last_sequence_id : `int`
        Last sequence ID of command (-1 before the first command).
    messages_received : `int`
        Messages delivered to the callback.
    malformed_lines : `int`
        Lines skipped because they were not JSON, or JSON but not an object.
    invalid_utf8_lines : `int`
        Lines skipped because they were not valid UTF-8.
    overlong_lines : `int`
        Lines skipped because they were longer than ``limit`` bytes.
    truncated_lines : `int`
        Incomplete lines discarded because the peer closed mid-message.
    callback_errors : `int`
        Exceptions raised by the callback.
    """

    def __init__(
        self,
        host: str,
        port: int,
        callback_process_message: Callable[..., Coroutine[Any, Any, Any]],
        *args: Any,
        log: logging.Logger | None = None,
        sequence_generator: Iterator[int] | None = None,
        name: str = "tcp-client",
        check_message_rate: bool = False,
    ) -> None:
        if log is None:
            log = logging.getLogger(__name__)
        else:
            log = log.getChild(type(self).__name__)
        self.timeout = 10.0
        self.last_sequence_id = -1
        self.messages_received = 0
        self.malformed_lines = 0
        self.invalid_utf8_lines = 0
        self.overlong_lines = 0
        self.truncated_lines = 0
        self.callback_errors = 0
        self._callback_process_message = callback_process_message
        self._args_callback_process_message = args
        self._sequence_id_generator = (
            sequence_generator if sequence_generator is not None else sequence_id_generator()
        )
        self._check_message_rate = check_message_rate
        #: Called with ``(direction, line)`` for every line read ("in", bad
        #: ones included, overlong ones not) and written ("out"), exactly as
        #: on the wire without the LF; set by a `ControllerConnection` that
        #: records or publishes its traffic. Not part of the lsst-ts API.
        self.wire_listener: Callable[[str, bytes], None] | None = None
        #: ``time.time()`` when the line being processed was read.
        self.line_time = 0.0
        self._read_task: asyncio.Task[None] | None = None
        self._close_task: asyncio.Future[None] | None = None
        #: Rate limit of the bad-line and callback-error messages; a
        #: ControllerConnection shares its own across every TcpClient it makes.
        self._problem_log = RateLimitedLog(log)
        super().__init__(
            host,
            port,
            log,
            connect_callback=self._connect_state_changed,
            monitor_connection_interval=0.0,
            name=name,
        )

    @property
    def bad_lines(self) -> int:
        """All lines skipped: malformed, invalid UTF-8, overlong or truncated."""
        return (
            self.malformed_lines
            + self.invalid_utf8_lines
            + self.overlong_lines
            + self.truncated_lines
        )

    async def _connect_state_changed(self, client: Client) -> None:
        if self.connected:
            self._start_reader()

    def _start_reader(self) -> None:
        """Start the background reader once per connection.

        It is started even if the peer has already closed (it then sees the
        end of the stream at once and closes the client), so that `done_task`
        completes whenever the connection ends, however early.
        """
        if self._reader is None or self._read_task is not None:
            return
        task = asyncio.create_task(self._read_loop(), name=f"{self.name}-reader")
        task.add_done_callback(self._reader_finished)
        self._read_task = task

    def _reader_finished(self, task: asyncio.Task[None]) -> None:
        # The reader closes the client on every exit but cancellation, which
        # comes from `close` (which closes too) or from a loop shutting down:
        # whatever happened, the connection is over.
        if self._close_task is None and not self.done_task.done():
            writer = self._writer
            if writer is not None:
                writer.close()
            self.done_task.set_result(None)

    async def start(self, **kwargs: Any) -> None:
        """Connect (see `Client.start`, same arguments and errors) and start the reader."""
        await super().start(**kwargs)
        self._start_reader()

    async def close(self) -> None:
        """Cancel the reader task and close the connection.

        Safe to call at any time, more than once, with or without a connection.
        If the caller is cancelled while closing, the cancellation propagates
        and the closing finishes in the background.
        """
        closing = self._close_task
        if closing is None:
            closing = self._close_task = asyncio.ensure_future(self._close_now())
        await asyncio.shield(closing)

    async def _close_now(self) -> None:
        task = self._read_task
        if task is not None and task is not asyncio.current_task() and not task.done():
            task.cancel()
            await asyncio.wait([task])
        await super().close()

    # ------------------------------------------------------------------
    # The background reader
    # ------------------------------------------------------------------
    async def _read_loop(self) -> None:
        """Read until the stream ends or fails, then close the client.

        Any `OSError` (a reset, ``ETIMEDOUT`` from the keepalive when a cable
        is pulled, ``EHOSTUNREACH``) ends the connection exactly as the end of
        the stream does. Cancellation (from `close`) propagates.
        """
        try:
            await self._read_lines()
        except OSError as error:
            self.log.warning(
                "%s: connection to %s lost: %s",
                self.name,
                self.address,
                error.strerror or error or type(error).__name__,
            )
        except Exception:
            self.log.exception("%s: reader of %s failed; closing", self.name, self.address)
        buf = self._buffer
        if buf.strip():
            self.truncated_lines += 1
            self.log.warning(
                "%s: %s closed the connection in the middle of a message; discarded %d bytes: %s",
                self.name,
                self.address,
                len(buf),
                preview(buf),
            )
        buf.clear()
        self.log.info("%s: %s closed the connection", self.name, self.address)
        await self.basic_close()

    async def _read_lines(self) -> None:
        reader = self._reader
        assert reader is not None
        buf = self._buffer
        callback = self._callback_process_message
        args = self._args_callback_process_message
        check_rate = self._check_message_rate
        rate_count = 0
        rate_start = time.monotonic()
        search_from = 0
        skipping_overlong = False
        self.log.debug("%s: reader started", self.name)
        while True:
            index = buf.find(b"\n", search_from)
            if index < 0:
                if len(buf) > self.limit:
                    if not skipping_overlong:
                        self._skip_overlong(buf)
                        skipping_overlong = True
                    buf.clear()
                search_from = len(buf)
                chunk = await reader.read(DEFAULT_CHUNK_SIZE)
                if not chunk:
                    return
                self.bytes_received += len(chunk)
                buf += chunk
                continue
            # JSON allows the CR of CR LF as trailing white space, so the
            # line is split on LF alone and both framings are accepted.
            line = buf[:index]
            del buf[: index + 1]
            search_from = 0
            if skipping_overlong:
                skipping_overlong = False
                continue
            if index > self.limit:
                self._skip_overlong(line)
                continue
            self.line_time = time.time()
            if self.wire_listener is not None:
                self._tell_wire("in", bytes(line))
            try:
                message = decode_line(line)
            except BadLine as error:
                self._skip_bad(line, error)
                continue
            except Exception as error:  # a decoder bug must not end the reader
                self._skip_bad(line, BadLine("json", f"undecodable: {type(error).__name__}"))
                continue
            self.messages_received += 1
            try:
                await callback(*args, message=message)
            except Exception:
                self.callback_errors += 1
                self._problem_log(
                    logging.ERROR,
                    f"{self.name}-callback",
                    f"{self.name}: error processing message {preview(line)}",
                    exc_info=True,
                )
            if check_rate:
                rate_count += 1
                now = time.monotonic()
                if now - rate_start >= RATE_PERIOD:
                    self.log.debug(
                        "%s: received %.1f messages/s",
                        self.name,
                        rate_count / (now - rate_start),
                    )
                    rate_count = 0
                    rate_start = now

    def _tell_wire(self, direction: str, line: bytes) -> None:
        listener = self.wire_listener
        if listener is None:
            return
        try:
            listener(direction, line)
        except Exception:
            self._problem_log(
                logging.ERROR,
                f"{self.name}-wire",
                f"{self.name}: wire listener failed",
                exc_info=True,
            )

    async def write(self, data: bytes) -> None:
        """Write data and call ``drain`` (see `Client.write`); tell the wire listener."""
        if self.wire_listener is not None and self.connected:
            for line in data.split(b"\n"):
                if line:
                    self._tell_wire("out", line)
        await super().write(data)

    def _skip_overlong(self, head: bytearray) -> None:
        self.overlong_lines += 1
        self._problem_log(
            logging.WARNING,
            f"{self.name}-overlong",
            f"{self.name}: skipped a line longer than {self.limit} bytes "
            f"({self.overlong_lines} so far): {preview(head)}",
        )

    def _skip_bad(self, line: bytearray, error: BadLine) -> None:
        if error.kind == "utf8":
            self.invalid_utf8_lines += 1
        else:
            self.malformed_lines += 1
        self._problem_log(
            logging.WARNING,
            f"{self.name}-{error.kind}",
            f"{self.name}: skipped a bad line ({error}; {self.bad_lines} bad so far): "
            f"{preview(line)}",
        )

    # ------------------------------------------------------------------
    # Writing messages
    # ------------------------------------------------------------------
    async def write_message(
        self,
        msg_type: MsgType,
        msg_name: str,
        msg_details: dict[str, Any] | None = None,
        comp_name: str | None = None,
    ) -> None:
        """Write a message to the server, with its header.

        Parameters
        ----------
        msg_type : `MsgType`
            Message type.
        msg_name : `str`
            Message name.
        msg_details : `dict` or None, optional
            Message details. (the default is None)
        comp_name : `str` or None, optional
            Component name added as ``compName`` to an event or telemetry.
            (the default is None)

        Raises
        ------
        RuntimeError
            When there is no TCP/IP connection.
        ValueError
            If 'id' is in the message details already.
        ValueError
            When the message type is not supported.
        TypeError
            If the details cannot be encoded as JSON (no sequence id is used).
        """
        if not self.connected:
            raise RuntimeError(f"{self.name}: not connected to {self.address}")
        details = {} if msg_details is None else copy.copy(msg_details)
        if "id" in details:
            raise ValueError("The 'id' is in the message details already.")
        if msg_type not in PREFIXES:
            raise ValueError(f"The message type: {msg_type} is not supported.")
        message: dict[str, Any] = {"id": PREFIXES[MsgType(msg_type)] + msg_name}
        if msg_type == MsgType.Command:
            # Encode first: a command whose details cannot be written must not
            # use up a sequence id the controller then waits for.
            json.dumps(details)
            self.last_sequence_id = next(self._sequence_id_generator)
            message["sequence_id"] = self.last_sequence_id
        if comp_name is not None and msg_type != MsgType.Command:
            message["compName"] = comp_name
        message.update(details)
        await self.write_json(message)
