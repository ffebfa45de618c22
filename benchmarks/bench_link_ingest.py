"""Telemetry ingest through ControllerConnection vs the bare asyncio ceiling,
and the simulator's own CPU use at 20 Hz.

The simulator runs in its own process (``m2gui-sim --rate 0 --all-telemetry``:
every topic, as fast as the client reads). For a fixed time we count messages/s

- ceiling: a bare ``StreamReader.readline`` + ``orjson.loads`` loop on the
  telemetry port;
- connection: `ControllerConnection`, with one subscriber counting messages.

Then the simulator at its real 20 Hz with one connected client: its process CPU
time over wall time (fraction of one core). Prints JSON objects. Usage::

    python benchmarks/bench_link_ingest.py [--seconds 3] [--runs 3]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import statistics
import sys
import time
from pathlib import Path

import orjson

from m2gui.net import ControllerConnection

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import SimProcess


async def ceiling(port: int, seconds: float) -> float:
    reader, writer = await asyncio.open_connection("127.0.0.1", port, limit=2**20)
    await reader.readline()
    n = 0
    t0 = time.perf_counter()
    end = t0 + seconds
    loads = orjson.loads
    while True:
        loads(await reader.readline())
        n += 1
        if n % 256 == 0 and time.perf_counter() >= end:
            break
    elapsed = time.perf_counter() - t0
    writer.close()
    return n / elapsed


async def connection(sim: SimProcess, seconds: float) -> float:
    conn = ControllerConnection("127.0.0.1", sim.command_port, sim.telemetry_port)
    n = 0

    def count(received: object) -> None:
        nonlocal n
        n += 1

    conn.subscribe(count, kind="telemetry")
    conn.start()
    await conn.wait_connected(5)
    await asyncio.sleep(0.2)
    n0, t0 = n, time.perf_counter()
    await asyncio.sleep(seconds)
    rate = (n - n0) / (time.perf_counter() - t0)
    await conn.close()
    return rate


async def sim_cpu(seconds: float) -> dict[str, float]:
    sim = SimProcess("--all-telemetry")
    try:
        conn = ControllerConnection("127.0.0.1", sim.command_port, sim.telemetry_port)
        conn.start()
        await conn.wait_connected(5)
        await asyncio.sleep(0.5)
        c0, t0 = sim.cpu_seconds(), time.perf_counter()
        m0 = conn.telemetry_stats.messages
        await asyncio.sleep(seconds)
        cpu = (sim.cpu_seconds() - c0) / (time.perf_counter() - t0)
        rate = (conn.telemetry_stats.messages - m0) / (time.perf_counter() - t0)
        await conn.close()
    finally:
        sim.close()
    return {"sim_cpu_fraction_of_core": round(cpu, 3), "messages_per_s": round(rate, 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)
    sim = SimProcess("--rate", "0", "--all-telemetry")
    base, ours = [], []
    try:
        for _ in range(args.runs):
            base.append(asyncio.run(ceiling(sim.telemetry_port, args.seconds)))
            ours.append(asyncio.run(connection(sim, args.seconds)))
    finally:
        sim.close()
    b, o = statistics.median(base), statistics.median(ours)
    print(
        json.dumps(
            {
                "bench": "link_ingest",
                "runs": args.runs,
                "ceiling_msgs_per_s": round(b),
                "connection_msgs_per_s": round(o),
                "ratio": round(o / b, 2),
            }
        ),
        flush=True,
    )
    print(json.dumps({"bench": "sim_cpu_20hz", "seconds": 10, **asyncio.run(sim_cpu(10.0))}))


if __name__ == "__main__":
    main()
