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
    why: str = ""


USE_CASE_RULES: dict[str, UseCaseRule] = {
    "reasoning": UseCaseRule(
        "complex reasoning",
        {"gpqa_diamond": 1.0, "math": 0.8, "aime": 0.8, "mmlu_pro": 0.6, "mmlu": 0.3},
        ("reasoning", "math"),
        32_000,
        latency_emphasis=0.5,
        why="multi-step math and science benchmarks separate frontier models from the rest",
    ),
    "code": UseCaseRule(
        "code",
        {"swe_bench_verified": 1.0, "livecodebench": 1.0, "humaneval": 0.7},
        ("code", "agents", "tool_use"),
        128_000,
        why="a code repository needs 128k+ tokens of context",
    ),
    "long_documents": UseCaseRule(
        "long-document Q&A",
        {"mmlu_pro": 0.6, "ifeval": 0.6, "gpqa_diamond": 0.4, "mmlu": 0.4},
        ("long_context", "instruction_following", "summarization"),
        200_000,
        why="document Q&A wants 200k+ tokens so whole documents fit in one request",
    ),
    "multimodal": UseCaseRule(
        "multimodal understanding",
        {"mmmu": 1.0, "mmlu": 0.3},
        ("multimodal",),
        32_000,
        why="MMMU measures understanding of images with text",
    ),
    "realtime_chat": UseCaseRule(
        "real-time chat",
        {"ifeval": 1.0, "mmlu": 0.6},
        ("chat", "speed", "instruction_following"),
        32_000,
        latency_emphasis=1.5,
        why="chat needs 4k-32k tokens of context and replies that start at once",
    ),
    "summarization": UseCaseRule(
        "summarization",
        {"ifeval": 0.6, "mmlu_pro": 0.5, "mmlu": 0.5},
        ("summarization", "writing", "long_context"),
        32_000,
    ),
    "extraction": UseCaseRule(
        "extraction",
        {"ifeval": 1.0, "mmlu": 0.4},
        ("extraction", "structured_output", "instruction_following"),
        16_000,
    ),
    "general": UseCaseRule(
        "general assistance",
        {"mmlu": 1.0, "mmlu_pro": 1.0, "gpqa_diamond": 0.5, "ifeval": 0.5, "humaneval": 0.3},
        ("chat", "instruction_following", "writing"),
        32_000,
    ),
}

# Share of capability that comes from the curated strengths; the rest from benchmarks.
STRENGTH_SHARE = 0.2
# A model with no relevant benchmark is estimated from its other benchmarks, discounted by this much.
FALLBACK_DISCOUNT = 0.2
# A model with no benchmark at all gets this capability (a visible penalty, never a silent 0 or 1).
UNKNOWN_QUALITY = 0.25
# Benchmark scores are normalised across the candidates, but a spread narrower than this many
# points is stretched to it: two models 2 points apart should not score 0 and 1.
BENCHMARK_MIN_SPREAD = 20.0
# Cost and latency are scored on a log scale against the cheapest / fastest candidate: this many
# orders of magnitude above it scores 0 (1000x the cost; 100x the latency).
COST_DECADES_TO_ZERO = 3.0
LATENCY_DECADES_TO_ZERO = 2.0
# Cost part of a model whose cost is unknown: scored as the most expensive candidate.
UNKNOWN_COST_SCORE = 0.0
# Fine-tunability part: weights in hand > a provider's fine-tuning API > unknown > none.
FINE_TUNING_SCORES = {"open_weights": 1.0, "api": 0.7, "unknown": 0.3, "none": 0.0}

# Edge means phones and laptops: a 4-bit 15B model needs ~8 GB of memory, the top of a laptop.
EDGE_MAX_PARAMS_B = 15.0


@dataclass(frozen=True)
class LatencyAssumption:
    """Estimated p95 time to a short reply (ms), as a low-high range, with where the figure comes from."""

    low_ms: float
    high_ms: float
    basis: str


# Seed figures: API p95 500 ms-2 s; self-hosted 8B on an H100 50-200 ms; sub-100 ms needs a small
# distilled model; reasoning models spend seconds thinking ("not for real-time applications").
API_LATENCY = LatencyAssumption(500, 2_000, "typical API p95 500-2,000 ms (seed)")
API_REASONING_LATENCY = LatencyAssumption(
    5_000, 30_000, "reasoning model via API: thinking takes seconds, 5-30 s assumed"
)
# (max active params in billions, assumption) for a self-hosted model on one H100-class GPU node.
SELF_HOSTED_LATENCY: tuple[tuple[float, LatencyAssumption], ...] = (
    (4, LatencyAssumption(20, 100, "small distilled model self-hosted: sub-100 ms possible (seed)")),
    (10, LatencyAssumption(50, 200, "self-hosted ~8B on an H100: 50-200 ms (seed)")),
    (40, LatencyAssumption(100, 400, "self-hosted 10-40B active: 100-400 ms (extrapolated from the seed's 8B figure)")),
    (100, LatencyAssumption(200, 800, "self-hosted 40-100B active: 200-800 ms (extrapolated)")),
    (float("inf"), LatencyAssumption(400, 1_500, "self-hosted 100B+ active, multi-GPU: 400-1,500 ms (extrapolated)")),
)
UNKNOWN_SIZE_LATENCY = LatencyAssumption(200, 2_000, "self-hosted, size unknown: 200-2,000 ms assumed")
# On a phone or laptop the same model runs several times slower than on a data-centre GPU.
EDGE_SLOWDOWN = 3.0
SELF_HOSTED_REASONING_SLOWDOWN = 10.0
# A measured speed is for a short reply of this many output tokens.
SHORT_REPLY_TOKENS = 100


PART_LABELS = {
    "capability": "capability",
    "cost": "cost",
    "latency": "latency",
    "context": "context headroom",
    "languages": "languages",
    "fine_tuning": "fine-tunability",
}
