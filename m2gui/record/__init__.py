"""Qt-free recording of the wire: write, read, export, retention.

Importing this package is cheap (no pyarrow or pandas until a table is asked
for), so the GUI can import it at start.
"""

from .archive import Archive, merge_envelopes
from .errors import RecordingError
from .pyramid import PyramidWriter, rebuild_pyramid
from .reader import FrameRef, Recording, RecordingProblems, open
from .retention import apply_retention, default_root
from .writer import Recorder, RecorderStatus, folder_name

__all__ = [
    "Archive",
    "FrameRef",
    "PyramidWriter",
    "Recorder",
    "RecorderStatus",
    "Recording",
    "RecordingError",
    "RecordingProblems",
    "apply_retention",
    "default_root",
    "folder_name",
    "merge_envelopes",
    "open",
    "rebuild_pyramid",
]
