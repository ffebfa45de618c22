"""Sequence ids against controllers that remember them (C++) or check them (spec)."""

from __future__ import annotations

import asyncio

import pytest

from m2gui.net import CommandRejected, ControllerConnection, Outcome
from m2gui.net.sequence import PeekableIds, high_water_mark

from .scripted_peer import ScriptedController

pytestmark = pytest.mark.timeout(20)


def connect(peer: ScriptedController) -> ControllerConnection:
    return ControllerConnection(
        "127.0.0.1",
        peer.command_port,
        peer.telemetry_port,
        backoff_initial=0.05,
        backoff_max=0.2,
        known_events={"summaryState"},
        known_telemetry={"powerStatus", "netForcesTotal"},
    )


def test_high_water_mark_is_read_from_the_cpp_text() -> None:
    text = "Bad sequence_id 1 cmd_switchCommandSource previous sequence_id was 4"
    assert high_water_mark(text) == 4
    assert high_water_mark("Original command not found cmd_x") is None
    assert high_water_mark(None) is None
    assert high_water_mark(["Bad sequence_id 1 previous sequence_id was 4"]) is None


def test_peekable_ids_resync() -> None:
    ids = PeekableIds()
    assert ids.peek() == 1
    assert next(ids) == 1
    ids.resync(41)
    assert ids.peek() == 41
    assert next(ids) == 41
    assert next(ids) == 42
    ids.resync(2**31)  # beyond the id range wraps to 1
    assert next(ids) == 1


async def test_second_gui_run_against_a_cpp_controller_gets_its_commands_through() -> None:
    async with ScriptedController("cpp") as peer:
        first = connect(peer)
        first.start()
        await first.wait_connected(5)
        for _ in range(4):
            assert (await first.command("clearErrors", timeout=2)).outcome is Outcome.SUCCESS
        await first.close()
        assert peer.high_water == 4

        # A new GUI process starts its ids at 1 again.
        second = connect(peer)
        second.start()
        await second.wait_connected(5)
        outcomes = []
        for _ in range(4):
            record = await second.command("clearErrors", timeout=2)
            outcomes.append(record.outcome)
        assert outcomes == [Outcome.SUCCESS] * 4
        assert second.resyncs == 1
        assert [m["sequence_id"] for m in peer.received[4:]] == [1, 5, 6, 7, 8]
        # The C++ controller's fail after the noack is a late reply, not
        # mistaken for the next command's outcome.
        assert second.late_replies == 1
        await second.close()


async def test_other_noacks_are_never_resent() -> None:
    async with ScriptedController("cpp") as peer:
        conn = connect(peer)
        conn.start()
        await conn.wait_connected(5)
        with pytest.raises(CommandRejected, match="Original command not found"):
            await conn.command("noSuchCommand", timeout=2)
        assert len(peer.received) == 1
        assert conn.resyncs == 0
        # Its fail arrives after the noack ended it: ignored and counted.
        assert (await conn.command("clearErrors", timeout=2)).outcome is Outcome.SUCCESS
        assert conn.late_replies == 1
        await conn.close()


async def test_a_command_is_resent_once_at_most() -> None:
    async with ScriptedController("cpp") as peer:
        conn = connect(peer)
        conn.start()
        await conn.wait_connected(5)
        original = peer._replies

        def always_refuse(message: dict) -> list[dict]:
            # another client always got there first
            peer.high_water = message["sequence_id"] + 5
            return original(message)

        peer._replies = always_refuse  # type: ignore[method-assign]
        with pytest.raises(CommandRejected, match="Bad sequence_id") as info:
            await conn.command("clearErrors", timeout=2)
        assert info.value.record.resends == 1
        assert info.value.record.outcome is Outcome.NOACK
        assert len(peer.received) == 2
        await conn.close()


async def test_spec_controller_noack_with_expected_id_resyncs() -> None:
    async with ScriptedController("spec") as peer:
        conn = connect(peer)
        conn.start()
        await conn.wait_connected(5)
        assert (await conn.command("clearErrors", timeout=2)).outcome is Outcome.SUCCESS
        conn._ids.resync(7)  # as after a restart of the GUI against a running controller
        record = await conn.command("clearErrors", timeout=2)
        assert record.outcome is Outcome.SUCCESS
        assert record.sequence_id == 2
        assert [m["sequence_id"] for m in peer.received] == [1, 7, 2]
        assert (await conn.command("clearErrors", timeout=2)).sequence_id == 3
        await conn.close()


async def test_telemetry_on_the_command_port_is_delivered_as_telemetry() -> None:
    async with ScriptedController("cpp") as peer:
        conn = connect(peer)
        seen = []
        conn.subscribe(seen.append, kind="telemetry")
        conn.start()
        await conn.wait_connected(5)
        await peer.send(b'{"id":"netForcesTotal","fx":1.5,"fy":0.0,"fz":0.0}\r\n')
        await peer.send(b'{"id":"summaryState","summaryState":5}\r\n')
        # the event after it proves the telemetry line has been processed
        while "summaryState" not in conn.latest_events:
            await asyncio.sleep(0.01)
        assert conn.latest_telemetry["netForcesTotal"].message["fx"] == 1.5
        assert "netForcesTotal" not in conn.latest_events
        assert any(r.name == "netForcesTotal" for r in seen)
        assert conn.port_stats("command").unknown_ids == 0
        await conn.close()


async def test_spec_noack_refuses_the_oldest_of_two_in_flight() -> None:
    """A (wrong id) and B (the expected id) in flight: A is resent after B."""
    async with ScriptedController("spec") as peer:
        conn = connect(peer)
        conn.start()
        await conn.wait_connected(5)
        assert (await conn.command("clearErrors", timeout=2)).sequence_id == 1
        conn._ids.resync(5)  # A: a wrong id (the controller expects 2)
        first = asyncio.create_task(conn.command("clearErrors", timeout=2))
        await asyncio.sleep(0)  # A is written
        conn._ids.resync(2)  # B: the expected id
        second = asyncio.create_task(conn.command("clearErrors", timeout=2))
        a, b = await asyncio.gather(first, second)
        assert a.outcome is b.outcome is Outcome.SUCCESS
        assert b.resends == 0 and a.resends == 1
        assert (b.sequence_id, a.sequence_id) == (2, 3)
        assert conn.late_replies == 0
        await conn.close()


async def test_no_resend_when_too_little_time_is_left() -> None:
    async with ScriptedController("cpp") as peer:
        peer.high_water = 100
        conn = connect(peer)
        conn.start()
        await conn.wait_connected(5)
        with pytest.raises(CommandRejected, match="too little time"):
            await conn.command("clearErrors", timeout=0.15)
        assert len(peer.received) == 1
        # with time enough, it is resent and succeeds
        record = await conn.command("clearErrors", timeout=2)
        assert record.outcome is Outcome.SUCCESS
        await conn.close()
