"""`python -m selector report`: each format written, bad input exits 2 in one line per problem, no litellm, PDF."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from selector.cli import main
from selector.history import open_history
from selector.report import SCHEMA_VERSION

ROOT = Path(__file__).resolve().parent.parent
SUPPORT = ROOT / "data" / "examples" / "support-bot.yaml"
CATALOGUE = ROOT / "data" / "models.yaml"


def run_cli(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "selector", *args], cwd=ROOT, capture_output=True, text=True, timeout=120,
        env={**os.environ, **(env or {})},
    )


@pytest.mark.parametrize("fmt", ["html", "md", "json"])
def test_each_format_is_written(tmp_path, capsys, fmt):
    out = tmp_path / f"report.{fmt}"
    assert main(["report", "--answers", str(SUPPORT), "--format", fmt, "--out", str(out),
                 "--catalogue", str(CATALOGUE)]) == 0
    text = out.read_text(encoding="utf-8")
    assert "Support bot for our help centre" in text
    assert f"report written to {out}" in capsys.readouterr().out
    if fmt == "json":
        data = json.loads(text)
        assert data["schema_version"] == SCHEMA_VERSION and len(data["recommendations"]) == 3
    if fmt == "html":
        assert text.count("* plotly.js v") == 1


def test_top_option_and_runs_from_history(tmp_path):
    history = open_history()
    run_id = history.start_run("Say hi", settings={"max_tokens": 16})
    history.save_result(run_id, "a", {"model": "gpt-4o-mini", "text": "Hi there", "output_tokens": 2})
    history.save_result(run_id, "b", {"model": "claude-haiku-4-5", "text": "Hello!", "output_tokens": 2})
    history.set_vote(run_id, "b")
    out = tmp_path / "r.json"
    assert main(["report", "--answers", str(SUPPORT), "--format", "json", "--out", str(out), "--top", "2",
                 "--runs", str(run_id)]) == 0
    data = json.loads(out.read_text())
    assert len(data["recommendations"]) == 2
    [run] = data["live_runs"]
    assert run["prompt"] == "Say hi" and run["vote"] == "b"
    assert [s["text"] for s in run["sides"]] == ["Hi there", "Hello!"]
    assert main(["report", "--answers", str(SUPPORT), "--format", "json", "--out", str(out)]) == 0
    assert json.loads(out.read_text())["live_runs"] == []  # the default is none


def test_bad_answers_exit_2_with_one_line_per_problem(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump({"context_tokens": -5, "deployment": "moon", "colour": "red"}))
    done = run_cli("report", "--answers", str(bad), "--format", "md", "--out", str(tmp_path / "r.md"))
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 3 and all(line.startswith("error: answers ") for line in lines)
    assert any("context_tokens" in line for line in lines) and any("colour" in line for line in lines)
    assert "Traceback" not in done.stderr
    assert not (tmp_path / "r.md").exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--runs", "x,y"], "--runs must be all, none or comma-separated run ids"),
        (["--runs", "42"], "history has no run with id 42"),
        (["--catalogue", "/nonexistent/models.yaml"], "file not found"),
        (["--out", "/nonexistent/dir/r.md"], "cannot write the report"),
    ],
)
def test_bad_options_exit_2(tmp_path, capsys, args, message):
    argv = ["report", "--answers", str(SUPPORT), "--format", "md", "--out", str(tmp_path / "r.md"), *args]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1


def test_report_never_imports_litellm(tmp_path):
    code = (
        "import sys; from selector.cli import main; "
        f"rc = main(['report', '--answers', {str(SUPPORT)!r}, '--format', 'html', '--out', {str(tmp_path / 'r.html')!r}]); "
        "print(rc, 'litellm' in sys.modules)"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.stdout.strip().splitlines()[-1] == "0 False", done.stderr


def test_pdf_without_chromium_is_reported_and_exits_0(tmp_path):
    out = tmp_path / "r.html"
    done = run_cli("report", "--answers", str(SUPPORT), "--format", "html", "--out", str(out), "--pdf",
                   env={"SELECTOR_CHROMIUM": ""})
    assert done.returncode == 0, done.stderr
    assert "PDF not written: no chromium found" in done.stderr
    assert out.exists() and not out.with_suffix(".pdf").exists()


@pytest.mark.usefixtures("chromium_required")
def test_pdf_is_printed_with_chromium(tmp_path, capsys):
    out = tmp_path / "r.md"
    pdf = tmp_path / "printed.pdf"
    assert main(["report", "--answers", str(SUPPORT), "--format", "md", "--out", str(out), "--pdf", str(pdf)]) == 0
    assert pdf.read_bytes().startswith(b"%PDF")
    assert pdf.stat().st_size > 10_000
    assert f"PDF written to {pdf}" in capsys.readouterr().out
