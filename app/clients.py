"""Who a request comes from, for per-client limits: the connection's address, or, behind a
trusted reverse proxy, the address that proxy reports in a header.

Only set ``client_ip_header`` when every request really passes through that proxy: a header
a client can send itself would let one learner pose as many. Routes get the key as the
``Client`` dependency (:mod:`app.routes.deps`), which passes the setting in.
"""

from fastapi import Request

UNKNOWN = "unknown"


def client_key(request: Request, header: str) -> str:
    """The client's address as a string (``"203.0.113.7"``), used to count its requests.

    With ``header`` (``settings.client_ip_header``, e.g. ``X-Forwarded-For``) not empty, the
    rightmost entry of that header is used: the one the trusted proxy itself appended.
    """
    if header:
        value = request.headers.get(header, "")
        last = value.rsplit(",", 1)[-1].strip()
        if last:
            return last
    return request.client.host if request.client else UNKNOWN
