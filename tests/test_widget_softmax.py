"""The softmax widget: worked example, properties, and the JSON contract."""

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.widgets.softmax import Params, compute

logits_st = st.lists(st.floats(-50, 50, allow_nan=False), min_size=1, max_size=64)


def test_worked_example_by_hand():
    # exp(3.2/0.5)=601.845, exp(2)=7.389, exp(0.4)=1.492, exp(-3)=0.0498; sum=610.776
    result = compute(Params(logits="3.2,1.0,0.2,-1.5", temperature=0.5))
    expected = [601.8450 / 610.7763, 7.3891 / 610.7763, 1.4918 / 610.7763, 0.0498 / 610.7763]
    assert result.probabilities == pytest.approx(expected, abs=1e-5)
    entropy = -sum(p * math.log2(p) for p in expected)
    assert result.entropy_bits == pytest.approx(entropy, abs=1e-4)


@given(logits_st, st.floats(0.01, 100))
def test_probabilities_sum_to_one_and_are_shift_invariant(logits, temperature):
    text = ",".join(repr(x) for x in logits)
    shifted = ",".join(repr(x + 7.5) for x in logits)
    a = compute(Params(logits=text, temperature=temperature)).probabilities
    b = compute(Params(logits=shifted, temperature=temperature)).probabilities
    assert sum(a) == pytest.approx(1.0, abs=1e-6)
    assert a == pytest.approx(b, abs=1e-6)


@given(st.lists(st.integers(-20, 20), min_size=2, max_size=10, unique=True))
def test_low_temperature_approaches_one_hot(logits):
    probs = compute(Params(logits=",".join(map(str, logits)), temperature=0.01)).probabilities
    assert probs[int(np.argmax(logits))] > 0.999


def test_high_temperature_approaches_uniform():
    probs = compute(Params(logits="3,1,0,-2", temperature=100)).probabilities
    assert probs == pytest.approx([0.25] * 4, abs=0.02)


def test_huge_logits_do_not_overflow():
    probs = compute(Params(logits="10000,9999", temperature=0.01)).probabilities
    assert probs == pytest.approx([1.0, 0.0], abs=1e-9)


def test_json_contract(client):
    data = client.get("/api/widgets/softmax?logits=3.2,1.0,0.2,-1.5&temperature=0.5").json()
    assert set(data) == {"logits", "temperature", "probabilities", "entropy_bits",
                         "max_entropy_bits", "argmax", "labels"}
    assert data["logits"] == [3.2, 1.0, 0.2, -1.5] and data["temperature"] == 0.5
    assert data["probabilities"][0] == pytest.approx(0.98538, abs=1e-5)
    # The figures the template shows are computed here, not in Jinja.
    assert data["argmax"] == int(np.argmax(data["probabilities"])) == 0
    assert data["max_entropy_bits"] == pytest.approx(np.log2(4))


def test_fragment_escapes_and_renders_bars(client):
    html = client.get("/widgets/softmax?logits=2,1&temperature=1").text
    assert html.count('class="bar ') >= 2 and "0.731" in html
