"""Sources: a read-only source blocks every way of sending, with its own words."""

from __future__ import annotations

import pytest

from m2gui.model import load_catalogue
from m2gui.model.commanding import CommandBlocked
from m2gui.model.session import Session
from m2gui.model.sources import FedSource, LiveSource, fed_connection
from m2gui.net import ConnectionState


def _viewer() -> tuple[Session, FedSource]:
    catalogue = load_catalogue()
    source = FedSource(fed_connection(catalogue), "Replay of night.m2rec: commands are disabled")
    return Session(catalogue=catalogue, source=source), source


async def test_a_read_only_source_blocks_every_send_even_when_delivering() -> None:
    session, source = _viewer()
    source.set_state(ConnectionState.CONNECTED)
    assert session.connected
    text = "Replay of night.m2rec: commands are disabled"
    assert session.read_only == text
    assert session.blocked_reason("clearErrors") == text
    with pytest.raises(CommandBlocked, match="commands are disabled"):
        await session.send("clearErrors")
    with pytest.raises(ConnectionError, match="commands are disabled"):
        await session.send_raw("command", '{"id": "cmd_clearErrors", "sequence_id": 1}')
    with pytest.raises(ConnectionError, match="commands are disabled"):
        await session.send_message("event", "x", {})
    assert session.connection.command_stats.messages == 0


def test_the_banner_text_can_change_and_says_so() -> None:
    _, source = _viewer()
    seen: list[None] = []
    source.changed.connect(lambda: seen.append(None))
    source.set_read_only("Viewer of mqtt://broker/m2: held by ops-1")
    source.set_read_only("Viewer of mqtt://broker/m2: held by ops-1")
    assert source.read_only == "Viewer of mqtt://broker/m2: held by ops-1" and len(seen) == 1


def test_a_live_session_is_not_read_only() -> None:
    session = Session()
    assert isinstance(session.source, LiveSource)
    assert session.read_only is None
    assert session.blocked_reason("clearErrors") == "not connected to the controller"
    assert "127.0.0.1:50010/50011" in session.source.describe()
