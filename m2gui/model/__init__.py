"""Qt-free application state: protocol catalogue, telemetry, events, history."""

from .catalogue import (
    Catalogue,
    CommandSpec,
    CommandValidationError,
    FieldSpec,
    Param,
    TopicSpec,
    load_catalogue,
)

__all__ = [
    "Catalogue",
    "CommandSpec",
    "CommandValidationError",
    "FieldSpec",
    "Param",
    "TopicSpec",
    "load_catalogue",
]
