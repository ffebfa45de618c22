"""What the mirror map can colour by, and where each value comes from in the telemetry."""

from __future__ import annotations

from dataclasses import dataclass

from .map_scale import ScaleMode

__all__ = ["FORCE_TERMS", "QUANTITIES", "ActuatorValue", "Quantity", "Source"]


@dataclass(frozen=True)
class Source:
    """One telemetry field holding a value per actuator of a group."""

    topic: str
    field: str

    def signal(self, element: int) -> str:
        """The signal name of one element: ``topic.field[i]``."""
        return f"{self.topic}.{self.field}[{element}]"


@dataclass(frozen=True)
class Quantity:
    """A per-actuator quantity the map colours by.

    Attributes
    ----------
    key : `str`
        Short name ("measured").
    title : `str`
        What the menu and the colour bar say.
    unit : `str`
        Unit of the shown values (after ``factor``).
    axial, tangent : `Source` or None
        Where the 72 axial and 6 tangent values come from; None for the
        computed force error.
    factor : `float`
        Multiplies the telemetry value (µm -> mm for positions).
    mode : `ScaleMode`
        The default scale mode (symmetric for values about zero).
    minimum_span : `float`
        Smallest span of an automatic colour range, in ``unit``.
    decimals : `int`
        Decimals shown.
    fixed_axial, fixed_tangent : tuple of float
        The fixed colour ranges until the user sets others (forces: the
        closed-loop force limits, 444.82 N axial and 5800 N tangent).
    """

    key: str
    title: str
    unit: str
    axial: Source | None
    tangent: Source | None
    factor: float = 1.0
    mode: ScaleMode = ScaleMode.AUTO
    minimum_span: float = 1.0
    decimals: int = 1
    fixed_axial: tuple[float, float] = (-450.0, 450.0)
    fixed_tangent: tuple[float, float] = (-5800.0, 5800.0)

    @property
    def computed(self) -> bool:
        """True for the force error, computed from the force terms."""
        return self.axial is None


AXIAL_FORCE = "axialForce"
TANGENT_FORCE = "tangentForce"

#: The force terms of the force error, in the incumbent's column order.
FORCE_TERMS = ("lutGravity", "lutTemperature", "applied", "measured", "hardpointCorrection")

QUANTITIES: dict[str, Quantity] = {
    q.key: q
    for q in (
        Quantity(
            "measured",
            "Measured force",
            "N",
            Source(AXIAL_FORCE, "measured"),
            Source(TANGENT_FORCE, "measured"),
        ),
        Quantity("force_error", "Force error", "N", None, None, mode=ScaleMode.SYMMETRIC),
        Quantity(
            "applied",
            "Applied force",
            "N",
            Source(AXIAL_FORCE, "applied"),
            Source(TANGENT_FORCE, "applied"),
            mode=ScaleMode.SYMMETRIC,
        ),
        Quantity(
            "lut_gravity",
            "LUT gravity",
            "N",
            Source(AXIAL_FORCE, "lutGravity"),
            Source(TANGENT_FORCE, "lutGravity"),
        ),
        Quantity(
            "position",
            "Position",
            "mm",
            Source("axialEncoderPositions", "position"),
            Source("tangentEncoderPositions", "position"),
            factor=1e-3,
            minimum_span=0.01,
            decimals=4,
            fixed_axial=(-10.0, 10.0),
            fixed_tangent=(-10.0, 10.0),
        ),
        Quantity(
            "steps",
            "Steps",
            "step",
            Source("axialActuatorSteps", "steps"),
            Source("tangentActuatorSteps", "steps"),
            minimum_span=10.0,
            decimals=0,
            fixed_axial=(-100_000.0, 100_000.0),
            fixed_tangent=(-100_000.0, 100_000.0),
        ),
    )
}


@dataclass(frozen=True)
class ActuatorValue:
    """One line of an actuator's hover text: a named value and where it comes from."""

    title: str
    value: float
    unit: str
    decimals: int
    signal: str | None

    def text(self) -> str:
        """``value unit``, or "no value"."""
        if self.value != self.value:  # NaN
            return "no value"
        value = self.value if round(self.value, self.decimals) else 0.0  # no "-0.00"
        return f"{value:.{self.decimals}f} {self.unit}".rstrip()
