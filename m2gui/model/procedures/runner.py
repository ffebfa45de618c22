"""The one procedure running on a session at a time, and the latest one."""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

from psygnal import Signal

from .procedure import Procedure, ProcedureResult, StepRun

if TYPE_CHECKING:
    from m2gui.model.session import Session

__all__ = ["ProcedureBusy", "ProcedureRunner", "no_procedure_running"]

log = logging.getLogger(__name__)


class ProcedureBusy(RuntimeError):
    """Another procedure is running."""


class ProcedureRunner:
    """Runs one procedure at a time for a session, and forwards its progress.

    Views follow the procedures through this store's signals only (one
    `listen` each), whichever procedure runs: the local-mode transitions, the
    automatic drop to Diagnostic, the ILC check and enable.
    Get the one instance with ``session.store(ProcedureRunner)``.

    Signals
    -------
    changed(Procedure)
        After a procedure started or ended (`current` and `last` are up to date).
    step(Procedure, StepRun)
        After a step of the running procedure started, progressed or ended.
    ended(Procedure, ProcedureResult)
        After a procedure ended (emitted after ``changed``).
    """

    changed = Signal(object)
    step = Signal(object, object)
    ended = Signal(object, object)

    def __init__(self, session: Session) -> None:
        self.session = session
        #: The procedure running now, if any.
        self.current: Procedure | None = None
        #: The latest procedure started (running or ended), if any.
        self.last: Procedure | None = None
        self._tasks: set[asyncio.Task[ProcedureResult]] = set()

    @property
    def busy(self) -> bool:
        """True while a procedure runs."""
        return self.current is not None

    def busy_reason(self) -> str | None:
        """Why another procedure may not start now, or None."""
        if self.current is None:
            return None
        return f"{self.current.name} is running: wait for it to end, or Cancel it"

    def start(self, procedure: Procedure) -> asyncio.Task[ProcedureResult]:
        """Start ``procedure`` on the running loop.

        Raises
        ------
        ProcedureBusy
            If another procedure is running.
        """
        if self.current is not None:
            raise ProcedureBusy(self.busy_reason())
        self.current = self.last = procedure
        procedure.step_started.connect(self._on_step)
        procedure.progress.connect(self._on_step)
        procedure.step_finished.connect(self._on_step)
        procedure.finished.connect(self._on_finished)
        task = procedure.start(self.session)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        self.changed.emit(procedure)
        return task

    def cancel(self, reason: str = "cancelled by the user") -> bool:
        """Cancel the running procedure; False if none runs."""
        return self.current.cancel(reason) if self.current is not None else False

    async def shutdown(self) -> None:
        """Stop the running procedure as the application closes (no clean-up) and wait for it."""
        tasks = [t for t in self._tasks if not t.done()]
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)

    def _on_step(self, run: StepRun) -> None:
        if self.current is not None:
            self.step.emit(self.current, run)

    def _on_finished(self, result: ProcedureResult) -> None:
        procedure = self.current
        if procedure is None or procedure.result is not result:
            return
        for signal, slot in (
            (procedure.step_started, self._on_step),
            (procedure.progress, self._on_step),
            (procedure.step_finished, self._on_step),
            (procedure.finished, self._on_finished),
        ):
            signal.disconnect(slot, missing_ok=True)
        self.current = None
        self.changed.emit(procedure)
        self.ended.emit(procedure, result)


def no_procedure_running(session: Session) -> str | None:
    """A `Rule`: no procedure may be running."""
    return session.store(ProcedureRunner).busy_reason()
