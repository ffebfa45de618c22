"""cRIO scripts: the ``runScript`` commands and their progress.

The incumbent's Script Control (Enable only) loads a script by its base name
(the file must already be in /u/script on the cRIO), then runs, pauses,
resumes, stops or clears it; ``scriptExecutionStatus.percentage`` drives its
progress bar.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Callable
from pathlib import PurePosixPath, PureWindowsPath
from typing import TYPE_CHECKING, Any

from ..commanding import Rule

if TYPE_CHECKING:
    from ..session import Session

__all__ = [
    "RUN_SCRIPT",
    "ScriptCommand",
    "load_script",
    "needs_script_name",
    "script_control",
    "script_progress",
]

RUN_SCRIPT = "runScript"
#: Characters of a script name sent (a file name on the cRIO).
MAX_NAME_CHARS = 255


class ScriptCommand(enum.IntEnum):
    """CommandScript."""

    LOAD_SCRIPT = 1
    CLEAR = 2
    RUN = 3
    STOP = 4
    PAUSE = 5
    RESUME = 6


def script_name(text: str) -> str:
    """The base name the incumbent sends for what the user typed or picked.

    A path (``/u/script/move.py`` or ``C:\\scripts\\move.py``) becomes its last
    part; surrounding blanks are dropped; a folder (ending in a separator)
    has no name.
    """
    text = text.strip()
    if text.endswith(("/", "\\")):
        return ""
    name = PureWindowsPath(PurePosixPath(text).name).name
    return name.strip()


def _name_problem(text: str) -> str | None:
    name = script_name(text)
    if not name:
        return "type the script's name first (a file in /u/script on the cRIO)"
    if len(name) > MAX_NAME_CHARS:
        return f"the script name is longer than {MAX_NAME_CHARS} characters"
    return None


def load_script(text: str) -> dict[str, Any]:
    """``runScript`` LoadScript with the base name of ``text``.

    Raises
    ------
    ValueError
        If the name is blank or too long.
    """
    problem = _name_problem(text)
    if problem is not None:
        raise ValueError(problem)
    return {"scriptCommand": int(ScriptCommand.LOAD_SCRIPT), "scriptName": script_name(text)}


def script_control(command: ScriptCommand) -> dict[str, Any]:
    """``runScript`` Clear, Run, Stop, Pause or Resume (no name).

    Raises
    ------
    ValueError
        For LoadScript (use `load_script`).
    """
    command = ScriptCommand(command)
    if command is ScriptCommand.LOAD_SCRIPT:
        raise ValueError("LoadScript needs a name: use load_script")
    return {"scriptCommand": int(command)}


def needs_script_name(name: Callable[[], str]) -> Rule:
    """A rule for Load Script: ``name()`` (what the user typed) must not be blank."""

    def rule(session: Session) -> str | None:
        return _name_problem(name())

    return rule


def script_progress(session: Session) -> float | None:
    """The last ``scriptExecutionStatus.percentage``, clipped to 0..100 (None if none)."""
    value = session.events.value("scriptExecutionStatus", "percentage")
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    value = float(value)
    if not math.isfinite(value):
        return None
    return min(100.0, max(0.0, value))
