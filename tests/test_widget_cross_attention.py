"""cross-attention widget: rows sum to one, the alignments, the formula, the fragment."""

import math

import numpy as np
import pytest

from app.widgets.cross_attention import SOURCE_EMB, TARGET_EMB


def get(client, query: str = ""):
    return client.get(f"/api/widgets/cross-attention{query}")


def test_rows_sum_to_one_and_match_formula(client):
    body = get(client).json()
    w = np.array(body["weights"])
    assert w.shape == (4, 4)
    assert np.allclose(w.sum(axis=1), 1, atol=1e-8)
    s = TARGET_EMB @ SOURCE_EMB.T / math.sqrt(4)
    e = np.exp(s)
    assert np.allclose(w, e / e.sum(axis=1, keepdims=True), atol=1e-8)
    assert np.allclose(body["target_embeddings"], TARGET_EMB)


def test_alignment(client):
    body = get(client).json()
    src, tgt = body["source"], body["target"]
    aligned = {tgt[i]: src[j] for i, j in enumerate(body["alignment"])}
    assert aligned == {"le": "the", "chat": "cat", "noir": "black", "dort": "sleeps"}
    # noir's strongest weight really is on black, by a clear margin.
    noir = body["weights"][tgt.index("noir")]
    assert noir[src.index("black")] > 2 * max(v for j, v in enumerate(noir) if src[j] != "black")


@pytest.mark.parametrize("selected, word, aligned", [(0, "le", "the"), (1, "chat", "cat"),
                                                     (2, "noir", "black"), (3, "dort", "sleeps")])
def test_fragment_shows_selected_alignment(client, selected, word, aligned):
    text = client.get(f"/widgets/cross-attention?selected={selected}").text
    assert f"“<strong>{word}</strong>” attends most to" in text
    assert f'data-testid="xa-aligned">{aligned}<' in text
    assert "Constructed, not learned" in text
    assert "style=" not in text
