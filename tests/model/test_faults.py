"""FaultLog: the fault-bit table, active / latched / clear, counts, times, the timeline."""

from __future__ import annotations

import time
from typing import Any

import pytest

from m2gui.model import load_catalogue
from m2gui.model.ops.faults import FaultChange, FaultLog, FaultState
from m2gui.model.ops.faults_table import FAULT, RESERVED, WARNING, FaultTable, fault_table
from m2gui.model.ops.faults_timeline import Bar, Timeline, Transition
from m2gui.model.session import Session
from m2gui.net import CommandRecord, Outcome, Received

CAT = load_catalogue()

#: m2-protocol.md section 6.7, written out independently of the catalogue:
#: bit -> (code, class).
F, W, R = FAULT, WARNING, RESERVED
EXPECTED: dict[int, tuple[int, str]] = {
    0: (1000, R), 1: (1001, R), 2: (1002, R),
    3: (6051, F), 4: (6055, F), 5: (6057, W), 6: (6056, F), 7: (6058, F), 8: (6059, W),
    9: (6061, F), 10: (6062, W), 11: (6063, F), 12: (6064, W), 13: (6065, F), 14: (6066, F),
    15: (6067, F), 16: (6068, F), 17: (6069, F), 18: (6070, F), 19: (6071, W), 20: (6072, F),
    21: (6078, W), 22: (6079, F), 23: (6080, F), 24: (6081, W), 25: (6082, W), 26: (6083, F),
    27: (6084, F),
    28: (1028, R), 29: (1029, R), 30: (1030, R), 31: (1031, R),
    32: (6088, F), 33: (6060, F), 34: (6052, W),
    **{bit: (1000 + bit, R) for bit in range(35, 55)},
    55: (6077, F), 56: (6054, F), 57: (6053, F), 58: (6086, W), 59: (6085, F), 60: (6075, W),
    61: (6073, F), 62: (6074, W), 63: (6087, F),
}  # fmt: skip


def make_session() -> Session:
    return Session("127.0.0.1", 1, 2, reconnect=False, history=5)


def event(session: Session, name: str, t: float, **fields: Any) -> None:
    session.events.on_event(Received(name, {"id": name, **fields}, t, "command"))


def status(session: Session, t: float, *codes: int) -> None:
    table = fault_table(session.catalogue)
    event(session, "summaryFaultsStatus", t, status=table.codes_value(codes))


def clear_errors(session: Session, outcome: Outcome = Outcome.SUCCESS) -> CommandRecord:
    """A clearErrors going through the history as the connection reports it."""
    record = CommandRecord("clearErrors", {}, 1, time.time(), time.monotonic())
    session.history.on_record(record)  # appended: sent
    record.outcome = Outcome.ACK
    session.history.on_record(record)
    record.outcome = outcome
    record.t_done = record.t_sent + 0.01
    session.history.on_record(record)  # the final reply
    session.history.on_record(record)  # a later update of the same record
    return record


# ----------------------------------------------------------------------
# The table
# ----------------------------------------------------------------------
def test_each_fault_bit_maps_to_its_code_and_class() -> None:
    table = fault_table(CAT)
    assert len(table) == 64
    for bit, (code, kind) in EXPECTED.items():
        row = table.bit(bit)
        assert (row.code, row.kind) == (code, kind), bit
        assert table.code(code) is row
        assert row.value == 1 << bit
    # every fault and warning has its controller summary and a cause
    for row in table.alarms:
        assert row.summary and not row.summary.startswith("Code "), row.code
        assert row.cause
    assert table.code(6053).summary == "cRIO Communication Error"
    assert table.code(6057).class_word == "Warning"
    assert table.code(6087).class_word == "Fault"
    assert [r.code for r in table.alarms] == sorted(c for c, k in EXPECTED.values() if k != R)


def test_decode_is_exact_on_all_64_bits() -> None:
    table = fault_table(CAT)
    word = (1 << 63) | (1 << 57) | (1 << 34) | 1
    assert [r.code for r in table.decode(word)] == [1000, 6052, 6053, 6087]
    assert table.codes_value([6087, 6053, 6052, 1000]) == word
    assert table.decode(2**64 - 1)[-1].code == 6087
    with pytest.raises(KeyError, match="not a code"):
        table.code(1234)


def test_a_broken_catalogue_table_is_refused() -> None:
    raw = dict(CAT.raw)
    raw["fault_bits"] = [r for r in CAT.raw["fault_bits"] if r["bit"] != 5]
    with pytest.raises(ValueError, match="bits 0-63"):
        FaultTable(type(CAT)(raw))


# ----------------------------------------------------------------------
# States, counts, first and last seen
# ----------------------------------------------------------------------
def test_active_latched_clear_through_a_sequence_of_status_events() -> None:
    session = make_session()
    faults = session.store(FaultLog)
    assert session.store(FaultLog) is faults
    changes: list[FaultChange] = []
    faults.changed.connect(changes.append)
    assert all(e.state is FaultState.CLEAR for e in faults.entries.values())

    status(session, 100.0, 6053)  # the controller's fault at start
    e6053 = faults.entry(6053)
    assert e6053.state is FaultState.ACTIVE
    assert (e6053.count, e6053.first_seen, e6053.last_seen) == (1, 100.0, 100.0)
    assert changes[-1].rose == (6053,) and changes[-1].fell == ()

    status(session, 101.0, 6053, 6052)  # a warning joins; 6053 reported again
    assert faults.entry(6052).state is FaultState.ACTIVE
    assert e6053.count == 1 and e6053.last_seen == 101.0 and e6053.first_seen == 100.0
    assert faults.counts() == {"faults": 1, "warnings": 1, "other": 0, "latched": 0}

    status(session, 102.0, 6052)  # 6053 drops: latched, not clear
    assert e6053.state is FaultState.LATCHED
    assert e6053.last_seen == 102.0  # last known set until it fell
    assert changes[-1].fell == (6053,)

    status(session, 103.0, 6052, 6053)  # rises again
    assert e6053.state is FaultState.ACTIVE and e6053.count == 2
    assert e6053.first_seen == 100.0 and e6053.last_rise == 103.0

    status(session, 104.0)  # everything drops
    assert faults.in_state(FaultState.LATCHED) == [faults.entry(6052), e6053]
    assert faults.active_codes == []
    assert faults.entry(6051).state is FaultState.CLEAR
    assert faults.entry(6051).first_seen is None and faults.entry(6051).count == 0


def test_a_successful_clear_errors_resets_the_latches_once() -> None:
    session = make_session()
    faults = session.store(FaultLog)
    changes: list[FaultChange] = []
    faults.changed.connect(changes.append)
    status(session, 1.0, 6055, 6071)
    status(session, 2.0, 6071)  # 6055 latched, 6071 still active
    clear_errors(session)
    assert faults.resets == 1  # one success, however many updates of the record
    assert [c.reset for c in changes].count(True) == 1
    assert faults.entry(6055).state is FaultState.CLEAR
    assert faults.entry(6071).state is FaultState.ACTIVE  # still set: stays active
    # counts and first seen survive the reset (they count since m2gui started)
    assert faults.entry(6055).count == 1 and faults.entry(6055).first_seen == 1.0
    status(session, 3.0)  # 6071 falls after the reset: it was set since, so latched
    assert faults.entry(6071).state is FaultState.LATCHED


def test_a_failed_clear_errors_does_not_reset() -> None:
    session = make_session()
    faults = session.store(FaultLog)
    status(session, 1.0, 6055)
    status(session, 2.0)
    clear_errors(session, Outcome.FAIL)
    clear_errors(session, Outcome.TIMEOUT)
    assert faults.resets == 0
    assert faults.entry(6055).state is FaultState.LATCHED


def test_the_clear_errors_sequence_as_the_controller_sends_it() -> None:
    """clearErrors: summaryFaultsStatus{0} arrives before the success reply."""
    session = make_session()
    faults = session.store(FaultLog)
    status(session, 1.0, 6053)
    status(session, 2.0)  # the controller's own event during clearErrors
    assert faults.entry(6053).state is FaultState.LATCHED  # until the success
    clear_errors(session)
    assert faults.entry(6053).state is FaultState.CLEAR


def test_mask_enabled_and_bypassed_per_code() -> None:
    session = make_session()
    faults = session.store(FaultLog)
    assert faults.entry(6052).enabled is None and faults.bypassed == []
    default = 0xFF800007FFFFFFFF
    diagnostic = default & ~((1 << 0) | (1 << 1) | (1 << 2) | (1 << 34))
    event(session, "enabledFaultsMask", 5.0, mask=diagnostic)
    assert faults.mask == diagnostic
    assert faults.entry(6052).enabled is False and faults.entry(6052).bypassed
    assert faults.entry(1000).bypassed  # reserved: bypassed, but not listed
    assert [r.code for r in faults.bypassed] == [6052]
    assert faults.entry(1040).enabled is False and not faults.entry(1040).bypassed
    assert faults.entry(6087).enabled is True  # bit 63, exact
    event(session, "enabledFaultsMask", 6.0, mask=default)
    assert faults.bypassed == [] and faults.entry(6087).enabled


def test_status_and_mask_already_received_are_read_at_creation() -> None:
    session = make_session()
    status(session, 1.0, 6087)
    event(session, "enabledFaultsMask", 1.0, mask=2**64 - 1)
    faults = session.store(FaultLog)
    assert faults.active_codes == [6087] and faults.entry(6087).count == 1
    assert faults.mask == 2**64 - 1


@pytest.mark.parametrize("bad", [-1, 2**64, 1.5, "0x10", True, None, [1]])
def test_values_that_are_not_uint64_are_ignored_and_counted(bad: Any) -> None:
    session = make_session()
    faults = session.store(FaultLog)
    status(session, 1.0, 6053)
    event(session, "summaryFaultsStatus", 2.0, status=bad)
    event(session, "enabledFaultsMask", 2.0, mask=bad)
    assert faults.bad_values == 2
    assert faults.active_codes == [6053] and faults.mask is None


def test_legacy_error_code_counts_and_latches() -> None:
    session = make_session()
    faults = session.store(FaultLog)
    event(session, "errorCode", 7.0, errorCode=6060)
    entry = faults.entry(6060)
    assert entry.state is FaultState.LATCHED and entry.count == 1 and entry.first_seen == 7.0
    event(session, "errorCode", 8.0, errorCode=99)  # not a code: counted, ignored
    assert faults.bad_values == 1


# ----------------------------------------------------------------------
# The timeline
# ----------------------------------------------------------------------
def test_timeline_records_rises_and_falls_with_their_times() -> None:
    session = make_session()
    faults = session.store(FaultLog)
    status(session, 10.0, 6053)
    status(session, 11.0, 6053, 6052)
    status(session, 12.0, 6052)
    assert list(faults.timeline.transitions) == [
        Transition(10.0, 6053, True),
        Transition(11.0, 6052, True),
        Transition(12.0, 6053, False),
    ]
    assert faults.timeline.bars(faults.active_codes) == [
        Bar(6053, 10.0, 12.0),
        Bar(6052, 11.0, None),
    ]


def test_timeline_is_bounded_and_bars_survive_dropped_rises() -> None:
    session = make_session()
    faults = FaultLog(session, timeline=4)
    status(session, 1.0, 6055)  # rise of 6055: will be dropped
    for i in range(5):  # 6071 flaps
        status(session, 2.0 + i, 6055, *([6071] if i % 2 == 0 else []))
    assert len(faults.timeline) == 4 and faults.timeline.dropped == 2
    assert faults.entry(6071).count == 3
    bars = faults.timeline.bars(faults.active_codes)
    # 6055 is still set but its rise is gone: an open bar clipped at the oldest time kept
    assert bars[-1] == Bar(6055, faults.timeline.start or 0.0, None, clipped=True)
    assert Bar(6071, 4.0, 5.0) in bars and Bar(6071, 6.0, None) in bars
    for _ in range(1000):
        status(session, 20.0, 6051)
        status(session, 21.0)
    assert len(faults.timeline) == 4  # whatever the controller sends


def test_timeline_bars_for_a_fall_whose_rise_was_dropped() -> None:
    timeline = Timeline(2)
    timeline.add(
        [Transition(1.0, 6051, True), Transition(2.0, 6052, True), Transition(3.0, 6051, False)]
    )
    assert timeline.bars([6052]) == [Bar(6051, 2.0, 3.0, clipped=True), Bar(6052, 2.0, None)]
    with pytest.raises(ValueError):
        Timeline(0)
    assert Timeline().bars([6053]) == []
