"""Scale-out: three app processes behind Debian's nginx (deploy/nginx-course.conf, as in
deploy/compose.yaml) on loopback, and a learner's flow across them: pages, assets,
revalidation, widgets and a generation stream. No answer may depend on the replica."""

import re
import shutil
import subprocess
import time
from pathlib import Path

import httpx
import pytest
import yaml

from bench.server import free_port
from tests.server_process import UVICORN, _healthy, server_processes

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"
REPLICAS = 3
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"

NGINX_CONF = """
master_process off;
daemon off;
pid {tmp}/nginx.pid;
error_log {tmp}/error.log warn;
events {{ worker_connections 256; }}
http {{
    access_log off;
    client_body_temp_path {tmp}/body;
    proxy_temp_path {tmp}/proxy;
    fastcgi_temp_path {tmp}/fastcgi;
    uwsgi_temp_path {tmp}/uwsgi;
    scgi_temp_path {tmp}/scgi;
    upstream course {{
{servers}
        keepalive 8;
    }}
    server {{
        listen 127.0.0.1:{port};
        add_header X-Replica $upstream_addr always;  # which replica answered (test only)
        include {deploy}/nginx-course.conf;
    }}
}}
"""


@pytest.fixture(scope="module")
def balanced(tmp_path_factory):
    """nginx on a free loopback port in front of three replicas; yields its base URL."""
    if not Path(NGINX).exists():
        pytest.fail("nginx is missing: install Debian's nginx (apt-get install nginx), "
                    "as the Makefile says")
    tmp = tmp_path_factory.mktemp("nginx")
    with server_processes(REPLICAS, UVICORN) as replicas:
        port = free_port()
        servers = "\n".join(f"        server 127.0.0.1:{p};" for p, _ in replicas)
        (tmp / "nginx.conf").write_text(NGINX_CONF.format(tmp=tmp, servers=servers, port=port,
                                                          deploy=DEPLOY))
        nginx = subprocess.Popen([NGINX, "-p", str(tmp), "-c", str(tmp / "nginx.conf"),
                                  "-e", str(tmp / "error.log")],
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            deadline = time.monotonic() + 20
            while not _healthy(port):  # nginx's port, passed on to a replica's /healthz
                assert nginx.poll() is None, (tmp / "error.log").read_text()
                assert time.monotonic() < deadline, "nginx did not answer"
                time.sleep(0.1)
            yield f"http://127.0.0.1:{port}", {f"127.0.0.1:{p}" for p, _ in replicas}
        finally:
            nginx.terminate()
            nginx.wait(timeout=10)


class Learner:
    """One browser's requests through the balancer, noting which replica answered each."""

    def __init__(self, base: str) -> None:
        self.http = httpx.Client(base_url=base, timeout=120)
        self.replicas: list[str] = []

    def get(self, url: str, **kwargs) -> httpx.Response:
        response = self.http.get(url, **kwargs)
        self.replicas.append(response.headers["x-replica"])
        return response

    def on_every_replica(self, url: str, **kwargs) -> list[httpx.Response]:
        """The same request until each replica has answered it once (round robin)."""
        seen: dict[str, httpx.Response] = {}
        for _ in range(REPLICAS * 3):
            response = self.get(url, **kwargs)
            seen.setdefault(response.headers["x-replica"], response)
            if len(seen) == REPLICAS:
                break
        assert len(seen) == REPLICAS, f"nginx sent {url} to {sorted(seen)} only"
        return list(seen.values())


def same_everywhere(responses: list[httpx.Response]) -> httpx.Response:
    first = responses[0]
    for other in responses[1:]:
        assert other.status_code == first.status_code
        assert other.content == first.content, "the answer depends on the replica"
        assert other.headers.get("etag") == first.headers.get("etag")
    return first


def token_events(stream_text: str) -> list[str]:
    """The ``token`` events of a server-sent event stream, in order, without the time
    each token took (``p = 0.927, 331.7 ms``): the one thing allowed to differ."""
    return [re.sub(r", [\d.]+ ms", "", block) for block in stream_text.split("\n\n")
            if block.startswith("event: token")]


def test_a_learners_flow_does_not_depend_on_the_replica(balanced):
    base, upstreams = balanced
    learner = Learner(base)
    # The course map and a lesson: byte-identical from every replica, so an ETag from one
    # revalidates (304) on all the others.
    home = same_everywhere(learner.on_every_replica("/"))
    lesson = same_everywhere(learner.on_every_replica("/modules/03"))
    assert home.status_code == lesson.status_code == 200
    for response in learner.on_every_replica(
            "/modules/03", headers={"if-none-match": lesson.headers["etag"]}):
        assert response.status_code == 304
    # Its assets: content-hashed URLs that every replica serves with the same bytes.
    assets = sorted(set(re.findall(r'(?:href|src)="(/static/[^"]+\?v=[^"]+)"', lesson.text)))
    assert assets
    for asset in assets:
        assert same_everywhere(learner.on_every_replica(asset)).status_code == 200
    # Widgets: a slider move as htmx sends it, and the JSON contract.
    fragment = same_everywhere(learner.on_every_replica(
        "/widgets/softmax?logits=2,1,0.5&temperature=1.5",
        headers={"hx-request": "true", "hx-target": "w-softmax-result"}))
    assert fragment.status_code == 200 and "softmax" in fragment.text.lower()
    data = same_everywhere(learner.on_every_replica("/api/widgets/softmax?logits=2,1,0.5"))
    assert sum(data.json()["probabilities"]) == pytest.approx(1)
    # A generation: the container from one replica, its stream from the next ones; greedy
    # decoding gives the same tokens wherever it runs.
    params = "prompt=Once+upon+a+time&max_tokens=4&temperature=0&seed=1"
    live = learner.get(f"/widgets/generate/live?{params}")
    assert live.status_code == 200
    stream_url = re.search(r'sse-connect="([^"]+)"', live.text).group(1).replace("&amp;", "&")
    streams = []
    for _ in range(2):
        with learner.http.stream("GET", stream_url) as response:
            assert response.status_code == 200
            assert response.headers["content-type"].startswith("text/event-stream")
            learner.replicas.append(response.headers["x-replica"])
            streams.append("".join(response.iter_text()))
    assert learner.replicas[-1] != learner.replicas[-2] != learner.replicas[-3]
    assert len(token_events(streams[0])) == 4
    assert token_events(streams[0]) == token_events(streams[1])
    assert set(learner.replicas) == upstreams  # every replica took part


def test_the_manifests_probe_what_the_app_serves(client):
    deployment, service, autoscaler = yaml.safe_load_all((DEPLOY / "kubernetes.yaml").read_text())
    pod = deployment["spec"]["template"]
    container = pod["spec"]["containers"][0]
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
    for probe in ("readinessProbe", "livenessProbe"):
        assert client.get(container[probe]["httpGet"]["path"]).status_code == 200
    assert service["spec"]["selector"].items() <= pod["metadata"]["labels"].items()
    target = autoscaler["spec"]["scaleTargetRef"]
    assert (target["kind"], target["name"]) == ("Deployment", deployment["metadata"]["name"])
    assert autoscaler["spec"]["metrics"][0]["resource"]["name"] == "cpu"
    # The memory request covers one worker with both models, as the README measures it.
    readme = (ROOT / "README.md").read_text()
    worker_mib = int(re.search(r"One worker with both models: ([\d,]+) MiB", readme)
                     .group(1).replace(",", ""))
    request = container["resources"]["requests"]["memory"]
    assert request.endswith("Mi") and int(request[:-2]) >= worker_mib
    env = {e["name"]: e["value"] for e in container["env"]}
    assert env["WEB_CONCURRENCY"] == "1" and env["COURSE_FORWARDED_ALLOW_IPS"] != "*"
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    assert compose["services"]["course"]["deploy"]["replicas"] >= 2
    mounts = compose["services"]["proxy"]["volumes"]
    assert "./nginx-course.conf:/etc/nginx/course.conf:ro" in mounts  # what the test runs
