"""The main window's central tabs, whose pages scroll rather than widen the window."""

from __future__ import annotations

from PySide6.QtWidgets import QScrollArea, QTabWidget, QWidget

__all__ = ["Workspace"]


class Workspace(QTabWidget):
    """The central tabs. Each page scrolls when the window is smaller than it needs.

    A page sits in a `QScrollArea` so that its minimum size does not become
    the window's; `currentWidget`, `setCurrentWidget`, `indexOf` and `widget`
    speak of the pages themselves, not of their scroll areas.
    """

    def add_page(self, widget: QWidget, title: str) -> int:
        """Add ``widget`` as a tab, in a frameless scroll area (unless it scrolls its own pages)."""
        if getattr(widget, "scrolls_its_pages", False):
            return self.addTab(widget, title)
        area = QScrollArea()
        area.setObjectName(f"scroll_{widget.objectName()}")
        area.setFrameShape(QScrollArea.Shape.NoFrame)
        area.setWidgetResizable(True)
        area.setWidget(widget)
        return self.addTab(area, title)

    def widget(self, index: int) -> QWidget | None:
        """The page at ``index`` (None if there is none)."""
        area = super().widget(index)
        return area.widget() if isinstance(area, QScrollArea) else area

    def currentWidget(self) -> QWidget:
        """The page shown."""
        return self.widget(self.currentIndex()) or super().currentWidget()

    def indexOf(self, widget: QWidget) -> int:
        """The tab index of a page, -1 if it is not one."""
        for index in range(self.count()):
            if self.widget(index) is widget:
                return index
        return -1

    def setCurrentWidget(self, widget: QWidget) -> None:
        """Show a page (nothing happens if it is not one)."""
        index = self.indexOf(widget)
        if index >= 0:
            self.setCurrentIndex(index)
