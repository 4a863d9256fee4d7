"""The decision engine: hard constraints, a transparent weighted score, reasons in words.

(Catalogue, Answers) -> Recommendation. Constraints exclude (each exclusion says why, with numbers);
the remaining candidates are scored on parts weighted by the answers' priorities; what counts per
use case and the latency assumptions are data in selector/rules.py.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable

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
    cost = monthly_cost_usd(model, answers.traffic)  # None when the catalogue has no API price
    if cost is not None:
        return cost, "API price"
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


def constraint_checker(answers: Answers) -> Callable[[Model, float | None, LatencyAssumption], list[Failure]]:
    """A function listing every hard constraint a model fails, each with a reason in words and numbers.

    The answers are read once here, not once per model: reading a pydantic field costs several
    times a local variable, and the check runs for every model of the catalogue. The approved list
    is not checked: recommend() does it first, against a set.
    """
    need = answers.context_tokens
    # Every model reads text (the catalogue enforces it), so only the other modalities need checking.
    modalities = [] if answers.modalities == ["text"] else answers.modalities
    deployment = answers.deployment
    on_premises = answers.data_must_stay_on_premises
    retired_excluded = answers.allow is None  # a model on an approved list is wanted even if retired
    target = answers.latency_p95_ms
    budget = answers.budget_usd_per_month

    def check(model: Model, cost: float | None, latency: LatencyAssumption) -> list[Failure]:
        failures: list[Failure] = []
        if retired_excluded and model.is_retired:
            failures.append(Failure("retired", "retired by its maker (catalogue status as of {})", model.as_of))
        context = model.context_tokens
        if context is None:
            failures.append(Failure("context", "context window unknown (required {:,})", need))
        elif context < need:
            failures.append(Failure("context", "context {:,} < required {:,}", context, need, gap=need / context))
        if modalities:
            missing = [m for m in modalities if m not in model.input_modalities]
            if missing:
                failures.append(Failure("modalities", " and ".join(["no {} input"] * len(missing)), *missing))
        if deployment != "any":
            failures += _deployment_failures(model, answers)
        if on_premises and not model.open_weights:
            failures.append(Failure("on_premises", "weights not available: data must stay on premises"))
        if target is not None and latency.low_ms > target:
            failures.append(Failure(
                "latency", "estimated p95 {:,.0f}-{:,.0f} ms > target {:,.0f} ms",
                latency.low_ms, latency.high_ms, target, gap=latency.low_ms / target,
            ))
        if budget is not None and cost is not None and cost > budget:
            gap = cost / budget if budget > 0 else math.inf
            failures.append(Failure("budget", "monthly cost ${:,.0f} > budget ${:,.0f}", cost, budget, gap=gap))
        return failures

    return check


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


def _decreasing_log_scores(values: list[float | None], decades_to_zero: float) -> list[float | None]:
    """1 for the smallest value, falling by 1/decades_to_zero per 10x above it (floored at 0); None stays None."""
    # log1p keeps a zero cost finite; costs and latencies span orders of magnitude, hence logs.
    logs = [None if value is None else math.log10(1 + value) for value in values]
    known = [value for value in logs if value is not None]
    if not known:
        return logs
    low = min(known)
    return [None if value is None else max(0.0, 1 - (value - low) / decades_to_zero) for value in logs]


def _benchmark_ranges(scores: dict[str, list[float]]) -> dict[str, tuple[float, float]]:
    """(low, high) per benchmark over the scores given, the spread stretched to BENCHMARK_MIN_SPREAD."""
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


def capability(model: Model, prepared: list[tuple], ranges: dict[str, tuple[float, float]]) -> float:
    """Capability for the use cases, 0..1, from published benchmarks scaled across the models considered.

    `prepared` is _prepare(answers.use_cases, ranges); capability_note() says in words what counted.
    """
    published, model_strengths = model.benchmarks, model.strengths
    values = []
    for _, items, total, strengths in prepared:
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
        matched = len(strengths.intersection(model_strengths)) / len(strengths)
        values.append((1 - STRENGTH_SHARE) * value + STRENGTH_SHARE * matched)
    return sum(values) / len(values)


def capability_note(model: Model, use_cases: list[str]) -> str:
    """Which benchmarks counted for each use case (only the picks need it: words are slow)."""
    return "; ".join(_capability_note(model, USE_CASE_RULES[use_case]) for use_case in use_cases)


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


def context_headroom(models: list[Model], answers: Answers) -> list[float]:
    """Per model: 1 when the window reaches context_target(); less as it nears the need (log scale)."""
    need = answers.context_tokens
    scale = math.log(context_target(answers) / need)
    return [max(0.0, min(1.0, math.log((model.context_tokens or need) / need) / scale)) for model in models]


def language_fit(models: list[Model], languages: list[str]) -> list[float]:
    """Per model: the share of the languages it handles, less 20% without a multilingual strength when several are needed."""
    several = len(languages) > 1
    scores = []
    for model in models:
        covered = sum(1 for code in languages if code in model.languages) / len(languages)
        if several and "multilingual" not in model.strengths:
            covered *= 0.8
        scores.append(covered)
    return scores


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
    measured: dict | None = None,
) -> Recommendation:
    """Rank the catalogue's models for these answers; the best `top` become picks with reasons.

    `measured` maps a model id to figures from a benchmark on the user's own prompts (objects with
    latency_p95_ms, quality_0_1 and source, e.g. selector.benchmark.MeasuredFigures): where known,
    they replace the estimated latency and the published-benchmark capability, and the reasons say so.
    """
    if top < 1:
        raise AnswersError(f"top must be >= 1 (got {top})")
    allow = None if answers.allow is None else set(answers.allow)
    if allow is not None:
        unknown = [model_id for model_id in answers.allow if model_id not in catalogue.by_id]
        if unknown:
            catalogue.get(unknown[0])  # raises CatalogueError naming the closest ids
    assumptions = assumptions or SelfHostAssumptions()
    # One pass over the catalogue gathers everything needed about each model: reading a pydantic
    # field costs several times a plain attribute, and a 5,000-model catalogue (several MB) does not
    # stay in a core's cache, so each extra pass over the models is paid again in full.
    cost_memo: dict = {}
    latency_memo: dict = {}
    benchmark_scores: defaultdict[str, list[float]] = defaultdict(list)
    candidates: list[tuple[Model, float | None, str, LatencyAssumption]] = []
    excluded: list[Exclusion] = []
    check_constraints = constraint_checker(answers)
    as_of = None
    for model in catalogue.models:
        if as_of is None or model.as_of > as_of:
            as_of = model.as_of
        if allow is not None and model.id not in allow:
            excluded.append(Exclusion(model, [Failure("allow", "not in the approved list")]))
            continue
        # Benchmarks are scaled over every model under consideration (the approved list, or the
        # whole catalogue), so a benchmark only one small candidate publishes does not make it "the best".
        for name, bench in model.benchmarks.items():
            benchmark_scores[name].append(bench.score)
        self_hosted = is_self_hosted(model, answers)
        cost, basis = estimate_cost(model, answers, assumptions, cost_memo, self_hosted)
        latency = _shared_latency(model, answers, self_hosted, latency_memo)
        if measured and model.id in measured:
            latency = _measured_latency(measured[model.id], latency)
        failures = check_constraints(model, cost, latency)
        if failures:
            excluded.append(Exclusion(model, failures))
        else:
            candidates.append((model, cost, basis, latency))

    ranges = _benchmark_ranges(benchmark_scores)
    weights = part_weights(answers)
    total_weight = sum(weights.values())
    order, totals, columns = _rank(candidates, answers, ranges, weights, measured)
    picks = []
    for rank, index in enumerate(order[:top], start=1):
        raw = totals[index]
        model, cost, basis, latency = candidates[index]
        values = {name: column[index] for name, column in columns.items()}
        notes = {"capability": _measured_quality_note(measured, model.id) or capability_note(model, answers.use_cases),
                 "cost": basis, "latency": latency.basis}
        parts = {
            name: ScorePart(values[name], weight, weight * values[name] / total_weight, notes.get(name, ""))
            for name, weight in weights.items()
        }
        pick = Pick(rank, model, raw / total_weight, parts, [], cost, basis, latency)
        pick.reasons = explain_pick(pick, answers)
        picks.append(pick)
    for pick in picks[1:]:
        pick.tradeoff = describe_tradeoff(pick, picks[0])
    return Recommendation(
        answers=answers,
        picks=picks,
        excluded=excluded,
        catalogue_path=catalogue.path,
        as_of=as_of.isoformat() if as_of else None,
        catalogue_models=len(catalogue.models),
        candidates=len(candidates),
        binding=None if candidates else describe_binding(excluded),
        ranked_ids=[candidates[index][0].id for index in order],
        ranked_scores=[totals[index] / total_weight for index in order],
    )


def _shared_latency(model: Model, answers: Answers, self_hosted: bool, memo: dict) -> LatencyAssumption:
    """estimate_latency(), shared between models that the latency table cannot tell apart."""
    if model.speed is not None:  # a measured speed belongs to this model alone
        return estimate_latency(model, answers, self_hosted)
    size = (model.active_params_b or model.params_b) if self_hosted else None
    key = (self_hosted, size, model.reasoning)
    latency = memo.get(key)
    if latency is None:
        latency = memo[key] = estimate_latency(model, answers, self_hosted)
    return latency


def _measured_latency(figures, estimate: LatencyAssumption) -> LatencyAssumption:
    if figures.latency_p95_ms is None:
        return estimate
    p95 = figures.latency_p95_ms
    return LatencyAssumption(p95, p95, f"measured p95 on your prompts, {figures.source}")


def _measured_quality_note(measured: dict | None, model_id: str) -> str | None:
    figures = (measured or {}).get(model_id)
    if figures is None or figures.quality_0_1 is None:
        return None
    return f"measured on your prompts: {figures.quality_0_1:.0%} of checked answers passed, {figures.source}"


def _latency_value(latency: LatencyAssumption, target_ms: float | None) -> float:
    """Typical latency (geometric middle of the range); with a target, anything within it is as good."""
    if target_ms is not None and latency.high_ms <= target_ms:
        return target_ms
    typical = math.sqrt(latency.low_ms * latency.high_ms)
    return typical if target_ms is None else max(typical, target_ms)


def _rank(
    candidates: list[tuple[Model, float | None, str, LatencyAssumption]],
    answers: Answers,
    ranges: dict[str, tuple[float, float]],
    weights: dict[str, float],
    measured: dict | None = None,
) -> tuple[list[int], list[float], dict[str, list[float]]]:
    """The candidates' indexes best first (ties by id), their raw weighted sums, and the part values
    as columns; sums and columns are indexed like the candidates."""
    models = [model for model, _, _, _ in candidates]
    prepared = _prepare(answers.use_cases, ranges)
    # Each part is computed as a column over all candidates: no per-model dicts or objects.
    columns: dict[str, list[float]] = {
        "capability": [capability(model, prepared, ranges) for model in models],
        "cost": [
            UNKNOWN_COST_SCORE if score is None else score
            for score in _decreasing_log_scores([cost for _, cost, _, _ in candidates], COST_DECADES_TO_ZERO)
        ],
        "latency": _decreasing_log_scores(
            [_latency_value(latency, answers.latency_p95_ms) for _, _, _, latency in candidates],
            LATENCY_DECADES_TO_ZERO,
        ),
        "context": context_headroom(models, answers),
        "languages": language_fit(models, answers.languages),
    }
    if measured:  # a quality measured on the user's own prompts replaces the published-benchmark estimate
        for i, model in enumerate(models):
            figures = measured.get(model.id)
            if figures is not None and figures.quality_0_1 is not None:
                columns["capability"][i] = figures.quality_0_1
    if "fine_tuning" in weights:
        columns["fine_tuning"] = [fine_tunability(model) for model in models]
    # Summed part by part in the weights' order, as a running total per model.
    totals: list[float] = [0] * len(models)
    for name, weight in weights.items():
        totals = [total + weight * value for total, value in zip(totals, columns[name])]
    # Best first, ties by id: two stable sorts (the later one decides) instead of a (score, id) key
    # tuple per candidate.
    order = sorted(range(len(models)), key=[model.id for model in models].__getitem__)
    order.sort(key=[-total for total in totals].__getitem__)
    return order, totals, columns
