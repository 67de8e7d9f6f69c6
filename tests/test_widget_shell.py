"""Every widget renders through the one shell: result first, an error slot, copy link,
controls generated from its params model (no limit written twice), and its state in the
URL: /playground/{name}?… renders exactly those parameters, invalid ones say why."""

import math

import pytest

from app.widgets import registry
from app.widgets.base import _plain
from tests._minilm_html import parse

SPECS = registry()


def controls_by_name(form) -> dict[str, list]:
    out: dict[str, list] = {}
    for tag in ("input", "select", "textarea"):
        for el in form.find_all(tag):
            if el.attrs.get("data-control"):
                out.setdefault(el.attrs["name"], []).append(el)
    return out


def value_of(elements) -> str:
    """What the form sends for one parameter (a vector's parts joined by commas)."""
    first = elements[0]
    if first.tag == "select":
        return next(o.attrs["value"] for o in first.find_all("option") if "selected" in o.attrs)
    if first.attrs.get("type") == "checkbox":
        return "true" if "checked" in first.attrs else "false"
    if first.attrs.get("type") == "radio":
        return next(e.attrs["value"] for e in elements if "checked" in e.attrs)
    if first.tag == "textarea":
        return first.text()
    return ",".join(e.attrs["value"] for e in elements)


def same(sent: str, expected: str) -> bool:
    """Form text equals the expected value (70 and 70.0 are the same number)."""
    try:
        return sent == expected or float(sent) == float(expected)
    except ValueError:
        return False


def as_text(value) -> str:
    value = _plain(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(value)
    return str(value)


@pytest.mark.parametrize("name", sorted(SPECS))
def test_playground_uses_the_shell_with_controls_from_the_params_model(client, name):
    spec = SPECS[name]
    r = client.get(f"/playground/{name}")
    assert r.status_code == 200
    doc = parse(r.text)
    widget = doc.find("section", "widget", id=f"w-{name}")
    kids = [c for c in widget.children if not isinstance(c, str)]
    order = [c.attrs.get("class", "").split()[0] for c in kids]
    assert order.index("widget-result") < order.index("widget-controls"), order
    assert widget.find("div", "widget-error", id=f"w-{name}-error")
    assert widget.find("button", data_copy_link="")
    result = widget.find("div", "widget-result", id=f"w-{name}-result")
    assert result.children, f"{name}: the result is rendered on the server"
    form = widget.find("form", "widget-controls")
    assert form.attrs["action"] == f"/playground/{name}"
    controls = controls_by_name(form)
    for c in spec.controls:
        if not c.applies(spec.params()):
            continue
        assert c.name in controls, f"{name}: no control for {c.name}"
        el = controls[c.name][0]
        if el.attrs.get("type") == "number":
            # The browser enforces exactly the params model's limits.
            assert (el.attrs.get("min"), el.attrs.get("max")) == (
                None if c.min is None else str(c.min), None if c.max is None else str(c.max))
        if el.attrs.get("type") == "range":
            lo, hi = float(el.attrs["min"]), float(el.attrs["max"])
            assert (c.min is None or lo >= c.min) and (c.max is None or hi <= c.max)
            assert lo < hi
        if el.tag == "select":
            options = [o.attrs["value"] for o in el.find_all("option")]
            assert options == [v for v, _ in c.choices]
        if "maxlength" in el.attrs:
            assert int(el.attrs["maxlength"]) == c.max_length
    # Every control belongs to a params field: nothing the model would ignore.
    assert set(controls) <= set(spec.params.model_fields)


def changed_value(control):
    """A different valid value for one control, or None."""
    if control.kind in ("range", "number") and control.min is not None:
        hi = control.slider_max if control.slider_max is not None else control.max
        lo = control.slider_min if control.slider_min is not None else control.min
        if hi is None or math.isinf(hi):
            return None
        step = 1 if control.step == "1" else None
        mid = (lo + hi) / 2
        value = round(mid) if step else round(mid, 2)
        return value if value != control.default else None
    if control.kind == "select" and len(control.choices) > 1:
        return next(v for v, _ in control.choices if v != str(_plain(control.default)))
    if control.kind == "checkbox":
        return not control.default
    return None


@pytest.mark.parametrize("name", sorted(SPECS))
def test_url_round_trip(client, name):
    """Render with parameters in the URL, read them back from the page's form."""
    spec = SPECS[name]
    state = spec.state(spec.params())
    tried = []
    for control in spec.controls:
        value = changed_value(control)
        if value is None or not control.applies(spec.params()):
            continue
        query = {**{k: as_text(v) for k, v in state.items()}, control.name: as_text(value)}
        r = client.get(f"/playground/{name}", params=query)
        tried.append((control.name, r.status_code))
        if r.status_code != 200:
            continue  # a combination the widget refuses (e.g. heads must divide d_model)
        form = parse(r.text).find("form", "widget-controls")
        sent = {k: value_of(v) for k, v in controls_by_name(form).items()}
        assert same(sent[control.name], as_text(value)), (control.name, sent)
        for other, v in state.items():
            if other != control.name and other in sent and spec.parse(query).model_dump()[other] \
                    == spec.params().model_dump()[other]:
                assert same(sent[other], as_text(v)), (other, sent[other], v)
        full = parse(r.text).find("section", "widget")
        assert full.attrs["id"] == f"w-{name}"
        break
    else:
        if tried:
            pytest.fail(f"{name}: no changed parameter rendered: {tried}")


@pytest.mark.parametrize("name", sorted(SPECS))
def test_invalid_url_state_renders_defaults_with_the_message(client, name):
    spec = SPECS[name]
    control = next((c for c in spec.controls if c.kind in ("range", "number", "hidden")
                    and c.max is not None and not math.isinf(c.max)), None)
    if control is None:
        control = next(c for c in spec.controls if c.max_length)
        bad = "x" * (control.max_length + 1)
    else:
        bad = str(control.max * 10 + 1)
    r = client.get(f"/playground/{name}", params={control.name: bad})
    assert r.status_code == 422
    doc = parse(r.text)
    error = doc.find("div", "widget-error", id=f"w-{name}-error")
    assert control.name in error.text() and "hidden" not in error.attrs
    assert doc.find("div", "widget-result").children, "defaults still render"


def test_embed_frames_only_where_configured(tmp_path):
    from fastapi.testclient import TestClient

    from app.main import create_app
    from app.settings import Settings

    app = create_app(Settings(embed_origins="https://slides.example.org"))
    client = TestClient(app)
    embed = client.get("/embed/softmax?temperature=2")
    assert embed.status_code == 200
    csp = embed.headers["content-security-policy"]
    assert "frame-ancestors https://slides.example.org" in csp
    assert "x-frame-options" not in embed.headers
    assert 'value="2.0"' in embed.text or 'value="2"' in embed.text
    assert "site-header" not in embed.text  # the widget alone, no site chrome
    page = client.get("/playground/softmax")
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
    assert page.headers["x-frame-options"] == "DENY"


def test_embed_refuses_framing_by_default(client):
    r = client.get("/embed/softmax")
    assert "frame-ancestors 'none'" in r.headers["content-security-policy"]


def test_bad_embed_origin_is_refused_at_start_up():
    from pydantic import ValidationError

    from app.settings import Settings

    with pytest.raises(ValidationError, match="is not an origin"):
        Settings(embed_origins="javascript:alert(1)")


def test_fragment_ids_follow_the_instance(client):
    r = client.get("/widgets/attention", params={"row": 2},
                   headers={"HX-Target": "w-bank-minilm-result"})
    assert r.status_code == 200
    bad = client.get("/widgets/softmax", params={"temperature": "0"},
                     headers={"HX-Target": "w-cold-result"})
    assert bad.status_code == 422
    assert bad.headers["hx-retarget"] == "#w-cold-error"
    assert "greater than or equal to 0.01" in bad.text
