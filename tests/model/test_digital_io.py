"""Digital outputs and inputs: names from the catalogue, decoding, the incumbent's polarity."""

from __future__ import annotations

import pytest

from m2gui.model import load_catalogue
from m2gui.model.ops.digital_io import (
    BREAKER_OK_BIT,
    Bit,
    InputKind,
    decode_bits,
    digital_inputs,
    digital_outputs,
    input_lamp,
    output_advice,
    output_lamp,
    switch_output_params,
)
from m2gui.model.ops.overview_lamps import Level

CAT = load_catalogue()
POWERED_OFF, RESETTING, POWERED_ON = (
    CAT.enums["PowerSystemState"][name] for name in ("PoweredOff", "ResettingBreakers", "PoweredOn")
)
OUTPUTS = digital_outputs(CAT)
INPUTS = digital_inputs(CAT)


def test_the_eight_outputs_are_named_from_the_catalogue_in_bit_order() -> None:
    assert [b.label for b in OUTPUTS] == [
        "Motor Power",
        "Communication Power",
        "Interlock Enable",
        "Reset Motor Breakers",
        "Reset Communication Breakers",
        "Closed Loop Control",
        "Spare Output 6",
        "Spare Output 7",
    ]
    assert [b.tag for b in OUTPUTS] == [f"D{i}" for i in range(8)]
    assert [b.value for b in OUTPUTS] == [1, 2, 4, 8, 16, 32, 64, 128]
    assert [b.value for b in OUTPUTS] == sorted(CAT.bitfields["DigitalOutput"].values())


def test_the_32_inputs_are_named_and_classified() -> None:
    assert len(INPUTS) == 32
    assert [b.index for b in INPUTS] == list(range(32))
    labels = {b.index: b.label for b in INPUTS}
    assert labels[0] == "Redundancy OK"
    assert labels[2] == "Power Supply DC #2 OK"
    assert labels[5] == "Power Supply Current #1 OK"
    assert labels[6] == "J1-W9-1 Motor Power Breaker"
    assert labels[14] == "J3-W11-3 Motor Power Breaker"
    assert labels[15] == "J1-W12-1 Communication Power Breaker"
    assert labels[16] == "Spare Input 16"
    assert labels[24] == "J1-W12-2 Communication Power Breaker"
    assert labels[28] == "J3-W14-2 Communication Power Breaker"
    assert labels[31] == "Interlock Power Relay"
    kinds = {k: [b.index for b in INPUTS if b.kind is k] for k in InputKind}
    assert kinds[InputKind.STATUS] == list(range(6))
    assert kinds[InputKind.BREAKER] == [*range(6, 16), *range(24, 29)]
    assert kinds[InputKind.SPARE] == [*range(16, 24), 29, 30]
    assert kinds[InputKind.RELAY] == [31]
    assert INPUTS[24].short_label == "J1-W12-2 Comm Breaker"


def test_a_breaker_bit_of_0_is_closed_and_1_open() -> None:
    assert BREAKER_OK_BIT == 0
    breaker = INPUTS[6]  # J1-W9-1, motor feed
    assert breaker.feed == "Motor" and INPUTS[24].feed == "Communication"
    assert INPUTS[0].feed is None
    closed = input_lamp(breaker, False, True, POWERED_ON)
    assert (closed.level, closed.word) == (Level.OK, "OK")
    tripped = input_lamp(breaker, True, True, POWERED_ON)
    assert (tripped.level, tripped.word) == (Level.ERROR, "TRIPPED")
    assert "Unverified on hardware" in tripped.detail
    assert "names the opposite (triggered when 0)" in tripped.detail
    resetting = input_lamp(breaker, True, True, RESETTING)
    assert (resetting.level, resetting.word) == (Level.WARNING, "RESETTING")
    unpowered = input_lamp(breaker, True, False, POWERED_OFF)
    assert (unpowered.level, unpowered.word) == (Level.OFF, "OPEN")


def test_the_relay_is_on_when_its_bit_is_0_and_status_bits_ok_when_1() -> None:
    relay = INPUTS[31]
    assert (input_lamp(relay, False).level, input_lamp(relay, False).word) == (Level.OK, "ON")
    off = input_lamp(relay, True)
    assert (off.level, off.word) == (Level.ERROR, "OFF")
    assert "interlock engaged" in off.detail
    status = INPUTS[0]
    assert (input_lamp(status, True).level, input_lamp(status, True).word) == (Level.OK, "OK")
    assert input_lamp(status, False).word == "NOT OK"
    assert input_lamp(status, False).level is Level.ERROR
    spare = input_lamp(INPUTS[16], True)
    assert (spare.level, spare.word) == (Level.OFF, "1")
    assert input_lamp(INPUTS[6], None).level is Level.UNKNOWN


def test_the_reference_values_read_as_the_incumbent_shows_them() -> None:
    """No power: every breaker open; a powered feed's breakers closed; the relay on with motor."""
    values = CAT.constants["DIGITAL_INPUT_VALUES"]
    breakers = [b for b in INPUTS if b.kind is InputKind.BREAKER]
    comm = [b for b in breakers if b.feed == "Communication"]
    motor = [b for b in breakers if b.feed == "Motor"]
    assert (len(comm), len(motor)) == (6, 9)

    def words(value: int, bits: list[Bit], on: bool) -> set[str]:
        decoded = decode_bits(value, 32)
        assert decoded is not None
        state = POWERED_ON if on else POWERED_OFF
        return {input_lamp(b, decoded[b.index], on, state).word for b in bits}

    assert words(values["no_power"], breakers, False) == {"OPEN"}
    assert words(values["comm"], comm, True) == {"OK"}
    assert words(values["comm"], motor, False) == {"OPEN"}
    assert words(values["comm_motor"], breakers, True) == {"OK"}
    # the incumbent model's reading (triggered when 0) would call these tripped
    decoded = decode_bits(values["comm_motor"], 32)
    assert decoded is not None and not any(decoded[b.index] for b in breakers)
    assert input_lamp(INPUTS[31], decoded[31]).word == "ON"
    assert words(values["no_power"], [INPUTS[31]], False) == {"OFF"}


def test_output_lamps() -> None:
    assert (output_lamp(OUTPUTS[0], True).level, output_lamp(OUTPUTS[0], True).word) == (
        Level.OK,
        "ON",
    )
    assert output_lamp(OUTPUTS[0], False).word == "OFF"
    assert output_lamp(OUTPUTS[0], False).level is Level.OFF
    assert output_lamp(OUTPUTS[2], None).level is Level.UNKNOWN
    assert "value 4" in output_lamp(OUTPUTS[2], True).detail


@pytest.mark.parametrize(
    ("value", "width", "expected"),
    [
        (0x1C, 8, [False, False, True, True, True, False, False, False]),
        (0, 8, [False] * 8),
        (255, 8, [True] * 8),
        (256, 8, None),
        (-1, 8, None),
        (True, 8, None),
        (3.0, 8, None),
        ("7", 8, None),
        (None, 8, None),
        (2**32 - 1, 32, [True] * 32),
        (2**32, 32, None),
    ],
)
def test_decode_bits(value: object, width: int, expected: list[bool] | None) -> None:
    assert decode_bits(value, width) == expected


def test_toggle_sends_what_the_incumbent_sends_for_every_output() -> None:
    toggle = CAT.enums["DigitalOutputStatus"]["ToggleBit"]
    for index, bit in enumerate(OUTPUTS):
        params = switch_output_params(CAT, bit)
        assert params == {"bit": 2**index, "status": toggle}
        assert CAT.validate_command("switchDigitalOutput", params) == params


def test_guide_advice_on_power_order() -> None:
    motor, comm = OUTPUTS[0], OUTPUTS[1]
    off = [False] * 8
    assert "communication power on before motor" in (output_advice(CAT, motor, off) or "")
    comm_on = [False, True, *[False] * 6]
    assert output_advice(CAT, motor, comm_on) is None
    both = [True, True, *[False] * 6]
    assert "motor power off before communication" in (output_advice(CAT, comm, both) or "")
    assert output_advice(CAT, comm, comm_on) is None
    assert output_advice(CAT, OUTPUTS[2], both) is None
    assert output_advice(CAT, motor, None) is None
