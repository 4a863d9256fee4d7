"""The report's content in every format: structure, escaping of hostile text, no API key, router config."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
import yaml
from markupsafe import escape

from selector.answers import load_answers, parse_answers
from selector.catalogue import load_catalogue
from selector.errors import SelectorError
from selector.history import open_history
from selector.report import (
    FORMATS,
    SCHEMA_VERSION,
    SELF_HOSTED_API_BASE,
    find_chromium,
    load_runs,
    md_text,
    prepare_report,
    render,
    write_pdf,
)
from selector.recommendation import format_money
from selector.scoring import recommend

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = sorted((ROOT / "data" / "examples").glob("*.yaml"))
HOSTILE = """<script>alert(1)</script></div><img src=x onerror="alert(2)"> 'quoted' | pipe"""
SECRET = "sk-test-SECRET-0123456789abcdef"


@pytest.fixture(scope="module")
def catalogue():
    return load_catalogue(ROOT / "data" / "models.yaml")


def build(catalogue, answers, runs=()):
    return prepare_report(recommend(catalogue, answers), runs, generated_at="2026-11-28T12:00:00+00:00")


def hostile_run(history, text: str = HOSTILE) -> int:
    run_id = history.start_run(HOSTILE, system="be brief", settings={"max_tokens": 64, "temperature": 0.2})
    for side, model in (("a", "gpt-4o-mini"), ("b", "smollm2-135m-instruct")):
        history.save_result(run_id, side, {
            "model": model, "text": text if side == "a" else "a plain answer", "ttft_s": 0.12, "latency_s": 0.9,
            "output_tokens": 12, "tokens_per_s": 40.0, "cost_usd": None, "finish_reason": "stop",
        })
    history.finish_run(run_id, 0.95)
    history.set_vote(run_id, "a")
    return run_id


class TagCollector(HTMLParser):
    """Start tags and, per tag, the text directly inside script elements."""

    def __init__(self):
        super().__init__()
        self.tags: list[tuple[str, dict]] = []
        self.scripts: list[str] = []
        self._in_script = False
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        self._in_script = tag == "script"
        if tag == "script":
            self.scripts.append("")

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_script = False

    def handle_data(self, data):
        if self._in_script:
            self.scripts[-1] += data
        else:
            self.text.append(data)


# --- content of each format ---------------------------------------------------------------------


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_json_has_everything_as_data(catalogue, path):
    answers = load_answers(path, catalogue)
    rec = recommend(catalogue, answers)
    data = json.loads(render(build(catalogue, answers), "json"))
    assert data["schema_version"] == SCHEMA_VERSION
    assert data["answers"]["description"] == answers.description
    assert [p["id"] for p in data["recommendations"]] == [p.model.id for p in rec.picks]
    assert data["runner_up"]["id"] == rec.picks[1].model.id and data["runner_up"]["tradeoff"] == rec.picks[1].tradeoff
    assert {e["id"] for e in data["excluded"]} == {e.model.id for e in rec.excluded}
    assert all(e["reasons"] for e in data["excluded"])
    for pick, row in zip(rec.picks, data["costs"]["rows"]):
        assert row["id"] == pick.model.id
        assert row["monthly_usd"] == pytest.approx(pick.monthly_cost_usd, abs=0.01)
        assert set(data["recommendations"][pick.rank - 1]["score_parts"]) == set(pick.score_parts)
    assert data["catalogue"]["as_of"] == catalogue.as_of.isoformat()
    sources = {s["id"]: s for s in data["sources"]}
    for pick in rec.picks:
        assert sources[pick.model.id]["price_source"] == pick.model.price_source
    assert data["assumptions"]["self_hosting"] and data["assumptions"]["latency"]
    assert data["live_runs"] == []


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_markdown_is_readable_with_tables(catalogue, path):
    answers = load_answers(path, catalogue)
    rec = recommend(catalogue, answers)
    text = render(build(catalogue, answers), "md")
    for heading in ("# Model recommendation report", "## Your answers", "## Ranked picks", "## Runner-up",
                    "## Monthly cost at", "## Self-hosting break-even", "## Live comparisons", "## Excluded models",
                    "## Sources of the prices used", "## Assumptions", "## LiteLLM Router configuration"):
        assert re.search(rf"^{re.escape(heading)}", text, re.M), heading
    assert f"**Top pick: {md_text(rec.top.model.name)}**" in text
    assert "| Rank | Model | Provider | Score | Capability (95% interval) | Monthly cost | Cost basis | Shuts down |" in text
    for exclusion in rec.excluded:
        assert md_text("; ".join(exclusion.reasons)) in text
    assert rec.as_of in text


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_html_is_self_contained_printable_and_names_the_top_pick(catalogue, path):
    answers = load_answers(path, catalogue)
    rec = recommend(catalogue, answers)
    page = render(build(catalogue, answers), "html")
    assert page.startswith("<!DOCTYPE html>")
    assert page.count("* plotly.js v") == 1  # the library is inlined once, not per chart
    assert page.count("Plotly.newPlot(") == 3
    parser = TagCollector()
    parser.feed(page)
    assert not [a for t, a in parser.tags if t == "script" and a.get("src")]  # nothing fetched: renders offline
    assert not [a for t, a in parser.tags if t == "link" and a.get("rel") == "stylesheet"]
    assert "@media print" in page
    assert f'<strong class="top-pick">{escape(rec.top.model.name)}</strong>' in page
    headings = [h for h in ("Your answers", "Ranked picks", "Excluded models", "Sources of the prices used",
                            "Assumptions", "LiteLLM Router configuration") if f">{h}" in page]
    assert len(headings) == 6
    text = "".join(parser.text)
    for exclusion in rec.excluded:
        assert "; ".join(exclusion.reasons) in text
    links = {a.get("href") for t, a in parser.tags if t == "a"}
    for pick in rec.picks:
        if pick.model.price_source and pick.model.price_source.startswith("http"):
            assert pick.model.price_source in links


def test_html_stays_under_the_size_target(catalogue):
    answers = load_answers(EXAMPLES[0], catalogue)
    assert len(render(build(catalogue, answers), "html").encode()) < 6_000_000


def test_no_model_qualifies_still_gives_a_report(catalogue):
    answers = parse_answers({"description": "impossible", "context_tokens": 19_000_000}, catalogue=catalogue)
    report = build(catalogue, answers)
    assert report.facts.recommendations == [] and report.facts.binding
    for fmt in FORMATS:
        assert "impossible" in render(report, fmt)
    assert "nothing to route to" in render(report, "md")


# --- escaping ---------------------------------------------------------------------------------------


def test_hostile_text_in_description_and_model_answer_produces_no_markup(catalogue):
    history = open_history()
    run_id = hostile_run(history)
    answers = parse_answers({"description": HOSTILE}, catalogue=catalogue)
    report = build(catalogue, answers, load_runs(history, [run_id]))

    page = render(report, "html")
    parser = TagCollector()
    parser.feed(page)
    assert not [t for t, a in parser.tags if t == "img"]
    assert not any("alert(" in script for script in parser.scripts)
    assert all(not any(k.startswith("on") for k in attrs) for _, attrs in parser.tags)
    text = "".join(parser.text)
    assert text.count(HOSTILE) >= 3  # description twice (header, answers table), prompt, model answer
    assert escape(HOSTILE) in page and HOSTILE not in page

    markdown = render(report, "md")
    outside_fences = re.sub(r"^(`{3,})text\n.*?\n\1$", "", markdown, flags=re.S | re.M)
    assert "<script" not in outside_fences.replace("\\<script", "")
    assert "\\<script\\>alert(1)" not in markdown  # '>' need not be escaped; '<' is
    assert "\\<script>alert(1)\\</script>" in markdown
    assert "| Description | " + md_text(HOSTILE) + " |" in markdown  # the pipe is escaped inside the table
    assert HOSTILE in markdown  # the model's answer is kept verbatim inside a fence

    data = json.loads(render(report, "json"))
    assert data["answers"]["description"] == HOSTILE
    assert data["live_runs"][0]["sides"][0]["text"] == HOSTILE


def test_markdown_fence_outlasts_backticks_in_an_answer(catalogue):
    history = open_history()
    run_id = hostile_run(history, text="before\n````\nnot the end\n````\nafter")
    answers = parse_answers({}, catalogue=catalogue)
    markdown = render(build(catalogue, answers, load_runs(history, str(run_id))), "md")
    assert "`````text\nbefore\n````\nnot the end" in markdown


# --- keys ------------------------------------------------------------------------------------------


def test_no_api_key_in_any_format(catalogue, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", SECRET)
    monkeypatch.setenv("ANTHROPIC_API_KEY", SECRET + "-anthropic")
    history = open_history()
    run_id = hostile_run(history, text=f"my key is {SECRET} and {SECRET}-anthropic")
    # A row written by something other than History.start_run, with keys in its settings.
    import sqlite3

    with sqlite3.connect(history.path) as conn:
        conn.execute(
            "UPDATE runs SET settings = ?, prompt = ? WHERE id = ?",
            (json.dumps({"max_tokens": 64, "api_key": SECRET, "headers": {"Authorization": f"Bearer {SECRET}"},
                         "a": f"gpt-4o-mini?key={SECRET}"}), f"prompt {SECRET}", run_id),
        )
    answers = parse_answers({"description": f"uses {SECRET}"}, catalogue=catalogue)
    report = build(catalogue, answers, load_runs(history, "all"))
    assert report.facts.live_runs, "the run must be in the report for this test to mean anything"
    for fmt in FORMATS:
        text = render(report, fmt)
        assert "SECRET" not in text, fmt
        assert "[redacted]" in text
    config = report.facts.router_config.yaml
    assert "os.environ/" in config and "sk-" not in config


# --- router config -----------------------------------------------------------------------------------


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_router_config_parses_and_falls_back_to_the_runner_up(catalogue, path):
    answers = load_answers(path, catalogue)
    rec = recommend(catalogue, answers)
    config = yaml.safe_load(build(catalogue, answers).facts.router_config.yaml)
    top, runner = rec.picks[0], rec.picks[1]
    assert [m["model_name"] for m in config["model_list"]] == [top.model.id, runner.model.id]
    assert config["router_settings"]["fallbacks"] == [{top.model.id: [runner.model.id]}]
    for entry, pick in zip(config["model_list"], (top, runner)):
        params = entry["litellm_params"]
        assert params["api_key"].startswith("os.environ/")
        if pick.serving.mode in ("self_hosted", "device"):
            assert params["api_base"] == SELF_HOSTED_API_BASE
        else:  # the maker's API or the host offer the pick was priced through
            assert params["model"] == pick.serving.call_as


def test_router_config_uses_the_provider_key_names(catalogue):
    answers = parse_answers({"allow": ["gpt-4o-mini", "claude-haiku-4-5"]}, catalogue=catalogue)
    config = build(catalogue, answers).facts.router_config.model_dump()["config"]
    keys = {e["litellm_params"]["model"]: e["litellm_params"]["api_key"] for e in config["model_list"]}
    assert keys == {"gpt-4o-mini": "os.environ/OPENAI_API_KEY", "claude-haiku-4-5-20251001": "os.environ/ANTHROPIC_API_KEY"}


def test_router_config_is_accepted_by_litellm_router(catalogue, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-not-real-0000000000")
    monkeypatch.setenv("SELF_HOSTED_LLM_API_KEY", "anything")
    from selector.live import import_litellm

    litellm = import_litellm()
    answers = load_answers(ROOT / "data" / "examples" / "support-bot.yaml", catalogue)
    config = yaml.safe_load(build(catalogue, answers).facts.router_config.yaml)
    router = litellm.Router(model_list=config["model_list"], **config["router_settings"])
    names = [m["model_name"] for m in config["model_list"]]
    for name in names:  # both deployments are registered under the names the fallback rule uses
        reply = router.completion(model=name, messages=[{"role": "user", "content": "hi"}], mock_response=f"ok {name}")
        assert reply.choices[0].message.content == f"ok {name}"


# --- runs and PDF -------------------------------------------------------------------------------------


def test_load_runs_specs():
    history = open_history()
    first, second = hostile_run(history), hostile_run(history)
    assert load_runs(history, "none") == [] and load_runs(history, None) == []
    assert [r["id"] for r in load_runs(history, "all")] == [first, second]
    assert [r["id"] for r in load_runs(history, f"{second}, {second},{first}")] == [second, first]
    with pytest.raises(SelectorError, match="--runs must be all, none or comma-separated run ids"):
        load_runs(history, "3;4")
    with pytest.raises(SelectorError, match="no run with id 999"):
        load_runs(history, "999")


def test_pdf_absence_is_reported_not_raised(monkeypatch):
    monkeypatch.setenv("SELECTOR_CHROMIUM", "")
    assert find_chromium() is None
    assert write_pdf("<p>x</p>", "/nonexistent/never-written.pdf") is False


def test_every_format_carries_what_would_change_unrated_models_and_intervals(catalogue):
    from selector.scoring import first_pick
    from selector.sensitivity import find_changes

    answers = load_answers(EXAMPLES[0], catalogue)
    rec = recommend(catalogue, answers)
    rec.changes = find_changes(catalogue, answers, first_pick=first_pick)
    assert rec.changes
    report = prepare_report(rec, (), generated_at="2026-11-28T12:00:00+00:00")
    sentence = rec.changes[0].sentence
    data = json.loads(render(report, "json"))
    assert data["what_would_change"][0]["sentence"] == sentence
    assert all({"point", "low", "high"} <= set(p["capability"]) for p in data["recommendations"])
    assert [u["id"] for u in data["unrated"]] == [u.model.id for u in rec.unrated]
    markdown, html = render(report, "md"), render(report, "html")
    assert "## What would change the answer" in markdown and md_text(sentence) in markdown
    assert 'id="changes"' in html and "What would change the answer" in html
    assert rec.unrated and rec.unrated[0].model.name.split()[0] in markdown


# --- the fact model ------------------------------------------------------------------------------------

INJECTION = "<script>alert(1)</script> ![x](http://evil) [click](http://evil)"


def hostile_catalogue():
    from catalogue_samples import bench, entry

    from selector.catalogue import parse_catalogue

    return parse_catalogue({"models": [
        entry("evil", name=INJECTION, benchmarks={"mmlu": bench("mmlu", 90)}),
        entry("plain", benchmarks={"mmlu": bench("mmlu", 70)}),
        entry("small", context_tokens=4000, name="Small " + INJECTION),
    ]}, "hostile.yaml")


def outside_fences(markdown: str) -> str:
    return re.sub(r"^(`{3,})[a-z]*\n.*?\n\1$", "", markdown, flags=re.S | re.M)


def test_a_hostile_model_name_and_prompt_stay_text_in_html_and_markdown():
    history = open_history()
    run_id = history.start_run(INJECTION, settings={"max_tokens": 8})
    history.save_result(run_id, "a", {"model": INJECTION, "text": INJECTION, "output_tokens": 3})
    cat = hostile_catalogue()
    report = build(cat, parse_answers({"description": INJECTION}, catalogue=cat), load_runs(history, [run_id]))
    assert report.facts.top.name == INJECTION and report.facts.excluded[0].name.endswith(INJECTION)

    page = render(report, "html")
    parser = TagCollector()
    parser.feed(page)
    plain = TagCollector()
    plain.feed(render(build(cat, parse_answers({}, catalogue=cat)), "html"))
    assert [t for t, _ in parser.tags if t == "script"] == [t for t, _ in plain.tags if t == "script"]  # plotly's only
    assert not [t for t, _ in parser.tags if t == "img"]
    assert "http://evil" not in {a.get("href") for t, a in parser.tags if t == "a"}
    assert "".join(parser.text).count(INJECTION) >= 5  # description, names, prompt, answer: shown as text

    markdown = outside_fences(render(report, "md"))
    assert not re.search(r"(?<!\\)!\[|(?<!\\)\]\(|(?<!\\)<script", markdown)  # no image, link or HTML
    assert "!\\[x\\](http://evil)" in markdown and "\\<script>alert(1)\\</script>" in markdown


def test_facts_reject_unknown_fields_at_every_level(catalogue):
    from pydantic import ValidationError

    from selector.report import ReportFacts

    data = build(catalogue, load_answers(EXAMPLES[0], catalogue)).facts.model_dump(mode="json")
    assert ReportFacts.model_validate(data).model_dump(mode="json") == data  # the dump reads back as is
    with pytest.raises(ValidationError, match="Extra inputs are not permitted"):
        ReportFacts.model_validate({**data, "picks": data["recommendations"]})
    data["recommendations"][0]["colour"] = "red"
    with pytest.raises(ValidationError, match=r"recommendations\.0\.colour"):
        ReportFacts.model_validate(data)


def test_non_finite_numbers_are_null_and_the_json_is_strict():
    from selector.report import facts

    row = facts.BreakEvenRow(id="m", name="M", against_id=None, against_name=None, requests_per_day=float("inf"),
                             sustained_requests_per_day=float("nan"), note="")
    assert row.requests_per_day is None and row.sustained_requests_per_day is None
    change = facts.ChangeFacts(field="budget_usd_per_month", label="budget", current=None, threshold=float("-inf"),
                               direction="below", new_first_id=None, new_first_name=None, sentence="")
    assert change.threshold is None


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_html_and_markdown_state_the_same_facts(catalogue, path):
    history = open_history()
    run_id = hostile_run(history, text="a short answer")
    report = build(catalogue, load_answers(path, catalogue), load_runs(history, [run_id]))
    parser = TagCollector()
    parser.feed(render(report, "html"))
    page = "".join(parser.text)
    markdown = render(report, "md")
    f = report.facts
    for model_id in ([p.id for p in f.recommendations] + [e.id for e in f.excluded] + [u.id for u in f.unrated]
                     + [s.id for s in f.sources]):
        assert model_id in page and model_id in markdown, model_id
    for money in [r.monthly_usd for r in f.costs.rows]:
        assert format_money(money) in page and format_money(money) in markdown
    for run in f.live_runs:
        assert f"Run {run.id}" in page and f"Run {run.id}" in markdown
        assert f"vote: {run.vote}" in page and f"vote: {run.vote}" in markdown
    for warning in f.warnings:
        assert warning in page and md_text(warning) in markdown


def test_the_templates_ship_with_the_package():
    import tomllib

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    shipped = project["tool"]["setuptools"]["package-data"]["selector.report"]
    templates = ROOT / "selector" / "report" / "templates"
    names = {p.name for pattern in shipped for p in templates.glob(pattern.removeprefix("templates/"))}
    assert {"report.html.j2", "report.md.j2"} <= names
    assert names == {p.name for p in templates.iterdir()}


def test_the_report_imports_no_interface_and_the_engine_no_report():
    """Imports point one way: pages and cli -> report -> engine (every import, lazy ones included)."""
    import ast

    def imported(path: Path) -> set[str]:
        names = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module:
                names.add(node.module)
            elif isinstance(node, ast.Import):
                names.update(alias.name for alias in node.names)
        return names

    report_files = sorted((ROOT / "selector" / "report").glob("*.py"))
    assert len(report_files) >= 5
    for path in report_files:
        assert not {n for n in imported(path) if n.split(".")[0] in ("pages", "streamlit") or n == "selector.cli"}, path
    assert not {n for n in imported(ROOT / "selector" / "recommendation.py") if n.startswith("selector.report")}
    assert not (ROOT / "selector" / "report.py").exists() and not (ROOT / "selector" / "report_html.py").exists()
