"""Where m2gui keeps its settings (QSettings, INI format)."""

from __future__ import annotations

import math
import os
from pathlib import Path

import platformdirs
from PySide6.QtCore import QSettings

__all__ = ["open_settings", "setting_float", "setting_int", "settings_path"]


def settings_path() -> Path:
    """``$M2GUI_SETTINGS``, or ``m2gui.ini`` in the user's config directory."""
    env = os.environ.get("M2GUI_SETTINGS")
    if env:
        return Path(env)
    return platformdirs.user_config_path("m2gui") / "m2gui.ini"


def open_settings(path: str | Path | None = None) -> QSettings:
    """Open the settings file (``path``, or `settings_path`)."""
    return QSettings(str(path or settings_path()), QSettings.Format.IniFormat)


def setting_int(settings: QSettings, key: str, default: int) -> int:
    """A setting read as an integer: ``default`` if missing or unreadable (a hand-edited file)."""
    try:
        return int(str(settings.value(key, default)))
    except (TypeError, ValueError):
        return default


def setting_float(settings: QSettings, key: str, default: float) -> float:
    """A setting read as a finite number: ``default`` if missing or unreadable."""
    try:
        value = float(str(settings.value(key, default)))
    except (TypeError, ValueError):
        return default
    return value if math.isfinite(value) else default
