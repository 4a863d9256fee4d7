"""The decision framework as data: what counts for each use case, and the latency assumptions.

The seed's decision tree and use-case table become these tables, not ifs over model names, so a
model added to the catalogue competes on its published facts without code changes.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class UseCaseRule:
    label: str
    benchmarks: dict[str, float]  # relevant benchmark -> weight within capability
    strengths: tuple[str, ...]  # curated strengths that count for this use case
    recommended_context_tokens: int  # what the seed calls sensible for it (headroom is scored against it)
    latency_emphasis: float = 1.0  # multiplies the latency priority (real-time chat feels every 100 ms)
    # Below this p95 time to first token, faster is no better for this use case (a person reading a
    # reply does not notice the difference between 300 ms and 800 ms; a voice or typing UI does).
    latency_floor_ms: float = 1_000.0
    why: str = ""


USE_CASE_RULES: dict[str, UseCaseRule] = {
    "reasoning": UseCaseRule(
        "complex reasoning",
        {"gpqa_diamond": 1.0, "aime_2025": 0.8, "aime_2024": 0.6, "math_500": 0.6, "math": 0.4,
         "mmlu_pro": 0.4, "mmlu_pro_0shot": 0.4},
        ("reasoning", "math"),
        32_000,
        latency_emphasis=0.5,
        why="multi-step math and science benchmarks separate frontier models from the rest",
    ),
    "code": UseCaseRule(
        "code",
        {"swe_bench_verified": 1.0, "livecodebench": 1.0, "humaneval": 0.4},
        ("code", "agents", "tool_use"),
        128_000,
        why="a code repository needs 128k+ tokens of context",
    ),
    "long_documents": UseCaseRule(
        "long-document Q&A",
        {"mmlu_pro": 0.5, "mmlu_pro_0shot": 0.5, "ifeval": 0.6, "ifeval_avg": 0.6, "gpqa_diamond": 0.4,
         "lmarena_text": 0.6},
        ("long_context", "instruction_following", "summarization"),
        200_000,
        why="document Q&A wants 200k+ tokens so whole documents fit in one request",
    ),
    "multimodal": UseCaseRule(
        "multimodal understanding",
        {"mmmu": 1.0, "lmarena_text": 0.3},
        ("multimodal",),
        32_000,
        why="MMMU measures understanding of images with text",
    ),
    "realtime_chat": UseCaseRule(
        "real-time chat",
        {"lmarena_text": 1.0, "ifeval": 0.8, "ifeval_avg": 0.8, "mmlu": 0.3, "mmlu_cot": 0.3},
        ("chat", "speed", "instruction_following"),
        32_000,
        latency_emphasis=1.5,
        latency_floor_ms=200.0,
        why="chat needs 4k-32k tokens of context and replies that start at once",
    ),
    "summarization": UseCaseRule(
        "summarization",
        {"lmarena_text": 0.8, "ifeval": 0.6, "ifeval_avg": 0.6, "mmlu_pro": 0.4, "mmlu_pro_0shot": 0.4},
        ("summarization", "writing", "long_context"),
        32_000,
    ),
    "extraction": UseCaseRule(
        "extraction",
        {"ifeval": 1.0, "ifeval_avg": 1.0, "mmlu": 0.3, "mmlu_cot": 0.3},
        ("extraction", "structured_output", "instruction_following"),
        16_000,
    ),
    "general": UseCaseRule(
        "general assistance",
        {"lmarena_text": 1.0, "mmlu": 0.5, "mmlu_cot": 0.5, "mmlu_pro": 0.7, "mmlu_pro_0shot": 0.7,
         "gpqa_diamond": 0.5, "ifeval": 0.4, "ifeval_avg": 0.4},
        ("chat", "instruction_following", "writing"),
        32_000,
    ),
}

# Cost and latency are scored on a log scale against the cheapest / fastest candidate: this many
# orders of magnitude above it scores 0 (1000x the cost; 100x the latency).
COST_DECADES_TO_ZERO = 3.0
LATENCY_DECADES_TO_ZERO = 2.0
# Per-language scores are placed on the candidates' range; a range narrower than this (0..1 scale)
# is widened to it, so two models a point apart are not told apart as best and worst.
LANGUAGE_MIN_SPREAD = 0.15
# Monthly costs below this, or below a tenth of the budget when one is given, count as equal: a
# team choosing a model does not trade quality for savings of a few dollars a month.
NEGLIGIBLE_COST_USD = 100.0
# Cost part of a model whose cost is unknown: scored as the most expensive candidate.
UNKNOWN_COST_SCORE = 0.0
# Fine-tunability part: weights in hand > a provider's fine-tuning API > unknown > none.
FINE_TUNING_SCORES = {"open_weights": 1.0, "api": 0.7, "unknown": 0.3, "none": 0.0}
# A model whose maker shuts it down within this many days of the catalogue date is excluded by
# default (a new system would be migrating within a quarter of going live).
LIFECYCLE_EXCLUSION_DAYS = 90


def use_case_weights(use_cases: list[str]) -> dict[str, float]:
    """The benchmarks the use cases weigh, each use case counting equally."""
    weights: dict[str, float] = {}
    for use_case in use_cases:
        rule = USE_CASE_RULES[use_case].benchmarks
        total = sum(rule.values())
        for key, weight in rule.items():
            weights[key] = weights.get(key, 0.0) + weight / total
    return weights


PART_LABELS = {
    "capability": "capability (1 = the best candidate's)",
    "cost": "cost",
    "latency": "latency",
    "context": "context headroom",
    "languages": "languages",
    "fine_tuning": "fine-tunability",
}
