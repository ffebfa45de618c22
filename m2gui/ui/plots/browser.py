"""The signal browser: topic > field > element, with search, drag and "plot"."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import (
    QEvent,
    QMimeData,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QSize,
    QSortFilterProxyModel,
    Qt,
    Signal,
)
from PySide6.QtGui import QAction, QKeyEvent, QKeySequence, QStandardItem, QStandardItemModel
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLineEdit,
    QPushButton,
    QStyle,
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
#: Tree depth (topic 0, field 1, element 2) whose names the default width shows whole.
SHOWN_DEPTH = 1
#: The browser's margins, px.
MARGIN = 2
#: Keys that, in the search box, move to the list of signals.
TO_TREE_KEYS = (Qt.Key.Key_Down, Qt.Key.Key_Return, Qt.Key.Key_Enter)


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

    Double-click a signal, select several and press Plot (or Enter), or drag
    them onto a plot panel. From the search box, Down or Enter moves to the
    list. The name column takes the width the unit column leaves, so the list
    never scrolls sideways; `sizeHint` is the width that shows every topic
    and field name whole.
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
        self.search.setObjectName("signal_search")
        self.search.setPlaceholderText("Search signals (name, label, unit)…")
        self.search.setClearButtonEnabled(True)
        self.search.textChanged.connect(self._search)
        self.search.installEventFilter(self)
        self.tree = QTreeView()
        self.tree.setObjectName("signal_tree")
        self.tree.setModel(self.proxy)
        self.tree.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.tree.setDragEnabled(True)
        self.tree.setDragDropMode(QAbstractItemView.DragDropMode.DragOnly)
        self.tree.setUniformRowHeights(True)
        self.tree.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        header = self.tree.header()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        self.tree.doubleClicked.connect(self._double_clicked)
        #: Enter in the list plots the selection (listed in Help > Keyboard shortcuts).
        self.plot_action = QAction("Plot the selected signals", self.tree)
        self.plot_action.setShortcuts(
            [QKeySequence(Qt.Key.Key_Return), QKeySequence(Qt.Key.Key_Enter)]
        )
        self.plot_action.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)
        self.plot_action.triggered.connect(self.plot_selected)
        self.tree.addAction(self.plot_action)
        self.plot_button = QPushButton("Plot selected")
        self.plot_button.setToolTip(
            "Add the selected signals to the current plot panel (Enter in the list, Ctrl+P)"
        )
        self.plot_button.clicked.connect(self.plot_selected)
        bar = QHBoxLayout()
        bar.addStretch(1)
        bar.addWidget(self.plot_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(MARGIN, MARGIN, MARGIN, MARGIN)
        layout.addWidget(self.search)
        layout.addWidget(self.tree, 1)
        layout.addLayout(bar)
        self._names_width = self._measure_names()

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

    def _measure_names(self) -> int:
        """Pixels for the name column to show every name down to `SHOWN_DEPTH` whole."""
        metrics = self.tree.fontMetrics()
        widest = 0
        stack = [(self.model.invisibleRootItem(), -1)]
        while stack:
            item, depth = stack.pop()
            if depth >= 0:
                indent = self.tree.indentation() * (depth + 1)
                widest = max(widest, indent + metrics.horizontalAdvance(item.text()))
            if depth < SHOWN_DEPTH:
                stack.extend((item.child(row), depth + 1) for row in range(item.rowCount()))
        return widest

    def sizeHint(self) -> QSize:
        """Wide enough for every topic and field name and the unit column."""
        hint = super().sizeHint()
        units = max(self.tree.sizeHintForColumn(1), self.tree.header().sectionSizeHint(1))
        scroll = self.style().pixelMetric(QStyle.PixelMetric.PM_ScrollBarExtent)
        padding = 4 * self.style().pixelMetric(QStyle.PixelMetric.PM_FocusFrameHMargin) + 12
        frame = 2 * (self.tree.frameWidth() + MARGIN)
        width = self._names_width + padding + units + scroll + frame
        return QSize(max(width, hint.width()), hint.height())

    def focus_search(self) -> None:
        """Put the keyboard in the search box, its text selected (Ctrl+F)."""
        self.search.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.search.selectAll()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        """Down or Enter in the search box moves to the list.

        With a search, the first matching signal becomes current; without,
        the first topic.
        """
        if (
            watched is self.search
            and event.type() == QEvent.Type.KeyPress
            and isinstance(event, QKeyEvent)
            and event.key() in TO_TREE_KEYS
            and self.proxy.rowCount() > 0
        ):
            self.tree.setFocus(Qt.FocusReason.OtherFocusReason)
            index = self.proxy.index(0, 0)
            while self.search.text().strip() and self.proxy.rowCount(index) > 0:
                index = self.proxy.index(0, 0, index)
            self.tree.setCurrentIndex(index)
            return True
        return super().eventFilter(watched, event)

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
