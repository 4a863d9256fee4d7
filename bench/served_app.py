"""The app served by `streamlit run` and the chromium that drives it: one place for the browser tests
(tests/conftest.py) and the page bench (bench/bench_pages.py).

Not a bench itself (no `bench_` prefix, so `make bench` does not run it).
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEBIAN_WRAPPER, DEBIAN_BINARY = Path("/usr/bin/chromium"), Path("/usr/lib/chromium/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def is_healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as resp:
            return resp.status == 200
    except OSError:
        return False


def browser_path() -> str | None:
    """The chromium the PDF export finds (selector.report.find_chromium), as the browser binary itself: Debian's
    /usr/bin/chromium wrapper adds its own flags and extensions, which made local-model browser runs flaky."""
    from selector.report import find_chromium

    path = find_chromium()
    if path and Path(path).resolve() == DEBIAN_WRAPPER and DEBIAN_BINARY.exists():
        return str(DEBIAN_BINARY)
    return path


@contextlib.contextmanager
def serve(data_dir: Path, script: str = "app.py", cwd: Path = ROOT, timeout_s: float = 60) -> Iterator[str]:
    """`streamlit run <script>` on a free loopback port with its own data directory; yields the base URL.

    RuntimeError (naming the server's log) when it is not healthy within timeout_s. At the end the server and
    any llama.cpp server it started are stopped.
    """
    port = free_port()
    env = dict(os.environ, SELECTOR_DATA_DIR=str(data_dir), LITELLM_LOCAL_MODEL_COST_MAP="True")
    env.pop("SELECTOR_DATABASE_URL", None)
    log_path = data_dir / "streamlit.log"
    with open(log_path, "w") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", script, "--server.headless", "true",
             "--server.port", str(port), "--server.address", "127.0.0.1",
             "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none"],
            cwd=cwd, env=env, stdout=log, stderr=subprocess.STDOUT,
        )
        url = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + timeout_s
            while not is_healthy(url):
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise RuntimeError(f"streamlit at {url} did not become healthy in {timeout_s:g} s; see {log_path}")
                time.sleep(0.3)
            yield url
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
            # The app stops its llama.cpp servers at exit; make sure, so nothing is left running.
            subprocess.run([sys.executable, "-m", "selector", "local", "stop"], cwd=ROOT, env=env,
                           capture_output=True, timeout=60, check=False)
