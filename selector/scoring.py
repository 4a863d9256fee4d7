"""The decision engine: hard constraints, a transparent weighted score, reasons in words.

(Catalogue, Answers) -> Recommendation. Constraints exclude (each exclusion says why, with numbers);
the remaining candidates are scored on parts weighted by the answers' priorities; what counts per
use case and the latency assumptions are data in selector/rules.py.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from selector.answers import Answers
from selector.catalogue import BENCHMARKS, Catalogue, Model
from selector.costs import SelfHostAssumptions, estimate_self_hosting, monthly_cost_usd
from selector.errors import AnswersError
from selector.recommendation import (
    Exclusion,
    Failure,
    Pick,
    Recommendation,
    ScorePart,
    format_ms,
    describe_binding,
    describe_tradeoff,
    explain_pick,
)
from selector.rules import (
    API_LATENCY,
    API_REASONING_LATENCY,
    BENCHMARK_MIN_SPREAD,
    COST_DECADES_TO_ZERO,
    EDGE_MAX_PARAMS_B,
    EDGE_SLOWDOWN,
    FALLBACK_DISCOUNT,
    FINE_TUNING_SCORES,
    LATENCY_DECADES_TO_ZERO,
    SELF_HOSTED_LATENCY,
    SELF_HOSTED_REASONING_SLOWDOWN,
    SHORT_REPLY_TOKENS,
    STRENGTH_SHARE,
    UNKNOWN_COST_SCORE,
    UNKNOWN_QUALITY,
    UNKNOWN_SIZE_LATENCY,
    USE_CASE_RULES,
    LatencyAssumption,
)

# --- facts per model: how it would be served, what it costs, how fast it answers -----------------


def is_self_hosted(model: Model, answers: Answers) -> bool:
    """Whether this model would run on your own hardware under these answers."""
    if not model.open_weights:
        return False
    if answers.deployment in ("self_hosted", "edge") or answers.data_must_stay_on_premises:
        return True
    return answers.deployment == "any" and not model.has_api_price


def estimate_cost(
    model: Model, answers: Answers, assumptions: SelfHostAssumptions | None = None
) -> tuple[float | None, str]:
    """(monthly USD or None when unknown, the cost basis in words)."""
    if is_self_hosted(model, answers):
        a = assumptions or SelfHostAssumptions()
        estimate = estimate_self_hosting(model, answers.traffic, a)
        if estimate is None:
            return None, "self-hosted: parameter count unknown, so the GPU cost is unknown"
        where = " (the server-side equivalent of running it on devices)" if answers.deployment == "edge" else ""
        return (
            estimate.monthly_usd,
            f"self-hosted on {estimate.total_gpus} GPU(s) at ${a.gpu_usd_per_hour:g}/hour, {a.precision} weights{where}",
        )
    if model.has_api_price:
        return monthly_cost_usd(model, answers.traffic), "API price"
    return None, "no public API price in the catalogue"


def estimate_latency(model: Model, answers: Answers) -> LatencyAssumption:
    """Estimated p95 time to a short reply; a measured `speed` in the catalogue overrides the table."""
    if not is_self_hosted(model, answers):
        speed = model.speed
        if speed is not None and speed.ttft_ms is not None:
            generate = SHORT_REPLY_TOKENS / speed.output_tokens_per_s * 1000 if speed.output_tokens_per_s else 0.0
            total = round(speed.ttft_ms + generate)
            return LatencyAssumption(total, total, f"measured: first token {speed.ttft_ms:,.0f} ms + {SHORT_REPLY_TOKENS} tokens ({speed.source})")
        return API_REASONING_LATENCY if model.reasoning else API_LATENCY
    size = model.active_params_b or model.params_b
    if size is None:
        base = UNKNOWN_SIZE_LATENCY
    else:
        base = next(assumption for limit, assumption in SELF_HOSTED_LATENCY if size <= limit)
    factor, notes = 1.0, []
    if model.reasoning:
        factor *= SELF_HOSTED_REASONING_SLOWDOWN
        notes.append(f"x{SELF_HOSTED_REASONING_SLOWDOWN:g} for thinking")
    if answers.deployment == "edge":
        factor *= EDGE_SLOWDOWN
        notes.append(f"x{EDGE_SLOWDOWN:g} on a phone or laptop")
    if factor == 1.0:
        return base
    return LatencyAssumption(base.low_ms * factor, base.high_ms * factor, f"{base.basis}, {', '.join(notes)}")


# --- hard constraints ------------------------------------------------------------------------------


def check_constraints(
    model: Model, answers: Answers, cost: float | None, latency: LatencyAssumption
) -> list[Failure]:
    """Every hard constraint this model fails, each with a reason in words and numbers."""
    if answers.allow is not None and model.id not in answers.allow:
        return [Failure("allow", "not in the approved list")]
    failures: list[Failure] = []
    if model.is_retired and answers.allow is None:
        failures.append(Failure("retired", f"retired by its maker (catalogue status as of {model.as_of})"))
    need = answers.context_tokens
    if model.context_tokens is None:
        failures.append(Failure("context", f"context window unknown (required {need:,})"))
    elif model.context_tokens < need:
        failures.append(Failure("context", f"context {model.context_tokens:,} < required {need:,}", need / model.context_tokens))
    missing = [m for m in answers.modalities if m not in model.input_modalities]
    if missing:
        failures.append(Failure("modalities", " and ".join(f"no {m} input" for m in missing)))
    failures += _deployment_failures(model, answers)
    if answers.data_must_stay_on_premises and not model.open_weights:
        failures.append(Failure("on_premises", "weights not available: data must stay on premises"))
    target = answers.latency_p95_ms
    if target is not None and latency.low_ms > target:
        failures.append(Failure(
            "latency",
            f"estimated p95 {format_ms(latency.low_ms)}-{format_ms(latency.high_ms)} ms > target {format_ms(target)} ms",
            latency.low_ms / target,
        ))
    budget = answers.budget_usd_per_month
    if budget is not None and cost is not None and cost > budget:
        gap = cost / budget if budget > 0 else math.inf
        failures.append(Failure("budget", f"monthly cost ${cost:,.0f} > budget ${budget:,.0f}", gap))
    return failures


def _deployment_failures(model: Model, answers: Answers) -> list[Failure]:
    if answers.deployment == "api" and model.open_weights and not model.has_api_price:
        return [Failure("deployment", "no hosted API price in the catalogue (self-host it, or choose deployment 'any')")]
    if answers.deployment == "self_hosted" and not model.open_weights:
        return [Failure("deployment", "weights not available: cannot be self-hosted")]
    if answers.deployment == "edge":
        if not model.open_weights:
            return [Failure("deployment", "weights not available: cannot run on a device")]
        if model.params_b is None:
            return [Failure("deployment", "parameter count unknown: cannot confirm it fits on a device")]
        if model.params_b > EDGE_MAX_PARAMS_B:
            return [Failure(
                "deployment",
                f"{model.params_b:g}B parameters > {EDGE_MAX_PARAMS_B:g}B that fit on a phone or laptop",
                model.params_b / EDGE_MAX_PARAMS_B,
            )]
    return []


# --- score parts ---------------------------------------------------------------------------------


def _decreasing_log_scores(values: dict[str, float], decades_to_zero: float) -> dict[str, float]:
    """1 for the smallest value, falling by 1/decades_to_zero per 10x above it (floored at 0)."""
    if not values:
        return {}
    # log1p keeps a zero cost finite; costs and latencies span orders of magnitude, hence logs.
    logs = {key: math.log10(1 + value) for key, value in values.items()}
    low = min(logs.values())
    return {key: max(0.0, 1 - (value - low) / decades_to_zero) for key, value in logs.items()}


@dataclass(frozen=True)
class _Capability:
    value: float
    note: str


def _benchmark_ranges(models: list[Model]) -> dict[str, tuple[float, float]]:
    ranges: dict[str, tuple[float, float]] = {}
    for model in models:
        for name, bench in model.benchmarks.items():
            low, high = ranges.get(name, (bench.score, bench.score))
            ranges[name] = (min(low, bench.score), max(high, bench.score))
    return {name: (min(low, high - BENCHMARK_MIN_SPREAD), high) for name, (low, high) in ranges.items()}


def _normalised(name: str, score: float, ranges: dict[str, tuple[float, float]]) -> float:
    low, high = ranges[name]
    return (score - low) / (high - low)


def _short(name: str) -> str:
    return BENCHMARKS[name].split(" (")[0]


def capability(model: Model, use_cases: list[str], ranges: dict[str, tuple[float, float]]) -> _Capability:
    """Capability for the use cases, 0..1, from published benchmarks normalised across the candidates."""
    values, notes = [], []
    for use_case in use_cases:
        rule = USE_CASE_RULES[use_case]
        relevant = [(name, w) for name, w in rule.benchmarks.items() if name in model.benchmarks]
        if relevant:
            have = sum(w for _, w in relevant)
            bench = sum(w * _normalised(n, model.benchmarks[n].score, ranges) for n, w in relevant) / have
            shown = ", ".join(f"{_short(n)} {model.benchmarks[n].score:g}%" for n, _ in relevant[:3])
            missing = [n for n in rule.benchmarks if n not in model.benchmarks]
            if missing:
                # Unpublished relevant benchmarks count at the model's own average, discounted.
                total = sum(rule.benchmarks.values())
                bench *= (have + (total - have) * (1 - FALLBACK_DISCOUNT)) / total
                shown += f"; {', '.join(_short(n) for n in missing)} not published, counted {FALLBACK_DISCOUNT:.0%} below its others"
            notes.append(f"{rule.label}: {shown}")
        elif model.benchmarks:
            others = [_normalised(n, b.score, ranges) for n, b in model.benchmarks.items()]
            bench = sum(others) / len(others) * (1 - FALLBACK_DISCOUNT)
            shown = ", ".join(_short(n) for n in list(model.benchmarks)[:3])
            notes.append(
                f"no {rule.label} benchmark published; estimated from {shown} with a {FALLBACK_DISCOUNT:.0%} discount"
            )
        else:
            bench = UNKNOWN_QUALITY
            notes.append(f"quality unknown: no published benchmarks, so capability carries a penalty ({UNKNOWN_QUALITY:g} of 1)")
        matched = sum(1 for s in rule.strengths if s in model.strengths) / len(rule.strengths)
        values.append((1 - STRENGTH_SHARE) * bench + STRENGTH_SHARE * matched)
    return _Capability(sum(values) / len(values), "; ".join(notes))


def context_headroom(model: Model, answers: Answers) -> float:
    """1 when the window reaches the use cases' sensible size and 1.5x the need; less near the need."""
    need = answers.context_tokens
    target = max([1.5 * need] + [USE_CASE_RULES[u].recommended_context_tokens for u in answers.use_cases])
    ctx = model.context_tokens or need
    return max(0.0, min(1.0, math.log(ctx / need) / math.log(target / need)))


def language_fit(model: Model, answers: Answers) -> float:
    covered = sum(1 for code in answers.languages if code in model.languages) / len(answers.languages)
    if len(answers.languages) > 1 and "multilingual" not in model.strengths:
        covered *= 0.8
    return covered


def fine_tunability(model: Model) -> float:
    if model.open_weights:
        return FINE_TUNING_SCORES["open_weights"]
    if model.fine_tuning_api is None:
        return FINE_TUNING_SCORES["unknown"]
    return FINE_TUNING_SCORES["api" if model.fine_tuning_api else "none"]


def part_weights(answers: Answers) -> dict[str, float]:
    """Weight of each score part: the priorities as given, plus fixed weights for the secondary parts."""
    p = answers.priorities
    emphasis = max(USE_CASE_RULES[u].latency_emphasis for u in answers.use_cases)
    weights = {
        "capability": float(p.quality),
        "cost": float(p.cost),
        "latency": p.latency * emphasis,
        "context": 1.0,
        "languages": 1.0 if answers.languages == ["en"] else 2.0,
    }
    if answers.fine_tuning:
        weights["fine_tuning"] = 2.0
    return weights


# --- ranking -------------------------------------------------------------------------------------


def recommend(
    catalogue: Catalogue,
    answers: Answers,
    top: int = 3,
    assumptions: SelfHostAssumptions | None = None,
) -> Recommendation:
    """Rank the catalogue's models for these answers; the best `top` become picks with reasons."""
    if top < 1:
        raise AnswersError(f"top must be >= 1 (got {top})")
    if answers.allow is not None:
        unknown = [model_id for model_id in answers.allow if model_id not in catalogue.by_id]
        if unknown:
            catalogue.get(unknown[0])  # raises CatalogueError naming the closest ids
    facts: dict[str, tuple[float | None, str, LatencyAssumption]] = {}
    candidates: list[Model] = []
    excluded: list[Exclusion] = []
    for model in catalogue.models:
        if answers.allow is not None and model.id not in answers.allow:
            excluded.append(Exclusion(model, [Failure("allow", "not in the approved list")]))
            continue
        cost, basis = estimate_cost(model, answers, assumptions)
        latency = estimate_latency(model, answers)
        facts[model.id] = (cost, basis, latency)
        failures = check_constraints(model, answers, cost, latency)
        if failures:
            excluded.append(Exclusion(model, failures))
        else:
            candidates.append(model)

    # Benchmarks are scaled over every model under consideration (the approved list, or the whole
    # catalogue), so a benchmark only one small candidate publishes does not make it "the best".
    considered = [m for m in catalogue.models if m.id in facts]
    ranked = _rank(candidates, answers, facts, considered)
    picks = ranked[:top]
    for pick in picks:
        pick.reasons = explain_pick(pick, answers, len(candidates))
    for pick in picks[1:]:
        pick.tradeoff = describe_tradeoff(pick, picks[0])
    as_of = catalogue.as_of
    return Recommendation(
        answers=answers,
        picks=picks,
        excluded=excluded,
        catalogue_path=catalogue.path,
        as_of=as_of.isoformat() if as_of else None,
        catalogue_models=len(catalogue.models),
        candidates=len(candidates),
        binding=None if candidates else describe_binding(excluded),
        all_ranked=ranked,
    )


def _latency_value(latency: LatencyAssumption, target_ms: float | None) -> float:
    """Typical latency (geometric middle of the range); with a target, anything within it is as good."""
    if target_ms is not None and latency.high_ms <= target_ms:
        return target_ms
    typical = math.sqrt(latency.low_ms * latency.high_ms)
    return typical if target_ms is None else max(typical, target_ms)


def _rank(
    candidates: list[Model],
    answers: Answers,
    facts: dict[str, tuple[float | None, str, LatencyAssumption]],
    considered: list[Model],
) -> list[Pick]:
    weights = part_weights(answers)
    total_weight = sum(weights.values())
    ranges = _benchmark_ranges(considered)
    costs = {m.id: c for m in candidates if (c := facts[m.id][0]) is not None}
    cost_scores = _decreasing_log_scores(costs, COST_DECADES_TO_ZERO)
    latency_scores = _decreasing_log_scores(
        {m.id: _latency_value(facts[m.id][2], answers.latency_p95_ms) for m in candidates},
        LATENCY_DECADES_TO_ZERO,
    )
    scored: list[tuple[float, str, Pick]] = []
    for model in candidates:
        cost, basis, latency = facts[model.id]
        cap = capability(model, answers.use_cases, ranges)
        values = {
            "capability": (cap.value, cap.note),
            "cost": (cost_scores.get(model.id, UNKNOWN_COST_SCORE), basis),
            "latency": (latency_scores[model.id], latency.basis),
            "context": (context_headroom(model, answers), ""),
            "languages": (language_fit(model, answers), ""),
            "fine_tuning": (fine_tunability(model), ""),
        }
        raw = sum(weights[name] * values[name][0] for name in weights)
        parts = {
            name: ScorePart(values[name][0], weight, weight * values[name][0] / total_weight, values[name][1])
            for name, weight in weights.items()
        }
        pick = Pick(0, model, raw / total_weight, parts, [], cost, basis, latency)
        scored.append((raw, model.id, pick))
    # Rank on the raw weighted sum (higher first), ties broken by id: deterministic.
    scored.sort(key=lambda item: (-item[0], item[1]))
    for rank, (_, _, pick) in enumerate(scored, start=1):
        pick.rank = rank
    return [pick for _, _, pick in scored]


