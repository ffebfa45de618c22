"""How much memory the machine has free, for sizing the telemetry history."""

from __future__ import annotations

import logging
import os
from pathlib import Path

__all__ = ["MEMINFO", "available_memory", "format_bytes"]

log = logging.getLogger(__name__)

#: Where Linux reports memory (``MemAvailable`` counts reclaimable caches).
MEMINFO = Path("/proc/meminfo")


def available_memory(meminfo: Path = MEMINFO) -> int | None:
    """Bytes of memory available to a new allocation, or None if unknown.

    ``MemAvailable`` of ``meminfo`` (Linux: free memory plus the caches the
    kernel can drop), else the free physical pages that ``os.sysconf``
    reports (which leave out caches, so they err on the low side).

    Parameters
    ----------
    meminfo : `pathlib.Path`, optional
        The meminfo file to read.
    """
    try:
        with open(meminfo, encoding="ascii") as f:
            for line in f:
                key, _, rest = line.partition(":")
                if key == "MemAvailable":
                    number, _, unit = rest.strip().partition(" ")
                    scale = {"": 1, "kB": 1024}.get(unit.strip())
                    if scale is not None and number.isdigit():
                        return int(number) * scale
                    break
    except (OSError, UnicodeDecodeError) as error:
        log.debug("cannot read %s: %s", meminfo, error)
    try:
        pages = os.sysconf("SC_AVPHYS_PAGES")
        page_size = os.sysconf("SC_PAGE_SIZE")
    except (AttributeError, OSError, ValueError):
        return None
    if pages < 0 or page_size <= 0:
        return None
    return int(pages) * int(page_size)


def format_bytes(n: float) -> str:
    """``n`` bytes as a short text in binary units (``"1.5 GiB"``)."""
    for unit in ("B", "KiB", "MiB", "GiB", "TiB", "PiB"):
        if abs(n) < 1024 or unit == "PiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    raise AssertionError("unreachable")
