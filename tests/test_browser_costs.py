"""Real-browser check: the Costs page draws its four charts (Debian's chromium via Playwright)."""

from __future__ import annotations

import pytest
from conftest import wait_for_app

pytestmark = pytest.mark.browser


def test_costs_page_renders_its_charts(served_app, page):
    page.goto(f"{served_app}/costs")
    wait_for_app(page)
    page.get_by_role("heading", name="Costs").first.wait_for()
    charts = page.locator('[data-testid="stPlotlyChart"]')
    charts.nth(3).wait_for()  # the four charts arrive one after another
    assert charts.count() == 4
    for index in range(4):
        chart = charts.nth(index)
        chart.scroll_into_view_if_needed()
        chart.locator(".main-svg").first.wait_for()
        # plotted data, not an empty frame: bars, lines or markers drawn inside the plot area
        assert chart.locator("g.trace").count() > 0
    assert page.get_by_text("Pareto frontier").count() > 0
    assert page.locator('[data-testid="stException"]').count() == 0


def test_changing_traffic_redraws_the_monthly_chart(served_app, page):
    page.goto(f"{served_app}/costs")
    wait_for_app(page)
    # By title, not position: while the page reruns, charts of the previous run can still be first in the DOM.
    chart_titled = "(words) => [...document.querySelectorAll('.gtitle')].some(t => t.textContent.includes(words))"
    page.wait_for_function(chart_titled, arg="Monthly cost at 1,000 requests/day")
    box = page.get_by_label("Requests per day")
    box.fill("25000")
    box.press("Enter")
    wait_for_app(page)
    page.wait_for_function(chart_titled, arg="Monthly cost at 25,000 requests/day")
    assert page.locator('[data-testid="stException"]').count() == 0
