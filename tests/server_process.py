"""Start the course server as a separate process exactly as a launcher would (a given
command line and environment, nothing added), wait until it answers, always stop it."""

import contextlib
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from bench.server import free_port

ROOT = Path(__file__).resolve().parent.parent
START_TIMEOUT_S = 180


@contextlib.contextmanager
def server_process(args: list[str], env: dict[str, str] | None = None,
                   drop: tuple[str, ...] = ("OPENBLAS_NUM_THREADS",)):
    """Run ``python <args>`` (``{port}`` in args is filled in) with this environment minus
    ``drop`` plus ``env``; yield ``(port, process)`` once ``/healthz`` answers 200."""
    with server_processes(1, args, env, drop) as servers:
        yield servers[0]


@contextlib.contextmanager
def server_processes(count: int, args: list[str], env: dict[str, str] | None = None,
                     drop: tuple[str, ...] = ("OPENBLAS_NUM_THREADS",)):
    """``count`` servers started at once (each on its own free port); yield their
    ``[(port, process)]`` once every one answers, and always stop them all."""
    environment = {k: v for k, v in os.environ.items() if k not in drop}
    environment.update({"COURSE_WARM_PAGES": "false", **(env or {})})
    with contextlib.ExitStack() as stack:
        servers = []
        for _ in range(count):
            port = free_port()
            log = stack.enter_context(tempfile.TemporaryFile())
            proc = subprocess.Popen([sys.executable, *[a.format(port=port) for a in args]],
                                    cwd=ROOT, env=environment, stdout=log,
                                    stderr=subprocess.STDOUT)
            stack.callback(_stop, proc)
            servers.append((port, proc, log))
        deadline = time.monotonic() + START_TIMEOUT_S
        for port, proc, log in servers:
            while not _healthy(port):
                if proc.poll() is not None or time.monotonic() > deadline:
                    log.seek(0)
                    raise RuntimeError(f"server did not start:\n{log.read().decode()[-2000:]}")
                time.sleep(0.2)
        yield [(port, proc) for port, proc, _ in servers]


def _stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def _healthy(port: int) -> bool:
    try:
        return httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


SERVE = ["-m", "app", "serve", "--port", "{port}"]
UVICORN = ["-m", "uvicorn", "app.main:create_app", "--factory", "--port", "{port}",
           "--log-level", "warning"]
