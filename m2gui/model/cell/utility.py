"""`UtilityStatus`: power systems, breakers, temperatures, elevation, displacement sensors.

What the incumbent's Utility View shows, with its rules kept here, Qt-free:

- the motor and communication power systems: on or off and the
  ``PowerSystemState`` (``powerSystemState[Motor]``/``[Communication]``
  events), calibrated volts and amperes (``powerStatus`` telemetry);
- the 15 power breakers, named as on the cell (J1-W9-1 ...), from the
  ``digitalInput`` bits (`breaker_lamp`, polarity below), and the
  ``resetBreakers`` command of each feed (`reset_breakers_params`);
- the temperatures: intake and exhaust, and the mirror's ring sensors in the
  incumbent's groups LG2 (ring[0:4]), LG3 (ring[4:8]) and LG4 (ring[8:12]);
- the elevation: raw and processed inclinometer angles, the zenith angle and
  the TMA's angle, raw outliers (≥ 1e6) dropped as the incumbent does;
- the displacement sensors (IMS): theta-z and delta-z beside each tangent link.

Breaker polarity
----------------
`BREAKER_OK_BIT` is the raw ``digitalInput`` value of a breaker bit while the
breaker is closed (fine). It is 0, which is what every source agrees on for
the *display*: the incumbent's Utility View paints a breaker green when its
raw bit is 0 (its code calls that state "triggered", a misleading name), its
Diagnostics view XOR-inverts the breaker bits "so green = OK", and the
reference controller clears the bits of a feed when it powers it (setting
them while ``resetBreakers`` runs and while the feed is off). The protocol
notes flag the polarity as unverified on hardware; it is one constant here.
A set bit is therefore an open breaker: *tripped* while its feed is powered,
*resetting* while the feed resets its breakers, merely *open* while the feed
is off.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from psygnal import Signal

from ..catalogue import Catalogue
from ..ops.overview_lamps import Lamp, Level
from .net_force import number_text, unit_text

if TYPE_CHECKING:
    from ..session import Session

__all__ = [
    "BREAKER_OK_BIT",
    "FEEDS",
    "SECTIONS",
    "Breaker",
    "Reading",
    "UtilityStatus",
    "breaker_lamp",
    "breakers",
    "power_lamp",
    "reset_breakers_params",
]

#: Raw ``digitalInput`` value of a breaker bit while the breaker is closed
#: (see the module notes: agreed for display, unverified on hardware).
BREAKER_OK_BIT = 0
#: The two power feeds, by their ``PowerType`` names.
FEEDS = ("Motor", "Communication")
#: Parts of the view, as announced by `UtilityStatus.changed`.
SECTIONS = ("power", "breakers", "temperature", "elevation", "displacement")

_BREAKER_NAME = re.compile(r"^(J\d)_(W\d+)_(\d)_(Motor|Communication)PowerBreaker$")
#: PowerSystemState values (protocol 6.2).
_POWERED_OFF, _POWERING_ON, _RESETTING, _POWERED_ON, _POWERING_OFF = 2, 3, 4, 5, 6


@dataclass(frozen=True)
class Breaker:
    """One power breaker: its name on the cell, its feed and its input bit.

    Attributes
    ----------
    name : `str`
        ``J1-W9-1``.
    feed : `str`
        ``Motor`` or ``Communication``.
    bit : `int`
        Bit index in ``digitalInput.value``.
    """

    name: str
    feed: str
    bit: int

    @property
    def value(self) -> int:
        """The bit's value (``2**bit``)."""
        return 1 << self.bit


def breakers(catalogue: Catalogue) -> list[Breaker]:
    """The 15 breakers of the ``DigitalInput`` bit field, motor first, by bit.

    Names follow the incumbent: ``J1_W9_1_MotorPowerBreaker`` is ``J1-W9-1``.
    """
    found = []
    for name, value in catalogue.bitfields["DigitalInput"].items():
        match = _BREAKER_NAME.match(name)
        if match:
            label = "-".join(match.group(1, 2, 3))
            found.append(Breaker(label, match.group(4), int(value).bit_length() - 1))
    return sorted(found, key=lambda b: (FEEDS.index(b.feed), b.bit))


def breaker_lamp(
    digital_input: int | None, breaker: Breaker, feed_on: bool | None, feed_state: int | None
) -> Lamp:
    """A breaker's lamp from the raw input bits and its feed's power state.

    Parameters
    ----------
    digital_input : `int` or None
        ``digitalInput.value`` (None: not received).
    breaker : `Breaker`
        Which breaker.
    feed_on : `bool` or None
        ``powerSystemState[feed].status``.
    feed_state : `int` or None
        ``powerSystemState[feed].state`` (PowerSystemState).
    """
    if not isinstance(digital_input, int) or isinstance(digital_input, bool):
        return Lamp(Level.UNKNOWN, "unknown", f"{breaker.name}: no digitalInput received yet")
    raw = (digital_input >> breaker.bit) & 1
    where = f"{breaker.name} ({breaker.feed.lower()} feed): digitalInput bit {breaker.bit} = {raw}"
    if raw == BREAKER_OK_BIT:
        return Lamp(Level.OK, "OK", f"{where}: closed")
    if feed_state == _RESETTING:
        return Lamp(Level.WARNING, "RESETTING", f"{where}: open while the breakers are reset")
    if feed_on:
        return Lamp(Level.ERROR, "TRIPPED", f"{where}: open with the feed powered (tripped)")
    return Lamp(Level.OFF, "OPEN", f"{where}: open; the {breaker.feed.lower()} feed is off")


def power_lamp(catalogue: Catalogue, feed: str, status: Any, state: Any) -> Lamp:
    """A power system's lamp from its ``powerSystemState`` event fields."""
    event = f"powerSystemState[{feed}]"
    if not isinstance(state, int) or isinstance(state, bool):
        return Lamp(Level.UNKNOWN, "unknown", f"{event} not received yet")
    name = catalogue.enum_name("PowerSystemState", state)
    detail = f"{event}: status {str(status).lower()}, state {state} ({name})"
    if state == _POWERING_ON:
        return Lamp(Level.WARNING, "POWERING ON", detail)
    if state == _POWERING_OFF:
        return Lamp(Level.WARNING, "POWERING OFF", detail)
    if state == _RESETTING:
        return Lamp(Level.WARNING, "RESETTING BREAKERS", detail)
    if status is True:
        return Lamp(Level.OK, "ON", detail)
    return Lamp(Level.OFF, "OFF", detail)


def reset_breakers_params(catalogue: Catalogue, feed: str) -> dict[str, int]:
    """The parameters of ``resetBreakers`` for a feed, as the incumbent sends them."""
    return {"powerType": int(catalogue.enums["PowerType"][feed])}


@dataclass(frozen=True)
class Reading:
    """One value shown (and plotted): a telemetry signal with its label.

    Attributes
    ----------
    topic, field : `str`
        Telemetry topic and field.
    index : `int` or None
        Element of an array field.
    label : `str`
        Name shown.
    unit : `str`
        Unit as written.
    decimals : `int`
        Decimals shown.
    """

    topic: str
    field: str
    index: int | None
    label: str
    unit: str
    decimals: int = 2

    @property
    def signal(self) -> str:
        """``topic.field`` or ``topic.field[i]``."""
        base = f"{self.topic}.{self.field}"
        return base if self.index is None else f"{base}[{self.index}]"


def _readings(
    catalogue: Catalogue, topic: str, field: str, labels: list[str], decimals: int
) -> list[Reading]:
    spec = catalogue.telemetry[topic].fields[field]
    unit = unit_text(spec.unit)
    return [Reading(topic, field, i, label, unit, decimals) for i, label in enumerate(labels)]


class UtilityStatus:
    """Power, breakers, temperatures, elevation and displacement sensors, latest values.

    One per session (``session.store(UtilityStatus)``).

    Parameters
    ----------
    session : `Session`
        Its telemetry and events are followed.

    Attributes
    ----------
    power : `dict` [`str`, `tuple` [`Reading`, `Reading`]]
        Feed -> its voltage and current readings.
    breakers : `list` [`Breaker`]
        The 15 breakers, motor first.
    temperatures : `list` [`tuple` [`str`, `list` [`Reading`]]]
        Groups (Intake, Exhaust, LG2, LG3, LG4) and their sensors.
    elevation : `list` [`Reading`]
        Raw and processed inclinometer, zenith angle, TMA angle.
    displacement : `list` [`tuple` [`Reading`, `Reading`]]
        Theta-z and delta-z per tangent link A1..A6.
    values : `dict` [`str`, `float`]
        Signal -> latest value (NaN until it arrives).
    outliers : `int`
        ``zenithAngle`` samples dropped for a raw angle ≥ 1e6.

    Signals
    -------
    changed(tuple)
        After values changed, with the `SECTIONS` that changed.
    """

    changed = Signal(tuple)

    def __init__(self, session: Session) -> None:
        self.session = session
        catalogue = self.catalogue = session.catalogue
        self.outlier_limit = float(catalogue.constants["OUTLIER_INCLINOMETER_RAW"])
        self.power: dict[str, tuple[Reading, Reading]] = {
            "Motor": (
                Reading("powerStatus", "motorVoltage", None, "Voltage", "V"),
                Reading("powerStatus", "motorCurrent", None, "Current", "A"),
            ),
            "Communication": (
                Reading("powerStatus", "commVoltage", None, "Voltage", "V"),
                Reading("powerStatus", "commCurrent", None, "Current", "A"),
            ),
        }
        self.breakers = breakers(catalogue)
        temperature = catalogue.telemetry["temperature"].fields
        ring = _readings(catalogue, "temperature", "ring", list(temperature["ring"].labels), 1)
        self.temperatures: list[tuple[str, list[Reading]]] = [
            (
                "Intake",
                _readings(
                    catalogue, "temperature", "intake", list(temperature["intake"].labels), 1
                ),
            ),
            (
                "Exhaust",
                _readings(
                    catalogue, "temperature", "exhaust", list(temperature["exhaust"].labels), 1
                ),
            ),
            ("LG2", ring[0:4]),
            ("LG3", ring[4:8]),
            ("LG4", ring[8:12]),
        ]
        self.elevation: list[Reading] = [
            Reading("zenithAngle", "inclinometerRaw", None, "Inclinometer (raw)", "°", 3),
            Reading(
                "zenithAngle", "inclinometerProcessed", None, "Inclinometer (processed)", "°", 3
            ),
            Reading("zenithAngle", "measured", None, "Zenith angle (measured)", "°", 3),
            Reading("inclinometerAngleTma", "inclinometer", None, "TMA angle", "°", 3),
        ]
        links = [f"A{i + 1}" for i in range(6)]
        theta = _readings(catalogue, "displacementSensors", "thetaZ", [f"{a} θz" for a in links], 3)
        delta = _readings(catalogue, "displacementSensors", "deltaZ", [f"{a} Δz" for a in links], 3)
        self.displacement: list[tuple[Reading, Reading]] = list(zip(theta, delta, strict=True))
        self._sections: dict[str, list[Reading]] = {
            "power": [r for pair in self.power.values() for r in pair],
            "temperature": [r for _, group in self.temperatures for r in group],
            "elevation": self.elevation,
            "displacement": [r for pair in self.displacement for r in pair],
        }
        self._topics: dict[str, str] = {
            r.topic: section for section, rs in self._sections.items() for r in rs
        }
        self.values: dict[str, float] = {
            r.signal: math.nan for rs in self._sections.values() for r in rs
        }
        self.outliers = 0
        for topic in self._topics:
            self._copy(topic)
        session.telemetry.arrived.connect(self.on_telemetry)
        session.events.updated.connect(self.on_event)

    # ------------------------------------------------------------------
    def on_telemetry(self, topic: str) -> None:
        """Copy the latest sample of a topic shown here (a store subscriber)."""
        section = self._topics.get(topic)
        if section is not None and self._copy(topic):
            self.changed.emit((section,))

    def on_event(self, entry_id: str) -> None:
        """Follow the events the view shows (a store subscriber)."""
        if entry_id == "digitalInput":
            self.changed.emit(("breakers",))
        elif entry_id.startswith("powerSystemState["):
            self.changed.emit(("power", "breakers"))
        elif entry_id in ("inclinationTelemetrySource",):
            self.changed.emit(("elevation",))
        elif entry_id in ("cellTemperatureHiWarning", "config"):
            self.changed.emit(("temperature",))

    def _copy(self, topic: str) -> bool:
        buffer = self.session.telemetry.buffer(topic)
        if buffer is None or buffer.count == 0:
            return False
        row = buffer.values()[-1]
        readings = [r for rs in self._sections.values() for r in rs if r.topic == topic]
        if topic == "zenithAngle":
            raw = float(row[buffer.columns["inclinometerRaw"]][0])
            if raw >= self.outlier_limit:
                self.outliers += 1  # the incumbent drops these samples
                return False
        for reading in readings:
            columns = buffer.columns.get(reading.field)
            if columns is None:
                continue
            self.values[reading.signal] = float(row[columns][reading.index or 0])
        return True

    # ------------------------------------------------------------------
    def text(self, reading: Reading, unit: bool = True) -> str:
        """A value as shown, with its unit unless told (``—`` until it arrives)."""
        value = self.values.get(reading.signal, math.nan)
        if not math.isfinite(value):
            return "—"
        text = number_text(value, reading.decimals)
        return f"{text} {reading.unit}" if unit else text

    def state_text(self, feed: str) -> str:
        """The ``PowerSystemState`` of a feed in words (``unknown`` until received)."""
        _status, state = self.feed_state(feed)
        if not isinstance(state, int) or isinstance(state, bool):
            return "unknown"
        return self.catalogue.enum_name("PowerSystemState", state)

    def tooltip(self, reading: Reading) -> str:
        """Where a value comes from."""
        extra = ""
        if reading.signal == "zenithAngle.inclinometerRaw":
            extra = (
                f"\nSamples with a raw angle ≥ {self.outlier_limit:g}° are dropped "
                f"({self.outliers} so far)."
            )
        if reading.topic == "displacementSensors":
            extra = "\nIMS reading beside that tangent link, as the incumbent labels them."
        return f"{reading.label}: telemetry {reading.signal} ({reading.unit}){extra}"

    def feed_state(self, feed: str) -> tuple[Any, Any]:
        """``(status, state)`` of ``powerSystemState[feed]`` (None until received)."""
        entry = self.session.events.latest.get(f"powerSystemState[{feed}]")
        if entry is None:
            return None, None
        return entry.fields.get("status"), entry.fields.get("state")

    def power_lamp(self, feed: str) -> Lamp:
        """The lamp of a power system."""
        status, state = self.feed_state(feed)
        return power_lamp(self.catalogue, feed, status, state)

    @property
    def digital_input(self) -> int | None:
        """``digitalInput.value`` (None until received)."""
        value = self.session.events.value("digitalInput", "value")
        return value if isinstance(value, int) and not isinstance(value, bool) else None

    def breaker_lamp(self, breaker: Breaker) -> Lamp:
        """The lamp of a breaker now."""
        status, state = self.feed_state(breaker.feed)
        return breaker_lamp(self.digital_input, breaker, status is True, state)

    def feed_breakers(self, feed: str) -> list[Breaker]:
        """The breakers of one feed."""
        return [b for b in self.breakers if b.feed == feed]

    def reset_params(self, feed: str) -> dict[str, int]:
        """``resetBreakers`` parameters for a feed."""
        return reset_breakers_params(self.catalogue, feed)

    @property
    def inclination_source(self) -> str:
        """``ONBOARD`` or ``MTMOUNT`` (``unknown`` until received)."""
        source = self.session.events.value("inclinationTelemetrySource", "source")
        if not isinstance(source, int) or isinstance(source, bool):
            return "unknown"
        return self.catalogue.enum_name("InclinationTelemetrySource", source)

    @property
    def cell_delta(self) -> float:
        """Mean exhaust minus mean intake temperature (°C; NaN when unknown)."""
        groups = dict(self.temperatures)
        intake = [self.values[r.signal] for r in groups["Intake"]]
        exhaust = [self.values[r.signal] for r in groups["Exhaust"]]
        if not all(math.isfinite(v) for v in intake + exhaust):
            return math.nan
        return sum(exhaust) / len(exhaust) - sum(intake) / len(intake)

    @property
    def cell_delta_limit(self) -> float:
        """The configured cell temperature delta, °C (``config.cellTemperatureDelta``, else 2)."""
        value = self.session.events.value("config", "cellTemperatureDelta")
        if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value):
            return float(value)
        return 2.0

    def cell_delta_lamp(self) -> Lamp:
        """Exhaust minus intake against its limit, and the controller's own warning."""
        delta, limit = self.cell_delta, self.cell_delta_limit
        warning = self.session.events.value("cellTemperatureHiWarning", "hiWarning") is True
        if not math.isfinite(delta):
            return Lamp(Level.UNKNOWN, "exhaust − intake: —", "no temperature telemetry yet")
        word = f"exhaust − intake {delta:+.2f} °C"
        detail = (
            f"Mean exhaust minus mean intake; the controller warns above {limit:g} °C "
            f"(config cellTemperatureDelta). cellTemperatureHiWarning: {str(warning).lower()}"
        )
        if warning or delta > limit:
            return Lamp(Level.WARNING, word + " HIGH", detail)
        return Lamp(Level.OK, word, detail)
