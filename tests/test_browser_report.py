"""Real-browser journey: answer the questionnaire, download the HTML report, open it offline in chromium."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from conftest import download_html_report, wait_for_app

ROOT = Path(__file__).resolve().parent.parent

pytestmark = [pytest.mark.browser]


def test_download_the_html_report_and_open_it(served_app, page, tmp_path):
    page.goto(f"{served_app}/recommend")
    wait_for_app(page)
    page.get_by_role("heading", name="Get a recommendation").first.wait_for()
    page.get_by_role("textbox", name="What are you building?").fill("Support bot <b>for</b> our help centre")
    page.get_by_role("button", name="Recommend").click()
    wait_for_app(page)
    top = page.locator("h3").filter(has_text=re.compile(r"^1\. ")).first
    top.wait_for()
    top_name = top.text_content().removeprefix("1. ").strip()

    saved = download_html_report(page, tmp_path)
    assert page.locator('[data-testid="stException"]').count() == 0

    # Offline: the file must render with no network at all.
    page.context.route(re.compile(r"^https?://"), lambda route: route.abort())
    page.goto(saved.as_uri())
    page.locator(".js-plotly-plot .main-svg").nth(2).wait_for()
    assert page.locator(".js-plotly-plot").count() == 3
    assert page.locator(".js-plotly-plot .main-svg").count() >= 3  # plotly drew, not just left empty divs
    assert page.locator(".top-pick").text_content() == top_name
    assert page.get_by_role("heading", name="Excluded models", exact=False).count() == 1
    description = page.locator(".description").text_content()
    assert "Support bot <b>for</b> our help centre" in description  # shown as text, not markup
    assert page.locator(".description b").count() == 0
