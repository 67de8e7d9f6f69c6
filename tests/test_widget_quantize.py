"""Quantize widget: absmax and min–max by hand, the s/2 error bound, outliers and groups,
and a real Q4_1 block of SmolLM2 checked against gguf's own dequantizer."""

import numpy as np
import pytest
from gguf import GGUFReader
from gguf.quants import dequantize
from hypothesis import given, settings
from hypothesis import strategies as st

from app.engine.gguf_loader import read_q4_1_block
from app.engine.smollm2 import gguf_path
from app.widgets.quantize import Params, compute, quantize
from tests.browser_support import expect, follows_control
from tests.lesson_support import widget

LESSON = "0.42, -1.37, 0.08, 2.54, -0.61, 0.15, -0.03, 0.97"


def test_absmax_int8_by_hand():
    # s = 1/127; 0.5·127 = 63.5 → 64 (tie to even), −1 → −127, 0.25·127 = 31.75 → 32
    r = compute(Params(vector="0.5, -1.0, 0.25", bits=8))
    assert r.codes == [64, -127, 32] and r.groups[0].scale == pytest.approx(1 / 127)
    assert r.reconstruction == pytest.approx([64 / 127, -1.0, 32 / 127])
    assert r.max_abs_error <= r.groups[0].scale / 2


def test_lesson_int8_and_int4():
    r8 = compute(Params(vector=LESSON, bits=8))
    assert r8.codes == [21, -68, 4, 127, -30, 8, -2, 48]
    assert r8.reconstruction == pytest.approx([0.42, -1.36, 0.08, 2.54, -0.60, 0.16, -0.04, 0.96])
    assert r8.max_abs_error == pytest.approx(0.01) and r8.rmse == pytest.approx(0.0079, abs=1e-4)
    r4 = compute(Params(vector=LESSON, bits=4))
    assert r4.groups[0].scale == pytest.approx(2.54 / 7)
    assert r4.codes == [1, -4, 0, 7, -2, 0, 0, 3] and r4.crushed == 3
    assert r4.rmse == pytest.approx(0.0916, abs=1e-4)
    assert [b.rmse for b in r4.by_bits] == sorted((b.rmse for b in r4.by_bits), reverse=True)


def test_lesson_outlier_and_groups():
    r = compute(Params(vector=LESSON, bits=4, outlier=True, outlier_index=4, outlier_factor=10))
    assert r.values[3] == pytest.approx(25.4) and r.outlier_position == 3
    assert r.codes == [0, 0, 0, 7, 0, 0, 0, 0] and r.crushed == 7
    assert r.rmse_others == pytest.approx(0.6965, abs=1e-4)
    r8 = compute(Params(vector=LESSON, bits=8, outlier=True))
    assert r8.groups[0].scale == pytest.approx(0.2)
    assert [r8.reconstruction[i] for i in (2, 6, 5)] == pytest.approx([0, 0, 0.2])
    grouped = compute(Params(vector=LESSON, bits=4, outlier=True, group_size=4))
    assert grouped.codes[4:] == [-4, 1, 0, 7]
    assert grouped.groups[1].scale == pytest.approx(0.97 / 7)
    assert grouped.groups[1].max_abs_error <= 0.056


def test_min_max_by_hand():
    # 2 bits on [0, 1, 2, 3]: d = 3/3 = 1, m = 0; exact. On [1, 2, 4]: d = 1, codes 0, 1, 3.
    assert compute(Params(vector="0,1,2,3", scheme="minmax", bits=2)).max_abs_error == 0
    r = compute(Params(vector="1,2,4", scheme="minmax", bits=2))
    assert r.codes == [0, 1, 3] and r.groups[0].minimum == 1 and r.groups[0].scale == 1


def test_storage_cost_per_weight():
    base = dict(vector=",".join(["1"] * 32), bits=4, group_size=32)
    assert compute(Params(**base)).bits_per_weight == 4.5  # one fp16 scale per 32
    assert compute(Params(**base, scheme="minmax")).bits_per_weight == 5.0  # Q4_1


@settings(max_examples=80, deadline=None)
@given(st.lists(st.floats(-1e3, 1e3), min_size=1, max_size=64), st.integers(2, 8),
       st.sampled_from(["absmax", "minmax"]), st.integers(0, 64))
def test_error_never_exceeds_half_a_step(values, bits, scheme, group):
    x = np.array(values)
    codes, recon, groups = quantize(x, bits, scheme, group)
    for start, stop, scale, _ in groups:
        assert np.max(np.abs(recon[start:stop] - x[start:stop])) <= scale / 2 * (1 + 1e-9) + 1e-12
        lo, hi = (-(2 ** (bits - 1) - 1), 2 ** (bits - 1) - 1) if scheme == "absmax" else (
            0, 2**bits - 1)
        assert lo <= codes[start:stop].min() and codes[start:stop].max() <= hi


@pytest.fixture(scope="module")
def models(app):
    """The app's model owner: a real block is read from the GGUF index it keeps."""
    return app.state.models


@pytest.fixture(scope="module")
def tensors():
    return {t.name: t for t in GGUFReader(gguf_path()).tensors}


@pytest.mark.parametrize(("tensor", "layer", "block"), [
    ("attn_q", 1, 0), ("ffn_down", 30, 27647), ("attn_v", 7, 1234), ("ffn_gate", 15, 9999)])
def test_real_block_equals_gguf_dequantize(models, tensors, tensor, layer, block):
    r = compute(Params(source="real", tensor=tensor, layer=layer, block=block), models)
    b = r.block
    t = tensors[b.gguf_name]
    row = dequantize(t.data[b.row], t.tensor_type)  # gguf's own reference dequantizer
    assert b.values == row[b.first_column:b.first_column + 32].tolist()
    codes = np.array(b.codes)
    assert codes.min() >= 0 and codes.max() <= 15
    assert b.values == pytest.approx((b.d * codes + b.m).tolist(), abs=1e-6)
    # min–max 4-bit on groups of 32 recovers exactly the stored codes
    again = compute(Params(source="real", tensor=tensor, layer=layer, block=block,
                           scheme="minmax", bits=4, group_size=32), models)
    assert again.codes == b.codes and again.max_abs_error < 1e-6


def test_real_block_matches_the_engine_and_the_lesson(models):
    b = compute(Params(source="real"), models).block
    assert (b.d, b.m, b.codes[:8]) == (0.1268310546875, -0.73046875, [5, 7, 5, 0, 15, 5, 6, 11])
    engine = read_q4_1_block(models.gguf_tensors(), "blk.0.attn_q.weight", 0)
    assert (engine["d"], engine["m"], engine["codes"]) == (b.d, b.m, b.codes)
    assert b.n_blocks == 576 * 576 // 32


def test_fragments(client):
    html = client.get("/widgets/quantize?bits=4&outlier=true").text
    assert html.count('class="is-dropped"') == 7 and html.count('class="is-hi"') >= 1
    real = client.get("/widgets/quantize?source=real").text
    assert "blk.0.attn_q.weight" in real and "d = 0.1268310546875" in real
    assert "5 7 5 0 15 5 6 11" in real


@pytest.mark.browser
def test_browser_outlier_and_real_block(page):
    def crushed(result):
        n = result["crushed"]
        return f"{n} nonzero value{'s' if n != 1 else ''} came back as exactly 0"

    follows_control(page, "quantize", "qz-errors", crushed, bits=4, outlier=True)
    page.locator("input[name=source][value=real]").check()
    expect(page.locator("#w-quantize-vector")).to_be_hidden()
    real = widget("quantize", bits=4, outlier=True, source="real")["block"]
    expect(page.get_by_test_id("qz-block")).to_contain_text(real["gguf_name"], timeout=60_000)
