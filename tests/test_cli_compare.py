"""`python -m selector compare`: the JSON contract, exit codes, and bad input."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from local_servers import local_servers  # noqa: F401  (session fixture)
from selector.cli import main
from selector.history import open_history

ROOT = Path(__file__).resolve().parent.parent
SIDE_KEYS = {"model", "text", "ttft_s", "latency_s", "output_tokens", "tokens_per_s", "cost_usd", "finish_reason",
             "error"}


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.local_models
def test_compare_the_two_local_models_as_json(local_servers, monkeypatch, capsys):
    monkeypatch.setenv("SELECTOR_DATA_DIR", str(local_servers.data_dir))
    code = main(["compare", "--a", "smollm2-135m-instruct", "--b", "gemma-3-270m",
                 "--prompt", "Explain the transformer attention mechanism in 3 sentences.",
                 "--max-tokens", "16", "--temperature", "0", "--json"])
    out = json.loads(capsys.readouterr().out)
    assert code == 0
    assert set(out) == {"a", "b", "wall_s"}
    for side, model in (("a", "smollm2-135m-instruct"), ("b", "gemma-3-270m")):
        assert set(out[side]) == SIDE_KEYS
        assert out[side]["model"] == model and out[side]["text"] and out[side]["error"] is None
        assert out[side]["output_tokens"] > 0 and out[side]["cost_usd"] == 0.0
    assert out["wall_s"] >= max(out["a"]["latency_s"], out["b"]["latency_s"])
    rows = open_history().query(text="transformer attention")
    assert {r["model"] for r in rows} == {"smollm2-135m-instruct", "gemma-3-270m"}


@pytest.mark.local_models
def test_a_failed_side_exits_1_and_the_other_side_is_still_printed(local_servers, capsys):
    port = closed_port()
    code = main(["compare", "--a", "smollm2-135m-instruct", "--a-api-base", local_servers.base_url[
        "smollm2-135m-instruct"], "--b", "nothing-here", "--b-api-base", f"http://127.0.0.1:{port}/v1",
        "--prompt", "Say hello.", "--max-tokens", "8", "--json"])
    captured = capsys.readouterr()
    out = json.loads(captured.out)
    assert code == 1
    assert out["a"]["error"] is None and out["a"]["text"]
    assert out["b"]["error"].startswith("cannot reach nothing-here")
    assert "side b (nothing-here)" in captured.err


def test_a_missing_key_exits_1_with_the_variable_named(monkeypatch, tmp_path, capsys):
    for name in list(os.environ):
        if name.endswith("_API_KEY"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HOME", str(tmp_path))
    code = main(["compare", "--a", "anthropic/claude-haiku-4-5", "--b", "openai/gpt-4o-mini",
                 "--prompt", "hi", "--json", "--no-history"])
    out = json.loads(capsys.readouterr().out)
    assert code == 1
    assert out["a"]["error"].startswith("no ANTHROPIC_API_KEY: add it in the sidebar or the environment")
    assert out["b"]["error"].startswith("no OPENAI_API_KEY")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--a", "no-such-model", "--b", "gemma-3-270m"], "unknown model id 'no-such-model'"),
        (["--a", "gemma-3-270m", "--b", "gemma-3-270m", "--max-tokens", "0"], "max tokens must be between"),
        (["--a", "gemma-3-270m", "--b", "gemma-3-270m", "--temperature", "5"], "temperature must be between"),
    ],
)
def test_bad_input_exits_2_naming_the_field(args, message, capsys):
    assert main(["compare", *args, "--prompt", "hi"]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


@pytest.mark.local_models
def test_the_module_entry_point_prints_text_and_exits_0(local_servers):
    env = dict(os.environ, SELECTOR_DATA_DIR=str(local_servers.data_dir))
    proc = subprocess.run(
        [sys.executable, "-m", "selector", "compare", "--a", "smollm2-135m-instruct", "--b", "gemma-3-270m",
         "--prompt", "Say hello.", "--max-tokens", "8"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=180,
    )
    assert proc.returncode == 0, proc.stderr
    assert "== A: smollm2-135m-instruct" in proc.stdout and "== B: gemma-3-270m" in proc.stdout
    assert "wall time" in proc.stdout


@pytest.mark.local_models
def test_servers_started_by_a_command_are_announced_and_left_for_reuse(capsys):
    from selector.live import servers as local

    try:
        code = main(["compare", "--a", "smollm2-135m-instruct", "--b", "smollm2-135m-instruct",
                     "--prompt", "Say hello.", "--max-tokens", "4", "--json", "--no-history"])
        err = capsys.readouterr().err
        assert code == 0
        assert err.count("note: started the local smollm2-135m-instruct server") == 1
        assert "python -m selector local stop" in err
        assert {r["model"]: r["running"] for r in local.server_status()}["smollm2-135m-instruct"]
    finally:
        local.stop_all()


def test_a_shared_api_base_reaches_only_the_side_that_is_not_a_catalogue_model(monkeypatch, capsys):
    """--api-base serves the custom model; the catalogue model keeps its provider (and needs its key)."""
    for name in list(os.environ):
        if name.endswith("_API_KEY"):
            monkeypatch.delenv(name)
    port = closed_port()
    code = main(["compare", "--a", "openai/my-model", "--api-base", f"http://127.0.0.1:{port}/v1",
                 "--b", "gpt-4o-mini", "--prompt", "hi", "--json", "--no-history"])
    out = json.loads(capsys.readouterr().out)
    assert code == 1
    assert f"127.0.0.1:{port}" in out["a"]["error"]
    assert out["b"]["error"].startswith("no OPENAI_API_KEY") and str(port) not in out["b"]["error"]
