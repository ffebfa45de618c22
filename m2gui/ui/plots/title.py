"""A panel's title: an elided label, renamed in place with a double-click."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QSize, Qt, Signal
from PySide6.QtGui import QFocusEvent, QFont, QKeyEvent, QMouseEvent, QResizeEvent
from PySide6.QtWidgets import QHBoxLayout, QLabel, QLineEdit, QSizePolicy, QWidget

from m2gui.model.plot_panel import TITLE_LIMIT

__all__ = ["ElidedLabel", "PanelTitle", "TitleEditor"]


class ElidedLabel(QLabel):
    """A one-line label that shrinks to a few characters, eliding its text at the right.

    Parameters
    ----------
    minimum : `int`
        The narrowest it gets, in pixels.
    """

    #: The label was double-clicked.
    double_clicked = Signal()

    def __init__(self, minimum: int = 40, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._full = ""
        self._minimum = minimum
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Preferred)

    def full_text(self) -> str:
        """The whole text (what is shown may be elided)."""
        return self._full

    def set_full_text(self, text: str) -> None:
        """Show ``text``, elided to the label's width."""
        if text != self._full:
            self._full = text
            self.updateGeometry()
        self._elide()

    def is_elided(self) -> bool:
        """Whether the text shown is cut."""
        return self.text() != self._full

    def _elide(self) -> None:
        shown = self.fontMetrics().elidedText(self._full, Qt.TextElideMode.ElideRight, self.width())
        if shown != self.text():
            super().setText(shown)

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.Type.FontChange:
            self.updateGeometry()
            self._elide()

    def sizeHint(self) -> QSize:
        hint = super().sizeHint()
        width = self.fontMetrics().horizontalAdvance(self._full) + 2 * self.margin() + 2
        return QSize(width, hint.height())

    def minimumSizeHint(self) -> QSize:
        return QSize(
            min(self._minimum, self.sizeHint().width()), super().minimumSizeHint().height()
        )

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._elide()

    def mouseDoubleClickEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            self.double_clicked.emit()
            event.accept()
            return
        super().mouseDoubleClickEvent(event)


class TitleEditor(QLineEdit):
    """The line edit that renames a panel: Enter (or clicking elsewhere) accepts, Escape cancels."""

    #: The user accepted the name.
    accepted = Signal()
    #: The user cancelled (Escape).
    cancelled = Signal()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        key = event.key()
        if key == Qt.Key.Key_Escape:
            self.cancelled.emit()
            event.accept()
        elif key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self.accepted.emit()
            event.accept()
        else:
            super().keyPressEvent(event)

    def focusOutEvent(self, event: QFocusEvent) -> None:
        super().focusOutEvent(event)
        # Clicking or tabbing elsewhere accepts; a popup (the context menu) or
        # another window taking over does not: editing goes on when it is back.
        if event.reason() not in (
            Qt.FocusReason.PopupFocusReason,
            Qt.FocusReason.ActiveWindowFocusReason,
        ):
            self.accepted.emit()


class PanelTitle(QWidget):
    """The panel's name in bold (and the number of curves), elided to fit.

    Double-click it (or call `start_editing`) to rename the panel in place:
    Enter or clicking elsewhere keeps the new name, Escape keeps the old one.
    """

    #: The user named the panel (the new name, possibly empty).
    renamed = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.label = ElidedLabel(48)
        self.label.setObjectName("panel_title")
        self._current = False
        self._show_font()
        self.editor = TitleEditor()
        self.editor.setObjectName("panel_title_editor")
        self.editor.setMaxLength(TITLE_LIMIT)
        self.editor.setPlaceholderText("Panel name")
        self.editor.setVisible(False)
        self.editor.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        self.editor.setMinimumWidth(120)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.label, 1)
        layout.addWidget(self.editor, 1)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        self._title = ""
        self._editing = False
        self.label.double_clicked.connect(self.start_editing)
        self.editor.accepted.connect(lambda: self._finish(True))
        self.editor.cancelled.connect(lambda: self._finish(False))

    @property
    def editing(self) -> bool:
        """Whether the name is being edited."""
        return self._editing

    def show_title(self, title: str, text: str) -> None:
        """Show ``text`` (the title and the curve count); renaming starts from ``title``."""
        self._title = title
        self.label.set_full_text(text)
        self.label.setToolTip(
            f"{text}\nDouble-click to rename" if text else "Double-click to rename"
        )

    def set_current(self, current: bool) -> None:
        """Underline the title of the current panel."""
        self._current = current
        self._show_font()

    def _show_font(self) -> None:
        font = QFont(self.label.font())
        font.setBold(True)
        font.setUnderline(self._current)
        self.label.setFont(font)

    def start_editing(self) -> None:
        """Show the name in a line edit, selected, with the keyboard focus."""
        self._editing = True
        self.editor.setText(self._title)
        self.label.setVisible(False)
        self.editor.setVisible(True)
        self.editor.selectAll()
        self.editor.setFocus(Qt.FocusReason.OtherFocusReason)

    def _finish(self, accept: bool) -> None:
        if not self._editing:
            return
        self._editing = False  # before hiding: hiding takes the focus away
        name = self.editor.text()
        self.editor.setVisible(False)
        self.label.setVisible(True)
        if accept:
            self.renamed.emit(name)

    def minimumSizeHint(self) -> QSize:
        hint: QSize = self.label.minimumSizeHint()
        return hint
