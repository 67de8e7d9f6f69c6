"""Behind a proxy nothing trusts what a client claims: trailing-slash redirects do not
echo the Host header, and X-Forwarded-* is believed only from the configured proxy."""

import shlex
from pathlib import Path

import pytest

import app.server
from app.settings import Settings

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize(("url", "location"), [
    ("/modules/03/", "/modules/03"),
    ("/modules/03/?from=map", "/modules/03?from=map"),
    ("/modules/03///", "/modules/03"),
    ("/api/modules/", "/api/modules"),
    ("/playground/softmax/?temperature=2", "/playground/softmax?temperature=2"),
])
def test_trailing_slash_redirect_is_relative_whatever_the_host(client, url, location):
    response = client.get(url, headers={"host": "attacker.example"}, follow_redirects=False)
    assert response.status_code == 307
    assert response.headers["location"] == location  # no scheme, no host
    assert client.get(url).status_code == 200  # and it leads to the page


@pytest.mark.parametrize("url", ["http://testserver//attacker.example/",
                                 "http://testserver//modules/03/",
                                 "/no-such-page/", "/modules/03%2F"])
def test_no_redirect_to_another_site_or_to_nothing(client, url):
    response = client.get(url, headers={"host": "attacker.example"}, follow_redirects=False)
    assert response.status_code == 404
    assert "location" not in response.headers


def dockerfile_command() -> list[str]:
    """The Dockerfile's CMD, as the shell inside the container runs it."""
    cmd = next(line for line in (ROOT / "Dockerfile").read_text().splitlines()
               if line.startswith("CMD "))
    argv = eval(cmd.removeprefix("CMD "))  # noqa: S307 - the JSON-array form, our own file
    assert argv[:2] == ["sh", "-c"]
    return shlex.split(argv[2])


def test_the_container_trusts_forwarded_headers_only_from_the_setting(monkeypatch):
    command = dockerfile_command()
    assert command[:4] == ["exec", "python", "-m", "app"] and command[4] == "serve"
    assert not any("forwarded-allow-ips" in part for part in command)
    env = (ROOT / "Dockerfile").read_text()
    assert "FORWARDED_ALLOW_IPS=*" not in env.replace('"', "").replace("'", "")
    # What `serve` hands uvicorn: exactly the setting's addresses.
    seen = {}
    monkeypatch.delenv("COURSE_WARM_PAGES", raising=False)  # serve sets it: undo afterwards
    monkeypatch.setattr(app.server.uvicorn, "run", lambda *a, **kw: seen.update(kw))
    monkeypatch.setenv("COURSE_FORWARDED_ALLOW_IPS", "10.0.0.0/8")
    app.server.run_server("0.0.0.0", 8000, 2)
    assert seen["forwarded_allow_ips"] == "10.0.0.0/8" and seen["proxy_headers"] is True
    monkeypatch.delenv("COURSE_FORWARDED_ALLOW_IPS")
    app.server.run_server("0.0.0.0", 8000, 2)
    assert seen["forwarded_allow_ips"] == Settings().forwarded_allow_ips == "127.0.0.1"
