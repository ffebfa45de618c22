"""Command round-trip latency through ControllerConnection, against the simulator.

Sends N sequential ``clearErrors`` commands (the simulator's 20 Hz telemetry
running meanwhile) and reports p50/p99 send-to-success latency. The baseline,
measured in the same run, is a bare asyncio ping-pong: one line written, one
line read back, over loopback, with nothing else on the loop. Prints one JSON
object. Usage::

    python benchmarks/bench_command.py [--commands 2000] [--runs 3]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import statistics
import time

import numpy as np

from m2gui.net import ControllerConnection
from m2gui.sim import ControllerSimulator


async def baseline(n: int) -> np.ndarray:
    async def echo(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while await reader.readline():
            writer.write(b'{"id": "success", "sequence_id": 1}\r\n')

    server = await asyncio.start_server(echo, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    times = np.empty(n)
    for i in range(n):
        t0 = time.perf_counter()
        writer.write(b'{"id": "cmd_clearErrors", "sequence_id": %d}\r\n' % i)
        json.loads(await reader.readline())
        times[i] = time.perf_counter() - t0
    writer.close()
    await writer.wait_closed()
    await asyncio.sleep(0.01)  # let the echo handler see the end of stream
    server.close()
    await server.wait_closed()
    return times


async def through_connection(n: int) -> tuple[np.ndarray, np.ndarray]:
    async with ControllerSimulator(command_port=0, telemetry_port=0) as sim:
        conn = ControllerConnection("127.0.0.1", sim.command_port, sim.telemetry_port)
        conn.start()
        await conn.wait_connected(5)
        await asyncio.sleep(0.2)  # let the welcome burst pass
        done = np.empty(n)
        ack = np.empty(n)
        for i in range(n):
            record = await conn.command("clearErrors")
            done[i] = record.done_latency  # type: ignore[assignment]
            ack[i] = record.ack_latency  # type: ignore[assignment]
        await conn.close()
    return done, ack


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--commands", type=int, default=2000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)
    base_p50, base_p99, p50, p99, ack50 = [], [], [], [], []
    for _ in range(args.runs):
        b = asyncio.run(baseline(args.commands))
        done, ack = asyncio.run(through_connection(args.commands))
        base_p50.append(np.percentile(b, 50))
        base_p99.append(np.percentile(b, 99))
        p50.append(np.percentile(done, 50))
        p99.append(np.percentile(done, 99))
        ack50.append(np.percentile(ack, 50))
    med = statistics.median
    print(
        json.dumps(
            {
                "bench": "command",
                "commands": args.commands,
                "runs": args.runs,
                "p50_ms": round(med(p50) * 1e3, 3),
                "p99_ms": round(med(p99) * 1e3, 3),
                "ack_p50_ms": round(med(ack50) * 1e3, 3),
                "baseline_p50_ms": round(med(base_p50) * 1e3, 3),
                "baseline_p99_ms": round(med(base_p99) * 1e3, 3),
                "p50_ratio": round(med(p50) / med(base_p50), 2),
                "p99_ratio": round(med(p99) / med(base_p99), 2),
            }
        )
    )


if __name__ == "__main__":
    main()
