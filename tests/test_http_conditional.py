"""Conditional GET, content negotiation and HEAD (app/http.py), over HTTP and as units.

Pages are stored bytes (one ETag per representation: gzip and plain differ); static
files are Starlette's (its ETag, a distinct weak ETag for the gzip made on the fly);
every GET route answers HEAD with GET's status and headers and no body.
"""

import gzip
from email.utils import formatdate

import pytest
from starlette.datastructures import Headers

from app.http import (
    coding_weights,
    etag_list,
    gzip_etag,
    none_match,
    not_modified,
    strong_etag,
    wants_gzip,
)

GZIP = {"accept-encoding": "gzip"}
PLAIN = {"accept-encoding": "identity"}
# Every way of saying "no gzip", and ways of saying "gzip".
NO_GZIP = ["identity", "gzip;q=0", "gzip; q=0.000, identity", "*;q=0, identity", "br, deflate",
           "", "gzip;q=0.4, identity;q=0.9"]
YES_GZIP = ["gzip", "GZIP", "gzip, deflate, br", "*", "x-gzip", "identity;q=0.5, gzip",
            "deflate, gzip;q=1.0, *;q=0.5"]
STORED = ["/", "/playground/softmax", "/embed/softmax"]
VALIDATOR_FIELDS = ("etag", "content-encoding", "content-length", "content-type", "vary")


def raw_get(client, path: str, headers: dict) -> tuple[dict, bytes]:
    """Status/headers and the bytes exactly as sent (no gzip decoding by the client)."""
    with client.stream("GET", path, headers=headers) as response:
        return response.headers, b"".join(response.iter_raw())


# --- units ------------------------------------------------------------------------


@pytest.mark.parametrize("header", NO_GZIP)
def test_gzip_refused(header):
    assert not wants_gzip(header)


@pytest.mark.parametrize("header", YES_GZIP)
def test_gzip_accepted(header):
    assert wants_gzip(header)


def test_no_accept_encoding_gets_the_plain_body():
    assert not wants_gzip(None)


def test_coding_weights_reads_q_values():
    assert coding_weights("gzip;q=0.5, br;q=bad, Identity") == {
        "gzip": 0.5, "br": 0.0, "identity": 1.0}


@pytest.mark.parametrize(("header", "tags"), [
    ('"a", W/"b" ,"c"', ['"a"', 'W/"b"', '"c"']),
    ('"a,b", "c"', ['"a,b"', '"c"']),
    ("*", ["*"]),
])
def test_etag_list_splits_outside_quotes(header, tags):
    assert etag_list(header) == tags


@pytest.mark.parametrize(("header", "etag", "matches"), [
    ('"x"', '"x"', True),
    ('W/"x"', '"x"', True),            # weak comparison (RFC 9110 §8.8.3.2)
    ('"x"', 'W/"x"', True),
    ('"a", "x"', '"x"', True),          # a list
    ('"a",W/"x"', '"x"', True),
    ("*", '"x"', True),
    ('"a", "b"', '"x"', False),
    ('"x-gzip"', '"x"', False),
    ('W/"x"', '"y"', False),
])
def test_if_none_match(header, etag, matches):
    assert none_match(header, etag) is matches


def test_if_modified_since_only_when_there_is_no_if_none_match():
    modified = formatdate(1_700_000_000, usegmt=True)
    later, earlier = formatdate(1_700_000_060, usegmt=True), formatdate(1_699_999_940, usegmt=True)
    assert not_modified(Headers({"if-modified-since": later}), '"x"', modified)
    assert not_modified(Headers({"if-modified-since": modified}), '"x"', modified)
    assert not not_modified(Headers({"if-modified-since": earlier}), '"x"', modified)
    assert not not_modified(Headers({"if-modified-since": later}), '"x"', None)
    assert not not_modified(Headers({"if-modified-since": "yesterday"}), '"x"', modified)
    both = Headers({"if-modified-since": later, "if-none-match": '"other"'})
    assert not not_modified(both, '"x"', modified)  # If-None-Match wins


def test_gzip_etag_is_weak_and_distinct():
    assert gzip_etag('"abc"') == 'W/"abc-gzip"' == gzip_etag('W/"abc"')


# --- stored pages -------------------------------------------------------------------


@pytest.mark.parametrize("path", STORED)
def test_each_representation_has_the_etag_of_its_bytes(client, path):
    zipped_headers, zipped = raw_get(client, path, GZIP)
    plain_headers, plain = raw_get(client, path, PLAIN)
    assert zipped_headers["content-encoding"] == "gzip"
    assert "content-encoding" not in plain_headers
    assert gzip.decompress(zipped) == plain
    assert zipped_headers["etag"] == strong_etag(zipped)
    assert plain_headers["etag"] == strong_etag(plain)
    assert zipped_headers["etag"] != plain_headers["etag"]
    for headers, body in ((zipped_headers, zipped), (plain_headers, plain)):
        assert headers["vary"] == "Accept-Encoding"
        assert int(headers["content-length"]) == len(body)


@pytest.mark.parametrize("accept", NO_GZIP)
def test_refused_gzip_gets_the_plain_page(client, accept):
    headers, body = raw_get(client, "/", {"accept-encoding": accept})
    assert "content-encoding" not in headers
    assert body.startswith(b"<!DOCTYPE html>") or body.lstrip().lower().startswith(b"<!doctype")
    assert headers["etag"] == strong_etag(body)


@pytest.mark.parametrize("encoding", [GZIP, PLAIN])
@pytest.mark.parametrize("form", ["{}", "W/{}", '"nope", {}', 'W/"nope",W/{}', "*"])
def test_if_none_match_forms_get_304(client, encoding, form):
    etag = client.get("/", headers=encoding).headers["etag"]
    response = client.get("/", headers={**encoding, "if-none-match": form.format(etag)})
    assert response.status_code == 304 and response.content == b""
    assert response.headers["etag"] == etag
    assert response.headers["vary"] == "Accept-Encoding"


def test_one_representations_etag_does_not_validate_the_other(client):
    zipped = client.get("/", headers=GZIP).headers["etag"]
    plain = client.get("/", headers=PLAIN).headers["etag"]
    assert client.get("/", headers={**PLAIN, "if-none-match": zipped}).status_code == 200
    assert client.get("/", headers={**GZIP, "if-none-match": plain}).status_code == 200
    assert client.get("/", headers={**GZIP, "if-none-match": '"stale"'}).status_code == 200


@pytest.mark.parametrize("path", STORED)
@pytest.mark.parametrize("encoding", [GZIP, PLAIN])
def test_head_of_a_stored_page_is_get_without_the_body(client, path, encoding):
    get_headers, _ = raw_get(client, path, encoding)
    head = client.head(path, headers=encoding)
    assert head.status_code == 200 and head.content == b""
    for name in VALIDATOR_FIELDS:
        assert head.headers.get(name) == get_headers.get(name), name


# --- static files and the favicon (Starlette's FileResponse) -------------------------


def test_static_gzip_and_plain_have_distinct_validators(client):
    path = "/static/css/site.css"
    zipped_headers, zipped = raw_get(client, path, GZIP)
    plain_headers, plain = raw_get(client, path, PLAIN)
    assert zipped_headers["content-encoding"] == "gzip" and gzip.decompress(zipped) == plain
    assert plain_headers["etag"].startswith('"')
    assert zipped_headers["etag"] == gzip_etag(plain_headers["etag"])
    for encoding, etag in ((GZIP, zipped_headers["etag"]), (PLAIN, plain_headers["etag"])):
        again = client.get(path, headers={**encoding, "if-none-match": etag})
        assert again.status_code == 304 and again.headers["etag"] == etag
        assert "accept-encoding" in again.headers["vary"].lower()
    stale = client.get(path, headers={**GZIP, "if-none-match": 'W/"stale-gzip"'})
    assert stale.status_code == 200 and stale.content == plain


@pytest.mark.parametrize("path", ["/static/css/site.css", "/favicon.ico"])
def test_if_modified_since_on_files(client, path):
    last_modified = client.get(path, headers=PLAIN).headers["last-modified"]
    assert client.get(path, headers={**PLAIN, "if-modified-since": last_modified}
                      ).status_code == 304
    old = formatdate(0, usegmt=True)
    assert client.get(path, headers={**PLAIN, "if-modified-since": old}).status_code == 200


def test_favicon_etag_forms(client):
    etag = client.get("/favicon.ico").headers["etag"]
    for form in (etag, f"W/{etag}", f'"a", {etag}', "*"):
        assert client.get("/favicon.ico", headers={"if-none-match": form}).status_code == 304


# --- HEAD on every GET route ----------------------------------------------------------


def get_paths(app) -> list[str]:
    """One URL per GET route: the OpenAPI ones (model-free widgets) and the rest."""
    widgets = app.state.widgets
    paths = ["/", "/modules/01", "/playground/softmax", "/playground/softmax?temperature=2",
             "/embed/softmax", "/favicon.ico", "/docs", "/static/css/site.css",
             "/openapi.json", "/modules/99"]
    for path, operations in app.openapi()["paths"].items():
        if "get" not in operations:
            continue
        name = path.rsplit("/", 1)[-1]
        if name in widgets and widgets[name].uses_model:
            continue  # runs the language model: covered by the model-free ones
        paths.append(path.replace("{module_id}", "01"))
    paths += [f"/widgets/{n}" for n, spec in widgets.items() if not spec.uses_model]
    return paths


def test_every_get_route_answers_head_like_get(app, client):
    paths = get_paths(app)
    assert len(paths) > 30
    for path in paths:
        get = client.get(path, headers=GZIP)
        head = client.head(path, headers=GZIP)
        assert head.status_code == get.status_code != 405, path
        assert head.content == b"", path
        for name in ("content-type", "content-encoding", "content-length", "etag"):
            assert head.headers.get(name) == get.headers.get(name), (path, name)


def test_head_is_still_refused_where_get_is(client):
    assert client.head("/api/modules/01", headers=PLAIN).status_code == 200
    # No route answers GET here, so HEAD gets the same 404 / 405 as GET.
    assert client.head("/nope").status_code == client.get("/nope").status_code == 404
