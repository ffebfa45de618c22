"""Broker addresses (``mqtt://[user@]host[:port]/prefix``) and where the password comes from.

The password is never part of the address nor of the command line, where
other users of the machine (``ps``) and shell histories would see it: it
comes from the environment variable `PASSWORD_ENV` or from a file
(``--mqtt-password-file``), and is never logged. An address that carries
one (``mqtt://user:secret@host``) is refused, without repeating it.
"""

from __future__ import annotations

import logging
import os
import re
import stat
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

__all__ = [
    "DEFAULT_PORTS",
    "PASSWORD_ENV",
    "BrokerUrl",
    "BrokerUrlError",
    "parse_broker_url",
    "read_password",
]

_log = logging.getLogger(__name__)

#: The environment variable that holds the broker password.
PASSWORD_ENV = "M2GUI_MQTT_PASSWORD"
#: Default port of each scheme: plain MQTT and MQTT over TLS.
DEFAULT_PORTS = {"mqtt": 1883, "mqtts": 8883}
#: Characters allowed in one level of the topic prefix.
_LEVEL = re.compile(r"[A-Za-z0-9_.~-]{1,64}")
#: Longest prefix accepted, in characters.
MAX_PREFIX = 200
#: Longest password file read, in bytes.
MAX_PASSWORD_FILE = 4096


class BrokerUrlError(ValueError):
    """A broker address or password source that cannot be used; the text says why."""


@dataclass(frozen=True)
class BrokerUrl:
    """Where a broker is, and under which topic prefix the cell is published.

    Attributes
    ----------
    scheme : `str`
        ``"mqtt"`` or ``"mqtts"`` (TLS).
    host : `str`
        Broker host name or address.
    port : `int`
        Broker port (default 1883, or 8883 with TLS).
    prefix : `str`
        Topic prefix, one or more levels (``m2`` or ``lsst/m2``).
    username : `str` or None
        User name given in the address, if any.
    """

    scheme: str
    host: str
    port: int
    prefix: str
    username: str | None = None

    @property
    def tls(self) -> bool:
        """True for ``mqtts://``."""
        return self.scheme == "mqtts"

    @property
    def display(self) -> str:
        """``scheme://host[:port]/prefix``: the port only when not the default, no user."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        port = "" if self.port == DEFAULT_PORTS[self.scheme] else f":{self.port}"
        return f"{self.scheme}://{host}{port}/{self.prefix}"

    @property
    def broker(self) -> str:
        """``host:port``, for messages about the broker itself."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{host}:{self.port}"

    def __str__(self) -> str:
        return self.display


def _redacted(text: str) -> str:
    """``text`` with anything between ``//`` and ``@`` replaced: it may hold a password."""
    return re.sub(r"//[^/@]*@", "//…@", text)


def parse_broker_url(text: str) -> BrokerUrl:
    """Parse ``mqtt://[user@]host[:port]/prefix`` or ``mqtts://…``.

    Raises
    ------
    BrokerUrlError
        With a message naming the problem (the address repeated without
        anything that could be a password).
    """
    shown = _redacted(text.strip())
    try:
        parts = urlsplit(text.strip())
        port = parts.port
    except ValueError as error:
        raise BrokerUrlError(f"bad broker address {shown!r}: {_redacted(str(error))}") from None
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS:
        raise BrokerUrlError(
            f"bad broker address {shown!r}: it must start with mqtt:// or mqtts:// (TLS)"
        )
    if parts.password is not None:
        raise BrokerUrlError(
            f"bad broker address {shown!r}: never put the password in the address; "
            f"set {PASSWORD_ENV} or use --mqtt-password-file"
        )
    host = parts.hostname
    if not host:
        raise BrokerUrlError(f"bad broker address {shown!r}: no broker host")
    try:
        host.encode("idna")  # what the resolver does: refuse here what it would refuse
    except UnicodeError:
        raise BrokerUrlError(
            f"bad broker address {shown!r}: {host[:80]!r} is not a valid host name"
        ) from None
    if parts.query or parts.fragment or "?" in text or "#" in text:
        raise BrokerUrlError(
            f"bad broker address {shown!r}: no ?query or #fragment allowed "
            "(topic wildcards are not allowed in the prefix)"
        )
    if port == 0:
        raise BrokerUrlError(f"bad broker address {shown!r}: port 0")
    prefix = parts.path.strip("/")
    _check_prefix(prefix, shown)
    return BrokerUrl(
        scheme=scheme,
        host=host,
        port=port or DEFAULT_PORTS[scheme],
        prefix=prefix,
        username=parts.username or None,
    )


def _check_prefix(prefix: str, shown: str) -> None:
    if not prefix:
        raise BrokerUrlError(
            f"bad broker address {shown!r}: no topic prefix (e.g. mqtt://broker/m2)"
        )
    if len(prefix) > MAX_PREFIX:
        raise BrokerUrlError(
            f"bad broker address {shown!r}: the topic prefix is longer than {MAX_PREFIX} characters"
        )
    for level in prefix.split("/"):
        if not _LEVEL.fullmatch(level):
            raise BrokerUrlError(
                f"bad broker address {shown!r}: topic prefix level {level[:40]!r} must be "
                "1-64 letters, digits or _ . ~ - (no wildcards, no empty levels)"
            )


def read_password(
    password_file: str | os.PathLike[str] | None = None,
    environ: Mapping[str, str] | None = None,
) -> str | None:
    """The broker password: from ``password_file`` if given, else from `PASSWORD_ENV`.

    The file holds the password alone; one trailing line end is removed. A
    file that others may read is used, with a warning.

    Returns
    -------
    password : `str` or None
        None when neither is set.

    Raises
    ------
    BrokerUrlError
        If the file cannot be read, is empty or too long.
    """
    if password_file is not None:
        path = Path(password_file)
        try:
            info = path.stat()
            if not stat.S_ISREG(info.st_mode):
                raise BrokerUrlError(f"password file {str(path)!r} is not a regular file")
            if info.st_size > MAX_PASSWORD_FILE:
                raise BrokerUrlError(
                    f"password file {str(path)!r} is longer than {MAX_PASSWORD_FILE} bytes"
                )
            text = path.read_text(encoding="utf-8")
        except OSError as error:
            raise BrokerUrlError(
                f"cannot read the password file {str(path)!r}: {error.strerror or error}"
            ) from None
        except UnicodeDecodeError:
            raise BrokerUrlError(f"password file {str(path)!r} is not UTF-8 text") from None
        if info.st_mode & 0o077:
            _log.warning(
                "password file %s can be read by other users (mode %o): chmod 600 it",
                path,
                stat.S_IMODE(info.st_mode),
            )
        password = text.removesuffix("\n").removesuffix("\r")
        if not password:
            raise BrokerUrlError(f"password file {str(path)!r} is empty")
        return password
    env = os.environ if environ is None else environ
    return env.get(PASSWORD_ENV) or None
