"""Qt-free embedded M2 cell controller simulator."""

from .controller import CommandFailure, SimController
from .faults import GARBAGE, Faults
from .plant import Plant
from .server import ControllerSimulator

__all__ = ["GARBAGE", "CommandFailure", "ControllerSimulator", "Faults", "Plant", "SimController"]
