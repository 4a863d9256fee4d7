"""The served app stops the llama.cpp servers it started when it is stopped (SIGTERM, as on Ctrl-C);
a server the CLI started and the app only reused keeps running, as `local serve` promises."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time

import pytest
from conftest import ROOT, free_port, require, wait_healthy

from selector.live import servers as local

pytestmark = [pytest.mark.browser, pytest.mark.local_models]


def _wait_gone(pid: int, timeout_s: float = 30.0) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if not local._pid_alive(pid):
            return True
        time.sleep(0.1)
    return False


def test_sigterm_on_the_app_stops_the_servers_it_started_and_only_those(browser, tmp_path):
    require("llama_cpp")
    env = dict(os.environ, SELECTOR_DATA_DIR=str(tmp_path / "data"), LITELLM_LOCAL_MODEL_COST_MAP="True")
    run = {"cwd": ROOT, "env": env, "capture_output": True, "text": True, "timeout": 180}
    # The CLI starts Gemma and exits: its server keeps running.
    served = subprocess.run([sys.executable, "-m", "selector", "local", "serve", "--model", "gemma-3-270m"], **run)
    assert served.returncode == 0, served.stderr
    cli_pid = int(re.search(r"pid (\d+)", served.stdout).group(1))
    assert local._pid_alive(cli_pid)

    port = free_port()
    log = open(tmp_path / "streamlit.log", "w")
    app = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "tests/apps/start_local_servers.py", "--server.headless", "true",
         "--server.port", str(port), "--server.address", "127.0.0.1",
         "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )
    try:
        url = f"http://127.0.0.1:{port}"
        wait_healthy(url, 60, tmp_path / "streamlit.log")
        page = browser.new_page()
        try:
            page.goto(url)
            page.get_by_text(re.compile("server smollm2-135m-instruct pid")).wait_for(timeout=180_000)
            page.get_by_text(re.compile("server gemma-3-270m pid")).wait_for(timeout=60_000)
            body = page.inner_text("body")
        finally:
            page.close()
        started = re.search(r"server smollm2-135m-instruct pid (\d+) started_here (\w+)", body)
        reused = re.search(r"server gemma-3-270m pid (\d+) started_here (\w+)", body)
        assert started.group(2) == "True" and reused.group(2) == "False"
        app_pid = int(started.group(1))
        assert int(reused.group(1)) == cli_pid and local._pid_alive(app_pid)

        app.send_signal(signal.SIGTERM)
        assert app.wait(timeout=60) == 0
        assert _wait_gone(app_pid), f"the app's server {app_pid} outlived the app; see {tmp_path / 'streamlit.log'}"
        assert local._pid_alive(cli_pid), "the server the CLI started was stopped by the app"
    finally:
        if app.poll() is None:
            app.kill()
            app.wait()
        log.close()
        subprocess.run([sys.executable, "-m", "selector", "local", "stop"], **run)
