"""Qt-free embedded M2 cell controller simulator."""

from .controller import CommandFailure, SimController
from .faults import GARBAGE, Faults
from .injection import INJECTION_KINDS, Injection, parse_injection
from .plant import Plant
from .server import ControllerSimulator

__all__ = [
    "GARBAGE",
    "INJECTION_KINDS",
    "CommandFailure",
    "ControllerSimulator",
    "Faults",
    "Injection",
    "Plant",
    "SimController",
    "parse_injection",
]
