"""The banner over a read-only window (a replay, a broker viewer): commands are disabled."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QSizePolicy, QToolBar, QWidget

from m2gui.model.sources import Source

from .bridge import listen

__all__ = ["SourceBanner"]

STYLE = (
    "QLabel { background: #f3c04a; color: #1a1a1a; font-weight: bold;"
    " padding: 4px 10px; border-radius: 3px; }"
)


class SourceBanner(QToolBar):
    """A full-width strip that says why commands are disabled; hidden for a live source.

    Parameters
    ----------
    source : `Source`
        The session's source; its `Source.read_only` text is shown, and
        followed as it changes.
    """

    def __init__(self, source: Source, parent: QWidget | None = None) -> None:
        super().__init__("Source", parent)
        self.setObjectName("source_banner")
        self.setMovable(False)
        self.setFloatable(False)
        self.source = source
        self.label = QLabel()
        self.label.setObjectName("source_banner_text")
        self.label.setStyleSheet(STYLE)
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.label.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        self.addWidget(self.label)
        listen(self, source.changed, self.refresh, mode="poke")
        self.refresh()

    def refresh(self) -> None:
        """Show the source's current read-only text (or hide)."""
        text = self.source.read_only
        self.label.setText(text or "")
        self.toggleViewAction().setVisible(False)
        self.setVisible(bool(text))
