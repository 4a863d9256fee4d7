"""Paired statistics: exact McNemar, paired bootstrap, prompts needed for 80% power, verdicts in words,
and the pairwise comparisons of a benchmark run."""

from __future__ import annotations

import math

import numpy as np
import pytest

from selector import stats
from selector.benchmark import BenchmarkRun, PromptRow, RowResult


@pytest.mark.parametrize(("a_only", "b_only", "p"), [
    (8, 1, 2 * (1 + 9) / 2 ** 9),      # two-sided exact binomial: 2 x P(X <= 1 | n = 9, 1/2) = 0.0390625
    (5, 5, 1.0),
    (0, 0, 1.0),
    (6, 0, 2 / 2 ** 6),                # 0.03125
    (3, 0, 2 / 2 ** 3),                # 0.25: three discordant prompts cannot show anything
])
def test_exact_mcnemar_p_values_by_hand(a_only, b_only, p):
    assert stats.mcnemar_exact_p(a_only, b_only) == pytest.approx(p)


def test_prompts_needed_for_mcnemar_follow_connor_1987():
    # n = 100, 15 vs 5 discordant: p_d = 0.2, delta = 0.1
    expected = math.ceil((1.959963984540054 * math.sqrt(0.2) + 0.8416212335729143 * math.sqrt(0.2 - 0.01)) ** 2 / 0.01)
    assert stats.mcnemar_prompts_needed(100, 15, 5) == expected == 155
    assert stats.mcnemar_prompts_needed(100, 5, 5) is None


def test_pass_fail_verdicts_say_whether_the_difference_is_real():
    real = stats.compare_pass_fail("a", "b", [True] * 12 + [False] * 8, [False] * 12 + [False] * 8,
                                   names=("Model A", "Model B"))
    assert real.significant and real.p_value == pytest.approx(2 / 2 ** 12)
    assert real.verdict.startswith("Model A passes more prompts than Model B (12 vs 0 discordant")
    assert "real at 95%" in real.verdict and real.prompts_still_needed == 0
    assert (real.a_value, real.b_value, real.difference) == (0.6, 0.0, 0.6)

    weak = stats.compare_pass_fail("a", "b", [True, True, False, True], [False, True, True, False])
    assert not weak.significant and weak.a_only == 2 and weak.b_only == 1
    assert weak.prompts_needed == stats.mcnemar_prompts_needed(4, 2, 1)
    assert weak.prompts_still_needed == weak.prompts_needed - 4
    assert f"about {weak.prompts_needed} prompts (another {weak.prompts_still_needed})" in weak.verdict
    assert "80% power" in weak.verdict and weak.test == stats.MCNEMAR


def test_a_constant_latency_difference_is_real_and_noise_is_not():
    fast = [1.0, 2.0, 3.0, 4.0, 5.0]
    slow = [x + 0.5 for x in fast]
    c = stats.compare_values("a", "b", fast, slow, "latency", unit=" s", lower_is_better=True)
    assert c.significant and c.ci_low == pytest.approx(-0.5) and c.ci_high == pytest.approx(-0.5)
    assert c.verdict.startswith("a has lower latency than b") and "real at 95%" in c.verdict
    rng = np.random.default_rng(0)
    x = rng.normal(2, 0.5, 40)
    noise = stats.compare_values("a", "b", x, x + rng.normal(0, 0.5, 40), "latency", lower_is_better=True)
    assert noise.ci_low < 0 < noise.ci_high and not noise.significant
    assert noise.prompts_still_needed == noise.prompts_needed - 40 > 0


def test_the_bootstrap_interval_is_close_to_the_normal_one_for_many_prompts():
    rng = np.random.default_rng(1)
    d = rng.normal(0.3, 1.0, 400)
    low, high = stats.paired_bootstrap_interval(d)
    half = 1.96 * d.std(ddof=1) / math.sqrt(len(d))
    assert low == pytest.approx(d.mean() - half, abs=0.02) and high == pytest.approx(d.mean() + half, abs=0.02)


def test_prompts_needed_for_a_mean_difference():
    d = np.array([1.0, -0.5, 2.0, 0.5, 1.5, -1.0])
    expected = math.ceil(((1.959963984540054 + 0.8416212335729143) * d.std(ddof=1) / d.mean()) ** 2)
    assert stats.mean_prompts_needed(d) == expected


def _run() -> BenchmarkRun:
    rows = [PromptRow(index=i, prompt=f"q{i}", expected="x", check="contains") for i in range(1, 21)]
    results = []
    for row in rows:
        results.append(RowResult(model="good", row=row.index, prompt=row.prompt, expected="x", check="contains",
                                 ok=True, latency_s=1.0 + row.index / 100, passed=True))
        results.append(RowResult(model="bad", row=row.index, prompt=row.prompt, expected="x", check="contains",
                                 ok=row.index != 20, latency_s=2.0 + row.index / 100 if row.index != 20 else None,
                                 passed=(row.index % 4 == 0) if row.index != 20 else None))
    return BenchmarkRun(rows=rows, models=["good", "bad"], labels={"good": "Good", "bad": "Bad"}, results=results)


def test_a_benchmark_run_compares_each_pair_on_the_prompts_both_answered():
    run = _run()
    by_metric = {c.metric: c for c in run.paired_comparisons()}
    assert set(by_metric) == {"pass rate", "latency"}
    passes, latency = by_metric["pass rate"], by_metric["latency"]
    assert passes.pairs == 19 and passes.a_only == 15 and passes.b_only == 0   # row 20 failed on 'bad'
    assert passes.significant and passes.verdict.startswith("Good passes more prompts than Bad")
    assert latency.pairs == 19 and latency.difference == pytest.approx(-1.0) and latency.significant
    record = run.to_dict()["paired_statistics"]
    assert {"model_a", "model_b", "metric", "test", "p_value", "ci_low", "ci_high", "significant", "verdict",
            "prompts_needed", "prompts_still_needed"} <= set(record[0])


def test_the_report_shows_the_paired_statistics_of_the_benchmark_runs_it_includes():
    from selector.answers import Answers
    from selector.benchmark import check_models, run_benchmark
    from selector.catalogue import load_catalogue
    from selector.history import open_history
    from selector.live import CallSettings
    from selector.report import prepare_report, render
    from selector.scoring import recommend

    history = open_history()
    rows = [PromptRow(index=i, prompt=f"What is {i} + {i}?", expected=str(2 * i), check="contains") for i in range(1, 13)]
    targets = check_models(["gpt-4o", "gpt-4o-mini"])
    from scripted_caller import per_prompt, scripted

    with scripted({"gpt-4o": per_prompt(rows, [str(2 * i) for i in range(1, 13)]), "gpt-4o-mini": "no"}):
        run = run_benchmark(rows, targets, CallSettings(max_tokens=8, retries=0), history=history,
                            api_keys={t.spec: "sk-test-CANARY-stats-0123456789" for t in targets})
    catalogue = load_catalogue()
    report = prepare_report(recommend(catalogue, Answers(), top=2), [history.get_run(run.run_id)])
    (entry,) = report.facts.benchmark_statistics
    assert report.facts.live_runs == []  # a benchmark run is not a live comparison
    passes = next(c for c in entry.comparisons if c.metric == "pass rate")
    assert (passes.a_only, passes.b_only, passes.significant) == (12, 0, True)
    assert passes.p_value == pytest.approx(2 / 2 ** 12)
    markdown = render(report, "md")
    assert "## Benchmark statistics" in markdown and f"### Benchmark run {run.run_id}" in markdown
    assert "GPT-4o passes more prompts than GPT-4o mini (12 vs 0 discordant" in markdown
    assert "p = 0.000488" in markdown
    html = render(report, "html")
    assert 'id="benchmark-statistics"' in html and "exact McNemar" in html and "real at 95%" in html
    assert "No benchmark runs are included" in render(prepare_report(recommend(catalogue, Answers(), top=2)), "md")
