"""One event flow: stores announce changes after updating; widgets listen through the bridge."""

from __future__ import annotations

import gc
import threading
import time
import weakref
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QEvent
from PySide6.QtWidgets import QApplication, QWidget
from pytestqt.qtbot import QtBot

from m2gui.model import load_catalogue
from m2gui.model.commanding import SOURCE_COMMAND, SOURCE_EVENT, requires_mode
from m2gui.model.events import EventStore
from m2gui.model.history import CommandHistory
from m2gui.model.session import Session
from m2gui.net import CommandRecord, Outcome, Received
from m2gui.sim import ControllerSimulator
from m2gui.ui.bridge import listen
from m2gui.ui.commands.history_panel import HistoryPanel
from m2gui.ui.commands.panel import CommandPanel
from m2gui.ui.controls import CommandButton
from m2gui.ui.events_panel import EventsPanel

from ..conftest import connect_to
from .conftest import until

pytestmark = pytest.mark.timeout(60)
CAT = load_catalogue()


def event(name: str, **fields: Any) -> Received:
    return Received(name, {"id": name, **fields}, time.time(), "command")


# ----------------------------------------------------------------------
# Store signals
# ----------------------------------------------------------------------
def test_event_store_signals_fire_after_the_update_with_the_change() -> None:
    store = EventStore(CAT)
    seen: list[tuple[str, Any]] = []
    store.updated.connect(lambda entry_id: seen.append((entry_id, store.latest[entry_id].fields)))
    rows: list[tuple[str, int, int]] = []
    store.history_appended.connect(
        lambda row, dropped: rows.append((row.title, dropped, len(store.history)))
    )
    store.on_event(event(SOURCE_EVENT, state=True))
    store.on_event(event("powerSystemState", powerType=1, status=True, state=2))
    assert seen[0] == (SOURCE_EVENT, {"state": True})
    assert seen[1][0] == "powerSystemState[Motor]"
    # the row is in the history when the signal fires
    assert rows == [(SOURCE_EVENT, 0, 1), ("powerSystemState[Motor]", 0, 2)]


def test_history_signals_append_update_and_rotation() -> None:
    history = CommandHistory(size=3)
    appended: list[tuple[str, int, int]] = []
    updated: list[Outcome] = []
    history.appended.connect(
        lambda r, dropped: appended.append((r.name, dropped, len(history.records)))
    )
    history.updated.connect(lambda r: updated.append(r.outcome))
    records = [CommandRecord(f"c{i}", {}, i, time.time(), time.monotonic()) for i in range(4)]
    for record in records:
        history.on_record(record)
    records[3].outcome = Outcome.SUCCESS
    history.on_record(records[3])
    assert appended == [("c0", 0, 1), ("c1", 0, 2), ("c2", 0, 3), ("c3", 1, 3)]
    assert updated == [Outcome.SUCCESS]


def test_telemetry_store_announces_after_storing() -> None:
    session = Session("127.0.0.1", 1, 2, reconnect=False, history=5)
    counts: list[int] = []
    store = session.telemetry
    store.arrived.connect(lambda topic: counts.append(store.buffers[topic].count))
    message = {"id": "powerStatus", "motorVoltage": 1.0, "motorCurrent": 0.0}
    store.on_telemetry(Received("powerStatus", message, time.time(), "telemetry"))
    store.on_telemetry(Received("powerStatus", message, time.time(), "telemetry"))
    assert counts == [1, 2]


# ----------------------------------------------------------------------
# The bridge
# ----------------------------------------------------------------------
class Receiver(QWidget):
    def __init__(self) -> None:
        super().__init__()
        self.batches: list[list[tuple[Any, ...]]] = []
        self.threads: set[int] = set()

    def on_batch(self, batch: list[tuple[Any, ...]]) -> None:
        self.batches.append(batch)
        self.threads.add(threading.get_ident())


def test_bridge_coalesces_a_burst_into_few_deliveries(qtbot: QtBot) -> None:
    store = EventStore(CAT)
    receiver = Receiver()
    qtbot.addWidget(receiver)
    listener = listen(receiver, store.updated, receiver.on_batch)
    for i in range(1000):
        store.on_event(event("interlock", state=bool(i % 2)))
    qtbot.waitUntil(lambda: sum(map(len, receiver.batches)) == 1000, timeout=5000)
    assert listener.deliveries == len(receiver.batches) <= 3
    assert receiver.batches[0][0] == ("interlock",)


def test_bridge_delivers_on_the_qt_thread(qtbot: QtBot) -> None:
    store = EventStore(CAT)
    receiver = Receiver()
    qtbot.addWidget(receiver)
    listen(receiver, store.updated, receiver.on_batch)
    worker = threading.Thread(target=lambda: store.on_event(event("interlock", state=True)))
    worker.start()
    worker.join()
    qtbot.waitUntil(lambda: bool(receiver.batches), timeout=5000)
    assert receiver.threads == {threading.main_thread().ident}


def test_a_closed_widget_is_collected_and_receives_nothing(qtbot: QtBot) -> None:
    store = EventStore(CAT)
    received: list[int] = []

    class Panel(QWidget):
        def __init__(self) -> None:
            super().__init__()
            listen(self, store.updated, self.on_batch)

        def on_batch(self, batch: list[tuple[Any, ...]]) -> None:
            received.append(len(batch))

    panel = Panel()
    panel.show()
    store.on_event(event("interlock", state=True))
    qtbot.waitUntil(lambda: received == [1], timeout=5000)
    ref = weakref.ref(panel)
    panel.close()
    panel.deleteLater()
    del panel
    QApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    gc.collect()
    assert ref() is None
    assert len(store.updated) == 0  # disconnected from the store
    store.on_event(event("interlock", state=False))
    QApplication.processEvents()
    assert received == [1]


def test_a_closed_events_panel_is_collected(qtbot: QtBot) -> None:
    store = EventStore(CAT)
    panel = EventsPanel(store)
    store.on_event(event("interlock", state=True))
    panel.refresh()
    assert "interlock" in panel.items
    ref = weakref.ref(panel)
    panel.close()
    panel.deleteLater()
    del panel
    QApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    gc.collect()
    assert ref() is None
    assert len(store.updated) == 0 and len(store.history_appended) == 0
    store.on_event(event("interlock", state=False))  # nothing left to call: no error
    QApplication.processEvents()


# ----------------------------------------------------------------------
# Widgets on the signals
# ----------------------------------------------------------------------
def test_history_panel_keeps_its_selection_across_rotation(qtbot: QtBot) -> None:
    history = CommandHistory(size=50)
    panel = HistoryPanel(history)
    qtbot.addWidget(panel)
    panel.show()
    records = [CommandRecord(f"cmd{i}", {}, i, time.time(), time.monotonic()) for i in range(50)]
    for record in records:
        history.on_record(record)
    qtbot.waitUntil(lambda: panel.model.rowCount() == 50, timeout=5000)
    panel.table.selectRow(40)
    assert panel.model.rows[panel.table.currentIndex().row()] is records[40]
    resets: list[int] = []
    panel.model.modelReset.connect(lambda: resets.append(1))
    for i in range(50, 80):  # 30 more: the oldest 30 leave
        history.on_record(CommandRecord(f"cmd{i}", {}, i, time.time(), time.monotonic()))
        if i % 7 == 0:
            QApplication.processEvents()
    qtbot.waitUntil(lambda: panel.model.rows[-1].name == "cmd79", timeout=5000)
    assert panel.model.rowCount() == 50
    current = panel.table.currentIndex()
    assert current.isValid() and panel.model.rows[current.row()] is records[40]
    assert current.row() == 10
    assert resets == []
    # an update redraws the row of its record, and the details of the selection
    records[40].outcome = Outcome.FAIL
    records[40].reason = "limit switch"
    history.on_record(records[40])
    qtbot.waitUntil(lambda: "limit switch" in panel.details.toPlainText(), timeout=5000)
    assert panel.model.data(panel.model.index(10, 6)) == "fail"


def test_command_button_says_why_it_is_disabled(qtbot: QtBot, run_qasync: Any) -> None:
    async def scenario() -> None:
        async with ControllerSimulator(command_port=0, telemetry_port=0) as sim:
            session = Session("127.0.0.1", sim.command_port, sim.telemetry_port)
            button = CommandButton("Move", session, "moveActuators", requires_mode(3))
            qtbot.addWidget(button)
            assert not button.isEnabled()
            assert button.toolTip() == "not connected to the controller"
            session.connect()
            await until(lambda: "the CSC holds command" in button.toolTip(), what="CSC")
            await session.send(SOURCE_COMMAND, {"isRemote": False})
            await until(lambda: "OpenLoop" in button.toolTip(), what="mode rule")
            assert not button.isEnabled()
            assert "needs the controller in OpenLoop mode" in button.toolTip()
            await session.disconnect()
            await until(lambda: button.toolTip() == "not connected to the controller")

    run_qasync(scenario())


def test_interlock_follows_a_second_client_in_both_directions(
    qtbot: QtBot, run_qasync: Any, tmp_path: Path
) -> None:
    async def scenario() -> None:
        async with ControllerSimulator(command_port=0, telemetry_port=0) as sim:
            session = Session("127.0.0.1", sim.command_port, sim.telemetry_port)
            panel = CommandPanel(session)
            qtbot.addWidget(panel)
            panel.resize(900, 700)
            panel.show()
            session.connect()
            await until(lambda: SOURCE_EVENT in session.events.latest, what="welcome")
            panel.select("clearErrors")
            other = connect_to(sim)  # a second engineering client
            other.start()
            await other.wait_connected(5)
            for remote in (False, True, False, True):
                await other.command(SOURCE_COMMAND, {"isRemote": remote})
                # the store has the new state: the panel shows it within one refresh
                await until(
                    lambda r=remote: session.events.value(SOURCE_EVENT, "state") is r,
                    what="store updated",
                )
                await until(
                    lambda r=remote: (
                        panel.banner_widget.isVisible() is r
                        and panel.send_button.isEnabled() is (not r)
                    ),
                    timeout=0.5,
                    what=f"banner and Send follow isRemote={remote}",
                )
                assert ("CSC holds command" in panel.send_button.toolTip()) is remote
            await other.close()
            await session.disconnect()

    run_qasync(scenario())


def _widgets(session: Session) -> dict[str, QWidget]:
    from PySide6.QtGui import QAction

    from m2gui.ui.commands.console import ConsolePanel
    from m2gui.ui.connection_bar import ConnectionBar

    return {
        "commands": CommandPanel(session),
        "history": HistoryPanel(session.history),
        "console": ConsolePanel(session),
        "events": EventsPanel(session.events),
        "connection": ConnectionBar(session, QAction("c"), QAction("d")),
        "button": CommandButton("Send", session, "clearErrors"),
    }


@pytest.mark.parametrize(
    "kind", ["commands", "history", "console", "events", "connection", "button"]
)
def test_closed_widgets_are_collected_and_disconnected(qtbot: QtBot, kind: str) -> None:
    session = Session("127.0.0.1", 1, 2, reconnect=False, history=5)
    widgets = _widgets(session)
    widget = widgets.pop(kind)
    for other in widgets.values():
        other.deleteLater()
    widget.show()
    ref = weakref.ref(widget)
    widget.close()
    widget.deleteLater()
    del widget, widgets
    QApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    gc.collect()
    assert ref() is None
    signals = [
        session.link.changed,
        session.events.updated,
        session.events.history_appended,
        session.history.appended,
        session.history.updated,
        session.traffic.message,
        session.telemetry.arrived,
    ]
    assert [len(s) for s in signals] == [0] * len(signals)
    # the stores still announce changes, to nobody, without errors
    session.events.on_event(event(SOURCE_EVENT, state=True))
    session.history.on_record(CommandRecord("x", {}, 1, time.time(), time.monotonic()))
    QApplication.processEvents()


def test_a_view_in_a_hidden_tab_is_updated_when_shown(qtbot: QtBot) -> None:
    from PySide6.QtWidgets import QTabWidget

    store = EventStore(CAT)
    tabs = QTabWidget()
    qtbot.addWidget(tabs)
    front, behind = Receiver(), Receiver()
    tabs.addTab(front, "front")
    tabs.addTab(behind, "behind")
    tabs.show()
    listener = listen(behind, store.updated, behind.on_batch, defer_hidden=True)
    always = listen(front, store.updated, front.on_batch, defer_hidden=True)
    for i in range(3000):
        store.on_event(event("interlock", state=bool(i % 2)))
    qtbot.waitUntil(lambda: sum(map(len, front.batches)) == 3000, timeout=5000)
    assert always.deliveries >= 1
    assert behind.batches == [] and listener.deferred  # a tab not in front: no work
    tabs.setCurrentWidget(behind)
    qtbot.waitUntil(lambda: bool(behind.batches), timeout=5000)
    assert listener.deliveries == 1
    assert behind.batches[0] == [("interlock",)]  # merged: the slot reads the store
    assert not listener.deferred
