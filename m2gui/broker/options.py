"""Broker options shared by `m2gui` and `m2gui-cli`: user, password file, TLS files."""

from __future__ import annotations

import argparse
from typing import Any

from .login import TlsOptions
from .url import PASSWORD_ENV, BrokerUrl, BrokerUrlError, parse_broker_url, read_password

__all__ = ["add_broker_arguments", "broker_login", "broker_url"]


def broker_url(text: str) -> BrokerUrl:
    """An argparse type: ``mqtt://host[:port]/prefix`` or ``mqtts://…``."""
    try:
        return parse_broker_url(text)
    except BrokerUrlError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def add_broker_arguments(parser: argparse.ArgumentParser) -> None:
    """Add ``--mqtt-user``, ``--mqtt-password-file`` and the TLS files to ``parser``."""
    group = parser.add_argument_group(
        "MQTT broker",
        f"the password is read from --mqtt-password-file or ${PASSWORD_ENV}, never from the "
        "command line",
    )
    group.add_argument("--mqtt-user", metavar="USER", help="broker user name")
    group.add_argument(
        "--mqtt-password-file", metavar="PATH", help="file holding the broker password alone"
    )
    group.add_argument("--mqtt-ca", metavar="PEM", help="with mqtts://: CA certificates to trust")
    group.add_argument("--mqtt-cert", metavar="PEM", help="with mqtts://: client certificate")
    group.add_argument("--mqtt-key", metavar="PEM", help="with mqtts://: client key")


def broker_login(args: argparse.Namespace, url: BrokerUrl) -> dict[str, Any]:
    """The keyword arguments of `Publisher` and `BrokerSource` from the options.

    Raises
    ------
    BrokerUrlError
        If the password file cannot be read, or TLS files are given without
        ``mqtts://``.
    """
    tls_files = (args.mqtt_ca, args.mqtt_cert, args.mqtt_key)
    if any(tls_files) and not url.tls:
        raise BrokerUrlError("--mqtt-ca, --mqtt-cert and --mqtt-key need an mqtts:// address")
    tls = (
        TlsOptions(ca_file=args.mqtt_ca, cert_file=args.mqtt_cert, key_file=args.mqtt_key)
        if url.tls
        else None
    )
    try:
        password = read_password(args.mqtt_password_file)
    except OSError as error:
        raise BrokerUrlError(
            f"cannot read the password file {args.mqtt_password_file}: {error.strerror or error}"
        ) from None
    return {"username": args.mqtt_user or url.username, "password": password, "tls": tls}
