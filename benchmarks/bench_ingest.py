"""Ingest speed of TcpClient against the bare asyncio ceiling, on asyncio and qasync.

A feeder process sends N telemetry lines (small: about 150 B; large: about 2 kB
with four 72-float arrays) over loopback and closes. We count messages/s:

- baseline: ``StreamReader.readline`` + ``json.loads`` in a bare loop;
- tcpclient: `m2gui.net.TcpClient` delivering every message to its callback.

Each figure is the median of several runs; the ratio compares both in the same
run. Prints one JSON object per case. Usage::

    python benchmarks/bench_ingest.py [--messages 200000] [--runs 3]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

from m2gui.net import TcpClient

HERE = Path(__file__).resolve().parent


class Feeder:
    def __init__(self, size: str, count: int) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, str(HERE / "_feeder.py"), size, str(count)],
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.proc.stdout is not None
        port, nbytes = self.proc.stdout.readline().split()
        self.port = int(port)
        self.nbytes = int(nbytes)

    def close(self) -> None:
        self.proc.kill()
        self.proc.wait()


async def run_baseline(port: int, count: int) -> float:
    t0 = time.perf_counter()
    reader, writer = await asyncio.open_connection("127.0.0.1", port, limit=2**20)
    n = 0
    loads = json.loads
    while True:
        line = await reader.readline()
        if not line:
            break
        loads(line)
        n += 1
    elapsed = time.perf_counter() - t0
    writer.close()
    assert n == count, (n, count)
    return n / elapsed


async def run_tcpclient(port: int, count: int) -> float:
    n = 0

    async def callback(message: dict) -> None:
        nonlocal n
        n += 1

    t0 = time.perf_counter()
    client = TcpClient("127.0.0.1", port, callback)
    await client.connect()
    await client.done_task
    elapsed = time.perf_counter() - t0
    await client.close()
    assert n == count, (n, count)
    return n / elapsed


def measure(
    run: Callable[[Callable[[], Awaitable[float]]], float], port: int, count: int, runs: int
) -> dict[str, float]:
    base, ours = [], []
    for _ in range(runs):
        base.append(run(lambda: run_baseline(port, count)))
        ours.append(run(lambda: run_tcpclient(port, count)))
    b, o = statistics.median(base), statistics.median(ours)
    return {"baseline_msgs_per_s": round(b), "tcpclient_msgs_per_s": round(o), "ratio": o / b}


def asyncio_runner() -> Callable[[Callable[[], Awaitable[float]]], float]:
    def run(make: Callable[[], Awaitable[float]]) -> float:
        with asyncio.Runner() as runner:
            return runner.run(make())  # type: ignore[arg-type]

    return run


def qasync_runner() -> Callable[[Callable[[], Awaitable[float]]], float]:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    os.environ.setdefault("QT_API", "pyside6")
    import qasync
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication([])

    def run(make: Callable[[], Awaitable[float]]) -> float:
        with asyncio.Runner(loop_factory=lambda: qasync.QEventLoop(app)) as runner:
            return runner.run(make())  # type: ignore[arg-type]

    return run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=200_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    results: dict[tuple[str, str], dict[str, float]] = {}
    for loop_name, make_runner in (("asyncio", asyncio_runner), ("qasync", qasync_runner)):
        runner = make_runner()
        for size in ("small", "large"):
            feeder = Feeder(size, args.messages)
            try:
                figures = measure(runner, feeder.port, args.messages, args.runs)
            finally:
                feeder.close()
            results[(loop_name, size)] = figures
            row: dict[str, object] = {
                "bench": "ingest",
                "loop": loop_name,
                "size": size,
                "bytes_per_line": round(feeder.nbytes / args.messages),
                "messages": args.messages,
                "runs": args.runs,
                **figures,
                "ratio": round(figures["ratio"], 2),
            }
            if loop_name == "qasync":
                default = results[("asyncio", size)]["tcpclient_msgs_per_s"]
                row["vs_default_loop"] = round(figures["tcpclient_msgs_per_s"] / default, 2)
            print(json.dumps(row), flush=True)


if __name__ == "__main__":
    main()
