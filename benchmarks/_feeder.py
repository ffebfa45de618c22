"""A separate process that serves pre-built lines to benchmark clients.

Run as ``python _feeder.py SIZE COUNT``: prints its port, then for every
connection it accepts sends COUNT lines of the given size ("small" or "large")
and closes. Being another process, it never competes for the client's GIL.
"""

from __future__ import annotations

import json
import random
import socket
import sys


def make_lines(size: str, count: int) -> bytes:
    rng = random.Random(1)
    if size == "small":
        template = [
            json.dumps(
                {
                    "id": "powerStatus",
                    "motorVoltage": round(rng.uniform(22, 24), 6),
                    "motorCurrent": round(rng.uniform(8, 9), 6),
                    "commVoltage": round(rng.uniform(22, 24), 6),
                    "commCurrent": round(rng.uniform(6, 7), 6),
                }
            )
            for _ in range(64)
        ]
    else:
        template = [
            json.dumps(
                {
                    "id": "axialForce",
                    **{
                        key: [round(rng.uniform(-400, 400), 2) for _ in range(72)]
                        for key in ("lutGravity", "applied", "measured", "hardpointCorrection")
                    },
                }
            )
            for _ in range(64)
        ]
    lines = [template[i % len(template)] for i in range(count)]
    return ("\r\n".join(lines) + "\r\n").encode()


def main() -> None:
    size, count = sys.argv[1], int(sys.argv[2])
    payload = make_lines(size, count)
    server = socket.socket()
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind(("127.0.0.1", 0))
    server.listen(4)
    print(server.getsockname()[1], len(payload), flush=True)
    while True:
        conn, _ = server.accept()
        try:
            conn.sendall(payload)
        except OSError:
            pass
        conn.close()


if __name__ == "__main__":
    main()
