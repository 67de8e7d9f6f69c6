"""Core widgets in a real browser: moving a control changes what the learner sees."""

import re

import pytest

from tests.browser_support import expect

pytestmark = pytest.mark.browser

TIMEOUT_MS = 10_000


def set_slider(page, selector: str, value: str) -> None:
    """Set a range input as a drag would: the value, then input and change events."""
    page.locator(selector).fill(value)
    page.locator(selector).dispatch_event("input")
    page.locator(selector).dispatch_event("change")


def test_softmax_temperature_changes_entropy(page):
    page.goto("/playground/softmax")
    entropy = page.get_by_test_id("entropy")
    expect(entropy).to_be_visible(timeout=TIMEOUT_MS)
    before = entropy.inner_text()
    bars_before = page.locator("#w-softmax-result .bar-value").all_text_contents()
    set_slider(page, "#w-softmax-temperature", "4")
    expect(entropy).not_to_have_text(before, timeout=TIMEOUT_MS)
    expect(page.locator("output[data-mirror='w-softmax-temperature']")).to_have_text("4")
    assert page.locator("#w-softmax-result .bar-value").all_text_contents() != bars_before
    # Hotter means flatter: entropy rises.
    assert float(entropy.inner_text().split()[0]) > float(before.split()[0])


def test_qkv_slider_changes_score_and_weight(page):
    page.goto("/playground/qkv")
    scaled = page.get_by_test_id("qkv-scaled")
    weight = page.get_by_test_id("qkv-weight")
    expect(scaled).to_have_text("0.500", timeout=TIMEOUT_MS)
    expect(weight).to_have_text("0.257")
    set_slider(page, "#w-qkv-q-1", "2")  # q = (2, 1, 0, 0): q·k = 2.5, ÷2 = 1.25
    expect(scaled).to_have_text("1.250", timeout=TIMEOUT_MS)
    expect(weight).not_to_have_text("0.257")
    expect(page.locator("output[data-mirror='w-qkv-q-1']")).to_have_text("2")
    # The vector's readout and the shared link follow the four sliders.
    expect(page.locator("[data-vector-readout='w-qkv-q']")).to_have_text("[2, 1, 0, 0]")
    # The playground's address holds the new state (replaced, not pushed).
    expect(page).to_have_url(re.compile(r"q=2(%2C|,)1(%2C|,)0(%2C|,)0"), timeout=TIMEOUT_MS)


def test_kv_cache_preset_updates_figure(page):
    page.goto("/playground/kv-cache")
    gib = page.get_by_test_id("kv-gib")
    expect(gib).to_have_text("16.00 GiB", timeout=TIMEOUT_MS)
    # Llama 3 70B: 2·80·8·128·131072·2 B = 40 GiB.
    page.select_option("#w-kv-cache-presets", "llama3-70b")
    expect(gib).to_have_text("40.00 GiB", timeout=TIMEOUT_MS)
    expect(page.locator("#w-kv-cache-layers")).to_have_value("80")
    # GPT-3 is multi-head: GQA bar equals MHA. 2·96·96·128·131072·2 B = 576 GiB.
    page.select_option("#w-kv-cache-presets", "gpt3-175b")
    expect(gib).to_have_text("576.00 GiB", timeout=TIMEOUT_MS)
    # A hand edit returns the picker to "custom".
    page.locator("#w-kv-cache-layers").fill("48")
    expect(page.locator("#w-kv-cache-presets")).to_have_value("")
    expect(gib).to_have_text("288.00 GiB", timeout=TIMEOUT_MS)


def test_cross_attention_click_target_word(page):
    page.goto("/playground/cross-attention")
    aligned = page.get_by_test_id("xa-aligned")
    expect(aligned).to_have_text("black", timeout=TIMEOUT_MS)  # default: noir
    page.locator(".xa-pick", has_text="chat").click()
    expect(aligned).to_have_text("cat", timeout=TIMEOUT_MS)
