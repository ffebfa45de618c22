"""`CommandForm`: a form generated from a command's catalogue entry.

No command has hand-written widgets: each parameter's editor follows its type
in the catalogue (check box, drop-down, number, text, index list, table).
"""

from __future__ import annotations

import csv
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QRect, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QGuiApplication, QPainter, QPen
from PySide6.QtWidgets import (
    QApplication,
    QCheckBox,
    QComboBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMenu,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTableWidget,
    QTableWidgetItem,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from m2gui.model.catalogue import CommandSpec, Param
from m2gui.model.format import format_index_list, parse_index_list
from m2gui.model.signals import labels_for

__all__ = ["ERROR_ROLE", "CommandForm", "FieldEditor", "InvalidCellDelegate"]

ERROR_COLOR = QColor(208, 48, 48)
ERROR_BRUSH = QBrush(QColor(220, 60, 60, 90))
#: Item data role holding why a table cell is invalid (empty when it is valid).
ERROR_ROLE = Qt.ItemDataRole.UserRole + 17
INVALID = object()
#: Characters a drop-down of a form is sized for; longer entries are elided.
COMBO_CHARS = 14


def _compact_combo(combo: QComboBox) -> QComboBox:
    """Let a drop-down be narrower than its longest entry (a narrow dock)."""
    combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
    combo.setMinimumContentsLength(COMBO_CHARS)
    return combo


class InvalidCellDelegate(QStyledItemDelegate):
    """Draws a red frame and a "!" badge on invalid cells, above the selection colour.

    A cell is invalid when its `ERROR_ROLE` data is a non-empty reason. The
    background brush alone is hidden by the selection; the frame and the badge
    are painted last, so the error stays visible whatever is selected.
    """

    def paint(
        self,
        painter: QPainter,
        option: QStyleOptionViewItem,
        index: QModelIndex | QPersistentModelIndex,
    ) -> None:
        super().paint(painter, option, index)
        if not index.data(ERROR_ROLE):
            return
        rect: QRect = option.rect
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, False)
        painter.setPen(QPen(ERROR_COLOR, 2))
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawRect(rect.adjusted(1, 1, -1, -1))
        side = max(8, rect.height() - 6)
        badge = QRect(rect.right() - side - 3, rect.top() + (rect.height() - side) // 2, side, side)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(ERROR_COLOR)
        painter.drawEllipse(badge)
        painter.setPen(QColor("white"))
        font = painter.font()
        font.setBold(True)
        painter.setFont(font)
        painter.drawText(badge, Qt.AlignmentFlag.AlignCenter, "!")
        painter.restore()


def _number_text(value: Any, param: Param) -> str:
    if value is None:
        return ""
    if param.display == "hex" and isinstance(value, int):
        return f"0x{value:X}"
    if isinstance(value, float):
        return repr(value)
    return str(value)


def parse_number(text: str, param: Param) -> Any:
    """Turn typed text into the parameter's number type.

    Raises
    ------
    ValueError
        With a message for the user.
    """
    text = text.strip().replace("_", "")
    if not text:
        raise ValueError("required")
    if param.type in ("int", "uint64"):
        try:
            return int(text, 0)
        except ValueError:
            raise ValueError(f"{text!r} is not a whole number") from None
    try:
        return float(text)
    except ValueError:
        raise ValueError(f"{text!r} is not a number") from None


def _range_hint(param: Param) -> str:
    parts = []
    if param.min is not None and param.max is not None:
        if param.display == "hex":
            parts.append(f"0x{int(param.min):X} … 0x{int(param.max):X}")
        else:
            parts.append(f"{param.min:g} … {param.max:g}")
    if param.unit:
        parts.append(param.unit)
    return " ".join(parts)


class FieldEditor(QWidget):
    """The editor of one parameter; `value` parses it, `set_value` shows one."""

    changed = Signal()

    def __init__(self, param: Param, choices: Callable[[], list[str]] | None = None) -> None:
        super().__init__()
        self.param = param
        self.choices = choices
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(1)
        self.error = QLabel()
        self.error.setObjectName("field_error")
        self.error.setStyleSheet("color: #d03030")
        self.error.setWordWrap(True)
        self.error.hide()
        self.table: QTableWidget | None = None
        self.editor = self._make_editor(layout)
        self.refresh_choices()
        layout.addWidget(self.error)
        tip = param.description or param.name
        hint = _range_hint(param)
        self.setToolTip(f"{tip} ({hint})" if hint else tip)

    # ------------------------------------------------------------------
    def _make_editor(self, layout: QVBoxLayout) -> QWidget:
        p = self.param
        widget: QWidget
        if p.type == "bool" and not p.is_array:
            box = QCheckBox()
            box.toggled.connect(self._emit_changed)
            widget = box
        elif p.enum_values and not p.is_array:
            combo = _compact_combo(QComboBox())
            for name, number in p.enum_values.items():
                combo.addItem(f"{name} ({number})", number)
            combo.currentIndexChanged.connect(self._emit_changed)
            widget = combo
        elif p.is_array and p.fixed_length is None:
            line = QLineEdit()
            line.setPlaceholderText("e.g. 0-77, 83")
            line.textChanged.connect(self._emit_changed)
            widget = line
        elif p.is_array:
            widget = self._make_table(layout)
            return widget
        elif p.choices_from:
            combo = _compact_combo(QComboBox())
            combo.setEditable(True)
            combo.currentTextChanged.connect(self._emit_changed)
            widget = combo
        else:
            line = QLineEdit()
            hint = _range_hint(p)
            if hint:
                line.setPlaceholderText(hint)
            line.textChanged.connect(self._emit_changed)
            widget = line
        layout.addWidget(widget)
        return widget

    def _make_table(self, layout: QVBoxLayout) -> QWidget:
        p = self.param
        n = p.fixed_length or 0
        labels = _element_labels(p, n)
        table = QTableWidget(n, 1)
        table.setObjectName(f"table_{p.name}")
        table.setHorizontalHeaderLabels([f"{p.name} ({p.unit})" if p.unit else p.name])
        table.setVerticalHeaderLabels(labels)
        table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        table.verticalHeader().setDefaultSectionSize(20)
        table.setMinimumHeight(min(200, 24 + 20 * n))
        table.setItemDelegate(InvalidCellDelegate(table))
        table.itemChanged.connect(lambda item: self._cell_changed(item))
        self.table = table
        # Tool buttons (not push buttons): the row fits a narrow dock.
        fill = QHBoxLayout()
        fill.setSpacing(2)
        self.constant = QLineEdit()
        self.constant.setPlaceholderText("value")
        self.constant.setMinimumWidth(40)
        self.constant.setMaximumWidth(80)
        self.constant.returnPressed.connect(self._fill_constant)
        fill.addWidget(self.constant)
        for text, tip, slot in (
            ("Fill", "Put this value in every row", self._fill_constant),
            ("Zeros", "Put 0 in every row", lambda: self.fill(0)),
        ):
            button = QToolButton()
            button.setText(text)
            button.setToolTip(tip)
            button.clicked.connect(slot)
            fill.addWidget(button)
        paste = QToolButton()
        paste.setObjectName("paste_button")
        paste.setText("Paste")
        paste.setToolTip(
            "Paste values from the clipboard (one per line, or separated by , ; tab);"
            " the arrow: load them from a CSV file"
        )
        paste.clicked.connect(lambda: self.paste())
        paste.setPopupMode(QToolButton.ToolButtonPopupMode.MenuButtonPopup)
        menu = QMenu(paste)
        menu.addAction("Paste from the clipboard", lambda: self.paste())
        menu.addAction("Load from a CSV file…", self._ask_csv)
        paste.setMenu(menu)
        fill.addWidget(paste)
        fill.addStretch(1)
        layout.addLayout(fill)
        layout.addWidget(table)
        return table

    def _emit_changed(self, *args: object) -> None:
        self.changed.emit()

    # ------------------------------------------------------------------
    def refresh_choices(self) -> None:
        """Fill a text field's drop-down from the controller's latest report."""
        if not isinstance(self.editor, QComboBox) or self.choices is None:
            return
        current = self.editor.currentText()
        self.editor.blockSignals(True)
        self.editor.clear()
        self.editor.addItems(self.choices())
        self.editor.setCurrentText(current)
        self.editor.blockSignals(False)

    def fill(self, value: float) -> None:
        """Put one value in every row of a table."""
        self.set_value([value] * (self.param.fixed_length or 0))

    def _fill_constant(self) -> None:
        try:
            self.fill(parse_number(self.constant.text(), self.param))
        except ValueError as error:
            self.show_error(f"fill value: {error}")

    def paste(self, text: str | None = None) -> None:
        """Fill the table from text (the clipboard by default)."""
        if text is None:
            text = QGuiApplication.clipboard().text()
        self._fill_from_cells(re.split(r"[\s,;]+", text.strip()))

    def load_csv(self, path: str | Path) -> None:
        """Fill the table from the first numeric column of a CSV file."""
        cells: list[str] = []
        with open(path, newline="", encoding="utf-8") as f:
            for row in csv.reader(f):
                for cell in row:
                    try:
                        float(cell)
                    except ValueError:
                        continue
                    cells.append(cell)
                    break
        self._fill_from_cells(cells)

    def _ask_csv(self) -> None:
        dialog = QFileDialog(self, f"Load {self.param.name} from CSV")
        dialog.setNameFilter("CSV files (*.csv *.txt)")
        dialog.fileSelected.connect(self.load_csv)
        dialog.open()

    def _fill_from_cells(self, cells: list[str]) -> None:
        n = self.param.fixed_length or 0
        cells = [c for c in cells if c]
        if len(cells) != n:
            self.show_error(f"expected {n} values, got {len(cells)}: nothing changed")
            return
        assert self.table is not None
        self.table.blockSignals(True)
        for i, cell in enumerate(cells):
            self.table.setItem(i, 0, QTableWidgetItem(cell))
        self.table.blockSignals(False)
        self.check_cells()
        self.changed.emit()

    def _cell_changed(self, item: QTableWidgetItem) -> None:
        self.check_cells()
        self.changed.emit()

    def check_cells(self) -> list[str]:
        """Colour invalid cells; return their messages."""
        assert self.table is not None
        problems = []
        self.table.blockSignals(True)
        for i in range(self.table.rowCount()):
            item = self.table.item(i, 0)
            if item is None:
                continue
            reason = self._element_problem(item.text())
            item.setBackground(ERROR_BRUSH if reason else QBrush())
            item.setToolTip(reason or "")
            item.setData(ERROR_ROLE, reason or "")
            if reason:
                label = self.table.verticalHeaderItem(i)
                problems.append(f"[{i}] {label.text() if label else ''}: {reason}")
        self.table.blockSignals(False)
        return problems

    def _element_problem(self, text: str) -> str | None:
        try:
            value = parse_number(text, self.param)
        except ValueError as error:
            return str(error)
        return self.param.check_element(value)

    # ------------------------------------------------------------------
    def value(self) -> Any:
        """The parsed value; `INVALID` (with the error shown) if it cannot be parsed."""
        self.show_error("")
        p = self.param
        editor = self.editor
        if isinstance(editor, QCheckBox):
            return editor.isChecked()
        if isinstance(editor, QComboBox) and not p.choices_from:
            return editor.currentData()
        if isinstance(editor, QComboBox):
            return editor.currentText().strip()
        if isinstance(editor, QTableWidget):
            problems = self.check_cells()
            if problems:
                more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
                self.show_error(problems[0] + more)
                return INVALID
            values = []
            for i in range(editor.rowCount()):
                item = editor.item(i, 0)
                values.append(parse_number(item.text() if item else "", p))
            return values
        assert isinstance(editor, QLineEdit)
        text = editor.text()
        if p.is_array:
            try:
                return parse_index_list(text)
            except ValueError as error:
                self.show_error(str(error))
                return INVALID
        if p.type == "string":
            return text.strip()
        if not text.strip() and p.optional:
            return None
        try:
            return parse_number(text, p)
        except ValueError as error:
            self.show_error(str(error))
            return INVALID

    def set_value(self, value: Any) -> None:
        """Show a value (from defaults, the history or recent values)."""
        p = self.param
        editor = self.editor
        if isinstance(editor, QCheckBox):
            editor.setChecked(bool(value))
        elif isinstance(editor, QComboBox) and not p.choices_from:
            index = editor.findData(value)
            if index >= 0:
                editor.setCurrentIndex(index)
        elif isinstance(editor, QComboBox):
            editor.setCurrentText("" if value is None else str(value))
        elif isinstance(editor, QTableWidget):
            values = list(value or [])
            editor.blockSignals(True)
            for i in range(editor.rowCount()):
                text = _number_text(values[i], p) if i < len(values) else ""
                editor.setItem(i, 0, QTableWidgetItem(text))
            editor.blockSignals(False)
            self.check_cells()
        elif isinstance(editor, QLineEdit):
            if p.is_array:
                editor.setText(format_index_list(list(value or [])))
            elif p.type == "string":
                editor.setText("" if value is None else str(value))
            else:
                editor.setText(_number_text(value, p))
        self.show_error("")

    def show_error(self, text: str) -> None:
        """Show (or clear) the message under the field."""
        self.error.setText(text)
        self.error.setVisible(bool(text))

    def mark_element(self, index: int, reason: str) -> None:
        """Highlight one table row (an error found by the catalogue's check)."""
        if self.table is not None and 0 <= index < self.table.rowCount():
            item = self.table.item(index, 0)
            if item is not None:
                self.table.blockSignals(True)
                item.setBackground(ERROR_BRUSH)
                item.setToolTip(reason)
                item.setData(ERROR_ROLE, reason)
                self.table.blockSignals(False)
                self.table.scrollToItem(item)

    def commit_edit(self) -> None:
        """Take in the text of a table cell being edited (before reading the values)."""
        table = self.table
        if table is None or table.state() != QTableWidget.State.EditingState:
            return
        editor = QApplication.focusWidget()
        if editor is not None and table.isAncestorOf(editor):
            table.itemDelegate().commitData.emit(editor)


def _element_labels(param: Param, n: int) -> list[str]:
    """Row labels: the index, with the element's name when the catalogue has one."""
    names = labels_for(param.elements, param.labels, n)
    return [str(i) if name.startswith("[") else f"{i} {name}" for i, name in enumerate(names)]


class CommandForm(QWidget):
    """The parameters of one command, as editors generated from the catalogue.

    Parameters
    ----------
    spec : `CommandSpec`
        The command.
    choices : callable or None
        ``choices(source)`` returns the list offered for a parameter whose
        catalogue entry names a ``choices_from`` event field.
    """

    changed = Signal()

    def __init__(
        self,
        spec: CommandSpec,
        choices: Callable[[str], list[str]] | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.spec = spec
        self.fields: dict[str, FieldEditor] = {}
        self.labels: dict[str, QLabel] = {}
        form = QFormLayout(self)
        form.setContentsMargins(0, 0, 0, 0)
        form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapLongRows)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        if not spec.params:
            empty = QLabel("This command has no parameters.")
            empty.setWordWrap(True)
            form.addRow(empty)
        for name, param in spec.params.items():
            source = param.choices_from
            provider = (lambda s=source: choices(s)) if (choices and source) else None
            editor = FieldEditor(param, provider)
            editor.changed.connect(self._update_enabled)
            editor.changed.connect(self.changed.emit)
            label = QLabel(self._label_text(param))
            label.setToolTip(editor.toolTip())
            label.setTextFormat(Qt.TextFormat.RichText)
            self.fields[name] = editor
            self.labels[name] = label
            form.addRow(label, editor)
        self.set_values(self.default_values())

    def _label_text(self, param: Param) -> str:
        text = param.name
        if param.unit:
            text += f" <span style='color:#888'>[{param.unit}]</span>"
        if param.optional and param.required_when:
            text += f"<br><span style='color:#888'>(needed for {self._condition(param)})</span>"
        return text

    def _condition(self, param: Param) -> str:
        """When an optional parameter is needed, short: ``Start`` or ``some mode``."""
        words = []
        for other, values in param.required_when.items():
            spec = self.spec.params.get(other)
            names = {number: name for name, number in spec.enum_values.items()} if spec else {}
            if names and all(v in names for v in values):
                words.append("/".join(names[v] for v in values))
            else:
                words.append(f"some {other}")
        return ", ".join(words)

    def default_values(self) -> dict[str, Any]:
        values = {}
        for name, p in self.spec.params.items():
            default = p.default
            if p.is_array and p.fixed_length and not isinstance(default, list):
                default = [default] * p.fixed_length
            values[name] = default
        return values

    def set_values(self, params: dict[str, Any]) -> None:
        """Fill the editors (missing parameters keep their value)."""
        for name, value in params.items():
            if name in self.fields:
                self.fields[name].set_value(value)
        self._update_enabled()

    def _update_enabled(self) -> None:
        current: dict[str, Any] = {}
        for name, editor in self.fields.items():
            if not editor.param.optional:
                value = editor.value()
                if value is not INVALID:
                    current[name] = value
        for name, editor in self.fields.items():
            param = editor.param
            if param.optional and param.required_when:
                needed = param.required(current)
                editor.setEnabled(needed)
                self.labels[name].setEnabled(needed)

    def values(self) -> tuple[dict[str, Any], dict[str, str]]:
        """The parameters typed, and the fields that could not be parsed."""
        params: dict[str, Any] = {}
        errors: dict[str, str] = {}
        for name, editor in self.fields.items():
            if not editor.isEnabled():
                continue
            value = editor.value()
            if value is INVALID:
                errors[name] = editor.error.text()
            elif value is not None:
                params[name] = value
        return params, errors

    def show_problem(self, param: str | None, reason: str) -> None:
        """Show a validation error next to its field (``axial[3]`` marks a row)."""
        if param is None:
            return
        match = re.match(r"(\w+)(?:\[(\d+)\])?", param)
        if match is None or match.group(1) not in self.fields:
            return
        editor = self.fields[match.group(1)]
        index = match.group(2)
        if index is not None:
            editor.mark_element(int(index), reason)
            editor.show_error(f"[{index}]: {reason}")
        else:
            editor.show_error(reason)

    def refresh_choices(self) -> None:
        for editor in self.fields.values():
            editor.refresh_choices()

    def commit_edits(self) -> None:
        """Take in any table cell being edited (a shortcut sends without leaving it)."""
        for editor in self.fields.values():
            editor.commit_edit()
