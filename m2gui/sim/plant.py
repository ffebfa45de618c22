"""The simulated mirror: forces, position, temperatures, power, inclination.

Each `step` advances the physics by one control cycle; `telemetry` returns the
messages of every telemetry topic for that cycle, as dicts whose array values
are numpy arrays (encoded directly by orjson).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from m2gui.model.geometry import CellGeometry, load_geometry

from .controller import ARCSEC, COMM, MOTOR, SimController

__all__ = ["Plant"]

G = 9.80665
FORCE_TAU = 0.3  # s, measured force following its target
POSITION_TAU = 1.0  # s, mirror following its position target
ELEVATION_PERIOD = 900.0  # s, the slow elevation profile


class Plant:
    """Physics and sensors of the M2 cell, driven by a `SimController`.

    Parameters
    ----------
    controller : `SimController`
        Commanded state (power, forces, position target, steps).
    seed : `int` or None
        Seed of the noise generator, for repeatable runs.
    """

    def __init__(self, controller: SimController, seed: int | None = None) -> None:
        self.ctrl = controller
        self.geom: CellGeometry = load_geometry()
        self.rng = np.random.default_rng(seed)
        c = controller.catalogue.constants
        n_ax, n_tan = controller.n_axial, controller.n_tangent
        self.n_axial, self.n_tangent = n_ax, n_tan
        self.time = 0.0
        weight = float(c["MIRROR_WEIGHT_KG"]) * G
        self.weight = weight
        radius = np.hypot(self.geom.x[:n_ax], self.geom.y[:n_ax])
        # Outer rings carry a little more of the weight than inner ones.
        share = 1.0 + 0.15 * (radius - radius.mean()) / radius.std()
        self.axial_share = weight * share / share.sum()
        theta = np.radians(self.geom.tangent_angle_deg)
        self.tangent_theta = theta
        # A1 and A4 carry no in-plane gravity; the four others share it.
        self.tangent_share = np.where(np.isclose(np.cos(theta) ** 2, 1.0), 0.0, 1.0)
        self.tangent_sign = np.where(np.sin(theta) > 0, 1.0, -1.0)
        self.measured_axial = self.axial_share.copy()
        self.measured_tangent = np.zeros(n_tan)
        self.hp_correction_axial = np.zeros(n_ax)
        self.hp_correction_tangent = np.zeros(n_tan)
        self.position = np.zeros(6)
        self.ring = np.linspace(24.49, 26.53, int(c["NUM_TEMPERATURE_RING"]))
        self.intake = np.array([19.8, 20.1])
        self.exhaust = np.array([20.9, 21.2])
        self.ilc_counter = 0
        self.settled = False
        self.x_um = self.geom.x[:n_ax] * 1e6
        self.y_um = self.geom.y[:n_ax] * 1e6
        self.tangent_radius_um = float(np.hypot(self.geom.x[n_ax], self.geom.y[n_ax])) * 1e6
        self.step_um = float(c["STEP_TO_MM"]) * 1000.0

    # ------------------------------------------------------------------
    @property
    def elevation(self) -> float:
        """Telescope elevation in degrees (a slow profile between 40 and 80)."""
        ctrl = self.ctrl
        if ctrl.control_parameters.get("useExternalElevationAngle") and (
            ctrl.external_elevation is not None
        ):
            return ctrl.external_elevation
        return 60.0 + 20.0 * math.sin(2 * math.pi * self.time / ELEVATION_PERIOD)

    def step(self, dt: float) -> None:
        """Advance the plant by ``dt`` seconds."""
        ctrl = self.ctrl
        self.time += dt
        rng = self.rng
        zenith = math.radians(90.0 - self.elevation)
        lut_axial = self.axial_share * math.cos(zenith)
        lut_tangent = (
            (self.weight * math.sin(zenith) / (4 * math.cos(math.radians(30))))
            * self.tangent_share
            * self.tangent_sign
        )
        if ctrl.control_parameters.get("enableLutTemperature"):
            ref = np.asarray(ctrl.temperature_reference)
            delta = float((self.ring - ref).mean())
            lut_temp = 0.8 * delta * np.sin(np.arange(self.n_axial) * 0.7)
        else:
            lut_temp = np.zeros(self.n_axial)
        self.lut_gravity_axial, self.lut_gravity_tangent = lut_axial, lut_tangent
        self.lut_temperature_axial = lut_temp
        ctrl.lut_axial = lut_axial + lut_temp
        ctrl.lut_tangent = lut_tangent
        alpha = 1.0 - math.exp(-dt / FORCE_TAU)
        if ctrl.motor_on and ctrl.force_balance:
            self.hp_correction_axial = 0.9 * self.hp_correction_axial + rng.normal(
                0.0, 0.05, self.n_axial
            )
            self.hp_correction_tangent = 0.9 * self.hp_correction_tangent + rng.normal(
                0.0, 0.2, self.n_tangent
            )
            target_ax = lut_axial + lut_temp + ctrl.applied_axial + self.hp_correction_axial
            target_tan = lut_tangent + ctrl.applied_tangent + self.hp_correction_tangent
        else:
            self.hp_correction_axial[:] = 0.0
            self.hp_correction_tangent[:] = 0.0
            target_ax, target_tan = lut_axial, lut_tangent
        self.measured_axial += alpha * (target_ax - self.measured_axial)
        self.measured_tangent += alpha * (target_tan - self.measured_tangent)
        self.force_error_axial = target_ax - self.measured_axial
        beta = 1.0 - math.exp(-dt / POSITION_TAU)
        if ctrl.motor_on and ctrl.force_balance:
            self.position += beta * (ctrl.target_position - self.position)
        position_error = np.abs(ctrl.target_position - self.position).max()
        self.settled = bool(np.abs(self.force_error_axial).max() < 0.5 and position_error < 0.5)
        # Temperatures: slow drift with a pull back towards a daily mean.
        self.ring += 0.002 * (25.5 - self.ring) * dt + rng.normal(0.0, 0.003, self.ring.size)
        self.intake += rng.normal(0.0, 0.002, 2)
        self.exhaust += 0.01 * (self.intake + 1.1 - self.exhaust) * dt + rng.normal(0.0, 0.002, 2)
        self.ilc_counter = (self.ilc_counter + 1) % 16

    # ------------------------------------------------------------------
    def telemetry(self, topics: list[str]) -> list[dict[str, Any]]:
        """Return this cycle's message for each named topic, in that order."""
        return [getattr(self, "tel_" + name)() for name in topics]

    def _noise(self, scale: float, size: int | None = None) -> Any:
        return self.rng.normal(0.0, scale, size)

    def _power(self, raw: bool) -> dict[str, Any]:
        ctrl = self.ctrl
        gain, offset = (1.02, 0.08) if raw else (1.0, 0.0)

        def value(on: bool, nominal: float) -> float:
            base = nominal if on else 0.0
            return round(gain * (base + float(self._noise(0.05 if on else 0.005))) + offset, 4)

        return {
            "motorVoltage": value(ctrl.power[MOTOR], 23.0),
            "motorCurrent": value(ctrl.power[MOTOR], 8.5),
            "commVoltage": value(ctrl.power[COMM], 23.0),
            "commCurrent": value(ctrl.power[COMM], 6.5),
        }

    def tel_powerStatusRaw(self) -> dict[str, Any]:
        return {"id": "powerStatusRaw", **self._power(raw=True)}

    def tel_powerStatus(self) -> dict[str, Any]:
        return {"id": "powerStatus", **self._power(raw=False)}

    def tel_displacementSensors(self) -> dict[str, Any]:
        x, y, z, rx, ry, rz = self.position
        theta = self.tangent_theta
        r = self.tangent_radius_um
        delta_z = z + r * (np.cos(theta) * rx - np.sin(theta) * ry) * ARCSEC
        theta_z = r * rz * ARCSEC + x * np.cos(theta) - y * np.sin(theta)
        return {
            "id": "displacementSensors",
            "thetaZ": theta_z + self._noise(0.1, 6),
            "deltaZ": delta_z + self._noise(0.1, 6),
        }

    def tel_ilcData(self) -> dict[str, Any]:
        status = np.full(self.n_axial + self.n_tangent, self.ilc_counter << 4, dtype=np.int64)
        return {"id": "ilcData", "status": status}

    def tel_netForcesTotal(self) -> dict[str, Any]:
        f = self.measured_tangent
        return {
            "id": "netForcesTotal",
            "fx": float((f * np.cos(self.tangent_theta)).sum()),
            "fy": float((-f * np.sin(self.tangent_theta)).sum()),
            "fz": float(self.measured_axial.sum()),
        }

    def tel_netMomentsTotal(self) -> dict[str, Any]:
        fa = self.measured_axial
        x, y = self.geom.x[: self.n_axial], self.geom.y[: self.n_axial]
        return {
            "id": "netMomentsTotal",
            "mx": float((fa * y).sum()),
            "my": float(-(fa * x).sum()),
            "mz": float(self.measured_tangent.sum() * self.tangent_radius_um * 1e-6),
        }

    def tel_axialForce(self) -> dict[str, Any]:
        ctrl = self.ctrl
        return {
            "id": "axialForce",
            "lutGravity": self.lut_gravity_axial,
            "lutTemperature": self.lut_temperature_axial,
            "applied": ctrl.applied_axial,
            "measured": self.measured_axial + self._noise(0.3, self.n_axial),
            "hardpointCorrection": self.hp_correction_axial,
        }

    def tel_tangentForce(self) -> dict[str, Any]:
        return {
            "id": "tangentForce",
            "lutGravity": self.lut_gravity_tangent,
            "lutTemperature": np.zeros(self.n_tangent),
            "applied": self.ctrl.applied_tangent,
            "measured": self.measured_tangent + self._noise(1.0, self.n_tangent),
            "hardpointCorrection": self.hp_correction_tangent,
        }

    def tel_forceBalance(self) -> dict[str, Any]:
        on = self.ctrl.force_balance
        n = self._noise(0.5 if on else 0.02, 6)
        return {
            "id": "forceBalance",
            **{k: float(v) for k, v in zip(("fx", "fy", "fz", "mx", "my", "mz"), n, strict=True)},
        }

    def _rigid_body(self, name: str, noise: float) -> dict[str, Any]:
        values = self.position + self._noise(noise, 6)
        keys = ("x", "y", "z", "xRot", "yRot", "zRot")
        return {"id": name, **{k: float(v) for k, v in zip(keys, values, strict=True)}}

    def tel_position(self) -> dict[str, Any]:
        return self._rigid_body("position", 0.02)

    def tel_positionIMS(self) -> dict[str, Any]:
        return self._rigid_body("positionIMS", 0.2)

    def tel_temperature(self) -> dict[str, Any]:
        return {
            "id": "temperature",
            "ring": self.ring.copy(),
            "intake": self.intake.copy(),
            "exhaust": self.exhaust.copy(),
        }

    def tel_zenithAngle(self) -> dict[str, Any]:
        elevation = self.elevation + float(self._noise(0.002))
        offset = float(self.ctrl.catalogue.constants["INCLINOMETER_OFFSET_DEG"])
        return {
            "id": "zenithAngle",
            "measured": 90.0 - elevation,
            "inclinometerRaw": 180.0 - offset - elevation,
            "inclinometerProcessed": elevation,
        }

    def tel_axialEncoderPositions(self) -> dict[str, Any]:
        _, _, z, rx, ry, _ = self.position
        steps = self.ctrl.steps[: self.n_axial]
        tilt = (self.y_um * rx - self.x_um * ry) * ARCSEC
        return {
            "id": "axialEncoderPositions",
            "position": z + tilt + steps * self.step_um + self._noise(0.05, self.n_axial),
        }

    def tel_tangentEncoderPositions(self) -> dict[str, Any]:
        rz = self.position[5]
        steps = self.ctrl.steps[self.n_axial :]
        return {
            "id": "tangentEncoderPositions",
            "position": self.tangent_radius_um * rz * ARCSEC
            + steps * self.step_um
            + self._noise(0.05, self.n_tangent),
        }

    def tel_axialActuatorSteps(self) -> dict[str, Any]:
        return {"id": "axialActuatorSteps", "steps": self.ctrl.steps[: self.n_axial].copy()}

    def tel_tangentActuatorSteps(self) -> dict[str, Any]:
        return {"id": "tangentActuatorSteps", "steps": self.ctrl.steps[self.n_axial :].copy()}

    def tel_forceErrorTangent(self) -> dict[str, Any]:
        error = self.measured_tangent - self.lut_gravity_tangent - self.ctrl.applied_tangent
        load_bearing = self.tangent_share > 0
        weight_error = float(np.abs(self.measured_tangent[load_bearing]).sum()) - float(
            np.abs(self.lut_gravity_tangent[load_bearing]).sum()
        )
        return {
            "id": "forceErrorTangent",
            "force": error,
            "weight": weight_error,
            "sum": float(self.measured_tangent.sum()),
        }

    def tel_inclinometerAngleTma(self) -> dict[str, Any]:
        ext = self.ctrl.external_elevation
        return {
            "id": "inclinometerAngleTma",
            "inclinometer": ext if ext is not None else self.elevation,
        }
