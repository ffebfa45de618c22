"""Credentials, the ACL, TLS, an unreachable broker, and a password that never shows."""

from __future__ import annotations

import logging
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import aiomqtt
import pytest

from m2gui.broker import BrokerSource, Publisher, TlsOptions
from m2gui.model import Catalogue
from m2gui.model.sources import fed_connection
from m2gui.net import ConnectionState, WireLine

from ..waiting import until
from .conftest import PUBLISHER, VIEWER, _need_mosquitto
from .mosquitto import Mosquitto, free_port

LINE = b'{"id":"summaryState","summaryState":5}'


def url(broker: Mosquitto | int, scheme: str = "mqtt") -> str:
    port = broker if isinstance(broker, int) else broker.port
    return f"{scheme}://127.0.0.1:{port}/m2"


def viewer(address: str, catalogue: Catalogue, **options: Any) -> BrokerSource:
    source = BrokerSource(address, catalogue, backoff_initial=0.05, backoff_max=0.2, **options)
    source.start()
    return source


async def test_a_read_only_viewer_user_sees_everything_and_can_write_nothing(
    secured_broker: Mosquitto, catalogue: Catalogue
) -> None:
    fed = fed_connection(catalogue)
    user, password = PUBLISHER
    publisher = Publisher(
        fed, url(secured_broker), identity="ops@desk 1", username=user, password=password
    )
    publisher.start()
    fed.feed(WireLine(1.0, "command", "in", LINE))
    user, password = VIEWER
    source = viewer(url(secured_broker), catalogue, username=user, password=password)
    try:
        await until(lambda: "summaryState" in source.connection.latest_events, what="the event")
        await until(lambda: "held by ops@desk 1" in (source.read_only or ""), what="status")
        # The ACL gives the viewer read access only: its publishing is refused.
        async with aiomqtt.Client(
            "127.0.0.1",
            secured_broker.port,
            username=user,
            password=password,
            protocol=aiomqtt.ProtocolVersion.V5,
        ) as intruder:
            await intruder.publish("m2/status", b'{"online": true, "publisher": "x"}', 1, True)
        probe = viewer(url(secured_broker), catalogue, username=user, password=password)
        try:
            await until(lambda: probe.status is not None, what="the retained status")
            assert probe.status is not None and probe.status.publisher == "ops@desk 1"
        finally:
            await probe.close()
    finally:
        await source.close()
        await publisher.close()


@pytest.mark.parametrize(
    ("user", "password", "expected"),
    [
        (VIEWER[0], "wrong", f"a wrong password for user {VIEWER[0]!r}"),
        (None, None, "it does not accept anonymous clients"),
    ],
)
async def test_refused_logins_say_why(
    secured_broker: Mosquitto,
    catalogue: Catalogue,
    user: str | None,
    password: str | None,
    expected: str,
) -> None:
    source = viewer(url(secured_broker), catalogue, username=user, password=password)
    publisher = Publisher(
        fed_connection(catalogue),
        url(secured_broker),
        username=user,
        password=password,
        backoff_initial=0.05,
    )
    publisher.start()
    try:
        await until(lambda: expected in source.connection.last_error, what="the viewer's message")
        assert source.connection.state is ConnectionState.RECONNECTING
        assert source.connection.last_error.startswith(
            f"the broker 127.0.0.1:{secured_broker.port} refused the login: not authorised"
        )
        await until(lambda: expected in publisher.stats.last_error, what="the publisher's")
        assert not publisher.stats.connected
    finally:
        await source.close()
        await publisher.close()


async def test_an_unreachable_broker_says_so(catalogue: Catalogue) -> None:
    port = free_port()
    source = viewer(url(port), catalogue)
    publisher = Publisher(fed_connection(catalogue), url(port), backoff_initial=0.05)
    publisher.start()
    expected = f"cannot reach the broker 127.0.0.1:{port}: connection refused"
    try:
        await until(lambda: expected in source.connection.last_error, what="the viewer's message")
        assert source.connection.state is ConnectionState.RECONNECTING
        await until(lambda: expected in publisher.stats.last_error, what="the publisher's")
        assert "cannot reach" in publisher.describe()
    finally:
        await source.close()
        await publisher.close()


async def test_the_password_never_appears_in_logs_or_messages(
    secured_broker: Mosquitto, catalogue: Catalogue, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    for name in ("m2gui.broker.publisher.mqtt", "m2gui.broker.viewer.mqtt"):
        caplog.set_level(logging.DEBUG, logger=name)  # paho logs every packet there
    fed = fed_connection(catalogue)
    user, password = PUBLISHER
    good = Publisher(fed, url(secured_broker), username=user, password=password)
    bad = Publisher(fed, url(secured_broker), username=user, password="wrong-" + password)
    good.start()
    bad.start()
    fed.feed(WireLine(1.0, "command", "in", LINE))
    source = viewer(url(secured_broker), catalogue, username=VIEWER[0], password=VIEWER[1])
    try:
        await until(lambda: "summaryState" in source.connection.latest_events, what="the event")
        await until(lambda: "refused the login" in bad.stats.last_error, what="the refusal")
    finally:
        await source.close()
        await good.close()
        await bad.close()
    assert any("Sending CONNECT" in r.getMessage() for r in caplog.records), "no DEBUG logs"
    texts = [
        caplog.text,
        repr(good.login),
        repr(bad.login),
        str(good.stats),
        str(bad.stats),
        bad.describe(),
        repr(source.login),
        source.connection.last_error,
        source.read_only or "",
    ]
    for secret in (PUBLISHER[1], VIEWER[1]):
        for text in texts:
            assert secret not in text


@pytest.fixture
def tls_broker(tmp_path: Path) -> Iterator[tuple[Mosquitto, Path]]:
    """A broker speaking TLS only, with a certificate from a CA made for the test."""
    _need_mosquitto()
    if shutil.which("openssl") is None:
        pytest.skip("openssl is not installed")
    ca = _certificates(tmp_path)
    mosquitto = Mosquitto(
        tmp_path,
        tls=(tmp_path / "ca.crt", tmp_path / "server.crt", tmp_path / "server.key"),
    )
    mosquitto.start()
    yield mosquitto, ca
    mosquitto.stop()


def _certificates(folder: Path) -> Path:
    def openssl(*args: str) -> None:
        subprocess.run(["openssl", *args], cwd=folder, check=True, capture_output=True)

    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
    openssl(
        "req",
        "-x509",
        *ec,
        "-keyout",
        "ca.key",
        "-out",
        "ca.crt",
        "-days",
        "2",
        "-subj",
        "/CN=m2gui test CA",
    )
    openssl("req", *ec, "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=127.0.0.1")
    (folder / "san.ext").write_text("subjectAltName=IP:127.0.0.1,DNS:localhost\n")
    openssl(
        "x509",
        "-req",
        "-in",
        "server.csr",
        "-CA",
        "ca.crt",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-out",
        "server.crt",
        "-days",
        "2",
        "-extfile",
        "san.ext",
    )
    (folder / "server.key").chmod(0o644)  # mosquitto may run as another user
    return folder / "ca.crt"


async def test_mqtts_with_the_brokers_ca_works_and_without_it_says_why(
    tls_broker: tuple[Mosquitto, Path], catalogue: Catalogue
) -> None:
    broker, ca = tls_broker
    fed = fed_connection(catalogue)
    publisher = Publisher(fed, url(broker, "mqtts"), tls=TlsOptions(ca_file=str(ca)))
    publisher.start()
    fed.feed(WireLine(1.0, "command", "in", LINE))
    trusting = viewer(url(broker, "mqtts"), catalogue, tls=TlsOptions(ca_file=str(ca)))
    doubting = viewer(url(broker, "mqtts"), catalogue)  # the system's CAs only
    try:
        await until(lambda: "summaryState" in trusting.connection.latest_events, what="event")
        await until(
            lambda: "TLS with the broker" in doubting.connection.last_error, what="TLS refused"
        )
        assert "certificate" in doubting.connection.last_error.lower()
        assert not doubting.connection.latest_events
    finally:
        await trusting.close()
        await doubting.close()
        await publisher.close()
