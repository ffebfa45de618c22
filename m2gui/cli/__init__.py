"""``m2gui-cli``: the controller from a terminal and from scripts (Qt-free).

One module per subcommand (``send``, ``listen``, ``status``, ``run``,
``catalogue``, ``completion``, ``record``/``replay``/``export``), with the
shared options (`options`), output (`output`), exit codes (`exit_codes`) and
event-loop plumbing (`runtime`). Nothing here imports Qt.
"""

from .exit_codes import EXIT_CODES, ExitCode

__all__ = ["EXIT_CODES", "ExitCode"]
