"""Benchmark machinery overheads: loading a full prompt file, summarising, charts, a mock-provider run."""

from __future__ import annotations

import os
import tempfile
import time

from bench import best_of
from selector import benchmark, benchmark_charts, routing
from selector.costs import Traffic


def run() -> dict:
    text = "prompt,expected,check\n" + "".join(f"What is {i} + {i}?,{2 * i},contains\n" for i in range(benchmark.MAX_ROWS))
    data = text.encode()
    rows = benchmark.load_prompts(data, "full.csv")
    models = [f"model-{k}" for k in range(benchmark.MAX_MODELS)]
    results = [benchmark.RowResult(model=m, row=r.index, prompt=r.prompt, expected=r.expected, check=r.check, ok=True,
                                   latency_s=0.5 + (r.index % 17) / 10, ttft_s=0.1, output_tokens=20, cost_usd=1e-5,
                                   passed=r.index % 3 != 0) for r in rows for m in models]
    run = benchmark.BenchmarkRun(rows=rows, models=models, results=results)
    figures = {
        "rows": len(rows), "models": len(models),
        "load_prompts_200_rows_ms": round(1000 * best_of(5, lambda: benchmark.load_prompts(data, "full.csv")), 2),
        "summaries_1200_results_ms": round(1000 * best_of(5, lambda: run.summaries(Traffic())), 2),
        "charts_ms": round(1000 * best_of(3, lambda: (benchmark_charts.latency_distribution(run),
                                                       benchmark_charts.cost_vs_quality(run.summaries()))), 1),
        "classify_200_prompts_ms": round(1000 * best_of(5, lambda: [routing.classify_prompt(r.prompt) for r in rows]), 2),
    }
    # A whole run through selector/live/ on a scripted caller (LiteLLM's mock_response): the per-call overhead
    # of the seam, pool and history.
    from selector.live import import_litellm, use_caller

    import_litellm()  # its ~3 s import is not the seam's per-call overhead
    previous = os.environ.get("SELECTOR_DATA_DIR")
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["SELECTOR_DATA_DIR"] = tmp
        from selector.history import open_history

        targets = benchmark.check_models(["gpt-4o-mini", "gpt-4o"])
        small = rows[:20]
        start = time.perf_counter()
        litellm = import_litellm()
        with use_caller(lambda **kwargs: litellm.completion(**kwargs, mock_response="fine")):
            done = benchmark.run_benchmark(
                small, targets, benchmark_settings(), concurrency=4, history=open_history(),
                api_keys={t.spec: "sk-bench-not-a-key" for t in targets},
            )
        elapsed = time.perf_counter() - start
        figures["mock_run_40_calls_s"] = round(elapsed, 3)
        figures["mock_run_ms_per_call"] = round(1000 * elapsed / len(done.results), 2)
    if previous is None:
        os.environ.pop("SELECTOR_DATA_DIR", None)
    else:
        os.environ["SELECTOR_DATA_DIR"] = previous
    return figures


def benchmark_settings():
    from selector.live import CallSettings

    return CallSettings(max_tokens=8)
