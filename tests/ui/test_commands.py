"""Command panel, history and console against the real simulator (offscreen)."""

from __future__ import annotations

import asyncio
import csv
import dataclasses
import io
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox
from pytestqt.qtbot import QtBot

from m2gui.model import Catalogue, load_catalogue
from m2gui.model.session import Session
from m2gui.net import Outcome
from m2gui.sim import ControllerSimulator
from m2gui.ui.commands import panel as panel_module
from m2gui.ui.commands.console import ConsolePanel
from m2gui.ui.commands.form import INVALID, CommandForm
from m2gui.ui.commands.history_panel import HistoryPanel
from m2gui.ui.commands.panel import FAVOURITES, CommandPanel

from ..sim.test_commands import SEQUENCE
from .conftest import until

CAT = load_catalogue()


class Rig:
    """A simulator, a session connected to it, and the three command widgets."""

    def __init__(
        self, sim: ControllerSimulator, qtbot: QtBot, catalogue: Catalogue | None = None
    ) -> None:
        self.sim = sim
        self.session = Session(
            "127.0.0.1", sim.command_port, sim.telemetry_port, catalogue=catalogue, history=30
        )
        self.panel = CommandPanel(self.session)
        self.history = HistoryPanel(self.session.history)
        self.console = ConsolePanel(self.session)
        for w in (self.panel, self.history, self.console):
            qtbot.addWidget(w)  # closed and deleted at teardown, in order
            w.resize(900, 700)
            w.show()

    async def connect(self) -> None:
        self.session.connect()
        await self.session.connection.wait_connected(5)
        await until(lambda: "commandableByDDS" in self.session.events.latest, what="welcome")
        self.panel.update_state()

    async def send(self, name: str, params: dict[str, Any], confirm: bool = True) -> Any:
        self.panel.load(name, params)
        task = self.panel.send()
        assert task is not None, self.panel.outcome.text()
        if self.session.catalogue.commands[name].needs_confirmation(params):
            await until(lambda: self.panel.confirm_box is not None, what="confirmation")
            box = self.panel.confirm_box
            assert box is not None
            button = (
                QMessageBox.StandardButton.Yes if confirm else QMessageBox.StandardButton.Cancel
            )
            box.button(button).click()
        return await asyncio.wait_for(task, 40)

    async def close(self) -> None:
        await self.session.disconnect()
        for w in (self.panel, self.history, self.console):
            w.close()


def test_every_form_builds_with_valid_defaults(qtbot: QtBot) -> None:
    for name, spec in CAT.commands.items():
        form = CommandForm(spec)
        qtbot.addWidget(form)
        params, errors = form.values()
        assert errors == {}, name
        CAT.validate_command(name, params)  # raises if the defaults are invalid


def test_form_editors_follow_the_catalogue(qtbot: QtBot) -> None:
    power = CommandForm(CAT.commands["power"])
    qtbot.addWidget(power)
    combo = power.fields["powerType"].editor
    assert [combo.itemText(i) for i in range(combo.count())] == ["Motor (1)", "Communication (2)"]
    assert type(power.fields["status"].editor).__name__ == "QCheckBox"
    forces = CommandForm(CAT.commands["applyForces"])
    qtbot.addWidget(forces)
    table = forces.fields["axial"].table
    assert table is not None and table.rowCount() == 72
    assert table.verticalHeaderItem(12).text() == "12 B13"
    mask = CommandForm(CAT.commands["setEnabledFaultsMask"])
    qtbot.addWidget(mask)
    assert mask.fields["mask"].editor.text() == "0xFF800007FFFFFFFF"
    assert mask.values()[0] == {"mask": 18410715311050326015}
    ilc = CommandForm(CAT.commands["setInnerLoopControlMode"])
    qtbot.addWidget(ilc)
    assert ilc.fields["addresses"].editor.text() == "0-83"
    ilc.fields["addresses"].editor.setText("0-2, 80")
    assert ilc.values()[0]["addresses"] == [0, 1, 2, 80]
    move = CommandForm(CAT.commands["moveActuators"])
    qtbot.addWidget(move)
    move.fields["actuatorCommand"].set_value(2)
    assert not move.fields["actuators"].isEnabled()
    assert move.values()[0] == {"actuatorCommand": 2}
    move.fields["actuatorCommand"].set_value(1)
    assert move.fields["actuators"].isEnabled()


def test_array_fill_helpers_and_per_element_validation(qtbot: QtBot, tmp_path: Path) -> None:
    form = CommandForm(CAT.commands["applyForces"])
    qtbot.addWidget(form)
    axial = form.fields["axial"]
    axial.constant.setText("12.5")
    axial._fill_constant()
    assert form.values()[0]["axial"] == [12.5] * 72
    axial.paste("1\n2\n3")
    assert "expected 72 values, got 3: nothing changed" in axial.error.text()
    assert form.values()[0]["axial"] == [12.5] * 72
    axial.paste(", ".join(str(i) for i in range(72)))
    assert form.values()[0]["axial"] == [float(i) for i in range(72)]
    path = tmp_path / "forces.csv"
    path.write_text("actuator,force\n" + "\n".join(f"B{i},{i * 2}" for i in range(72)))
    axial.load_csv(path)
    assert form.values()[0]["axial"][5] == 10.0
    axial.table.item(3, 0).setText("500")  # above the 444.82 N limit
    axial.table.item(4, 0).setText("abc")
    _params, errors = form.values()
    assert "axial" in errors
    assert "[3] 3 B4: 500 is above the maximum 444.82 N" in errors["axial"]
    assert "(and 1 more)" in errors["axial"]
    assert axial.table.item(4, 0).toolTip() == "'abc' is not a number"
    axial.fill(0)
    assert form.values()[1] == {}


def test_gui_sequences_through_the_forms_end_as_success(run_qasync: Any, qtbot: QtBot) -> None:
    async def scenario() -> None:
        async with ControllerSimulator(command_port=0, telemetry_port=0) as sim:
            rig = Rig(sim, qtbot)
            await rig.connect()
            assert rig.panel.banner_widget.isVisible()
            for name, params in SEQUENCE:
                record = await rig.send(name, params)
                assert record is not None and record.outcome is Outcome.SUCCESS, (
                    name,
                    rig.panel.outcome.text(),
                )
                assert "✓ success" in rig.panel.outcome.text()
            assert not rig.panel.banner_widget.isVisible()
            await until(lambda: len(rig.history.model.rows) == len(SEQUENCE), what="history rows")
            rows = rig.history.model.rows
            assert [r.name for r in rows] == [n for n, _ in SEQUENCE]
            assert {r.outcome for r in rows} == {Outcome.SUCCESS}
            assert {n for n, _ in SEQUENCE} == set(CAT.commands)
            await rig.close()

    run_qasync(scenario(), timeout=120)


def test_invalid_input_is_refused_before_sending(run_qasync: Any, qtbot: QtBot) -> None:
    async def scenario() -> None:
        async with ControllerSimulator(command_port=0, telemetry_port=0) as sim:
            rig = Rig(sim, qtbot)
            await rig.connect()
            await rig.send("switchCommandSource", {"isRemote": False})
            before = len(rig.session.history.records)
            form = rig.panel.select("positionMirror")
            form.fields["x"].editor.setText("")
            assert rig.panel.send() is None
            assert "x: required" in rig.panel.outcome.text()
            form.fields["x"].editor.setText("9000")
            assert rig.panel.send() is None
            assert "positionMirror.x: 9000 is above the maximum 7740 um" in rig.panel.outcome.text()
            assert form.fields["x"].error.text() == "9000 is above the maximum 7740 um"
            form = rig.panel.select("setHardpointList")
            form.fields["actuators"].table.item(5, 0).setText("90")
            assert rig.panel.send() is None
            assert "above the maximum 77" in rig.panel.outcome.text()
            assert len(rig.session.history.records) == before  # nothing went out
            await rig.close()

    run_qasync(scenario())


def test_dangerous_command_only_when_confirmed(run_qasync: Any, qtbot: QtBot) -> None:
    async def scenario() -> None:
        async with ControllerSimulator(command_port=0, telemetry_port=0) as sim:
            rig = Rig(sim, qtbot)
            await rig.connect()
            await rig.send("switchCommandSource", {"isRemote": False})
            power_on = {"powerType": 2, "status": True}
            assert await rig.send("power", power_on, confirm=False) is None
            assert rig.panel.outcome.text() == "Not sent: cancelled."
            assert [r.name for r in rig.session.history.records] == ["switchCommandSource"]
            assert not sim.controller.comm_on
            record = await rig.send("power", power_on, confirm=True)
            assert record.outcome is Outcome.SUCCESS and sim.controller.comm_on
            assert rig.session.preferences.recent["power"][0] == power_on
            await rig.close()

    run_qasync(scenario())


def test_noack_fail_and_timeout_show_in_the_history(run_qasync: Any, qtbot: QtBot) -> None:
    catalogue = Catalogue.load()
    spec = catalogue.commands["clearErrors"]
    catalogue.commands["clearErrors"] = dataclasses.replace(spec, timeout=0.3)

    async def scenario() -> None:
        async with ControllerSimulator(command_port=0, telemetry_port=0) as sim:
            rig = Rig(sim, qtbot, catalogue)
            await rig.connect()
            await rig.send("switchCommandSource", {"isRemote": False})
            record = await rig.send("switchForceBalanceSystem", {"status": True})
            assert record is None
            assert "✗ failed" in rig.panel.outcome.text()
            assert "motor power is off" in rig.panel.outcome.text()
            sim.faults.withhold = {"clearErrors"}
            assert await rig.send("clearErrors", {}) is None
            assert "✗ timed out" in rig.panel.outcome.text()
            sim.faults.withhold = set()
            console = rig.console
            console.kind.setCurrentText("command")
            console.name.setText("noSuchCommand")
            console.validate.setChecked(False)
            console.body.setText("{}")
            console.send()
            await until(lambda: "noack" in console.result.text(), what="noack in console")
            expected = [
                ("switchForceBalanceSystem", Outcome.FAIL),
                ("clearErrors", Outcome.TIMEOUT),
                ("noSuchCommand", Outcome.NOACK),
            ]
            # The history panel is told by the history's signals: wait for it.
            await until(
                lambda: [(r.name, r.outcome) for r in rig.history.model.rows][1:] == expected,
                what="the three outcomes in the history",
            )
            model = rig.history.model
            assert model.data(model.index(2, 6)) == "timeout"
            assert "no reply within 0.3 s" in model.data(model.index(2, 7))
            assert "unknown command" in model.data(model.index(3, 7))
            await rig.close()

    run_qasync(scenario())


def test_command_source_rule_and_take_command(
    run_qasync: Any, qtbot: QtBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(panel_module, "BANNER_OUTCOME_MS", 50)  # the outcome shows briefly

    async def scenario() -> None:
        async with ControllerSimulator(command_port=0, telemetry_port=0) as sim:
            rig = Rig(sim, qtbot)
            panel = rig.panel
            panel.select("clearErrors")
            assert not panel.send_button.isEnabled()
            assert panel.send_button.toolTip() == "not connected to the controller"
            await rig.connect()
            assert panel.banner_widget.isVisible()
            assert not panel.send_button.isEnabled()
            assert "the CSC holds command" in panel.send_button.toolTip()
            panel.select("switchCommandSource")
            assert panel.send_button.isEnabled()
            panel.take_command.click()
            await until(lambda: not panel.banner_widget.isVisible(), what="banner gone")
            panel.select("clearErrors")
            await until(lambda: panel.send_button.isEnabled(), what="send enabled")
            await rig.close()
            await until(lambda: not panel.send_button.isEnabled(), what="disabled")

    run_qasync(scenario())


def test_console_sends_and_shows_the_reply_and_traffic(run_qasync: Any, qtbot: QtBot) -> None:
    async def scenario() -> None:
        async with ControllerSimulator(command_port=0, telemetry_port=0) as sim:
            rig = Rig(sim, qtbot)
            await rig.connect()
            console = rig.console
            for body, error in (
                ("[1, 2]", "must be a JSON object, not list"),
                ("{bad", "not valid JSON"),
                ('{"id": 1}', "leave 'id' out"),
            ):
                console.name.setText("switchCommandSource")
                console.body.setText(body)
                console.send()
                assert error in console.result.text()
            console.body.setText('{"isRemote": 0}')
            console.send()
            assert "switchCommandSource.isRemote: expected true or false" in console.result.text()
            console.body.setText('{"isRemote": false}')
            console.send()
            await until(lambda: "success" in console.result.text(), what="console success")
            console.kind.setCurrentText("telemetry")
            console.name.setText("elevation")
            console.body.setText('{"actualPosition": 42.0}')
            console.send()
            await until(lambda: "telemetry elevation sent" in console.result.text())
            await until(
                lambda: any("tel_elevation" in row[3] for row in console.model.rows),
                what="the telemetry input in the traffic view",
            )
            texts = [(port, d, text) for _, port, d, text in console.model.rows]
            assert any(d == "out" and '"cmd_switchCommandSource"' in t for _, d, t in texts)
            assert any(d == "in" and '"success"' in t for _, d, t in texts)
            assert any(
                p == "telemetry" and d == "out" and "tel_elevation" in t for p, d, t in texts
            )
            console.filter.setText("tel_elevation")
            assert console.proxy.rowCount() == 1
            await until(lambda: sim.controller.external_elevation == 42.0, what="input applied")
            await rig.close()

    run_qasync(scenario())


def test_history_resend_export_and_preferences(
    run_qasync: Any, qtbot: QtBot, tmp_path: Path
) -> None:
    async def scenario() -> None:
        async with ControllerSimulator(command_port=0, telemetry_port=0) as sim:
            rig = Rig(sim, qtbot)
            await rig.connect()
            await rig.send("switchCommandSource", {"isRemote": False})
            await rig.send("setClosedLoopControlMode", {"mode": 2})
            await until(lambda: len(rig.history.model.rows) == 2, what="history rows")
            got: list[tuple[str, dict]] = []
            rig.history.resend_requested.connect(lambda n, p: got.append((n, p)))
            rig.history.resend(1)
            assert got == [("setClosedLoopControlMode", {"mode": 2})]
            rig.panel.load(*got[0])
            assert rig.panel.current == "setClosedLoopControlMode"
            assert rig.panel.form.values()[0] == {"mode": 2}
            path = tmp_path / "history.csv"
            rig.history.export_csv(str(path))
            rows = list(csv.reader(io.StringIO(path.read_text())))
            assert rows[0][:3] == ["time", "command", "parameters"]
            assert rows[2][1:4] == ["setClosedLoopControlMode", '{"mode": 2}', rows[2][3]]
            assert rows[2][6] == "success"
            rig.panel._toggle_pin()
            top = rig.panel.tree.topLevelItem(0)
            assert top.text(0) == FAVOURITES and top.child(0).text(0) == "setClosedLoopControlMode"
            prefs = rig.session.preferences
            assert prefs.recent["setClosedLoopControlMode"] == [{"mode": 2}]
            assert type(prefs).from_json(prefs.to_json()).favourites == ["setClosedLoopControlMode"]
            await rig.close()

    run_qasync(scenario())


def test_configuration_file_choices_come_from_the_controller(run_qasync: Any, qtbot: QtBot) -> None:
    async def scenario() -> None:
        async with ControllerSimulator(command_port=0, telemetry_port=0) as sim:
            rig = Rig(sim, qtbot)
            await rig.connect()
            form = rig.panel.select("setConfigurationFile")
            combo = form.fields["file"].editor
            await until(lambda: combo.count() == 4, what="choices")
            assert combo.itemText(0).endswith("M2_optical.csv")
            await rig.close()

    run_qasync(scenario())


@pytest.mark.parametrize("text", ["1, 2, x", "5-2"])
def test_index_list_errors(qtbot: QtBot, text: str) -> None:
    form = CommandForm(CAT.commands["getInnerLoopControlMode"])
    qtbot.addWidget(form)
    form.fields["addresses"].editor.setText(text)
    assert form.fields["addresses"].value() is INVALID
    assert form.values()[1]["addresses"]


def test_history_shows_parameters_with_units_names_and_as_sent(
    run_qasync: Any, qtbot: QtBot
) -> None:
    async def scenario() -> None:
        async with ControllerSimulator(command_port=0, telemetry_port=0) as sim:
            rig = Rig(sim, qtbot)
            await rig.connect()
            await rig.send("switchCommandSource", {"isRemote": False})
            await rig.send("setClosedLoopControlMode", {"mode": 2})
            position = {"x": 12.345, "y": 0.0, "z": -3.0, "xRot": 0.5, "yRot": 0.0, "zRot": 0.0}
            await rig.send("positionMirror", position)  # its outcome does not matter here
            await until(lambda: len(rig.history.model.rows) == 3, what="history rows")
            model = rig.history.model
            assert model.data(model.index(1, 2)) == "mode=2 (TelemetryOnly)"
            cell = model.data(model.index(2, 2))
            assert cell.startswith("x=12.35 um, y=0.00 um, z=-3.00 um, xRot=0.50 arcsec")
            tip = model.data(model.index(2, 2), Qt.ItemDataRole.ToolTipRole)
            assert "x=12.35 um\ny=0.00 um" in tip and '"x": 12.345' in tip  # exact as sent
            # the user clicks the row: the details give both
            table = rig.history.table
            rect = table.visualRect(model.index(2, 1))
            qtbot.mouseClick(table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
            details = rig.history.details.toPlainText()
            assert "xRot=0.50 arcsec" in details and '"x": 12.345' in details
            rig.history.grab().save("/tmp/issue17_command_history_units.png")
            await rig.close()

    run_qasync(scenario())
