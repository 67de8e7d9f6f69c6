"""MoE router: the lesson's one-token example, invariants of routing, the Switch balancing
loss by hand, and Mixtral's 46.70B / 12.88B."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.widgets.moe_router import Params, compute, moe_size
from tests.browser_support import expect, follows_control
from tests.lesson_support import widget


def test_lesson_one_token_top_2():
    # z = [2, 1, 0.5, −1]: gates e²/(e² + e) = 0.7311, 0.2689; full softmax 0.6095, 0.2242, …
    r = compute(Params(source="custom", logits="2, 1, 0.5, -1", top_k=2))
    assert r.chosen == [[0, 1]]
    assert r.gates[0] == pytest.approx([math.e / (math.e + 1), 1 / (math.e + 1)])
    assert r.probs[0] == pytest.approx([0.6095, 0.2242, 0.1360, 0.0303], abs=1e-4)
    assert r.loads == [1, 1, 0, 0]


def test_switch_loss_by_hand():
    # Two tokens, two experts, top-1: both go to expert 1, so f = [1, 0].
    # P₁ = mean(softmax([1, 0])₀, softmax([2, 0])₀) = (0.7311 + 0.8808) / 2; loss = 2·P₁.
    r = compute(Params(source="custom", logits="1, 0; 2, 0", top_k=1, alpha=0.01))
    p1 = (1 / (1 + math.exp(-1)) + 1 / (1 + math.exp(-2))) / 2
    assert r.fractions == [1, 0] and r.balance == pytest.approx(2 * p1)
    assert r.aux_loss == pytest.approx(0.02 * p1)


def test_perfectly_even_routing_gives_one():
    # Each token prefers a different expert by the same margin: f = P = 1/E.
    rows = ";".join(",".join("3" if i == j else "0" for j in range(4)) for i in range(4))
    r = compute(Params(source="custom", logits=rows, top_k=1))
    assert r.fractions == [0.25] * 4 and r.balance == pytest.approx(1.0)


def test_ties_go_to_the_lower_expert():
    r = compute(Params(source="custom", logits="1, 1, 1", top_k=2))
    assert r.chosen == [[0, 1]] and r.gates[0] == pytest.approx([0.5, 0.5])


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 64), st.integers(1, 16), st.integers(1, 16), st.integers(0, 2**32 - 1),
       st.floats(0, 10))
def test_routing_invariants(tokens, experts, k, seed, spread):
    k = min(k, experts)
    r = compute(Params(tokens=tokens, experts=experts, top_k=k, seed=seed, spread=spread))
    assert sum(r.loads) == tokens * k
    assert np.allclose(np.sum(r.gates, axis=1), 1, atol=1e-12)
    assert np.allclose(np.sum(r.probs, axis=1), 1, atol=1e-12)
    assert sum(r.fractions) == pytest.approx(1) and sum(r.mean_probs) == pytest.approx(1)
    z = np.array(r.logits)
    for row, chosen in zip(z, r.chosen, strict=True):
        assert len(set(chosen)) == k  # distinct experts
        assert min(row[chosen]) >= max(np.delete(row, chosen), default=-np.inf)


def test_random_logits_are_reproducible_and_bias_concentrates_load():
    assert compute(Params(seed=3)) == compute(Params(seed=3))
    z = np.round(np.random.default_rng(3).normal(0, 1, (16, 8)), 2)
    assert compute(Params(seed=3)).logits == z.tolist()
    fair = compute(Params(seed=3, bias_expert=2, bias=0))
    skewed = compute(Params(seed=3, bias_expert=2, bias=8))
    assert skewed.loads[1] == 16 and skewed.balance > fair.balance


def test_mixtral_total_and_active():
    r = compute(Params(preset="mixtral-8x7b"))
    assert r.size.total == 46_702_792_704 and round(r.size.total / 1e9, 2) == 46.70
    assert r.size.active == 12_879_925_248 and round(r.size.active / 1e9, 2) == 12.88
    parts = {p.name: p for p in r.size.parts}
    assert parts["experts (all layers)"].total == 32 * 8 * 3 * 4096 * 14336 == 45_097_156_608
    assert parts["experts (all layers)"].active == 11_274_289_152
    assert parts["attention (all layers)"].total == 32 * 41_943_040


def test_custom_size_uses_the_router_e_and_k():
    r = compute(Params(preset="custom", experts=8, top_k=2))  # the fields default to Mixtral
    assert r.size.total == 46_702_792_704 and r.size.active == 12_879_925_248
    one = compute(Params(preset="custom", experts=8, top_k=1)).size
    assert r.size.active - one.active == 32 * 3 * 4096 * 14336
    dense = sum(p.total for p in moe_size(32, 4096, 14336, 32, 8, 32000, 1, 1))
    assert dense == 32 * (41_943_040 + 176_160_768 + 4096 + 8192) + 262_144_000 + 4096


def test_fragment(client):
    html = client.get("/widgets/moe-router?source=custom&logits=2,1,0.5,-1").text
    assert html.count('class="moe-on"') == 2 and "0.731" in html and "0.269" in html
    assert 'data-testid="moe-total">46.70B' in html and 'data-testid="moe-active">12.88B' in html
    assert "random numbers from seed 0" in client.get("/widgets/moe-router").text


@pytest.mark.browser
def test_browser_bias_concentrates_load(page):
    follows_control(page, "moe-router", "moe-loss", lambda r: f"{r['balance']:.4f}", bias=6)
    expect(page.locator("#w-moe-router-layers")).to_be_hidden()  # Mixtral: no custom shape
    page.locator("input[name=source][value=custom]").check()
    expect(page.locator("#w-moe-router-seed")).to_be_hidden()
    expect(page.locator("#w-moe-router-logits")).to_be_visible()
    custom = widget("moe-router", bias=6, source="custom")
    expect(page.get_by_test_id("moe-active")).to_have_text(custom["size"]["active_text"])
