"""What-would-change figures: wall time and engine calls of find_changes() on a ~100-model catalogue.

The real catalogue (data/models.yaml) when it loads; otherwise a synthetic one of 100 models built
here with valid evidence, so the figure exists while the catalogue is being rewritten.
"""

from __future__ import annotations

import datetime as dt
import random
import statistics
import time

from selector import scoring
from selector.answers import parse_answers
from selector.catalogue import BENCHMARK_SPECS, Catalogue, Model, load_catalogue
from selector.errors import SelectorError
from selector.sensitivity import find_changes, first_pick_id

SIZES_B = [0.5, 1, 3, 7, 8, 12, 14, 24, 27, 32, 70, 72.7, 109, 235, 405, 671]
DATE = dt.date(2026, 11, 1)
# Two questionnaires: the defaults a first visit sends (no budget, no latency target), and a
# constrained one where every answer is set.
SCENARIOS = {
    "defaults": {"traffic": {"requests_per_day": 5000, "input_tokens": 1500, "output_tokens": 300}},
    "constrained": {
        "use_cases": ["reasoning", "code"], "context_tokens": 32_000, "latency_p95_ms": 3000,
        "budget_usd_per_month": 5000, "priorities": {"quality": 4, "cost": 3, "latency": 2},
        "traffic": {"requests_per_day": 20_000, "input_tokens": 2000, "output_tokens": 300},
    },
}
TARGET_MS = 500
TARGET_CALLS = 150


def _score(key: str, rng: random.Random) -> dict:
    spec = BENCHMARK_SPECS[key]
    return {
        "score": round(rng.uniform(spec.low + 0.2 * (spec.high - spec.low), spec.high - 0.05 * (spec.high - spec.low)), 1),
        "shots": spec.shots, "cot": spec.cot, "thinking": False, "metric": spec.metric, "snapshot": "synthetic",
        "source": "https://example.com/evals", "date": DATE if spec.independent else None,
    }


def synthetic_entry(i: int, rng: random.Random) -> dict:
    open_weights = rng.random() < 0.5
    priced = not open_weights or rng.random() < 0.3
    price = round(rng.uniform(0.05, 15), 2)
    english = [key for key, spec in BENCHMARK_SPECS.items() if spec.language is None]
    benchmarks = {key: _score(key, rng) for key in rng.sample(english, rng.randint(0, 6))}
    return {
        "id": f"synthetic-{i}", "name": f"Synthetic {i}", "provider": f"Lab {i % 17}", "family": f"F{i % 31}",
        "open_weights": open_weights, "license": "apache-2.0" if open_weights else "proprietary",
        "params_b": rng.choice(SIZES_B) if open_weights and rng.random() < 0.9 else None,
        "context_tokens": rng.choice([8192, 32768, 131072, 200000, 1_000_000]),
        "max_output_tokens": None,
        "input_usd_per_mtok": price if priced else None, "output_usd_per_mtok": price * 4 if priced else None,
        "price_source": "https://example.com/prices" if priced else None,
        "input_modalities": ["text"] + (["image"] if rng.random() < 0.4 else []),
        "output_modalities": ["text"], "reasoning": rng.random() < 0.2,
        "strengths": rng.sample(["reasoning", "math", "code", "chat", "long_context", "multilingual"], 2),
        "languages": ["en"] + (["fr"] if rng.random() < 0.6 else []),
        "benchmarks": benchmarks,
        "evidence_note": None if benchmarks else "synthetic: no benchmark published",
        "checked": {"prices": DATE if priced else None, "benchmarks": DATE if benchmarks else None},
        "status": rng.choice(["active"] * 9 + ["deprecated"]),
        "release_date": None, "sources": ["https://example.com"], "as_of": DATE,
    }


def synthetic_catalogue(count: int = 100, seed: int = 0) -> Catalogue:
    rng = random.Random(seed)
    return Catalogue(models=[Model(**synthetic_entry(i, rng)) for i in range(count)], path=f"<synthetic {count}>")


def catalogue_for_bench() -> tuple[Catalogue, str]:
    try:
        catalogue = load_catalogue()
        return catalogue, f"{catalogue.path} ({len(catalogue.models)} models)"
    except SelectorError as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        return synthetic_catalogue(), f"synthetic 100 models (the real one did not load: {first[:160]})"


def _median_ms(run, rounds: int) -> tuple[float, float]:
    wall = []
    for _ in range(rounds):
        start = time.perf_counter()
        run()
        wall.append((time.perf_counter() - start) * 1000)
    return statistics.median(wall), min(wall)


def time_scenario(catalogue: Catalogue, answers_data: dict, rounds: int = 5) -> dict:
    """Wall time of find_changes() with the default ranking (recommend, top=1), its calls and sentences;
    and, where the engine offers one, with a first-pick-only ranking (scoring.rank(...).first_id)."""
    answers = parse_answers(answers_data)
    calls = 0

    def counted(c, a):
        nonlocal calls
        calls += 1
        return first_pick_id(c, a)

    changes = find_changes(catalogue, answers, first_pick=counted)  # warm-up, and the call count
    per_run_calls = calls
    median, fastest = _median_ms(lambda: find_changes(catalogue, answers), rounds)
    rank = getattr(scoring, "rank", None)
    first_only = None
    if rank is not None:
        fast = lambda c, a: rank(c, a).first_id  # noqa: E731
        first_only = _median_ms(lambda: find_changes(catalogue, answers, first_pick=fast), rounds)[0]
    return {
        "ms_median": round(median, 1),
        "ms_min": round(fastest, 1),
        "ms_median_first_pick_only": None if first_only is None else round(first_only, 1),
        "recommend_calls": per_run_calls,
        "ms_per_call": round(median / per_run_calls, 2),
        "first_pick": first_pick_id(catalogue, answers),
        "changes": len(changes),
        "sentences": [change.sentence for change in changes],
    }


def run() -> dict:
    catalogue, source = catalogue_for_bench()
    scenarios = {name: time_scenario(catalogue, data) for name, data in SCENARIOS.items()}
    return {
        "catalogue": source,
        "scenarios": scenarios,
        "target_ms": TARGET_MS,
        "target_calls": TARGET_CALLS,
        "within_targets": all(s["ms_median"] < TARGET_MS and s["recommend_calls"] < TARGET_CALLS for s in scenarios.values()),
    }


if __name__ == "__main__":
    import json

    print(json.dumps(run(), indent=2))
