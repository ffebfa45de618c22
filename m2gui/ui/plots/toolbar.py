"""`PanelToolbar`: a plot panel's toolbar, a view of its `PanelModel` that also drives it.

Compact, so that a panel is usable about 450 pixels wide: the title (elided,
double-click to rename), the time window, then icons with tool tips for
what is used often (pause, auto-Y, cursor, export) and a "more" menu for the
rest (rename, time axis, legend, removing curves).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from psygnal import SignalInstance
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QAction, QActionGroup
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QMenu,
    QSizePolicy,
    QStyle,
    QToolButton,
    QWidget,
)

from m2gui.model.plot_panel import PanelModel, window_choices

from .title import ElidedLabel, PanelTitle

__all__ = ["EXPORTS", "TIME_MODE_NAMES", "PanelToolbar"]

EXPORTS = (
    ("csv", "Visible data as CSV…"),
    ("png", "Picture as PNG…"),
    ("svg", "Picture as SVG…"),
)

#: The time modes, as the "more" menu names them.
TIME_MODE_NAMES = {
    "relative": "Time axis: seconds before the latest sample",
    "clock": "Time axis: local clock time",
}

_PAUSE_TIP = "Pause: freeze the view (data keeps coming)"
_RESUME_TIP = "Resume: follow the live data again"


class PanelToolbar(QWidget):
    """Title, time window, pause, auto-Y, cursor, export, more (rename, time
    axis, legend, curves), close.

    The title, window, time mode, pause, auto-Y, legend and curves controls
    show the model and change it; they keep no state of their own. The
    cursor, export and close controls belong to the panel: they emit Qt
    signals, and the panel shows its problems and export progress here.

    Parameters
    ----------
    model : `PanelModel`
        The panel's model.
    """

    #: The cursor button was toggled (show the crosshair or not).
    crosshair_toggled = Signal(bool)
    #: The user asked for an export: "csv", "png" or "svg".
    export_requested = Signal(str)
    #: The user asked to stop the CSV export in progress.
    cancel_export_requested = Signal()
    #: The user asked to close the panel.
    close_requested = Signal()

    def __init__(self, model: PanelModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = model
        self.bar = QHBoxLayout(self)
        self.bar.setContentsMargins(4, 1, 2, 1)
        self.bar.setSpacing(1)
        self.title = PanelTitle()
        self.title_label = self.title.label
        self.bar.addWidget(self.title, 1)
        self.undrawn_label = ElidedLabel(24)
        self.undrawn_label.setStyleSheet("color: #d9822b")
        self.undrawn_label.setVisible(False)
        self.bar.addWidget(self.undrawn_label)
        self.status = ElidedLabel(24)
        self.bar.addWidget(self.status)
        self.cancel_export_button = self._button(
            "Cancel",
            "Stop the CSV export (no file is left)",
            icon=QStyle.StandardPixmap.SP_BrowserStop,
        )
        self.cancel_export_button.setVisible(False)
        self.window_box = QComboBox()
        #: The windows offered, by name (longer ones with a long history).
        self.windows: dict[str, float | None] = {}
        self._fill_windows()
        self.window_box.setToolTip("Time window shown")
        self.window_box.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.window_box.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)
        self.bar.addWidget(self.window_box)
        self.pause_button = self._button(
            "Pause", _PAUSE_TIP, True, QStyle.StandardPixmap.SP_MediaPause
        )
        self.auto_y_button = self._button("↕", "Auto Y: scale Y to the visible data", True)
        self.cross_button = self._button("┼", "Cursor: read every curve's value at a time", True)
        self.export_button = self._button(
            "Export",
            "Export the visible data (CSV) or the picture (PNG, SVG)",
            icon=QStyle.StandardPixmap.SP_DialogSaveButton,
        )
        self.export_menu = self._menu(self.export_button)
        for kind, text in EXPORTS:
            action = QAction(text, self.export_menu)
            action.setData(kind)
            self.export_menu.addAction(action)
        self.more_button = self._button("⋯", "More: rename, time axis, legend, curves")
        self.more_menu = self._menu(self.more_button)
        self.rename_action = self.more_menu.addAction("Rename panel…")
        self.more_menu.addSeparator()
        self.time_group = QActionGroup(self)
        self.time_actions: dict[str, QAction] = {}
        for mode, text in TIME_MODE_NAMES.items():
            action = self.more_menu.addAction(text)
            action.setCheckable(True)
            action.setData(mode)
            self.time_group.addAction(action)
            self.time_actions[mode] = action
        self.more_menu.addSeparator()
        self.legend_action = self.more_menu.addAction("Legend")
        self.legend_action.setCheckable(True)
        self.curves_menu = self.more_menu.addMenu("Remove curves")
        self.close_button = self._button("✕", "Close this panel")
        self._sync()
        self.title.renamed.connect(self.model.set_title)
        self.rename_action.triggered.connect(self.title.start_editing)
        self.window_box.currentTextChanged.connect(self._window_picked)
        self.time_group.triggered.connect(self._time_mode_picked)
        self.pause_button.toggled.connect(self._pause_toggled)
        self.auto_y_button.toggled.connect(self._auto_y_toggled)
        self.legend_action.toggled.connect(self._legend_toggled)
        self.cross_button.toggled.connect(self.crosshair_toggled)
        self.curves_menu.aboutToShow.connect(self.fill_curves_menu)
        self.export_menu.triggered.connect(self._export_picked)
        self.cancel_export_button.clicked.connect(self.cancel_export_requested)
        self.close_button.clicked.connect(self.close_requested)
        for signal, slot in self._model_slots():
            signal.connect(slot)

    def _button(
        self,
        text: str,
        tip: str,
        checkable: bool = False,
        icon: QStyle.StandardPixmap | None = None,
    ) -> QToolButton:
        """A flat tool button: ``icon`` if given (``text`` then names it), else ``text``."""
        button = QToolButton()
        button.setText(text)
        button.setToolTip(tip)
        button.setCheckable(checkable)
        button.setAutoRaise(True)
        button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonIconOnly)
        if icon is not None:
            button.setIcon(self.style().standardIcon(icon))
        self.bar.addWidget(button)
        return button

    def _menu(self, button: QToolButton) -> QMenu:
        menu = QMenu(self)
        button.setMenu(menu)
        button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        button.setStyleSheet("QToolButton::menu-indicator { image: none; width: 0px; }")
        return menu

    def _model_slots(self) -> list[tuple[SignalInstance, Callable[..., Any]]]:
        model = self.model
        return [
            (model.curves_changed, self._show_curves),
            (model.title_changed, self._show_title),
            (model.window_changed, self._show_window),
            (model.time_mode_changed, self._show_time_mode),
            (model.paused_changed, self._show_paused),
            (model.auto_y_changed, self._show_auto_y),
            (model.legend_changed, self._show_legend),
            (model.disk.changed, self._fill_windows),
        ]

    def release(self) -> None:
        """Stop listening to the model (the toolbar is being closed)."""
        for signal, slot in self._model_slots():
            signal.disconnect(slot, missing_ok=True)

    # ------------------------------------------------------------------
    # Model -> widgets
    # ------------------------------------------------------------------
    def _sync(self) -> None:
        self._show_title()
        self._show_window()
        self._show_time_mode()
        self._show_paused()
        self._show_auto_y()
        self._show_legend()

    def _show_curves(self) -> None:
        self._show_title()
        self._show_legend()

    def _show_title(self) -> None:
        n = len(self.model.signals)
        title = self.model.title
        text = title or ("empty: drop signals here" if n == 0 else "")
        self.title.show_title(title, f"{text}  ({n} curves)" if n else text)

    def _fill_windows(self) -> None:
        """Offer the windows of `window_choices` (the long ones with a long history)."""
        choices = window_choices(self.model.disk.available, self.model.window)
        if choices == self.windows:
            return
        self.windows = choices
        box = self.window_box
        box.blockSignals(True)  # offering is not choosing
        box.clear()
        box.addItems(list(choices))
        box.blockSignals(False)
        self._show_window()

    def _show_window(self) -> None:
        window = self.model.window
        if window not in self.windows.values():
            self._fill_windows()
        name = next((k for k, v in self.windows.items() if v == window), None)
        if name is not None and self.window_box.currentText() != name:
            self.window_box.blockSignals(True)
            self.window_box.setCurrentText(name)
            self.window_box.blockSignals(False)

    def _show_time_mode(self) -> None:
        action = self.time_actions.get(self.model.time_mode)
        if action is not None and not action.isChecked():
            action.setChecked(True)

    def _show_paused(self) -> None:
        paused = self.model.paused
        if self.pause_button.isChecked() != paused:
            self.pause_button.setChecked(paused)
        self.pause_button.setText("Resume" if paused else "Pause")
        self.pause_button.setToolTip(_RESUME_TIP if paused else _PAUSE_TIP)
        icon = QStyle.StandardPixmap.SP_MediaPlay if paused else QStyle.StandardPixmap.SP_MediaPause
        self.pause_button.setIcon(self.style().standardIcon(icon))

    def _show_auto_y(self) -> None:
        if self.auto_y_button.isChecked() != self.model.auto_y:
            self.auto_y_button.setChecked(self.model.auto_y)

    def _show_legend(self) -> None:
        self.legend_action.blockSignals(True)  # showing is not choosing
        self.legend_action.setChecked(self.model.legend_shown)
        self.legend_action.blockSignals(False)

    # ------------------------------------------------------------------
    # Widgets -> model
    # ------------------------------------------------------------------
    def _window_picked(self, text: str) -> None:
        if text in self.windows:
            self.model.set_window(self.windows[text])

    def _time_mode_picked(self, action: QAction) -> None:
        self.model.set_time_mode(str(action.data()))

    def _pause_toggled(self, on: bool) -> None:
        self.model.set_paused(on)

    def _auto_y_toggled(self, on: bool) -> None:
        self.model.set_auto_y(on)

    def _legend_toggled(self, on: bool) -> None:
        self.model.set_legend(on)

    def _export_picked(self, action: QAction) -> None:
        self.export_requested.emit(str(action.data()))

    def fill_curves_menu(self) -> None:
        """List the curves to remove, and "Clear panel" (the menu fills as it opens)."""
        menu = self.curves_menu
        menu.clear()
        for curve in self.model.curves():
            action = QAction(f"Remove {curve.label}", menu)
            action.triggered.connect(lambda _=False, s=curve.signal: self.model.remove_signal(s))
            menu.addAction(action)
        menu.addSeparator()
        clear = QAction("Clear panel", menu)
        clear.triggered.connect(self.model.clear)
        clear.setEnabled(bool(self.model.signals))
        menu.addAction(clear)

    # ------------------------------------------------------------------
    # Shown for the panel
    # ------------------------------------------------------------------
    def set_current(self, current: bool) -> None:
        """Underline the title of the current panel (the target of "plot")."""
        self.title.set_current(current)

    def show_problems(self, text: str, tip: str) -> None:
        """Show what the panel could not draw (hidden when ``text`` is empty)."""
        self.undrawn_label.set_full_text(text)
        self.undrawn_label.setToolTip(tip)
        self.undrawn_label.setVisible(bool(text))

    def show_export(self, text: str, running: bool) -> None:
        """Show the export status, and the Cancel button while one runs."""
        self.status.set_full_text(text)
        self.status.setToolTip(text)
        self.cancel_export_button.setVisible(running)
