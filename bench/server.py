"""Start the course server the production way (uvicorn workers) on a free loopback port."""

import contextlib
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


START_TIMEOUT_S = 120
LOG_TAIL_BYTES = 2000


@contextlib.contextmanager
def uvicorn_server(workers: int = 1, env: dict | None = None):
    """Run ``uvicorn app.main:create_app --factory`` on a free loopback port; yield
    ``(port, process)`` once ``/healthz`` answers, and always stop it afterwards.

    The one way the tests and the benchmarks start a real server. Its output goes to a
    temporary file (a pipe nobody reads could fill up and block the server) and its tail
    is quoted if the server does not come up. ``env`` adds to the environment (e.g.
    ``COURSE_LESSONS_DIR``); BLAS runs one thread per process, as in production.
    """
    port = free_port()
    with tempfile.TemporaryFile() as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "app.main:create_app", "--factory", "--host",
             "127.0.0.1", "--port", str(port), "--workers", str(workers),
             "--log-level", "warning", "--no-access-log"],
            cwd=ROOT, env={**os.environ, "OPENBLAS_NUM_THREADS": "1", **(env or {})},
            stdout=log, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + START_TIMEOUT_S
            while True:
                try:
                    if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                if proc.poll() is not None or time.monotonic() > deadline:
                    log.seek(0)
                    tail = log.read().decode(errors="replace")[-LOG_TAIL_BYTES:]
                    raise RuntimeError(f"server did not start:\n{tail}")
                time.sleep(0.2)
            yield port, proc
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()


@contextlib.contextmanager
def running_server(workers: int = 2, warm: tuple[str, ...] = ()):
    """Yield (port, pids) of a benchmark server. ``warm`` paths are requested a few times
    per worker first (model loading is not what we measure)."""
    started = time.perf_counter()
    with uvicorn_server(workers=workers) as (port, proc):
        print(f"  server ready in {time.perf_counter() - started:.1f} s "
              f"({workers} worker(s), port {port})", flush=True)
        for path in warm:
            for _ in range(workers * 4):
                httpx.get(f"http://127.0.0.1:{port}{path}", timeout=120)
        yield port, worker_pids(proc.pid)


def worker_pids(parent: int) -> list[int]:
    """The server's own pid plus its worker processes (from /proc)."""
    pids = [parent]
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                stat = (entry / "stat").read_text().split()
                if int(stat[3]) == parent:
                    pids.append(int(entry.name))
    return pids


def rss_mib(pids: list[int]) -> dict[int, float]:
    """Resident memory per process, in MiB."""
    out = {}
    for pid in pids:
        with contextlib.suppress(OSError):
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    out[pid] = round(int(line.split()[1]) / 1024, 1)
    return out
