"""How fast the app feels in a real browser: page switches, a questionnaire submit, first visits.

Serves the app with `streamlit run` on a free loopback port and drives chromium with Playwright
(bench/served_app.py, as the browser tests do), and times, from the click (or the navigation) until Streamlit's script has
finished and the page's content is drawn:
- a switch from the sidebar to the Guide (a text page), the Costs page and the Explorer;
- a questionnaire submit on "Get a recommendation" until the results show;
- the first visit to every page, each in a fresh browser session, and the same for a bare Streamlit page
  (a title and one line) served with the app's config: the floor that Streamlit's frontend sets.
Times are medians in ms; ratios are to the text page (the Guide), the goal being Costs <= 2x,
submit <= 1x and every first visit <= 1 s on a quiet machine.
"""

from __future__ import annotations

import shutil
import statistics
import tempfile
import time
from pathlib import Path

from bench.served_app import CHROMIUM_ARGS, ROOT, browser_path, serve

REPEATS = 3
# url path -> sidebar label (app.py's st.Page titles)
PAGES = {
    "": "Home", "guide": "Guide", "recommend": "Get a recommendation", "explore": "Explore the catalogue",
    "costs": "Costs", "compare": "Compare two models live", "arena": "Arena leaderboard",
    "benchmark": "Benchmark your prompts", "routing": "Routing simulator", "history": "Run history",
}
SWITCHES = {"guide": "Guide", "costs": "Costs", "explore": "Explore the catalogue"}

# The page is drawn: script finished, a heading shown, and every plotly chart has its SVG.
DRAWN_JS = """() => {
  const app = document.querySelector('[data-testid="stApp"]');
  if (!app || app.getAttribute('data-test-script-state') !== 'notRunning') return false;
  if (!document.querySelector('[data-testid="stMain"] h1')) return false;
  const charts = document.querySelectorAll('[data-testid="stPlotlyChart"]');
  return Array.from(charts).every(c => c.querySelector('.main-svg'));
}"""

RESULTS_JS = """() => Array.from(document.querySelectorAll('[data-testid="stMain"] h2'))
  .some(h => h.innerText.trim() === 'Recommendation')"""


def _visit(context, url: str) -> float:
    """Seconds from navigation to the page drawn, in a new tab of `context`."""
    page = context.new_page()
    page.set_default_timeout(60_000)
    start = time.perf_counter()
    page.goto(url)
    try:
        page.wait_for_function(DRAWN_JS, timeout=60_000, polling=20)
    except Exception as exc:
        raise RuntimeError(f"first visit to {url}: the page was not drawn within 60 s ({exc})") from exc
    elapsed = time.perf_counter() - start
    page.close()
    return elapsed


def _timed_rerun(page, action, what: str, arrived_js: str) -> float:
    """Seconds from `action()` (a click) until `arrived_js` holds and the page is drawn.

    Streamlit's script state alone cannot tell: a fast rerun can go from notRunning to notRunning
    without the browser ever drawing "running", so each caller names what the new page shows.
    """
    start = time.perf_counter()
    action()
    try:
        page.wait_for_function(f"() => ({arrived_js})() && ({DRAWN_JS})()", timeout=60_000, polling=10)
    except Exception as exc:
        raise RuntimeError(f"{what}: the page was not drawn within 60 s ({exc})") from exc
    return time.perf_counter() - start


def _ms(seconds: list[float]) -> float:
    return round(1000 * statistics.median(seconds), 1)


def measure(url: str, browser) -> dict:
    """The figures, from a served app at `url` and a Playwright browser."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    cold_home_s = _visit(context, f"{url}/")  # the server's first run: imports, catalogue load
    context.close()

    first_visit: dict[str, float] = {}
    for path in PAGES:
        context = browser.new_context(viewport={"width": 1400, "height": 1000})
        first_visit[path or "home"] = _visit(context, f"{url}/{path}")
        context.close()

    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.set_default_timeout(60_000)
    page.goto(f"{url}/")
    page.wait_for_function(DRAWN_JS, timeout=60_000)
    nav = page.locator('[data-testid="stSidebarNav"]')
    switches: dict[str, list[float]] = {path: [] for path in SWITCHES}
    for _ in range(REPEATS):
        for path, label in SWITCHES.items():
            link = nav.get_by_role("link", name=label, exact=True)
            before = page.locator('[data-testid="stMain"] h1').first.inner_text()
            arrived = (f"() => location.pathname.endsWith('/{path}') && "
                       f"document.querySelector('[data-testid=\"stMain\"] h1')?.innerText !== {before!r}")
            switches[path].append(_timed_rerun(page, link.click, f"switch to {label}", arrived))

    submits: list[float] = []
    for _ in range(REPEATS):
        page.goto(f"{url}/recommend")
        page.wait_for_function(DRAWN_JS, timeout=60_000)
        button = page.get_by_role("button", name="Recommend", exact=True)

        def submit() -> None:
            button.click()

        submits.append(_timed_rerun(page, submit, "questionnaire submit", RESULTS_JS))
    context.close()

    text_ms = _ms(switches["guide"])
    switch_ms = {path: _ms(times) for path, times in switches.items()}
    first_ms = {path: round(1000 * s, 1) for path, s in first_visit.items()}
    submit_ms = _ms(submits)
    return {
        "repeats": REPEATS,
        "server_first_run_ms": round(1000 * cold_home_s, 1),
        "page_switch_ms": switch_ms,
        "page_switch_ratio_to_text": {p: round(v / text_ms, 2) for p, v in switch_ms.items()},
        "submit_to_results_ms": submit_ms,
        "submit_ratio_to_text": round(submit_ms / text_ms, 2),
        "first_visit_ms": first_ms,
        "first_visit_ratio_to_text": {p: round(v / first_ms["guide"], 2) for p, v in first_ms.items()},
        "first_visit_max_ms": max(first_ms.values()),
        "goals": {"costs_ratio_max": 2.0, "submit_ratio_max": 1.0, "first_visit_max_ms": 1000},
    }


FLOOR_APP = 'import streamlit as st\n\nst.title("A bare Streamlit page")\nst.write("One line of text.")\n'


def floor_ms(browser) -> float:
    """The first visit to a bare Streamlit page (a title and a line of text) with the app's config, served
    the same way: what loading Streamlit's own frontend costs on this machine, below which no page can go."""
    with tempfile.TemporaryDirectory(prefix="bench-floor-") as tmp:
        folder = Path(tmp)
        (folder / "floor.py").write_text(FLOOR_APP)
        shutil.copytree(ROOT / ".streamlit", folder / ".streamlit")
        with serve(folder, "floor.py", folder) as url:
            context = browser.new_context(viewport={"width": 1400, "height": 1000})
            _visit(context, f"{url}/")  # the server's first run
            context.close()
            times = []
            for _ in range(REPEATS):
                context = browser.new_context(viewport={"width": 1400, "height": 1000})
                times.append(_visit(context, f"{url}/"))
                context.close()
    return _ms(times)


def run() -> dict:
    path = browser_path()
    if path is None:
        return {"skipped": "chromium is not installed (apt-get install chromium)"}
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory(prefix="bench-pages-") as tmp, serve(Path(tmp)) as url, \
            sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=path, args=CHROMIUM_ARGS)
        try:
            figures = measure(url, browser)
            floor = floor_ms(browser)
            figures["first_visit_floor_ms"] = floor
            figures["first_visit_ratio_to_floor"] = {p: round(v / floor, 2) for p, v in figures["first_visit_ms"].items()}
            return figures
        finally:
            browser.close()


if __name__ == "__main__":
    import json

    print(json.dumps(run(), indent=2))
