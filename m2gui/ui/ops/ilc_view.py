"""ILC status: the 84 inner-loop controllers by ModBUS id, coloured by mode, with words.

Check ILC States and Enable ILC States are procedures of the model
(`m2gui.model.procedures.ilc_bringup`) run on the session's procedure runner,
so their progress shows here and in the sequencer's step list; Reset ILC
States only forgets the modes shown (nothing is sent).
"""

from __future__ import annotations

import logging

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from m2gui.model.commanding import requires_mode
from m2gui.model.ops.ilc import (
    ENABLED,
    LEGEND,
    N_ACTUATOR_ILC,
    N_AXIAL_ILC,
    N_ILC,
    IlcStates,
    ilc_device,
    ilc_look,
    modbus_id,
    needs_communication_power,
)
from m2gui.model.procedures import Procedure, ProcedureRunner, no_procedure_running
from m2gui.model.procedures.ilc_bringup import check_ilcs_procedure, enable_ilcs_procedure
from m2gui.model.session import Session

from ..bridge import listen
from ..controls import CommandButton

__all__ = ["IlcView"]

log = logging.getLogger(__name__)

IDLE = 1
#: Lamps per row in the axial group.
COLUMNS = 12
LAMP_W, LAMP_H = 64, 38
ILC_PROCEDURES = ("Check ILC states", "Enable ILC states")


def lamp_style(mode: int | None, bypassed: bool) -> str:
    """The style sheet of one lamp (colour from the model; a dashed border when bypassed)."""
    look = ilc_look(mode)
    border = "3px dashed #000000" if bypassed else "1px solid #555555"
    return (
        f"background: {look.color}; color: {look.text_color}; border: {border}; "
        "border-radius: 4px; font-size: 8pt;"
    )


class IlcView(QWidget):
    """The 84 ILC lamps, the legend, bypassed ILCs, and Check / Enable / Reset.

    Parameters
    ----------
    session : `Session`
        The controller session.
    parent : `QWidget` or None
        Parent widget.
    """

    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.ilcs = session.store(IlcStates)
        self.runner = session.store(ProcedureRunner)
        self.lamps: list[QLabel] = []

        # Legend and bypassed ILCs
        legend = QHBoxLayout()
        legend.addWidget(QLabel("Modes:"))
        for mode in LEGEND:
            swatch = QLabel(ilc_look(mode).word)
            swatch.setStyleSheet(lamp_style(mode, False) + " padding: 2px 6px;")
            legend.addWidget(swatch)
        bypass_swatch = QLabel("bypassed")
        bypass_swatch.setStyleSheet(lamp_style(ENABLED, True) + " padding: 2px 6px;")
        legend.addWidget(bypass_swatch)
        legend.addStretch(1)
        self.bypassed = QLabel()
        self.bypassed.setWordWrap(True)
        self.summary = QLabel()
        info = QVBoxLayout()
        info.addLayout(legend)
        info.addWidget(self.bypassed)
        info.addWidget(self.summary)

        # Lamps
        for _ in range(N_ILC):
            lamp = QLabel()
            lamp.setAlignment(Qt.AlignmentFlag.AlignCenter)
            lamp.setFixedSize(LAMP_W, LAMP_H)
            lamp.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)
            self.lamps.append(lamp)
        axial = self._group("Axial (ModBUS 1-72)", range(0, N_AXIAL_ILC), COLUMNS)
        tangent = self._group("Tangent (73-78)", range(N_AXIAL_ILC, N_ACTUATOR_ILC), 6)
        sensor = self._group("Sensor (79-84)", range(N_ACTUATOR_ILC, N_ILC), 6)
        lower = QHBoxLayout()
        lower.addWidget(tangent)
        lower.addWidget(sensor)
        lower.addStretch(1)

        # Control
        rules = (requires_mode(IDLE), needs_communication_power, no_procedure_running)
        self.check = CommandButton(
            "Check ILC States",
            session,
            "getInnerLoopControlMode",
            *rules,
            tip="Ask the ILCs whose mode is unknown (getInnerLoopControlMode) and wait for them",
        )
        self.enable = CommandButton(
            "Enable ILC States",
            session,
            "setInnerLoopControlMode",
            *rules,
            tip="Step every ILC (bypassed ones skipped) to Enabled, 3 tries, 20 s per wait",
        )
        self.reset = QPushButton("Reset ILC States")
        self.check.clicked.connect(self.start_check)
        self.enable.clicked.connect(self.start_enable)
        self.reset.clicked.connect(self._reset)
        self.progress = QProgressBar()
        self.progress.setRange(0, N_ILC)
        self.status = QLabel()
        self.status.setWordWrap(True)
        self.status.setTextFormat(Qt.TextFormat.PlainText)
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        controls = QGroupBox("ILC control")
        control_row = QHBoxLayout(controls)
        for button in (self.check, self.enable, self.reset):
            control_row.addWidget(button)
        control_row.addWidget(self.progress, 1)

        layout = QVBoxLayout(self)
        layout.addLayout(info)
        layout.addWidget(axial)
        layout.addLayout(lower)
        layout.addWidget(controls)
        layout.addWidget(self.status)
        layout.addStretch(1)

        self._update_lamps(frozenset(range(N_ILC)))
        self._update_controls()
        listen(self, self.ilcs.changed, self._on_ilcs, mode="batch")
        listen(self, self.runner.changed, self._update_controls, mode="poke")
        listen(self, self.runner.step, self._update_controls, mode="poke")

    def _group(self, title: str, addresses: range, columns: int) -> QGroupBox:
        group = QGroupBox(title)
        grid = QGridLayout(group)
        grid.setSpacing(3)
        for i, address in enumerate(addresses):
            grid.addWidget(self.lamps[address], i // columns, i % columns)
        return group

    # ------------------------------------------------------------------
    # Lamps
    # ------------------------------------------------------------------
    def _on_ilcs(self, batch: list[tuple[frozenset[int]]]) -> None:
        changed: set[int] = set()
        for (addresses,) in batch:
            changed |= addresses
        self._update_lamps(frozenset(changed))
        self._update_controls()

    def _update_lamps(self, addresses: frozenset[int]) -> None:
        bypassed = set(self.ilcs.bypassed)
        for address in sorted(addresses):
            if not 0 <= address < N_ILC:
                continue
            mode = self.ilcs.modes[address]
            lamp = self.lamps[address]
            lamp.setText(f"{modbus_id(address)}\n{ilc_look(mode).word}")
            lamp.setStyleSheet(lamp_style(mode, address in bypassed))
            lamp.setToolTip(self.ilcs.tooltip(address))
        if bypassed:
            names = ", ".join(
                f"ModBUS {modbus_id(a)} ({ilc_device(a)})" for a in sorted(bypassed)[:12]
            )
            self.bypassed.setText(f"Bypassed ILCs: {names}")
        else:
            self.bypassed.setText("Bypassed ILCs: none")
        counts = self.ilcs.counts()
        self.summary.setText(
            "Now: " + ", ".join(f"{n} {word}" for word, n in sorted(counts.items()))
        )

    # ------------------------------------------------------------------
    # Control
    # ------------------------------------------------------------------
    def _ours(self) -> Procedure | None:
        last = self.runner.last
        return last if last is not None and last.name in ILC_PROCEDURES else None

    def _update_controls(self) -> None:
        self.check.update_state()
        self.enable.update_state()
        busy = self.runner.busy_reason()
        self.reset.setEnabled(busy is None)
        self.reset.setToolTip(
            busy or "Forget the modes shown (all Unknown, grey) before checking them again"
        )
        procedure = self._ours()
        if procedure is None:
            self.progress.setFormat("%v of 84 Enabled")
            self.progress.setValue(self.ilcs.modes.count(ENABLED))
            return
        if procedure.name == "Check ILC states":
            read = sum(m is not None for m in self.ilcs.modes)
            self.progress.setFormat("%v of 84 read")
            self.progress.setValue(read)
        else:
            self.progress.setFormat("%v of 84 Enabled")
            self.progress.setValue(self.ilcs.modes.count(ENABLED))
        if procedure.result is not None:
            self.status.setText(procedure.result.text)
        else:
            current = procedure.current
            note = f": {current.note}" if current is not None and current.note else ""
            tries = f" (try {current.tries})" if current is not None and current.tries > 1 else ""
            self.status.setText(f"{procedure.name}: running {procedure.elapsed:.1f} s{tries}{note}")

    def start_check(self) -> Procedure | None:
        """Start Check ILC States (if allowed now)."""
        return self._start(check_ilcs_procedure(self.session), self.check)

    def start_enable(self) -> Procedure | None:
        """Start Enable ILC States (if allowed now)."""
        return self._start(enable_ilcs_procedure(self.session), self.enable)

    def _start(self, procedure: Procedure, button: CommandButton) -> Procedure | None:
        reason = button.blocked_reason()
        if reason is not None:
            self.status.setText(f"{procedure.name} not started: {reason}")
            return None
        self.runner.start(procedure)
        self._update_controls()
        return procedure

    def _reset(self) -> None:
        if self.runner.busy:
            return
        self.ilcs.reset()
        self.status.setText("ILC modes forgotten: all Unknown until checked again.")
