"""The procedure machinery: steps in order, retries, failure, clean-up, cancel, signals."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest

from m2gui.model.procedures import (
    Procedure,
    ProcedureBusy,
    ProcedureOutcome,
    ProcedureResult,
    ProcedureRunner,
    Step,
    StepContext,
    StepFailed,
    StepRun,
    StepStatus,
)
from m2gui.model.session import Session
from m2gui.net import Outcome
from m2gui.sim import ControllerSimulator

from ..waiting import until

pytestmark = pytest.mark.timeout(20)


def offline() -> Session:
    return Session("127.0.0.1", 1, 2, reconnect=False, history=5)


@pytest.fixture
async def online(sim: ControllerSimulator) -> AsyncIterator[Session]:
    session = Session("127.0.0.1", sim.command_port, sim.telemetry_port, history=5)
    session.connect()
    await session.connection.wait_connected(5)
    await until(lambda: "summaryFaultsStatus" in session.events.latest, what="welcome")
    await session.send("switchCommandSource", {"isRemote": False})
    yield session
    await session.disconnect()


def noting(text: str) -> Any:
    async def action(ctx: StepContext) -> str:
        await asyncio.sleep(0)
        return text

    return action


def failing(times: int, why: str = "broken") -> Any:
    """An action that fails ``times`` times, then succeeds."""
    calls = {"n": 0}

    async def action(ctx: StepContext) -> str:
        calls["n"] += 1
        if calls["n"] <= times:
            raise StepFailed(f"{why} {calls['n']}")
        return f"worked on try {ctx.attempt}"

    return action


class Recorder:
    """Every signal of a procedure, in order."""

    def __init__(self, procedure: Procedure) -> None:
        self.seen: list[tuple[str, Any]] = []
        procedure.step_started.connect(lambda r: self.seen.append(("started", r.title)))
        procedure.step_finished.connect(
            lambda r: self.seen.append(("finished", (r.title, r.status)))
        )
        procedure.finished.connect(lambda res: self.seen.append(("end", res.outcome)))

    def names(self) -> list[tuple[str, Any]]:
        return self.seen


async def test_steps_run_in_order_and_announce_each_start_and_end() -> None:
    procedure = Procedure(
        "demo",
        [Step("one", noting("first")), Step("two", noting("second"))],
        safe_state=lambda outcome: f"state after {outcome.value}",
    )
    seen = Recorder(procedure)
    result = await procedure.start(offline())
    assert result.outcome is ProcedureOutcome.SUCCEEDED
    assert result.reason == "" and result.safe_state == "state after succeeded"
    assert seen.names() == [
        ("started", "one"),
        ("finished", ("one", StepStatus.DONE)),
        ("started", "two"),
        ("finished", ("two", StepStatus.DONE)),
        ("end", ProcedureOutcome.SUCCEEDED),
    ]
    assert [r.note for r in procedure.runs] == ["first", "second"]
    assert all(r.latency is not None and r.latency >= 0 for r in procedure.runs)
    assert procedure.elapsed >= 0 and not procedure.running


async def test_a_step_is_retried_up_to_its_tries() -> None:
    procedure = Procedure("retry", [Step("flaky", failing(2), tries=3)])
    result = await procedure.start(offline())
    (run,) = procedure.runs
    assert result.outcome is ProcedureOutcome.SUCCEEDED
    assert run.status is StepStatus.DONE and run.tries == 3
    assert run.note == "worked on try 3"


async def test_a_failed_step_stops_the_procedure_and_says_which_and_why() -> None:
    cleaned: list[str] = []

    async def cleanup(ctx: StepContext) -> str:
        cleaned.append("yes")
        return "made safe"

    procedure = Procedure(
        "stops",
        [
            Step("one", noting("ok")),
            Step("two", failing(5, "no luck"), tries=2),
            Step("three", noting("x")),
        ],
        cleanup=[Step("make safe", cleanup)],
        safe_state=lambda outcome: "left safe",
    )
    result = await procedure.start(offline())
    assert result.outcome is ProcedureOutcome.FAILED
    assert result.reason == "step 2 'two' failed: no luck 2 (after 2 tries)"
    assert result.failed_step is procedure.runs[1]
    assert result.safe_state == "left safe"
    assert [r.status for r in procedure.runs] == [
        StepStatus.DONE,
        StepStatus.FAILED,
        StepStatus.PENDING,
    ]
    assert cleaned == ["yes"]
    (run,) = procedure.cleanup_runs
    assert run.cleanup and run.status is StepStatus.DONE and run.note == "made safe"
    assert "failed: step 2 'two'" in result.text


async def test_a_tolerated_failure_goes_on() -> None:
    procedure = Procedure(
        "tolerant",
        [Step("may fail", failing(1, "meh"), tolerate_failure=True), Step("next", noting("ok"))],
    )
    result = await procedure.start(offline())
    assert result.outcome is ProcedureOutcome.SUCCEEDED
    assert procedure.runs[0].status is StepStatus.TOLERATED
    assert procedure.runs[0].note == "meh 1"
    assert procedure.runs[1].status is StepStatus.DONE


async def test_an_unexpected_exception_is_a_stated_failure() -> None:
    async def buggy(ctx: StepContext) -> str:
        raise KeyError("oops")

    result = await Procedure("buggy", [Step("bad", buggy)]).start(offline())
    assert result.outcome is ProcedureOutcome.FAILED
    assert result.reason == "step 1 'bad' failed: 'oops'"


async def test_a_step_timeout_is_a_failure() -> None:
    async def slow(ctx: StepContext) -> str:
        await asyncio.sleep(10)
        return "never"

    result = await Procedure("slow", [Step("slow", slow, timeout=0.05)]).start(offline())
    assert result.outcome is ProcedureOutcome.FAILED
    assert result.reason == "step 1 'slow' failed: timed out"


async def test_skip_rest_ends_the_procedure_successfully() -> None:
    async def relabel(ctx: StepContext) -> str:
        ctx.skip_rest("already there")

    async def skip(ctx: StepContext) -> str:
        ctx.skip("nothing to do")

    procedure = Procedure(
        "relabel", [Step("skip one", skip), Step("check", relabel), Step("send", noting("x"))]
    )
    result = await procedure.start(offline())
    assert result.outcome is ProcedureOutcome.SUCCEEDED
    assert [(r.status, r.note) for r in procedure.runs] == [
        (StepStatus.SKIPPED, "nothing to do"),
        (StepStatus.SKIPPED, "already there"),
        (StepStatus.SKIPPED, "already there"),
    ]


async def test_cancel_stops_the_step_runs_the_cleanup_and_returns_the_result() -> None:
    started = asyncio.Event()

    async def forever(ctx: StepContext) -> str:
        started.set()
        await asyncio.sleep(60)
        return "never"

    cleaned: list[str] = []

    async def cleanup(ctx: StepContext) -> str:
        await asyncio.sleep(0)  # the clean-up may await: the cancel was consumed
        cleaned.append("yes")
        return "safe"

    procedure = Procedure(
        "long",
        [Step("one", noting("ok")), Step("wait", forever), Step("never", noting("x"))],
        cleanup=[Step("clean", cleanup)],
    )
    seen = Recorder(procedure)
    task = procedure.start(offline())
    await asyncio.wait_for(started.wait(), 5)
    assert procedure.running and procedure.current is procedure.runs[1]
    assert procedure.cancel("stop it")
    assert not procedure.cancel()  # once
    result = await asyncio.wait_for(task, 5)
    assert result.outcome is ProcedureOutcome.CANCELLED
    assert result.reason == "stop it at step 2 'wait'"
    assert [r.status for r in procedure.runs] == [
        StepStatus.DONE,
        StepStatus.CANCELLED,
        StepStatus.PENDING,
    ]
    assert cleaned == ["yes"]
    assert seen.names()[-1] == ("end", ProcedureOutcome.CANCELLED)
    assert not task.cancelled()


async def test_a_cancel_from_outside_is_not_swallowed() -> None:
    started = asyncio.Event()

    async def forever(ctx: StepContext) -> str:
        started.set()
        await asyncio.sleep(60)
        return "never"

    cleaned: list[str] = []

    async def cleanup(ctx: StepContext) -> str:
        cleaned.append("yes")
        return "safe"

    procedure = Procedure("outer", [Step("wait", forever)], cleanup=[Step("clean", cleanup)])
    ended: list[ProcedureResult] = []
    procedure.finished.connect(ended.append)
    task = procedure.start(offline())
    await asyncio.wait_for(started.wait(), 5)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert task.cancelled()
    (result,) = ended
    assert result.outcome is ProcedureOutcome.CANCELLED
    assert "task was cancelled" in result.reason
    assert cleaned == []  # not ours to clean up after: the application is closing


async def test_a_caller_awaiting_run_gets_its_cancellation() -> None:
    async def forever(ctx: StepContext) -> str:
        await asyncio.sleep(60)
        return "never"

    procedure = Procedure("awaited", [Step("wait", forever)])
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(procedure.run(offline()), 0.05)
    assert procedure.outcome is ProcedureOutcome.CANCELLED


async def test_cancelled_before_it_ran_still_ends() -> None:
    procedure = Procedure("early", [Step("one", noting("x"))])
    ended: list[ProcedureResult] = []
    procedure.finished.connect(ended.append)
    task = procedure.start(offline())
    procedure.cancel("changed my mind")
    with pytest.raises(asyncio.CancelledError):
        await task
    (result,) = ended
    assert result.outcome is ProcedureOutcome.CANCELLED and result.reason == "changed my mind"


async def test_a_procedure_runs_once() -> None:
    procedure = Procedure("once", [Step("one", noting("x"))])
    await procedure.start(offline())
    with pytest.raises(RuntimeError):
        procedure.start(offline())
    with pytest.raises(ValueError):
        Procedure("empty", [])


async def test_send_records_each_command_with_its_outcome(
    online: Session, sim: ControllerSimulator
) -> None:
    async def two(ctx: StepContext) -> str:
        await ctx.send("resetActuatorSteps")
        sim.faults.fail_next = 1
        sim.faults.fail_reason = "motor driver says no"
        await ctx.send("resetForceOffsets")
        return "never"

    procedure = Procedure("send", [Step("two commands", two)])
    progress: list[str] = []
    procedure.progress.connect(lambda run: progress.append(run.sending))
    result = await procedure.start(online)
    (run,) = procedure.runs
    assert [(c.name, c.outcome) for c in run.commands] == [
        ("resetActuatorSteps", Outcome.SUCCESS),
        ("resetForceOffsets", Outcome.FAIL),
    ]
    assert run.commands[0].done_latency is not None
    assert result.reason == (
        "step 1 'two commands' failed: resetForceOffsets fail: motor driver says no"
    )
    assert "resetActuatorSteps" in progress  # the command in flight was announced


async def test_send_refused_by_the_command_source_rule_is_a_failure(online: Session) -> None:
    await online.send("switchCommandSource", {"isRemote": True})

    async def one(ctx: StepContext) -> None:
        await ctx.send("resetActuatorSteps")

    result = await Procedure("csc", [Step("send", one)]).start(online)
    assert result.outcome is ProcedureOutcome.FAILED
    assert "the CSC holds command" in result.reason
    assert [r.name for r in online.history.records][-1] == "switchCommandSource"  # nothing sent


async def test_wait_for_wakes_on_events_and_times_out_with_what(
    online: Session, sim: ControllerSimulator
) -> None:
    async def waits(ctx: StepContext) -> str:
        loop = asyncio.get_running_loop()
        loop.call_later(0.05, sim.broadcast, [{"id": "openLoopMaxLimit", "status": True}])
        await ctx.wait_for(
            lambda: ctx.session.events.value("openLoopMaxLimit", "status") is True, 5, "limit"
        )
        await ctx.wait_for(lambda: False, 0.05, "a miracle")
        return "never"

    result = await Procedure("wait", [Step("wait", waits)]).start(online)
    assert result.reason == "step 1 'wait' failed: no a miracle within 0.05 s"


async def test_wait_for_fails_when_the_link_drops(
    online: Session, sim: ControllerSimulator
) -> None:
    async def waits(ctx: StepContext) -> str:
        asyncio.get_running_loop().call_later(0.05, asyncio.ensure_future, sim.stop())
        await ctx.wait_for(lambda: False, 5, "Godot")
        return "never"

    result = await Procedure("drop", [Step("wait", waits)]).start(online)
    assert result.reason == "step 1 'wait' failed: the link dropped while waiting for Godot"


async def test_the_runner_runs_one_at_a_time_and_forwards_progress() -> None:
    session = offline()
    runner = session.store(ProcedureRunner)
    gate = asyncio.Event()

    async def held(ctx: StepContext) -> str:
        await gate.wait()
        return "released"

    first = Procedure("first", [Step("held", held)])
    events: list[tuple[str, Any]] = []
    runner.changed.connect(lambda p: events.append(("changed", (p.name, runner.busy))))
    runner.step.connect(lambda p, r: events.append(("step", (p.name, r.title, r.status))))
    runner.ended.connect(lambda p, res: events.append(("ended", (p.name, res.outcome))))
    task = runner.start(first)
    assert runner.busy and runner.current is first and runner.last is first
    assert runner.busy_reason() == "first is running: wait for it to end, or Cancel it"
    with pytest.raises(ProcedureBusy):
        runner.start(Procedure("second", [Step("x", noting("x"))]))
    gate.set()
    await task
    assert not runner.busy and runner.last is first
    assert events == [
        ("changed", ("first", True)),
        ("step", ("first", "held", StepStatus.RUNNING)),
        ("step", ("first", "held", StepStatus.DONE)),
        ("changed", ("first", False)),
        ("ended", ("first", ProcedureOutcome.SUCCEEDED)),
    ]
    assert not runner.cancel()


def test_step_run_latency_grows_while_running() -> None:
    run = StepRun(0, "x")
    assert run.latency is None
    run.started = 0.0
    assert run.latency is not None and run.latency > 0


async def test_the_runner_shuts_down_a_running_procedure() -> None:
    session = offline()
    runner = session.store(ProcedureRunner)

    async def forever(ctx: StepContext) -> str:
        await asyncio.sleep(60)
        return "never"

    task = runner.start(Procedure("long", [Step("wait", forever)]))
    await asyncio.sleep(0)
    await runner.shutdown()
    assert task.cancelled() and not runner.busy
    assert runner.last is not None and runner.last.outcome is ProcedureOutcome.CANCELLED
    await runner.shutdown()  # nothing left: no-op
