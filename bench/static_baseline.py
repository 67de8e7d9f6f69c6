"""The physical limit: the same rendered lesson page served as a static file by nginx.

Debian's nginx (``apt-get install nginx``; benchmark only, optional) serves a copy of
``/modules/12`` (pre-gzipped, like the app) with 2 workers, under the same load
generator, so the README can state the app's throughput as a fraction of it.
"""

import gzip
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import httpx

from bench.server import free_port

NGINX_CONF = """worker_processes 2; daemon off; pid {dir}/nginx.pid; error_log {dir}/error.log;
events {{ worker_connections 1024; }}
http {{ access_log off; default_type text/html; keepalive_requests 10000000;
  server {{ listen 127.0.0.1:{port}; root {dir}/www; gzip_static on;
    location / {{ try_files $uri $uri/index.html =404; }} }} }}
"""


def serve_static_copy(html: bytes):
    """Start nginx on a copy of ``html``; returns (process, port, tmpdir) or None."""
    nginx = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists()
                                      else None)
    if nginx is None:
        return None
    tmp = Path(tempfile.mkdtemp(prefix="static-baseline-"))
    tmp.chmod(0o755)
    www = tmp / "www" / "modules" / "12"
    www.mkdir(parents=True)
    for folder in (tmp / "www", tmp / "www" / "modules", www):
        folder.chmod(0o755)
    (www / "index.html").write_bytes(html)
    (www / "index.html.gz").write_bytes(gzip.compress(html, compresslevel=9))
    port = free_port()
    (tmp / "nginx.conf").write_text(NGINX_CONF.format(dir=tmp, port=port))
    proc = subprocess.Popen([nginx, "-c", str(tmp / "nginx.conf"), "-p", str(tmp)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(50):
        try:
            if httpx.get(f"http://127.0.0.1:{port}/modules/12/", timeout=1).status_code == 200:
                return proc, port, tmp
        except httpx.HTTPError:
            time.sleep(0.1)
    proc.terminate()
    return None
