"""SmolLM2 widgets in a real browser: candidates extend the prompt, generation streams,
changing the head redraws the heatmap. The live server loads the model on first use."""

import pytest

from tests.browser_support import expect

pytestmark = pytest.mark.browser

# The first request in the server process reads and dequantizes the GGUF (a few seconds,
# more on a busy machine), so the first wait is generous.
FIRST_MS = 60_000
TIMEOUT_MS = 20_000


def test_clicking_a_candidate_extends_the_prompt(page):
    page.goto("/playground/next-token")
    first = page.get_by_test_id("nt-candidate").first
    expect(first).to_be_visible(timeout=FIRST_MS)
    expect(page.get_by_test_id("nt-count")).to_have_text("5 tokens")
    # The top candidate sets the prompt to the prompt plus its text (computed on the server).
    assert first.get_attribute("data-set-field") == "prompt"
    assert first.get_attribute("data-value") == "The capital of France is Paris"
    first.click()
    expect(page.locator("#w-next-token-prompt")).to_have_value("The capital of France is Paris")
    expect(page.get_by_test_id("nt-count")).to_have_text("6 tokens", timeout=TIMEOUT_MS)
    # The new candidates belong to the longer prompt, and focus lands on the first of them,
    # so the keyboard works too: one more token.
    expect(page.get_by_test_id("nt-candidate").first).to_be_focused(timeout=TIMEOUT_MS)
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("nt-count")).to_have_text("7 tokens", timeout=TIMEOUT_MS)


def test_generation_streams_tokens_into_the_page(page):
    page.goto("/playground/generate")
    page.locator("#w-generate-prompt").fill("The three primary colours are")
    page.locator("#w-generate-max_tokens").fill("12")
    page.locator("#w-generate-max_tokens").dispatch_event("input")
    expect(page.get_by_test_id("gen-static")).to_contain_text("The three primary colours are",
                                                             timeout=FIRST_MS)
    page.get_by_test_id("gen-live").click()
    run = page.get_by_test_id("gen-run").first
    expect(run).to_be_visible(timeout=TIMEOUT_MS)
    tokens = run.locator(".gen-token")
    expect(tokens.first).to_be_visible(timeout=FIRST_MS)
    expect(run.get_by_test_id("gen-done")).to_contain_text("ms/token", timeout=FIRST_MS)
    count = tokens.count()
    assert 1 <= count <= 12
    assert "with the KV cache" in run.get_by_test_id("gen-done").inner_text()
    outputs_before = run.get_by_test_id("gen-output").inner_text()
    # The same settings without the cache stream a new run.
    page.locator("#w-generate-kv_cache").uncheck()
    newest = page.get_by_test_id("gen-run").first
    expect(newest.get_by_test_id("gen-done")).to_contain_text("without the KV cache",
                                                              timeout=FIRST_MS)
    # same seed, same sampling settings: the cache changes the speed, not the text
    assert newest.get_by_test_id("gen-output").inner_text() == outputs_before


def test_changing_the_head_redraws_the_heatmap(page):
    page.goto("/playground/lm-attention")
    heatmap = page.get_by_test_id("lm-heatmap")
    expect(heatmap).to_have_attribute("data-head", "4", timeout=FIRST_MS)
    expect(page.get_by_test_id("lm-kv-head")).to_have_text("2")
    cells = "cells => cells.map(c => c.className).join()"
    cells_before = heatmap.locator("td").evaluate_all(cells)
    page.locator("#w-lm-attention-head").fill("8")
    page.locator("#w-lm-attention-head").dispatch_event("input")
    expect(heatmap).to_have_attribute("data-head", "8", timeout=TIMEOUT_MS)
    expect(page.get_by_test_id("lm-kv-head")).to_have_text("3")
    assert page.get_by_test_id("lm-heatmap").locator("td").evaluate_all(cells) != cells_before
    # clicking a token shows its row
    page.get_by_test_id("lm-query").nth(2).click()
    expect(page.get_by_test_id("lm-query").nth(2)).to_have_attribute("aria-pressed", "true",
                                                                      timeout=TIMEOUT_MS)
    expect(page.get_by_test_id("lm-row")).to_contain_text("Token 3")


def test_a_long_run_set_up_from_a_lesson_streams(page):
    """Lesson 29's "Generate 64 tokens greedily" asks for more than one request may compute
    (20 tokens), so its set-up link turns the live stream on: all 64 arrive, no error."""
    from app.widgets.generate import MAX_WHOLE_RUN_TOKENS

    page.goto("/modules/29")
    widget = page.locator("#w-greedy")
    static_tokens = widget.get_by_test_id("gen-static").locator(".gen-token")
    expect(static_tokens).to_have_count(MAX_WHOLE_RUN_TOKENS, timeout=FIRST_MS)
    page.get_by_role("link", name="Generate 64 tokens greedily").click()
    run = widget.get_by_test_id("gen-run").first
    expect(run.get_by_test_id("gen-done")).to_contain_text("64 tokens", timeout=FIRST_MS)
    expect(run.locator(".gen-token")).to_have_count(64)
    expect(widget.locator(".widget-error")).to_be_hidden()  # the shell's error slot
