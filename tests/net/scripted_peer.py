"""Scripted controllers on loopback that reproduce the two implementations' id rules.

``ScriptedController("cpp")`` behaves like the C++ controller (ts_m2cellcpp):
one process-wide high-water mark of sequence ids that survives connections,
every id not above it answered with ``noack`` ("Bad sequence_id ... previous
sequence_id was N") and then ``fail``; unknown commands get noack + fail too.
``ScriptedController("spec")`` follows the specification: an id that is not
the previous one plus 1 gets a ``noack`` carrying the expected id.
"""

from __future__ import annotations

import asyncio
import contextlib
import json


class ScriptedController:
    """Command and telemetry ports on 127.0.0.1, port 0."""

    def __init__(self, behaviour: str, known: frozenset[str] = frozenset({"clearErrors"})) -> None:
        assert behaviour in ("cpp", "spec")
        self.behaviour = behaviour
        self.known = known
        self.high_water = 0
        self.expected: int | None = None
        self.received: list[dict] = []
        self.command_writers: list[asyncio.StreamWriter] = []
        self.telemetry_period = 0.02
        self._servers: list[asyncio.Server] = []
        self._tasks: set[asyncio.Task[None]] = set()

    @property
    def command_port(self) -> int:
        return int(self._servers[0].sockets[0].getsockname()[1])

    @property
    def telemetry_port(self) -> int:
        return int(self._servers[1].sockets[0].getsockname()[1])

    async def __aenter__(self) -> ScriptedController:
        self._servers = [
            await asyncio.start_server(self._command, "127.0.0.1", 0),
            await asyncio.start_server(self._telemetry, "127.0.0.1", 0),
        ]
        return self

    async def __aexit__(self, *exc: object) -> None:
        for task in list(self._tasks):
            task.cancel()
        for server in self._servers:
            server.close()
        for writer in self.command_writers:
            writer.close()
        for server in self._servers:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(server.wait_closed(), 1)

    def _track(self, coro: object) -> None:
        task = asyncio.ensure_future(coro)  # type: ignore[arg-type]
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _telemetry(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                writer.write(b'{"id":"powerStatus","motorVoltage":24.0}\r\n')
                await writer.drain()
                await asyncio.sleep(self.telemetry_period)
        except (OSError, asyncio.CancelledError):
            writer.close()

    async def send(self, line: bytes) -> None:
        """Write a raw line to the newest command connection."""
        writer = self.command_writers[-1]
        writer.write(line)
        await writer.drain()

    async def _command(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.command_writers.append(writer)
        try:
            while line := await reader.readline():
                message = json.loads(line)
                self.received.append(message)
                for reply in self._replies(message):
                    writer.write(json.dumps(reply).encode() + b"\r\n")
                await writer.drain()
        except OSError:
            pass
        finally:
            writer.close()

    def _replies(self, message: dict) -> list[dict]:
        seq = message["sequence_id"]
        name = message["id"]
        if self.behaviour == "cpp":
            if seq <= self.high_water:
                info = f"Bad sequence_id {seq} {name} previous sequence_id was {self.high_water}"
                return [
                    {"id": "noack", "sequence_id": seq, "user_info": info},
                    {"id": "fail", "sequence_id": seq, "user_info": ""},
                ]
            self.high_water = seq
            if name.removeprefix("cmd_") not in self.known:
                info = f"Original command not found {name}"
                return [
                    {"id": "noack", "sequence_id": seq, "user_info": info},
                    {"id": "fail", "sequence_id": seq, "user_info": ""},
                ]
            return [{"id": "ack", "sequence_id": seq}, {"id": "success", "sequence_id": seq}]
        if self.expected is not None and seq != self.expected:
            return [{"id": "noack", "sequence_id": self.expected}]
        self.expected = seq + 1
        if name.removeprefix("cmd_") not in self.known:
            return [{"id": "noack", "sequence_id": seq}]
        return [{"id": "ack", "sequence_id": seq}, {"id": "success", "sequence_id": seq}]
