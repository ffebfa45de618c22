"""The status-bar figure of a broker link: a publisher's counters, or a viewer's data age."""

from __future__ import annotations

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QLabel, QWidget

from m2gui.broker import BrokerSource, Publisher
from m2gui.model.sources import Source

__all__ = ["BrokerStatus", "viewer_text"]

REFRESH_MS = 500
STALE_STYLE = "color: #d03030; font-weight: bold"


def viewer_text(source: BrokerSource) -> tuple[str, bool]:
    """What a viewer's status bar says (data age, stale), and whether it is stale."""
    age = source.age
    shown = "no data yet" if age is None else f"data {age:.1f} s old"
    if source.stale:
        status = source.status
        why = "publisher offline" if status is not None and not status.online else "no data"
        return f"⚠ STALE ({why}): {shown}", True
    return f"viewer: {shown}", False


class BrokerStatus(QLabel):
    """Shows a `Publisher`'s state or a `BrokerSource`'s data age; `wanted` is False otherwise."""

    def __init__(self, link: Publisher | Source, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("broker_status")
        self.link = link
        self.wanted = isinstance(link, Publisher | BrokerSource)
        self.timer = QTimer(self)
        self.timer.setInterval(REFRESH_MS)
        self.timer.timeout.connect(self.refresh)
        if self.wanted:
            self.timer.start()
        self.refresh()

    def refresh(self) -> None:
        """Redraw from the link's state."""
        link = self.link
        if isinstance(link, Publisher):
            stats = link.stats
            self.setText(link.describe())
            self.setToolTip(
                f"{stats.published} published, {stats.buffered} waiting, "
                f"{stats.dropped_telemetry} telemetry dropped, {stats.lost} lost"
            )
            self.setStyleSheet("" if stats.connected else STALE_STYLE)
        elif isinstance(link, BrokerSource):
            text, stale = viewer_text(link)
            self.setText(text)
            self.setToolTip(link.read_only or "")
            self.setStyleSheet(STALE_STYLE if stale else "")
