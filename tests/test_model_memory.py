"""One owner for model memory: :class:`app.engine.Models` keeps the models and what is
built from them (the explorer's traced passes, the GGUF tensor index), and its byte
budget (``/healthz``) counts every cache of model data."""

import pytest

from app.engine import Models, work
from app.engine.explore_trace import CACHE_BYTES


def model_caches(models: Models) -> list:
    """The loaded models' own caches (traces, logits, results, sentences)."""
    return [c for name in models.loaded() for c in getattr(models, name)().caches()]


def test_the_explorers_passes_belong_to_models_and_count_in_the_budget(app, client):
    models = app.state.models
    r = client.get("/api/widgets/explore", params={"prompt": "Memory has one owner"})
    assert r.status_code == 200
    passes = models.explore_passes()
    assert passes is models.explore_passes() and passes.nbytes > 0  # the request's pass
    held, budget = models.cache_bytes()
    own = model_caches(models)
    assert held == sum(c.nbytes for c in own) + passes.nbytes
    assert budget == sum(c.max_bytes for c in own) + CACHE_BYTES
    health = client.get("/healthz").json()
    assert health["model_cache_budget_mib"] == round(budget / 2**20, 1)


def test_each_models_has_its_own_passes():
    assert Models().explore_passes() is not Models().explore_passes()


def test_the_gguf_index_is_kept_and_never_parsed_in_cached_only_work(app):
    fresh = Models()
    with work.limited(cached_only=True), pytest.raises(work.NotCached):
        fresh.gguf_tensors()  # parsing takes seconds: a cached-only request queues instead
    models = app.state.models
    index = models.gguf_tensors()
    assert "blk.0.attn_q.weight" in index and models.gguf_tensors() is index
    with work.limited(cached_only=True):
        assert models.gguf_tensors() is index  # held: answered without queueing
