"""The 84 inner-loop controllers (ILCs): their modes, which are bypassed, and their colours.

Addresses are 0-based (0-71 axial actuators, 72-77 tangent links, 78-83
sensors); engineers know them by ModBUS id, which is the address plus one.
A mode comes from the ``innerLoopControlMode`` event of that address; a mode
not received since the last reset is None (the incumbent's NaN) and shows
like Unknown.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from psygnal import Signal

from m2gui.model.geometry import load_geometry

if TYPE_CHECKING:
    from m2gui.model.session import Session

__all__ = [
    "ENABLED",
    "FAULT",
    "ILC_EVENT",
    "N_ACTUATOR_ILC",
    "N_ILC",
    "STANDBY",
    "UNKNOWN",
    "IlcLook",
    "IlcStates",
    "ilc_device",
    "ilc_group",
    "ilc_look",
    "modbus_id",
]

log = logging.getLogger(__name__)

#: ILCs on the cell, and how many drive actuators (the rest are sensors).
N_ILC = 84
N_ACTUATOR_ILC = 78
N_AXIAL_ILC = 72
ILC_EVENT = "innerLoopControlMode"
BYPASS_EVENT = "bypassedActuatorILCs"

# InnerLoopControlMode values (catalogue enum).
STANDBY, DISABLED, ENABLED, FIRMWARE_UPDATE, FAULT, CLEAR_FAULTS, NO_CHANGE, UNKNOWN = range(1, 9)

#: What the sensor ILCs read (cell-geometry.json ``ilc_address_map``, ModBUS 79-84).
SENSOR_DEVICES = (
    "temperature sensors LG2-1..4",
    "temperature sensors Intake#1, Exhaust#1, Exhaust#2, Intake#2",
    "temperature sensors LG4-1..4",
    "temperature sensors LG3-1..4",
    "displacement sensors (IMS)",
    "inclinometer",
)


@dataclass(frozen=True)
class IlcLook:
    """How one ILC mode is drawn: the colour, the text colour on it, and the word."""

    color: str
    text_color: str
    word: str


#: The incumbent's colours (Standby cyan, Disabled blue, Enabled green,
#: Fault red, anything else grey), always with the mode's name beside them.
LOOKS: dict[int | None, IlcLook] = {
    STANDBY: IlcLook("#4fd2e8", "#000000", "Standby"),
    DISABLED: IlcLook("#2b5cd6", "#ffffff", "Disabled"),
    ENABLED: IlcLook("#2e9d4f", "#ffffff", "Enabled"),
    FAULT: IlcLook("#d03030", "#ffffff", "Fault"),
    FIRMWARE_UPDATE: IlcLook("#9a9a9a", "#000000", "FirmwareUpdate"),
    CLEAR_FAULTS: IlcLook("#9a9a9a", "#000000", "ClearFaults"),
    NO_CHANGE: IlcLook("#9a9a9a", "#000000", "NoChange"),
    UNKNOWN: IlcLook("#9a9a9a", "#000000", "Unknown"),
    None: IlcLook("#c8c8c8", "#000000", "not read"),
}
#: The legend, in the incumbent's order.
LEGEND: tuple[int | None, ...] = (STANDBY, DISABLED, ENABLED, FAULT, UNKNOWN, None)


def ilc_look(mode: int | None) -> IlcLook:
    """Colour and word of an ILC mode (None: not read since the last reset)."""
    look = LOOKS.get(mode)
    if look is None:
        return IlcLook("#9a9a9a", "#000000", f"mode {mode}")
    return look


def modbus_id(address: int) -> int:
    """The ModBUS id of a 0-based ILC address (address + 1)."""
    return address + 1


def ilc_group(address: int) -> str:
    """``Axial``, ``Tangent`` or ``Sensor``."""
    if address < N_AXIAL_ILC:
        return "Axial"
    return "Tangent" if address < N_ACTUATOR_ILC else "Sensor"


def ilc_device(address: int) -> str:
    """What the ILC drives or reads, e.g. ``axial actuator B1``."""
    if not 0 <= address < N_ILC:
        raise ValueError(f"ILC address {address} is not in 0..{N_ILC - 1}")
    if address < N_ACTUATOR_ILC:
        kind = "axial actuator" if address < N_AXIAL_ILC else "tangent link"
        return f"{kind} {load_geometry().label(address)}"
    return SENSOR_DEVICES[address - N_ACTUATOR_ILC]


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


class IlcStates:
    """The mode of each of the 84 ILCs and the bypassed ones, Qt-free.

    Follows ``innerLoopControlMode`` (one event per address) and
    ``bypassedActuatorILCs`` (0-based once in the event store). Get the one
    instance with ``session.store(IlcStates)``.

    Signals
    -------
    changed(frozenset)
        After modes changed, with the addresses whose mode changed (all of
        them after `reset`), or after the bypassed list changed (with the
        addresses that entered or left it).
    """

    changed = Signal(frozenset)

    def __init__(self, session: Session) -> None:
        self.session = session
        #: Mode of each address; None until received (since the last reset).
        self.modes: list[int | None] = [None] * N_ILC
        #: Bypassed ILC addresses (0-based), sorted.
        self.bypassed: tuple[int, ...] = ()
        self.ignored = 0
        for entry in list(session.events.latest.values()):
            if entry.name in (ILC_EVENT, BYPASS_EVENT):
                self._take(entry.name, entry.fields, emit=False)
        session.events.updated.connect(self._on_event)

    def _on_event(self, entry_id: str) -> None:
        name = entry_id.split("[", 1)[0]
        if name not in (ILC_EVENT, BYPASS_EVENT):
            return
        entry = self.session.events.latest.get(entry_id)
        if entry is not None:
            self._take(name, entry.fields, emit=True)

    def _take(self, name: str, fields: dict[str, Any], *, emit: bool) -> None:
        if name == BYPASS_EVENT:
            raw = fields.get("ilcs")
            values = raw if isinstance(raw, list) else []
            new = tuple(
                sorted({a for v in values if (a := _int(v)) is not None and 0 <= a < N_ILC})
            )
            if new != self.bypassed:
                moved = frozenset(set(new) ^ set(self.bypassed))
                self.bypassed = new
                if emit:
                    self.changed.emit(moved)
            return
        address, mode = _int(fields.get("address")), _int(fields.get("mode"))
        if address is None or mode is None or not 0 <= address < N_ILC:
            self.ignored += 1
            log.warning("ignoring %s with address %r mode %r", name, address, mode)
            return
        if self.modes[address] != mode:
            self.modes[address] = mode
            if emit:
                self.changed.emit(frozenset({address}))

    def reset(self) -> None:
        """Forget every mode (all shown as Unknown until read again); nothing is sent."""
        self.modes = [None] * N_ILC
        self.changed.emit(frozenset(range(N_ILC)))

    def forget(self, addresses: list[int]) -> None:
        """Forget the modes of ``addresses`` (to see which of them answer a new query)."""
        gone = frozenset(a for a in addresses if 0 <= a < N_ILC and self.modes[a] is not None)
        for a in gone:
            self.modes[a] = None
        if gone:
            self.changed.emit(gone)

    def mode(self, address: int) -> int | None:
        """The mode of one ILC, None if not read."""
        return self.modes[address]

    def unknown(self) -> list[int]:
        """Addresses whose mode was not read, or read as Unknown."""
        return [a for a, m in enumerate(self.modes) if m is None or m == UNKNOWN]

    def not_read(self, among: list[int] | None = None) -> list[int]:
        """Addresses (of ``among``) whose mode was not read since the last reset."""
        pool = range(N_ILC) if among is None else among
        return [a for a in pool if self.modes[a] is None]

    def in_mode(self, mode: int, among: list[int]) -> list[int]:
        """Addresses of ``among`` in ``mode``."""
        return [a for a in among if self.modes[a] == mode]

    def counts(self) -> dict[str, int]:
        """How many ILCs in each mode, by word (for the summary line)."""
        out: dict[str, int] = {}
        for m in self.modes:
            word = ilc_look(m).word
            out[word] = out.get(word, 0) + 1
        return out

    def tooltip(self, address: int) -> str:
        """The tool tip of one ILC lamp: id, address, device, mode, bypass."""
        mode = self.modes[address]
        text = (
            f"ModBUS id {modbus_id(address)} (address {address}): {ilc_device(address)}\n"
            f"{ilc_group(address)} ILC, mode: {ilc_look(mode).word}"
        )
        if mode is not None and mode not in LOOKS:
            text += f" ({mode})"
        if address in self.bypassed:
            text += "\nBypassed (bypassedActuatorILCs)"
        return text


def needs_communication_power(session: Session) -> str | None:
    """A `Rule`: the ILCs answer only with communication power on."""
    entry = session.events.latest.get("powerSystemState[Communication]")
    if entry is not None and entry.fields.get("status") is True:
        return None
    return "needs communication power on: the ILCs cannot be reached without it"
