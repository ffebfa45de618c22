"""Help > Keyboard shortcuts: every shortcut of a window, read from its actions."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QDockWidget,
    QHeaderView,
    QMainWindow,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

__all__ = ["EVERYWHERE", "ShortcutsDialog", "shortcut_rows"]

#: Where a window-wide shortcut works, as the dialog says it.
EVERYWHERE = "anywhere in the window"


def shortcut_rows(window: QWidget, tabs: QTabWidget | None = None) -> list[tuple[str, str, str]]:
    """Every action with a shortcut in ``window``'s widget tree: (action, keys, where).

    Read from the actions themselves, so the list cannot go stale. Actions
    that work anywhere in the window come first; the others name their dock
    (or their tab of ``tabs``).
    """
    rows: list[tuple[str, str, str]] = []
    for action in window.findChildren(QAction):
        keys = [k for k in action.shortcuts() if not k.isEmpty()]
        if not keys:
            continue
        text = "&".join(part.replace("&", "") for part in action.text().split("&&"))
        shown = ", ".join(k.toString(QKeySequence.SequenceFormat.NativeText) for k in keys)
        row = (text.rstrip("…").strip(), shown, _where(action, tabs))
        if row not in rows:
            rows.append(row)
    return sorted(rows, key=lambda row: row[2] != EVERYWHERE)


def _where(action: QAction, tabs: QTabWidget | None) -> str:
    """Where an action's shortcut works: anywhere, or in the panel holding its widget."""
    widgets = [o for o in action.associatedObjects() if isinstance(o, QWidget)]
    context = action.shortcutContext()
    window_wide = context in (
        Qt.ShortcutContext.WindowShortcut,
        Qt.ShortcutContext.ApplicationShortcut,
    )
    if window_wide or any(isinstance(w, QMainWindow) for w in widgets):
        return EVERYWHERE
    parent = action.parent()
    widget = widgets[0] if widgets else parent if isinstance(parent, QWidget) else None
    while widget is not None:
        if isinstance(widget, QDockWidget):
            return widget.windowTitle()
        index = tabs.indexOf(widget) if tabs is not None else -1
        if index >= 0 and tabs is not None:
            return f"{tabs.tabText(index)} tab"
        widget = widget.parentWidget()
    return EVERYWHERE


class ShortcutsDialog(QDialog):
    """Help > Keyboard shortcuts: a table built from the window's actions.

    Parameters
    ----------
    window : `QMainWindow`
        The window whose shortcuts are listed (and the dialog's parent).
    tabs : `QTabWidget` or None
        The window's central tabs, to name the tab an action works in.
    """

    def __init__(self, window: QMainWindow, tabs: QTabWidget | None = None) -> None:
        super().__init__(window)
        self.setWindowTitle("Keyboard shortcuts")
        self.setObjectName("shortcuts_dialog")
        rows = shortcut_rows(window, tabs)
        self.table = QTableWidget(len(rows), 3)
        self.table.setHorizontalHeaderLabels(["Action", "Keys", "Where"])
        self.table.verticalHeader().setVisible(False)
        row_height = self.fontMetrics().height() + 8
        self.table.verticalHeader().setDefaultSectionSize(row_height)
        self.table.setShowGrid(False)
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(False)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        for row, values in enumerate(rows):
            for column, value in enumerate(values):
                self.table.setItem(row, column, QTableWidgetItem(value))
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.table)
        layout.addWidget(buttons)
        self.resize(600, min(680, 90 + row_height * (len(rows) + 1)))

    def rows(self) -> list[tuple[str, str, str]]:
        """The rows shown."""

        def text(row: int, column: int) -> str:
            item = self.table.item(row, column)
            return item.text() if item is not None else ""

        return [(text(r, 0), text(r, 1), text(r, 2)) for r in range(self.table.rowCount())]
