"""What a plot can draw, and counting the values it cannot (Qt-free data rules).

A value is drawable when it is finite and within ``±PLOT_LIMIT``. NaN,
infinities and huge values leave a gap in their curve and are counted, so
the panel can say how many values it did not draw.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from .telemetry import TopicBuffer

__all__ = ["COUNT_BLOCK", "PLOT_LIMIT", "UndrawableCount", "drawable"]

#: Values beyond ±PLOT_LIMIT (and NaN, ±inf) are not drawn: they leave a gap.
#: Below it, the span of any two values (and its padding) is a finite double
#: and within the ±1e307 pyqtgraph allows for a view range.
PLOT_LIMIT = 1e300
#: Rows looked at per numpy call when counting undrawable values.
COUNT_BLOCK = 4096


def drawable(values: npt.NDArray[np.float64]) -> npt.NDArray[np.bool_]:
    """True where a value can be drawn: finite and within ``±PLOT_LIMIT``."""
    with np.errstate(invalid="ignore"):
        result: npt.NDArray[np.bool_] = np.abs(values) <= PLOT_LIMIT  # False for NaN
    return result


class UndrawableCount:
    """Undrawable values in some columns of one topic, counted as samples arrive.

    Each `update` looks only at the samples appended since the previous one,
    so a frame normally counts one or two rows. The first `update` (and the
    first after a `reset`) counts every sample still retained.

    Parameters
    ----------
    columns : `int`
        Number of columns counted.
    """

    def __init__(self, columns: int = 0) -> None:
        #: Absolute index of the first sample not looked at yet.
        self.counted = 0
        #: Per column: values not drawable among the samples looked at.
        self.per_column = np.zeros(columns, np.int64)

    def reset(self, columns: int) -> None:
        """Forget the counts; count ``columns`` columns from the oldest retained sample."""
        self.counted = 0
        self.per_column = np.zeros(columns, np.int64)

    @property
    def total(self) -> int:
        """Undrawable values over every column."""
        return int(self.per_column.sum())

    def update(self, buffer: TopicBuffer, columns: Sequence[int]) -> None:
        """Count the samples of ``buffer`` appended since the last update.

        ``columns`` are the buffer's columns, one per counted column. Samples
        dropped from the buffer before they were looked at are not counted.
        """
        first = buffer.total - buffer.count  # absolute index of the oldest retained
        start = max(self.counted, first)
        end = buffer.total
        self.counted = end
        if start >= end:
            return
        rows = buffer.values()
        # Blocks of rows bound the temporaries when a whole history is counted
        # (a curve just added).
        for a in range(start - first, end - first, COUNT_BLOCK):
            block = rows[a : min(a + COUNT_BLOCK, end - first)][:, columns]
            self.per_column += np.count_nonzero(~drawable(block), axis=0)
