"""The exception a procedure step raises when it cannot do what it should."""

from __future__ import annotations

__all__ = ["StepFailed"]


class StepFailed(Exception):
    """A step could not do what it should; the message says why."""
