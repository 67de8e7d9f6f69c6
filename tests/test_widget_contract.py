"""Every registered widget refuses bad input the same way: a 422 whose message names
the parameter, from the JSON route and from the htmx fragment alike.

The bad values are derived from each params model's own limits (one past each bound,
too long a text, a word where a number goes, a choice that does not exist), so a new
widget or a new parameter is covered without a line here. Messages a widget writes
itself (a vector that does not parse, heads that do not divide d_model) are listed
in ``MESSAGES``.
"""

import html
import types
import typing
from typing import Literal

import annotated_types
import pytest

from app.widgets import registry


def _scalar(annotation):
    """``int | None`` -> ``int``; other annotations unchanged."""
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        return next(a for a in typing.get_args(annotation) if a is not type(None))
    return annotation


def _bad_values(info) -> list[tuple[str, str, str]]:
    """(what is wrong, value, words the message must hold) for values the field's own
    validation must refuse."""
    kind = _scalar(info.annotation)
    limits = {type(m): m for m in info.metadata}
    step = getattr(limits.get(annotated_types.MultipleOf), "multiple_of", 1)  # stay on the grid
    if kind in (int, float):
        bad = [("not a number", "many", "valid integer" if kind is int else "valid number")]
        if kind is float:
            bad += [("infinite", "inf", "finite"), ("NaN", "nan", "finite")]
        if annotated_types.Ge in limits:
            bad.append(("below its minimum", repr(kind(limits[annotated_types.Ge].ge - step)),
                        "greater than or equal to"))
        if annotated_types.Gt in limits:
            bad.append(("at its exclusive minimum", repr(kind(limits[annotated_types.Gt].gt)),
                        "greater than"))
        if annotated_types.Le in limits:
            bad.append(("above its maximum", repr(kind(limits[annotated_types.Le].le + step)),
                        "less than or equal to"))
        return bad
    if kind is bool:
        return [("not yes or no", "perhaps", "valid boolean")]
    if typing.get_origin(kind) is Literal:
        return [("not one of its choices", "no-such-choice", "Input should be")]
    if kind is str:
        bad = []
        if annotated_types.MaxLen in limits:
            most = limits[annotated_types.MaxLen].max_length
            bad.append(("too long", "x" * (most + 1), f"at most {most} characters"))
        if annotated_types.MinLen in limits:
            bad.append(("empty", "", ""))
        return bad
    return []  # lists: each widget checks its own items (see MESSAGES)


CASES = [
    pytest.param(name, field, value, words, id=f"{name}-{field}-{what.replace(' ', '-')}")
    for name, spec in registry().items()
    for field, info in spec.params.model_fields.items()
    for what, value, words in _bad_values(info)
]


def assert_refused(client, name: str, params, *words: str) -> None:
    """Both routes of the widget answer 422, and both messages hold each of ``words``."""
    api = client.get(f"/api/widgets/{name}", params=params)
    assert api.status_code == 422, api.text[:300]
    fragment = client.get(f"/widgets/{name}", params=params)
    assert fragment.status_code == 422, fragment.text[:300]
    assert "Check your input" in fragment.text
    for message in (api.json()["error"], html.unescape(fragment.text)):
        assert all(w in message for w in words), message


def test_every_widget_has_values_to_refuse():
    """A widget whose parameters carry no limits at all would be missing here."""
    names = {case.values[0] for case in CASES}
    assert names == set(registry()), set(registry()) - names


@pytest.mark.parametrize(("name", "field", "value", "words"), CASES)
def test_a_bad_value_is_a_422_naming_the_parameter(client, name, field, value, words):
    assert_refused(client, name, {field: value}, f"{field}: ", words)


# Messages a widget writes itself, for input its params model alone cannot refuse:
# (widget, query, words the message must hold).
LONG_PROMPT = "1" * 70  # every digit is its own SmolLM2 token: 70 tokens, over the 64 cap
MESSAGES = [
    ("activations", "show=", "tick at least one"),
    ("activations", "show=softplus", "unknown function 'softplus'"),
    ("activations", "x_min=2&x_max=1", "x_max must exceed x_min"),
    ("additive", "keys=1,2;3,4", "keys have 2 numbers each but q has 4"),
    ("additive", "wq=1,0,0,0;0,1,0,0", "wq must be d_a×d = 3×4"),
    ("additive", "wk=1,0,0;0,1,0;0,0,1", "wk must be d_a×d = 3×4"),
    ("additive", "v=1,1", "wq must be d_a×d = 2×4"),
    ("additive", "q=1,2,3,4,5,6,7,8,9", "q: expected 1–8"),
    ("additive", "keys=" + ";".join(["1,0,0,1"] * 9), "1–8 rows"),
    ("additive", "q=1,2,nan,4", "finite"),
    ("attention", "sentence=%20%20%20", "type at least one word"),
    ("attention", {"sentence": "word " * 31}, "limit is 32"),
    ("attention-patterns", "n=8&global_tokens=9", "global_tokens: at most n = 8"),
    ("bpe", "corpus=%20%20%20", "corpus: type some words"),
    ("causal-mask", "scores=1,2;3,4&sentence=Hello", "not both"),
    ("causal-mask", "scores=1,2,3;4,5,6", "square"),
    ("causal-mask", "scores=1,2;3", "row 2"),
    ("causal-mask", "scores=1,x;3,4", "not a number"),
    ("causal-mask", "scores=1,1e4;3,4", "between"),
    ("causal-mask", "scores=" + ";".join([",".join(["0"] * 13)] * 13), "scores"),
    ("causal-mask", "source=sentence&sentence=%20%20", "type at least one word"),
    ("causal-mask", {"sentence": "word " * 31}, "limit is 32"),
    ("embeddings", "word=ZZZZ", "splits 'ZZZZ' into 3 pieces (z ##zz ##z)"),
    ("embeddings", "word=two words", "exactly one word"),
    ("embeddings", "shared_word=moles", "splits 'moles' into 2 pieces"),
    ("embeddings", "sentence_2=Nothing to see here.", "sentence 2: 'mole' is not one of its"),
    ("embeddings", "sentence_3=Moles everywhere.", "sentence 3"),
    ("embeddings", {"sentence_1": "mole " * 31}, "limit is 32"),
    ("kv-cache", "heads=32&kv_heads=6", "kv_heads (6) must divide heads (32)"),
    ("kv-cache", "heads=8&kv_heads=16", "must divide heads"),
    ("kv-cache", "d_model=4001&heads=32", "heads (32) must divide d_model (4001)"),
    ("lora", "model=smollm2-135m&rank=200&matrices=k",
     "rank 200 is larger than W_K (key)'s smaller side (192)"),
    ("lora", "matrices=x", "unknown matrix 'x'"),
    ("lora", "matrices=", "tick at least one matrix"),
    ("lora", "model=gpt2-small&matrices=gate", "this model has no MLP gate"),
    ("lora", "matrices=q&" * 9, "at most 8 items"),
    ("lr-schedule", "warmup_steps=100000",
     "warm-up (100,000 steps) must be shorter than the run (100,000)"),
    ("lr-schedule", "at_step=100001", "the readout step (100,001) is after the last step"),
    ("moe-router", "experts=4&top_k=5", "top_k: at most the number of experts (4)"),
    ("moe-router", "source=custom&logits=1,2&top_k=3", "top_k: at most the number of experts (2)"),
    ("moe-router", "source=custom&logits=1,2;3", "row 2 has 1 numbers but 2 are needed"),
    ("moe-router", "source=custom&logits=1,x", "is not a number"),
    ("moe-router", "source=custom&logits=" + ",".join(["1"] * 17), "expected 1–16 numbers"),
    ("moe-router", "source=custom&logits=" + ";".join(["1"] * 65), "expected 1–64 rows"),
    ("moe-router", "experts=4&bias_expert=5", "bias_expert: choose 0–4"),
    ("moe-router", "preset=custom&heads=7", "heads must divide d_model"),
    ("moe-router", "preset=custom&kv_heads=5", "kv_heads must divide heads"),
    ("multi-head", "d_model=100&n_heads=3", "must divide"),
    ("multi-head", {"sentence": "word " * 31}, "limit is 32"),
    ("normalization", "x=1", "expected 2–16 numbers, got 1"),
    ("normalization", "x=" + ",".join(["1"] * 17), "expected 2–16 numbers, got 17"),
    ("normalization", "x=1,two,3", "item 2 ('two') is not a number"),
    ("normalization", "x=1,,3", "item 2 ('') is not a number"),
    ("normalization", "x=", "give at least 2 number"),
    ("normalization", "x=1,nan", "must be a finite number"),
    ("normalization", "x=1,20000", "between -10000 and 10000"),
    ("normalization", "x=1,2,3&gamma=1,2", "give one number, or 3"),
    ("normalization", "x=1,2,3&beta=1,2,3,4", "give one number, or 3"),
    ("normalization", "gamma=500", "between -100 and 100"),
    ("online-softmax", "scores=", "scores: give at least 1 number"),
    ("online-softmax", "scores=1,x", "scores: item 2 ('x') is not a number"),
    ("online-softmax", "scores=" + ",".join(["1"] * 65), "expected 1–64 numbers"),
    ("online-softmax", "scores=1e5", "between"),
    ("online-softmax", "scores=1,2&values=1", "values: 1 values for 2 scores"),
    ("online-softmax", "values=1,2,3,y", "values: item 4"),
    ("online-softmax", "sram_kib=1&head_dim=1024", "fewer than 4·d = 4096"),
    ("param-count", "heads=7&d_model=768", "heads (7) must divide d_model (768)"),
    ("param-count", "style=llama&heads=12&kv_heads=5", "kv_heads (5) must divide heads (12)"),
    ("positional", "d_model=7", "d_model must be even"),
    ("positional", "length=10&p1=10", "p1 = 10 is past the last position (9)"),
    ("positional", "length=10&p1=2&p2=12", "p2 = 12 is past"),
    ("qkv", "q=1,2,3&k=1,2", "k has 2 numbers but q has 3"),
    ("qkv", "q=1,2&k=1,2&others=1,2;1,2,3", "others vector 2 has 3 numbers but 2"),
    ("qkv", "q=1,2,3&k=1,2,3&others=1,2", "others vector 1 has 2 numbers but q has 3"),
    ("qkv", "q=" + ",".join(["1"] * 17) + "&k=" + ",".join(["1"] * 17), "q: expected 1–16"),
    ("qkv", "q=a,b&k=1,2", "not a number"),
    ("qkv", "q=&k=1", "at least"),
    ("qkv", "q=1&k=1&others=" + ";".join(["1"] * 16), "1–15 vectors"),
    ("qkv", "q=1&k=1&others=1&values=1;2;3", "3 vectors given but there are 2 keys"),
    ("qkv", "q=1&k=1&others=1&values=1;2,3", "values vector 2 has 2 numbers"),
    ("qkv", "q=1e9&k=1", "between"),
    ("qkv", "q=nan&k=1", "finite"),
    ("qkv-steps", "x=1,2;3,4", "x: row 1 has 2 numbers but 3 are needed"),
    ("qkv-steps", "tokens=a,b", "tokens: give 4 non-empty labels"),
    ("qkv-steps", "tokens=a,,c,d", "non-empty"),
    ("qkv-steps", "wq=1,0,0;0,1,0", "must be square"),
    ("qkv-steps", "wk=1,0,0;0,1,0;0,0,1;1,1,1", "1–3 rows"),
    ("qkv-steps", "wv=1,0,x;0,1,0;0,0,1", "not a number"),
    ("qkv-steps", "x=" + ";".join(["1,1,1"] * 9) + "&tokens=" + ",".join("abcdefghi"), "1–8 rows"),
    ("qkv-steps", "x=1000,0,0;0,1,0;0,0,1;1,1,1", "between"),
    ("quantize", "vector=", "vector: give at least 1 number"),
    ("quantize", "vector=1,zz", "item 2 ('zz') is not a number"),
    ("quantize", "vector=" + ",".join(["1"] * 65), "expected 1–64 numbers"),
    ("quantize", "vector=1e7", "between"),
    ("quantize", "outlier=true&outlier_index=9", "outlier_index: choose 1–8"),
    ("quantize", "source=real&block=10368", "block: choose 0–10367"),
    ("quantize", "source=real&tensor=attn_k&block=3456", "block: choose 0–3455"),
    ("rope", "d=7", "d must be even"),
    ("rope", "vectors=typed&d=4&q=1,2&k=1,2,3,4", "q: expected 4 numbers, got 2"),
    ("rope", "vectors=typed&d=2&q=1,2&k=1,x", "item 2 ('x') is not a number"),
    ("rope", "vectors=typed&d=2&q=1,2&k=1,500", "between -100 and 100"),
    ("rope", "vectors=typed&d=2&q=&k=1,2", "give at least 2 number"),
    ("rope", "m=90000&shift=20000", "positions after the move must stay"),
    ("sampling", "logits=1,a", "item 2 ('a') is not a number"),
    ("sampling", "logits=" + ",".join(["1"] * 65) + "&tokens=", "expected 1–64 numbers"),
    ("sampling", "logits=1e5&tokens=x", "between"),
    ("sampling", "logits=1,2&tokens=a", "2 logits"),
    ("sampling", "logits=1,2&tokens=a," + "b" * 25, "name 2 must be 1–24 characters"),
    ("sampling", "logits=1,2&tokens=a,", "name 2 must be"),
    ("sampling", "temperature=1e-310", "temperature: use 0 (greedy) or at least 0.01"),
    ("sampling", "source=model&prompt=%20", "prompt: type at least one word"),
    ("sampling", {"source": "model", "prompt": LONG_PROMPT}, "70 tokens is too long"),
    ("scaling", "params_b=2.2e-313", "greater than or equal to 0.000001"),  # subnormal
    ("softmax", "logits=1,abc", "item 2 ('abc') is not a number"),
    ("softmax", "logits=1,nan", "finite"),
    ("softmax", "logits=", "at least 1"),
    ("softmax", "logits=" + ",".join(["1"] * 65), "expected 1–64 numbers, got 65"),
    ("training-memory", "hidden=100&heads=3", "heads (3) must divide the hidden size (100)"),
    ("next-token", "prompt=", "prompt"),
    ("next-token", "prompt=%20%20%20", "prompt"),
    ("next-token", {"prompt": LONG_PROMPT}, "64"),
    ("tokenize", "text=", "text"),
    ("tokenize", "text=%20%20", "text"),
    ("lm-attention", "layer=31", "1–30"),
    ("lm-attention", "head=10", "1–9"),
    ("lm-attention", "prompt=", "prompt"),
    ("lm-attention", {"prompt": LONG_PROMPT}, "64"),
    ("generate", "prompt=", "prompt"),
    ("generate", {"prompt": LONG_PROMPT}, "64"),
    ("generate", "kv_cache=false&max_tokens=64", "KV cache"),
    ("logit-lens", "prompt=", "prompt"),
    ("logit-lens", {"prompt": LONG_PROMPT}, "70 tokens is too long"),
]


@pytest.mark.parametrize(("name", "query", "words"), MESSAGES,
                         ids=[f"{m[0]}-{i}" for i, m in enumerate(MESSAGES)])
def test_a_widget_says_what_is_wrong(client, name, query, words):
    assert_refused(client, name, query, words)
