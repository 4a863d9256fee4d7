"""Shared fixtures: isolated data directory, clean Streamlit caches, a served app for browser tests."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM_CANDIDATES = ["/usr/lib/chromium/chromium", "/usr/bin/chromium"]
os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")


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


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def chromium_path() -> str | None:
    return next((p for p in CHROMIUM_CANDIDATES if os.path.exists(p)), None)


@contextlib.contextmanager
def serve_app(data_dir: Path):
    """`streamlit run app.py` on a free loopback port with its own data directory; yields the base URL.

    A test that fails to get a healthy server fails (never waits forever); at the end the server and
    any llama.cpp server it started are stopped.
    """
    port = free_port()
    env = dict(os.environ, SELECTOR_DATA_DIR=str(data_dir), LITELLM_LOCAL_MODEL_COST_MAP="True")
    env.pop("SELECTOR_DATABASE_URL", None)
    with open(data_dir / "streamlit.log", "w") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true",
             "--server.port", str(port), "--server.address", "127.0.0.1",
             "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none"],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
        )
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as resp:
                    if resp.status == 200:
                        break
            except OSError:
                time.sleep(0.3)
        else:
            proc.terminate()
            pytest.fail(f"streamlit did not become healthy; see {data_dir / 'streamlit.log'}")
        try:
            yield url
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
            # The app stops its llama.cpp servers at exit; make sure, so no test leaves one running.
            subprocess.run([sys.executable, "-m", "selector", "local", "stop"], cwd=ROOT, env=env,
                           capture_output=True, timeout=60, check=False)


@pytest.fixture(scope="session")
def served_app(tmp_path_factory):
    """The app served once for the browser tests; yields the base URL."""
    with serve_app(tmp_path_factory.mktemp("served-data")) as url:
        yield url


@pytest.fixture(scope="session")
def browser():
    """Debian's chromium driven by Playwright (playwright cannot download browsers here)."""
    path = chromium_path()
    if path is None:
        pytest.skip("chromium is not installed (.ci/run installs it: apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=path,
            args=["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking"],
        )
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


def open_app_page(page: str, timeout: float = 30, query: dict | None = None, session: dict | None = None):
    """AppTest of app.py switched to `page` (e.g. "pages/costs.py"), with optional URL query and session state;
    fails on any exception the page raised."""
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=timeout)
    for key, value in (session or {}).items():
        at.session_state[key] = value
    at.run()
    at.switch_page(page)
    if query:
        at.query_params.update(query)
    at.run()
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
