"""The simulated mirror: forces, position, temperatures, power, inclination.

`Plant.step` advances the physics by one control cycle; `Plant.telemetry`
returns the messages of the telemetry topics for that cycle, as dicts whose
array values are numpy arrays (encoded directly by orjson).

The model, kept small enough for 20 Hz at a few percent of a core:

- The mirror is a rigid body held by 3 axial and 3 tangent hardpoints; the
  other 66 + 3 actuators are force-controlled. Actuator lengths (the encoder
  positions, um) follow the rigid body, ``L = J p``; the reported ``position``
  is the rigid body seen by the hardpoints, relative to home, and
  ``positionIMS`` the same body through the independent sensors (a little
  noisier, slightly offset, lagging by 0.1 s).
- Closed loop: a non-hardpoint actuator is commanded LUT (gravity +
  temperature) + applied + correction, and its measured force follows with a
  0.5 s lag (0.1 s tangent), so a change of ``applyForces`` shows as a force error that decays.
  The correction has a feed-forward part that removes the net force and moment
  of the applied pattern (it cannot be carried by the hardpoints) and an
  integral part that offloads the hardpoints (1 s) from the load the LUT does
  not model. The hardpoints take whatever keeps the mirror in equilibrium;
  their ``hardpointCorrection`` is what they carry beyond LUT + applied, so
  their force error is zero. ``forceBalance`` is the net force and moment of
  the corrections: minus the net of the applied forces, once settled.
  ``positionMirror`` moves the body with a critically damped response that
  settles in about 1.5 s.
- Open loop (or no motor power): actuators hold their lengths; ``moveActuators``
  changes a length by its steps, which changes that actuator's force (0.2 N/um
  axial, 1 N/um tangent, against the rigid body) and, for a hardpoint, moves
  the mirror.
- Temperatures: 12 ring sensors in three rings (LG2, LG3, LG4), each ring a
  few tenths of a degree apart, slow drifts and 0.01 degC noise; intake and
  exhaust about 1 degC apart, 4 apart while the cell temperature warning is
  injected. Breaker trips lower the feed's current.
"""

from __future__ import annotations

import math
from functools import lru_cache
from typing import Any

import numpy as np
import numpy.typing as npt

from m2gui.model.geometry import CellGeometry, load_geometry

from .controller import ARCSEC, COMM, MOTOR, SimController

__all__ = ["Plant"]

Array = npt.NDArray[np.float64]

G = 9.80665
FORCE_TAU_AXIAL = 0.5  # s, measured force following its command
FORCE_TAU_TANGENT = 0.1  # s (faster: the tangent LUT moves by ~10 N/s with elevation)
BALANCE_TAU = 1.0  # s, force balance offloading the hardpoints
POSITION_OMEGA = 4.0  # rad/s, critically damped rigid body: settles in ~1.5 s
MAX_STEP = 0.05  # s, largest integration step (slower telemetry rates take several)
IMS_TAU = 0.1  # s, lag of the independent measurement system
EXHAUST_TAU = 20.0  # s, exhaust air warming up or cooling down
ELEVATION_PERIOD = 900.0  # s, the slow elevation profile
STIFFNESS_AXIAL = 0.2  # N/um, axial actuator pushed against the mirror
STIFFNESS_TANGENT = 1.0  # N/um, tangent link
SETTLED_FORCE = 0.5  # N
SETTLED_POSITION = 0.5  # um, arcsec
#: Offset of the IMS against the hardpoint position (um, um, um, ", ", ").
IMS_BIAS = np.array([0.4, -0.3, 0.2, 0.05, -0.04, 0.03])
#: Extra exhaust temperature (degC) while the cell temperature warning is injected.
CELL_HOT_DELTA = 3.2


class _Group:
    """Hardpoint algebra of one actuator group (axial or tangent).

    ``statics`` (3 x n) maps forces to the group's net load (fz, mx, my or
    fx, fy, mz); ``kinematics`` (n x 3) maps the body's three coordinates to
    actuator lengths (um).
    """

    def __init__(self, statics: Array, kinematics: Array, hardpoints: tuple[int, ...]) -> None:
        n = statics.shape[1]
        self.hard = np.array(hardpoints, dtype=int)
        self.soft = np.array([i for i in range(n) if i not in hardpoints], dtype=int)
        self.statics = statics
        b_soft = statics[:, self.soft]
        self.b_soft = b_soft
        # Hardpoint forces from the load they must carry (pinv: robust to a
        # degenerate choice, which then shows as huge hardpoint forces).
        self.hard_from_load = np.linalg.pinv(statics[:, self.hard])
        # Minimum-norm forces on the soft actuators giving a net load.
        self.soft_from_load = np.linalg.pinv(b_soft)
        self.body_from_hard = np.linalg.pinv(kinematics[self.hard])


@lru_cache(maxsize=8)
def _groups(hardpoints: tuple[int, ...], n_axial: int) -> tuple[_Group, _Group]:
    geom = load_geometry()
    statics_ax, kin_ax, statics_tan, kin_tan = _matrices(geom, n_axial)
    axial = tuple(h for h in hardpoints if h < n_axial)
    tangent = tuple(h - n_axial for h in hardpoints if h >= n_axial)
    return _Group(statics_ax, kin_ax, axial), _Group(statics_tan, kin_tan, tangent)


def _matrices(geom: CellGeometry, n_axial: int) -> tuple[Array, Array, Array, Array]:
    x, y = geom.x[:n_axial], geom.y[:n_axial]
    theta = np.radians(geom.tangent_angle_deg)
    radius = float(np.hypot(geom.x[n_axial], geom.y[n_axial]))
    statics_ax = np.vstack([np.ones(n_axial), y, -x])  # fz, mx, my
    kin_ax = np.column_stack([np.ones(n_axial), y * 1e6 * ARCSEC, -x * 1e6 * ARCSEC])
    statics_tan = np.vstack([np.cos(theta), -np.sin(theta), np.full(theta.size, radius)])
    kin_tan = np.column_stack(
        [np.cos(theta), -np.sin(theta), np.full(theta.size, radius * 1e6 * ARCSEC)]
    )
    return statics_ax, kin_ax, statics_tan, kin_tan


class Plant:
    """Physics and sensors of the M2 cell, driven by a `SimController`.

    Parameters
    ----------
    controller : `SimController`
        Commanded state (power, forces, position target, steps, hardpoints).
    seed : `int` or None
        Seed of the noise generators, for repeatable runs. The physics and
        the telemetry noise draw from separate streams, so what clients read
        does not change the physics.
    """

    def __init__(self, controller: SimController, seed: int | None = None) -> None:
        self.ctrl = controller
        self.geom: CellGeometry = load_geometry()
        physics, noise = np.random.SeedSequence(seed).spawn(2)
        self.rng = np.random.default_rng(physics)
        self.noise_rng = np.random.default_rng(noise)
        c = controller.catalogue.constants
        n_ax, n_tan = controller.n_axial, controller.n_tangent
        self.n_axial, self.n_tangent = n_ax, n_tan
        n = n_ax + n_tan
        self.time = 0.0
        weight = float(c["MIRROR_WEIGHT_KG"]) * G
        self.weight = weight
        x, y = self.geom.x[:n_ax], self.geom.y[:n_ax]
        radius = np.hypot(x, y)
        # Outer rings carry a little more of the weight than inner ones.
        share = 1.0 + 0.15 * (radius - radius.mean()) / radius.std()
        self.axial_share = weight * share / share.sum()
        theta = np.radians(self.geom.tangent_angle_deg)
        self.tangent_theta = theta
        # A1 and A4 carry no in-plane gravity; the four others share it.
        self.tangent_share = np.where(np.isclose(np.cos(theta) ** 2, 1.0), 0.0, 1.0)
        # A2, A3 in compression (negative), A5, A6 in tension, as the vendor counts them.
        self.tangent_sign = np.where(np.sin(theta) > 0, -1.0, 1.0)
        self.statics_ax, self.kin_ax, self.statics_tan, self.kin_tan = _matrices(self.geom, n_ax)
        self.tangent_radius_um = float(np.hypot(self.geom.x[n_ax], self.geom.y[n_ax])) * 1e6
        self.step_um = float(c["STEP_TO_MM"]) * 1000.0
        # Temperature LUT patterns: bulk (by angle) and radial gradient terms.
        angle = np.arctan2(x, y)
        self.lut_temp_bulk = 0.8 * np.cos(2 * angle)
        self.lut_temp_gradient = 1.5 * (radius - radius.mean()) / radius.std()
        # The load the LUT does not model (a few N), fixed per seed.
        self.unmodelled = np.concatenate([self.rng.normal(0.0, 2.0, n_ax), np.zeros(n_tan)])
        self.stiffness = np.concatenate(
            [np.full(n_ax, STIFFNESS_AXIAL), np.full(n_tan, STIFFNESS_TANGENT)]
        )
        # State.
        self.body = np.zeros(6)  # x, y, z um; xRot, yRot, zRot arcsec (absolute)
        self.body_velocity = np.zeros(6)
        self.ims = np.zeros(6)
        self.length = np.zeros(n)  # actuator lengths, um
        self.lut = np.concatenate([self.axial_share, np.zeros(n_tan)])
        self.measured = self.lut.copy()
        self.correction = np.zeros(n)  # integral part of the force balance
        self.feed_forward = np.zeros(n)
        self.force_error = np.zeros(n)
        self._feed_forward_key: bytes | None = None
        self.force_tau = np.concatenate(
            [np.full(n_ax, FORCE_TAU_AXIAL), np.full(n_tan, FORCE_TAU_TANGENT)]
        )
        self.lut_gravity_axial = self.axial_share.copy()
        self.lut_gravity_tangent = np.zeros(n_tan)
        self.lut_temperature_axial = np.zeros(n_ax)
        # Temperatures: three rings of four sensors, intake and exhaust.
        n_ring = int(c["NUM_TEMPERATURE_RING"])
        self.ring_base = 22.0 + np.repeat([0.0, 0.3, 0.6], n_ring // 3)[:n_ring]
        self.ring_base += self.rng.normal(0.0, 0.08, n_ring)
        self.ring_drift = np.zeros(n_ring)
        self.ring = self.ring_base.copy()
        self.intake_base = np.array([19.9, 20.1])
        self.intake = self.intake_base.copy()
        self.exhaust_rise = np.full(2, 1.0)
        self.exhaust = self.intake + self.exhaust_rise
        self.ilc_counter = 0
        self.settled = False
        self.closed_loop = False
        # Start at rest: the actuators hold the look-up-table forces.
        self._look_up_tables()
        self.measured = self.lut.copy()

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

    @property
    def position(self) -> Array:
        """Rigid-body position relative to home (um, arcsec), as the hardpoints see it."""
        return self.body - self.ctrl.home_offset

    @property
    def measured_axial(self) -> Array:
        return self.measured[: self.n_axial]

    @property
    def measured_tangent(self) -> Array:
        return self.measured[self.n_axial :]

    def groups(self) -> tuple[_Group, _Group]:
        """The hardpoint algebra of the current hardpoint list."""
        return _groups(tuple(self.ctrl.hardpoints), self.n_axial)

    def surface(self, body: Array) -> Array:
        """Actuator lengths (um) that put the mirror at ``body``."""
        x, y, z, rx, ry, rz = body
        return np.concatenate(
            [self.kin_ax @ np.array([z, rx, ry]), self.kin_tan @ np.array([x, y, rz])]
        )

    def body_from_lengths(self, length: Array) -> Array:
        """The rigid body the hardpoints' lengths define."""
        axial, tangent = self.groups()
        z, rx, ry = axial.body_from_hard @ length[: self.n_axial][axial.hard]
        x, y, rz = tangent.body_from_hard @ length[self.n_axial :][tangent.hard]
        return np.array([x, y, z, rx, ry, rz])

    # ------------------------------------------------------------------
    def step(self, dt: float) -> None:
        """Advance the plant by ``dt`` seconds (one control cycle)."""
        steps = max(1, math.ceil(dt / MAX_STEP))
        for _ in range(steps):
            self._advance(dt / steps)
        self.ilc_counter = (self.ilc_counter + 1) % 16

    def _advance(self, dt: float) -> None:
        ctrl = self.ctrl
        self.time += dt
        self._look_up_tables()
        self._temperatures(dt)
        closed = ctrl.motor_on and ctrl.force_balance
        self.closed_loop = closed
        n_ax = self.n_axial
        # Kinematics: the hardpoints set the body; the others follow it
        # (closed loop) or hold their steps (open loop).
        if closed:
            self._move_body(ctrl.target_position + ctrl.home_offset, dt)
            self.length = self.surface(self.body)
            ctrl.steps[:] = np.rint(self.length / self.step_um).astype(np.int64)
            strain = np.zeros_like(self.length)
        else:
            self.body_velocity[:] = 0.0
            self.length = ctrl.steps.astype(np.float64) * self.step_um
            self.body = self.body_from_lengths(self.length)
            strain = self.length - self.surface(self.body)
        # Forces on the force-controlled actuators, then the hardpoints'.
        applied = np.concatenate([ctrl.applied_axial, ctrl.applied_tangent])
        if closed:
            command = self.lut + applied + self._feed_forward(applied) + self.correction
        else:
            command = self.lut + self.stiffness * strain
        alpha = 1.0 - np.exp(-dt / self.force_tau)
        beta = dt / BALANCE_TAU
        required = self.lut + self.unmodelled
        self.force_error[:] = 0.0
        for group, part in zip(self.groups(), (slice(0, n_ax), slice(n_ax, None)), strict=True):
            measured = self.measured[part]
            soft, hard = group.soft, group.hard
            measured[soft] += alpha[part][soft] * (command[part][soft] - measured[soft])
            load = group.statics @ required[part] - group.b_soft @ measured[soft]
            measured[hard] = group.hard_from_load @ load
            self.force_error[part][soft] = command[part][soft] - measured[soft]
            if closed:
                carried = group.statics[:, hard] @ (measured[hard] - self.lut[part][hard])
                self.correction[part][soft] += beta * (group.soft_from_load @ carried)
        target = ctrl.target_position + ctrl.home_offset
        position_error = float(np.abs(target - self.body).max())
        self.settled = bool(
            closed
            and np.abs(self.force_error[:n_ax]).max() < SETTLED_FORCE
            and position_error < SETTLED_POSITION
        )
        self.ims += (1.0 - math.exp(-dt / IMS_TAU)) * (self.body - self.ims)

    def _look_up_tables(self) -> None:
        ctrl = self.ctrl
        zenith = math.radians(90.0 - self.elevation)
        lut_axial = self.axial_share * math.cos(zenith)
        lut_tangent = (
            (self.weight * math.sin(zenith) / (4 * math.cos(math.radians(30))))
            * self.tangent_share
            * self.tangent_sign
        )
        if ctrl.control_parameters.get("enableLutTemperature"):
            delta = self.ring - np.asarray(ctrl.temperature_reference, dtype=float)
            bulk = float(delta.mean())
            gradient = float(delta[-4:].mean() - delta[:4].mean())
            lut_temp = bulk * self.lut_temp_bulk + gradient * self.lut_temp_gradient
        else:
            lut_temp = np.zeros(self.n_axial)
        self.lut_gravity_axial, self.lut_gravity_tangent = lut_axial, lut_tangent
        self.lut_temperature_axial = lut_temp
        ctrl.lut_axial = lut_axial + lut_temp
        ctrl.lut_tangent = lut_tangent
        self.lut[: self.n_axial] = ctrl.lut_axial
        self.lut[self.n_axial :] = lut_tangent

    def _feed_forward(self, applied: Array) -> Array:
        """Corrections that cancel the net load of the applied forces (cached)."""
        ctrl = self.ctrl
        key = applied.tobytes() + bytes(ctrl.hardpoints)
        if key != self._feed_forward_key:
            self._feed_forward_key = key
            out = np.zeros_like(applied)
            n_ax = self.n_axial
            for group, part in zip(self.groups(), (slice(0, n_ax), slice(n_ax, None)), strict=True):
                soft = group.soft
                net = group.b_soft @ applied[part][soft]
                out[part][soft] = -(group.soft_from_load @ net)
            self.feed_forward = out
        return self.feed_forward

    def _move_body(self, target: Array, dt: float) -> None:
        w = POSITION_OMEGA
        accel = w * w * (target - self.body) - 2.0 * w * self.body_velocity
        self.body_velocity += accel * dt
        self.body += self.body_velocity * dt

    def _temperatures(self, dt: float) -> None:
        ctrl = self.ctrl
        rng = self.rng
        root = math.sqrt(dt)
        # Slow mean-reverting drifts (about 0.1 degC) on a 5-minute scale.
        self.ring_drift += -self.ring_drift * dt / 300.0 + rng.normal(
            0.0, 0.008 * root, self.ring_drift.size
        )
        swing = 0.25 * math.sin(2 * math.pi * self.time / 1800.0)
        self.ring = self.ring_base + swing + self.ring_drift
        self.intake = self.intake_base + 0.5 * swing + 0.5 * self.ring_drift[:2]
        rise = 1.0 + (0.3 if ctrl.motor_on else 0.0)
        rise += CELL_HOT_DELTA if ctrl.cell_temperature_high else 0.0
        self.exhaust_rise += (1.0 - math.exp(-dt / EXHAUST_TAU)) * (rise - self.exhaust_rise)
        self.exhaust = self.intake + self.exhaust_rise

    # ------------------------------------------------------------------
    def telemetry(self, topics: list[str]) -> list[dict[str, Any]]:
        """Return this cycle's message for each named topic, in that order."""
        return [getattr(self, "tel_" + name)() for name in topics]

    def _noise(self, scale: float, size: int | None = None) -> Any:
        return self.noise_rng.normal(0.0, scale, size)

    def hardpoint_correction(self, measured: Array) -> Array:
        """``hardpointCorrection`` of the 78 actuators for these measured forces.

        Closed loop: the correction on the force-controlled actuators and, at
        the hardpoints, what they carry beyond LUT + applied (their force
        error is then zero). Otherwise zeros, as the reference simulator.
        """
        if not self.closed_loop:
            return np.zeros_like(measured)
        ctrl = self.ctrl
        applied = np.concatenate([ctrl.applied_axial, ctrl.applied_tangent])
        out = self._feed_forward(applied) + self.correction
        hard = np.asarray(ctrl.hardpoints, dtype=int)
        out[hard] = measured[hard] - self.lut[hard] - applied[hard]
        return out

    def _power(self, raw: bool) -> dict[str, Any]:
        ctrl = self.ctrl
        gain, offset = (1.02, 0.08) if raw else (1.0, 0.0)
        motor = ctrl.breakers["motor"]
        comm = ctrl.breakers["communication"]
        moving = len(ctrl.move.actuators) if ctrl.move is not None and not ctrl.move.paused else 0
        motor_load = motor.nominal_current + (0.5 if ctrl.force_balance else 0.0) + 0.004 * moving
        noise = self._noise(1.0, 4)

        def value(on: bool, nominal: float, n: float) -> float:
            base = nominal if on else 0.0
            return round(gain * (base + n * (0.05 if on else 0.005)) + offset, 4)

        return {
            "motorVoltage": value(ctrl.power[MOTOR], 23.0, noise[0]),
            "motorCurrent": value(ctrl.power[MOTOR], motor_load * motor.closed_fraction, noise[1]),
            "commVoltage": value(ctrl.power[COMM], 23.0, noise[2]),
            "commCurrent": value(
                ctrl.power[COMM], comm.nominal_current * comm.closed_fraction, noise[3]
            ),
        }

    def tel_powerStatusRaw(self) -> dict[str, Any]:
        return {"id": "powerStatusRaw", **self._power(raw=True)}

    def tel_powerStatus(self) -> dict[str, Any]:
        return {"id": "powerStatus", **self._power(raw=False)}

    def tel_displacementSensors(self) -> dict[str, Any]:
        x, y, z, rx, ry, rz = self.ims
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
        """Per actuator ILC: bits 4-7 the broadcast counter, bit 0 fault, bits 2-3 limits."""
        ctrl = self.ctrl
        status = np.full(self.n_axial + self.n_tangent, self.ilc_counter << 4, dtype=np.int64)
        for address in ctrl.ilc_faults:
            if address < status.size:
                status[address] |= 0b0001
        for actuator in ctrl.limit_retract:
            status[actuator] |= 0b0100
        for actuator in ctrl.limit_extend:
            status[actuator] |= 0b1000
        return {"id": "ilcData", "status": status}

    def tel_netForcesTotal(self) -> dict[str, Any]:
        f = self.measured_tangent
        return {
            "id": "netForcesTotal",
            "fx": float((f * np.cos(self.tangent_theta)).sum()),
            "fy": float((-f * np.sin(self.tangent_theta)).sum()),
            "fz": float(self.measured_axial.sum()),
        }

    def _moments(self, axial: Array, tangent: Array) -> tuple[float, float, float]:
        x, y = self.geom.x[: self.n_axial], self.geom.y[: self.n_axial]
        return (
            float((axial * y).sum()),
            float(-(axial * x).sum()),
            float(tangent.sum() * self.tangent_radius_um * 1e-6),
        )

    def tel_netMomentsTotal(self) -> dict[str, Any]:
        mx, my, mz = self._moments(self.measured_axial, self.measured_tangent)
        return {"id": "netMomentsTotal", "mx": mx, "my": my, "mz": mz}

    def _forces(
        self, name: str, part: slice, lut_gravity: Array, lut_temperature: Array, applied: Array
    ) -> dict[str, Any]:
        measured = self.measured.copy()
        measured[part] += self._noise(0.3 if name == "axialForce" else 1.0, len(applied))
        return {
            "id": name,
            "lutGravity": lut_gravity,
            "lutTemperature": lut_temperature,
            "applied": applied,
            "measured": measured[part],
            "hardpointCorrection": self.hardpoint_correction(measured)[part],
        }

    def tel_axialForce(self) -> dict[str, Any]:
        return self._forces(
            "axialForce",
            slice(0, self.n_axial),
            self.lut_gravity_axial,
            self.lut_temperature_axial,
            self.ctrl.applied_axial,
        )

    def tel_tangentForce(self) -> dict[str, Any]:
        return self._forces(
            "tangentForce",
            slice(self.n_axial, None),
            self.lut_gravity_tangent,
            np.zeros(self.n_tangent),
            self.ctrl.applied_tangent,
        )

    def tel_forceBalance(self) -> dict[str, Any]:
        """Net force and moment of the force balance system's corrections."""
        correction = self.hardpoint_correction(self.measured)
        axial, tangent = correction[: self.n_axial], correction[self.n_axial :]
        mx, my, mz = self._moments(axial, tangent)
        theta = self.tangent_theta
        values = np.array(
            [
                (tangent * np.cos(theta)).sum(),
                (-tangent * np.sin(theta)).sum(),
                axial.sum(),
                mx,
                my,
                mz,
            ]
        ) + self._noise(0.05, 6)
        keys = ("fx", "fy", "fz", "mx", "my", "mz")
        return {"id": "forceBalance", **{k: float(v) for k, v in zip(keys, values, strict=True)}}

    def _rigid_body(self, name: str, body: Array, noise: float) -> dict[str, Any]:
        values = body - self.ctrl.home_offset + self._noise(noise, 6)
        keys = ("x", "y", "z", "xRot", "yRot", "zRot")
        return {"id": name, **{k: float(v) for k, v in zip(keys, values, strict=True)}}

    def tel_position(self) -> dict[str, Any]:
        return self._rigid_body("position", self.body, 0.02)

    def tel_positionIMS(self) -> dict[str, Any]:
        return self._rigid_body("positionIMS", self.ims + IMS_BIAS, 0.1)

    def tel_temperature(self) -> dict[str, Any]:
        return {
            "id": "temperature",
            "ring": self.ring + self._noise(0.01, self.ring.size),
            "intake": self.intake + self._noise(0.01, 2),
            "exhaust": self.exhaust + self._noise(0.01, 2),
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
        n = self.n_axial
        return {
            "id": "axialEncoderPositions",
            "position": self.length[:n] + self._noise(0.05, n),
        }

    def tel_tangentEncoderPositions(self) -> dict[str, Any]:
        return {
            "id": "tangentEncoderPositions",
            "position": self.length[self.n_axial :] + self._noise(0.05, self.n_tangent),
        }

    def tel_axialActuatorSteps(self) -> dict[str, Any]:
        return {"id": "axialActuatorSteps", "steps": self.ctrl.steps[: self.n_axial].copy()}

    def tel_tangentActuatorSteps(self) -> dict[str, Any]:
        return {"id": "tangentActuatorSteps", "steps": self.ctrl.steps[self.n_axial :].copy()}

    def tel_forceErrorTangent(self) -> dict[str, Any]:
        measured = self.measured_tangent
        error = measured - self.lut_gravity_tangent - self.ctrl.applied_tangent
        load_bearing = self.tangent_share > 0
        weight_error = float(np.abs(measured[load_bearing]).sum()) - float(
            np.abs(self.lut_gravity_tangent[load_bearing]).sum()
        )
        return {
            "id": "forceErrorTangent",
            "force": error,
            "weight": weight_error,
            "sum": float(measured.sum()),
        }

    def tel_inclinometerAngleTma(self) -> dict[str, Any]:
        ext = self.ctrl.external_elevation
        return {
            "id": "inclinometerAngleTma",
            "inclinometer": ext if ext is not None else self.elevation,
        }
