"""`RowsModel`: the shared base of the log, history and traffic tables."""

from __future__ import annotations

from typing import Any, Generic, TypeVar

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtWidgets import QWidget

__all__ = ["Index", "RowsModel"]

Index = QModelIndex | QPersistentModelIndex
Row = TypeVar("Row")


class RowsModel(QAbstractTableModel, Generic[Row]):
    """Rows shown in a table, newest last; beyond ``max_rows`` the oldest go.

    Subclasses set ``HEADERS`` and implement ``data``.
    """

    HEADERS: tuple[str, ...] = ()

    def __init__(self, max_rows: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.max_rows = max_rows
        self.rows: list[Row] = []

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return len(self.HEADERS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = 0) -> Any:
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return self.HEADERS[section]
        return None

    def append(self, rows: list[Row]) -> None:
        """Add rows at the end, dropping the oldest beyond ``max_rows``."""
        if not rows:
            return
        first = len(self.rows)
        self.beginInsertRows(QModelIndex(), first, first + len(rows) - 1)
        self.rows.extend(rows)
        self.endInsertRows()
        excess = len(self.rows) - self.max_rows
        if excess > 0:
            self.beginRemoveRows(QModelIndex(), 0, excess - 1)
            del self.rows[:excess]
            self.endRemoveRows()

    def clear(self) -> None:
        """Remove every row."""
        self.beginResetModel()
        self.rows.clear()
        self.endResetModel()
