"""Controller-aware controls: enabled only when what they send may be sent now.

Every button that sends something to the controller is a `CommandButton`.
It follows the link and the events through the store signals and asks the
model (`Session.blocked_reason`) whether its command may be sent: connected,
the GUI holds command, and whatever further rules the view gives (a
controller mode, say). When it may not, it is disabled and its tool tip says
why, in words an engineer can act on.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtWidgets import QPushButton, QWidget

from m2gui.model.commanding import Rule
from m2gui.model.session import Session

from .bridge import listen

__all__ = ["NO_COMMAND", "CommandButton"]

#: What `CommandButton`'s ``command`` returns for something that is not a
#: command (an event or a raw line): only the connection is required.
NO_COMMAND = ""


class CommandButton(QPushButton):
    """A push button that sends a controller command.

    Parameters
    ----------
    text : `str`
        The label.
    session : `Session`
        Where the state comes from.
    command : `str` or callable
        The command it sends, or a function returning it (for a panel whose
        command changes): None when there is nothing to send, `NO_COMMAND`
        when what is sent is not a command.
    *rules : `Rule`
        Further conditions (see `m2gui.model.commanding.requires_mode`).
    tip : `str`
        The tool tip while it is enabled.
    parent : `QWidget` or None
        Parent widget.
    """

    def __init__(
        self,
        text: str,
        session: Session,
        command: str | Callable[[], str | None],
        *rules: Rule,
        tip: str = "",
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(text, parent)
        self.session = session
        self._command = command
        self.rules = rules
        self.tip = tip
        self.busy = False
        self.reason: str | None = None
        listen(self, session.link.changed, self.update_state, mode="poke")
        listen(self, session.events.updated, self.update_state, mode="poke")
        self.update_state()

    @property
    def command(self) -> str | None:
        """The command this button sends now."""
        return self._command() if callable(self._command) else self._command

    def set_busy(self, busy: bool) -> None:
        """Disable while what was sent is in flight."""
        self.busy = busy
        self.update_state()

    def blocked_reason(self) -> str | None:
        """Why it cannot send now, or None."""
        name = self.command
        if name is None:
            return "choose a command first"
        if self.busy:
            return "waiting for the previous command to end"
        if name == NO_COMMAND:
            if self.session.read_only is not None:
                return self.session.read_only
            return None if self.session.connected else "not connected to the controller"
        return self.session.blocked_reason(name, *self.rules)

    def update_state(self) -> None:
        """Enable or disable, with the reason as tool tip."""
        self.reason = self.blocked_reason()
        self.setEnabled(self.reason is None)
        self.setToolTip(self.reason or self.tip)
