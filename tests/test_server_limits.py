"""The server as launched for real: request heads are bounded in size and in time
(``python -m app serve``), BLAS threads are pinned however it is started, and warm start
loads both models before the worker answers."""

import contextlib
import socket
import time
from pathlib import Path

import httpx
import pytest

from tests.server_process import SERVE, UVICORN, server_process

HEADER_TIMEOUT_S = 2  # COURSE_HEADER_TIMEOUT_S for these tests (default 10)
SLOWLORIS = 300


@pytest.fixture(scope="module")
def served():
    with server_process(SERVE, env={"COURSE_HEADER_TIMEOUT_S": str(HEADER_TIMEOUT_S)}) as s:
        yield s


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS")


def open_fds(pid: int) -> int:
    return len(list(Path(f"/proc/{pid}/fd").iterdir()))


def answer(sock: socket.socket) -> bytes:
    """Everything the server sends until it closes the connection."""
    received = b""
    with contextlib.suppress(ConnectionResetError):
        while chunk := sock.recv(65536):
            received += chunk
    return received


def test_64_mib_of_headers_is_refused_early_without_holding_memory(served):
    port, proc = served
    before = rss_mib(proc.pid)
    sent = 0
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(b"GET / HTTP/1.1\r\nHost: x\r\nX-Big: ")
        chunk = b"a" * (1 << 20)
        try:
            for _ in range(64):
                sock.sendall(chunk)
                sent += len(chunk)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server closed the connection: what we want
        reply = answer(sock)
    assert reply.startswith(b"HTTP/1.1 431"), reply[:100]
    assert sent < 64 * (1 << 20), "the server read all 64 MiB"
    assert rss_mib(proc.pid) - before < 16, "the headers were held in memory"


def test_too_many_headers_is_431(served):
    port, _ = served
    lines = b"".join(b"X-H%d: 1\r\n" % i for i in range(200))
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n" + lines + b"\r\n")
        assert answer(sock).startswith(b"HTTP/1.1 431")


def test_slowloris_connections_are_closed_after_the_header_timeout(served):
    port, proc = served
    baseline = open_fds(proc.pid)
    socks = [socket.create_connection(("127.0.0.1", port), timeout=10)
             for _ in range(SLOWLORIS)]
    started = time.monotonic()
    try:
        for s in socks:
            s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n")
        held = 0
        while time.monotonic() - started < HEADER_TIMEOUT_S / 2 and held < SLOWLORIS:
            held = open_fds(proc.pid) - baseline  # the server accepts and holds them...
            time.sleep(0.05)
        assert held >= SLOWLORIS * 0.9
        closed: set[int] = set()
        while len(closed) < SLOWLORIS and time.monotonic() - started < HEADER_TIMEOUT_S + 8:
            for i, s in enumerate(socks):  # ...while each trickles in another header byte
                if i in closed:
                    continue
                try:
                    s.sendall(b"X")
                    s.setblocking(False)
                    data = s.recv(4096)
                    if data == b"" or data.startswith(b"HTTP/1.1 408"):
                        closed.add(i)
                except BlockingIOError:
                    pass
                except OSError:
                    closed.add(i)
                finally:
                    s.setblocking(True)
            # Meanwhile a learner is served at once.
            assert httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=5).status_code == 200
            time.sleep(0.25)
        took = time.monotonic() - started
    finally:
        for s in socks:
            s.close()
    assert len(closed) == SLOWLORIS, f"{SLOWLORIS - len(closed)} still open after {took:.1f} s"
    assert took < HEADER_TIMEOUT_S + 8
    assert open_fds(proc.pid) < baseline + 10  # sockets released on the server's side too


def test_ordinary_requests_on_one_connection_still_work(served):
    port, _ = served
    with httpx.Client(base_url=f"http://127.0.0.1:{port}") as client:
        for _ in range(3):  # keep-alive: several requests on one connection
            assert client.get("/healthz").status_code == 200
        time.sleep(HEADER_TIMEOUT_S + 0.5)  # idle past the head deadline between requests
        assert client.get("/api/widgets/softmax").status_code == 200


def readiness(port: int) -> dict:
    return httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=10).json()


def test_uvicorn_started_directly_without_the_variable_runs_one_blas_thread_and_warm():
    # No OPENBLAS_NUM_THREADS (server_process drops it): OpenBLAS alone would start one
    # thread per core. Warm start: both models are in memory before /healthz answers.
    with server_process(UVICORN, env={"COURSE_WARM_MODELS": "true"}) as (port, _):
        body = readiness(port)
    assert body["blas_threads"] == 1
    assert body["models_loaded"] == ["minilm", "smollm2"] and body["status"] == "ready"


def test_the_blas_thread_setting_is_honoured():
    with server_process(SERVE, env={"COURSE_BLAS_THREADS": "2"}) as (port, _):
        body = readiness(port)
    assert body["blas_threads"] == 2 and body["models_loaded"] == []
