"""Plot layouts: which signals in which panels, with their options, as JSON."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from .catalogue import Catalogue
from .signals import parse_signal

__all__ = ["DEFAULT_LAYOUT", "TIME_MODES", "WINDOWS", "PanelLayout", "PlotLayout"]

#: Time window presets, seconds (None: all the history).
WINDOWS: dict[str, float | None] = {"10 s": 10.0, "1 min": 60.0, "10 min": 600.0, "all": None}
TIME_MODES = ("relative", "clock")
LAYOUT_VERSION = 1


@dataclass
class PanelLayout:
    """One plot panel."""

    signals: list[str] = field(default_factory=list)
    window: float | None = 60.0
    time_mode: str = "relative"
    auto_y: bool = True
    y_range: tuple[float, float] | None = None
    legend: bool | None = None  # None: shown when there are few curves
    title: str = ""


@dataclass
class PlotLayout:
    """All plot panels and the display refresh rate."""

    panels: list[PanelLayout] = field(default_factory=list)
    refresh_hz: float = 30.0

    def to_json(self) -> str:
        """The layout as JSON text."""
        data = {"version": LAYOUT_VERSION, **asdict(self)}
        return json.dumps(data, indent=1)

    @classmethod
    def from_json(cls, text: str, catalogue: Catalogue | None = None) -> PlotLayout:
        """Read a layout; with a catalogue, check every signal name.

        Raises
        ------
        ValueError
            With a message naming what is wrong.
        """
        try:
            data = json.loads(text)
        except json.JSONDecodeError as error:
            raise ValueError(f"plot layout is not JSON: {error}") from None
        if not isinstance(data, dict) or not isinstance(data.get("panels"), list):
            raise ValueError("plot layout needs a 'panels' list")
        if data.get("version", LAYOUT_VERSION) != LAYOUT_VERSION:
            raise ValueError(f"plot layout version {data.get('version')} is not supported")
        refresh = data.get("refresh_hz", 30.0)
        if not isinstance(refresh, int | float) or not 1 <= refresh <= 240:
            raise ValueError(f"refresh_hz must be between 1 and 240, got {refresh!r}")
        panels = [cls._panel(i, p, catalogue) for i, p in enumerate(data["panels"])]
        return cls(panels=panels, refresh_hz=float(refresh))

    @staticmethod
    def _panel(i: int, data: Any, catalogue: Catalogue | None) -> PanelLayout:
        where = f"panel {i + 1}"
        if not isinstance(data, dict):
            raise ValueError(f"{where}: expected an object")
        signals = data.get("signals", [])
        if not isinstance(signals, list) or not all(isinstance(s, str) for s in signals):
            raise ValueError(f"{where}: 'signals' must be a list of names")
        for name in signals:
            try:
                parse_signal(name, catalogue)
            except ValueError as error:
                raise ValueError(f"{where}: {error}") from None
        window = data.get("window", 60.0)
        if window is not None and (not isinstance(window, int | float) or window <= 0):
            raise ValueError(f"{where}: window must be a positive number of seconds or null")
        mode = data.get("time_mode", "relative")
        if mode not in TIME_MODES:
            raise ValueError(f"{where}: time_mode must be one of {TIME_MODES}")
        y_range = data.get("y_range")
        if y_range is not None:
            if (
                not isinstance(y_range, list)
                or len(y_range) != 2
                or not all(isinstance(v, int | float) for v in y_range)
            ):
                raise ValueError(f"{where}: y_range must be [low, high] or null")
            y_range = (float(y_range[0]), float(y_range[1]))
        return PanelLayout(
            signals=list(signals),
            window=None if window is None else float(window),
            time_mode=mode,
            auto_y=bool(data.get("auto_y", True)),
            y_range=y_range,
            legend=None if data.get("legend") is None else bool(data["legend"]),
            title=str(data.get("title", "")),
        )

    def save(self, path: str | Path) -> None:
        """Write the layout to a JSON file."""
        Path(path).write_text(self.to_json() + "\n")

    @classmethod
    def load(cls, path: str | Path, catalogue: Catalogue | None = None) -> PlotLayout:
        """Read a layout from a JSON file (see `from_json`)."""
        return cls.from_json(Path(path).read_text(), catalogue)


DEFAULT_LAYOUT = PlotLayout(
    panels=[
        PanelLayout(
            signals=[f"axialForce.measured[{i}]" for i in range(72)],
            window=60.0,
            title="Axial forces, measured",
        ),
        PanelLayout(
            signals=[
                "powerStatus.motorVoltage",
                "powerStatus.motorCurrent",
                "powerStatus.commVoltage",
                "powerStatus.commCurrent",
            ],
            window=60.0,
            title="Power",
        ),
        PanelLayout(
            signals=[f"temperature.ring[{i}]" for i in range(12)],
            window=600.0,
            title="Mirror temperatures",
        ),
    ]
)
