"""Broker fixtures: a real Mosquitto on a free loopback port, open or with users and an ACL.
`make test` runs this folder in a pytest process of its own, and
test_qasync.py and test_windows.py (aiomqtt on a qasync loop) each alone:
after them a later test in the same process was seen to hang with the Qt
event loop idle, and once to crash in pytest-qt's event processing: Qt
objects of a closed qasync loop (socket notifiers of paho's sockets, most
likely) outlive it in the QApplication. Not yet fixed at its root.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from .mosquitto import Mosquitto, available

PUBLISHER = ("m2pub", "pub-secret-8c1f")
VIEWER = ("m2view", "view-secret-27d4")
#: The publisher writes under m2/; viewers only read it (they never need more).
ACL = f"""\
user {PUBLISHER[0]}
topic readwrite m2/#

user {VIEWER[0]}
topic read m2/#
"""


def _need_mosquitto() -> None:
    if available():
        return
    if os.environ.get("CI"):
        pytest.fail("mosquitto is not installed, and CI must run the broker tests")
    pytest.skip("mosquitto is not installed (apt-get install mosquitto); CI installs it")


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[Mosquitto]:
    """An open broker (anonymous clients allowed), killed at teardown."""
    _need_mosquitto()
    mosquitto = Mosquitto(tmp_path)
    mosquitto.start()
    yield mosquitto
    mosquitto.stop()


@pytest.fixture
def secured_broker(tmp_path: Path) -> Iterator[Mosquitto]:
    """A broker with a password file (a publisher and a read-only viewer user) and an ACL."""
    _need_mosquitto()
    mosquitto = Mosquitto(tmp_path, users=dict([PUBLISHER, VIEWER]), acl=ACL)
    mosquitto.start()
    yield mosquitto
    mosquitto.stop()
