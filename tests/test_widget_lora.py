"""LoRA counter: r·(d_in + d_out) per matrix, Hu et al.'s 18M budget."""

import pytest

from app.widgets.lora import Params, compute
from tests.browser_support import expect

LLAMA_TOTAL = 6_738_415_616


@pytest.mark.parametrize(("rank", "matrices"), [(8, ["q"]), (4, ["q", "v"]),
                                                (2, ["q", "k", "v", "o"])])
def test_hu_et_al_gpt3_18m_budget(rank, matrices):
    # Hu et al. 2021, §7.1 / Table 5: an 18M budget on GPT-3 175B is r = 8 on one type of
    # attention matrix, r = 4 on two, r = 2 on four, in all 96 layers (12288 × 12288 each).
    result = compute(Params(model="gpt3-175b", rank=rank, matrices=matrices))
    assert result.trainable == 96 * 2 * 4 * (12288 + 12288) == 18_874_368
    assert result.adapter_fp16_bytes == 37_748_736


def test_llama2_7b_query_and_value_rank_8():
    result = compute(Params())  # defaults: Llama 2 7B, r = 8, W_Q and W_V
    assert result.per_layer == 2 * 8 * (4096 + 4096) == 131_072
    assert result.trainable == 32 * 131_072 == 4_194_304
    assert result.model_params == LLAMA_TOTAL
    assert f"{result.share_of_model:.3%}" == "0.062%"
    assert result.adapter_fp16_bytes == 8_388_608  # about 8.4 MB
    assert result.adapter_training_bytes == 16 * 4_194_304  # about 67 MB
    assert round(result.base_fp16_bytes / 1e9, 1) == 13.5


def test_llama2_7b_all_seven_matrices_rank_16():
    result = compute(Params(rank=16, matrices=["q", "k", "v", "o", "gate", "up", "down"]))
    assert result.per_layer == 16 * (4 * (4096 + 4096) + 3 * (4096 + 11_008)) == 1_249_280
    assert result.trainable == 39_976_960
    assert f"{result.share_of_model:.2%}" == "0.59%"
    assert {a.name: (a.d_in, a.d_out) for a in result.adapted}["down"] == (11_008, 4096)


def test_smollm2_grouped_kv_is_narrower():
    result = compute(Params(model="smollm2-135m"))
    v = next(a for a in result.adapted if a.name == "v")
    assert (v.d_in, v.d_out) == (576, 192)  # 3 K/V heads of 64
    assert result.trainable == 30 * 8 * ((576 + 576) + (576 + 192)) == 460_800
    assert result.model_params == 134_515_008
    assert result.share_of_model > 5 * compute(Params()).share_of_model  # 0.34% vs 0.062%


def test_doubling_the_rank_doubles_the_adapter_not_the_base():
    r8, r16 = compute(Params(rank=8)), compute(Params(rank=16))
    assert r16.trainable == 2 * r8.trainable
    assert r16.base_fp16_bytes == r8.base_fp16_bytes == 2 * LLAMA_TOTAL


def test_gpt_style_has_no_gate():
    result = compute(Params(model="gpt2-small", matrices=["gate", "up", "", "up"]))
    assert [a.name for a in result.adapted] == ["up"] and result.skipped == ["MLP gate"]
    assert result.trainable == 12 * 8 * (768 + 3072)


def test_json_and_fragment(client):
    data = client.get("/api/widgets/lora?model=gpt3-175b&rank=4&matrices=q&matrices=v").json()
    assert data["trainable"] == 18_874_368
    html = client.get("/widgets/lora?matrices=q&matrices=v").text
    assert "4,194,304" in html and "0.062%" in html and "8,388,608 bytes" in html


@pytest.mark.browser
def test_in_the_browser_adding_the_mlp(page):
    page.goto("/playground/lora")
    total = page.get_by_test_id("lora-total")
    expect(total).to_have_text("4,194,304", timeout=10_000)
    for i, name in enumerate(("MLP gate", "MLP up", "MLP down"), start=1):
        button = page.locator("#w-lora-result button.lora-toggle", has_text=name)
        button.click()  # each adds 32·8·(4096 + 11,008) = 3,866,624
        expect(total).to_have_text(f"{4_194_304 + i * 3_866_624:,}", timeout=10_000)
        expect(button).to_have_attribute("aria-pressed", "true")
    expect(page.locator("#w-lora-matrices")).to_have_value("q,v,gate,up,down")
    page.select_option("#w-lora-model", "gpt3-175b")
    expect(page.locator("#w-lora-result")).to_contain_text("Not in this model: MLP gate")


def test_matrices_as_one_comma_separated_value_as_the_shell_sends_them(client):
    one = client.get("/api/widgets/lora?matrices=q,v").json()
    assert one["trainable"] == 4_194_304 and one["chosen"] == "q,v"
    toggles = {t["name"]: t for t in one["toggles"]}
    assert toggles["k"]["value"] == "q,k,v" and toggles["q"]["value"] == "v"
