"""Keep Python's cyclic garbage collector on the Qt thread while a worker runs.

The collector runs in whichever thread happens to allocate. If it runs in a
worker thread (the CSV export formats millions of strings), it may destroy
Qt objects that belong to the GUI thread from the wrong thread, and Qt later
crashes delivering a timer to one of them. While a worker runs, automatic
collection is paused (reference counting still frees almost everything), and
one collection is made on the Qt thread when the last worker ends.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["gc_on_this_thread"]

_depth = 0
_was_enabled = True


@contextmanager
def gc_on_this_thread() -> Iterator[None]:
    """Pause automatic collection for the ``with`` block (nestable), collect after."""
    global _depth, _was_enabled
    if _depth == 0:
        _was_enabled = gc.isenabled()
        gc.disable()
    _depth += 1
    try:
        yield
    finally:
        _depth -= 1
        if _depth == 0 and _was_enabled:
            gc.enable()
            # Every generation, here: garbage left for a later automatic
            # collection could be collected in a worker thread, Qt objects
            # included. (It takes tens of ms: callers that run many short
            # jobs keep the pause between them, see plots/history_fetch.py.)
            gc.collect()
