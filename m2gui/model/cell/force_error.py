"""Per-actuator force error, computed as the incumbent GUI (and the vendor LabVIEW) does.

The controller does not send a per-actuator force error for the axial
actuators; ts_m2gui computes it from the ``axialForce`` / ``tangentForce``
telemetry::

    error = lutGravity + lutTemperature + applied + hardpointCorrection - measured

and sets it to 0 at the six hardpoints (their force is whatever holds the
mirror in place, there is no demand to compare with). The mirror map uses
it; it takes the axial (72), tangent (6) or all 78 values, or a history
(samples x actuators), so that the forces table can use it as well.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import numpy.typing as npt

__all__ = ["force_error"]

FloatArray = npt.NDArray[np.float64]


def force_error(
    lut_gravity: npt.ArrayLike,
    lut_temperature: npt.ArrayLike | None,
    applied: npt.ArrayLike,
    hardpoint_correction: npt.ArrayLike,
    measured: npt.ArrayLike,
    hardpoints: Iterable[int] = (),
    *,
    first: int = 0,
    out: FloatArray | None = None,
) -> FloatArray:
    """Force error of each actuator (N), zeroed at the hardpoints.

    ``lut_gravity + lut_temperature + applied + hardpoint_correction - measured``.

    Parameters
    ----------
    lut_gravity, applied, hardpoint_correction, measured : array_like
        The ``axialForce`` (72) or ``tangentForce`` (6) fields, or all 78
        actuators, or a history (samples x actuators): the actuators are the
        last axis.
    lut_temperature : array_like or None
        The temperature LUT force. None, or NaN elements, count as 0: the
        incumbent shows a temperature term for the axial actuators only, and
        the controller sends ``tangentForce.lutTemperature`` as an empty list
        (stored as NaN).
    hardpoint_correction : array_like
        NaN elements count as 0: the incumbent takes the correction only at
        full length (the controller sends it short when faulted) and starts
        from zeros.
    hardpoints : iterable of int
        0-based actuator indices (0-77, as ``hardpointList`` after the
        store's conversion); the error is 0 there. Indices outside the arrays
        are ignored.
    first : int, optional
        The actuator index of the arrays' first element: 0 for axial or all
        78 actuators, 72 for the tangent arrays.
    out : ndarray, optional
        Where to write the result (same shape): no allocation for the result.

    Returns
    -------
    error : ndarray
        Same shape as the inputs. NaN where the measured force, the gravity
        LUT or the applied force is NaN (a value that did not arrive stays
        unknown, at a hardpoint too).
    """
    gravity = np.asarray(lut_gravity, dtype=float)
    result: FloatArray = np.add(gravity, np.asarray(applied, dtype=float), out=out)
    result += np.nan_to_num(np.asarray(hardpoint_correction, dtype=float), nan=0.0)
    result -= np.asarray(measured, dtype=float)
    if lut_temperature is not None:
        temperature = np.asarray(lut_temperature, dtype=float)
        if temperature.size:
            result += np.nan_to_num(temperature, nan=0.0)
    n = result.shape[-1] if result.ndim else 0
    for index in hardpoints:
        position = int(index) - first
        if 0 <= position < n:
            column = result[..., position]
            result[..., position] = np.where(np.isnan(column), np.nan, 0.0)
    return result
