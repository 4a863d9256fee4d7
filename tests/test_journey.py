"""The whole journey in chromium, as a newcomer lives it: questionnaire, recommendation, costs at their traffic,
two local models side by side, the HTML report. Each step takes a screenshot: into docs/screenshots/ when
SELECTOR_SCREENSHOTS=1 (to refresh the README's pictures), else into the test's temporary directory."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from conftest import download_html_report, require, wait_for_app

ROOT = Path(__file__).resolve().parent.parent
DOC_SHOTS = ROOT / "docs" / "screenshots"
WIDTH = 1400
REQUESTS_PER_DAY = 4_800  # not the default (1,000): proves the costs page reads the answers

pytestmark = [pytest.mark.browser]


@pytest.fixture
def shots_dir(tmp_path) -> Path:
    """docs/screenshots only when asked: a plain `make test` must not rewrite tracked files."""
    return DOC_SHOTS if os.environ.get("SELECTOR_SCREENSHOTS") == "1" else tmp_path / "screenshots"


def shoot(page, step: str, shots: Path) -> None:
    """A full-page screenshot: Streamlit scrolls inside its main block, so grow the viewport to fit it first."""
    height = page.evaluate(
        "() => Math.max(...[...document.querySelectorAll('[data-testid=\"stMain\"], [data-testid=\"stSidebar\"]')]"
        ".map(e => e.scrollHeight), 800)"
    )
    page.set_viewport_size({"width": WIDTH, "height": min(int(height) + 40, 8000)})
    page.wait_for_timeout(600)  # let plotly and the grid redraw at the new size
    shots.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(shots / f"{step}.png"), full_page=True)
    page.set_viewport_size({"width": WIDTH, "height": 1000})


def no_traceback(page) -> None:
    assert page.locator('[data-testid="stException"]').count() == 0, page.inner_text("body")[:2000]


def go(page, title: str) -> None:
    """Switch page through the sidebar navigation, as a user would."""
    page.locator('[data-testid="stSidebarNavLink"]', has_text=title).first.click()
    wait_for_app(page)
    page.get_by_role("heading", name=title).first.wait_for()
    no_traceback(page)


def test_the_whole_journey(served_app, page, tmp_path, shots_dir):
    # Home: sections in the navigation, the path through the app.
    page.goto(served_app)
    wait_for_app(page)
    page.get_by_role("heading", name="Choose a large language model").wait_for()
    nav = page.locator('[data-testid="stSidebarNav"]').inner_text()
    for section in ["Decide", "Explore", "Try"]:
        assert section in nav
    no_traceback(page)
    shoot(page, "01-home", shots_dir)

    go(page, "Guide")
    shoot(page, "02-guide", shots_dir)

    # The questionnaire: change answers, get the recommendation.
    go(page, "Get a recommendation")
    page.get_by_role("textbox", name="What are you building?").fill("Help-centre assistant for our customers")
    requests = page.get_by_role("spinbutton", name="Requests per day")
    requests.fill(str(REQUESTS_PER_DAY))
    requests.press("Tab")
    page.get_by_role("button", name="Recommend").click()
    wait_for_app(page)
    top = page.locator("h3").filter(has_text=re.compile(r"^1\. ")).first
    top.wait_for()
    top_pick = top.text_content().removeprefix("1. ").strip()
    assert top_pick
    assert f"requests_per_day={REQUESTS_PER_DAY}" in page.url  # the link reproduces the answers
    no_traceback(page)
    shoot(page, "03-recommendation", shots_dir)

    # Costs: the traffic comes from the answers, the charts draw; a reload keeps both.
    go(page, "Costs")
    page.get_by_role("heading", name=f"Monthly cost at {REQUESTS_PER_DAY:,} requests/day").wait_for()
    assert page.get_by_role("spinbutton", name="Requests per day").input_value() == str(REQUESTS_PER_DAY)
    page.wait_for_function("() => document.querySelectorAll('.js-plotly-plot .main-svg').length >= 4")
    assert f"requests_per_day={REQUESTS_PER_DAY}" in page.url
    page.reload()
    wait_for_app(page)
    page.get_by_role("heading", name=f"Monthly cost at {REQUESTS_PER_DAY:,} requests/day").wait_for()
    page.wait_for_function("() => document.querySelectorAll('.js-plotly-plot .main-svg').length >= 4")
    no_traceback(page)
    shoot(page, "04-costs", shots_dir)

    # Compare the two bundled local models: both answers stream in.
    require("llama_cpp")
    go(page, "Compare two models live")
    page.get_by_text("top picks").first.wait_for()  # the answers reached this page too
    page.get_by_role("button", name="Compare", exact=True).click()
    page.wait_for_function(
        "() => (document.body.innerText.match(/first token [0-9.]+ s/g) || []).length === 2", timeout=180_000,
    )
    wait_for_app(page)
    body = page.inner_text("body")
    assert "SmolLM2" in body and "Gemma 3 270M" in body
    answers = page.locator('[data-testid="stColumn"] [data-testid="stMarkdownContainer"]').all_inner_texts()
    assert sum(1 for text in answers if len(text.strip()) > 10) >= 2
    no_traceback(page)
    shoot(page, "05-compare", shots_dir)

    # Back to the recommendation (no need to answer again), then the HTML report.
    go(page, "Get a recommendation")
    page.locator("h3").filter(has_text=re.compile(r"^1\. ")).first.wait_for()
    assert page.locator("h3").filter(has_text=re.compile(r"^1\. ")).first.text_content() == f"1. {top_pick}"
    saved = download_html_report(page, tmp_path)
    html = saved.read_text(encoding="utf-8")
    assert top_pick in html
    assert "Help-centre assistant for our customers" in html
    no_traceback(page)
    page.get_by_role("button", name=re.compile("Download HTML")).scroll_into_view_if_needed()
    shoot(page, "06-report-download", shots_dir)

    page.goto(saved.as_uri())
    page.locator(".top-pick").wait_for()
    assert page.locator(".top-pick").text_content() == top_pick
    shoot(page, "07-report", shots_dir)

    # The dark theme: the costs page's charts and cards must stay readable.
    page.emulate_media(color_scheme="dark")
    page.goto(f"{served_app}/costs?requests_per_day={REQUESTS_PER_DAY}")
    wait_for_app(page)
    page.wait_for_function("() => document.querySelectorAll('.js-plotly-plot .main-svg').length >= 4")
    background = page.evaluate("() => getComputedStyle(document.querySelector('[data-testid=\"stApp\"]')).backgroundColor")
    assert background == "rgb(14, 17, 23)"  # .streamlit/config.toml's [theme.dark] backgroundColor
    shoot(page, "08-costs-dark", shots_dir)
