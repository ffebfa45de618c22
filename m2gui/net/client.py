"""Base TCP/IP client with the read and write methods of ``lsst.ts.tcpip.Client``.

The client keeps its own receive buffer in front of the asyncio stream: the
background reader of `TcpClient` takes whole chunks from the socket and splits
them into lines itself (far cheaper than one ``readuntil`` per line), and every
public read method serves from the same buffer first, so a caller that mixes
line reads with ``readexactly`` or ``read_into`` sees the bytes in order.
"""

from __future__ import annotations

import asyncio
import ctypes
import json
import logging
import socket
from collections.abc import Awaitable, Callable, Iterable
from types import TracebackType
from typing import Any

import orjson

__all__ = [
    "DEFAULT_CHUNK_SIZE",
    "DEFAULT_LIMIT",
    "DEFAULT_TERMINATOR",
    "Client",
    "ConnectCallbackType",
]

DEFAULT_TERMINATOR = b"\r\n"
DEFAULT_ENCODING = "utf-8"
#: Longest line (bytes, separator included) the read methods accept. The
#: controller's longest line (axialForce) is about 8 kB.
DEFAULT_LIMIT = 256 * 1024
#: Bytes asked of the socket per read.
DEFAULT_CHUNK_SIZE = 256 * 1024
DEFAULT_CONNECT_TIMEOUT = 5.0
DEFAULT_MONITOR_CONNECTION_INTERVAL = 0.1

ConnectCallbackType = Callable[["Client"], Awaitable[None]]


def _retrieve(task: asyncio.Future[Any]) -> None:
    """Mark a task's exception as retrieved; whoever cares awaits it."""
    if not task.cancelled():
        task.exception()


class Client:
    """A TCP/IP client: one connection, line and binary reads, writes.

    Like ``asyncio.open_connection`` it connects once; make a new instance to
    connect again. Constructed inside a running event loop, it starts
    connecting at once (``start_task``); otherwise on the first `connect`.

    Parameters
    ----------
    host : `str`
        Host name or address.
    port : `int`
        TCP port.
    log : `logging.Logger`
        Logger.
    connect_callback : coroutine function or `None`, optional
        Awaited with this client whenever the connection state changes.
    connect_timeout : `float`, optional
        Seconds allowed for the TCP connection to open.
    monitor_connection_interval : `float`, optional
        Seconds between checks that the peer is still there, for clients that
        do not read continuously; 0 or less turns the check off.
    name : `str`, optional
        Name used in log messages.
    encoding : `str`, optional
        Encoding of `read_str`, `write_str`, `read_json`, `write_json`.
    terminator : `bytes`, optional
        Line terminator of `read_str`, `write_str`, `read_json`, `write_json`.
    limit : `int`, optional
        Longest line accepted by the line read methods, in bytes.
    **kwargs : `dict`
        Passed to ``asyncio.open_connection``.

    Attributes
    ----------
    host, port, name, log, encoding, terminator, limit
        As given.
    start_task : `asyncio.Future`
        Done when connected (or failed to connect).
    done_task : `asyncio.Future`
        Done when the client has closed.
    should_be_connected : `bool`
        True from a successful connection until `close`.
    bytes_received : `int`
        Bytes read from the socket.
    """

    def __init__(
        self,
        host: str,
        port: int,
        log: logging.Logger,
        connect_callback: ConnectCallbackType | None = None,
        connect_timeout: float = DEFAULT_CONNECT_TIMEOUT,
        monitor_connection_interval: float = DEFAULT_MONITOR_CONNECTION_INTERVAL,
        name: str = "",
        encoding: str = DEFAULT_ENCODING,
        terminator: bytes = DEFAULT_TERMINATOR,
        limit: int = DEFAULT_LIMIT,
        **kwargs: Any,
    ) -> None:
        self.host = host
        self.port = int(port)
        self.log = log
        self.name = name
        self.encoding = encoding
        self.terminator = terminator
        self.limit = int(limit)
        self.connect_timeout = connect_timeout
        self.monitor_connection_interval = monitor_connection_interval
        self.should_be_connected = False
        self.bytes_received = 0
        self._connect_callback = connect_callback
        self._connect_kwargs = kwargs
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None
        self._buffer = bytearray()
        self._last_reported_connected = False
        self._started = False
        self._monitor_connection_task: asyncio.Future[None] | None = None
        self._done_task: asyncio.Future[None] | None = None
        self._start_task: asyncio.Future[None] | None = None
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            return
        self._start_now()

    # ------------------------------------------------------------------
    # Lifecycle
    # ------------------------------------------------------------------
    @property
    def start_task(self) -> asyncio.Future[None]:
        """Done when the connection is made; its exception if it failed."""
        if self._start_task is None:
            self._start_now()
        assert self._start_task is not None
        return self._start_task

    @property
    def done_task(self) -> asyncio.Future[None]:
        """Done when the client has closed."""
        if self._done_task is None:
            self._done_task = asyncio.get_running_loop().create_future()
        return self._done_task

    def _start_now(self) -> None:
        task = asyncio.ensure_future(self.start(**self._connect_kwargs))
        task.add_done_callback(_retrieve)
        self._start_task = task

    @property
    def connected(self) -> bool:
        """True if the reader and writer are open.

        After the peer drops the connection this stays True until a read sees
        the end of the stream (the background reader of `TcpClient` notices at
        once).
        """
        return not (
            self._reader is None
            or self._writer is None
            or self._reader.at_eof()
            or self._writer.is_closing()
        )

    @property
    def address(self) -> str:
        """``host:port`` for messages."""
        return f"{self.host}:{self.port}"

    async def start(self, **kwargs: Any) -> None:
        """Connect to the TCP/IP server.

        Called by the constructor (or by `connect` when the client was made
        outside an event loop); not meant to be called by users. Public so that
        subclasses can extend it.

        Parameters
        ----------
        **kwargs : `dict` [`str`, `typing.Any`]
            Additional keyword arguments for ``asyncio.open_connection``.

        Raises
        ------
        RuntimeError
            If start was already called.
        ConnectionError
            If the server cannot be reached; the message names host and port.
        TimeoutError
            If the connection does not open within ``connect_timeout``.
        """
        if self._started:
            raise RuntimeError(f"{self.name}: start already called")
        self._started = True
        self.log.info("%s: connecting to %s", self.name, self.address)
        try:
            reader, writer = await self._open_connection(**kwargs)
        except BaseException:
            # A client that never connected is over: it connects only once.
            if not self.done_task.done():
                self.done_task.set_result(None)
            raise
        if self.done_task.done():  # closed while the connection was opening
            writer.transport.abort()
            raise ConnectionError(f"{self.name}: closed while connecting to {self.address}")
        _set_keepalive(writer)
        self._reader = reader
        self._writer = writer
        self.should_be_connected = True
        self.log.info("%s: connected to %s", self.name, self.address)
        if self.monitor_connection_interval > 0:
            self._monitor_connection_task = asyncio.ensure_future(self._monitor_connection())
        await self.call_connect_callback()

    async def _open_connection(
        self, **kwargs: Any
    ) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        try:
            return await asyncio.wait_for(
                asyncio.open_connection(self.host, self.port, limit=self.limit, **kwargs),
                timeout=self.connect_timeout,
            )
        except TimeoutError:
            raise TimeoutError(
                f"{self.name}: no connection to {self.address} within {self.connect_timeout:g} s"
            ) from None
        except OSError as error:
            text = error.strerror or str(error)
            message = f"{self.name}: cannot connect to {self.address}: {text}"
            if isinstance(error, ConnectionError) and error.errno is not None:
                raise type(error)(error.errno, message) from None
            raise ConnectionError(message) from None

    async def connect(self, timeout: float = 10.0) -> None:
        """Connect to the server; return at once if already connected.

        Parameters
        ----------
        timeout : `float`, optional
            Seconds to wait for the connection. (default is 10.0)

        Raises
        ------
        ConnectionError
            If the server cannot be reached; the message names host and port.
        TimeoutError
            If the connection does not open in time.
        """
        if self.connected:
            return
        try:
            await asyncio.wait_for(self.start_task, timeout=timeout)
        except TimeoutError:
            raise TimeoutError(
                f"{self.name}: no connection to {self.address} within {timeout:g} s"
            ) from None

    async def _monitor_connection(self) -> None:
        while self.connected:
            await asyncio.sleep(self.monitor_connection_interval)
        await self.basic_close()

    async def call_connect_callback(self) -> None:
        """Await the connect callback if the state changed since last time.

        Always safe to call; an exception raised by the callback is logged.
        """
        connected = self.connected
        if connected == self._last_reported_connected:
            return
        self._last_reported_connected = connected
        if self._connect_callback is None:
            return
        try:
            await self._connect_callback(self)
        except Exception:
            self.log.exception("%s: connect callback failed", self.name)

    async def basic_close(self) -> None:
        """Close the connected client socket, if any, and set done_task done.

        Like `close` except does not clear ``should_be_connected``, nor cancel
        the connection monitor.
        """
        writer, self._writer = self._writer, None
        try:
            if writer is not None:
                self.log.info("%s: closing connection to %s", self.name, self.address)
                writer.close()
                try:
                    await asyncio.wait_for(writer.wait_closed(), timeout=1.0)
                except (OSError, TimeoutError) as error:
                    # A peer that stopped reading leaves data unsent: drop it,
                    # which also wakes a writer blocked in drain().
                    self.log.debug("%s: error while closing: %r", self.name, error)
                    writer.transport.abort()
        finally:
            if not self.done_task.done():
                self.done_task.set_result(None)
            await self.call_connect_callback()

    async def close(self) -> None:
        """Cancel the background tasks and close the connection.

        Safe to call at any time, more than once, with or without a connection.
        """
        self.should_be_connected = False
        if self._start_task is not None and not self._start_task.done():
            self._start_task.cancel()
        task = self._monitor_connection_task
        if task is not None and task is not asyncio.current_task():
            task.cancel()
        await self.basic_close()

    async def __aenter__(self) -> Client:
        await self.connect()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    # ------------------------------------------------------------------
    # Reading
    # ------------------------------------------------------------------
    def _reader_or_raise(self) -> asyncio.StreamReader:
        if self._reader is None or (not self.connected and not self._buffer):
            raise ConnectionError(f"{self.name}: not connected to {self.address}")
        return self._reader

    async def _fill(self, reader: asyncio.StreamReader) -> bool:
        """Append one chunk from the socket to the buffer; False at EOF."""
        chunk = await reader.read(DEFAULT_CHUNK_SIZE)
        if not chunk:
            return False
        self.bytes_received += len(chunk)
        self._buffer += chunk
        return True

    async def read(self, n: int) -> bytes:
        """Read up to n bytes.

        Parameters
        ----------
        n : `int`
            The number of bytes to read. If -1 then block until the other end
            closes its writer, then return all data seen.

        Raises
        ------
        ConnectionError
            If the connection is lost before, or while, reading.
        """
        reader = self._reader_or_raise()
        buf = self._buffer
        if n < 0:
            rest = await reader.read(-1)
            self.bytes_received += len(rest)
            data = bytes(buf) + rest
            buf.clear()
            return data
        if not buf and n > 0:
            data = await reader.read(n)
            self.bytes_received += len(data)
            return data
        data = bytes(buf[:n])
        del buf[:n]
        return data

    async def readexactly(self, n: int) -> bytes:
        """Read exactly n bytes.

        Parameters
        ----------
        n : `int`
            The number of bytes to read.

        Raises
        ------
        ConnectionError
            If the connection is lost before, or while, reading.
        asyncio.IncompleteReadError
            If EOF is reached before ``n`` bytes can be read. Use the
            ``IncompleteReadError.partial`` attribute to get the partially read
            data.
        """
        reader = self._reader_or_raise()
        buf = self._buffer
        while len(buf) < n:
            if not await self._fill(reader):
                partial = bytes(buf)
                buf.clear()
                raise asyncio.IncompleteReadError(partial, n)
        data = bytes(buf[:n])
        del buf[:n]
        return data

    async def readuntil(self, separator: bytes = b"\n") -> bytes:
        """Read one line, where "line" is a sequence of bytes ending with ``separator``.

        The data and separator are removed from the buffer; the returned data
        includes the separator. See `read_str`, more convenient in most cases.

        Parameters
        ----------
        separator : `bytes`
            The separator. The default matches the standard library rather than
            ``terminator``.

        Raises
        ------
        ConnectionError
            If the connection is lost before, or while, reading.
        asyncio.IncompleteReadError
            If EOF is reached before the separator is found; the buffer is reset.
        asyncio.LimitOverrunError
            If more than ``limit`` bytes come before the separator. The data is
            left in the buffer and can be read again.
        """
        if not separator:
            raise ValueError("separator must not be empty")
        reader = self._reader_or_raise()
        buf = self._buffer
        seplen = len(separator)
        start = 0
        while True:
            index = buf.find(separator, start)
            if index >= 0:
                end = index + seplen
                if end > self.limit:
                    raise asyncio.LimitOverrunError(
                        f"{self.name}: separator found after {index} bytes, "
                        f"more than the limit of {self.limit}",
                        index,
                    )
                data = bytes(buf[:end])
                del buf[:end]
                return data
            if len(buf) > self.limit:
                raise asyncio.LimitOverrunError(
                    f"{self.name}: no separator within the limit of {self.limit} bytes",
                    len(buf),
                )
            start = max(0, len(buf) - seplen + 1)
            if not await self._fill(reader):
                partial = bytes(buf)
                buf.clear()
                raise asyncio.IncompleteReadError(partial, None)

    async def readline(self) -> bytes:
        """Read a sequence of bytes ending with ``\\n``.

        If EOF is received and ``\\n`` was not found, return the partial data.

        Raises
        ------
        ConnectionError
            If the connection is lost before, or while, reading.
        ValueError
            If the line is longer than ``limit``; the line is discarded.
        """
        try:
            return await self.readuntil(b"\n")
        except asyncio.IncompleteReadError as error:
            return error.partial
        except asyncio.LimitOverrunError as error:
            buf = self._buffer
            index = buf.find(b"\n", error.consumed)
            del buf[: index + 1 if index >= 0 else len(buf)]
            raise ValueError(error.args[0]) from None

    async def read_str(self) -> str:
        """Read and decode a terminated str; strip the terminator.

        Returns
        -------
        line : `str`
            The line, decoded with ``encoding`` (strict), terminator stripped.

        Raises
        ------
        ConnectionError
            If the connection is lost before, or while, reading.
        asyncio.IncompleteReadError
            If EOF is reached before the terminator is found; the buffer is reset.
        asyncio.LimitOverrunError
            If the line is longer than ``limit``; the data stays in the buffer.
        UnicodeError
            If decoding fails.
        """
        data = await self.readuntil(self.terminator)
        return data[: -len(self.terminator)].decode(self.encoding, "strict")

    async def read_json(self) -> Any:
        """Read a line with `read_str` and return its JSON-decoded value.

        Raises
        ------
        ConnectionError
            If the connection is lost before, or while, reading.
        asyncio.IncompleteReadError
            If EOF is reached before the terminator is found.
        asyncio.LimitOverrunError
            If the line is longer than ``limit``.
        UnicodeError
            If decoding fails.
        json.JSONDecodeError
            If the line is not JSON.
        """
        text = await self.read_str()
        try:
            return orjson.loads(text)
        except orjson.JSONDecodeError:
            pass
        try:
            return json.loads(text)  # NaN, Infinity, numbers beyond a double
        except json.JSONDecodeError:
            raise
        except (RecursionError, ValueError) as error:  # too deep; an int of 4300+ digits
            raise json.JSONDecodeError(f"unusable JSON: {str(error)[:100]}", text, 0) from None

    async def read_into(self, struct: ctypes.Structure) -> None:
        """Read binary data into a ``ctypes.Structure``.

        Parameters
        ----------
        struct : `ctypes.Structure`
            Structure to fill; ``ctypes.sizeof(struct)`` bytes are read.

        Raises
        ------
        ConnectionError
            If the connection is lost before, or while, reading.
        asyncio.IncompleteReadError
            If EOF is reached before the structure is filled.
        """
        size = ctypes.sizeof(struct)
        data = await self.readexactly(size)
        ctypes.memmove(ctypes.addressof(struct), data, size)

    # ------------------------------------------------------------------
    # Writing
    # ------------------------------------------------------------------
    def _writer_or_raise(self) -> asyncio.StreamWriter:
        if not self.connected:
            raise ConnectionError(f"{self.name}: not connected to {self.address}")
        assert self._writer is not None
        return self._writer

    async def write(self, data: bytes) -> None:
        """Write data and call ``drain``.

        Raises
        ------
        ConnectionError
            If not connected before writing begins, or the connection is lost.
        """
        writer = self._writer_or_raise()
        writer.write(data)
        await writer.drain()

    async def writelines(self, lines: Iterable[bytes]) -> None:
        """Write an iterable of bytes and call ``drain``.

        Raises
        ------
        ConnectionError
            If not connected before writing begins, or the connection is lost.
        """
        writer = self._writer_or_raise()
        writer.writelines(lines)
        await writer.drain()

    async def write_str(self, line: str) -> None:
        """Encode a str with ``encoding`` (strict), append ``terminator``, write it.

        Raises
        ------
        ConnectionError
            If not connected, or the connection is lost while writing.
        UnicodeError
            If encoding fails.
        """
        await self.write(line.encode(self.encoding, "strict") + self.terminator)

    async def write_json(self, data: Any) -> None:
        """Encode data as JSON and write it with `write_str`.

        Raises
        ------
        ConnectionError
            If not connected, or the connection is lost while writing.
        UnicodeError
            If encoding fails.
        TypeError
            If the data cannot be encoded as JSON.
        """
        await self.write_str(json.dumps(data))

    async def write_from(self, *structs: ctypes.Structure) -> None:
        """Write binary data from one or more ``ctypes.Structure``.

        Raises
        ------
        ConnectionError
            If not connected before writing begins.
        """
        await self.write(b"".join(bytes(s) for s in structs))


def _set_keepalive(writer: asyncio.StreamWriter) -> None:
    """Turn on TCP keepalive as the controller's own clients do (60 s/15 s/4)."""
    sock = writer.get_extra_info("socket")
    if sock is None:
        return
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
        if hasattr(socket, "TCP_KEEPIDLE"):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPIDLE, 60)
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPINTVL, 15)
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPCNT, 4)
    except OSError:
        pass
