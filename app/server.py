"""The HTTP server, as ``python -m app serve`` (and so ``make run`` and the Dockerfile) runs
it: uvicorn with the request-head limits it lacks.

uvicorn's default parser (httptools) accepts headers of any size and waits forever for
them: a client sending 64 MiB of headers, or 300 clients sending one byte every few
seconds (slowloris), held memory and sockets for as long as they liked. Here a request's
head (request line and headers) must arrive within ``header_timeout_s`` and fit in
``max_header_bytes`` and ``max_headers`` (settings, so ``COURSE_HEADER_TIMEOUT_S`` and
friends); otherwise the connection gets 408 or 431 and is closed.
"""

import asyncio
import functools
import os

import uvicorn
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from app.settings import Settings

PROTOCOL = "app.server:LimitedHttpTools"
# What a header line costs beyond its name and value: ": " and CRLF.
HEADER_OVERHEAD = 4


class HeadTooLarge(Exception):
    """Raised from a parser callback to stop parsing a request whose head is too large."""


@functools.cache
def head_limits() -> tuple[float, int, int]:
    """(timeout s, bytes, headers), read once per worker process from the settings."""
    settings = Settings()
    return settings.header_timeout_s, settings.max_header_bytes, settings.max_headers


class LimitedHttpTools(HttpToolsProtocol):
    """uvicorn's httptools protocol with a deadline and a size limit on each request head.

    The deadline runs from the connection's start, or from the first byte of a later
    request on it, to the end of the head; a response under way is never cut (the
    keep-alive timeout covers the idle time after it).
    """

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.head_timeout_s, self.max_head_bytes, self.max_headers = head_limits()
        self.in_head = True  # waiting for, or reading, a request line and headers
        self.head_bytes = 0
        self.head_timer: asyncio.TimerHandle | None = None
        self.refusal: tuple[int, str] | None = None

    def connection_made(self, transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm_head_timer()

    def connection_lost(self, exc: Exception | None) -> None:
        self._cancel_head_timer()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        if self.in_head:
            self.head_bytes += len(data)
            if self.head_timer is None:
                self._arm_head_timer()
        super().data_received(data)
        if self.in_head and self.head_bytes > self.max_head_bytes:
            self.refuse(431, f"Request headers are larger than {self.max_head_bytes} bytes.")

    def on_headers_complete(self) -> None:
        size = len(self.url) + sum(len(k) + len(v) + HEADER_OVERHEAD for k, v in self.headers)
        if len(self.headers) > self.max_headers or size > self.max_head_bytes:
            self.refusal = (431, f"Request headers are larger than {self.max_head_bytes} "
                                 f"bytes or more than {self.max_headers}.")
            raise HeadTooLarge  # httptools stops; uvicorn calls send_400_response
        self.in_head = False
        self.head_bytes = 0
        self._cancel_head_timer()
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        super().on_message_complete()
        self.in_head = True  # the next request's deadline starts with its first byte

    def send_400_response(self, msg: str) -> None:
        if self.refusal:
            self.refuse(*self.refusal)
        else:
            super().send_400_response(msg)

    def refuse(self, status: int, message: str) -> None:
        """Answer ``status`` with ``message`` and close, whatever the parser's state."""
        if self.transport.is_closing():
            return
        reason = {408: b"Request Timeout", 431: b"Request Header Fields Too Large"}[status]
        body = message.encode()
        self.transport.write(b"HTTP/1.1 %d %s\r\ncontent-type: text/plain; charset=utf-8\r\n"
                             b"content-length: %d\r\nconnection: close\r\n\r\n%s"
                             % (status, reason, len(body), body))
        self.transport.close()

    def _arm_head_timer(self) -> None:
        self._cancel_head_timer()
        self.head_timer = self.loop.call_later(self.head_timeout_s, self._head_timeout)

    def _cancel_head_timer(self) -> None:
        if self.head_timer is not None:
            self.head_timer.cancel()
            self.head_timer = None

    def _head_timeout(self) -> None:
        self.head_timer = None
        if self.cycle is not None and not self.cycle.response_complete:
            self._arm_head_timer()  # bytes of a next request during a response: wait
        elif self.in_head:
            self.refuse(408, f"Request headers not received within {self.head_timeout_s:g} s.")


def run_server(host: str, port: int, workers: int, access_log: bool = True) -> None:
    """``python -m app serve``: the course under uvicorn with :class:`LimitedHttpTools`,
    trusting X-Forwarded-* only from ``COURSE_FORWARDED_ALLOW_IPS``."""
    settings = Settings()  # fails here, with a clear message, on a bad setting
    # A served course renders its pages in the background at start-up.
    os.environ.setdefault("COURSE_WARM_PAGES", "true")
    uvicorn.run("app.main:create_app", factory=True, host=host, port=port, workers=workers,
                http=PROTOCOL, access_log=access_log, proxy_headers=True,
                forwarded_allow_ips=settings.forwarded_allow_ips)
