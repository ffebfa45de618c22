"""`RowsModel`: the shared base of the log, history, event-history and traffic tables."""

from __future__ import annotations

from typing import Any, Generic, TypeVar

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtWidgets import QWidget

__all__ = ["Index", "RowsModel"]

Index = QModelIndex | QPersistentModelIndex
Row = TypeVar("Row")


class RowsModel(QAbstractTableModel, Generic[Row]):
    """Rows shown in a table, newest last; beyond the caps the oldest go.

    Rows are capped in number (``max_rows``) and, when a subclass defines
    `row_size`, in size (``max_chars``): whatever the peer sends, a view
    keeps a bounded amount. Rows leave from the front with
    ``beginRemoveRows``, so the selection of the rows that stay is kept.
    Subclasses set ``HEADERS`` and implement ``data``.

    Attributes
    ----------
    chars : `int`
        Size of the rows kept (`row_size` summed; 0 without one).
    dropped : `int`
        Rows dropped, oldest first, to stay within the caps.
    """

    HEADERS: tuple[str, ...] = ()

    def __init__(
        self, max_rows: int, parent: QWidget | None = None, max_chars: int | None = None
    ) -> None:
        super().__init__(parent)
        self.max_rows = max_rows
        self.max_chars = max_chars
        self.rows: list[Row] = []
        self.chars = 0
        self.dropped = 0

    def row_size(self, row: Row) -> int:
        """What a row counts against ``max_chars`` (characters); 0 by default."""
        return 0

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return len(self.HEADERS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = 0) -> Any:
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return self.HEADERS[section]
        return None

    def append(self, rows: list[Row]) -> None:
        """Add rows at the end, dropping the oldest beyond the row and size caps."""
        if not rows:
            return
        first = len(self.rows)
        self.beginInsertRows(QModelIndex(), first, first + len(rows) - 1)
        self.rows.extend(rows)
        self.chars += sum(self.row_size(row) for row in rows)
        self.endInsertRows()
        budget = self.max_chars if self.max_chars is not None else float("inf")
        excess, chars = 0, self.chars
        while excess < len(self.rows) and (
            len(self.rows) - excess > self.max_rows or chars > budget
        ):
            chars -= self.row_size(self.rows[excess])
            excess += 1
        self.drop_front(excess, chars)

    def drop_front(self, count: int, chars: int | None = None) -> None:
        """Remove the ``count`` oldest rows (``chars``: the size left, if known)."""
        count = min(count, len(self.rows))
        if count <= 0:
            return
        self.beginRemoveRows(QModelIndex(), 0, count - 1)
        if chars is None:
            chars = self.chars - sum(self.row_size(row) for row in self.rows[:count])
        del self.rows[:count]
        self.chars = chars
        self.dropped += count
        self.endRemoveRows()

    def clear(self) -> None:
        """Remove every row."""
        self.beginResetModel()
        self.rows.clear()
        self.chars = 0
        self.endResetModel()
