"""The Configuration view driven by clicks against the real simulator, on a qasync loop."""

from __future__ import annotations

from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox
from pytestqt.qtbot import QtBot

from m2gui.model.ops.local_mode import Local, LocalMode
from m2gui.model.session import Session
from m2gui.net import Outcome
from m2gui.ui.ops.configuration_view import CURRENT_MARK, ConfigurationView

from .conftest import until
from .views import view_rig

pytestmark = pytest.mark.timeout(30)


def rig(qtbot: QtBot, take_command: bool = True) -> Any:
    return view_rig(
        qtbot,
        ConfigurationView,
        take_command=take_command,
        ready=lambda view: view.files.count() == 4,
    )


def table_rows(view: ConfigurationView) -> dict[str, tuple[str, str]]:
    out = {}
    for row in range(view.table.rowCount()):
        label, value, unit = (view.table.item(row, c) for c in range(3))
        if label is not None and value is not None and unit is not None:
            out[label.text().strip()] = (value.text(), unit.text())
    return out


def set_local_mode(session: Session, mode: Local) -> None:
    local = session.store(LocalMode)
    local.mode = mode
    local.changed.emit("mode")


def test_shows_the_config_event_with_units_and_the_files(qtbot: QtBot, run_qasync: Any) -> None:
    async def scenario() -> None:
        async with rig(qtbot, take_command=False) as (sim, _session, view):
            files = sim.controller.configuration_files
            texts = [view.files.item(i).text() for i in range(view.files.count())]
            assert texts[:3] == [
                f.removeprefix("Configurable_File_Description_") for f in files[:3]
            ]
            assert texts[3] == "20180831T092556_surrogate_handling.csv" + CURRENT_MARK  # in use
            names = [view.files.item(i).data(Qt.ItemDataRole.UserRole) for i in range(4)]
            assert names == files
            assert view.files.item(0).toolTip() == files[0]
            await until(lambda: "Configuration file" in table_rows(view), what="config")
            rows = table_rows(view)
            assert rows["Configuration file"] == (files[3], "")
            assert rows["Configuration version"] == ("20180831T092556", "")
            assert rows["Current threshold"] in (("20", "A"), ("10", "A"))
            assert rows["24 V accuracy warning"] == ("5", "%")
            assert rows["Axial threshold"] == ("0.158", "N")
            assert rows["Sample window"] == ("1", "s")
            assert rows["ILC telemetry receipt error persistence"] == ("3", "counts")
            assert rows["Delta range"] == ("2", "°")
            assert rows["Difference enabled"] == ("yes", "")
            assert rows["Cell temperature delta"] == ("2", "°C")
            assert view.table.item(0, 0).text() == "File paths and version"
            await until(lambda: "CSC holds command" in view.set_button.toolTip(), what="CSC")
            assert not view.set_button.isEnabled()

    run_qasync(scenario())


def test_set_only_in_standby_sends_the_chosen_file(qtbot: QtBot, run_qasync: Any) -> None:
    async def scenario() -> None:
        async with rig(qtbot) as (sim, session, view):
            button = view.set_button
            files = sim.controller.configuration_files
            await until(lambda: button.toolTip() == "choose a configuration file first")
            assert not button.isEnabled()
            view.files.item(1).setSelected(True)  # the user's click
            await until(button.isEnabled, what="enabled with a file chosen in Standby")
            set_local_mode(session, Local.DIAGNOSTIC)
            await until(lambda: not button.isEnabled(), what="disabled in Diagnostic")
            assert button.toolTip() == "allowed only in local mode Standby (it is Diagnostic)"
            set_local_mode(session, Local.STANDBY)
            await until(button.isEnabled, what="enabled in Standby")
            button.click()
            await until(lambda: view.command_sender.confirm_box is not None, what="confirm")
            box = view.command_sender.confirm_box
            assert box is not None
            box.button(QMessageBox.StandardButton.Yes).click()
            await until(lambda: sim.controller.configuration_file == files[1], what="set")
            records = [r for r in session.history.records if r.name == "setConfigurationFile"]
            assert [dict(r.params) for r in records] == [{"file": files[1]}]
            await until(lambda: records[0].outcome is Outcome.SUCCESS, what="success")
            await until(lambda: view.files.item(1).text().endswith(CURRENT_MARK), what="in use")
            rows = table_rows(view)
            assert rows["Configuration file"][0] == files[1]
            assert rows["Control parameters"][0] == "CtrlParameterFiles_2018-07-19_104257_m2"
            changed = view.table.item(1, 1)  # the file row is highlighted
            assert changed is not None and "changed by the last config event" in changed.toolTip()
            assert "next Enable" in " ".join(
                w.text() for w in view.findChildren(type(view.outcome)) if w.text()
            )
            # the selection is kept across the refreshed list
            selected = view.files.selectedItems()
            assert [i.data(Qt.ItemDataRole.UserRole) for i in selected] == [files[1]]

    run_qasync(scenario())


def test_disconnected(qtbot: QtBot, run_qasync: Any) -> None:
    async def scenario() -> None:
        session = Session("127.0.0.1", 1, 2, reconnect=False, history=5)
        view = ConfigurationView(session)
        qtbot.addWidget(view)
        view.show()
        assert not view.set_button.isEnabled()
        assert view.set_button.toolTip() == "not connected to the controller"
        assert view.files.count() == 0
        assert view.table.rowCount() > 7
        view.close()

    run_qasync(scenario())
