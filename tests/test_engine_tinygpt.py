"""The tiny GPT's maths (app/engine/tinygpt.py) and its training loop (tinygpt_train.py):
hand-written gradients against finite differences, the optimizers and schedule against
their formulas, and real training runs (the loss falls, a seed fixes the run, a learning
rate 10× too high diverges)."""

import math

import numpy as np
import pytest

from app.engine import tinygpt
from app.engine import tinygpt_train as tt
from app.engine.tinygpt import Config
from app.widgets import train_gpt

SMALL = Config(vocab=7, context=5, width=8, depth=2, heads=2)


def perturbed_params(rng) -> dict:
    """float64 weights with gains and head away from their initial 1 and ~0, so every
    term of every gradient is exercised."""
    p = tinygpt.init_params(SMALL, rng, np.float64)
    for name in p:
        if name.split(".")[-1].startswith("g"):
            p[name] = 1 + 0.3 * rng.standard_normal(p[name].shape)
    p["w_head"] = 0.5 * rng.standard_normal(p["w_head"].shape)
    return p


def test_every_gradient_matches_finite_differences():
    rng = np.random.default_rng(0)
    params = perturbed_params(rng)
    ids = rng.integers(0, SMALL.vocab, (3, SMALL.context))
    targets = rng.integers(0, SMALL.vocab, (3, SMALL.context))
    ids[0, :2] = 4  # a repeated character: its embedding gradients must add up
    _, grads = tinygpt.loss_and_grads(params, SMALL, ids, targets)
    assert set(grads) == set(params)
    h = 1e-6
    for name, w in params.items():
        numeric = np.zeros_like(w)
        for i in np.ndindex(w.shape):
            old = w[i]
            w[i] = old + h
            up = tinygpt.loss_only(params, SMALL, ids, targets)
            w[i] = old - h
            down = tinygpt.loss_only(params, SMALL, ids, targets)
            w[i] = old
            numeric[i] = (up - down) / (2 * h)
        scale = max(np.abs(numeric).max(), np.abs(grads[name]).max())
        assert scale > 0, f"{name}: no gradient at all"
        rel = np.abs(numeric - grads[name]).max() / scale
        assert rel < 1e-4, f"{name}: relative error {rel:.2e}"


def test_cross_entropy_worked_example():
    # logits (ln 1, ln 3) -> p = (1/4, 3/4): −log p = ln 4 for target 0, ln 4/3 for target 1.
    logits = np.log(np.array([[[1.0, 3.0], [1.0, 3.0]]]))
    loss, dlogits = tinygpt.cross_entropy(logits, np.array([[0, 1]]))
    assert loss == pytest.approx((math.log(4) + math.log(4 / 3)) / 2)
    np.testing.assert_allclose(dlogits[0], [[(0.25 - 1) / 2, 0.75 / 2],
                                            [0.25 / 2, (0.75 - 1) / 2]])


def test_attention_is_causal():
    """Changing a later character never changes the predictions at earlier positions."""
    rng = np.random.default_rng(1)
    params = perturbed_params(rng)
    ids = rng.integers(0, SMALL.vocab, (1, SMALL.context))
    before = tinygpt.forward(params, SMALL, ids)[0]
    ids[0, 3] = (ids[0, 3] + 1) % SMALL.vocab
    after = tinygpt.forward(params, SMALL, ids)[0]
    np.testing.assert_allclose(before[0, :3], after[0, :3])
    assert not np.allclose(before[0, 3:], after[0, 3:])


def test_rmsnorm_gives_unit_rms_times_gain():
    x = np.array([[3.0, -4.0]])  # rms = √12.5
    y, _ = tinygpt.rmsnorm(x, np.array([2.0, 1.0]))
    np.testing.assert_allclose(y, [[2 * 3 / math.sqrt(12.5), -4 / math.sqrt(12.5)]], rtol=1e-5)


def test_a_fresh_model_guesses_about_uniformly():
    cfg = Config(vocab=len(tt.VOCAB))
    params = tinygpt.init_params(cfg, np.random.default_rng(0))
    x, y = tt.windows(tt.corpus("names")[0], np.arange(0, 800, 100), cfg.context)
    assert tinygpt.loss_only(params, cfg, x, y) == pytest.approx(math.log(cfg.vocab), abs=0.05)


def test_schedule_warms_up_then_decays_to_a_tenth():
    lrs = [tt.learning_rate(s, 100, 0.5, True, True) for s in range(100)]
    assert lrs[0] == pytest.approx(0.05) and lrs[9] == pytest.approx(0.5)  # 10 warm-up steps
    assert all(a <= b for a, b in zip(lrs[:10], lrs[1:10], strict=False))
    assert lrs[-1] == pytest.approx(0.05)  # η_min = 0.1 · η_max at the last step
    mid = 10 + (99 - 10) / 2  # half-way through the decay: cos(π/2) = 0
    assert tt.learning_rate(int(mid), 100, 0.5, True, True) == pytest.approx(
        0.05 + 0.45 * 0.5 * (1 + math.cos(math.pi * (int(mid) - 10) / 89)))
    assert {tt.learning_rate(s, 100, 0.5, False, False) for s in range(100)} == {0.5}


def test_clipping_scales_the_global_norm_to_one():
    grads = {"a": np.array([3.0, 0.0]), "b": np.array([[4.0]])}  # global norm 5
    assert tt.clip(grads, 1.0) == pytest.approx(5.0)
    assert math.sqrt(sum(float((g ** 2).sum()) for g in grads.values())) == pytest.approx(1.0)
    np.testing.assert_allclose(grads["a"], [0.6, 0.0])


def test_first_adamw_step_moves_each_weight_by_the_learning_rate():
    """m̂ = g and v̂ = g² after one step, so the update is η·g/(|g| + ε) ≈ η·sign(g)
    whatever |g| is (Module 23's tiny-gradient example)."""
    params = {"w": np.array([1.0, 1.0, 1.0])}
    opt = tt.AdamW(params, weight_decay=0.0)
    opt.step(params, {"w": np.array([1e-3, -50.0, 2.0])}, lr=0.1)
    eps = tt.ADAM_EPS
    np.testing.assert_allclose(params["w"], [1 - 0.1 * 1e-3 / (1e-3 + eps),
                                             1 + 0.1 * 50 / (50 + eps), 1 - 0.1 * 2 / (2 + eps)])


def test_weight_decay_skips_the_gains():
    params = {"b0.g1": np.array([2.0]), "b0.w_1": np.array([2.0])}
    tt.SGD(weight_decay=0.5).step(params, {k: np.zeros(1) for k in params}, lr=0.1)
    assert params["b0.g1"][0] == 2.0 and params["b0.w_1"][0] == pytest.approx(2.0 * 0.95)


def events(params, **kw):
    return list(tt.train(train_gpt.train_config(train_gpt.Params(**params), math.inf), **kw))


def test_the_same_seed_gives_the_same_run_and_another_seed_does_not():
    small = {"width": 16, "depth": 1, "steps": 20, "batch": 4}
    first, again = events(small), events(small)
    other = events({**small, "seed": 1})
    losses = lambda run: [e.val_loss for e in run if isinstance(e, tt.Progress)]  # noqa: E731
    samples = lambda run: [e.lines for e in run if isinstance(e, tt.Sample)]  # noqa: E731
    assert losses(first) == losses(again) and samples(first) == samples(again)
    assert losses(first) != losses(other)


def test_a_stop_request_ends_the_run_before_the_next_step():
    calls = []
    run = events({"width": 16, "depth": 1, "steps": 200, "batch": 4},
                 should_stop=lambda: calls.append(1) or len(calls) > 15)
    assert run[-1].reason == "stopped" and run[-1].step == 15


def test_a_learning_rate_ten_times_too_high_diverges():
    """The too-high preset: plain SGD at η = 10 (it learns at η = 1) blows up, the run
    stops and says where, and no NaN reaches a report."""
    _, _, values, _ = train_gpt.PRESETS["too-high"]
    run = events(values)
    assert run[-1].reason == "diverged" and run[-1].step < 200
    assert all(math.isfinite(e.train_loss) and math.isfinite(e.val_loss)
               for e in run if isinstance(e, tt.Progress))
    assert train_gpt.summary_of(run[-1]).message.startswith(f"Diverged at step {run[-1].step}")


def test_the_default_run_learns_the_names():
    """The default preset, whole: the validation loss ends more than 1 nat under a uniform
    guess and far under its first report, and it retraces the course's recording."""
    run = events({})
    progress = [e for e in run if isinstance(e, tt.Progress)]
    assert run[-1].reason == "done" and run[-1].step == train_gpt.Params().steps
    assert progress[-1].val_loss < math.log(len(tt.VOCAB)) - 1
    assert progress[-1].val_loss < progress[0].val_loss - 0.2
    recorded = train_gpt.recordings()[train_gpt.recording_key(train_gpt.Params())]
    assert recorded["history"][-1]["val_loss"] == pytest.approx(progress[-1].val_loss, abs=0.02)
