"""`Configuration`: the controller's ``config`` event laid out, and the file to set.

The incumbent's Configuration View shows the ``config`` event in groups (file
paths and version, motor and communication power supply monitoring, in-position
flag, communication timeouts, inclinometer, temperature), lists the cRIO's
configuration files from ``configurationFiles.files``, and sends
``setConfigurationFile {file}`` for the chosen one, **only in Standby**; the
controller uses the new file from the next Enable.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from psygnal import Signal

from ..format import ELLIPSIS, preview
from .diagnostics_rules import STANDBY, requires_local_mode

if TYPE_CHECKING:
    from ..commanding import Rule
    from ..session import Session

__all__ = [
    "COMMAND",
    "GROUPS",
    "MAX_FILES",
    "MAX_FILE_CHARS",
    "NOTE",
    "ConfigGroup",
    "ConfigRow",
    "Configuration",
    "chosen_file_rule",
    "config_groups",
    "set_file_rules",
    "short_file_name",
    "unit_text",
]

log = logging.getLogger(__name__)

COMMAND = "setConfigurationFile"
NOTE = "The controller uses the new configuration file from the next Enable."
#: Configuration files kept from ``configurationFiles`` (the cRIO has four).
MAX_FILES = 64
#: Longest file name kept (a longer one could not be sent back as it is).
MAX_FILE_CHARS = 255
#: Characters of a text value shown.
MAX_VALUE_CHARS = 200

#: The prefix every cRIO configuration file name starts with (left out in lists).
FILE_PREFIX = "Configurable_File_Description_"

#: The incumbent's groups: title, then (field, label) in order.
GROUPS: tuple[tuple[str, tuple[tuple[str, str], ...]], ...] = (
    (
        "File paths and version",
        (
            ("configuration", "Configuration file"),
            ("version", "Configuration version"),
            ("controlParameters", "Control parameters"),
            ("lutParameters", "Look-up table parameters"),
        ),
    ),
    (
        "Motor power supply monitoring",
        (
            ("powerWarningMotor", "24 V accuracy warning"),
            ("powerFaultMotor", "24 V accuracy fault"),
            ("powerThresholdMotor", "Current threshold"),
        ),
    ),
    (
        "Communication power supply monitoring",
        (
            ("powerWarningComm", "24 V accuracy warning"),
            ("powerFaultComm", "24 V accuracy fault"),
            ("powerThresholdComm", "Current threshold"),
        ),
    ),
    (
        "In-position flag",
        (
            ("inPositionAxial", "Axial threshold"),
            ("inPositionTangent", "Tangent threshold"),
            ("inPositionSample", "Sample window"),
        ),
    ),
    (
        "Communication timeout",
        (
            ("timeoutSal", "SAL communication timeout"),
            ("timeoutCrio", "cRIO communication timeout"),
            ("timeoutIlc", "ILC telemetry receipt error persistence"),
        ),
    ),
    (
        "Inclinometer",
        (
            ("inclinometerDelta", "Delta range"),
            ("inclinometerDiffEnabled", "Difference enabled"),
        ),
    ),
    ("Temperature", (("cellTemperatureDelta", "Cell temperature delta"),)),
)

#: Units the incumbent shows where the catalogue gives none.
INCUMBENT_UNITS = {
    "powerWarningMotor": "%",
    "powerFaultMotor": "%",
    "powerWarningComm": "%",
    "powerFaultComm": "%",
    "timeoutIlc": "counts",
}
_UNIT_TEXT = {"degC": "°C", "deg": "°"}


@dataclass(frozen=True)
class ConfigRow:
    """One value of the ``config`` event as shown."""

    field: str
    label: str
    text: str
    unit: str
    changed: bool = False


@dataclass(frozen=True)
class ConfigGroup:
    """A titled group of rows."""

    title: str
    rows: tuple[ConfigRow, ...]


def unit_text(catalogue_unit: str, field: str) -> str:
    """The unit shown for ``field``: the catalogue's (written for people), else the incumbent's."""
    unit = catalogue_unit or INCUMBENT_UNITS.get(field, "")
    return _UNIT_TEXT.get(unit, unit)


def _value_text(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, str):
        return value if len(value) <= MAX_VALUE_CHARS else value[:MAX_VALUE_CHARS] + ELLIPSIS
    return preview(value, MAX_VALUE_CHARS)[0]


def config_groups(
    units: dict[str, str], fields: dict[str, Any] | None, changed: set[str] | None = None
) -> list[ConfigGroup]:
    """Lay out the ``config`` event's ``fields`` in the incumbent's groups.

    Fields not in those groups (a newer controller's) go in a last "Other" group.
    Values not reported yet show ``—``.
    """
    values = fields or {}
    moved = changed or set()
    groups = []
    placed: set[str] = set()
    for title, members in GROUPS:
        rows = []
        for name, label in members:
            placed.add(name)
            rows.append(
                ConfigRow(
                    name,
                    label,
                    _value_text(values.get(name)),
                    unit_text(units.get(name, ""), name),
                    name in moved,
                )
            )
        groups.append(ConfigGroup(title, tuple(rows)))
    others = [
        ConfigRow(name, name, _value_text(v), unit_text(units.get(name, ""), name), name in moved)
        for name, v in values.items()
        if name not in placed
    ]
    if others:
        groups.append(ConfigGroup("Other", tuple(others)))
    return groups


def short_file_name(name: str) -> str:
    """``20180831T092326_M2_handling.csv`` for ``Configurable_File_Description_2018...``."""
    short = name.removeprefix(FILE_PREFIX)
    return short or name


def chosen_file_rule(session: Session) -> str | None:
    """Rule: a configuration file is chosen."""
    if session.store(Configuration).chosen is None:
        return "choose a configuration file first"
    return None


def set_file_rules() -> tuple[Rule, ...]:
    """The rules of Set Configuration File: Standby only, then a file chosen."""
    return (requires_local_mode(STANDBY), chosen_file_rule)


class Configuration:
    """The Configuration view's state, one per session (``session.store(Configuration)``).

    Parameters
    ----------
    session : `Session`
        Where the ``config`` and ``configurationFiles`` events come from.

    Signals
    -------
    changed(str)
        After ``"config"`` (a new ``config`` event), ``"files"`` (a new list) or
        ``"chosen"`` (the chosen file) changed.
    """

    changed = Signal(str)

    def __init__(self, session: Session) -> None:
        self.session = session
        spec = session.catalogue.events["config"].fields
        self.units = {name: f.unit for name, f in spec.items()}
        self.groups: list[ConfigGroup] = config_groups(self.units, None)
        self.current: str | None = None
        self.files: list[str] = []
        self.dropped_files = 0
        self._chosen: str | None = None
        session.events.updated.connect(self._on_event)
        self._read_config()
        self._read_files()

    @property
    def chosen(self) -> str | None:
        """The file Set would send, or None."""
        return self._chosen

    def choose(self, file: str | None) -> None:
        """Choose ``file`` (one of `files`) for Set, or nothing with None.

        Raises
        ------
        ValueError
            If ``file`` is not one of `files`.
        """
        if file is not None and file not in self.files:
            raise ValueError(f"{file!r} is not one of the controller's configuration files")
        if file != self._chosen:
            self._chosen = file
            self.changed.emit("chosen")

    def set_params(self) -> dict[str, str]:
        """``setConfigurationFile`` parameters for the chosen file.

        Raises
        ------
        ValueError
            If no file is chosen.
        """
        if self._chosen is None:
            raise ValueError("no configuration file chosen")
        return {"file": self._chosen}

    # ------------------------------------------------------------------
    def _on_event(self, entry_id: str) -> None:
        if entry_id == "config":
            self._read_config()
            self.changed.emit("config")
        elif entry_id == "configurationFiles" and self._read_files():
            self.changed.emit("files")

    def _read_config(self) -> None:
        entry = self.session.events.latest.get("config")
        if entry is None:
            return
        # the first config event "changes" every field: mark only later changes
        changed = entry.changed if entry.count > 1 else set()
        self.groups = config_groups(self.units, entry.fields, changed)
        current = entry.fields.get("configuration")
        self.current = current if isinstance(current, str) else None

    def _read_files(self) -> bool:
        """Read ``configurationFiles`` again; True if the list changed."""
        value = self.session.events.value("configurationFiles", "files")
        files: list[str] = []
        dropped = 0
        if isinstance(value, list):
            for item in value:
                usable = isinstance(item, str) and 0 < len(item) <= MAX_FILE_CHARS
                if usable and len(files) < MAX_FILES and item not in files:
                    files.append(item)
                else:
                    dropped += 1
        if dropped:
            self.dropped_files += dropped
            log.warning("configurationFiles: %d entries not listed (not usable names)", dropped)
        if files == self.files:
            return False
        self.files = files
        if self._chosen not in files and self._chosen is not None:
            self._chosen = None
            self.changed.emit("chosen")
        return True
