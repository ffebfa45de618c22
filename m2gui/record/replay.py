"""`ReplaySource`: a recording played back through the same dispatch as a live controller."""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections.abc import Iterator

import psygnal

from m2gui.model.catalogue import Catalogue
from m2gui.model.sources import FedSource, fed_connection
from m2gui.net import ConnectionState, WireLine

from .format import PORT_BITS
from .reader import FrameRef, Recording, merge_frames

__all__ = ["FASTEST", "PREROLL", "SPEEDS", "ReplaySource"]

log = logging.getLogger(__name__)

#: The speed that means "as fast as possible".
FASTEST = math.inf
#: Speeds offered by the replay controls.
SPEEDS = (1.0, 10.0, 100.0, FASTEST)
#: Seconds of telemetry fed before the point a seek lands on, so plots and
#: views have recent samples at once (older ones come from the archive).
PREROLL = 10.0
#: Seconds of work between two yields to the event loop at full speed (the
#: GUI shares the thread: it must keep drawing).
SLICE = 0.010


class ReplaySource(FedSource):
    """Plays a `Recording` into the stores at a chosen speed.

    Lines are fed to the connection (`ControllerConnection.feed`) with their
    recorded times, so every store and view behaves as with the controller;
    commands are disabled (the banner says so).

    Parameters
    ----------
    recording : `Recording`
        The recording (kept open; closed by `close`).
    catalogue : `Catalogue`
        Protocol catalogue.
    speed : `float`
        1.0 = recorded speed; `FASTEST` = as fast as possible.

    Signals
    -------
    reset()
        (`Source.reset`) before jumping (a seek, a loop).
    finished()
        The end of the recording was reached (playback paused there).
    """

    kind = "replay"
    finished = psygnal.Signal()

    def __init__(self, recording: Recording, catalogue: Catalogue, *, speed: float = 1.0) -> None:
        meta = recording.metadata
        address = f"{meta.get('host', 'controller')}:{meta.get('command_port', '')}/" + str(
            meta.get("telemetry_port", "")
        )
        name = f"replay of {recording.path.name}"
        super().__init__(
            fed_connection(catalogue, address),
            f"Replay of {recording.path}: commands are disabled",
            name,
        )
        self.recording = recording
        self.speed = speed
        self.playing = False
        self.loop: tuple[float, float] | None = None
        self.position = recording.start if recording.start is not None else 0.0
        self._task: asyncio.Task[None] | None = None
        self._wake = asyncio.Event()
        self._jump_to: float | None = None
        self._closed = False

    # ------------------------------------------------------------------
    @property
    def start_time(self) -> float:
        """The first line's time (0.0 for an empty recording)."""
        return self.recording.start if self.recording.start is not None else 0.0

    @property
    def end_time(self) -> float:
        """The last line's time."""
        return self.recording.end if self.recording.end is not None else self.start_time

    def describe(self) -> str:
        """``replay of NAME at 10x``."""
        speed = "full speed" if self.speed == FASTEST else f"{self.speed:g}x"
        return f"{self.name} at {speed}"

    def start(self) -> None:
        """Start playing from the beginning (or where a seek put it)."""
        if self._task is None or self._task.done():
            self._closed = False
            self.set_state(ConnectionState.CONNECTED, self.describe())
            self._task = asyncio.create_task(self._run(), name="m2-replay")
        self.play()

    def play(self) -> None:
        """Resume playback."""
        if self.position >= self.end_time and self.loop is None:
            self.seek(self.start_time)
        self.playing = True
        self._poke()

    def pause(self) -> None:
        """Pause where it is."""
        self.playing = False
        self._poke()

    def set_speed(self, speed: float) -> None:
        """Play at ``speed`` times the recorded speed (`FASTEST`: as fast as possible)."""
        if not speed > 0:
            raise ValueError(f"speed must be greater than zero, not {speed}")
        self.speed = speed
        self._poke()

    def seek(self, t: float) -> None:
        """Jump to recording time ``t`` (clamped to the recording)."""
        self._jump_to = min(max(t, self.start_time), self.end_time)
        self.position = self._jump_to
        self._poke()

    def set_loop(self, t0: float | None, t1: float | None = None) -> None:
        """Loop over ``[t0, t1]`` (None: no loop)."""
        if t0 is None or t1 is None:
            self.loop = None
        else:
            lo, hi = sorted((t0, t1))
            self.loop = (max(lo, self.start_time), min(hi, self.end_time))
            if not self.loop[0] <= self.position <= self.loop[1]:
                self.seek(self.loop[0])
        self._poke()

    async def close(self) -> None:
        """Stop playing and close the recording."""
        self._closed = True
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            try:
                await task
            except asyncio.CancelledError:
                if not task.cancelled():
                    raise
        self.recording.close()
        self.set_state(ConnectionState.DISCONNECTED, "replay closed")

    def _poke(self) -> None:
        self._wake.set()
        self.changed.emit()

    # ------------------------------------------------------------------
    async def _run(self) -> None:
        try:
            await self._play_from(self.position, catch_up=True)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("replay of %s stopped", self.recording.path)
            self.set_state(ConnectionState.DISCONNECTED, "replay failed: see the log")

    async def _play_from(self, t: float, *, catch_up: bool) -> None:
        while not self._closed:
            await asyncio.sleep(0)  # a short loop must not starve the GUI
            if catch_up:
                await self._catch_up(t)
            jumped = await self._stream(t)
            if jumped is None:  # the end
                if self.loop is not None:
                    t, catch_up = self.loop[0], True
                    continue
                self.playing = False
                self.position = self.end_time
                self.changed.emit()
                self.finished.emit()
                await self._wait_for_change()
                t = self._take_jump() or self.position
                catch_up = t < self.end_time
                continue
            t, catch_up = jumped, True

    def _take_jump(self) -> float | None:
        jump, self._jump_to = self._jump_to, None
        return jump

    async def _wait_for_change(self) -> None:
        self._wake.clear()
        await self._wake.wait()

    async def _catch_up(self, t: float) -> None:
        """Put the stores in the state they had at ``t``.

        Every command-port line before it (events, commands and their
        replies: only those frames are read), then both ports' lines of the
        last `PREROLL` seconds.
        """
        self._jump_to = None
        self.reset.emit()
        began = time.monotonic()
        command_port = PORT_BITS["command"]
        for count, line in enumerate(self.recording.iter_messages(None, t - PREROLL, command_port)):
            self.deliver(line)  # events, and commands with their replies
            if count % 256 == 0 and time.monotonic() - began > SLICE:
                await asyncio.sleep(0)
                began = time.monotonic()
                if self._jump_to is not None or self._closed:
                    return
        for count, line in enumerate(self.recording.iter_messages(t - PREROLL, t)):
            if line.time < t:
                self.deliver(line)
            if count % 256 == 0 and time.monotonic() - began > SLICE:
                await asyncio.sleep(0)
                began = time.monotonic()
        self.position = t
        self.changed.emit()

    async def _stream(self, t: float) -> float | None:
        """Feed lines from ``t`` on at the chosen speed; a jump target, or None at the end."""
        anchor: tuple[float, float] | None = None  # (recording time, monotonic time)
        speed = self.speed
        began = time.monotonic()
        for line in self._lines_from(t):
            while True:  # until this line is due
                if self._closed:
                    return None
                if self._jump_to is not None:
                    return self._take_jump()
                if not self.playing:
                    anchor = None
                    await self._wait_for_change()
                    began = time.monotonic()
                    continue
                if self.loop is not None and line.time > self.loop[1]:
                    return self.loop[0]
                if speed != self.speed:
                    speed, anchor = self.speed, None
                if speed == FASTEST:
                    break
                now = time.monotonic()
                if anchor is None:
                    anchor = (line.time, now)
                due = anchor[1] + (line.time - anchor[0]) / speed
                if due <= now + 0.002:
                    break
                self._wake.clear()
                try:
                    await asyncio.wait_for(self._wake.wait(), due - now)
                except TimeoutError:
                    pass
                began = time.monotonic()
            self.deliver(line)
            self.position = line.time
            if time.monotonic() - began > SLICE:
                await asyncio.sleep(0)
                began = time.monotonic()
        return None

    def _lines_from(self, t: float) -> Iterator[WireLine]:
        """Lines at or after ``t`` in time order, following a growing recording."""
        recording = self.recording
        refs: list[FrameRef] = recording.frames_in(t, None)
        while refs:
            yield from merge_frames(refs, recording.read_frame, t)
            t = max(ref.t_last for ref in refs)
            refs = [ref for ref in recording.refresh() if ref.t_last > t]
