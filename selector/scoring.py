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
    model: Model,
    answers: Answers,
    assumptions: SelfHostAssumptions | None = None,
    memo: dict | None = None,
    self_hosted: bool | None = None,
) -> tuple[float | None, str]:
    """(monthly USD or None when unknown, the cost basis in words).

    `memo` shares self-hosting estimates between models of the same size within one ranking.
    """
    if self_hosted is None:
        self_hosted = is_self_hosted(model, answers)
    if self_hosted:
        a = assumptions or SelfHostAssumptions()
        key = (model.params_b, model.active_params_b, model.reasoning)
        if memo is not None and key in memo:
            return memo[key]
        result = _self_hosting_cost(model, answers, a)
        if memo is not None:
            memo[key] = result
        return result
    if model.has_api_price:
        return monthly_cost_usd(model, answers.traffic), "API price"
    return None, "no public API price in the catalogue"


def _self_hosting_cost(model: Model, answers: Answers, a: SelfHostAssumptions) -> tuple[float | None, str]:
    estimate = estimate_self_hosting(model, answers.traffic, a)
    if estimate is None:
        return None, "self-hosted: parameter count unknown, so the GPU cost is unknown"
    where = " (the server-side equivalent of running it on devices)" if answers.deployment == "edge" else ""
    return (
        estimate.monthly_usd,
        f"self-hosted on {estimate.total_gpus} GPU(s) at ${a.gpu_usd_per_hour:g}/hour, {a.precision} weights{where}",
    )


def estimate_latency(model: Model, answers: Answers, self_hosted: bool | None = None) -> LatencyAssumption:
    """Estimated p95 time to a short reply; a measured `speed` in the catalogue overrides the table."""
    if self_hosted is None:
        self_hosted = is_self_hosted(model, answers)
    if not self_hosted:
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
        failures.append(Failure("retired", "retired by its maker (catalogue status as of {})", model.as_of))
    need = answers.context_tokens
    if model.context_tokens is None:
        failures.append(Failure("context", "context window unknown (required {:,})", need))
    elif model.context_tokens < need:
        failures.append(Failure("context", "context {:,} < required {:,}", model.context_tokens, need, gap=need / model.context_tokens))
    if answers.modalities != ["text"]:  # every model reads text (the catalogue enforces it)
        missing = [m for m in answers.modalities if m not in model.input_modalities]
        if missing:
            failures.append(Failure("modalities", " and ".join(["no {} input"] * len(missing)), *missing))
    if answers.deployment != "any":
        failures += _deployment_failures(model, answers)
    if answers.data_must_stay_on_premises and not model.open_weights:
        failures.append(Failure("on_premises", "weights not available: data must stay on premises"))
    target = answers.latency_p95_ms
    if target is not None and latency.low_ms > target:
        failures.append(Failure(
            "latency", "estimated p95 {:,.0f}-{:,.0f} ms > target {:,.0f} ms",
            latency.low_ms, latency.high_ms, target, gap=latency.low_ms / target,
        ))
    budget = answers.budget_usd_per_month
    if budget is not None and cost is not None and cost > budget:
        gap = cost / budget if budget > 0 else math.inf
        failures.append(Failure("budget", "monthly cost ${:,.0f} > budget ${:,.0f}", cost, budget, gap=gap))
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
                "deployment", "{:g}B parameters > {:g}B that fit on a phone or laptop",
                model.params_b, EDGE_MAX_PARAMS_B, gap=model.params_b / EDGE_MAX_PARAMS_B,
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
    scores: dict[str, list[float]] = {}
    for model in models:
        for name, bench in model.benchmarks.items():
            scores.setdefault(name, []).append(bench.score)
    ranges = {}
    for name, values in scores.items():
        high = max(values)
        ranges[name] = (min(min(values), high - BENCHMARK_MIN_SPREAD), high)
    return ranges


def _short(name: str) -> str:
    return BENCHMARKS[name].split(" (")[0]


def _prepare(use_cases: list[str], ranges: dict[str, tuple[float, float]]) -> list[tuple]:
    """Per use case: (rule, [(benchmark, weight, low, span)], total weight, strengths) for fast scoring."""
    prepared = []
    for use_case in use_cases:
        rule = USE_CASE_RULES[use_case]
        items = [(name, w, *_low_span(ranges[name])) for name, w in rule.benchmarks.items() if name in ranges]
        prepared.append((rule, items, sum(rule.benchmarks.values()), frozenset(rule.strengths)))
    return prepared


def _low_span(bounds: tuple[float, float]) -> tuple[float, float]:
    return bounds[0], bounds[1] - bounds[0]


def capability(
    model: Model,
    use_cases: list[str],
    ranges: dict[str, tuple[float, float]],
    explain: bool = False,
    prepared: list[tuple] | None = None,
) -> _Capability:
    """Capability for the use cases, 0..1, from published benchmarks scaled across the models considered.

    With explain=True the note says which benchmarks counted (only the picks need it: words are slow).
    """
    published = model.benchmarks
    values, notes = [], []
    for rule, items, total, strengths in prepared or _prepare(use_cases, ranges):
        have = weighted = 0.0
        for name, weight, low, span in items:
            bench = published.get(name)
            if bench is not None:
                weighted += weight * (bench.score - low) / span
                have += weight
        if have:
            # Unpublished relevant benchmarks count at the model's own average, discounted.
            value = weighted / have * (have + (total - have) * (1 - FALLBACK_DISCOUNT)) / total
        elif published:
            scaled = [(b.score - ranges[n][0]) / (ranges[n][1] - ranges[n][0]) for n, b in published.items()]
            value = sum(scaled) / len(scaled) * (1 - FALLBACK_DISCOUNT)
        else:
            value = UNKNOWN_QUALITY
        matched = len(strengths.intersection(model.strengths)) / len(strengths)
        values.append((1 - STRENGTH_SHARE) * value + STRENGTH_SHARE * matched)
        if explain:
            notes.append(_capability_note(model, rule))
    return _Capability(sum(values) / len(values), "; ".join(notes))


def _capability_note(model: Model, rule) -> str:
    published = model.benchmarks
    relevant = [name for name in rule.benchmarks if name in published]
    if relevant:
        shown = ", ".join(f"{_short(n)} {published[n].score:g}%" for n in relevant[:3])
        missing = [n for n in rule.benchmarks if n not in published]
        if missing:
            shown += f"; {', '.join(_short(n) for n in missing)} not published, counted {FALLBACK_DISCOUNT:.0%} below its others"
        return f"{rule.label}: {shown}"
    if published:
        shown = ", ".join(_short(n) for n in list(published)[:3])
        return f"no {rule.label} benchmark published; estimated from {shown} with a {FALLBACK_DISCOUNT:.0%} discount"
    return f"quality unknown: no published benchmarks, so capability carries a penalty ({UNKNOWN_QUALITY:g} of 1)"


def context_target(answers: Answers) -> float:
    """The window that earns full headroom: the use cases' sensible size, and at least 1.5x the need."""
    return max([1.5 * answers.context_tokens] + [USE_CASE_RULES[u].recommended_context_tokens for u in answers.use_cases])


def context_headroom(model: Model, answers: Answers, target: float | None = None) -> float:
    """1 when the window reaches context_target(); less as it nears the need."""
    need = answers.context_tokens
    target = target or context_target(answers)
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
    assumptions = assumptions or SelfHostAssumptions()
    memo: dict = {}
    facts: dict[str, tuple[float | None, str, LatencyAssumption]] = {}
    candidates: list[Model] = []
    excluded: list[Exclusion] = []
    for model in catalogue.models:
        if answers.allow is not None and model.id not in answers.allow:
            excluded.append(Exclusion(model, [Failure("allow", "not in the approved list")]))
            continue
        self_hosted = is_self_hosted(model, answers)
        cost, basis = estimate_cost(model, answers, assumptions, memo, self_hosted)
        latency = estimate_latency(model, answers, self_hosted)
        facts[model.id] = (cost, basis, latency)
        failures = check_constraints(model, answers, cost, latency)
        if failures:
            excluded.append(Exclusion(model, failures))
        else:
            candidates.append(model)

    # Benchmarks are scaled over every model under consideration (the approved list, or the whole
    # catalogue), so a benchmark only one small candidate publishes does not make it "the best".
    ranges = _benchmark_ranges([m for m in catalogue.models if m.id in facts])
    weights = part_weights(answers)
    ranked = _rank(candidates, answers, facts, ranges, weights)
    total_weight = sum(weights.values())
    picks = []
    for rank, (raw, _, model, values) in enumerate(ranked[:top], start=1):
        cost, basis, latency = facts[model.id]
        notes = {
            "capability": capability(model, answers.use_cases, ranges, explain=True).note,
            "cost": basis,
            "latency": latency.basis,
        }
        parts = {
            name: ScorePart(values[name], weight, weight * values[name] / total_weight, notes.get(name, ""))
            for name, weight in weights.items()
        }
        pick = Pick(rank, model, raw / total_weight, parts, [], cost, basis, latency)
        pick.reasons = explain_pick(pick, answers)
        picks.append(pick)
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
        ranking=[(model.id, raw / total_weight) for raw, _, model, _ in ranked],
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
    ranges: dict[str, tuple[float, float]],
    weights: dict[str, float],
) -> list[tuple[float, str, Model, dict[str, float]]]:
    """(raw weighted sum, id, model, part values) for every candidate, best first, ties by id."""
    costs = {m.id: c for m in candidates if (c := facts[m.id][0]) is not None}
    cost_scores = _decreasing_log_scores(costs, COST_DECADES_TO_ZERO)
    latency_scores = _decreasing_log_scores(
        {m.id: _latency_value(facts[m.id][2], answers.latency_p95_ms) for m in candidates},
        LATENCY_DECADES_TO_ZERO,
    )
    target = context_target(answers)
    prepared = _prepare(answers.use_cases, ranges)
    scored = []
    for model in candidates:
        values = {
            "capability": capability(model, answers.use_cases, ranges, prepared=prepared).value,
            "cost": cost_scores.get(model.id, UNKNOWN_COST_SCORE),
            "latency": latency_scores[model.id],
            "context": context_headroom(model, answers, target),
            "languages": language_fit(model, answers),
            "fine_tuning": fine_tunability(model),
        }
        raw = sum(weight * values[name] for name, weight in weights.items())
        scored.append((raw, model.id, model, values))
    scored.sort(key=lambda item: (-item[0], item[1]))
    return scored
