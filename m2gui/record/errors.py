"""The one exception of the recording package."""

from __future__ import annotations

__all__ = ["RecordingError"]


class RecordingError(Exception):
    """A file or folder that cannot be read as an m2gui recording.

    The message names the file and says why (not a recording, a newer
    format version, no parts), so it can be shown to the user as is.
    """
