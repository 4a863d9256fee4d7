"""Real browser: open the compare page, compare the two bundled models offline, see both answers."""

from __future__ import annotations

import re

import pytest
from conftest import require, wait_for_app

pytestmark = [pytest.mark.browser, pytest.mark.local_models]


def live_comparison_rows(page, served_app: str) -> int:
    """The history page's count of rows from live comparisons (other tests on the same app add theirs)."""
    page.goto(f"{served_app}/history")
    wait_for_app(page)
    caption = page.get_by_text(re.compile(r"rows \(one per model per run\)"))
    caption.wait_for()
    return int(re.search(r"(\d+) from live comparisons", caption.inner_text()).group(1))


def test_compare_the_two_local_models_in_the_browser(served_app, page):
    require("llama_cpp")
    before = live_comparison_rows(page, served_app)
    page.goto(served_app)
    wait_for_app(page)
    page.get_by_role("link", name=re.compile("Compare two models live")).first.click()
    wait_for_app(page)
    page.get_by_role("heading", name="Compare two models live").wait_for()
    page.get_by_text("base model").first.wait_for()  # the page says why the pair differs

    max_tokens = page.get_by_label("Max output tokens")
    if not max_tokens.is_visible():
        page.get_by_text("Settings").first.click()
    max_tokens.fill("24")
    max_tokens.press("Enter")
    wait_for_app(page)

    page.get_by_role("button", name=re.compile("Compare")).first.click()
    # both answers finished: each column ends with its metrics line
    page.wait_for_function(
        "() => (document.body.innerText.match(/first token [0-9.]+ s/g) || []).length === 2",
        timeout=240_000,
    )
    wait_for_app(page)
    body = page.inner_text("body")
    assert "SmolLM2 135M Instruct (local)" in body and "Gemma 3 270M base (local)" in body
    assert body.count("$0 (runs on this machine)") == 2
    answers = page.locator('[data-testid="stColumn"] [data-testid="stMarkdownContainer"]').all_inner_texts()
    assert sum(1 for text in answers if len(text.strip()) > 10) >= 2
    assert "Error" not in [a.strip() for a in answers]

    page.get_by_role("link", name=re.compile("Run history")).first.click()
    wait_for_app(page)
    page.get_by_role("heading", name="Run history").wait_for()
    caption = page.get_by_text(re.compile(r"rows \(one per model per run\)"))
    caption.wait_for()
    assert int(re.search(r"(\d+) from live comparisons", caption.inner_text()).group(1)) == before + 2  # a row per side


def test_the_stop_button_ends_both_streams(served_app, page):
    require("llama_cpp")
    page.goto(f"{served_app}/compare")
    wait_for_app(page)
    page.get_by_role("heading", name="Compare two models live").wait_for()
    prompt = page.get_by_label("Prompt", exact=True)
    prompt.fill("Write a long story about a lighthouse keeper.")
    prompt.press("Control+Enter")
    wait_for_app(page)
    page.get_by_role("button", name=re.compile("Compare")).first.click()
    page.wait_for_function("() => document.body.innerText.includes('▌')", timeout=120_000)
    page.locator(".st-key-stop button").click()  # the page's Stop, not Streamlit's own stop-script button
    page.wait_for_function(
        "() => (document.body.innerText.match(/finish: stopped/g) || []).length === 2", timeout=120_000
    )
