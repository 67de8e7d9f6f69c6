"""A small loopback load generator: N keep-alive HTTP/1.1 connections, asyncio, no deps.

Each connection sends GETs back to back for a fixed time (or count) and records the
client latency and the server's own time (the ``Server-Timing: app;dur=`` header).
Only ever aimed at 127.0.0.1.
"""

import asyncio
import itertools
import re
import time
from dataclasses import dataclass, field

import numpy as np

SERVER_TIMING = re.compile(rb"server-timing: app;dur=([0-9.]+)", re.I)
CONTENT_LENGTH = re.compile(rb"content-length: (\d+)", re.I)


@dataclass
class Stats:
    latencies_ms: list[float] = field(default_factory=list)
    server_ms: list[float] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=dict)
    errors: int = 0
    seconds: float = 0.0

    def summary(self) -> dict:
        lat = np.array(self.latencies_ms or [0.0])
        srv = np.array(self.server_ms or [0.0])
        ok = sum(n for s, n in self.statuses.items() if s < 400)
        return {
            "requests": len(self.latencies_ms), "ok": ok, "errors": self.errors,
            "non_2xx_3xx": sum(n for s, n in self.statuses.items() if s >= 400),
            "rps": round(len(self.latencies_ms) / max(self.seconds, 1e-9), 1),
            "p50_ms": round(float(np.percentile(lat, 50)), 2),
            "p99_ms": round(float(np.percentile(lat, 99)), 2),
            "server_p50_ms": round(float(np.percentile(srv, 50)), 3),
            "server_p99_ms": round(float(np.percentile(srv, 99)), 3),
        }


async def _read_response(reader: asyncio.StreamReader) -> tuple[int, bytes]:
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    match = CONTENT_LENGTH.search(head)
    if match:
        await reader.readexactly(int(match.group(1)))
    else:  # chunked
        while True:
            size = int((await reader.readline()).strip(), 16)
            await reader.readexactly(size + 2)
            if size == 0:
                break
    return status, head


async def _connection(host: str, port: int, paths, stats: Stats, deadline: float,
                      budget: itertools.count, limit: int | None, gzip: bool) -> None:
    reader, writer = await asyncio.open_connection(host, port)
    accept = b"Accept-Encoding: gzip\r\n" if gzip else b""
    try:
        while time.perf_counter() < deadline:
            if limit is not None and next(budget) >= limit:
                return
            path = next(paths)
            request = f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\n".encode() + accept + b"\r\n"
            started = time.perf_counter()
            try:
                writer.write(request)
                status, head = await _read_response(reader)
            except (ConnectionError, asyncio.IncompleteReadError):
                stats.errors += 1
                writer.close()
                reader, writer = await asyncio.open_connection(host, port)
                continue
            stats.latencies_ms.append((time.perf_counter() - started) * 1000)
            stats.statuses[status] = stats.statuses.get(status, 0) + 1
            timing = SERVER_TIMING.search(head)
            if timing:
                stats.server_ms.append(float(timing.group(1)))
    finally:
        writer.close()


async def run_load(port: int, paths: list[str], concurrency: int, seconds: float = 10.0,
                   requests: int | None = None, host: str = "127.0.0.1",
                   gzip: bool = True) -> Stats:
    """Drive ``concurrency`` connections over ``paths`` (round robin) for a time or count."""
    stats = Stats()
    cycle = itertools.cycle(paths)
    budget = itertools.count()
    started = time.perf_counter()
    deadline = started + seconds
    await asyncio.gather(*(
        _connection(host, port, cycle, stats, deadline, budget, requests, gzip)
        for _ in range(concurrency)))
    stats.seconds = time.perf_counter() - started
    return stats
