"""Fan-out through a real Mosquitto: latency to 1, 10 and 50 viewers, publisher and broker CPU.

This process runs the simulator (20 Hz, every telemetry topic), stamping the
``time.time()`` of each telemetry cycle as it is written. Other processes:

- the broker (``mosquitto``, loopback, ``set_tcp_nodelay true``);
- the publisher: a `ControllerConnection` to the simulator (the direct
  connection) and, after an idle baseline, a `Publisher` on it;
- the viewers: headless subscribers (a minimal MQTT 5 reader each, all in
  one process: on a 2-core machine, 49 paho clients would measure their own
  CPU, not the fan-out), plus one "window": a `BrokerSource` feeding a
  `Session`'s stores (everything a window has but the painting);
- one real window besides: the application itself, ``python -m m2gui
  --source mqtt://...`` offscreen with the default layout, one more broker
  connection (``viewers`` + 1 in all). It has no latency probe (the app gets
  no debug option for a benchmark: the stores' latency above is the figure);
  we read its CPU from ``/proc/PID/stat`` and the bytes its broker socket
  received (``ss``, the kernel's ``tcp_info``) over the publishing window,
  beside those of the stores "window" (same subscription: the ratio should be
  about 1), and check that it stayed up and logged no error.

Every message carries the direct connection's receive time (the ``wire``
user property), so for each telemetry line we know when the controller wrote
its cycle (S), when the direct connection read it (T) and when a viewer got
it (R): direct latency ``T - S``, end-to-end ``R - S``, added ``R - T``
(same machine, one wall clock). Publisher CPU: its process CPU time over wall
time while publishing, less the same while only connected (the idle
baseline); broker CPU from ``/proc/PID/stat`` over the publishing window.
Figures are medians over ``--runs`` runs. Prints one JSON object per viewer
count, each with the machine's load average after it (it counts this
benchmark's own processes too). Usage::

    python benchmarks/bench_fanout.py [--viewers 1 10 50] [--runs 3] [--seconds 6]
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import json
import logging
import math
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from m2gui.sim import ControllerSimulator

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import cpu_seconds

HERE = Path(__file__).resolve()
MOSQUITTO = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
PREFIX = "bench/m2"
#: Headless subscribers per process at most.
PER_PROCESS = 50
#: Seconds for the real window to start and subscribe.
WINDOW_START = 60.0


# ----------------------------------------------------------------------
# The broker
# ----------------------------------------------------------------------
class Broker:
    def __init__(self, folder: Path, nodelay: bool) -> None:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            self.port = sock.getsockname()[1]
        config = folder / "mosquitto.conf"
        config.write_text(
            f"listener {self.port} 127.0.0.1\nallow_anonymous true\npersistence false\n"
            f"set_tcp_nodelay {'true' if nodelay else 'false'}\nmax_queued_messages 10000\n"
            f"user {getpass.getuser()}\nlog_type error\n"
        )
        self.proc = subprocess.Popen([MOSQUITTO, "-c", str(config)], stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 5
        while True:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
                return
            except OSError:
                if time.monotonic() > deadline or self.proc.poll() is not None:
                    self.close()
                    raise RuntimeError("mosquitto did not start") from None
                time.sleep(0.02)

    def cpu(self) -> float:
        return cpu_seconds(self.proc.pid)

    def close(self) -> None:
        self.proc.terminate()
        self.proc.wait()


# ----------------------------------------------------------------------
# Roles run in their own processes
# ----------------------------------------------------------------------
async def role_publisher(args: argparse.Namespace) -> None:
    """Connect to the simulator; idle baseline; then publish. Prints phases and a JSON result."""
    from m2gui.broker import Publisher
    from m2gui.model import load_catalogue
    from m2gui.net import ControllerConnection

    catalogue = load_catalogue()
    conn = ControllerConnection(
        "127.0.0.1",
        args.command_port,
        args.telemetry_port,
        known_events=catalogue.events,
        known_telemetry=catalogue.telemetry,
    )
    conn.start()
    await conn.wait_connected(5)
    await asyncio.sleep(1.0)
    c0, t0 = time.process_time(), time.perf_counter()
    await asyncio.sleep(args.baseline)
    idle = (time.process_time() - c0) / (time.perf_counter() - t0)
    publisher = Publisher(
        conn, f"mqtt://127.0.0.1:{args.broker_port}/{PREFIX}", catalogue=catalogue
    )
    publisher.start()
    await asyncio.sleep(1.0)
    print("measure", flush=True)
    c0, t0, n0 = time.process_time(), time.perf_counter(), publisher.published
    await asyncio.sleep(args.seconds)
    wall = time.perf_counter() - t0
    busy = (time.process_time() - c0) / wall
    rate = (publisher.published - n0) / wall
    print("done", flush=True)
    stats = publisher.stats
    await publisher.close()
    await conn.close()
    result = {
        "idle": idle,
        "publishing": busy,
        "published_per_s": rate,
        "dropped": stats.dropped_telemetry,
        "lost": stats.lost,
    }
    print(json.dumps(result), flush=True)


class _Subscriber(asyncio.Protocol):
    """A minimal MQTT 5 subscriber (QoS 0) that notes each message's ``wire`` time and arrival.

    The headless viewers must cost little, or on a small machine the
    benchmark would measure their own CPU: paho reads each packet with
    several ``recv`` calls and decodes properties at ~15 µs each; this parses
    every packet of a read in one go. The arrival time is that of the read.
    """

    def __init__(self, stamps: list[bytes], arrivals: list[float]) -> None:
        self.stamps, self.arrivals = stamps, arrivals
        self.buffer = bytearray()
        self.ready = asyncio.get_running_loop().create_future()
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        transport.get_extra_info("socket").setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        client_id = os.urandom(8).hex().encode()
        # CONNECT: MQTT 5, clean start, no keep-alive, no properties.
        body = b"\x00\x04MQTT\x05\x02\x00\x00\x00" + _string(client_id)
        transport.write(b"\x10" + _varint(len(body)) + body)

    def subscribe(self, topic: str) -> None:
        assert self.transport is not None
        body = b"\x00\x01\x00" + _string(topic.encode()) + b"\x00"
        self.transport.write(b"\x82" + _varint(len(body)) + body)

    def data_received(self, data: bytes) -> None:
        now = time.time()
        buffer = self.buffer
        buffer += data
        start = 0
        size = len(buffer)
        while size - start >= 2:
            kind = buffer[start]
            length, shift, pos = 0, 0, start + 1
            while pos < size:
                byte = buffer[pos]
                length |= (byte & 0x7F) << shift
                shift += 7
                pos += 1
                if not byte & 0x80:
                    break
            else:
                break
            if size - pos < length:
                break
            if kind & 0xF0 == 0x30:
                self._publish(buffer, pos, now)
            elif kind == 0x90 and not self.ready.done():
                self.ready.set_result(None)
            start = pos + length
        del buffer[:start]

    def _publish(self, buffer: bytearray, pos: int, now: float) -> None:
        pos += 2 + int.from_bytes(buffer[pos : pos + 2], "big")  # the topic (QoS 0: no id)
        end = pos + 1 + buffer[pos]  # properties (the publisher's are short)
        pos += 1
        while pos < end:
            if buffer[pos] != 0x26:
                return
            klen = int.from_bytes(buffer[pos + 1 : pos + 3], "big")
            vpos = pos + 3 + klen
            vlen = int.from_bytes(buffer[vpos : vpos + 2], "big")
            if buffer[pos + 3 : pos + 3 + klen] == b"wire":
                self.stamps.append(bytes(buffer[vpos + 2 : vpos + 2 + vlen]))
                self.arrivals.append(now)
                return
            pos = vpos + 2 + vlen


def _string(data: bytes) -> bytes:
    return len(data).to_bytes(2, "big") + data


def _varint(value: int) -> bytes:
    out = bytearray()
    while True:
        value, byte = divmod(value, 128)
        out.append(byte | (0x80 if value else 0))
        if not value:
            return bytes(out)


async def role_subscribers(args: argparse.Namespace) -> None:
    """``--count`` headless subscribers; record (T, R) per telemetry message until stdin closes."""
    loop = asyncio.get_running_loop()
    stamps: list[bytes] = []
    arrivals: list[float] = []
    subscribers = []
    for _ in range(args.count):
        _, subscriber = await loop.create_connection(
            lambda: _Subscriber(stamps, arrivals), "127.0.0.1", args.broker_port
        )
        subscriber.subscribe(f"{PREFIX}/telemetry/#")
        subscribers.append(subscriber)
    await asyncio.wait_for(asyncio.gather(*(s.ready for s in subscribers)), 10)
    print("ready", flush=True)
    await _stdin_closed()
    for subscriber in subscribers:
        assert subscriber.transport is not None
        subscriber.transport.close()
    _save(args.out, [float(s.split(b" ")[0]) for s in stamps], arrivals)


async def role_window(args: argparse.Namespace) -> None:
    """A `BrokerSource` feeding a `Session`'s stores; record (T, R) after the stores got it."""
    from m2gui.broker import BrokerSource
    from m2gui.model import load_catalogue
    from m2gui.model.session import Session

    catalogue = load_catalogue()
    source = BrokerSource(f"mqtt://127.0.0.1:{args.broker_port}/{PREFIX}", catalogue)
    session = Session(catalogue=catalogue, source=source)
    stamps: list[float] = []
    arrivals: list[float] = []

    def record(received: Any) -> None:
        arrivals.append(time.time())
        stamps.append(received.time)

    session.connection.subscribe(record, kind="telemetry")
    session.connect()
    while not source.broker_connected:
        await asyncio.sleep(0.01)
    print("ready", flush=True)
    await _stdin_closed()
    await session.close()
    _save(args.out, stamps, arrivals)


async def _stdin_closed() -> None:
    loop = asyncio.get_running_loop()
    await loop.run_in_executor(None, sys.stdin.read)


def _save(path: str, stamps: list[float], arrivals: list[float]) -> None:
    np.save(path, np.array([stamps, arrivals], dtype=np.float64))


# ----------------------------------------------------------------------
# The orchestrator
# ----------------------------------------------------------------------
class StampedSimulator(ControllerSimulator):
    """The simulator, noting when each telemetry cycle is written."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.stamps: list[float] = []

    def cycle(self, dt: float) -> bytes:
        payload = super().cycle(dt)
        if payload:
            self.stamps.append(time.time())  # written right after, in the same step
        return payload


class RealWindow:
    """``m2gui --source mqtt://...`` in its own process, offscreen, default layout.

    ``--quit-after`` is only a safety net: the run closes it with SIGTERM
    (the app closes its window on it) once the measurement is over.
    """

    def __init__(self, folder: Path, broker_port: int, lifetime: float) -> None:
        self.folder = folder / "real-window"
        self.folder.mkdir()
        self.log = self.folder / "m2gui.log"
        self.stderr = (self.folder / "stderr.txt").open("wb")
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "m2gui",
                "--source",
                f"mqtt://127.0.0.1:{broker_port}/{PREFIX}",
                "--settings",
                str(self.folder / "s.ini"),
                "--log-file",
                str(self.log),
                "--log-level",
                "INFO",
                "--quit-after",
                str(lifetime),
            ],
            env={**os.environ, "QT_QPA_PLATFORM": "offscreen", "QT_API": "pyside6"},
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=self.stderr,
        )

    async def ready(self) -> None:
        """Wait until it has subscribed (its log says ``viewing``)."""
        deadline = time.monotonic() + WINDOW_START
        while not (self.log.exists() and " viewing " in self.log.read_text(errors="replace")):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the real window did not start: {self._tail()}")
            await asyncio.sleep(0.1)

    def cpu(self) -> float:
        return cpu_seconds(self.proc.pid)

    def problems(self) -> list[str]:
        """Its log's warnings and errors."""
        text = self.log.read_text(errors="replace") if self.log.exists() else ""
        return [line for line in text.splitlines() if _PROBLEM.search(line)]

    async def close(self) -> int:
        """SIGTERM, wait; the exit code."""
        if self.proc.poll() is None:
            self.proc.terminate()
        deadline = time.monotonic() + 30
        while self.proc.poll() is None:
            if time.monotonic() > deadline:
                self.proc.kill()
            await asyncio.sleep(0.05)
        self.stderr.close()
        return self.proc.returncode

    def _tail(self) -> str:
        self.stderr.flush()
        text = (self.folder / "stderr.txt").read_text(errors="replace")
        return text[-2000:] or "(no output)"


_PROBLEM = re.compile(r"^\S+ \S+ (WARNING|ERROR|CRITICAL) ")


def received_bytes(broker_port: int) -> dict[int, int]:
    """Bytes received so far by each process's TCP connections to the broker (pid: bytes)."""
    out = subprocess.run(
        ["ss", "-tinpH", "state", "established", f"( dport = :{broker_port} )"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    totals: dict[int, int] = {}
    pid = None
    for line in out.splitlines():
        owner = re.search(r"pid=(\d+)", line)
        if owner:
            pid = int(owner.group(1))
            continue
        count = re.search(r"bytes_received:(\d+)", line)
        if pid is not None and count:
            totals[pid] = totals.get(pid, 0) + int(count.group(1))
            pid = None
    return totals


async def spawn(*args: str) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable,
        str(HERE),
        *args,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )


async def expect(process: asyncio.subprocess.Process, word: str, timeout: float = 30) -> str:
    assert process.stdout is not None
    line = (await asyncio.wait_for(process.stdout.readline(), timeout)).decode().strip()
    if not line.startswith(word):
        raise RuntimeError(f"expected {word!r}, got {line!r}")
    return line


async def one_run(viewers: int, seconds: float, folder: Path, nodelay: bool) -> dict[str, float]:
    broker = Broker(folder, nodelay)
    sim = StampedSimulator(command_port=0, telemetry_port=0, rate=20, all_telemetry=True, seed=1)
    await sim.start()
    processes: list[asyncio.subprocess.Process] = []
    outputs: dict[str, Path] = {}
    real: RealWindow | None = None
    try:
        port = str(broker.port)
        # Started first (the slowest to start); it settles during the publisher's baseline.
        real = RealWindow(folder, broker.port, WINDOW_START + 30 + 2 * seconds + 30)
        outputs["window"] = folder / "window.npy"
        processes.append(
            await spawn("--role", "window", "--broker-port", port, "--out", str(outputs["window"]))
        )
        headless = viewers - 1
        groups = math.ceil(headless / PER_PROCESS) if headless else 0
        for g in range(groups):
            count = headless // groups + (1 if g < headless % groups else 0)
            outputs[f"sub{g}"] = folder / f"sub{g}.npy"
            processes.append(
                await spawn(
                    "--role",
                    "subscribers",
                    "--broker-port",
                    port,
                    "--count",
                    str(count),
                    "--out",
                    str(outputs[f"sub{g}"]),
                )
            )
        for process in processes:
            await expect(process, "ready")
        await real.ready()
        publisher = await spawn(
            "--role",
            "publisher",
            "--broker-port",
            port,
            "--command-port",
            str(sim.command_port),
            "--telemetry-port",
            str(sim.telemetry_port),
            "--seconds",
            str(seconds),
            "--baseline",
            str(min(seconds, 4.0)),
        )
        await expect(publisher, "measure", 60)
        b0, r0, w0, first = broker.cpu(), real.cpu(), time.perf_counter(), time.time()
        bytes0 = received_bytes(broker.port)
        await expect(publisher, "done", seconds + 30)
        b1, r1, w1, last = broker.cpu(), real.cpu(), time.perf_counter(), time.time()
        bytes1 = received_bytes(broker.port)
        real_alive = real.proc.poll() is None
        broker_cpu = (b1 - b0) / (w1 - w0)
        real_cpu = (r1 - r0) / (w1 - w0)
        stores_pid, real_pid = processes[0].pid, real.proc.pid
        stores_bytes = bytes1.get(stores_pid, 0) - bytes0.get(stores_pid, 0)
        real_bytes = bytes1.get(real_pid, 0) - bytes0.get(real_pid, 0)
        result = json.loads(await expect(publisher, "{"))
        await publisher.wait()
        for process in processes:
            assert process.stdin is not None
            process.stdin.close()
        for process in processes:
            await asyncio.wait_for(process.wait(), 30)
        real_exit = await real.close()
        real_problems = real.problems()
    finally:
        if real is not None:
            if real.proc.poll() is None:
                real.proc.kill()
                real.proc.wait()
            real.stderr.close()
        for process in processes:
            if process.returncode is None:
                process.kill()
                await process.wait()
        await sim.stop()
        broker.close()
    cycles = np.array(sim.stamps)
    window = _latencies(np.load(outputs["window"]), cycles, first, last)
    subs = [np.load(path) for key, path in outputs.items() if key != "window"]
    headless_lat = _latencies(np.concatenate(subs, axis=1), cycles, first, last) if subs else None
    figures = {
        "direct_p50_ms": window["direct_p50"],
        "direct_p99_ms": window["direct_p99"],
        "window_p50_ms": window["e2e_p50"],
        "window_p99_ms": window["e2e_p99"],
        "window_added_p99_ms": window["added_p99"],
        "publisher_cpu_idle": result["idle"],
        "publisher_cpu_publishing": result["publishing"],
        "publisher_overhead_fraction_of_core": result["publishing"] - result["idle"],
        "broker_cpu_fraction_of_core": broker_cpu,
        "published_per_s": result["published_per_s"],
        "dropped": result["dropped"] + result["lost"],
        "window_messages_per_s": window["rate"],
        "real_window_cpu_fraction_of_core": real_cpu,
        "real_window_received_kib_per_s": real_bytes / 1024 / (w1 - w0),
        "real_window_bytes_over_stores_window": real_bytes / stores_bytes if stores_bytes else 0.0,
        # 1 when it stayed up through the measurement, exited cleanly and logged no problem.
        "real_window_ok": float(real_alive and real_exit == 0 and not real_problems),
    }
    if not (real_alive and real_exit == 0 and not real_problems):
        logging.error(
            "the real window: alive %s, exit %s, log problems: %s",
            real_alive,
            real_exit,
            real_problems[:5],
        )
    if headless_lat is not None:
        figures.update(
            headless_p50_ms=headless_lat["e2e_p50"],
            headless_p99_ms=headless_lat["e2e_p99"],
            headless_added_p50_ms=headless_lat["added_p50"],
            headless_added_p99_ms=headless_lat["added_p99"],
            headless_messages_per_s=headless_lat["rate"] / max(1, viewers - 1),
        )
    return figures


def _latencies(data: np.ndarray, cycles: np.ndarray, first: float, last: float) -> dict[str, float]:
    """Latency percentiles (ms) of the messages read by the direct connection in [first, last]."""
    stamps, arrivals = data
    keep = (stamps >= first) & (stamps <= last)
    stamps, arrivals = stamps[keep], arrivals[keep]
    index = np.searchsorted(cycles, stamps, side="right") - 1
    sent = cycles[np.clip(index, 0, len(cycles) - 1)]
    direct, e2e, added = (stamps - sent) * 1e3, (arrivals - sent) * 1e3, (arrivals - stamps) * 1e3
    return {
        "direct_p50": float(np.percentile(direct, 50)),
        "direct_p99": float(np.percentile(direct, 99)),
        "e2e_p50": float(np.percentile(e2e, 50)),
        "e2e_p99": float(np.percentile(e2e, 99)),
        "added_p50": float(np.percentile(added, 50)),
        "added_p99": float(np.percentile(added, 99)),
        "rate": len(stamps) / (last - first),
    }


async def orchestrate(args: argparse.Namespace) -> None:
    before = [round(load, 2) for load in os.getloadavg()]
    print(json.dumps({"bench": "fanout", "loadavg_before": before}), flush=True)
    for viewers in args.viewers:
        runs = []
        for _ in range(args.runs):
            with tempfile.TemporaryDirectory(prefix="m2gui-fanout-") as folder:
                runs.append(await one_run(viewers, args.seconds, Path(folder), not args.nagle))
        median = {key: statistics.median(run[key] for run in runs) for key in runs[0]}
        median["real_window_ok"] = min(run["real_window_ok"] for run in runs)  # every run
        out: dict[str, Any] = {"bench": "fanout", "viewers": viewers, "runs": args.runs}
        out["broker_connections"] = viewers + 1  # the real window besides
        out["broker_nodelay"] = not args.nagle
        out.update({k: round(v, 3) for k, v in median.items()})
        out["loadavg_after"] = [round(load, 2) for load in os.getloadavg()]
        print(json.dumps(out), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--viewers", type=int, nargs="+", default=[1, 10, 50])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=6.0)
    parser.add_argument("--nagle", action="store_true", help="broker without set_tcp_nodelay")
    parser.add_argument("--role", choices=["publisher", "subscribers", "window"])
    parser.add_argument("--broker-port", type=int)
    parser.add_argument("--command-port", type=int)
    parser.add_argument("--telemetry-port", type=int)
    parser.add_argument("--baseline", type=float, default=4.0)
    parser.add_argument("--count", type=int, default=1)
    parser.add_argument("--out")
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)
    if args.role is None and not os.access(MOSQUITTO, os.X_OK):
        print(json.dumps({"bench": "fanout", "skipped": "mosquitto is not installed"}))
        return
    role = {
        "publisher": role_publisher,
        "subscribers": role_subscribers,
        "window": role_window,
        None: orchestrate,
    }[args.role]
    asyncio.run(role(args))


if __name__ == "__main__":
    main()
