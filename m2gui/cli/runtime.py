"""Running a subcommand: the event loop, Ctrl+C, the simulator, the connection.

`run_async` runs a subcommand's coroutine on a fresh event loop with SIGINT
and SIGTERM handled on the loop: the first one calls the subcommand's
``on_interrupt`` (a procedure cancels itself and runs its clean-up; by
default the coroutine is cancelled), a second one cancels the coroutine; the
exit code is then 128 + the signal's number (130 for Ctrl+C).

`controller` opens a `Session` to the controller (or to the embedded
simulator with ``--simulate``), waits for the first connection and the
welcome burst of events, and closes everything on the way out.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import signal
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

from m2gui.model.session import Session
from m2gui.net import ConnectionState, Received
from m2gui.sim import ControllerSimulator

from .exit_codes import ExitCode

__all__ = [
    "HISTORY_SECONDS",
    "WELCOME_WAIT",
    "CliError",
    "Interrupts",
    "controller",
    "run_async",
    "wait_for_telemetry",
]

log = logging.getLogger(__name__)

#: Seconds of telemetry the session keeps (the tool shows the latest only).
HISTORY_SECONDS = 2.0
#: Longest wait for the controller's welcome burst of events after connecting
#: (``--timeout`` when shorter).
WELCOME_WAIT = 1.0
#: Signals handled on the loop.
SIGNALS = (signal.SIGINT, signal.SIGTERM)


class CliError(Exception):
    """A subcommand ends with ``code``; the message goes to stderr."""

    def __init__(self, code: ExitCode, message: str) -> None:
        super().__init__(message)
        self.code = code


class Interrupts:
    """Ctrl+C and SIGTERM while a subcommand runs.

    Attributes
    ----------
    signal : `int` or None
        The first signal received, if any.
    on_interrupt : callable or None
        Called on the first signal instead of cancelling the subcommand.
    """

    def __init__(self, task: asyncio.Task[Any]) -> None:
        self.task = task
        self.signal: int | None = None
        self.on_interrupt: Callable[[], None] | None = None
        self._installed: list[int] = []

    @property
    def exit_code(self) -> int:
        """128 + the signal's number (130 for SIGINT)."""
        return 128 + int(self.signal or signal.SIGINT)

    def install(self) -> None:
        """Handle SIGINT and SIGTERM on the running loop (main thread only)."""
        loop = asyncio.get_running_loop()
        for sig in SIGNALS:
            try:
                loop.add_signal_handler(sig, self._handle, int(sig))
            except (NotImplementedError, RuntimeError, ValueError):  # not the main thread
                continue
            self._installed.append(int(sig))

    def remove(self) -> None:
        """Give SIGINT and SIGTERM back to their previous handlers."""
        loop = asyncio.get_running_loop()
        for sig in self._installed:
            loop.remove_signal_handler(sig)
        self._installed.clear()

    def _handle(self, signum: int) -> None:
        first = self.signal is None
        if first:
            self.signal = signum
        if first and self.on_interrupt is not None:
            self.on_interrupt()
        else:
            self.task.cancel()


def run_async(main: Callable[[Interrupts], Awaitable[int]]) -> int:
    """Run ``main(interrupts)`` on a new event loop; return its exit code.

    After a signal the code is 128 + its number, whatever ``main`` returned.
    """

    async def wrapper() -> int:
        task = asyncio.current_task()
        assert task is not None
        interrupts = Interrupts(task)
        interrupts.install()
        try:
            code = await main(interrupts)
        except asyncio.CancelledError:
            if interrupts.signal is None:
                raise
            return interrupts.exit_code
        finally:
            interrupts.remove()
        return interrupts.exit_code if interrupts.signal is not None else code

    return asyncio.run(wrapper())


class _LinkWarnings(logging.Filter):
    """Drops the connection's warnings about its link: the tool reports those itself."""

    def __init__(self, address: str) -> None:
        super().__init__()
        self.prefix = f"controller {address}: "

    def filter(self, record: logging.LogRecord) -> bool:
        return not (
            record.levelno == logging.WARNING and record.getMessage().startswith(self.prefix)
        )


def _address(args: argparse.Namespace) -> tuple[str, int, int]:
    return str(args.host), int(args.command_port), int(args.telemetry_port)


async def _first_connection(session: Session, timeout: float) -> None:
    """Wait for the first connection; raise `CliError` if the first attempt fails."""
    conn = session.connection
    done: asyncio.Future[bool] = asyncio.get_running_loop().create_future()

    def on_state(state: ConnectionState) -> None:
        if done.done():
            return
        if state is ConnectionState.CONNECTED:
            done.set_result(True)
        elif state in (ConnectionState.DISCONNECTED, ConnectionState.RECONNECTING):
            done.set_result(False)

    conn.add_state_listener(on_state)
    session.connect()
    try:
        ok = await asyncio.wait_for(done, timeout + 1.0)
    except TimeoutError:
        ok = False
        conn.last_error = conn.last_error or f"no connection within {timeout:g} s"
    if not ok:
        why = conn.last_error or "connection failed"
        raise CliError(ExitCode.DISCONNECTED, f"cannot connect to {conn.address}: {why}")


async def _until(session: Session, condition: Callable[[], bool], timeout: float) -> bool:
    """Wait until ``condition()`` holds, re-checked on each message; False on timeout."""
    if condition():
        return True
    ready = asyncio.Event()

    def check(received: Received) -> None:
        if condition():
            ready.set()

    unsubscribe = session.connection.subscribe(check)
    try:
        async with asyncio.timeout(timeout):
            await ready.wait()
        return True
    except TimeoutError:
        return False
    finally:
        unsubscribe()


async def wait_for_telemetry(session: Session, timeout: float) -> bool:
    """Wait (at most ``timeout`` s) for the first telemetry of the connection."""
    return await _until(session, lambda: bool(session.connection.latest_telemetry), timeout)


@contextlib.asynccontextmanager
async def controller(
    args: argparse.Namespace,
    *,
    reconnect: bool = False,
    prepare: Callable[[Session], None] | None = None,
) -> AsyncIterator[Session]:
    """A connected `Session` to the controller of ``args`` (or the embedded simulator).

    Parameters
    ----------
    args : `argparse.Namespace`
        The shared options (``host``, ports, ``timeout``, ``simulate``, ``inject``).
    reconnect : `bool`
        Reconnect after a drop (the first connection must succeed).
    prepare : callable or None
        ``prepare(session)`` before connecting (to subscribe before the
        welcome burst arrives).

    Raises
    ------
    CliError
        ``DISCONNECTED`` if the first connection fails.
    """
    sim: ControllerSimulator | None = None
    try:
        if args.simulate:
            if logging.getLogger().level >= logging.WARNING:
                # what it simulates on purpose (injections, withheld replies) is no news
                logging.getLogger("m2gui.sim").setLevel(logging.ERROR)
            sim = ControllerSimulator(
                command_port=0, telemetry_port=0, all_telemetry=True, injections=args.inject
            )
            await sim.start()
            address = ("127.0.0.1", sim.command_port, sim.telemetry_port)
        else:
            address = _address(args)
        session = Session(*address, reconnect=reconnect, history=HISTORY_SECONDS)
        session.connection.connect_timeout = args.timeout
        quiet = _LinkWarnings(session.connection.address)
        if logging.getLogger().level >= logging.WARNING:
            session.connection.log.addFilter(quiet)
        try:
            if prepare is not None:
                prepare(session)
            await _first_connection(session, args.timeout)
            welcome = set(session.catalogue.welcome)
            if not await _until(
                session,
                lambda: welcome <= session.connection.latest_events.keys(),
                min(WELCOME_WAIT, args.timeout),
            ):
                log.info("the controller's welcome burst is incomplete: going on")
            yield session
        finally:
            await session.close()
            session.connection.log.removeFilter(quiet)
    finally:
        if sim is not None:
            await sim.stop()
