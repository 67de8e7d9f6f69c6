"""Training memory: the ZeRO paper's Figure 1 example, and activations by hand."""

import pytest

from app.widgets.training_memory import PRESETS, Params, compute
from tests.browser_support import expect

LLAMA = PRESETS["llama2-7b"][1]
GPT3 = PRESETS["gpt3-175b"][1]

PSI = 7.5e9


def test_zero_paper_figure_1_example():
    # Rajbhandari et al. 2019, Figure 1: Ψ = 7.5B, N_d = 64, K = 12 (mixed-precision Adam)
    stages = compute(Params(params_b=7.5, gpus=64)).stages
    by_hand = [16 * PSI, 4 * PSI + 12 * PSI / 64, 2 * PSI + 14 * PSI / 64, 16 * PSI / 64]
    assert [s.model_state for s in stages] == pytest.approx(by_hand, rel=1e-12)
    assert [s.model_state / 1e9 for s in stages] == pytest.approx([120, 31.40625, 16.640625,
                                                                    1.875])
    assert [round(s.model_state / 1e9, 1) for s in stages] == [120.0, 31.4, 16.6, 1.9]
    assert [s.formula for s in stages] == ["16Ψ", "(4 + 12/N)Ψ", "(2 + 14/N)Ψ", "16Ψ/N"]


def test_stage_parts_and_fp32():
    s2 = compute(Params(params_b=1, gpus=4)).stages[2]
    assert (s2.weights, s2.gradients, s2.optimizer) == (2e9, 0.5e9, 3e9)  # 2Ψ, 2Ψ/4, 12Ψ/4
    fp32 = compute(Params(params_b=1, gpus=4, precision="fp32"))
    assert (fp32.bytes_weights, fp32.bytes_grads, fp32.bytes_optimizer) == (4, 4, 8)
    assert [s.model_state for s in fp32.stages] == pytest.approx(
        [16e9, (8 + 8 / 4) * 1e9, (4 + 12 / 4) * 1e9, 16e9 / 4])


def test_bf16_keeps_the_same_bytes_as_fp16():
    fp16 = compute(Params(**LLAMA, gpus=8))
    bf16 = compute(Params(**LLAMA, gpus=8, precision="bf16"))
    assert [s.model_state for s in fp16.stages] == [s.model_state for s in bf16.stages]
    assert "range" in bf16.precision_note


def test_llama2_7b_on_8_gpus_matches_lesson_25():
    result = compute(Params(**LLAMA, gpus=8))
    assert result.params == 6_738_415_616 and result.layers == 32
    assert [f"{s.model_state / 1e9:.1f}" for s in result.stages] == ["107.8", "37.1", "25.3",
                                                                      "13.5"]


def test_activations_by_hand_for_gpt3():
    # s·b·h = 2048·1·12288 = 25,165,824; 5·a·s/h = 5·96·2048/12288 = 80
    none = compute(Params(**GPT3))
    assert none.activations == 96 * 25_165_824 * (34 + 80) == 275_414_777_856
    selective = compute(Params(**GPT3, recompute="selective"))
    assert selective.activations == 96 * 34 * 25_165_824
    full = compute(Params(**GPT3, recompute="full", micro_batch=4))
    assert full.activations == 96 * 2 * 4 * 25_165_824
    fp32 = compute(Params(**GPT3, recompute="full", precision="fp32"))
    assert fp32.activations == 2 * 96 * 2 * 25_165_824


def test_fits_compares_the_total_with_the_gpu():
    # Ψ = 10⁹ on 2 GPUs: stage 1 holds (4 + 12/2)Ψ = 10 GB of model state, plus activations
    shape = dict(params_b=1, gpus=2, layers=1, hidden=64, heads=1, seq_len=1)
    result = compute(Params(**shape, gpu_memory_gb=10))
    act = 64 * (34 + 5 / 64)  # s·b·h·(34 + 5as/h) bytes with s = b = a = 1, h = 64
    assert result.activations == pytest.approx(act)
    assert result.stages[1].total == pytest.approx(10e9 + act)
    assert [s.fits for s in result.stages] == [False, False, True, True]
    roomier = compute(Params(**shape, gpu_memory_gb=10.00001))  # 10,000 bytes more
    assert [s.fits for s in roomier.stages] == [False, True, True, True]


def test_json_and_fragment(client):
    data = client.get("/api/widgets/training-memory?params_b=7.5&gpus=64").json()
    assert [round(s["model_state"] / 1e9, 1) for s in data["stages"]] == [120.0, 31.4, 16.6, 1.9]
    html = client.get("/widgets/training-memory?params_b=7.5&gpus=64&stage=2").text
    assert 'data-testid="tm-state-1"><strong>31.4 GB' in html
    assert 'data-testid="tm-state-3"><strong>1.9 GB' in html and "Korthikanti" in html


@pytest.mark.browser
def test_in_the_browser_llama_on_8_gpus(page):
    page.goto("/playground/training-memory")
    expect(page.get_by_test_id("tm-state-1")).to_have_text("31.4 GB", timeout=10_000)
    page.select_option("#w-training-memory-presets", "llama2-7b")
    expect(page.locator("#w-training-memory-seq_len")).to_have_value("4096")
    page.locator("#w-training-memory-gpus").fill("8")
    expect(page.get_by_test_id("tm-state-3")).to_have_text("13.5 GB", timeout=10_000)
    expect(page.get_by_test_id("tm-state-0")).to_have_text("107.8 GB")
