"""What File > Export recording does, Qt-free: check the inputs, read a recording's span, export.

`resolve_range` turns the from/to typed as times of day into times;
`probe_recording` reads what the dialog shows of a recording (headers only);
`ExportRequest.run` exports, in a worker thread, with progress and cancel
(`m2gui.record.export`).
"""

from __future__ import annotations

import contextlib
import datetime
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from m2gui.model.catalogue import Catalogue
from m2gui.model.signals import element_labels
from m2gui.record import RecordingError
from m2gui.record import open as open_recording
from m2gui.record.export import export_csv, export_parquet
from m2gui.record.time_of_day import format_clock, format_span, resolve_time_of_day

__all__ = [
    "CSV",
    "PARQUET",
    "ExportRequest",
    "RecordingInfo",
    "probe_recording",
    "read_info",
    "resolve_range",
    "signal_names",
]

log = logging.getLogger(__name__)

PARQUET = "parquet"
CSV = "csv"


def resolve_range(
    from_text: str, to_text: str, start: float | None, end: float | None
) -> tuple[float | None, float | None]:
    """The export range typed as local times of day (see `resolve_time_of_day`).

    A blank bound is the recording's own (None).

    Raises
    ------
    ValueError
        A bound that is not a time of day or not in ``[start, end]``, a range
        that ends before it starts, or a range asked of an empty recording;
        the message says which.
    """
    texts = (from_text.strip(), to_text.strip())
    if not any(texts):
        return None, None
    if start is None or end is None:
        raise ValueError("The recording holds no data: there is no time range to choose.")
    bounds: list[float | None] = []
    for label, text in zip(("From", "To"), texts, strict=True):
        if not text:
            bounds.append(None)
            continue
        try:
            bounds.append(resolve_time_of_day(text, start, end))
        except ValueError as error:
            raise ValueError(f"{label}: {error}") from None
    t0, t1 = bounds
    if t0 is not None and t1 is not None and t1 < t0:
        raise ValueError(
            f"The range ends ({format_clock(t1)}) before it starts ({format_clock(t0)})."
        )
    return t0, t1


def signal_names(catalogue: Catalogue) -> list[tuple[str, str]]:
    """Every telemetry signal of the catalogue: ``(name, tool tip)``, in catalogue order."""
    names = []
    for topic, spec in catalogue.telemetry.items():
        for field, fspec in spec.fields.items():
            if not fspec.is_array:
                names.append((f"{topic}.{field}", f"{topic}.{field} {fspec.unit}".strip()))
                continue
            labels = element_labels(fspec)
            for i in range(fspec.width):
                name = f"{topic}.{field}[{i}]"
                names.append((name, f"{name} {labels[i]} {fspec.unit}".strip()))
    return names


@dataclass(frozen=True)
class RecordingInfo:
    """What the dialog shows of a recording (read in a worker)."""

    path: Path
    start: float | None
    end: float | None
    parts: int
    messages: int
    problems: int

    def describe(self) -> str:
        """``2026-05-28 21:14:03.2 to 06:02:11.0 (8:48:07), 9 parts, 12 345 678 lines``."""
        parts = f"{self.parts} part{'s' if self.parts != 1 else ''}"
        lines = f"{self.messages:,} lines".replace(",", " ")
        if self.start is None or self.end is None:
            text = f"empty ({parts})"
        else:
            span = format_span(self.end - self.start)
            day = datetime.datetime.fromtimestamp(self.start).strftime("%Y-%m-%d")
            text = (
                f"{day} {format_clock(self.start)} to {format_clock(self.end)} ({span}), "
                f"{parts}, {lines}"
            )
        if self.problems:
            text += f"; {self.problems} problems (see the log)"
        return text


def read_info(folder: Path) -> RecordingInfo:
    """Open ``folder`` (headers only) and close it again; blocking (run it in a worker).

    Raises
    ------
    RecordingError
        If it is not a recording (the message says why).
    """
    with open_recording(folder) as recording:
        for problem in recording.problems.messages[:5]:
            log.warning("recording %s: %s", folder, problem)
        return RecordingInfo(
            folder,
            recording.start,
            recording.end,
            len(recording.parts),
            recording.message_count,
            len(recording.problems.messages),
        )


def probe_recording(
    folder: Path, _progress: Callable[[float], None], _cancel: threading.Event
) -> tuple[Path, RecordingInfo | str]:
    """`read_info` for a worker: the folder, and its info or why it is not a recording."""
    try:
        return folder, read_info(folder)
    except (RecordingError, OSError) as error:
        return folder, str(error)


@dataclass(frozen=True)
class ExportRequest:
    """One export, as validated by the dialog."""

    folder: Path
    kind: str
    output: Path
    signals: tuple[str, ...]
    start: float | None
    end: float | None

    def run(
        self, progress: Callable[[float], None], cancel: threading.Event
    ) -> list[tuple[Path, int]]:
        """Export (blocking: in the worker); return the files written and their sizes.

        [] if cancelled: then nothing is left, not even the Parquet folder
        if the export made it.
        """
        out = self.output
        if self.kind == PARQUET:
            if out.exists() and not out.is_dir():
                raise NotADirectoryError(f"{out} is a file, not a folder")
            made = not out.exists()
            with open_recording(self.folder) as recording:
                files = export_parquet(recording, out, self.start, self.end, progress, cancel)
            if not files and made:
                with contextlib.suppress(OSError):
                    out.rmdir()
        else:
            if out.is_dir():
                raise IsADirectoryError(f"{out} is a folder: give a file name")
            if not out.parent.is_dir():
                raise FileNotFoundError(f"no folder {out.parent}")
            with open_recording(self.folder) as recording:
                path = export_csv(
                    recording, out, self.signals, self.start, self.end, progress, cancel
                )
            files = [] if path is None else [path]
        return [(path, path.stat().st_size) for path in files]
