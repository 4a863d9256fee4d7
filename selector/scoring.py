"""The decision engine: hard constraints, a transparent weighted score, reasons in words.

(Catalogue, Answers, measured evidence) -> Recommendation. Each model is served the way the answers
allow (selector/serving.py: cost and latency), checked against the hard constraints (each exclusion
says why, with numbers), and the rest are scored on parts weighted by the answers' priorities.
Capability comes with an interval (selector/capability.py); a model with no evidence at all is not
ranked but listed apart. What counts per use case is data in selector/rules.py.
"""

from __future__ import annotations

import datetime as dt
import gc
import math
import statistics
from collections.abc import Callable

from selector import capability as cap
from selector.answers import Answers
from selector.catalogue import Catalogue, Model
from selector.costs import SelfHostAssumptions
from selector.errors import AnswersError
from selector.recommendation import (
    Exclusion,
    Failure,
    Pick,
    Recommendation,
    ScorePart,
    Unrated,
    describe_closest,
    describe_margin,
    describe_tradeoff,
    explain_pick,
    lifecycle_warning,
)
from selector.rules import (
    COST_DECADES_TO_ZERO,
    FINE_TUNING_SCORES,
    LATENCY_DECADES_TO_ZERO,
    LIFECYCLE_EXCLUSION_DAYS,
    LANGUAGE_MIN_SPREAD,
    NEGLIGIBLE_COST_USD,
    UNKNOWN_COST_SCORE,
    USE_CASE_RULES,
    use_case_weights,
)
from selector.serving import Assumptions, Server, Serving

# --- hard constraints ------------------------------------------------------------------------------


def requirement_checkers(
    answers: Answers, catalogue_date: dt.date, models: dict[str, Model]
) -> tuple[Callable[[Model], list[Failure]], Callable[[Model, Serving], list[Failure]]]:
    """Two checks: what a model fails on its own facts (lifecycle, context, inputs, languages), and
    what it fails as served (deployment, latency, budget). The answers are read once here, not once
    per model: the checks run for every model of the catalogue."""
    need = answers.context_tokens
    modalities = [] if answers.modalities == ["text"] else answers.modalities  # every model reads text
    languages = [code for code in answers.languages if code != "en"]
    wanted = answers.allow is not None  # a model on an approved list is wanted even if retired or retiring
    target = answers.latency_p95_ms
    budget = answers.budget_usd_per_month

    def own(model: Model) -> list[Failure]:
        failures: list[Failure] = []
        if not wanted and (model.status == "retired" or model.shutdown_date is not None):
            failures += _lifecycle_failures(model, catalogue_date, models)
        context = model.context_tokens
        if context is None:
            failures.append(Failure("context", "context window unknown (required {:,})", need))
        elif context < need:
            failures.append(Failure("context", "context {:,} < required {:,}", context, need, gap=need / context))
        if modalities:
            missing = [m for m in modalities if m not in model.input_modalities]
            if missing:
                failures.append(Failure("modalities", " and ".join(["no {} input"] * len(missing)), *missing))
        if languages:
            supported = model.languages
            unsupported = [code for code in languages if code not in supported]
            if unsupported:
                failures.append(Failure(
                    "languages", "does not support {} (its card lists {})", ", ".join(unsupported), ", ".join(supported[:8]),
                ))
        return failures

    def served(model: Model, serving: Serving) -> list[Failure]:
        failures: list[Failure] = []
        problem = serving.problem
        if problem is not None:
            kind = "on_premises" if "premises" in problem else "deployment"
            failures.append(Failure(kind, problem, gap=serving.gap))
        latency = serving.latency
        if target is not None:
            if latency is None and problem is None:
                failures.append(Failure("latency", "latency unknown ({}), so the {:,.0f} ms target cannot be confirmed",
                                        serving.basis or "no speed figure", target))
            elif latency is not None and latency.p95_ms > target:
                failures.append(Failure(
                    "latency", "estimated p95 time to first token {:,.0f} ms > target {:,.0f} ms",
                    latency.p95_ms, target, gap=latency.p95_ms / target,
                ))
        cost = serving.monthly_usd
        if budget is not None and cost is not None and cost > budget:
            gap = (cost + 1) / (budget + 1)  # finite at a budget of 0, so the closest is still the cheapest
            failures.append(Failure("budget", "monthly cost ${:,.0f} > budget ${:,.0f}", cost, budget, gap=gap))
        return failures

    return own, served


def _lifecycle_failures(model: Model, catalogue_date: dt.date, models: dict[str, Model]) -> list[Failure]:
    if model.status == "retired":
        return [Failure("retired", "retired by its maker (catalogue status as of {})", model.as_of)]
    days = model.days_to_shutdown(catalogue_date)
    if days is None or days > LIFECYCLE_EXCLUSION_DAYS:
        return []
    named = models.get(model.successor) if model.successor else None
    successor = f"; its maker names {named.name if named else model.successor} as successor" if model.successor else ""
    if days < 0:
        return [Failure("retired", "shut down on {}{}", model.shutdown_date, successor)]
    return [Failure(
        "lifecycle", "shuts down on {}, {} days after the catalogue date{}", model.shutdown_date, days, successor,
    )]


# --- score parts ---------------------------------------------------------------------------------


def _decreasing_log_scores(values: list[float | None], decades_to_zero: float) -> list[float | None]:
    """1 for the smallest value, falling by 1/decades_to_zero per 10x above it (floored at 0); None stays None."""
    logs = [None if value is None else math.log10(1 + value) for value in values]
    known = [value for value in logs if value is not None]
    if not known:
        return logs
    low = min(known)
    return [None if value is None else max(0.0, 1 - (value - low) / decades_to_zero) for value in logs]


def context_target(answers: Answers) -> float:
    """The window that earns full headroom: the use cases' sensible size, and at least 1.5x the need."""
    return max([1.5 * answers.context_tokens] + [USE_CASE_RULES[u].recommended_context_tokens for u in answers.use_cases])


def context_headroom(models: list[Model], answers: Answers) -> list[float]:
    """Per model: 1 when the window reaches context_target(); less as it nears the need (log scale)."""
    need = answers.context_tokens
    scale = math.log(context_target(answers) / need)
    return [max(0.0, min(1.0, math.log((model.context_tokens or need) / need) / scale)) for model in models]


def language_standing(model: Model, language: str) -> float | None:
    """The model's mean published score on tests of this language, 0..1, or None without evidence."""
    scores = [s.score for s in model.language_scores if s.language == language]
    return sum(scores) / len(scores) / 100 if scores else None


def language_fit(models: list[Model], languages: list[str]) -> tuple[list[float], list[str]]:
    """Per model: its standing on the required non-English languages, from per-language evidence.

    For each language, the published scores (mean per model, 0..1) are placed on the candidates'
    range: 1 for the best published result, 0 for the weakest (a spread under LANGUAGE_MIN_SPREAD is
    widened to it). A supported language without a published score counts at the lower quartile of
    the candidates that publish one, said in the note: never zero, and never as if it were strong.
    English is the baseline every catalogued model supports: it adds nothing to tell models apart.
    """
    others = [code for code in languages if code != "en"]
    if not others:
        return [1.0] * len(models), [""] * len(models)
    standings = {code: [language_standing(m, code) for m in models] for code in others}
    scaled: dict[str, list[float | None]] = {}
    fallback: dict[str, float] = {}
    for code, values in standings.items():
        known = [v for v in values if v is not None]
        if not known:
            scaled[code], fallback[code] = [None] * len(values), 0.5
            continue
        high = max(known)
        low = min(min(known), high - LANGUAGE_MIN_SPREAD)
        scaled[code] = [None if v is None else (v - low) / (high - low) for v in values]
        ranks = sorted(x for x in scaled[code] if x is not None)
        fallback[code] = statistics.quantiles(ranks, n=4, method="inclusive")[0] if len(ranks) >= 2 else ranks[0] * 0.5
    values_out, notes = [], []
    for i, model in enumerate(models):
        parts, words = [], []
        for code in others:
            standing, value = standings[code][i], scaled[code][i]
            if value is None:
                parts.append(fallback[code])
                words.append(f"{code}: no published score, counted at the lower quartile of those that publish one")
            else:
                parts.append(value)
                names = ", ".join(sorted({s.benchmark for s in model.language_scores if s.language == code}))
                words.append(f"{code}: {standing:.0%} on {names}")
        values_out.append(sum(parts) / len(parts))
        notes.append("; ".join(words))
    return values_out, notes


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
        "languages": 0.0 if all(code == "en" for code in answers.languages) else 3.0,
    }
    if answers.fine_tuning:
        weights["fine_tuning"] = 2.0
    return {name: weight for name, weight in weights.items() if weight > 0 or name == "capability"}


# --- ranking -------------------------------------------------------------------------------------


def recommend(
    catalogue: Catalogue,
    answers: Answers,
    top: int = 3,
    assumptions: SelfHostAssumptions | Assumptions | None = None,
    measured: dict | None = None,
) -> Recommendation:
    """Rank the catalogue's models for these answers; the best `top` become picks with reasons.

    `measured` maps a model id to figures from a benchmark on the user's own prompts (objects with
    latency_p95_ms, quality_0_1, source and optionally prompts, e.g. selector.benchmark.MeasuredFigures):
    they come first, replacing the estimated latency and the published-benchmark capability.
    """
    if top < 1:
        raise AnswersError(f"top must be >= 1 (got {top})")
    ranking = rank(catalogue, answers, assumptions, measured)
    return ranking.recommendation(top)


def first_pick(catalogue: Catalogue, answers: Answers, measured: dict | None = None) -> str | None:
    """The first pick's id (None when nothing qualifies), without writing any reasons: for the
    sensitivity analysis, which ranks the catalogue dozens of times."""
    return rank(catalogue, answers, measured=measured).first_id


class Ranking:
    """Everything one pass over the catalogue found: candidates in order, exclusions, unrated models."""

    def __init__(self, catalogue: Catalogue, answers: Answers, candidates: list, excluded: list[Exclusion],
                 unrated: list[Unrated], order: list[int], totals: list[float], columns: dict, weights: dict,
                 notes: dict, catalogue_date: dt.date | None):
        self.catalogue, self.answers = catalogue, answers
        self.candidates, self.excluded, self.unrated = candidates, excluded, unrated
        self.order, self.totals, self.columns, self.weights = order, totals, columns, weights
        self.notes, self.catalogue_date = notes, catalogue_date

    @property
    def first_id(self) -> str | None:
        return self.candidates[self.order[0]][0].id if self.order else None

    def recommendation(self, top: int) -> Recommendation:
        answers, weights = self.answers, self.weights
        total_weight = sum(weights.values())
        picks = []
        for rank_no, index in enumerate(self.order[:top], start=1):
            model, serving, estimate = self.candidates[index]
            values = {name: column[index] for name, column in self.columns.items()}
            notes = {
                "capability": estimate.note or cap.describe(model, estimate, use_case_weights(answers.use_cases)),
                "cost": serving.basis,
                "latency": serving.latency.basis if serving.latency else "",
                "languages": self.notes.get("languages", {}).get(model.id, ""),
            }
            parts = {
                name: ScorePart(values[name], weight, weight * values[name] / total_weight, notes.get(name, ""))
                for name, weight in weights.items()
            }
            pick = Pick(rank_no, model, self.totals[index] / total_weight, parts, [], serving.monthly_usd,
                        serving.basis, serving.latency, capability=estimate, serving=serving)
            pick.reasons = explain_pick(pick, answers, self.catalogue_date)
            picks.append(pick)
        for pick in picks[1:]:
            pick.tradeoff = describe_tradeoff(pick, picks[0])
        names = self.catalogue.by_id
        warnings = [w for w in (lifecycle_warning(p.model, self.catalogue_date, names) for p in picks) if w]
        return Recommendation(
            answers=answers,
            picks=picks,
            excluded=self.excluded,
            catalogue_path=self.catalogue.path,
            as_of=self.catalogue_date.isoformat() if self.catalogue_date else None,
            catalogue_models=len(self.catalogue.models),
            candidates=len(self.candidates),
            binding=None if self.candidates or self.unrated else describe_closest(self.excluded),
            ranked_ids=[self.candidates[i][0].id for i in self.order],
            unrated=self.unrated,
            margin=describe_margin(picks),
            warnings=warnings,
        )


def rank(
    catalogue: Catalogue,
    answers: Answers,
    assumptions: SelfHostAssumptions | Assumptions | None = None,
    measured: dict | None = None,
) -> Ranking:
    """One pass over the catalogue: serve, check, estimate capability; then order the candidates.

    The pass allocates a few objects per model and no reference cycles, so the cyclic garbage
    collector is paused for it: otherwise its full collections, which walk every object of a large
    catalogue, cost more than the ranking itself.
    """
    paused = gc.isenabled()
    gc.disable()
    try:
        return _rank(catalogue, answers, assumptions, measured)
    finally:
        if paused:
            gc.enable()


def _rank(
    catalogue: Catalogue,
    answers: Answers,
    assumptions: SelfHostAssumptions | Assumptions | None,
    measured: dict | None,
) -> Ranking:
    allow = None if answers.allow is None else set(answers.allow)
    if allow is not None:
        unknown = [model_id for model_id in answers.allow if model_id not in catalogue.by_id]
        if unknown:
            catalogue.get(unknown[0])  # raises CatalogueError naming the closest ids
    catalogue_date = catalogue.as_of
    if isinstance(assumptions, SelfHostAssumptions):
        assumptions = Assumptions(self_host=assumptions)
    server = Server(catalogue, answers, assumptions, today=catalogue_date)
    own_check, served_check = requirement_checkers(answers, catalogue_date or dt.date.today(), catalogue.by_id)
    passed: list[tuple[Model, Serving]] = []
    excluded: list[Exclusion] = []
    for model in catalogue.models:
        if allow is not None and model.id not in allow:
            excluded.append(Exclusion(model, [Failure("allow", "not in the approved list")]))
            continue
        failures = own_check(model)
        if failures:  # served and costed only if its full list of failures is read
            excluded.append(Exclusion(model, failures, _served_failures(model, server, served_check, measured)))
            continue
        serving = _serve(model, server, measured)
        failures = served_check(model, serving)
        if failures:
            excluded.append(Exclusion(model, failures))
        else:
            passed.append((model, serving))
    estimates = _capabilities(catalogue, answers, passed, measured)
    candidates, unrated = [], []
    for model, serving in passed:
        estimate = estimates.get(model.id)
        if estimate is None:
            unrated.append(Unrated(model, serving.monthly_usd, serving.basis))
        else:
            candidates.append((model, serving, estimate))
    weights = part_weights(answers)
    order, totals, columns, notes = _order(candidates, answers, weights)
    return Ranking(catalogue, answers, candidates, excluded, unrated, order, totals, columns, weights, notes, catalogue_date)


def _serve(model: Model, server: Server, measured: dict | None) -> Serving:
    serving = server.serve(model)
    if measured and model.id in measured and _represents(measured[model.id], serving):
        serving = _with_measured_latency(serving, measured[model.id])
    return serving


def _served_failures(model: Model, server: Server, served_check, measured: dict | None):
    return lambda: served_check(model, _serve(model, server, measured))


def _capabilities(catalogue: Catalogue, answers: Answers, passed: list, measured: dict | None) -> dict[str, cap.Estimate]:
    fit = cap.catalogue_fit(catalogue)
    thinking_off = frozenset(model.id for model, serving in passed if serving.thinking_off)
    estimates = cap.estimate_all(fit, [model for model, _ in passed], use_case_weights(answers.use_cases), thinking_off)
    for model_id, figures in (measured or {}).items():
        quality = getattr(figures, "quality_0_1", None)
        if quality is not None:
            estimate = cap.measured_estimate(quality, getattr(figures, "prompts", None), figures.source)
            low, high = getattr(figures, "quality_low", None), getattr(figures, "quality_high", None)
            if low is not None and high is not None:
                from dataclasses import replace

                estimate = replace(estimate, low=low, high=high)
            estimates[model_id] = estimate
    return estimates


def _represents(figures, serving: Serving) -> bool:
    """Whether a latency measured where `figures` were taken stands for this way of serving: a
    hosted API's for a hosted API; a bundled model on this computer's CPU for nothing else (not a
    GPU server, not a phone). Quality measured on your prompts holds wherever the model runs."""
    where = getattr(figures, "measured_on", "api")
    return where == "api" and serving.mode in ("api", "offer")


def _with_measured_latency(serving: Serving, figures) -> Serving:
    from dataclasses import replace

    from selector.serving import Latency

    p95 = getattr(figures, "latency_p95_ms", None)
    if p95 is None:
        return serving
    latency = Latency(p95, p95, p95, f"measured p95 on your prompts, {figures.source}")
    return replace(serving, latency=latency)


def _order(candidates: list, answers: Answers, weights: dict[str, float]) -> tuple[list[int], list[float], dict, dict]:
    """The candidates' indexes best first (ties by id), raw weighted sums, part values as columns, notes."""
    models = [model for model, _, _ in candidates]
    latencies = [serving.latency.p95_ms if serving.latency else None for _, serving, _ in candidates]
    # Within the target (or below what the use case can notice), faster is no better.
    floor = min(USE_CASE_RULES[u].latency_floor_ms for u in answers.use_cases)
    if answers.latency_p95_ms is not None:
        floor = max(floor, answers.latency_p95_ms)
    latency_scores = _decreasing_log_scores([None if v is None else max(v, floor) for v in latencies], LATENCY_DECADES_TO_ZERO)
    budget = answers.budget_usd_per_month
    negligible = NEGLIGIBLE_COST_USD if budget is None else min(NEGLIGIBLE_COST_USD, budget / 10)
    costs = [serving.monthly_usd for _, serving, _ in candidates]
    costs = [None if c is None else max(c, negligible) for c in costs]
    columns: dict[str, list[float]] = {
        "capability": cap.standing_scale([estimate for _, _, estimate in candidates]),
        "cost": [
            UNKNOWN_COST_SCORE if score is None else score
            for score in _decreasing_log_scores(costs, COST_DECADES_TO_ZERO)
        ],
        "latency": [0.0 if score is None else score for score in latency_scores],
        "context": context_headroom(models, answers),
    }
    notes: dict = {}
    if "languages" in weights:
        values, words = language_fit(models, answers.languages)
        columns["languages"] = values
        notes["languages"] = {model.id: note for model, note in zip(models, words)}
    if "fine_tuning" in weights:
        columns["fine_tuning"] = [fine_tunability(model) for model in models]
    totals: list[float] = [0.0] * len(models)
    for name, weight in weights.items():
        totals = [total + weight * value for total, value in zip(totals, columns[name])]
    order = sorted(range(len(models)), key=[model.id for model in models].__getitem__)
    order.sort(key=[-total for total in totals].__getitem__)
    return order, totals, columns, notes
