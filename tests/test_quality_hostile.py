"""Hostile input: oversized requests, control characters, HTML/JS payloads, traversal,
malformed Range headers. The server answers with a clear 4xx and keeps working."""

import pytest

PAYLOADS = [
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "\x00\x01\x1b[31m control \u202e rtl",
    "𝔘𝔫𝔦𝔠𝔬𝔡𝔢 👩‍🔬 ",
    "' OR 1=1 --",
    "{{7*7}} {% raw %}",
]


def text_params(app):
    """Every (widget, parameter) whose type is a free-text string."""
    out = []
    for name, spec in sorted(app.state.widgets.items()):
        for field, info in spec.params.model_fields.items():
            if info.annotation is str:
                out.append((name, field))
    return out


def test_text_parameters_never_500_and_never_echo_raw_html(app, client):
    params = text_params(app)
    assert params, "expected widgets with text parameters"
    for name, field in params:
        for payload in PAYLOADS:
            for prefix in ("/api/widgets/", "/widgets/"):
                response = client.get(f"{prefix}{name}", params={field: payload})
                assert response.status_code < 500, (name, field, payload, response.text[:200])
                if prefix == "/widgets/":
                    assert "<script>alert(1)</script>" not in response.text
                    assert "<img src=x onerror" not in response.text


@pytest.mark.parametrize("path", ["/modules/{p}", "/playground/{p}", "/api/modules/{p}",
                                  "/static/{p}", "/audio/{p}"])
@pytest.mark.parametrize("piece", ["..%2f..%2fetc%2fpasswd", "%2e%2e%2f%2e%2e%2fMakefile",
                                   "....//....//etc/passwd", "%00", "a" * 300])
def test_traversal_in_every_path_parameter_is_404(client, path, piece):
    response = client.get(path.format(p=piece))
    assert response.status_code in (400, 404)
    assert "root:" not in response.text and "MODEL_PACKAGES" not in response.text


def test_oversized_query_string_is_414(client):
    assert client.get("/widgets/softmax?logits=" + "9" * 9000).status_code == 414


def test_oversized_body_is_413(client):
    response = client.post("/api/modules", content=b"x" * 100_000,
                           headers={"content-type": "application/json"})
    assert response.status_code == 413


def test_server_still_healthy_after_abuse(client):
    for _ in range(3):
        client.get("/api/widgets/softmax?logits=" + "1e308," * 60 + "1")
    assert client.get("/healthz").json()["status"] == "ok"


@pytest.mark.parametrize("widget", ["next-token", "logit-lens", "lm-attention", "generate"])
def test_prompt_of_characters_outside_the_vocabulary_is_a_422(client, widget):
    # Found by the fuzzer: control bytes encode to no token at all.
    response = client.get(f"/api/widgets/{widget}", params={"prompt": "\x04\x06\x13"})
    assert response.status_code == 422
    assert "vocabulary has none of these characters" in response.json()["error"]
