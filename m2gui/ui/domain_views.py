"""The M2 domain views, as the main window shows them: two groups of tabs."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtWidgets import QTabWidget, QWidget

from m2gui.model.session import Session

from .cell.actuator_view import ActuatorView
from .cell.forces_view import ForcesView
from .cell.hardpoints_view import HardpointsView
from .cell.mirror_map import MirrorMapView
from .cell.net_force_view import NetForceView
from .cell.rigid_body_view import RigidBodyView
from .cell.utility_view import UtilityView
from .ops.alarms_view import AlarmsView
from .ops.configuration_view import ConfigurationView
from .ops.diagnostics_view import DiagnosticsView
from .ops.ilc_view import IlcView
from .ops.limit_switch_view import LimitSwitchView
from .ops.overview_view import OverviewView
from .ops.sequencer_view import SequencerView

__all__ = ["CELL_VIEWS", "OPERATIONS_VIEWS", "DomainTabs", "ViewSpec"]


@dataclass(frozen=True)
class ViewSpec:
    """One domain view: its key (saved layouts, tests), tab title and class."""

    key: str
    title: str
    make: Callable[[Session], QWidget]


OPERATIONS_VIEWS = (
    ViewSpec("overview", "Overview", OverviewView),
    ViewSpec("sequencer", "Sequencer", SequencerView),
    ViewSpec("alarms", "Alarms / Warnings", AlarmsView),
    ViewSpec("limit_switches", "Limit switches", LimitSwitchView),
    ViewSpec("ilcs", "ILC status", IlcView),
    ViewSpec("diagnostics", "Diagnostics", DiagnosticsView),
    ViewSpec("configuration", "Configuration", ConfigurationView),
)
CELL_VIEWS = (
    ViewSpec("mirror_map", "Mirror map", MirrorMapView),
    ViewSpec("actuators", "Actuators", ActuatorView),
    ViewSpec("forces", "Forces", ForcesView),
    ViewSpec("hardpoints", "Hardpoints", HardpointsView),
    ViewSpec("rigid_body", "Rigid body", RigidBodyView),
    ViewSpec("net_force", "Net force / moment", NetForceView),
    ViewSpec("utility", "Utility", UtilityView),
)


class DomainTabs(QTabWidget):
    """A group of domain views as tabs; ``views[key]`` gives each view."""

    def __init__(
        self, session: Session, specs: tuple[ViewSpec, ...], parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setDocumentMode(True)
        self.views: dict[str, QWidget] = {}
        for spec in specs:
            view = spec.make(session)
            view.setObjectName(f"view_{spec.key}")
            self.views[spec.key] = view
            self.addTab(view, spec.title)

    def show_view(self, key: str) -> QWidget:
        """Bring a view to the front."""
        view = self.views[key]
        self.setCurrentWidget(view)
        return view
