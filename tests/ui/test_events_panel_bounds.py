"""The events panel: refresh cost follows what changed; bad values never stop a refresh."""

from __future__ import annotations

import random
from typing import Any

from PySide6.QtCore import QModelIndex, Qt
from pytestqt.qtbot import QtBot

from m2gui.model import load_catalogue
from m2gui.model.events import EventStore
from m2gui.model.format import MARK
from m2gui.net import Received
from m2gui.ui import events_panel as events_module
from m2gui.ui.events_panel import EventsPanel, natural_key

CAT = load_catalogue()


def event(name: str, **fields: Any) -> Received:
    return Received(name, {"id": name, **fields}, 1.0e9, "command")


def make_panel(qtbot: QtBot, store: EventStore) -> EventsPanel:
    panel = EventsPanel(store)
    qtbot.addWidget(panel)
    panel.resize(800, 600)
    panel.show()
    return panel


def top_level_texts(panel: EventsPanel) -> list[str]:
    tree = panel.tree
    items = [tree.topLevelItem(i) for i in range(tree.topLevelItemCount())]
    return [item.text(0) for item in items if item is not None]


class Touches:
    """Top-level rows whose data changed, and layout changes (re-sorts), in the tree."""

    def __init__(self, panel: EventsPanel) -> None:
        self.rows: set[int] = set()
        self.layouts = 0
        model = panel.tree.model()
        model.dataChanged.connect(self._changed)
        model.layoutChanged.connect(self._layout)
        model.layoutAboutToBeChanged.connect(self._layout)

    def _changed(self, first: QModelIndex, last: QModelIndex, roles: Any = None) -> None:
        top = first if not first.parent().isValid() else first.parent()
        bottom = last if not last.parent().isValid() else last.parent()
        self.rows.update(range(top.row(), bottom.row() + 1))

    def _layout(self, *args: Any) -> None:
        self.layouts += 1


def test_refresh_with_one_change_among_10000_touches_one_row(
    qtbot: QtBot, monkeypatch: Any
) -> None:
    store = EventStore(CAT, max_unknown_ids=20_000)
    names = [f"made_up_{i}" for i in range(10_000)]
    random.Random(3).shuffle(names)
    for name in names:
        store.on_event(event(name, value=1))
    panel = make_panel(qtbot, store)
    panel.refresh()
    assert panel.tree.topLevelItemCount() == 10_000
    texts = top_level_texts(panel)
    assert texts == sorted(texts, key=natural_key)
    assert texts[:3] == ["made_up_0", "made_up_1", "made_up_2"]  # natural order

    calls = 0
    original = events_module.natural_key

    def counting(text: str) -> list[object]:
        nonlocal calls
        calls += 1
        return original(text)

    monkeypatch.setattr(events_module, "natural_key", counting)
    touches = Touches(panel)
    store.on_event(event("made_up_5000", value=2))
    panel.refresh()
    assert calls == 0  # nothing re-sorted
    assert touches.layouts == 0
    row = texts.index("made_up_5000")
    assert touches.rows == {row}
    assert panel.field_items[("made_up_5000", "value")].text(1) == "2"
    assert (panel.last_refresh.entries, panel.last_refresh.fields) == (1, 1)
    assert panel.last_refresh.inserted == 0

    # a new id is inserted in place: one sort-key computation, no re-sort
    touches.rows.clear()
    store.on_event(event("made_up_5000a", value=3))
    panel.refresh()
    assert calls == 1
    assert touches.layouts == 0
    assert top_level_texts(panel)[row + 1] == "made_up_5000a"


def test_keys_sort_naturally_and_the_filter_applies_to_new_rows(qtbot: QtBot) -> None:
    store = EventStore(CAT)
    panel = make_panel(qtbot, store)
    for address in (10, 2, 83, 0):
        store.on_event(event("innerLoopControlMode", address=address, mode=1))
    store.on_event(event("interlock", state=False))
    panel.refresh()
    assert top_level_texts(panel) == [
        "innerLoopControlMode[0]",
        "innerLoopControlMode[2]",
        "innerLoopControlMode[10]",
        "innerLoopControlMode[83]",
        "interlock",
    ]
    panel.filter.setText("interl")
    assert [i.isHidden() for i in panel.items.values()].count(False) == 1
    store.on_event(event("innerLoopControlMode", address=5, mode=1))
    panel.refresh()
    assert panel.items["innerLoopControlMode[5]"].isHidden()
    panel.filter.setText("")
    assert not panel.items["innerLoopControlMode[5]"].isHidden()


def test_a_bad_value_is_shown_marked_and_other_events_still_show(qtbot: QtBot) -> None:
    store = EventStore(CAT)
    panel = make_panel(qtbot, store)
    store.on_event(event("hardpointList", actuators=["a", "b", "c", "d", "e", "f"]))
    store.on_event(event("interlock", state=True))
    store.on_event(event("made_up", big=10**5000))
    panel.refresh()  # raised TypeError before, and interlock was never shown
    assert panel.field_items[("interlock", "state")].text(1) == "true"
    bad = panel.field_items[("hardpointList", "actuators")]
    assert bad.text(1).startswith(MARK) and '"a"' in bad.text(1)
    assert "expected" in bad.toolTip(1)
    assert panel.field_items[("made_up", "big")].text(1).startswith(MARK)


def test_history_view_is_bounded_in_bytes_and_says_so(qtbot: QtBot) -> None:
    store = EventStore(CAT, history_chars=100_000)
    panel = make_panel(qtbot, store)
    for i in range(3000):
        store.on_event(event("configurationFiles", files=["z" * 250_000, str(i)]))
        if i % 500 == 0:
            panel.refresh()
    panel.refresh()
    model = panel.history_model
    assert 0 < model.rowCount() < 3000
    assert model.chars <= 100_000
    assert model.dropped == 3000 - model.rowCount()
    assert "dropped" in panel.count.text()
    index = model.index(model.rowCount() - 1, 2)
    assert model.data(index).endswith("…")
    assert "truncated" in model.data(index, Qt.ItemDataRole.ToolTipRole)
    grab = panel.grab()
    grab.save("/tmp/events_panel_bounds.png")


def test_history_decodes_values_as_the_tree_does_with_units(qtbot: QtBot) -> None:
    store = EventStore(CAT)
    panel = make_panel(qtbot, store)
    store.on_event(event("summaryFaultsStatus", status=17179869184))  # bit 34: warning 6052
    store.on_event(event("powerSystemState", powerType=2, status=True, state=5))
    store.on_event(event("config", inPositionAxial=0.123456, cellTemperatureDelta=2))
    store.on_event(event("temperatureOffset", ring=[21.456] * 12, intake=[1, 2], exhaust=[3, 4]))
    panel.refresh()
    model = panel.history_model
    rows = {model.data(model.index(r, 1)): model.data(model.index(r, 2)) for r in range(4)}
    for title, row_text in rows.items():
        entry = store.latest[title]
        tree = ", ".join(
            f"{name}={panel.field_items[(title, name)].text(1)}" for name in entry.fields
        )
        assert row_text == tree, title  # the same words in the history and in the tree
    assert rows["summaryFaultsStatus"] == "status=0x400000000: 6052W"
    assert rows["powerSystemState[Communication]"].startswith("powerType=2 (Communication)")
    tree = panel.field_items
    assert tree[("config", "inPositionAxial")].text(1) == "0.1 N"
    assert tree[("config", "cellTemperatureDelta")].text(1) == "2.00 degC"
    assert tree[("temperatureOffset", "intake")].text(1) == "[1.00, 2.00] degC"
    assert rows["temperatureOffset"].startswith("ring=[21.46, 21.46,")
    # the user looks for a fault code in the history filter, and finds its event
    qtbot.keyClicks(panel.history_filter, "6052W")
    assert panel.history_proxy.rowCount() == 1
    index = panel.history_proxy.index(0, 1)
    assert panel.history_proxy.data(index) == "summaryFaultsStatus"
    panel.history_filter.clear()
    panel.grab().save("/tmp/issue17_events_history_decoded.png")
