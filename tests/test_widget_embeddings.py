"""The embeddings widget: the vocabulary, neighbours by cosine, context drift, fragment."""

import numpy as np
import pytest

from app.widgets.embeddings import VOCABULARY
from tests._minilm_html import parse

URL = "/api/widgets/embeddings"


@pytest.fixture(scope="module")
def model(app):
    return app.state.models.minilm()


def test_vocabulary_is_about_300_single_wordpiece_words(model):
    assert 280 <= len(VOCABULARY) <= 400
    assert len(set(VOCABULARY)) == len(VOCABULARY)
    for word in VOCABULARY:
        assert model.wordpieces(word) == [word], word


def test_neighbours_match_an_independent_cosine(client, model):
    body = client.get(URL, params={"word": "Paris", "k": 5}).json()
    assert body["word"] == "paris" and body["vocabulary_size"] == len(VOCABULARY)
    table = model.word_embeddings.astype(np.float64)
    v = table[model.vocab_id("paris")]
    sims = {}
    for w in VOCABULARY:
        if w != "paris":
            u = table[model.vocab_id(w)]
            sims[w] = float(u @ v / (np.linalg.norm(u) * np.linalg.norm(v)))
    top = sorted(sims, key=sims.get, reverse=True)[:5]
    assert [n["word"] for n in body["neighbours"]] == top
    assert [n["cosine"] for n in body["neighbours"]] == pytest.approx([sims[w] for w in top],
                                                                      abs=1e-6)
    assert body["neighbours"][0]["word"] == "france"


def test_king_is_closest_to_queen(client):
    body = client.get(URL).json()
    assert body["neighbours"][0]["word"] == "queen"
    assert len(body["neighbours"]) == 8
    cosines = [n["cosine"] for n in body["neighbours"]]
    assert cosines == sorted(cosines, reverse=True)


def test_context_changes_the_mole(client, model):
    body = client.get(URL).json()
    assert body["shared_word"] == "mole"
    assert [s["position"] for s in body["sentences"]] == [2, 2, 5]
    assert [(p["a"], p["b"]) for p in body["pairs"]] == [(1, 2), (1, 3), (2, 3)]
    by_pair = {(p["a"], p["b"]): p["cosine_by_layer"] for p in body["pairs"]}
    # Layer 0 is word + position + type embedding, then LayerNorm: "mole" at position 2 in
    # sentences 1 and 2 has an identical input vector, so cosine 1 before any attention.
    assert by_pair[(1, 2)][0] == pytest.approx(1.0, abs=1e-6)
    assert by_pair[(1, 3)][0] < 1.0
    for values in by_pair.values():
        assert len(values) == 7
        assert values[-1] < values[0] - 0.05  # the senses drift apart through the layers
    # independent check of one number: layer 6 vectors straight from the engine
    vs = [model.encode(s["sentence"]).hidden_states[6, s["position"]].astype(np.float64)
          for s in body["sentences"]]
    expected = vs[0] @ vs[1] / (np.linalg.norm(vs[0]) * np.linalg.norm(vs[1]))
    assert by_pair[(1, 2)][6] == pytest.approx(expected, abs=1e-6)


def test_two_sentences_give_one_pair(client):
    body = client.get(URL, params={"sentence_3": ""}).json()
    assert len(body["sentences"]) == 2 and len(body["pairs"]) == 1


def test_repeated_word_uses_the_first_occurrence(client):
    body = client.get(URL, params={"shared_word": "bank", "sentence_1": "The bank by the bank.",
                                   "sentence_2": "I rob a bank.", "sentence_3": ""}).json()
    assert body["sentences"][0]["position"] == 2
    # "moles" is mole + ##s: that piece is not the word, the later whole "mole" is
    body = client.get(URL, params={"sentence_1": "Moles and a mole.", "sentence_3": ""}).json()
    assert body["sentences"][0]["tokens"][1:3] == ["mole", "##s"]
    assert body["sentences"][0]["position"] == 5


def test_fragment_marks_the_word_and_escapes_input(client):
    r = client.get("/widgets/embeddings", params={
        "shared_word": "cat", "sentence_1": "<b>The cat</b> sat.", "sentence_2": "A cat!",
        "sentence_3": ""})
    assert r.status_code == 200 and "<b>" not in r.text and "style=" not in r.text
    doc = parse(r.text)
    assert [m.text() for m in doc.find_all("mark")] == ["cat", "cat"]
    lines = doc.find_all("g", "emb-line")  # one line (7 points, 6 segments) per pair
    assert len(lines) == 1 and len(lines[0].find_all("circle")) == 7
    assert doc.find("div", "bars").find_all("rect", "bar")
