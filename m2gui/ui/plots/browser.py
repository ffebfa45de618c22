"""The signal browser: topic > field > element, with search, drag and "plot"."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import (
    QMimeData,
    QModelIndex,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
    Signal,
)
from PySide6.QtGui import QStandardItem, QStandardItemModel
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QLineEdit,
    QPushButton,
    QTreeView,
    QVBoxLayout,
    QWidget,
)

from m2gui.model.catalogue import Catalogue
from m2gui.model.signals import Signal as SignalRef
from m2gui.model.signals import element_labels

from .drop import SIGNAL_MIME

__all__ = ["SignalBrowser"]

NAME_ROLE = Qt.ItemDataRole.UserRole + 1


class _SignalModel(QStandardItemModel):
    """Items carry their signal names; dragging any of them drags those names."""

    def mimeTypes(self) -> list[str]:
        return [SIGNAL_MIME, "text/plain"]

    def mimeData(self, indexes: Sequence[QModelIndex]) -> QMimeData:
        names: list[str] = []
        for index in indexes:
            if index.column() == 0:
                names.extend(leaf_names(self.itemFromIndex(index)))
        unique = list(dict.fromkeys(names))
        mime = QMimeData()
        text = "\n".join(unique)
        mime.setData(SIGNAL_MIME, text.encode())
        mime.setText(text)
        return mime


def leaf_names(item: QStandardItem) -> list[str]:
    """Signal names under an item (itself if it is a signal)."""
    name = item.data(NAME_ROLE)
    if name:
        return [name]
    out: list[str] = []
    for row in range(item.rowCount()):
        child = item.child(row)
        if child is not None:
            out.extend(leaf_names(child))
    return out


class SignalBrowser(QWidget):
    """Every telemetry signal of the catalogue, searchable.

    Double-click a signal, select several and press Plot, or drag them onto
    a plot panel.
    """

    #: Emitted with signal names to add to the current panel.
    plot_requested = Signal(list)

    def __init__(self, catalogue: Catalogue, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.catalogue = catalogue
        self.model = _SignalModel(self)
        self.model.setHorizontalHeaderLabels(["Signal", "Unit"])
        self._fill()
        self.proxy = QSortFilterProxyModel(self)
        self.proxy.setSourceModel(self.model)
        self.proxy.setRecursiveFilteringEnabled(True)
        self.proxy.setAutoAcceptChildRows(True)
        self.proxy.setFilterCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.proxy.setFilterRole(Qt.ItemDataRole.ToolTipRole)
        self.search = QLineEdit()
        self.search.setPlaceholderText("Search signals (name, label, unit)…")
        self.search.setClearButtonEnabled(True)
        self.search.textChanged.connect(self._search)
        self.tree = QTreeView()
        self.tree.setObjectName("signal_tree")
        self.tree.setModel(self.proxy)
        self.tree.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.tree.setDragEnabled(True)
        self.tree.setDragDropMode(QAbstractItemView.DragDropMode.DragOnly)
        self.tree.setUniformRowHeights(True)
        self.tree.setColumnWidth(0, 230)
        self.tree.doubleClicked.connect(self._double_clicked)
        self.plot_button = QPushButton("Plot selected")
        self.plot_button.setToolTip("Add the selected signals to the current plot panel")
        self.plot_button.clicked.connect(self.plot_selected)
        bar = QHBoxLayout()
        bar.addWidget(self.search, 1)
        bar.addWidget(self.plot_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.addLayout(bar)
        layout.addWidget(self.tree)

    def _fill(self) -> None:
        root = self.model.invisibleRootItem()
        for topic, spec in self.catalogue.telemetry.items():
            topic_item = QStandardItem(topic)
            topic_item.setEditable(False)
            topic_item.setToolTip(topic)
            for fname, fspec in spec.fields.items():
                unit = QStandardItem(fspec.unit)
                unit.setEditable(False)
                field_item = QStandardItem(fname)
                field_item.setEditable(False)
                field_item.setToolTip(f"{topic}.{fname} {fspec.unit}")
                if not fspec.is_array:
                    field_item.setData(SignalRef(topic, fname).name, NAME_ROLE)
                else:
                    labels = element_labels(fspec)
                    for i in range(fspec.width):
                        name = SignalRef(topic, fname, i).name
                        label = labels[i]
                        text = f"[{i}]" if label.startswith("[") else f"[{i}] {label}"
                        leaf = QStandardItem(text)
                        leaf.setEditable(False)
                        leaf.setData(name, NAME_ROLE)
                        leaf.setToolTip(f"{name} {label} {fspec.unit}")
                        element_unit = QStandardItem(fspec.unit)
                        element_unit.setEditable(False)
                        field_item.appendRow([leaf, element_unit])
                topic_item.appendRow([field_item, unit])
            root.appendRow([topic_item, QStandardItem("")])

    def _search(self, text: str) -> None:
        self.proxy.setFilterFixedString(text.strip())
        if text.strip():
            self.tree.expandAll()
        else:
            self.tree.collapseAll()

    def names_at(self, index: QModelIndex | QPersistentModelIndex) -> list[str]:
        source = self.proxy.mapToSource(self.proxy.index(index.row(), 0, index.parent()))
        item = self.model.itemFromIndex(source)
        return leaf_names(item) if item is not None else []

    def visible_names(self, index: QModelIndex | QPersistentModelIndex) -> list[str]:
        """Signal names under a tree row that the search leaves visible."""
        rows = self.proxy.rowCount(index)
        if not rows:
            return self.names_at(index)
        names: list[str] = []
        for row in range(rows):
            names.extend(self.visible_names(self.proxy.index(row, 0, index)))
        return names

    def selected_names(self) -> list[str]:
        """Signal names under the selected rows (those visible after the search)."""
        names: list[str] = []
        for index in self.tree.selectionModel().selectedRows(0):
            names.extend(self.visible_names(index))
        return list(dict.fromkeys(names))

    def plot_selected(self) -> None:
        names = self.selected_names()
        if names:
            self.plot_requested.emit(names)

    def _double_clicked(self, index: QModelIndex) -> None:
        names = self.names_at(index)
        if len(names) == 1:
            self.plot_requested.emit(names)
