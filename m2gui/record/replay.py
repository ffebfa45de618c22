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
from .reader import Recording, merge_frames

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
#: Longest single wait for a line's time, seconds: a gap of days (a clock
#: that jumped) is waited in steps, never handed whole to the event loop's timer.
MAX_WAIT = 1.0


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
        #: Waiting at the end of the recording (after `finished`).
        self._at_end = False
        #: Frames of the recording's index played to the end (a grown
        #: recording resumes after them).
        self._played_frames = 0
        #: Lines fed by the pass in progress (a loop with none pauses).
        self._pass_delivered = 0
        #: The recording's span, extended as its frame index grows.
        self._span: tuple[float, float] | None = None
        self._span_frames = 0

    # ------------------------------------------------------------------
    @property
    def start_time(self) -> float:
        """The first line's time (0.0 for an empty recording)."""
        span = self._update_span()
        return span[0] if span is not None else 0.0

    @property
    def end_time(self) -> float:
        """The last line's time."""
        span = self._update_span()
        return span[1] if span is not None else self.start_time

    def _update_span(self) -> tuple[float, float] | None:
        """The span of the frames indexed so far, looking only at frames new since last time.

        (`Recording.start` and `end` scan the whole index: 86,400 frames for a
        night, and the replay bar asks several times per refresh.)
        """
        frames = self.recording.frames
        count = len(frames)
        if count > self._span_frames:
            new = frames[self._span_frames : count]
            self._span_frames = count
            firsts = [ref.t_first for ref in new if math.isfinite(ref.t_first)]
            lasts = [ref.t_last for ref in new if math.isfinite(ref.t_last)]
            if firsts and lasts:  # (a damaged header's times are left out)
                lo, hi = min(firsts), max(lasts)
                if self._span is not None:
                    lo, hi = min(lo, self._span[0]), max(hi, self._span[1])
                self._span = (lo, hi)
        return self._span

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
        """Resume playback.

        At the end of the recording: go on with what it gained since (a
        recording still being written), else start again (from the loop's
        start if one is set).
        """
        if self._at_end:
            self.recording.refresh()
            if len(self.recording.frames) <= self._played_frames or self.loop is not None:
                self.seek(self.loop[0] if self.loop is not None else self.start_time)
        elif self._task is None and self.position >= self.end_time and self.loop is None:
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
        """Loop over ``[t0, t1]`` (None: no loop).

        Raises
        ------
        ValueError
            If the range, clamped to the recording, is empty (it would only
            jump back, again and again).
        """
        if t0 is None or t1 is None:
            self.loop = None
        else:
            lo, hi = sorted((t0, t1))
            lo, hi = max(lo, self.start_time), min(hi, self.end_time)
            if not hi > lo:
                raise ValueError("the loop range is empty (or outside the recording)")
            self.loop = (lo, hi)
            if not lo <= self.position <= hi:
                self.seek(lo)
        self._poke()

    async def close(self) -> None:
        """Stop playing and close the recording.

        If the caller is cancelled meanwhile, the recording is closed all the
        same and the cancellation propagates.
        """
        self._closed = True
        task, self._task = self._task, None
        try:
            if task is not None and not task.done():
                task.cancel()
                await asyncio.wait([task])
        finally:
            self.recording.close()
            self.set_state(ConnectionState.DISCONNECTED, "replay closed")

    def _poke(self) -> None:
        self._wake.set()
        self.changed.emit()

    # ------------------------------------------------------------------
    async def _run(self) -> None:
        try:
            jump = self._take_jump()
            await self._play_from(self.position if jump is None else jump)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("replay of %s stopped", self.recording.path)
            self.playing = False
            self.set_state(ConnectionState.DISCONNECTED, "replay failed: see the log")
            self.changed.emit()

    async def _play_from(self, t: float) -> None:
        catch_up = True
        resume: int | None = None  # index of the first frame not played (a grown recording)
        while not self._closed:
            await asyncio.sleep(0)  # a short loop must not starve the GUI
            jump = self._take_jump()  # the latest seek wins, whenever it came
            if jump is not None:
                t, catch_up, resume = jump, True, None
            if catch_up and not await self._catch_up(t):
                continue  # a seek (or close) came meanwhile
            self._pass_delivered = 0
            outcome = await self._stream(t, resume)
            resume = None
            if outcome == "jump":
                continue
            loop = self.loop
            if outcome == "loop" or (outcome == "end" and loop is not None):
                assert loop is not None
                if t == loop[0] and not self._pass_delivered:
                    log.warning(
                        "replay of %s: nothing recorded in the loop range; paused",
                        self.recording.path,
                    )
                    self.playing = False
                    self.changed.emit()
                    t, catch_up = loop[0], False  # the stores are at its start already
                    continue
                t, catch_up = loop[0], True
                continue
            if self._closed:
                return
            resume = await self._wait_at_end()
            if resume is not None:
                t, catch_up = self.position, False

    async def _wait_at_end(self) -> int | None:
        """Pause at the end until a seek or a play; the frame to resume from after a play."""
        self.playing = False
        self.position = max(self.position, self.end_time)
        self._at_end = True
        try:
            self.changed.emit()
            self.finished.emit()
            # The state is checked before each wait: a listener of `finished`
            # may already have sought or pressed play.
            while not self._closed and self._jump_to is None:
                if self.playing:  # the recording grew (see `play`): go on after it
                    return self._played_frames
                await self._wait_for_change()
            return None
        finally:
            self._at_end = False

    def _take_jump(self) -> float | None:
        jump, self._jump_to = self._jump_to, None
        return jump

    async def _wait_for_change(self) -> None:
        self._wake.clear()
        await self._wake.wait()

    def _interrupted(self) -> bool:
        return self._jump_to is not None or self._closed

    async def _catch_up(self, t: float) -> bool:
        """Put the stores in the state they had at ``t``; False if a seek came first.

        Every command-port line before it (events, commands and their
        replies: only those frames are read), then both ports' lines of the
        last `PREROLL` seconds.
        """
        self.connection.reset_fed()
        self.reset.emit()
        began = time.monotonic()
        command_port = PORT_BITS["command"]
        edge = t - PREROLL
        for count, line in enumerate(self.recording.iter_messages(None, edge, command_port)):
            if line.time < edge:  # the line at the edge itself comes with the preroll
                self.deliver(line)  # events, and commands with their replies
            if count % 256 == 0 and time.monotonic() - began > SLICE:
                await asyncio.sleep(0)
                began = time.monotonic()
                if self._interrupted():
                    return False
        for count, line in enumerate(self.recording.iter_messages(edge, t)):
            if line.time < t:
                self.deliver(line)
            if count % 256 == 0 and time.monotonic() - began > SLICE:
                await asyncio.sleep(0)
                began = time.monotonic()
                if self._interrupted():
                    return False
        if self._interrupted():
            return False
        self.position = t
        self.caught_up.emit(t)
        self.changed.emit()
        return True

    async def _stream(self, t: float, resume: int | None = None) -> str:
        """Feed lines from ``t`` on at the chosen speed.

        Returns ``"jump"`` (a seek is pending), ``"loop"`` (the loop's end
        was reached) or ``"end"`` (the end of the recording, or closed).
        """
        anchor: tuple[float, float] | None = None  # (recording time, monotonic time)
        speed = self.speed
        began = time.monotonic()
        for line in self._lines_from(t, resume):
            while True:  # until this line is due
                if self._closed:
                    return "end"
                if self._jump_to is not None:
                    return "jump"
                if not self.playing:
                    anchor = None
                    await self._wait_for_change()
                    began = time.monotonic()
                    continue
                if speed != self.speed:
                    speed, anchor = self.speed, None
                loop = self.loop
                beyond = loop is not None and line.time > loop[1]
                if speed == FASTEST:
                    if beyond:
                        return "loop"
                    break
                now = time.monotonic()
                if anchor is None:
                    # Past the loop's end, its end is due after the last line played.
                    anchor = (self.position, now) if beyond else (line.time, now)
                target = loop[1] if beyond and loop is not None else line.time
                wait = anchor[1] + (target - anchor[0]) / speed - now
                if not 0.002 < wait < math.inf:  # due (a time that is not finite: at once)
                    if beyond:
                        return "loop"
                    break
                self._wake.clear()
                try:
                    await asyncio.wait_for(self._wake.wait(), min(wait, MAX_WAIT))
                except TimeoutError:
                    pass
                began = time.monotonic()
            self.deliver(line)
            self._pass_delivered += 1
            if math.isfinite(line.time):
                self.position = line.time
            if time.monotonic() - began > SLICE:
                await asyncio.sleep(0)
                began = time.monotonic()
        return "end"

    def _lines_from(self, t: float, resume: int | None = None) -> Iterator[WireLine]:
        """Lines at or after ``t`` in time order, following a growing recording.

        New frames are found by their place in the recording's index, not by
        what `Recording.refresh` returns: another reader of the same recording
        (the window's archive, in a worker thread) may index them first. Each
        frame is played once, all its lines from ``t`` on (the two ports'
        frames of one flush may be indexed apart). ``resume``: play the
        frames from this index on, whatever their times (after the end).
        """
        recording = self.recording
        frames = recording.frames
        seen = len(frames)
        if resume is None:
            refs = [ref for ref in frames[:seen] if ref.t_last >= t]
            lo = t
        else:
            refs, seen = list(frames[resume:seen]), max(seen, resume)
            lo = -math.inf
        while True:
            if refs:
                yield from merge_frames(refs, recording.read_frame, lo)
            self._played_frames = seen
            recording.refresh()
            count = len(recording.frames)
            if count <= seen:
                return
            refs = [ref for ref in recording.frames[seen:count] if ref.t_last >= lo]
            seen = count
