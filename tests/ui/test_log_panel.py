"""The log store (a logging handler) never raises into the caller and keeps text only."""

from __future__ import annotations

import gc
import logging
import sys
import weakref
from typing import Any

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from m2gui.model import log_store as log_module
from m2gui.model.log_store import LogStore
from m2gui.ui.log_panel import LogPanel


@pytest.fixture
def logger() -> Any:
    handler = LogStore()
    log = logging.getLogger("m2gui.test_log_handler")
    log.propagate = False
    log.setLevel(logging.DEBUG)
    log.addHandler(handler)
    yield log, handler
    log.removeHandler(handler)
    log.propagate = True


@pytest.mark.parametrize("raise_exceptions", [True, False])
def test_bad_format_string_never_raises_into_the_caller(
    logger: Any, monkeypatch: Any, capsys: pytest.CaptureFixture[str], raise_exceptions: bool
) -> None:
    log, handler = logger
    monkeypatch.setattr(logging, "raiseExceptions", raise_exceptions)
    # straight to the handler: pytest's own capture handlers re-raise such errors
    bad = log.makeRecord(log.name, logging.WARNING, __file__, 1, "%d actuators", ("72",), None)
    handler.handle(bad)  # TypeError in getMessage
    handler.handle(log.makeRecord(log.name, logging.INFO, __file__, 2, "after", (), None))
    lines = list(handler.lines)
    assert [line.message for line in lines][-1] == "after"
    assert lines[0].message.startswith(log_module.MARK)
    assert "%d actuators" in lines[0].message
    assert handler.errors == 1
    # handleError reports to stderr only when logging.raiseExceptions is set
    assert ("Logging error" in capsys.readouterr().err) is raise_exceptions


def test_keeps_text_not_records_or_tracebacks(logger: Any) -> None:
    log, handler = logger
    record = log.makeRecord(log.name, logging.ERROR, __file__, 1, "failed: %s", ("x",), None)
    try:
        raise ValueError("boom")
    except ValueError:
        record.exc_info = sys.exc_info()
    ref = weakref.ref(record)
    handler.handle(record)
    del record
    gc.collect()
    assert ref() is None  # the handler keeps no LogRecord (and so no traceback)
    (line,) = list(handler.lines)
    assert not isinstance(line, logging.LogRecord)
    assert line.message == "failed: x"
    assert "ValueError: boom" in line.exc_text


def test_huge_messages_are_cut(logger: Any) -> None:
    log, handler = logger
    log.info("x" * 5_000_000)
    (line,) = list(handler.lines)
    assert len(line.message) <= log_module.MAX_MESSAGE_CHARS + 1
    assert line.message.endswith("…")


def test_panel_shows_the_lines(logger: Any, qtbot: QtBot, monkeypatch: Any) -> None:
    log, handler = logger
    monkeypatch.setattr(logging, "raiseExceptions", False)
    panel = LogPanel(handler)
    qtbot.addWidget(panel)
    try:
        raise RuntimeError("cable pulled")
    except RuntimeError:
        log.exception("link lost")
    handler.handle(log.makeRecord(log.name, logging.WARNING, __file__, 1, "%s, %s", ("1",), None))
    panel.refresh()
    assert panel.model.rowCount() == 2
    text = panel.proxy.data(panel.proxy.index(0, 3))
    assert text == "link lost [RuntimeError: cable pulled]"
    tip = panel.proxy.data(panel.proxy.index(0, 3), Qt.ItemDataRole.ToolTipRole)
    assert "Traceback" in tip
    assert panel.proxy.data(panel.proxy.index(1, 3)).startswith(log_module.MARK)
    panel.search.setText("cable")
    assert panel.proxy.rowCount() == 1
