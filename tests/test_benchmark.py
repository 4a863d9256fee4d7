"""Benchmark on your own prompts: file loading, bad input, statistics, checks, runs, history."""

from __future__ import annotations

import csv
import io
import json

import pytest

from local_servers import local_servers  # noqa: F401  (session fixture)
from selector import benchmark
from selector.benchmark import (
    EXAMPLE_PROMPTS,
    MAX_ROWS,
    BenchmarkJob,
    PromptRow,
    RowResult,
    check_answer,
    check_models,
    load_prompts,
    load_run,
    measured_figures,
    parse_verdict,
    percentile,
    results_to_csv,
    run_benchmark,
    summarise,
)
from selector.costs import DAYS_PER_MONTH, Traffic
from selector.errors import SelectorError
from selector.history import open_history
from selector.live import CallSettings, import_litellm, resolve_model
from scripted_caller import per_prompt, scripted

CANARY = "sk-test-CANARY-bench-0123456789abcdef"
CLAUDE, MINI = "anthropic/claude-haiku-4-5", "gpt-4o-mini"
SMOL, GEMMA = "smollm2-135m-instruct", "gemma-3-270m"


# --- percentiles and statistics, computed by hand ---------------------------------------------------


@pytest.mark.parametrize(
    ("values", "p", "expected"),
    [
        ([1, 2, 3, 4], 50, 2.5),              # h = 3 x 0.5 = 1.5 -> 2 + 0.5 x (3 - 2)
        ([1, 2, 3, 4], 95, 3.85),             # h = 3 x 0.95 = 2.85 -> 3 + 0.85 x (4 - 3)
        ([50, 10, 40, 20, 30], 50, 30),       # unsorted input; h = 2 -> the middle value
        ([10, 20, 30, 40, 50], 95, 48),       # h = 4 x 0.95 = 3.8 -> 40 + 0.8 x 10
        ([0.8, 1.2], 95, 1.18),               # h = 0.95 -> 0.8 + 0.95 x 0.4
        ([7.0], 95, 7.0),
        ([1, 2, 3, 4], 0, 1),
        ([1, 2, 3, 4], 100, 4),
    ],
)
def test_percentiles_interpolate_linearly_between_closest_ranks(values, p, expected):
    assert percentile(values, p) == pytest.approx(expected)


def test_no_values_have_no_percentile_and_bad_percentiles_are_refused():
    assert percentile([], 50) is None
    with pytest.raises(ValueError):
        percentile([1], 101)


def _result(model="m", row=1, ok=True, latency=None, ttft=None, tokens=None, cost=None, passed=None, cid=None):
    return RowResult(model=model, row=row, prompt="p", expected=None, check=None, ok=ok, latency_s=latency,
                     ttft_s=ttft, output_tokens=tokens, cost_usd=cost, passed=passed, catalogue_id=cid,
                     error=None if ok else "boom")


def test_a_summary_counts_only_successful_calls_in_latency_cost_and_quality():
    results = [
        _result(row=1, latency=1.0, ttft=0.1, tokens=10, cost=0.002, passed=True),
        _result(row=2, latency=2.0, ttft=0.2, tokens=20, cost=0.004, passed=False),
        _result(row=3, latency=4.0, ttft=0.4, tokens=30, cost=0.006, passed=True),
        _result(row=4, ok=False, latency=60.0),            # a failed call: counted only in the success rate
        _result(row=5, latency=3.0, ttft=0.3, tokens=40, cost=0.008, passed=None),  # nothing expected
        _result(model="other", row=1, latency=99.0),
    ]
    s = summarise(results, "m", traffic=Traffic(requests_per_day=1000))
    assert (s.rows, s.succeeded, s.success_rate) == (5, 4, 0.8)
    assert s.latency_p50_s == pytest.approx(2.5)            # [1, 2, 3, 4]: h = 1.5
    assert s.latency_p95_s == pytest.approx(3.85)
    assert s.ttft_p50_s == pytest.approx(0.25) and s.ttft_p95_s == pytest.approx(0.385)
    assert s.output_tokens_mean == pytest.approx(25)
    assert s.cost_per_request_usd == pytest.approx(0.005)   # (2 + 4 + 6 + 8) / 4 thousandths
    assert s.monthly_cost_usd == pytest.approx(0.005 * 1000 * DAYS_PER_MONTH)
    assert (s.checked, s.passed, s.quality) == (3, 2, pytest.approx(2 / 3))


def test_an_unknown_cost_stays_unknown_and_no_expected_answers_mean_no_quality():
    results = [_result(row=1, latency=1.0, cost=0.01), _result(row=2, latency=1.0, cost=None)]
    s = summarise(results, "m", traffic=Traffic())
    assert s.cost_per_request_usd is None and s.monthly_cost_usd is None
    assert s.quality is None and s.checked == 0
    nothing = summarise([_result(ok=False)], "m")
    assert nothing.success_rate == 0 and nothing.latency_p95_s is None and nothing.output_tokens_mean is None


# --- quality checks ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("answer", "expected", "check", "passes"),
    [
        ("Paris", "paris", "exact", True),
        ("  Paris. ", "Paris", "exact", True),
        ("The capital is Paris.", "Paris", "exact", False),
        ("The capital of France is Paris.", "paris", "contains", True),
        ("The capital of France is Lyon.", "Paris", "contains", False),
        ("There are 7 days.", r"\b(7|seven)\b", "regex", True),
        ("There are Seven days.", r"\b(7|seven)\b", "regex", False),      # case counts unless (?i)
        ("There are Seven days.", r"(?i)\b(7|seven)\b", "regex", True),
        ("17 days", r"\b7\b", "regex", False),
    ],
)
def test_quality_checks(answer, expected, check, passes):
    assert check_answer(answer, expected, check) is passes


@pytest.mark.parametrize(("text", "verdict"), [("PASS", True), (" fail.", False), ("Verdict: Pass", True),
                                                ("maybe", None), ("", None)])
def test_judge_verdicts(text, verdict):
    assert parse_verdict(text) is verdict


# --- the prompt file ---------------------------------------------------------------------------------


def test_the_example_prompts_load_with_expected_answers_and_both_kinds_of_prompt():
    rows = benchmark.load_prompts_file(EXAMPLE_PROMPTS)
    assert 8 <= len(rows) <= 12
    assert rows[0] == PromptRow(1, "What is the capital of France?", "Paris", "contains")
    assert any(r.check == "regex" for r in rows) and any(r.expected is None for r in rows)


def test_csv_and_jsonl_give_the_same_rows_and_the_default_check_is_contains():
    text = 'prompt,expected,check\nCapital of France?,Paris,\n"Say hi, please",,\nTwo plus two?,4,exact\n'
    jsonl = "\n".join(json.dumps(r) for r in [
        {"prompt": "Capital of France?", "expected": "Paris"}, {"prompt": "Say hi, please"},
        {"prompt": "Two plus two?", "expected": 4, "check": "exact"},
    ])
    from_csv = load_prompts(text.encode(), "p.csv")
    assert from_csv == load_prompts(jsonl.encode(), "p.jsonl")
    assert [r.check for r in from_csv] == ["contains", None, "exact"]
    assert load_prompts(b"\xef\xbb\xbf" + text.encode(), "bom.csv") == from_csv   # Excel's BOM


@pytest.mark.parametrize(
    ("data", "name", "message"),
    [
        (b"", "empty.csv", "empty.csv is empty"),
        (b"  \n\n", "blank.csv", "blank.csv is empty"),
        (b"prompt\n", "header.csv", "header.csv has a header but no prompts"),
        (("prompt\n" + "hi\n" * (MAX_ROWS + 1)).encode(), "big.csv", f"big.csv has {MAX_ROWS + 1} prompts, over the limit of {MAX_ROWS}"),
        (b"question,answer\nhi,there\n", "cols.csv", "cols.csv has no 'prompt' column (columns found: 'question', 'answer')"),
        (b"prompt\ncaf\xe9\n", "latin1.csv", "latin1.csv is not UTF-8 text (byte 0xe9 at position 10)"),
        (b"prompt,expected,check\nhi,x,fuzzy\n", "check.csv", "check.csv row 1: check must be one of"),
        (b"prompt,expected,check\nhi,(unclosed,regex\n", "re.csv", "re.csv row 1: expected is not a valid regular expression"),
        (b"prompt,expected\nhi,x\n ,y\n", "gap.csv", "gap.csv row 2: prompt is empty"),
        (b'{"prompt": "hi"}\n{oops\n', "bad.jsonl", "bad.jsonl line 2 is not valid JSON"),
        (b'{"question": "hi"}\n', "q.jsonl", "q.jsonl has no 'prompt' field"),
        (b"x" * (benchmark.MAX_FILE_BYTES + 1), "huge.csv", "huge.csv is 1,000,001 bytes, over the 1,000,000-byte limit"),
    ],
)
def test_bad_files_give_one_clear_line(data, name, message):
    with pytest.raises(SelectorError) as info:
        load_prompts(data, name)
    assert str(info.value).startswith(message)
    assert "\n" not in str(info.value)


@pytest.mark.parametrize(
    ("models", "message"),
    [
        (["gpt-4o-mini"], "pick 2 to 6 models (got 1)"),
        ([SMOL, GEMMA, "gpt-4o", "gpt-4o-mini", "claude-sonnet-4-5", "gemini-2.5-flash", "o3"], "pick 2 to 6 models (got 7)"),
        ([SMOL, SMOL], "models: smollm2-135m-instruct given twice"),
        ([SMOL, "no-such-model-xyz"], "unknown model id 'no-such-model-xyz'"),
    ],
)
def test_bad_model_lists_are_refused_before_anything_runs(models, message):
    with pytest.raises(SelectorError) as info:
        check_models(models)
    assert str(info.value).startswith(message) and "\n" not in str(info.value)


# --- runs on providers through a scripted caller ---------------------------------------------------------


def _litellm_error(name: str, message: str):
    return getattr(import_litellm(), name)(message=message, llm_provider="anthropic", model="claude-haiku-4-5")


ROWS = [PromptRow(1, "Capital of France?", "Paris", "contains"), PromptRow(2, "Two plus two?", "4", "exact"),
        PromptRow(3, "Say hello.", None, None)]


def test_a_provider_failing_on_some_rows_records_them_as_failed_and_goes_on():
    history = open_history()
    targets = check_models([CLAUDE, MINI])
    script = {CLAUDE: per_prompt(ROWS, ["Paris, of course.", _litellm_error("RateLimitError", f"slow down {CANARY}"),
                                        "Hello!"]),
              MINI: per_prompt(ROWS, ["It is Lyon.", "4", _litellm_error("APIConnectionError", "connection reset")])}
    with scripted(script):
        run = run_benchmark(
            ROWS, targets, CallSettings(max_tokens=16, retries=0), concurrency=3, history=history, source="mock.csv",
            api_keys={CLAUDE: CANARY, MINI: CANARY},
        )
    assert run.status == "done" and len(run.results) == 6
    claude, mini = run.summaries(Traffic(requests_per_day=100))
    assert (claude.succeeded, claude.rows, claude.quality) == (2, 3, 1.0)      # row 2 failed: not checked
    assert (mini.succeeded, mini.quality, mini.passed, mini.checked) == (2, 0.5, 1, 2)
    failed = run.result_for(CLAUDE, 2)
    assert not failed.ok and failed.error_kind == "RateLimited" and CANARY not in failed.error
    assert run.result_for(MINI, 3).error_kind == "Unreachable"
    assert claude.cost_per_request_usd > 0 and claude.monthly_cost_usd == pytest.approx(
        claude.cost_per_request_usd * 100 * DAYS_PER_MONTH)
    assert run.every_call_failed() == []

    reopened = load_run(history, run.run_id)
    assert reopened.models == [CLAUDE, MINI] and reopened.status == "done" and reopened.source == "mock.csv"
    assert [s.to_dict() for s in reopened.summaries()] == [s.to_dict() for s in run.summaries()]
    table = list(csv.DictReader(io.StringIO(results_to_csv(reopened))))
    assert len(table) == 6 and [r["row"] for r in table] == ["1", "1", "2", "2", "3", "3"]
    assert table[2]["ok"] == "False" and table[2]["cost_usd"] == ""        # unknown is empty, not 0
    stored = history.get_benchmark(run.run_id)
    assert CANARY not in json.dumps(stored)


def test_every_call_failing_for_a_model_is_reported():
    boom = _litellm_error("AuthenticationError", "bad key")
    with scripted({CLAUDE: boom, MINI: per_prompt(ROWS, ["Paris", "4"])}):
        run = run_benchmark(ROWS[:2], check_models([CLAUDE, MINI]), CallSettings(max_tokens=8, retries=0),
                            api_keys={CLAUDE: CANARY, MINI: CANARY})
    assert run.every_call_failed() == [CLAUDE]
    assert run.summaries()[0].success_rate == 0 and run.summaries()[0].quality is None


def test_stop_keeps_what_finished_and_runs_nothing_more():
    history = open_history()
    job = BenchmarkJob(rows=ROWS, targets=check_models([CLAUDE, MINI]), settings=CallSettings(max_tokens=8),
                       concurrency=1, history=history, api_keys={CLAUDE: CANARY, MINI: CANARY})
    job.on_result = lambda result: job.stop()
    with scripted({CLAUDE: ["a", "b", "c"], MINI: ["d", "e", "f"]}):
        run = job.start().join(timeout=60)
    assert run.status == "stopped" and len(run.results) == 1 and run.results[0].model == CLAUDE
    stored = load_run(history, run.run_id)
    assert stored.status == "stopped" and len(stored.results) == 1


def test_a_judge_model_grades_rows_marked_judge_with_the_prompt_shown():
    rows = [PromptRow(1, "Capital of France?", "Paris", "judge")]
    assert "Reference answer:\nParis" in benchmark.judge_prompt(rows[0], "It's Paris.")
    with scripted({CLAUDE: "It's Paris.", MINI: "Lyon", "gpt-4o": "PASS"}) as fake:
        run = run_benchmark(rows, check_models([CLAUDE, MINI]), CallSettings(max_tokens=8),
                            api_keys={CLAUDE: CANARY, MINI: CANARY, "gpt-4o": CANARY}, judge=resolve_model("gpt-4o"))
    judged = [c for c in fake.calls if c["model"] == resolve_model("gpt-4o").litellm_model]
    assert len(judged) == 2 and "Reference answer:\nParis" in judged[0]["messages"][-1]["content"]
    assert run.result_for(CLAUDE, 1).passed is True and run.result_for(CLAUDE, 1).judge_text == "PASS"
    with scripted({CLAUDE: "x", MINI: "y"}):
        unjudged = run_benchmark(rows, check_models([CLAUDE, MINI]), CallSettings(max_tokens=8),
                                 api_keys={CLAUDE: CANARY, MINI: CANARY})
    assert unjudged.summaries()[0].quality is None   # no judge picked: judged rows stay unchecked


def test_measured_figures_come_from_the_latest_finished_run_per_catalogue_model():
    history = open_history()
    keys = {"gpt-4o": CANARY, MINI: CANARY}
    rows = ROWS[:2]
    with scripted({"gpt-4o": per_prompt(rows, ["Paris", "5"]), MINI: per_prompt(rows, ["Paris", "4"])}):
        run_benchmark(rows, check_models(["gpt-4o", MINI]), CallSettings(max_tokens=8), history=history, api_keys=keys)
    with scripted({MINI: per_prompt(rows, ["Lyon", "4"]), CLAUDE: per_prompt(rows, ["x", "y"])}):
        latest = run_benchmark(rows, check_models([MINI, CLAUDE]), CallSettings(max_tokens=8), history=history,
                               api_keys=keys | {CLAUDE: CANARY})
    figures = measured_figures(history)
    assert figures["gpt-4o"].quality_0_1 == 0.5 and figures["gpt-4o"].source.startswith("benchmark run 1")
    assert figures[MINI].quality_0_1 == 0.5 and figures[MINI].source == f"benchmark run {latest.run_id}, 2 prompts"
    p95 = latest.summaries()[0].latency_p95_s
    assert figures[MINI].latency_p95_ms == pytest.approx(p95 * 1000, abs=0.1)
    assert set(figures) == {"gpt-4o", MINI}  # a LiteLLM string outside the catalogue has no catalogue id


# --- a real run on the two bundled models ---------------------------------------------------------------


@pytest.mark.local_models
def test_a_real_run_on_the_two_local_models(local_servers, monkeypatch):
    monkeypatch.setenv("SELECTOR_DATA_DIR", str(local_servers.data_dir))
    rows = benchmark.load_prompts_file(EXAMPLE_PROMPTS)[:2]
    history = open_history()
    run = run_benchmark(rows, check_models([SMOL, GEMMA]), CallSettings(max_tokens=8, temperature=0.0),
                        concurrency=2, history=history, source="prompts.csv")
    assert run.status == "done" and len(run.results) == 4
    for s in run.summaries(Traffic(requests_per_day=500)):
        assert s.success_rate == 1.0, [r.error for r in run.results]
        assert 0 < s.ttft_p50_s <= s.latency_p50_s <= s.latency_p95_s
        assert s.cost_per_request_usd == 0.0 and s.monthly_cost_usd == 0.0   # runs on this machine
        assert s.checked == 2 and s.quality is not None
        assert 0 < s.output_tokens_mean <= 8
    assert load_run(history, run.run_id).summaries()[1].latency_p95_s == run.summaries()[1].latency_p95_s


# --- measured figures flow back into the recommendation ------------------------------------------------


def test_measured_latency_and_quality_replace_the_estimates_and_the_reasons_say_so():
    from selector.answers import Answers
    from selector.catalogue import load_catalogue
    from selector.scoring import recommend

    catalogue = load_catalogue()
    answers = Answers(allow=["gpt-4o", "gpt-4o-mini", "claude-haiku-4-5"])
    measured = {"gpt-4o-mini": benchmark.MeasuredFigures(latency_p95_ms=321.0, quality_0_1=1.0, source="benchmark run 7, 10 prompts")}
    plain = {p.model.id: p for p in recommend(catalogue, answers, top=3).picks}
    with_measured = {p.model.id: p for p in recommend(catalogue, answers, top=3, measured=measured).picks}
    mini = with_measured["gpt-4o-mini"]
    assert mini.score_parts["capability"].value == 1.0 != plain["gpt-4o-mini"].score_parts["capability"].value
    assert (mini.latency.low_ms, mini.latency.high_ms) == (321.0, 321.0)
    text = " ".join(mini.reasons)
    assert "measured on your prompts: 100% of checked answers passed, benchmark run 7" in text
    assert "measured p95 on your prompts, benchmark run 7, 10 prompts" in text
    assert "on your prompts" not in " ".join(plain["gpt-4o-mini"].reasons)
    assert with_measured["gpt-4o"].latency == plain["gpt-4o"].latency  # models not benchmarked keep their estimates

    tight = answers.model_copy(update={"latency_p95_ms": 300})
    excluded = {e.model.id: e.reasons for e in recommend(catalogue, tight, measured=measured).excluded}
    assert any("321" in reason for reason in excluded["gpt-4o-mini"])
