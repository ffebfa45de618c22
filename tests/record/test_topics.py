"""Topics: from the recorder's sidecar when it covers every part, else by scanning."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from m2gui.net import WireLine
from m2gui.record import Recorder, open
from m2gui.record.topics import MAX_TOPICS, TOPICS_FILE

from .conftest import record, simulator_lines


def _scanned(folder: Path) -> dict[str, str]:
    side = folder / TOPICS_FILE
    saved = side.read_bytes()
    side.unlink()
    try:
        with open(folder) as recording:
            return recording.topics
    finally:
        side.write_bytes(saved)


def test_sidecar_matches_a_scan(tmp_path: Path) -> None:
    folder = tmp_path / "rec"
    recorder = Recorder(folder, {}, rotate_bytes=3000, flush_interval=60)
    for i, line in enumerate(simulator_lines()):
        recorder.write(line)
        if i % 50 == 49:
            assert recorder.flush(5)
    recorder.close()
    content = json.loads((folder / TOPICS_FILE).read_text())
    with open(folder) as recording:
        assert content["parts"] == [int(p.stem.split("-")[1]) for p in recording.parts]
        assert len(recording.parts) > 1
        assert recording.topics == _scanned(folder)
        assert len(recording.topics) == 41


def test_sidecar_is_used_when_it_covers_every_part(tmp_path: Path) -> None:
    folder = tmp_path / "rec"
    record(folder, simulator_lines())
    side = folder / TOPICS_FILE
    content = json.loads(side.read_text())
    content["topics"]["onlyInTheSidecar"] = "event"
    side.write_text(json.dumps(content))
    with open(folder) as recording:
        assert recording.topics["onlyInTheSidecar"] == "event"  # no payload was read
    content["parts"] = []  # covers nothing: scanned instead
    side.write_text(json.dumps(content))
    with open(folder) as recording:
        assert "onlyInTheSidecar" not in recording.topics
        assert recording.topics["axialForce"] == "telemetry"


def test_second_recorder_extends_a_covering_sidecar(tmp_path: Path) -> None:
    folder = tmp_path / "rec"
    record(folder, simulator_lines()[:5])
    record(folder, [WireLine(1.0, "telemetry", "in", b'{"id":"later"}')])
    assert json.loads((folder / TOPICS_FILE).read_text())["parts"] == [1, 2]
    with open(folder) as recording:
        assert recording.topics == _scanned(folder)
        assert recording.topics["later"] == "telemetry"


def test_sidecar_not_covering_old_parts_falls_back(tmp_path: Path) -> None:
    folder = tmp_path / "rec"
    record(folder, simulator_lines()[:5])
    (folder / TOPICS_FILE).unlink()  # e.g. written by an older m2gui
    record(folder, [WireLine(1.0, "telemetry", "in", b'{"id":"later"}')])
    assert json.loads((folder / TOPICS_FILE).read_text())["parts"] == [2]
    with open(folder) as recording:
        topics = recording.topics
    assert topics["tcpIpConnected"] == "event" and topics["later"] == "telemetry"


@pytest.mark.parametrize(
    "content",
    [
        b"",
        b"[]",
        b"{",
        b'{"format": 1, "complete": true, "parts": [1], "topics": {"x": "evil"}}',
        b'{"format": 2, "complete": true, "parts": [1], "topics": {}}',
        b"[" * 100_000,
    ],
)
def test_bad_sidecar_ignored(tmp_path: Path, content: bytes) -> None:
    folder = tmp_path / "rec"
    record(folder, simulator_lines()[:5])
    (folder / TOPICS_FILE).write_bytes(content)
    with open(folder) as recording:
        assert recording.topics["tcpIpConnected"] == "event"


def test_ids_are_bounded(tmp_path: Path) -> None:
    folder = tmp_path / "rec"
    recorder = Recorder(folder, {}, flush_interval=60)
    for i in range(MAX_TOPICS + 5):
        recorder.write(WireLine(float(i), "telemetry", "in", b'{"id":"t%d"}' % i))
    recorder.close()
    content = json.loads((folder / TOPICS_FILE).read_text())
    assert content["complete"] is False and len(content["topics"]) == MAX_TOPICS
    with open(folder) as recording:
        assert len(recording.topics) == MAX_TOPICS
        assert f"more than {MAX_TOPICS} message ids" in recording.problems.messages[0]
