"""`python -m selector bench-prompts`: JSON shape, exit codes (0 / 1 every call of a model failed / 2 bad input)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from local_servers import local_servers  # noqa: F401  (session fixture)
from selector.cli import main
from selector.history import open_history

ROOT = Path(__file__).resolve().parent.parent
SUMMARY_KEYS = {"model", "label", "rows", "succeeded", "success_rate", "latency_p50_s", "latency_p95_s", "ttft_p50_s",
                "ttft_p95_s", "output_tokens_mean", "cost_per_request_usd", "monthly_cost_usd", "checked", "passed",
                "quality", "catalogue_id"}


@pytest.fixture
def two_prompts(tmp_path) -> Path:
    path = tmp_path / "two.csv"
    path.write_text("prompt,expected,check\nWhat is the capital of France?,Paris,contains\nWhat is 2 + 2?,4,contains\n")
    return path


@pytest.mark.local_models
def test_two_prompts_on_the_two_local_models_as_json(local_servers, monkeypatch, capsys, two_prompts, tmp_path):
    monkeypatch.setenv("SELECTOR_DATA_DIR", str(local_servers.data_dir))
    answers = tmp_path / "answers.yaml"
    answers.write_text("traffic:\n  requests_per_day: 2000\n")
    code = main(["bench-prompts", "--prompts", str(two_prompts), "--models", "smollm2-135m-instruct,gemma-3-270m",
                 "--max-tokens", "8", "--concurrency", "2", "--answers", str(answers), "--json"])
    out = json.loads(capsys.readouterr().out)
    assert code == 0
    assert out["status"] == "done" and out["traffic_requests_per_day"] == 2000 and "type 7" in out["percentile_method"]
    assert [m["model"] for m in out["models"]] == ["smollm2-135m-instruct", "gemma-3-270m"]
    for summary in out["models"]:
        assert set(summary) == SUMMARY_KEYS
        assert summary["success_rate"] == 1.0 and summary["checked"] == 2
        assert summary["cost_per_request_usd"] == 0.0 and summary["monthly_cost_usd"] == 0.0
    assert len(out["rows"]) == 4
    assert open_history().get_benchmark(out["run_id"])["status"] == "done"


def test_every_call_of_a_model_failing_exits_1_with_its_first_error(monkeypatch, tmp_path, capsys, two_prompts):
    for name in list(os.environ):
        if name.endswith("_API_KEY"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HOME", str(tmp_path))
    code = main(["bench-prompts", "--prompts", str(two_prompts), "--models", "anthropic/claude-haiku-4-5,gpt-4o-mini",
                 "--no-history"])
    captured = capsys.readouterr()
    assert code == 1
    assert "0/2 succeeded" in captured.out
    errors = captured.err.strip().splitlines()
    assert errors[0] == ("error: every call to anthropic/claude-haiku-4-5 failed; first error: no ANTHROPIC_API_KEY: "
                         "add it in the sidebar or the environment (needed for anthropic/claude-haiku-4-5)")
    assert len(errors) == 2


@pytest.mark.parametrize(
    ("content", "models", "message"),
    [
        (b"", "smollm2-135m-instruct,gemma-3-270m", "is empty"),
        (b"question\nhi\n", "smollm2-135m-instruct,gemma-3-270m", "has no 'prompt' column"),
        (b"prompt\ncaf\xe9\n", "smollm2-135m-instruct,gemma-3-270m", "is not UTF-8 text"),
        (b"prompt\n" + b"hi\n" * 201, "smollm2-135m-instruct,gemma-3-270m", "201 prompts, over the limit of 200"),
        (b"prompt\nhi\n", "smollm2-135m-instruct,no-such-model-xyz", "unknown model id 'no-such-model-xyz'"),
        (b"prompt\nhi\n", "smollm2-135m-instruct", "pick 2 to 6 models (got 1)"),
    ],
)
def test_bad_input_exits_2_with_one_line_and_runs_nothing(tmp_path, capsys, content, models, message):
    path = tmp_path / "p.csv"
    path.write_bytes(content)
    code = main(["bench-prompts", "--prompts", str(path), "--models", models])
    captured = capsys.readouterr()
    assert code == 2 and captured.out == ""
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and message in lines[0]
    assert open_history().list_benchmarks() == []


def test_a_missing_file_exits_2_without_a_traceback(tmp_path):
    proc = subprocess.run(
        [sys.executable, "-m", "selector", "bench-prompts", "--prompts", str(tmp_path / "nope.csv"),
         "--models", "smollm2-135m-instruct,gemma-3-270m"],
        cwd=ROOT, capture_output=True, text=True, timeout=60,
        env=dict(os.environ, SELECTOR_DATA_DIR=str(tmp_path / "data")),
    )
    assert proc.returncode == 2
    assert proc.stderr.strip() == f"error: prompts file {tmp_path / 'nope.csv'}: file not found"
