"""A real Mosquitto broker on a free loopback port, for the broker tests."""

from __future__ import annotations

import getpass
import os
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

#: Where Debian's package installs the broker.
MOSQUITTO = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
MOSQUITTO_PASSWD = shutil.which("mosquitto_passwd") or "/usr/bin/mosquitto_passwd"


def available() -> bool:
    """True if the mosquitto broker can be run."""
    return os.access(MOSQUITTO, os.X_OK)


def free_port() -> int:
    """A TCP port nobody listens on at the moment."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Mosquitto:
    """``mosquitto -c CONFIG`` in its own process, configured in ``folder``.

    Parameters
    ----------
    folder : `Path`
        Where the configuration, password, ACL and log files go.
    users : `dict` or None
        ``{user: password}``: with it, anonymous clients are refused and
        ``acl`` (mosquitto ACL file text) says who may read and write what.
    tls : ``(ca, certificate, key)`` or None
        Speak TLS only, with this server certificate.
    extra : `str`
        More configuration lines.
    """

    def __init__(
        self,
        folder: Path,
        *,
        users: dict[str, str] | None = None,
        acl: str = "",
        tls: tuple[Path, Path, Path] | None = None,
        extra: str = "",
    ) -> None:
        self.folder = folder
        self.port = free_port()
        self.log_path = folder / "mosquitto.log"
        self.proc: subprocess.Popen[bytes] | None = None
        lines = [
            f"listener {self.port} 127.0.0.1",
            "persistence false",
            "set_tcp_nodelay true",
            "log_dest stderr",
            "log_type error",
            "log_type warning",
            "log_type notice",
            # Started as root, mosquitto drops to user "mosquitto", who cannot
            # read our password file; as another user this does nothing.
            f"user {getpass.getuser()}",
        ]
        if tls is not None:
            ca, cert, key = tls
            lines += [f"cafile {ca}", f"certfile {cert}", f"keyfile {key}"]
        if users:
            passwd = folder / "passwd"
            for index, (user, password) in enumerate(users.items()):
                create = ["-c"] if index == 0 else []
                subprocess.run(
                    [MOSQUITTO_PASSWD, "-b", *create, str(passwd), user, password],
                    check=True,
                    capture_output=True,
                )
            lines += ["allow_anonymous false", f"password_file {passwd}"]
            if acl:
                (folder / "acl").write_text(acl)
                lines.append(f"acl_file {folder / 'acl'}")
        else:
            lines.append("allow_anonymous true")
        self.config = folder / "mosquitto.conf"
        self.config.write_text("\n".join(lines) + "\n" + extra)

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def start(self, timeout: float = 5.0) -> None:
        """Start the broker and wait until it accepts connections."""
        log = self.log_path.open("ab")
        self.proc = subprocess.Popen([MOSQUITTO, "-c", str(self.config)], stderr=log, stdout=log)
        log.close()
        deadline = time.monotonic() + timeout
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError(f"mosquitto exited: {self.log_path.read_text()[-2000:]}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return
            except OSError:
                if time.monotonic() > deadline:
                    self.stop()
                    raise RuntimeError(
                        f"mosquitto did not listen on {self.port}: {self.log_path.read_text()}"
                    ) from None
                time.sleep(0.02)

    def kill(self) -> None:
        """SIGKILL the broker (it keeps nothing: persistence is off) and reap it."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(5)

    def stop(self) -> None:
        """Terminate the broker and reap it."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
