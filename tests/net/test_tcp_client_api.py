"""The public API of TcpClient matches the seed document, name for name."""

from __future__ import annotations

import inspect
import logging

import pytest

from m2gui.net import Client, MsgType, TcpClient, sequence_id_generator


async def _noop(*args: object, message: dict) -> None:
    pass


def test_constructor_signature_matches_seed() -> None:
    sig = inspect.signature(TcpClient.__init__)
    params = list(sig.parameters.values())
    assert [p.name for p in params] == [
        "self",
        "host",
        "port",
        "callback_process_message",
        "args",
        "log",
        "sequence_generator",
        "name",
        "check_message_rate",
    ]
    assert sig.parameters["args"].kind is inspect.Parameter.VAR_POSITIONAL
    for name in ("log", "sequence_generator", "name", "check_message_rate"):
        assert sig.parameters[name].kind is inspect.Parameter.KEYWORD_ONLY
    assert sig.parameters["log"].default is None
    assert sig.parameters["sequence_generator"].default is None
    assert sig.parameters["name"].default == "tcp-client"
    assert sig.parameters["check_message_rate"].default is False


@pytest.mark.parametrize(
    ("method", "params"),
    [
        ("basic_close", []),
        ("call_connect_callback", []),
        ("close", []),
        ("connect", [("timeout", 10.0)]),
        ("read", [("n", inspect.Parameter.empty)]),
        ("read_into", [("struct", inspect.Parameter.empty)]),
        ("read_json", []),
        ("read_str", []),
        ("readexactly", [("n", inspect.Parameter.empty)]),
        ("readline", []),
        ("readuntil", [("separator", b"\n")]),
        ("write", [("data", inspect.Parameter.empty)]),
        ("write_json", [("data", inspect.Parameter.empty)]),
        (
            "write_message",
            [
                ("msg_type", inspect.Parameter.empty),
                ("msg_name", inspect.Parameter.empty),
                ("msg_details", None),
                ("comp_name", None),
            ],
        ),
        ("write_str", [("line", inspect.Parameter.empty)]),
        ("writelines", [("lines", inspect.Parameter.empty)]),
    ],
)
def test_methods_are_coroutines_with_seed_signatures(method: str, params: list) -> None:
    func = getattr(TcpClient, method)
    assert inspect.iscoroutinefunction(func), method
    sig = inspect.signature(func)
    got = [(p.name, p.default) for p in sig.parameters.values() if p.name != "self"]
    assert got == params


def test_start_and_write_from_take_varargs() -> None:
    start = inspect.signature(TcpClient.start).parameters["kwargs"]
    assert start.kind is inspect.Parameter.VAR_KEYWORD
    structs = inspect.signature(TcpClient.write_from).parameters["structs"]
    assert structs.kind is inspect.Parameter.VAR_POSITIONAL


def test_subclass_and_msg_type() -> None:
    assert issubclass(TcpClient, Client)
    assert [m.name for m in MsgType] == ["Command", "Event", "Telemetry"]


def test_attributes_before_connecting() -> None:
    """Constructed outside an event loop, the client waits for connect()."""
    log = logging.getLogger("test")
    client = TcpClient("127.0.0.1", 1, _noop, log=log)
    assert client.log.name == "test.TcpClient"
    assert isinstance(client.timeout, float)
    assert client.last_sequence_id == -1
    assert client.connected is False
    assert client.name == "tcp-client"
    assert client.should_be_connected is False
    assert client.terminator == b"\r\n"
    assert client.encoding == "utf-8"
    assert client.host == "127.0.0.1"
    assert client.port == 1
    assert client.messages_received == 0
    assert client.bad_lines == 0


def test_default_logger_and_name() -> None:
    client = TcpClient("localhost", 5, _noop, name="cmd")
    assert isinstance(client.log, logging.Logger)
    assert client.name == "cmd"


def test_sequence_generator_wraps() -> None:
    gen = sequence_id_generator(start=2**31 - 2)
    assert [next(gen) for _ in range(4)] == [2**31 - 2, 2**31 - 1, 1, 2]
    with pytest.raises(ValueError):
        sequence_id_generator(start=0).__next__()
