"""The protocol catalogue: every command, event, telemetry topic and enumeration.

Loaded from ``m2gui/resources/protocol.json`` (package ``m2gui.resources``). The
simulator, the command validator and the command forms all read this one
catalogue; nothing else hard-codes message names.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

__all__ = [
    "Catalogue",
    "CommandSpec",
    "CommandValidationError",
    "FieldSpec",
    "Param",
    "TopicSpec",
    "load_catalogue",
]

SCALAR_TYPES = ("bool", "int", "float", "string", "uint64")
UINT64_MAX = 2**64 - 1


class CommandValidationError(ValueError):
    """A command's parameters do not match the catalogue.

    Attributes
    ----------
    command : `str`
        Command name.
    param : `str` or None
        Parameter name, with ``[i]`` for an array element; None when the
        problem is with the command itself.
    reason : `str`
        What was wrong.
    """

    def __init__(self, command: str, param: str | None, reason: str) -> None:
        where = f"{command}.{param}" if param else command
        super().__init__(f"{where}: {reason}")
        self.command = command
        self.param = param
        self.reason = reason


@dataclass(frozen=True)
class Param:
    """One parameter of a command (or field of a topic)."""

    name: str
    type: str
    length: int | str | None = None
    unit: str = ""
    min: float | None = None
    max: float | None = None
    min_length: int | None = None
    max_length: int | None = None
    not_blank: bool = False
    enum: str | None = None
    enum_values: Mapping[str, int] = field(default_factory=dict)
    default: Any = None
    optional: bool = False
    required_when: Mapping[str, list[Any]] = field(default_factory=dict)
    description: str = ""
    index_base: int | None = None
    display: str = ""
    choices_from: str = ""
    elements: str = ""
    labels: tuple[str, ...] = ()

    @property
    def is_array(self) -> bool:
        """True if the value is a list."""
        return self.length is not None

    @property
    def fixed_length(self) -> int | None:
        """The required list length, or None for scalars and variable lists."""
        return self.length if isinstance(self.length, int) else None

    def required(self, params: Mapping[str, Any]) -> bool:
        """Whether this parameter must be given, knowing the others."""
        if not self.optional:
            return True
        return any(params.get(other) in values for other, values in self.required_when.items())

    def check_element(self, value: Any) -> str | None:
        """Return what is wrong with one scalar value, or None if it is valid."""
        kind = self.type
        if kind == "bool":
            if type(value) is not bool:
                return f"expected true or false, got {_show(value)}"
            return None
        if kind == "string":
            if not isinstance(value, str):
                return f"expected a string, got {_show(value)}"
            if self.min_length is not None and len(value) < self.min_length:
                return "must not be empty" if self.min_length == 1 else "too short"
            if self.not_blank and not value.strip():
                return "must not be blank"
            return None
        if isinstance(value, bool) or not isinstance(value, int | float):
            return f"expected a number, got {_show(value)}"
        if kind in ("int", "uint64"):
            if not isinstance(value, int):
                return f"expected an integer, got {_show(value)}"
            if kind == "uint64" and not 0 <= value <= UINT64_MAX:
                return f"{value} is not an unsigned 64-bit integer"
        elif not math.isfinite(value):
            return f"{value} is not a finite number"
        if self.enum_values and value not in self.enum_values.values():
            names = ", ".join(f"{v} {k}" for k, v in self.enum_values.items())
            return f"{value} is not a valid {self.enum} ({names})"
        unit = f" {self.unit}" if self.unit else ""
        if self.min is not None and value < self.min:
            return f"{value:g} is below the minimum {self.min:g}{unit}"
        if self.max is not None and value > self.max:
            return f"{value:g} is above the maximum {self.max:g}{unit}"
        return None

    def check(self, value: Any) -> tuple[str, str] | None:
        """Check a whole value; return ``(where, reason)`` or None if valid.

        ``where`` is the parameter name, with ``[i]`` for an array element.
        """
        if not self.is_array:
            reason = self.check_element(value)
            return None if reason is None else (self.name, reason)
        if not isinstance(value, list | tuple):
            return self.name, f"expected a list, got {_show(value)}"
        n = len(value)
        if self.fixed_length is not None and n != self.fixed_length:
            return self.name, f"expected {self.fixed_length} values, got {n}"
        if self.min_length is not None and n < self.min_length:
            return self.name, f"expected at least {self.min_length} values, got {n}"
        if self.max_length is not None and n > self.max_length:
            return self.name, f"expected at most {self.max_length} values, got {n}"
        for i, item in enumerate(value):
            reason = self.check_element(item)
            if reason is not None:
                return f"{self.name}[{i}]", reason
        return None

    def normalise(self, value: Any) -> Any:
        """Return a valid value in its wire form (lists, floats as float)."""
        if self.is_array:
            return [self._normalise_one(v) for v in value]
        return self._normalise_one(value)

    def _normalise_one(self, value: Any) -> Any:
        if self.type == "float":
            return float(value)
        return value


@dataclass(frozen=True)
class CommandSpec:
    """A command: its parameters, group, timeout and whether it needs confirming."""

    name: str
    group: str
    description: str
    dangerous: bool
    timeout: float
    params: Mapping[str, Param]
    emits: tuple[str, ...] = ()
    #: Parameter values that make a dangerous command safe to send at once
    #: (``moveActuators`` Stop or Pause must never wait for a dialog).
    safe_when: Mapping[str, tuple[Any, ...]] = field(default_factory=dict)

    def needs_confirmation(self, params: Mapping[str, Any]) -> bool:
        """True if sending ``params`` must be confirmed by the user first."""
        if not self.dangerous:
            return False
        return not any(params.get(key) in values for key, values in self.safe_when.items())


@dataclass(frozen=True)
class FieldSpec:
    """One field of an event or telemetry topic."""

    name: str
    type: str
    length: int | str | None = None
    unit: str = ""
    enum: str | None = None
    description: str = ""
    index_base: int | None = None
    elements: str = ""
    labels: tuple[str, ...] = ()

    #: Decimals shown (tables, tool tips, readouts, exports); None: as Python prints it.
    precision: int | None = None

    def format_number(self, value: float) -> str:
        """``value`` at this field's precision, with its unit (``"12.3 N"``)."""
        text = f"{value:.{self.precision}f}" if self.precision is not None else f"{value:g}"
        return f"{text} {self.unit}" if self.unit else text

    @property
    def is_array(self) -> bool:
        """True if the field is a list."""
        return self.length is not None

    @property
    def width(self) -> int:
        """Number of signals the field holds (1 for a scalar)."""
        return self.length if isinstance(self.length, int) else 1


@dataclass(frozen=True)
class TopicSpec:
    """An event or telemetry topic."""

    name: str
    kind: str
    fields: Mapping[str, FieldSpec]
    description: str = ""
    requires_motor_power: bool = False
    legacy: bool = False
    key: str | None = None


def _show(value: Any) -> str:
    text = repr(value)
    kind = type(value).__name__
    return f"{text[:40]} ({kind})"


class Catalogue:
    """Typed access to the protocol catalogue.

    Parameters
    ----------
    data : `dict`
        The decoded catalogue JSON.
    """

    def __init__(self, data: Mapping[str, Any]) -> None:
        self.raw = data
        self.enums: dict[str, dict[str, int]] = dict(data["enums"])
        self.bitfields: dict[str, dict[str, int]] = dict(data["bitfields"])
        self.fault_bits: list[dict[str, Any]] = list(data["fault_bits"])
        self.constants: dict[str, Any] = dict(data["constants"])
        self.welcome: list[str] = list(data["welcome"])
        self.replies: frozenset[str] = frozenset(data["replies"])
        self.default_command_port: int = int(data["ports"]["command"])
        self.default_telemetry_port: int = int(data["ports"]["telemetry"])
        self.telemetry_period: float = float(data["telemetry_period_s"])
        #: Decimals shown per unit, unless a field sets its own ``precision``.
        self.precision_by_unit: dict[str, int] = dict(data.get("precision_by_unit", {}))
        self.commands: dict[str, CommandSpec] = {
            name: self._command(name, spec) for name, spec in data["commands"].items()
        }
        self.events: dict[str, TopicSpec] = {
            name: self._topic(name, "event", spec) for name, spec in data["events"].items()
        }
        self.telemetry: dict[str, TopicSpec] = {
            name: self._topic(name, "telemetry", spec) for name, spec in data["telemetry"].items()
        }
        self.inputs: dict[str, TopicSpec] = {
            name: self._topic(name, spec["kind"], spec) for name, spec in data["inputs"].items()
        }

    @classmethod
    def load(cls, path: str | Path | None = None) -> Catalogue:
        """Load the catalogue from ``path`` or from the packaged resources."""
        if path is None:
            text = resources.files("m2gui.resources").joinpath("protocol.json").read_text()
        else:
            text = Path(path).read_text()
        return cls(json.loads(text))

    def _command(self, name: str, spec: Mapping[str, Any]) -> CommandSpec:
        params = {}
        for pname, p in spec["params"].items():
            enum = p.get("enum")
            values = self.enums.get(enum) or self.bitfields.get(enum) or {} if enum else {}
            params[pname] = Param(
                name=pname,
                type=p["type"],
                length=p.get("length"),
                unit=p.get("unit", ""),
                min=p.get("min"),
                max=p.get("max"),
                min_length=p.get("min_length"),
                max_length=p.get("max_length"),
                not_blank=bool(p.get("not_blank", False)),
                enum=enum,
                enum_values=values,
                default=p.get("default"),
                optional=p.get("optional", False),
                required_when=p.get("required_when", {}),
                description=p.get("description", ""),
                index_base=p.get("index_base"),
                display=p.get("display", ""),
                choices_from=p.get("choices_from", ""),
                elements=p.get("elements", ""),
                labels=tuple(p.get("labels", ())),
            )
        return CommandSpec(
            name=name,
            group=spec["group"],
            description=spec.get("description", ""),
            dangerous=bool(spec.get("dangerous", False)),
            timeout=float(spec.get("timeout", 10.0)),
            params=params,
            emits=tuple(spec.get("emits", ())),
            safe_when={k: tuple(v) for k, v in spec.get("safe_when", {}).items()},
        )

    def _topic(self, name: str, kind: str, spec: Mapping[str, Any]) -> TopicSpec:
        fields = {
            fname: FieldSpec(
                name=fname,
                type=f["type"],
                length=f.get("length"),
                unit=f.get("unit", ""),
                enum=f.get("enum"),
                description=f.get("description", ""),
                index_base=f.get("index_base"),
                elements=f.get("elements", ""),
                labels=tuple(f.get("labels", ())),
                precision=f.get(
                    "precision",
                    self.precision_by_unit.get(f.get("unit", ""))
                    if f.get("type") in ("float", "double")
                    else None,
                ),
            )
            for fname, f in spec["fields"].items()
        }
        return TopicSpec(
            name=name,
            kind=kind,
            fields=fields,
            description=spec.get("description", ""),
            requires_motor_power=bool(spec.get("requires_motor_power", False)),
            legacy=bool(spec.get("legacy", False)),
            key=spec.get("key"),
        )

    # ------------------------------------------------------------------
    @property
    def groups(self) -> list[str]:
        """Command groups in catalogue order."""
        return list(dict.fromkeys(c.group for c in self.commands.values()))

    def command(self, name: str) -> CommandSpec:
        """Return a command's spec.

        Raises
        ------
        CommandValidationError
            If there is no such command.
        """
        try:
            return self.commands[name]
        except KeyError:
            raise CommandValidationError(name, None, "unknown command") from None

    def default_params(self, name: str) -> dict[str, Any]:
        """Return the default parameters of a command (valid for sending)."""
        spec = self.command(name)
        params = {
            p.name: list(p.default) if isinstance(p.default, list) else p.default
            for p in spec.params.values()
            if p.default is not None
        }
        for p in spec.params.values():
            if p.is_array and p.fixed_length and not isinstance(p.default, list):
                params[p.name] = [p.default] * p.fixed_length
        return {k: v for k, v in params.items() if spec.params[k].required(params)}

    def validate_command(self, name: str, params: Mapping[str, Any] | None) -> dict[str, Any]:
        """Check a command's parameters and return them in their wire form.

        Parameters
        ----------
        name : `str`
            Command name, without the ``cmd_`` prefix.
        params : `dict` or None
            Parameter values.

        Returns
        -------
        params : `dict`
            The parameters, normalised (lists, floats as float), ready to send.

        Raises
        ------
        CommandValidationError
            Naming the command, the parameter and what was wrong.
        """
        spec = self.command(name)
        params = dict(params or {})
        for key in params:
            if key not in spec.params:
                known = ", ".join(spec.params) or "none"
                raise CommandValidationError(
                    name, key, f"unexpected parameter (parameters: {known})"
                )
        out: dict[str, Any] = {}
        for param in spec.params.values():
            if param.name not in params:
                if param.required(params):
                    raise CommandValidationError(name, param.name, "missing")
                continue
            value = params[param.name]
            if param.optional and not param.required(params) and value in (None, "", []):
                continue
            problem = param.check(value)
            if problem is not None:
                raise CommandValidationError(name, problem[0], problem[1])
            out[param.name] = param.normalise(value)
        return out

    def choice_sources(self) -> set[str]:
        """Events whose fields offer choices to command parameters."""
        return {
            p.choices_from.split(".", 1)[0]
            for spec in self.commands.values()
            for p in spec.params.values()
            if p.choices_from
        }

    def enum_name(self, enum: str, value: int) -> str:
        """Return the name of an enumeration value (or the number as text)."""
        for key, number in self.enums.get(enum, {}).items():
            if number == value:
                return key
        return str(value)

    def fault_codes(self, status: int) -> list[dict[str, Any]]:
        """Decode a ``summaryFaultsStatus`` bitmask into its fault rows."""
        return [row for row in self.fault_bits if status >> int(row["bit"]) & 1]

    def topic(self, name: str) -> TopicSpec | None:
        """Return an event or telemetry topic by name, or None."""
        return self.telemetry.get(name) or self.events.get(name)


@cache
def load_catalogue() -> Catalogue:
    """Return the packaged catalogue, loaded once."""
    return Catalogue.load()
