"""Real browser: markdown images in links, echoed values and model output never make the browser fetch.

Every request the page makes is recorded; requests to the outside address are also blocked (aborted)
so no real traffic leaves even if the page were wrong: the assertion is that none was attempted.
"""

from __future__ import annotations

import re
from urllib.parse import urlencode, urlsplit

import pytest
from playwright.sync_api import expect
from conftest import wait_for_app

import fake_openai_server
from fake_openai_server import FakeServer

pytestmark = [pytest.mark.browser]

OUTSIDE = "203.0.113.7"  # TEST-NET-3: documentation only, never routed
IMAGE = f"![x](http://{OUTSIDE}/x.png)"
HTML = f'<img src="http://{OUTSIDE}/h.png">'
REFERENCE = f"![y][r]\n\n[r]: http://{OUTSIDE}/r.png"


def _watch(page) -> list[str]:
    """Record every request for the outside address, and abort it."""
    def outside(url: str) -> bool:  # the host, not the query: our own links carry the address as text
        return urlsplit(url).hostname == OUTSIDE

    seen: list[str] = []
    page.on("request", lambda request: seen.append(request.url) if outside(request.url) else None)
    page.route(outside, lambda route: route.abort())
    return seen


LINKS = {
    "description": {"description": f"{IMAGE} {HTML}"},  # valid: shown wherever the description is
    "rejected values": {  # invalid: echoed back in the list of ignored values
        "description": IMAGE, "languages": IMAGE, "offer_policy": IMAGE, "allow": IMAGE,
        "deployment": HTML, "context_tokens": IMAGE, "requests_per_day": HTML,
    },
}
PATHS = {
    "home": "",
    "recommend": "recommend",
    "costs": "costs",
    "compare": "compare",
    "explore": "explore",
    "routing": "routing",
    "benchmark": "benchmark",
}


@pytest.mark.parametrize("path, link", [(p, k) for p in PATHS for k in LINKS])
def test_links_with_markdown_images_fetch_nothing(served_app, page, path, link):
    seen = _watch(page)
    page.goto(f"{served_app}/{PATHS[path]}?{urlencode(LINKS[link])}")
    wait_for_app(page)
    if (path, link) == ("home", "description"):
        page.get_by_text("are kept").wait_for()  # the sentence that quotes the description
    page.wait_for_timeout(500)  # let any image element start loading
    assert not page.locator('[data-testid="stException"]').count()
    if link == "rejected values" and path not in ("home", "explore"):  # these two do not read the answers
        page.get_by_text(re.compile("answers were ignored")).first.wait_for()
        assert "x.png" in page.inner_text("body")  # the value is shown, as text
    assert seen == []
    assert page.locator(f'img[src*="{OUTSIDE}"]').count() == 0


def _fill(page, box, value: str) -> None:
    """Type into a text box and commit it; a rerun racing the typing can drop it, so check and retry."""
    for _ in range(3):
        box.fill(value)
        box.press("Enter")
        wait_for_app(page)
        page.wait_for_timeout(300)
        if box.input_value() == value:
            return
    assert box.input_value() == value


def test_model_output_with_images_fetches_nothing(served_app, page, monkeypatch):
    monkeypatch.setattr(fake_openai_server, "WORDS", ["Look: ", IMAGE, " and ", HTML, "\n\n", REFERENCE, "\n\n`code ![k](z)`"])
    seen = _watch(page)
    with FakeServer() as server:
        page.goto(f"{served_app}/compare")
        wait_for_app(page)
        for side in ("A", "B"):
            page.get_by_label(f"Model {side}", exact=True).first.click()
            page.keyboard.type("Custom OpenAI")  # the list is long and virtual: filter it, then pick
            page.get_by_role("option", name="Custom OpenAI-compatible endpoint").click()
            wait_for_app(page)
        for label, values in (("Endpoint base URL", [server.base_url] * 2),
                              ("Model name at that endpoint", ["fake-0", "fake-1"])):
            for index, value in enumerate(values):
                _fill(page, page.get_by_role("textbox", name=label).nth(index), value)
        compare = page.get_by_role("button", name=re.compile("^Compare")).first
        # A locator, not an element handle: a rerun can replace the button's node, and a handle would keep
        # watching the detached (disabled) one.
        expect(compare).to_be_enabled(timeout=180_000)
        compare.click()
        page.wait_for_function(
            "() => (document.body.innerText.match(/finish: /g) || []).length === 2", timeout=120_000
        )
        wait_for_app(page)
        page.wait_for_timeout(500)
        body = page.inner_text("body")
        assert body.count("Look:") == 2, body[-1500:]
    assert page.get_by_text('<img src="http://203.0.113.7/h.png">').count() == 2  # raw HTML shown as text
    assert seen == []
    assert page.locator(f'img[src*="{OUTSIDE}"]').count() == 0
