"""Real browser: upload the example prompts on the benchmark page, run them on the two local models, see table and charts."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from conftest import require, wait_for_app

pytestmark = [pytest.mark.browser, pytest.mark.local_models]
EXAMPLE = Path(__file__).resolve().parent.parent / "data" / "examples" / "prompts.csv"


def test_upload_the_example_prompts_and_benchmark_the_local_models(served_app, page):
    require("llama_cpp")
    page.goto(served_app)
    wait_for_app(page)
    page.get_by_role("link", name=re.compile("Benchmark your prompts")).first.click()
    wait_for_app(page)
    page.get_by_role("heading", name="Benchmark your prompts").wait_for()

    page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(str(EXAMPLE))
    page.get_by_text("11 prompts from prompts.csv").wait_for()
    wait_for_app(page)
    max_tokens = page.get_by_label("Max output tokens")
    max_tokens.fill("4")
    max_tokens.press("Enter")
    wait_for_app(page)

    page.get_by_role("button", name=re.compile("Run benchmark")).click()
    page.get_by_text(re.compile(r"prompts\.csv: 11 prompts × 2 models, 22 calls, finished")).wait_for(timeout=480_000)
    wait_for_app(page)
    page.get_by_text(re.compile(r"Results — run \d+")).first.wait_for()  # run ids are shared with other tests
    # the summary table (the prompt list and every answer sit in collapsed expanders)
    page.locator('[data-testid="stDataFrame"]:visible').first.wait_for()
    assert page.locator('[data-testid="stDataFrame"]:visible').count() == 1
    charts = page.locator('[data-testid="stPlotlyChart"]')
    charts.nth(1).wait_for()  # the charts arrive one after another
    assert charts.count() == 2
    titles = []
    for index in range(2):
        chart = charts.nth(index)
        chart.scroll_into_view_if_needed()
        chart.locator(".main-svg").first.wait_for()
        assert chart.locator("g.trace").count() > 0       # drawn data, not an empty frame
        titles.append(chart.locator(".gtitle").text_content())
    assert titles[0].startswith("Latency per call") and titles[1].startswith("Cost per request against quality")
    assert page.locator('[data-testid="stException"]').count() == 0
    assert page.get_by_role("button", name=re.compile("Download results")).is_visible()
