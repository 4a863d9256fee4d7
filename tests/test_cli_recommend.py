"""`python -m selector recommend`: JSON and Markdown output, --only/--top, exit 2 on bad input, no litellm."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from catalogue_samples import bench

ROOT = Path(__file__).resolve().parent.parent


def entry(model_id: str, **overrides) -> dict:
    data = {
        "id": model_id, "name": model_id.upper(), "provider": "Acme", "family": "A", "open_weights": False,
        "license": "proprietary", "params_b": None, "context_tokens": 128000, "max_output_tokens": None,
        "input_usd_per_mtok": 1.0, "output_usd_per_mtok": 4.0, "price_source": "https://example.com",
        "input_modalities": ["text"], "output_modalities": ["text"], "languages": ["en"],
        "benchmarks": {"mmlu": bench("mmlu", 80)}, "release_date": None,
        "sources": ["https://example.com"], "as_of": "2026-11-01",
        "checked": {"prices": "2026-11-01", "benchmarks": "2026-11-01"},
    }
    data.update(overrides)
    return data


@pytest.fixture
def files(tmp_path):
    models = [
        entry("alpha", benchmarks={"mmlu": bench("mmlu", 90)}),
        entry("beta", input_usd_per_mtok=0.1, output_usd_per_mtok=0.4),
        entry("gamma", context_tokens=16000),
        entry("delta", input_modalities=["text", "image"]),
    ]
    catalogue = tmp_path / "models.yaml"
    catalogue.write_text(yaml.safe_dump({"models": models}))
    answers = tmp_path / "answers.yaml"
    answers.write_text("description: test\ncontext_tokens: 32000\npriorities: {quality: 5, cost: 1, latency: 1}\n")
    return catalogue, answers


def cli(*args: str, importtime: bool = False) -> subprocess.CompletedProcess:
    flags = ["-X", "importtime"] if importtime else []
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.run([sys.executable, *flags, "-m", "selector", "recommend", *args],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)


def test_json_output_has_the_documented_shape(files):
    catalogue, answers = files
    result = cli("--answers", str(answers), "--catalogue", str(catalogue), "--format", "json", "--top", "2")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert [p["id"] for p in data["recommendations"]] == ["alpha", "beta"]
    first = data["recommendations"][0]
    assert set(first) >= {"rank", "id", "name", "score", "score_parts", "reasons", "monthly_cost_usd"}
    assert first["rank"] == 1 and first["name"] == "ALPHA" and first["monthly_cost_usd"] == pytest.approx(54.72)
    assert [{"id": e["id"], "reasons": e["reasons"]} for e in data["excluded"]] == [
        {"id": "gamma", "reasons": ["context 16,000 < required 32,000"]}]
    assert data["catalogue"]["models"] == 4 and data["catalogue"]["as_of"] == "2026-11-01"
    assert data["catalogue"]["path"].endswith("models.yaml")


def test_markdown_output_lists_picks_reasons_and_exclusions(files):
    catalogue, answers = files
    result = cli("--answers", str(answers), "--catalogue", str(catalogue))
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("# Model recommendation report")  # the report's template, no second writer
    assert "### 1. ALPHA" in result.stdout and "Trade-off:" in result.stdout
    assert "| GAMMA (gamma) | context 16,000 \\< required 32,000 |" in result.stdout


def test_only_restricts_the_choice(files):
    catalogue, answers = files
    result = cli("--answers", str(answers), "--catalogue", str(catalogue), "--only", "beta,delta", "--format", "json")
    data = json.loads(result.stdout)
    assert [p["id"] for p in data["recommendations"]] == ["beta", "delta"]
    assert {"id": "alpha", "reasons": ["not in the approved list"]} in [
        {"id": e["id"], "reasons": e["reasons"]} for e in data["excluded"]]


@pytest.mark.parametrize(
    "answers_text, extra, expected",
    [
        ("priorities: {quality: 9}\n", [], ["error: answers answers.yaml: priorities.quality must be <= 5 (got 9)"]),
        ("use_cases: [poetry]\nmodalities: [smell]\n", [], ["error: answers answers.yaml: use_cases[0] must be one of",
                                                            "error: answers answers.yaml: modalities[0] must be one of"]),
        ("traffic: {requests_per_day: -1}\n", [], ["error: answers answers.yaml: traffic.requests_per_day must be >= 0"]),
        ("allow: [alpah]\n", [], ["error: answers answers.yaml: allow[0] unknown model id 'alpah'; did you mean 'alpha'?"]),
        ("{}\n", ["--only", "alpha,bta"], ["error: --only: unknown model id 'bta'; did you mean 'beta'"]),
        ("{}\n", ["--top", "0"], ["error: --top must be >= 1 (got 0)"]),
    ],
)
def test_bad_input_exits_2_with_one_line_per_problem(files, answers_text, extra, expected):
    catalogue, answers = files
    answers.write_text(answers_text)
    result = cli("--answers", str(answers), "--catalogue", str(catalogue), *extra)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == len(expected)
    for line, text in zip(lines, expected):
        assert line.startswith("error: ") and text.removeprefix("error: ") in line.replace(str(answers.parent) + "/", ""), line
    assert "Traceback" not in result.stderr and result.stdout == ""


def test_missing_files_exit_2(files, tmp_path):
    catalogue, answers = files
    result = cli("--answers", str(tmp_path / "none.yaml"), "--catalogue", str(catalogue))
    assert result.returncode == 2 and "none.yaml: file not found" in result.stderr
    result = cli("--answers", str(answers), "--catalogue", str(tmp_path / "none.yaml"))
    assert result.returncode == 2 and "catalogue" in result.stderr and "file not found" in result.stderr


def test_recommend_never_imports_litellm(files):
    catalogue, answers = files
    result = cli("--answers", str(answers), "--catalogue", str(catalogue), "--format", "json", importtime=True)
    assert result.returncode == 0
    imported = [line.rsplit("|", 1)[-1].strip() for line in result.stderr.splitlines() if line.startswith("import time:")]
    assert "selector.scoring" in imported  # the import log is real
    assert not [name for name in imported if name.split(".")[0] in ("litellm", "streamlit", "openai")]


def test_changes_add_what_would_change_the_answer(files):
    catalogue, answers = files
    plain = json.loads(cli("--answers", str(answers), "--catalogue", str(catalogue), "--format", "json").stdout)
    assert plain["what_would_change"] == []
    result = cli("--answers", str(answers), "--catalogue", str(catalogue), "--format", "json", "--changes")
    assert result.returncode == 0, result.stderr
    changes = json.loads(result.stdout)["what_would_change"]
    assert changes and all({"field", "threshold", "direction", "new_first_id", "sentence"} <= set(c) for c in changes)
    assert all(c["new_first_id"] != "alpha" for c in changes)  # each names a different first pick (or none)


def test_recommend_json_is_the_report_json(files, tmp_path):
    """One JSON shape: `recommend --format json` prints what `report --format json` writes for the same answers."""
    from selector.cli import main

    catalogue, answers = files
    result = cli("--answers", str(answers), "--catalogue", str(catalogue), "--format", "json", "--changes")
    assert result.returncode == 0, result.stderr
    printed = json.loads(result.stdout)
    out = tmp_path / "report.json"
    assert main(["report", "--answers", str(answers), "--catalogue", str(catalogue), "--format", "json",
                 "--out", str(out)]) == 0
    written = json.loads(out.read_text())
    assert set(printed) == set(written) and "picks" not in printed
    printed.pop("generated_at"), written.pop("generated_at")
    assert printed == written


def test_recommend_markdown_is_the_report_markdown(files, tmp_path):
    from selector.cli import main

    catalogue, answers = files
    printed = cli("--answers", str(answers), "--catalogue", str(catalogue), "--changes").stdout
    out = tmp_path / "report.md"
    assert main(["report", "--answers", str(answers), "--catalogue", str(catalogue), "--format", "md",
                 "--out", str(out)]) == 0
    def without_date(text: str) -> list[str]:
        return [line for line in text.splitlines() if not line.startswith("Generated ")]

    assert without_date(printed) == without_date(out.read_text())
