"""Real browser: blind votes on the two bundled local models, then the arena leaderboard with its
intervals and the votes still needed to separate the first two."""

from __future__ import annotations

import re

import pytest
from conftest import require, serve_app, wait_for_app

pytestmark = [pytest.mark.browser, pytest.mark.local_models]
VOTES = ["Left is better", "Right is better", "Tie", "Both are bad"]


@pytest.fixture(scope="module")
def arena_app(tmp_path_factory):
    """An app with a history of its own: these votes must not show in the other browser tests' runs."""
    with serve_app(tmp_path_factory.mktemp("arena-data")) as url:
        yield url


def compare_blind_and_vote(page, label: str) -> None:
    page.get_by_role("button", name=re.compile("Compare")).first.click()
    # the vote buttons come back once both answers of the new run have finished
    page.get_by_role("button", name=label, exact=True).wait_for(timeout=240_000)
    wait_for_app(page)
    assert len(re.findall(r"first token [0-9.]+ s", page.inner_text("body"))) == 2
    body = page.inner_text("body")
    assert "Answer 1" in body and "Answer 2" in body  # names hidden until the vote
    assert "SmolLM2 135M Instruct (local)" not in body and "Gemma 3 270M base (local)" not in body
    page.get_by_role("button", name=label, exact=True).click()
    page.get_by_text(re.compile(f"Your vote: {label.lower()}")).wait_for()
    wait_for_app(page)


def test_blind_votes_in_the_browser_make_a_leaderboard_with_intervals(arena_app, page):
    require("llama_cpp")
    page.goto(f"{arena_app}/compare")
    wait_for_app(page)
    page.get_by_role("heading", name="Compare two models live").wait_for()
    max_tokens = page.get_by_label("Max output tokens")
    if not max_tokens.is_visible():
        page.get_by_text("Settings").first.click()
    max_tokens.fill("8")
    max_tokens.press("Enter")
    wait_for_app(page)
    page.get_by_text("Blind mode: hide the names until I vote").click()
    wait_for_app(page)

    for label in VOTES:
        compare_blind_and_vote(page, label)

    page.get_by_role("link", name=re.compile("See the arena leaderboard")).first.click()
    wait_for_app(page)
    page.get_by_role("heading", name="Arena leaderboard").wait_for()
    page.get_by_text("Votes still needed").first.wait_for()
    body = page.inner_text("body")
    assert re.search(r"Votes\s*4\b", body), body[:2000]
    assert re.search(r"Votes still needed\s*(\d[\d,]*|—)", body)
    assert re.search(r"leads .* by \d+ points \(± \d+ at 95%\)|level", body)
    table = page.locator('[data-testid="stTable"]').first.inner_text()
    assert "95% interval" in table and "Rating" in table
    assert "SmolLM2 135M" in table and "Gemma 3 270M" in table
    assert len(re.findall(r"\b\d{3,4} – \d{3,4}\b", table)) == 2  # one interval per model
    chart = page.locator('[data-testid="stPlotlyChart"]').first
    chart.scroll_into_view_if_needed()
    chart.locator(".main-svg").first.wait_for()
    assert chart.locator("g.trace").count() > 0
    assert "Arena ratings with 95% intervals" in chart.locator(".gtitle").text_content()
    assert page.locator('[data-testid="stException"]').count() == 0
