"""The event store: bounded in ids, keys and bytes whatever the controller sends."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from m2gui.model import events as events_module
from m2gui.model import load_catalogue
from m2gui.model.events import EventStore
from m2gui.model.format import Truncated, format_value
from m2gui.net import Received

CAT = load_catalogue()


def event(name: str, **fields: Any) -> Received:
    return Received(name, {"id": name, **fields}, 1.0e9, "command")


def test_distinct_unknown_ids_are_capped_and_counted(caplog: pytest.LogCaptureFixture) -> None:
    store = EventStore(CAT, max_unknown_ids=50)
    store.on_event(event("interlock", state=False))
    with caplog.at_level(logging.WARNING, logger="m2gui.model.events"):
        for i in range(10_000):
            store.on_event(event(f"invented{i}", value=i))
    unknown = [k for k in store.latest if k not in CAT.events]
    assert len(unknown) == 50
    assert store.dropped_unknown == 10_000 - 50
    assert store.received == 10_001
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert 1 <= len(warnings) <= 5  # rate limited, not one per event
    assert "unknown" in warnings[0].getMessage()
    # known ids are always kept, and kept ones still update
    store.on_event(event("tcpIpConnected", isConnected=True))
    store.on_event(event("invented3", value=-1))
    assert "tcpIpConnected" in store.latest
    assert store.latest["invented3"].fields["value"] == -1
    assert store.dropped_unknown == 10_000 - 50


def test_default_cap_bounds_the_store() -> None:
    store = EventStore(CAT)
    for i in range(events_module.MAX_UNKNOWN_IDS + 500):
        store.on_event(event(f"x{i}"))
    assert len(store.latest) == events_module.MAX_UNKNOWN_IDS
    assert store.dropped_unknown == 500


def test_invented_keys_of_known_events_are_capped() -> None:
    store = EventStore(CAT)
    for address in range(84):
        store.on_event(event("innerLoopControlMode", address=address, mode=1))
    for address in range(84, 10_000):
        store.on_event(event("innerLoopControlMode", address=address, mode=1))
    keyed = [k for k in store.latest if k.startswith("innerLoopControlMode[")]
    assert "innerLoopControlMode[83]" in store.latest
    assert len(keyed) == events_module.MAX_KEYS
    assert store.dropped_keys == 10_000 - events_module.MAX_KEYS


def test_long_unknown_names_and_keys_are_cut() -> None:
    store = EventStore(CAT)
    store.on_event(event("n" * 200_000))
    store.on_event(event("powerSystemState", powerType="k" * 200_000, state=1))
    assert all(len(k) < 300 for k in store.latest)


def test_history_is_bounded_in_bytes_and_marks_truncation() -> None:
    store = EventStore(CAT, history=5000, history_chars=200_000)
    big = "z" * 250_000
    for i in range(5000):
        store.on_event(event("configurationFiles", files=[big, str(i)]))
    total = sum(row.size for row in store.history)
    assert total <= 200_000
    assert store.history_chars == total
    assert 0 < len(store.history) < 5000
    assert store.history_dropped == 5000 - len(store.history)
    row = store.history[-1]
    assert row.truncated and row.text.endswith("…")
    assert len(row.text) <= events_module.HISTORY_TEXT_CHARS + 1
    # the latest value keeps a bounded preview of an oversized field, marked
    value = store.latest["configurationFiles"].fields["files"]
    assert isinstance(value, Truncated)
    assert len(value.preview) <= events_module.PREVIEW_CHARS + 1


def test_small_values_are_kept_exactly() -> None:
    store = EventStore(CAT)
    files = [f"file{i}.yaml" for i in range(50)]
    store.on_event(event("configurationFiles", files=files))
    assert store.value("configurationFiles", "files") == files
    shown = format_value(CAT, CAT.events["configurationFiles"].fields["files"], files)
    assert store.history[-1].text.startswith("files=" + shown[:40])
    assert store.history[-1].truncated  # the row shows a preview...
    assert not isinstance(store.latest["configurationFiles"].fields["files"], Truncated)
    store.on_event(event("interlock", state=True))
    assert store.history[-1].text == "state=true"
    assert not store.history[-1].truncated


def test_history_rows_decode_values_as_the_tree_does() -> None:
    store = EventStore(CAT)
    store.on_event(event("summaryFaultsStatus", status=17179869184))
    assert store.history[-1].text == "status=0x400000000: 6052W"
    store.on_event(event("powerSystemState", powerType=2, status=True, state=5))
    assert store.history[-1].title == "powerSystemState[Communication]"
    assert store.history[-1].text == (
        "powerType=2 (Communication), status=true, state=5 (PoweredOn)"
    )
    store.on_event(event("hardpointList", actuators=[6, 16, 26, 74, 76, 78]))  # 1-based
    assert store.history[-1].text == "actuators=[5, 15, 25, 73, 75, 77] = B6 B16 B26 A2 A4 A6"
    store.on_event(event("config", inPositionAxial=0.123456, cellTemperatureDelta=2))
    assert store.history[-1].text == "inPositionAxial=0.1 N, cellTemperatureDelta=2.00 degC"
    assert not store.history[-1].truncated
    # each field stays bounded; unknown events are shown plainly
    store.on_event(event("made_up", value="v" * 10_000, n=1.5))
    row = store.history[-1]
    assert row.truncated and "n=1.5" in row.text
    assert len(row.text) <= events_module.HISTORY_FIELD_CHARS * 2 + 20


def test_many_fields_are_capped() -> None:
    store = EventStore(CAT)
    store.on_event(event("made_up", **{f"f{i}": i for i in range(10_000)}))
    fields = store.latest["made_up"].fields
    assert len(fields) <= events_module.MAX_FIELDS + 1
    assert any(isinstance(v, Truncated) for v in fields.values())


def nested(depth: int) -> Any:
    value: Any = 0
    for _ in range(depth):
        value = [value]
    return value


def test_hostile_values_do_not_break_the_store() -> None:
    store = EventStore(CAT)
    for _ in range(2):  # the second time compares with the first
        store.on_event(event("hardpointList", actuators=nested(5000)))
        store.on_event(event("powerSystemState", powerType=10**5000, state=1))
        store.on_event(event("summaryFaultsStatus", status=10**5000))
    assert store.received == 6
    assert store.latest["hardpointList"].count == 2


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.sampled_from([5000, 20]).map(lambda n: 10**n)
    | st.floats()
    | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=5), inner, max_size=4)
    ),
    max_leaves=20,
)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    name=st.sampled_from([*CAT.events, "unknownEvent"]),
    fields=st.dictionaries(st.text(max_size=12), json_values, max_size=5),
    data=st.data(),
)
def test_any_fields_of_any_event_are_stored(
    name: str, fields: dict[str, Any], data: st.DataObject
) -> None:
    topic = CAT.events.get(name)
    if topic is not None:  # also the catalogue's own field names, with any value
        for field_name in topic.fields:
            fields[field_name] = data.draw(json_values)
    store = EventStore(CAT)
    fields.pop("id", None)
    store.on_event(event(name, **fields))
    store.on_event(event(name, **fields))
    assert store.received == 2
    assert len(store.latest) == 1
    assert len(store.history) == 2
