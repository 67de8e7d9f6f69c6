"""The attention heatmap widget: JSON contract, real weights, fragment, browser."""

import numpy as np
import pytest

from tests._minilm_html import parse
from tests.browser_support import expect

SENTENCE = "The animal didn't cross the street because it was tired"
URL = "/api/widgets/attention"
TIMEOUT_MS = 15_000


@pytest.fixture(scope="module")
def model(app):
    return app.state.models.minilm()


def test_contract_from_the_issue(client, model):
    r = client.get(URL, params={"sentence": SENTENCE, "layer": 2, "head": 5})
    assert r.status_code == 200
    body = r.json()
    assert list(body)[:5] == ["model", "tokens", "layer", "head", "weights"]
    assert body["model"] == "all-MiniLM-L6-v2"
    assert body["layer"] == 2 and body["head"] == 5
    enc = model.encode(SENTENCE)
    assert body["tokens"] == list(enc.tokens)
    assert body["tokens"][0] == "[CLS]" and body["tokens"][-1] == "[SEP]"
    weights = np.array(body["weights"])
    n = len(body["tokens"])
    assert weights.shape == (n, n)
    assert np.abs(weights.sum(axis=1) - 1).max() < 1e-6
    # Layers and heads are numbered from 1: layer=2, head=5 is index [1, 4]; the JSON
    # carries the model's own float32 values, not renormalised or rounded copies.
    assert np.array_equal(weights.astype(np.float32), enc.attentions[1, 4])


def test_average_over_heads_keeps_head_and_is_the_mean(client, model):
    body = client.get(URL, params={"sentence": SENTENCE, "layer": 6, "head": 3,
                                   "average": "true"}).json()
    assert body["head"] == 3 and body["layer"] == 6
    expected = model.encode(SENTENCE).attentions[5].astype(np.float64).mean(axis=0)
    weights = np.array(body["weights"])
    assert np.abs(weights - expected).max() < 1e-6
    assert np.abs(weights.sum(axis=1) - 1).max() < 1e-6


def test_defaults_show_it_attending_to_animal(client):
    body = client.get(URL).json()
    tokens, weights = body["tokens"], body["weights"]
    row = weights[tokens.index("it")]
    assert tokens[int(np.argmax(row))] == "animal"


def test_fragment_escapes_user_text_and_labels_every_row(client):
    r = client.get("/widgets/attention", params={"sentence": "<b>bold</b> & fun", "row": 2})
    assert r.status_code == 200
    assert "<b>" not in r.text
    doc = parse(r.text)
    buttons = doc.find_all("button", "attn-token")
    tokens = [b.text() for b in buttons]
    assert tokens[0] == "[CLS]" and tokens[-1] == "[SEP]" and "<" in tokens
    assert [b.attrs["aria-pressed"] for b in buttons].count("true") == 1
    assert buttons[2].attrs["aria-pressed"] == "true"
    assert "special" in buttons[0].classes
    # One heatmap row per token, one focusable cell per key, its value in its name.
    rows = doc.find(data_testid="heatmap").find("tbody").find_all("tr")
    assert len(rows) == len(tokens)
    cells = [r.find_all("td") for r in rows]
    assert all(len(c) == len(tokens) for c in cells)
    assert all(c.attrs["tabindex"] == "0" and ": 0." in c.attrs["aria-label"]
               for row in cells for c in row)
    assert doc.find(data_testid="attn-query").text() == tokens[2]
    assert doc.find("figure", "heat-legend")
    assert buttons[2].attrs["data-set-field"] == "row" and buttons[2].attrs["data-value"] == "2"
    assert "style=" not in r.text


def test_fragment_clamps_the_selected_row_to_short_sentences(client):
    r = client.get("/widgets/attention", params={"sentence": "Hi", "row": 20})
    assert parse(r.text).find(data_testid="attn-query").text() == "[SEP]"


@pytest.mark.browser
def test_clicking_a_word_shows_its_row(page):
    page.goto("/playground/attention")
    shown = page.locator("[data-testid=attn-query]")
    expect(shown).to_have_text("it", timeout=TIMEOUT_MS)
    page.locator("button.attn-token", has_text="street").click()
    expect(shown).to_have_text("street", timeout=TIMEOUT_MS)
    expect(page.locator("button.attn-token[aria-pressed=true]")).to_have_text("street")
    # The choice survives changing the head: the form's hidden field was updated.
    page.fill("#w-attention-head", "7")
    page.dispatch_event("#w-attention-head", "input")
    expect(page.locator("#w-attention-result .readout")).to_contain_text("head 7",
                                                                         timeout=TIMEOUT_MS)
    expect(shown).to_have_text("street")
