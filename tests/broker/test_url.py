"""Broker addresses and where the password comes from (no broker needed)."""

from __future__ import annotations

import logging
import os
from pathlib import Path

import pytest

from m2gui.broker import (
    PASSWORD_ENV,
    BrokerLogin,
    BrokerUrl,
    BrokerUrlError,
    TlsOptions,
    parse_broker_url,
    read_password,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("mqtt://broker/m2", BrokerUrl("mqtt", "broker", 1883, "m2")),
        ("mqtts://broker/m2", BrokerUrl("mqtts", "broker", 8883, "m2")),
        ("mqtt://ops@broker:1999/lsst/m2/", BrokerUrl("mqtt", "broker", 1999, "lsst/m2", "ops")),
        ("MQTT://[::1]:1884/m2", BrokerUrl("mqtt", "::1", 1884, "m2")),
        ("  mqtts://10.0.0.5/m2-test  ", BrokerUrl("mqtts", "10.0.0.5", 8883, "m2-test")),
    ],
)
def test_good_addresses(text: str, expected: BrokerUrl) -> None:
    assert parse_broker_url(text) == expected


def test_the_display_form_omits_the_user_and_the_default_port() -> None:
    assert parse_broker_url("mqtt://ops@broker/m2").display == "mqtt://broker/m2"
    assert parse_broker_url("mqtts://broker:8883/m2").display == "mqtts://broker/m2"
    assert parse_broker_url("mqtt://[::1]:1999/m2").display == "mqtt://[::1]:1999/m2"
    assert parse_broker_url("mqtt://[::1]:1999/m2").broker == "[::1]:1999"
    assert parse_broker_url("mqtts://b/m2").tls and not parse_broker_url("mqtt://b/m2").tls


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("http://broker/m2", "must start with mqtt:// or mqtts://"),
        ("broker/m2", "must start with mqtt:// or mqtts://"),
        ("mqtt:///m2", "no broker host"),
        ("mqtt://broker", "no topic prefix"),
        ("mqtt://broker/", "no topic prefix"),
        ("mqtt://broker:99999/m2", "bad broker address"),
        ("mqtt://broker:x/m2", "bad broker address"),
        ("mqtt://broker:0/m2", "port 0"),
        ("mqtt://broker/m2/#", "no ?query or #fragment"),
        ("mqtt://broker/m2/+", "must be 1-64 letters"),
        ("mqtt://broker/m2//x", "no empty levels"),
        ("mqtt://broker/m 2", "must be 1-64 letters"),
        ("mqtt://broker/m2?x=1", "no ?query"),
        ("mqtt://broker/" + "a" * 201, "longer than 200"),
    ],
)
def test_bad_addresses_say_why(text: str, why: str) -> None:
    with pytest.raises(BrokerUrlError, match=why.replace("?", r"\?").replace("+", r"\+")):
        parse_broker_url(text)


def test_a_password_in_the_address_is_refused_without_being_repeated() -> None:
    with pytest.raises(BrokerUrlError) as caught:
        parse_broker_url("mqtt://ops:hunter2@broker/m2")
    message = str(caught.value)
    assert "never put the password in the address" in message and PASSWORD_ENV in message
    assert "hunter2" not in message
    with pytest.raises(BrokerUrlError) as caught:
        parse_broker_url("mqtt://ops:hunter2@broker:port/m2")
    assert "hunter2" not in str(caught.value)


def test_the_password_comes_from_the_environment_or_a_file(tmp_path: Path) -> None:
    assert read_password(environ={}) is None
    assert read_password(environ={PASSWORD_ENV: "s3cret"}) == "s3cret"
    path = tmp_path / "password"
    path.write_text("from file\n")
    path.chmod(0o600)
    # The file, when given, wins over the environment.
    assert read_password(path, environ={PASSWORD_ENV: "s3cret"}) == "from file"
    path.write_text("crlf\r\n")
    assert read_password(path) == "crlf"


def test_bad_password_files_say_why_and_loose_ones_warn(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with pytest.raises(BrokerUrlError, match="cannot read the password file"):
        read_password(tmp_path / "missing")
    with pytest.raises(BrokerUrlError, match="not a regular file"):
        read_password(tmp_path)
    empty = tmp_path / "empty"
    empty.write_text("\n")
    with pytest.raises(BrokerUrlError, match="is empty"):
        read_password(empty)
    big = tmp_path / "big"
    big.write_bytes(b"x" * 5000)
    with pytest.raises(BrokerUrlError, match="longer than"):
        read_password(big)
    loose = tmp_path / "loose"
    loose.write_text("open-secret")
    os.chmod(loose, 0o644)
    with caplog.at_level(logging.WARNING):
        assert read_password(loose) == "open-secret"
    assert "can be read by other users" in caplog.text
    assert "open-secret" not in caplog.text


def test_a_login_never_shows_its_password() -> None:
    login = BrokerLogin.make("mqtt://ops@broker/m2", password="hunter2")
    assert login.username == "ops" and login.password == "hunter2"
    assert "hunter2" not in repr(login) and "hunter2" not in str(login.url)
    assert BrokerLogin.make("mqtt://ops@broker/m2", username="other").username == "other"


def test_tls_options_need_an_mqtts_address() -> None:
    with pytest.raises(BrokerUrlError, match="use an mqtts:// address"):
        BrokerLogin.make("mqtt://broker/m2", tls=TlsOptions(ca_file="ca.pem"))
    assert BrokerLogin.make("mqtts://broker/m2", tls=TlsOptions(ca_file="ca.pem")).url.tls
