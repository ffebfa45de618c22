"""The enabled-faults mask: uint64 edits, bypass rules, the draft editor and its rules."""

from __future__ import annotations

from typing import Any

import pytest

from m2gui.model import load_catalogue
from m2gui.model.ops.fault_mask import (
    STANDARD_BYPASS,
    UINT64_MAX,
    bypass,
    bypassed_codes,
    default_mask,
    describe_change,
    mask_bits,
    mask_hex,
    mask_problem,
    parse_mask,
    set_code,
)
from m2gui.model.ops.fault_mask_editor import (
    APPLY_RULES,
    FaultMaskEditor,
    draft_applicable,
    mask_in_diagnostic,
)
from m2gui.model.ops.faults_table import fault_table
from m2gui.model.ops.local_mode import Local, LocalMode
from m2gui.model.procedures.runner import no_procedure_running
from m2gui.model.session import Session
from m2gui.net import Received

CAT = load_catalogue()
TABLE = fault_table(CAT)
DEFAULT = 0xFF800007FFFFFFFF
#: The mask the incumbent sends on entering Diagnostic: default minus 1000-1002 and 6052.
DIAGNOSTIC_MASK = DEFAULT & ~(0b111 | 1 << 34)


def make_session() -> Session:
    return Session("127.0.0.1", 1, 2, reconnect=False, history=5)


def event(session: Session, name: str, **fields: Any) -> None:
    session.events.on_event(Received(name, {"id": name, **fields}, 1.0, "command"))


# ----------------------------------------------------------------------
# Pure mask arithmetic
# ----------------------------------------------------------------------
def test_default_mask_and_its_display() -> None:
    assert default_mask(CAT) == DEFAULT == 18410715311050326015
    assert mask_hex(DEFAULT) == "0xFF800007FFFFFFFF"
    assert mask_hex(1) == "0x0000000000000001"
    assert mask_bits(DEFAULT) == (
        "11111111 10000000 00000000 00000111 11111111 11111111 11111111 11111111"
    )
    assert mask_bits(1 << 63).startswith("10000000 ") and mask_bits(1 << 63).endswith(" 00000000")


def test_edits_are_exact_on_bit_63() -> None:
    # bit 63 (6087): a double would lose it; int64 would make the mask negative
    mask = set_code(DEFAULT, TABLE, 6087, False)
    assert mask == 0x7F800007FFFFFFFF
    assert set_code(mask, TABLE, 6087, True) == DEFAULT
    assert set_code(UINT64_MAX, TABLE, 6087, False) == 2**63 - 1
    assert set_code(0, TABLE, 6087, True) == 2**63
    # bit 0 and the largest values stay in range
    assert set_code(UINT64_MAX, TABLE, 1000, False) == UINT64_MAX - 1
    assert all(0 <= set_code(UINT64_MAX, TABLE, r.code, False) < 2**64 for r in TABLE)
    with pytest.raises(KeyError):
        set_code(DEFAULT, TABLE, 4242, False)


def test_bypass_clears_the_selected_codes_and_the_standard_ones() -> None:
    assert STANDARD_BYPASS == (1000, 1001, 1002, 6052)
    # from the default mask, bypassing 6055 (bit 4) and 6087 (bit 63)
    new = bypass(DEFAULT, TABLE, [6055, 6087])
    assert new == DEFAULT & ~(0b111 | 1 << 34 | 1 << 4 | 1 << 63)
    assert [r.code for r in bypassed_codes(new, DEFAULT, TABLE)] == [6052, 6055, 6087]
    # bypassing nothing more gives the incumbent's Diagnostic mask
    assert bypass(DEFAULT, TABLE, []) == DIAGNOSTIC_MASK
    # bypassing again only removes bits: never sets one
    assert bypass(new, TABLE, [6055]) == new
    # reserved codes are never listed as bypassed; extra enabled bits are not bypassed
    assert bypassed_codes(UINT64_MAX, DEFAULT, TABLE) == []
    assert [r.code for r in bypassed_codes(0, DEFAULT, TABLE)] == sorted(
        r.code for r in TABLE.alarms
    )


def test_a_zero_mask_is_never_sent() -> None:
    assert mask_problem(DEFAULT) is None
    assert mask_problem(1) is None
    assert mask_problem(UINT64_MAX) is None
    assert "never sent" in (mask_problem(0) or "")
    for bad in (-1, 2**64, 1.0, True, None, "0x1"):
        assert "unsigned 64-bit" in (mask_problem(bad) or ""), bad


def test_parse_mask_reads_hex_and_decimal_exactly() -> None:
    assert parse_mask("0xFF800007FFFFFFFF") == DEFAULT
    assert parse_mask(" 0xff80_0007_ffff_ffff ") == DEFAULT
    assert parse_mask("18410715311050326015") == DEFAULT
    assert parse_mask("0xFFFFFFFFFFFFFFFF") == UINT64_MAX
    assert parse_mask("0") == 0  # a draft may be 0; it is never sent
    for text, reason in (
        ("", "empty"),
        ("0x1_0000_0000_0000_0000", "64 bits"),
        ("-5", "64 bits"),
        ("0xZZ", "not a hex"),
        ("1e3", "not a hex"),
    ):
        with pytest.raises(ValueError, match=reason):
            parse_mask(text)


def test_describe_change_lists_what_stops_and_starts_reporting() -> None:
    change = describe_change(DEFAULT, bypass(DEFAULT, TABLE, [6055]), DEFAULT, TABLE)
    assert [r.code for r in change.disables] == [1000, 1001, 1002, 6055, 6052]
    assert change.enables == ()
    text = change.text()
    assert "0xFF800007FFFFFFFF -> 0xFF800003FFFFFFE8" in text
    assert "Stops reporting: 6052 Monitoring ILC Read Error, 6055 Excessive Force" in text
    assert "1000" not in text  # reserved codes are not worth a word
    back = describe_change(change.new, DEFAULT, DEFAULT, TABLE)
    assert [r.code for r in back.enables if not r.reserved] == [6055, 6052]
    assert "Bypassed once sent: none" in back.text()
    assert (
        describe_change(None, DEFAULT, DEFAULT, TABLE)
        .text()
        .startswith("Enabled faults mask unknown ->")
    )


# ----------------------------------------------------------------------
# The draft editor
# ----------------------------------------------------------------------
def test_editor_follows_the_controller_until_edited() -> None:
    session = make_session()
    editor = session.store(FaultMaskEditor)
    drafts: list[object] = []
    editor.changed.connect(drafts.append)
    assert editor.draft is None and "not reported" in (editor.problem() or "")
    with pytest.raises(ValueError, match="not reported"):
        editor.set_enabled(6055, False)
    event(session, "enabledFaultsMask", mask=DEFAULT)
    assert editor.draft == DEFAULT and not editor.edited
    assert "the draft is the controller's mask" in (editor.problem() or "")
    event(session, "enabledFaultsMask", mask=DIAGNOSTIC_MASK)  # not edited: follows
    assert editor.draft == DIAGNOSTIC_MASK
    editor.set_enabled(6055, False)  # edited: stays
    edited = DIAGNOSTIC_MASK & ~(1 << 4)
    assert editor.draft == edited and editor.edited and editor.problem() is None
    assert editor.params() == {"mask": edited}
    event(session, "enabledFaultsMask", mask=DEFAULT)
    assert editor.draft == edited
    event(session, "enabledFaultsMask", mask=edited)  # the controller took it: clean
    assert editor.draft == edited and not editor.edited
    event(session, "enabledFaultsMask", mask=DEFAULT)  # and follows again
    assert editor.draft == DEFAULT
    assert drafts[-1] == DEFAULT


def test_editor_bypass_reset_revert_and_typed_masks() -> None:
    session = make_session()
    editor = session.store(FaultMaskEditor)
    event(session, "enabledFaultsMask", mask=DEFAULT)
    with pytest.raises(ValueError, match="select"):
        editor.bypass([])
    with pytest.raises(ValueError, match="select"):
        editor.bypass([1040])  # reserved codes alone are not a selection
    editor.bypass([6087, 6060])
    assert editor.draft == DEFAULT & ~(0b111 | 1 << 34 | 1 << 63 | 1 << 33)
    change = editor.change()
    assert change is not None and [r.code for r in change.bypassed_after] == [6052, 6060, 6087]
    editor.reset_to_default()
    assert editor.draft == DEFAULT and not editor.edited
    editor.set_text("0x1")
    assert editor.draft == 1
    with pytest.raises(ValueError):
        editor.set_text("0x1_0000_0000_0000_0000")
    assert editor.draft == 1  # a bad text leaves the draft alone
    editor.set_text("0")
    assert "never sent" in (editor.problem() or "")
    with pytest.raises(ValueError, match="never sent"):
        editor.params()
    editor.revert()
    assert editor.draft == DEFAULT
    with pytest.raises(ValueError):
        editor.set_draft(-1)


# ----------------------------------------------------------------------
# The rules of Apply
# ----------------------------------------------------------------------
def test_apply_needs_diagnostic_and_a_sendable_changed_draft() -> None:
    session = make_session()
    editor = session.store(FaultMaskEditor)
    assert (mask_in_diagnostic, no_procedure_running, draft_applicable) == APPLY_RULES
    # the local mode is the sequencer's (GUI-side, Standby at start)
    local = session.store(LocalMode)
    assert mask_in_diagnostic(session) == (
        "the enabled-faults mask can only be changed in Diagnostic local mode (it is Standby)"
    )
    local.mode = Local.DIAGNOSTIC  # as a successful Standby -> Diagnostic leaves it
    assert mask_in_diagnostic(session) is None
    local.mode = Local.ENABLE
    assert "(it is Enable)" in (mask_in_diagnostic(session) or "")
    # the reader can be pointed elsewhere
    editor.local_mode = lambda s: "Diagnostic"
    assert mask_in_diagnostic(session) is None
    editor.local_mode = lambda s: None
    assert "(it is unknown)" in (mask_in_diagnostic(session) or "")

    assert "not reported" in (draft_applicable(session) or "")
    event(session, "enabledFaultsMask", mask=DEFAULT)
    assert "controller's mask" in (draft_applicable(session) or "")
    editor.set_enabled(6087, False)
    assert draft_applicable(session) is None
    editor.set_draft(0)
    assert "never sent" in (draft_applicable(session) or "")
    # the rules plug into the session's blocked_reason after link and command source
    assert session.blocked_reason("setEnabledFaultsMask", *APPLY_RULES) == (
        "not connected to the controller"
    )
