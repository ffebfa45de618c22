"""`PanelToolbar`: a plot panel's toolbar, a view of its `PanelModel` that also drives it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from psygnal import SignalInstance
from PySide6.QtCore import Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QMenu, QToolButton, QWidget

from m2gui.model.plot_layout import TIME_MODES, WINDOWS
from m2gui.model.plot_panel import PanelModel

__all__ = ["PanelToolbar"]

EXPORTS = (
    ("csv", "Visible data as CSV…"),
    ("png", "Picture as PNG…"),
    ("svg", "Picture as SVG…"),
)


class PanelToolbar(QWidget):
    """Title, time window, time mode, pause, auto-Y, legend, curves, export, close.

    The title, window, time mode, pause, auto-Y, legend and curves controls
    show the model and change it; they keep no state of their own. The
    cursor, export and close controls belong to the panel: they emit Qt
    signals, and the panel shows its problems and export progress here.

    Parameters
    ----------
    model : `PanelModel`
        The panel's model.
    """

    #: The "Cursor" button was toggled (show the crosshair or not).
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
        self.bar.setContentsMargins(4, 2, 4, 2)
        self.bar.setSpacing(0)
        self.title_label = QLabel()
        self.title_label.setStyleSheet("font-weight: bold")
        self.bar.addWidget(self.title_label)
        self.bar.addStretch(1)
        self.window_box = QComboBox()
        self.window_box.addItems(list(WINDOWS))
        self.window_box.setToolTip("Time window")
        self.bar.addWidget(self.window_box)
        self.time_box = QComboBox()
        self.time_box.addItems(list(TIME_MODES))
        self.time_box.setToolTip("Time axis: seconds before the latest sample, or local time")
        self.bar.addWidget(self.time_box)
        self.pause_button = self._button("Pause", "Freeze the view (data keeps coming)", True)
        self.auto_y_button = self._button("Auto Y", "Scale Y to the visible data", True)
        self.cross_button = self._button("Cursor", "Crosshair with every curve's value", True)
        self.legend_button = self._button("Legend", "Show the legend", True)
        self.curves_button = self._button("Curves", "Remove curves")
        self.curves_menu = QMenu(self)
        self.curves_button.setMenu(self.curves_menu)
        self.curves_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.export_button = self._button("Export", "Export the visible data or the picture")
        self.export_menu = QMenu(self)
        self.export_button.setMenu(self.export_menu)
        self.export_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        for kind, text in EXPORTS:
            action = QAction(text, self.export_menu)
            action.setData(kind)
            self.export_menu.addAction(action)
        self.undrawn_label = QLabel()
        self.undrawn_label.setStyleSheet("color: #d9822b")
        self.undrawn_label.setVisible(False)
        self.bar.addWidget(self.undrawn_label)
        self.status = QLabel()
        self.bar.addWidget(self.status)
        self.cancel_export_button = self._button("Cancel", "Stop the CSV export (no file is left)")
        self.cancel_export_button.setVisible(False)
        self.close_button = self._button("✕", "Close this panel")
        self._sync()
        self.window_box.currentTextChanged.connect(self._window_picked)
        self.time_box.currentTextChanged.connect(self._time_mode_picked)
        self.pause_button.toggled.connect(self._pause_toggled)
        self.auto_y_button.toggled.connect(self._auto_y_toggled)
        self.legend_button.toggled.connect(self._legend_toggled)
        self.cross_button.toggled.connect(self.crosshair_toggled)
        self.curves_menu.aboutToShow.connect(self.fill_curves_menu)
        self.export_menu.triggered.connect(self._export_picked)
        self.cancel_export_button.clicked.connect(self.cancel_export_requested)
        self.close_button.clicked.connect(self.close_requested)
        for signal, slot in self._model_slots():
            signal.connect(slot)

    def _button(self, text: str, tip: str, checkable: bool = False) -> QToolButton:
        button = QToolButton()
        button.setText(text)
        button.setToolTip(tip)
        button.setCheckable(checkable)
        button.setAutoRaise(True)
        self.bar.addWidget(button)
        return button

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
        text = self.model.title or ("empty: drop signals here" if n == 0 else "")
        self.title_label.setText(f"{text}  ({n} curves)" if n else text)

    def _show_window(self) -> None:
        window = self.model.window
        name = next((k for k, v in WINDOWS.items() if v == window), None)
        if name is not None and self.window_box.currentText() != name:
            self.window_box.setCurrentText(name)

    def _show_time_mode(self) -> None:
        if self.time_box.currentText() != self.model.time_mode:
            self.time_box.setCurrentText(self.model.time_mode)

    def _show_paused(self) -> None:
        paused = self.model.paused
        if self.pause_button.isChecked() != paused:
            self.pause_button.setChecked(paused)
        self.pause_button.setText("Resume" if paused else "Pause")

    def _show_auto_y(self) -> None:
        if self.auto_y_button.isChecked() != self.model.auto_y:
            self.auto_y_button.setChecked(self.model.auto_y)

    def _show_legend(self) -> None:
        self.legend_button.blockSignals(True)  # showing is not choosing
        self.legend_button.setChecked(self.model.legend_shown)
        self.legend_button.blockSignals(False)

    # ------------------------------------------------------------------
    # Widgets -> model
    # ------------------------------------------------------------------
    def _window_picked(self, text: str) -> None:
        self.model.set_window(WINDOWS[text])

    def _time_mode_picked(self, mode: str) -> None:
        self.model.set_time_mode(mode)

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
        self.title_label.setStyleSheet(
            "font-weight: bold; text-decoration: underline" if current else "font-weight: bold"
        )

    def show_problems(self, text: str, tip: str) -> None:
        """Show what the panel could not draw (hidden when ``text`` is empty)."""
        self.undrawn_label.setText(text)
        self.undrawn_label.setToolTip(tip)
        self.undrawn_label.setVisible(bool(text))

    def show_export(self, text: str, running: bool) -> None:
        """Show the export status, and the Cancel button while one runs."""
        self.status.setText(text)
        self.cancel_export_button.setVisible(running)
