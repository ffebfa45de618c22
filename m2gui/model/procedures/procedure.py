"""A procedure: a named list of steps run as one cancellable asyncio task.

Each step is a coroutine that sends commands through its `StepContext`
(``await ctx.send(name, params)``, the same validated path as every button)
or waits for a condition on the stores (``await ctx.wait_for(...)``). A step
may be tried several times; a step that still fails stops the procedure,
which then runs its clean-up steps (if any) and ends saying which step failed,
why, and the state the cell was left in. Progress is announced with psygnal
signals, so a view (or a test) can follow it without Qt.

Cancelling with `Procedure.cancel` stops the step in flight, runs the
clean-up and ends the procedure as ``CANCELLED`` (its task returns the
result). A cancellation that does not come from `Procedure.cancel` (the
application closing, a caller's timeout) is never swallowed: the procedure
announces that it ended, and the `asyncio.CancelledError` goes on to the
caller.
"""

from __future__ import annotations

import asyncio
import enum
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, NoReturn

from psygnal import Signal

from m2gui.model.commanding import CommandBlocked
from m2gui.net import CommandError, CommandRecord

from .errors import StepFailed
from .waiting import wait_for

if TYPE_CHECKING:
    from m2gui.model.session import Session

__all__ = [
    "MAX_COMMANDS_PER_STEP",
    "Procedure",
    "ProcedureOutcome",
    "ProcedureResult",
    "Step",
    "StepContext",
    "StepFailed",
    "StepRun",
    "StepStatus",
]

log = logging.getLogger(__name__)

#: Commands remembered per step (the ILC bring-up with retries sends about 20).
MAX_COMMANDS_PER_STEP = 64
#: Characters kept of a failure reason.
REASON_CHARS = 400


class StepStatus(enum.Enum):
    """Where a step is; all but the first two are final."""

    PENDING = "pending"
    RUNNING = "running"
    DONE = "done"
    SKIPPED = "skipped"
    #: It failed, and the procedure went on (a step marked ``tolerate_failure``).
    TOLERATED = "failed, went on"
    FAILED = "failed"
    CANCELLED = "cancelled"

    @property
    def final(self) -> bool:
        """True once the step is over."""
        return self not in (StepStatus.PENDING, StepStatus.RUNNING)


class ProcedureOutcome(enum.Enum):
    """How a procedure ended (or that it has not yet)."""

    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"


class _Skipped(Exception):
    """The step has nothing to do (``rest``: nor have the steps after it)."""

    def __init__(self, reason: str, rest: bool) -> None:
        super().__init__(reason)
        self.rest = rest


#: What a step does. It returns a short note for the step list, or None.
StepAction = Callable[["StepContext"], Awaitable["str | None"]]


@dataclass(frozen=True)
class Step:
    """One step of a procedure.

    Parameters
    ----------
    title : `str`
        What the step does, as shown in the step list.
    action : callable
        ``async def action(ctx: StepContext) -> str | None``.
    tries : `int`
        How many times it is tried before the procedure stops (at least 1).
    timeout : `float` or None
        Seconds allowed per try, beyond the commands' own timeouts (None: no limit).
    tolerate_failure : `bool`
        A failure is recorded and the procedure goes on (for clean-up steps
        whose failure must not stop the ones that make the cell safe).
    """

    title: str
    action: StepAction
    tries: int = 1
    timeout: float | None = None
    tolerate_failure: bool = False


@dataclass
class StepRun:
    """What happened to one step of one run of a procedure.

    Times are ``time.monotonic()`` seconds.
    """

    index: int
    title: str
    cleanup: bool = False
    status: StepStatus = StepStatus.PENDING
    started: float | None = None
    ended: float | None = None
    tries: int = 0
    note: str = ""
    #: The command in flight, if any.
    sending: str = ""
    commands: list[CommandRecord] = field(default_factory=list)

    @property
    def latency(self) -> float | None:
        """Seconds the step took (so far, while it runs)."""
        if self.started is None:
            return None
        return (self.ended if self.ended is not None else time.monotonic()) - self.started


@dataclass(frozen=True)
class ProcedureResult:
    """How a procedure ended.

    Attributes
    ----------
    name : `str`
        The procedure.
    outcome : `ProcedureOutcome`
        Succeeded, failed or cancelled.
    reason : `str`
        Why it failed or was cancelled: the step and what went wrong ("" on success).
    safe_state : `str`
        The state the cell was left in, in words.
    failed_step : `StepRun` or None
        The step that failed or was cancelled.
    elapsed : `float`
        Seconds from start to end.
    """

    name: str
    outcome: ProcedureOutcome
    reason: str
    safe_state: str
    failed_step: StepRun | None
    elapsed: float

    @property
    def text(self) -> str:
        """One line for a log or a status label."""
        if self.outcome is ProcedureOutcome.SUCCEEDED:
            took = f"{self.elapsed * 1e3:.0f} ms" if self.elapsed < 1 else f"{self.elapsed:.2f} s"
            head = f"{self.name}: done in {took}"
        else:
            head = f"{self.name}: {self.outcome.value}: {self.reason}"
        return f"{head}. {self.safe_state}" if self.safe_state else head


def describe_error(error: BaseException) -> str:
    """A failure in words an engineer can act on (bounded)."""
    if isinstance(error, CommandError):
        record = error.record
        parts = [f"{record.name} {record.outcome.value}"]
        for part in (record.reason, *record.user_info[:3]):
            if part and part not in parts and not any(part in p for p in parts[1:]):
                parts.append(part)
        text = ": ".join(parts)
    elif isinstance(error, TimeoutError) and not str(error):
        text = "timed out"
    else:
        text = str(error) or type(error).__name__
    return text if len(text) <= REASON_CHARS else text[:REASON_CHARS] + "…"


class StepContext:
    """What a step's action uses: the session, sending, waiting, skipping.

    Attributes
    ----------
    session : `Session`
        The session the procedure runs on.
    run : `StepRun`
        The step's record (its commands, note and tries).
    attempt : `int`
        1 for the first try, 2 for the first retry...
    """

    def __init__(self, procedure: Procedure, session: Session, run: StepRun, attempt: int) -> None:
        self.procedure = procedure
        self.session = session
        self.run = run
        self.attempt = attempt

    async def send(self, name: str, params: dict[str, Any] | None = None) -> CommandRecord:
        """Send a command (validated, command-source rule, history) and wait for success.

        Raises
        ------
        StepFailed
            The command was refused, failed, timed out or the link dropped.
        """
        self.run.sending = name
        self.procedure.progress.emit(self.run)
        try:
            record = await self.session.send(name, params)
        except CommandError as error:
            self.run.sending = ""
            self._record(error.record)
            raise StepFailed(describe_error(error)) from error
        except CommandBlocked as error:
            raise StepFailed(str(error)) from error
        finally:
            self.run.sending = ""
        self._record(record)
        return record

    def _record(self, record: CommandRecord) -> None:
        if len(self.run.commands) < MAX_COMMANDS_PER_STEP:
            self.run.commands.append(record)
        self.procedure.progress.emit(self.run)

    async def wait_for(self, condition: Callable[[], bool], timeout: float, what: str) -> None:
        """Wait until ``condition()`` is true, re-checked whenever an event arrives.

        Raises
        ------
        StepFailed
            After ``timeout`` seconds, or when the link drops.
        """
        await wait_for(self.session, condition, timeout, what)

    def note(self, text: str) -> None:
        """Show ``text`` beside the step while it runs."""
        self.run.note = text
        self.procedure.progress.emit(self.run)

    def skip(self, reason: str) -> NoReturn:
        """End this step as skipped (nothing to do), and go on."""
        raise _Skipped(reason, rest=False)

    def skip_rest(self, reason: str) -> NoReturn:
        """End this step and all the following ones as skipped: the procedure succeeds."""
        raise _Skipped(reason, rest=True)


class _Stop(Exception):
    """A step failed: the procedure stops."""

    def __init__(self, run: StepRun) -> None:
        super().__init__(run.note)
        self.run = run


class Procedure:
    """A named list of steps, run once, as one asyncio task.

    Parameters
    ----------
    name : `str`
        What it does ("Standby → Diagnostic").
    steps : sequence of `Step`
        The steps, in order.
    cleanup : sequence of `Step`
        Steps run after a failure or a cancellation, to leave the cell safe;
        each runs even if the previous one failed.
    safe_state : callable
        ``safe_state(outcome) -> str``: the state the cell was left in, in
        words, read from the stores when the procedure ends.

    Signals
    -------
    step_started(StepRun)
        A step began.
    progress(StepRun)
        A step sent a command, got a reply, retried, or changed its note.
    step_finished(StepRun)
        A step ended (its status, note and latency are final).
    finished(ProcedureResult)
        The procedure ended: succeeded, failed or cancelled, with the reason
        and the state the cell was left in.
    """

    step_started = Signal(object)
    progress = Signal(object)
    step_finished = Signal(object)
    finished = Signal(object)

    def __init__(
        self,
        name: str,
        steps: Sequence[Step],
        *,
        cleanup: Sequence[Step] = (),
        safe_state: Callable[[ProcedureOutcome], str] | None = None,
    ) -> None:
        if not steps:
            raise ValueError("a procedure needs at least one step")
        self.name = name
        self.steps = list(steps)
        self.cleanup = list(cleanup)
        self._safe_state = safe_state
        self.runs = [StepRun(i, s.title) for i, s in enumerate(self.steps)]
        self.cleanup_runs: list[StepRun] = []
        self.started: float | None = None
        self.ended: float | None = None
        self.result: ProcedureResult | None = None
        self.task: asyncio.Task[ProcedureResult] | None = None
        self._cancel_reason: str | None = None

    # ------------------------------------------------------------------
    # State
    # ------------------------------------------------------------------
    @property
    def outcome(self) -> ProcedureOutcome:
        """How it ended, or ``RUNNING``."""
        return ProcedureOutcome.RUNNING if self.result is None else self.result.outcome

    @property
    def running(self) -> bool:
        """True from `start` until it has ended."""
        return self.started is not None and self.result is None

    @property
    def elapsed(self) -> float:
        """Seconds since it started (until it ended), 0 before."""
        if self.started is None:
            return 0.0
        end = self.ended if self.ended is not None else time.monotonic()
        return end - self.started

    @property
    def current(self) -> StepRun | None:
        """The step running now, if any."""
        for run in (*self.runs, *self.cleanup_runs):
            if run.status is StepStatus.RUNNING:
                return run
        return None

    @property
    def all_runs(self) -> list[StepRun]:
        """The steps, then the clean-up steps that ran."""
        return [*self.runs, *self.cleanup_runs]

    # ------------------------------------------------------------------
    # Running
    # ------------------------------------------------------------------
    def start(self, session: Session) -> asyncio.Task[ProcedureResult]:
        """Run it in a task on the running loop; the task returns the result."""
        if self.task is not None:
            raise RuntimeError(f"{self.name} was already started")
        self.task = asyncio.ensure_future(self.run(session))
        self.task.add_done_callback(self._task_done)
        return self.task

    def cancel(self, reason: str = "cancelled by the user") -> bool:
        """Stop it: the step in flight ends, the clean-up runs. False if not running."""
        if self.task is None or self.task.done() or self._cancel_reason is not None:
            return False
        self._cancel_reason = reason
        log.info("%s: cancelling (%s)", self.name, reason)
        self.task.cancel()
        return True

    async def run(self, session: Session) -> ProcedureResult:
        """Run the steps, in order, here; return how it ended.

        Raises
        ------
        asyncio.CancelledError
            If cancelled other than by `cancel` (after announcing the end).
        RuntimeError
            If it already ran.
        """
        if self.started is not None:
            raise RuntimeError(f"{self.name} was already run")
        self.started = time.monotonic()
        log.info("%s: started", self.name)
        outcome, reason, failed = ProcedureOutcome.SUCCEEDED, "", None
        try:
            try:
                await self._run_steps(session)
            except _Stop as stop:
                failed = stop.run
                outcome = ProcedureOutcome.FAILED
                reason = f"step {failed.index + 1} '{failed.title}' failed: {failed.note}"
                await self._run_cleanup(session)
            except asyncio.CancelledError:
                failed = self.current_or_last()
                outcome = ProcedureOutcome.CANCELLED
                task = asyncio.current_task()
                ours = self._cancel_reason is not None and task is not None
                if ours and task is not None and task.uncancel() == 0:
                    where = f" at step {failed.index + 1} '{failed.title}'" if failed else ""
                    reason = f"{self._cancel_reason}{where}"
                    await self._run_cleanup(session)
                else:
                    reason = "stopped: the task was cancelled (the application is closing?)"
                    raise
        except BaseException:
            self._finish(session, outcome, reason, failed)
            raise
        return self._finish(session, outcome, reason, failed)

    def current_or_last(self) -> StepRun | None:
        """The step running, or else the last one that started."""
        current = self.current
        if current is not None:
            return current
        started = [r for r in self.runs if r.started is not None]
        return started[-1] if started else None

    async def _run_steps(self, session: Session) -> None:
        for step, run in zip(self.steps, self.runs, strict=True):
            try:
                await self._run_step(session, step, run)
            except _Skipped as skipped:
                for later in self.runs[run.index + 1 :]:
                    later.status = StepStatus.SKIPPED
                    later.note = str(skipped)
                    self.step_finished.emit(later)
                return

    async def _run_cleanup(self, session: Session) -> None:
        for i, step in enumerate(self.cleanup):
            run = StepRun(len(self.runs) + i, step.title, cleanup=True)
            self.cleanup_runs.append(run)
            try:
                await self._run_step(session, step, run, stop_on_failure=False)
            except _Skipped:
                continue

    async def _run_step(
        self, session: Session, step: Step, run: StepRun, *, stop_on_failure: bool = True
    ) -> None:
        """Run one step with its tries; raise `_Stop` if it fails and must stop the procedure."""
        run.status = StepStatus.RUNNING
        run.started = time.monotonic()
        self.step_started.emit(run)
        tries = max(1, step.tries)
        for attempt in range(1, tries + 1):
            run.tries = attempt
            ctx = StepContext(self, session, run, attempt)
            try:
                if step.timeout is None:
                    note = await step.action(ctx)
                else:
                    async with asyncio.timeout(step.timeout):
                        note = await step.action(ctx)
            except _Skipped as skipped:
                self._end_step(run, StepStatus.SKIPPED, str(skipped))
                if skipped.rest:
                    raise
                return
            except asyncio.CancelledError:
                self._end_step(run, StepStatus.CANCELLED, run.note or "cancelled")
                raise
            except Exception as error:  # any failure of a step ends as a stated failure
                why = describe_error(error)
                if not isinstance(error, StepFailed | CommandError | TimeoutError):
                    log.error("%s: step %r raised", self.name, step.title, exc_info=error)
                if attempt < tries:
                    log.warning(
                        "%s: step %r try %d of %d failed (%s): retrying",
                        self.name,
                        step.title,
                        attempt,
                        tries,
                        why,
                    )
                    run.note = f"try {attempt} of {tries} failed: {why}; retrying"
                    self.progress.emit(run)
                    continue
                if tries > 1:
                    why = f"{why} (after {attempt} tries)"
                if step.tolerate_failure or not stop_on_failure:
                    log.warning("%s: step %r failed, going on: %s", self.name, step.title, why)
                    self._end_step(run, StepStatus.TOLERATED, why)
                    return
                log.error("%s: step %r failed: %s", self.name, step.title, why)
                self._end_step(run, StepStatus.FAILED, why)
                raise _Stop(run) from error
            self._end_step(run, StepStatus.DONE, note or "")
            return

    def _end_step(self, run: StepRun, status: StepStatus, note: str) -> None:
        run.status = status
        run.note = note
        run.sending = ""
        run.ended = time.monotonic()
        self.step_finished.emit(run)

    def _finish(
        self,
        session: Session,
        outcome: ProcedureOutcome,
        reason: str,
        failed: StepRun | None,
    ) -> ProcedureResult:
        if self.result is not None:
            return self.result
        self.ended = time.monotonic()
        try:
            safe = self._safe_state(outcome) if self._safe_state else ""
        except Exception:  # the description must never hide the outcome
            log.exception("%s: describing the state failed", self.name)
            safe = ""
        result = ProcedureResult(self.name, outcome, reason, safe, failed, self.elapsed)
        self.result = result
        level = logging.INFO if outcome is ProcedureOutcome.SUCCEEDED else logging.WARNING
        log.log(level, "%s", result.text)
        self.finished.emit(result)
        return result

    def _task_done(self, task: asyncio.Task[ProcedureResult]) -> None:
        """A task cancelled before it ran a line still ends the procedure."""
        if self.result is None:
            self.started = self.started or time.monotonic()
            reason = self._cancel_reason or "stopped before it started"
            self.ended = time.monotonic()
            self.result = ProcedureResult(
                self.name, ProcedureOutcome.CANCELLED, reason, "nothing was sent", None, 0.0
            )
            self.finished.emit(self.result)
        if not task.cancelled() and task.exception() is not None:
            log.error("%s raised", self.name, exc_info=task.exception())
