"""The M2 domain views, as the main window shows them: two groups of tabs."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtWidgets import QScrollArea, QTabWidget, QWidget

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
    """A group of domain views as tabs; ``views[key]`` gives each view.

    Each view scrolls in its own page when the window is smaller than it
    needs, so the tab bar stays in place and no view widens the window.
    """

    #: The workspace need not wrap this page in a scroll area of its own.
    scrolls_its_pages = True

    def __init__(
        self, session: Session, specs: tuple[ViewSpec, ...], parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setDocumentMode(True)
        self.views: dict[str, QWidget] = {}
        self._pages: dict[str, QScrollArea] = {}
        for spec in specs:
            view = spec.make(session)
            view.setObjectName(f"view_{spec.key}")
            page = QScrollArea()
            page.setObjectName(f"page_{spec.key}")
            page.setFrameShape(QScrollArea.Shape.NoFrame)
            page.setWidgetResizable(True)
            page.setWidget(view)
            self.views[spec.key] = view
            self._pages[spec.key] = page
            self.addTab(page, spec.title)

    def show_view(self, key: str) -> QWidget:
        """Bring a view to the front."""
        self.setCurrentWidget(self._pages[key])
        return self.views[key]
