"""Arena, paired statistics and preflight: Bradley-Terry with bootstrap for 10,000 votes among 20
models (target under 2 s), paired stats of a full benchmark run, preflight of 1,000 prompts x 6
models (target under 1 s, litellm's import excluded)."""

from __future__ import annotations

import numpy as np

from bench import best_of


def simulated_votes(models: int, votes: int, seed: int = 0) -> list[dict]:
    rng = np.random.default_rng(seed)
    strength = {f"model-{k}": 800 + 400 * k / (models - 1) for k in range(models)}
    names = list(strength)
    pairs = rng.integers(0, models, size=(votes, 2))
    out = []
    for i, j in pairs:
        if i == j:
            j = (i + 1) % models
        left, right = names[i], names[j]
        p = 1 / (1 + 10 ** (-(strength[left] - strength[right]) / 400))
        u = rng.random()
        outcome = "tie" if u < 0.08 else "both_bad" if u < 0.1 else ("left" if rng.random() < p else "right")
        out.append({"left_model": left, "right_model": right, "outcome": outcome, "who": "", "tag": None,
                    "created_at": "2026-11-01T00:00:00+00:00"})
    return out


def run() -> dict:
    from selector import arena, benchmark

    votes = simulated_votes(20, 10_000)
    board = arena.rate(votes)
    figures = {
        "bt_bootstrap_10000_votes_20_models_s": round(best_of(3, lambda: arena.rate(votes)), 3),
        "bootstrap_samples": arena.BOOTSTRAP_SAMPLES,
        "top_two_votes_still_needed": board.votes_still_needed,
    }

    rows = [benchmark.PromptRow(index=i, prompt=f"q{i}", expected="x", check="contains")
            for i in range(1, benchmark.MAX_ROWS + 1)]
    models = [f"model-{k}" for k in range(benchmark.MAX_MODELS)]
    results = [benchmark.RowResult(model=m, row=r.index, prompt=r.prompt, expected="x", check="contains", ok=True,
                                   latency_s=0.5 + ((r.index * (k + 3)) % 17) / 10, passed=(r.index + k) % 3 != 0)
               for r in rows for k, m in enumerate(models)]
    run_ = benchmark.BenchmarkRun(rows=rows, models=models, results=results)
    figures["paired_stats_200_prompts_6_models_15_pairs_s"] = round(best_of(3, run_.paired_comparisons), 3)

    from selector.catalogue import load_catalogue
    from selector.live import import_litellm
    from selector.preflight import preflight

    import_litellm()  # its ~3 s import is paid once per process, not per preflight
    catalogue = load_catalogue()
    targets = benchmark.check_models(["gpt-4o", "gpt-4o-mini", "smollm2-135m-instruct", "gemma-3-270m",
                                      "anthropic/claude-haiku-4-5", "claude-3-5-haiku"], catalogue)
    prompts = [f"Question {i}: summarise the trade-offs between latency and cost for model {i % 7}." for i in range(1000)]
    figures["preflight_1000_prompts_6_models_s"] = round(
        best_of(3, lambda: preflight(prompts, targets, 128, catalogue, concurrency=4)), 3)
    return figures
