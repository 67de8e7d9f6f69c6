"""The forward-pass explorer: every number it shows against an independent float64 NumPy
forward pass written here from the model's weights (complex-number RoPE, repeated
key/value heads, an explicit causal mask), against the other SmolLM2 widgets, and its
page, bad input, cache bound and lesson embeds over HTTP."""

from pathlib import Path

import numpy as np
import pytest

from app.engine.explore_trace import PassCache, block_inside
from app.widgets.explore import SPEC, STAGES
from tests._minilm_html import parse

PROMPT = "The capital of France is"
ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def models(app):
    return app.state.models


@pytest.fixture(scope="module")
def model(models):
    return models.smollm2()


def explore(models, **params):
    return SPEC.run(SPEC.parse({"prompt": PROMPT, **params}), models)


def reference(model, ids) -> dict:
    """SmolLM2's forward pass in float64, written independently of the engine."""
    cfg = model.config
    n, hd, group = len(ids), cfg.head_dim, cfg.group_size
    table = model.embeddings.astype(np.float64)
    turn = np.exp(1j * np.outer(np.arange(n), cfg.rope_base ** (-np.arange(0, hd, 2) / hd)))

    def rope(v):  # (heads, n, hd): each adjacent pair (2i, 2i+1) as one complex number
        c = (v[..., 0::2] + 1j * v[..., 1::2]) * turn
        out = np.empty_like(v)
        out[..., 0::2], out[..., 1::2] = c.real, c.imag
        return out

    def rms(v, w):
        return v / np.sqrt((v * v).mean(-1, keepdims=True) + cfg.rms_eps) * w

    x = table[ids]
    out = {"residuals": [x], "attention": [], "gates": [], "q_raw": [], "k_raw": []}
    future = np.triu(np.ones((n, n), dtype=bool), 1)
    for layer in model.layers:
        w = layer.wqkv.astype(np.float64)
        wq, wk, wv = w[:cfg.n_heads * hd], w[cfg.n_heads * hd:-cfg.n_kv_heads * hd], \
            w[-cfg.n_kv_heads * hd:]
        a = rms(x, layer.attn_norm)
        q = (a @ wq.T).reshape(n, cfg.n_heads, hd).transpose(1, 0, 2)
        k = (a @ wk.T).reshape(n, cfg.n_kv_heads, hd).transpose(1, 0, 2)
        v = (a @ wv.T).reshape(n, cfg.n_kv_heads, hd).transpose(1, 0, 2)
        out["q_raw"].append(q)
        out["k_raw"].append(k)
        kk, vv = np.repeat(rope(k), group, axis=0), np.repeat(v, group, axis=0)
        s = rope(q) @ kk.transpose(0, 2, 1) / np.sqrt(hd)
        s[:, future] = -np.inf
        p = np.exp(s - s.max(-1, keepdims=True))
        p /= p.sum(-1, keepdims=True)
        out["attention"].append(p)
        h = x + (p @ vv).transpose(1, 0, 2).reshape(n, -1) @ layer.wo.astype(np.float64).T
        b = rms(h, layer.ffn_norm)
        gu = b @ layer.w_gate_up.astype(np.float64).T
        g, up = gu[:, :cfg.d_ff], gu[:, cfg.d_ff:]
        gate = g / (1 + np.exp(-g))
        out["gates"].append(gate)
        x = h + (gate * up) @ layer.w_down.astype(np.float64).T
        out["residuals"].append(x)
    lens = np.stack([rms(r[-1], model.final_norm) @ table.T for r in out["residuals"]])
    out["lens"] = lens  # (31, vocab) logits at the last position, per depth
    return out


@pytest.fixture(scope="module")
def ref(model):
    return reference(model, model.encode(PROMPT))


def test_the_recomputed_block_matches_the_engine_trace(model):
    """The trace extras (mid-block stream, gate) come from one block recomputed from the
    stream entering it: the block's output must be the trace's own next residual."""
    ids = model.encode(PROMPT)
    p = PassCache().get(model, ids)
    for layer in (0, 18, 29):
        inside = block_inside(model, p, layer)
        assert np.allclose(inside.out, p.residuals[layer + 1], rtol=1e-5, atol=1e-3)


def test_residual_norms_match_an_independent_forward_pass(models, ref):
    norms = np.array(explore(models, stage="residual").residual.norms)
    expected = np.linalg.norm(np.stack(ref["residuals"]), axis=-1)
    assert norms.shape == (31, 5)
    assert np.allclose(norms, expected, rtol=2e-3)
    # The first token's stream is the one that explodes in the middle layers.
    assert norms[19, 0] > 20 * norms[19, 1:].max()


def test_a_heads_pattern_and_all_nine_last_rows_match(models, ref):
    a = explore(models, stage="attn", layer=19, head=4).attention
    want = ref["attention"][18]  # (9, n, n)
    assert np.allclose(a.weights, want[3], atol=2e-4)
    assert [h.kv_head for h in a.heads] == [1, 1, 1, 2, 2, 2, 3, 3, 3]
    assert a.groups == [[1, 2, 3], [4, 5, 6], [7, 8, 9]] and a.kv_head == 2
    for h in a.heads:
        assert np.allclose(h.last_row, want[h.head - 1, -1], atol=2e-4)
        assert h.top_key == int(np.argmax(want[h.head - 1, -1]))


def test_rope_rotates_a_pair_by_position_and_keeps_only_the_gap(models, model, ref):
    r = explore(models, stage="rope", layer=19, head=4, pair=2).rope
    i, j, kv = r.query_pos, r.key_pos, (4 - 1) // 3
    theta = model.config.rope_base ** (-2 * 1 / 64)
    assert r.theta == pytest.approx(theta) and i == 4
    assert j == 1 + int(np.argmax(ref["attention"][18][3, i, 1:]))
    q_raw, k_raw = ref["q_raw"][18][3, i, 2:4], ref["k_raw"][18][kv, j, 2:4]
    assert np.allclose(r.q_before, q_raw, rtol=1e-3, atol=1e-5)

    def turn(v, angle):
        return np.array([v[0] * np.cos(angle) - v[1] * np.sin(angle),
                         v[0] * np.sin(angle) + v[1] * np.cos(angle)])

    assert np.allclose(r.q_after, turn(q_raw, i * theta), rtol=1e-3, atol=1e-5)
    assert np.allclose(r.k_after, turn(k_raw, j * theta), rtol=1e-3, atol=1e-5)
    # Relative position: the query turned by (i − j)θ against the unturned key.
    assert r.dot_after == pytest.approx(float(turn(q_raw, (i - j) * theta) @ k_raw), rel=1e-3,
                                        abs=1e-6)
    # The pairs' parts add up to the head's pre-softmax score, which is the softmax's input.
    assert sum(r.pair_scores) == pytest.approx(r.score, abs=1e-3)
    row = ref["attention"][18][3, i]
    scores = np.log(row[: i + 1])  # log-softmax: scores up to a shared constant
    assert scores[j] - scores[0] == pytest.approx(r.score - _score(ref, model, 18, 3, i, 0),
                                                  abs=1e-3)


def _score(ref, model, layer, head, i, j):
    """q_i · k_j / √64 with RoPE, from the reference's raw queries and keys."""
    angle = model.config.rope_base ** (-np.arange(0, 64, 2) / 64)

    def rot(v, pos):
        c = (v[0::2] + 1j * v[1::2]) * np.exp(1j * pos * angle)
        return np.stack([c.real, c.imag], axis=-1).reshape(-1)

    q = rot(ref["q_raw"][layer][head, i], i)
    k = rot(ref["k_raw"][layer][head // 3, j], j)
    return float(q @ k) / 8


def test_swiglu_gate_counts_match(models, ref):
    f = explore(models, stage="ffn", layer=19).ffn
    gate = ref["gates"][18]
    want = int((np.abs(gate[-1]) < f.threshold).sum())
    assert 0 < f.near_zero < f.d_ff == 1536
    assert abs(f.near_zero - want) <= 2  # float32 vs float64 right at the threshold
    assert sum(f.counts) == 1536 and abs(f.negative - int((gate[-1] < 0).sum())) <= 2
    assert np.allclose(f.near_zero_share, (np.abs(gate) < f.threshold).mean(axis=1), atol=3e-3)
    assert f.largest == pytest.approx(gate[-1].max(), rel=1e-3)


def test_final_distribution_matches_the_next_token_widget_and_the_reference(client, models,
                                                                             ref):
    r = explore(models, stage="output")
    nt = client.get("/api/widgets/next-token", params={"prompt": PROMPT, "top_k": 10}).json()
    assert [c.id for c in r.candidates] == [c["id"] for c in nt["candidates"]]
    for mine, theirs in zip(r.candidates, nt["candidates"], strict=True):
        assert mine.probability == pytest.approx(theirs["probability"], rel=1e-5)
    logits = ref["lens"][-1]
    full = np.exp(logits - logits.max())
    full /= full.sum()
    assert r.prediction.id == int(np.argmax(logits))
    assert r.prediction.probability == pytest.approx(full.max(), rel=2e-3)
    # Choosing a candidate appends its text to the prompt, as in the next-token widget.
    assert r.candidates[0].set_field == "prompt"
    assert r.candidates[0].set_value == PROMPT + r.candidates[0].text


def test_why_this_token_matches_an_independent_logit_lens(client, models, ref):
    t = explore(models).trail
    lens = ref["lens"]
    final = int(np.argmax(lens[-1]))
    top = lens.argmax(axis=-1) == final
    assert t.first_top == int(np.argmax(top))
    assert t.ranks[-1] == 1 and t.ranks[0] > 1
    for depth, rank in enumerate(t.ranks):
        want = 1 + int((lens[depth] > lens[depth, final]).sum())
        assert abs(rank - want) <= max(2, want // 100)
    # The logit-lens widget agrees on where the answer first takes the lead.
    grid = client.get("/api/widgets/logit-lens", params={"prompt": PROMPT}).json()
    first = next(d for d, row in enumerate(grid["layers"])
                 if row["top_tokens"][-1] == grid["layers"][-1]["top_tokens"][-1])
    assert t.first_top == first


def test_why_this_token_heads_match_an_independent_search(models, ref):
    heads = explore(models).trail.heads
    rows = np.stack([a[:, -1] for a in ref["attention"]])  # (30, 9, n)
    n = rows.shape[-1]
    keys = rows[:, :, 1:n - 1]  # not the first token (a sink), not the token itself
    order = np.argsort(-keys, axis=None)[:3]
    want = [np.unravel_index(k, keys.shape) for k in order]
    got = [(h.layer - 1, h.head - 1, h.key - 1) for h in heads[:3]]
    assert got == [tuple(int(v) for v in w) for w in want]
    assert heads[0].weight == pytest.approx(float(keys.max()), abs=2e-4)
    assert [h.weight for h in heads] == sorted((h.weight for h in heads), reverse=True)


def test_the_pass_cache_is_bounded_by_bytes(model):
    first = PassCache().get(model, model.encode("one two"))
    cache = PassCache(max_bytes=int(first.nbytes * 1.5))
    a = cache.get(model, model.encode("one two"))
    assert cache.get(model, model.encode("one two")) is a  # sliced, not recomputed
    cache.get(model, model.encode("three four"))
    cache.get(model, model.encode("five six"))
    assert cache.nbytes <= cache.max_bytes
    assert cache.get(model, model.encode("one two")) is not a  # evicted, then traced again


def test_explore_page_draws_the_whole_pass_with_real_shapes(client):
    r = client.get("/explore", params={"prompt": PROMPT, "stage": "attn", "layer": 19})
    assert r.status_code == 200
    doc = parse(r.text)
    assert len(doc.find_all("button", "xp-block")) == 30
    current = [b for b in doc.find_all("button", "xp-block") if "is-current" in b.classes]
    assert [b.text() for b in current] == ["19"]
    text = doc.find("ol", "xp-diagram").text()
    for shape in ("(5, 576)", "(9 heads, 5, 5)", "(5, 1536)", "(49,152)", "(49,152, 576)"):
        assert shape in text
    groups = doc.find_all("div", "xp-group")
    assert [len(g.find_all("button", "xp-head")) for g in groups] == [3, 3, 3]
    # The state is in the form (so in the address) and the page is linked from every page.
    form = doc.find("form", "widget-controls")
    assert form.find("select", id="w-explore-stage").find("option", selected="").attrs[
        "value"] == "attn"
    assert any(a.attrs.get("href") == "/explore" for a in doc.find_all("a"))


@pytest.mark.parametrize("stage", list(STAGES))
def test_each_panel_links_to_the_module_that_explains_it(client, course, stage):
    html = client.get("/widgets/explore", params={"prompt": "Hi", "stage": stage}).text
    link = parse(html).find("p", "xp-explained").find("a")
    module = STAGES[stage][1]
    assert link.attrs["href"] == f"/modules/{module}" and course.get(module) is not None


@pytest.mark.parametrize("params, words", [
    ({"prompt": ""}, "type at least one word"),
    ({"prompt": "1" * 70}, "the limit is 64"),
    ({"layer": "31"}, "layer"),
    ({"stage": "everything"}, "stage"),
])
def test_bad_input_gets_the_message_inline_not_a_broken_page(client, params, words):
    page = client.get("/explore", params=params)
    assert page.status_code == 422
    doc = parse(page.text)
    assert words in doc.find("div", "widget-error").text()
    assert len(doc.find_all("button", "xp-block")) == 30  # the defaults still draw
    fragment = client.get("/widgets/explore", params=params)
    assert fragment.status_code == 422 and words in fragment.text


def test_the_explorers_own_script_stays_small():
    assert (ROOT / "static/js/explore.js").stat().st_size < 20_000


def test_modules_10_and_20_embed_the_explorer(client):
    for module in ("10", "20"):
        doc = parse(client.get(f"/modules/{module}").text)
        widget = doc.find("section", "widget", data_widget="explore")
        assert widget is not None, module
        assert len(widget.find_all("button", "xp-block")) == 30
