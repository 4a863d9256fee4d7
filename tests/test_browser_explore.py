"""Real browser: open the app, go to the explorer, filter to open-weights models, see the rows change."""

from __future__ import annotations

import re

import pytest
from conftest import wait_for_app

pytestmark = pytest.mark.browser


def model_count(page) -> tuple[int, int]:
    text = page.get_by_text(re.compile(r"^\d+ of \d+ models$")).first.inner_text()
    shown, total = re.match(r"(\d+) of (\d+) models", text).groups()
    return int(shown), int(total)


def table_row_count(page) -> int | None:
    """Data rows of the catalogue grid as the grid reports them to assistive technology (None if it does not)."""
    grid = page.locator('[data-testid="stDataFrame"]').first
    grid.wait_for()
    counted = grid.locator("[aria-rowcount]")
    if counted.count() == 0:
        return None
    return int(counted.first.get_attribute("aria-rowcount")) - 1  # minus the header row


def test_filter_open_weights_in_the_browser(served_app, page):
    page.goto(served_app)
    wait_for_app(page)
    page.get_by_role("link", name=re.compile("Explore the catalogue")).first.click()
    wait_for_app(page)
    page.get_by_role("heading", name="Explore the catalogue").wait_for()

    shown, total = model_count(page)
    assert 0 < shown <= total
    assert table_row_count(page) in (shown, None)

    page.locator('[data-testid="stRadio"] label').filter(has_text=re.compile(r"^Open weights$")).first.click()
    page.wait_for_function(
        "(before) => { const t = document.body.innerText.match(/(\\d+) of \\d+ models/); "
        "return t && Number(t[1]) !== before; }",
        arg=shown,
    )
    wait_for_app(page)
    open_shown, open_total = model_count(page)
    assert open_total == total
    assert 0 < open_shown < shown
    # The grid redraws after the caption: wait for its row count to follow (or time out and fail).
    page.wait_for_function(
        "(want) => { const g = document.querySelector('[data-testid=\"stDataFrame\"] [aria-rowcount]');"
        " return !g || Number(g.getAttribute('aria-rowcount')) - 1 === want; }",
        arg=open_shown,
    )
    assert table_row_count(page) in (open_shown, None)
