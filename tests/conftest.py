"""Shared test helpers: required features (fail under CI, skip elsewhere), isolated data directory, clean
Streamlit caches, the one AppTest opener, waits that fail on timeout, a served app and chromium for browser tests."""

from __future__ import annotations

import glob
import importlib.util
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from bench import served_app as served_app_module
from bench.served_app import free_port, is_healthy  # noqa: F401 (tests import free_port from here)
from bench.served_app import serve as serve_app  # the app on a free port; fails naming its log

ROOT = Path(__file__).resolve().parent.parent
APP = str(ROOT / "app.py")
os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")

# --- required features ---------------------------------------------------------------------------
# A test that needs llama-cpp, chromium or PostgreSQL calls require(feature). Missing, the test is
# skipped on a developer's machine, but FAILS under CI=true: CI installs all three (.ci/run, make
# setup), so a missing one there is a broken setup, never a green run that tested nothing.


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in ("1", "true", "yes")


def _find_llama_cpp() -> Any:
    if importlib.util.find_spec("llama_cpp") is None:
        return None
    import llama_cpp

    return llama_cpp


def _find_chromium() -> str | None:
    return served_app_module.browser_path()  # the PDF export's finder: one place looks for chromium


def _find_postgres() -> Path | None:
    """The newest installed PostgreSQL's bin directory (Debian layout), or None."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parts[-3]))
    return Path(found[-1]).parent if found else None


FEATURES: dict[str, tuple[Callable[[], Any], str]] = {
    "llama_cpp": (_find_llama_cpp, "llama-cpp-python (the local extra) is not installed: pip install -e '.[local]'"),
    "chromium": (_find_chromium, "chromium is not installed (.ci/run installs it: apt-get install chromium)"),
    "postgresql": (_find_postgres, "PostgreSQL is not installed (.ci/run installs it: apt-get install postgresql)"),
}


def missing(reason: str) -> None:
    """A required feature is missing: fail under CI=true, skip elsewhere (also at module level)."""
    if in_ci():
        pytest.fail(f"{reason} (CI=true: a required feature must be there, not skipped)", pytrace=False)
    pytest.skip(reason, allow_module_level=True)


def require(feature: str) -> Any:
    """The feature's handle (the llama_cpp module, chromium's path, PostgreSQL's bin directory); when it
    is missing the test is skipped, or fails under CI=true."""
    find, reason = FEATURES[feature]
    found = find()
    if found is None:
        missing(reason)
    return found


@pytest.fixture
def llama_cpp_required():
    return require("llama_cpp")


@pytest.fixture
def chromium_required():
    return require("chromium")


# --- waits ---------------------------------------------------------------------------------------


def wait_until(condition: Callable[[], Any], timeout_s: float, message: str, interval_s: float = 0.05) -> Any:
    """Poll `condition` until it returns something truthy (returned); fail the test with `message` on timeout."""
    deadline = time.monotonic() + timeout_s
    while True:
        result = condition()
        if result:
            return result
        if time.monotonic() >= deadline:
            pytest.fail(f"timed out after {timeout_s:g} s: {message}", pytrace=False)
        time.sleep(interval_s)


def wait_healthy(url: str, timeout_s: float = 60, log: Path | None = None) -> None:
    """Wait for a Streamlit server's /_stcore/health; fail the test (naming its log) when it never answers."""
    wait_until(lambda: is_healthy(url), timeout_s, f"streamlit at {url} did not become healthy"
               + (f"; see {log}" if log else ""), interval_s=0.3)


@pytest.fixture(autouse=True)
def _isolated_data_dir(tmp_path, monkeypatch):
    """Every test gets its own data directory (history database, local server state)."""
    monkeypatch.setenv("SELECTOR_DATA_DIR", str(tmp_path / "selector-data"))


@pytest.fixture(autouse=True)
def _clear_streamlit_caches():
    """st.cache_* is shared by every AppTest in one process: start each test clean."""
    import streamlit as st

    st.cache_data.clear()
    st.cache_resource.clear()
    yield


@pytest.fixture(scope="session")
def served_app(tmp_path_factory):
    """The app served once for the browser tests; yields the base URL."""
    with serve_app(tmp_path_factory.mktemp("served-data")) as url:
        yield url


@pytest.fixture(scope="session")
def browser():
    """chromium driven by Playwright, found as the PDF export finds it (playwright cannot download browsers here)."""
    path = require("chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=path, args=served_app_module.CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser, tmp_path):
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
    page = context.new_page()
    page.set_default_timeout(30_000)
    yield page
    context.close()


def wait_for_app(page) -> None:
    """Wait until Streamlit has finished running the script for the current page."""
    page.wait_for_selector('[data-testid="stApp"]')
    page.wait_for_function(
        "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=60_000
    )


# --- the AppTest opener ---------------------------------------------------------------------------
HOME = "pages/home.py"
# Pages whose first run imports LiteLLM (about 3 s, more on a busy machine): AppTest's default 3 s is far too short.
LITELLM_PAGES = {"pages/compare.py", "pages/benchmark.py", "pages/routing.py", "pages/arena.py", "pages/explore.py"}
TIMEOUT_S = 60
LITELLM_TIMEOUT_S = 120


def open_app_page(page: str = HOME, timeout: float | None = None, query: dict | None = None,
                  session: dict | None = None, check: bool = True):
    """AppTest of app.py opened on `page` (e.g. "pages/costs.py"), as a browser opening that page's URL:
    `session` is put into session state first, `query` is the URL's query string; the run fails the
    test on any exception the page raised unless `check` is False. Streamlit's caches are cleared
    before every test (the autouse fixture above)."""
    from streamlit.testing.v1 import AppTest

    timeout = timeout or (LITELLM_TIMEOUT_S if page in LITELLM_PAGES else TIMEOUT_S)
    at = AppTest.from_file(APP, default_timeout=timeout)
    for key, value in (session or {}).items():
        at.session_state[key] = value
    if page == HOME:
        at.query_params.update(query or {})
        at.run()
    else:
        at.run()
        at.switch_page(page)
        at.query_params.update(query or {})
        at.run()
    if check:
        assert not at.exception, [e.value for e in at.exception]
    return at


def download_html_report(page, folder: Path) -> Path:
    """On the recommendation page: prepare the report, download the HTML and save it into `folder`."""
    import re

    page.get_by_role("button", name="Prepare report").click()
    wait_for_app(page)
    button = page.get_by_role("button", name=re.compile("Download HTML"))
    button.wait_for()
    with page.expect_download() as info:
        button.click()
    assert info.value.suggested_filename.endswith(".html")
    saved = folder / info.value.suggested_filename
    info.value.save_as(saved)
    return saved
