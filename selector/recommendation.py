"""The engine's result: ranked picks with score parts and reasons, exclusions, and their words.

The report, the costs page and the CLI reuse Recommendation; to_dict() is the CLI's JSON shape.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from selector.answers import Answers
from selector.catalogue import Model
from selector.rules import PART_LABELS, LatencyAssumption

CONSTRAINT_LABELS = {
    "allow": "the approved list",
    "retired": "retirement",
    "context": "the context window",
    "modalities": "the input modalities",
    "deployment": "the deployment",
    "on_premises": "keeping data on premises",
    "latency": "the latency target",
    "budget": "the budget",
}


@dataclass(frozen=True)
class ScorePart:
    """One part of a score: its value (0..1), its weight, and its share of the total score."""

    value: float
    weight: float
    contribution: float
    note: str = ""

    def to_dict(self) -> dict:
        return {"score": round(self.value, 4), "weight": self.weight, "contribution": round(self.contribution, 4)}


class Failure:
    """One failed hard constraint. The words are formatted on first use: most exclusions of a large
    catalogue are never displayed, and formatting thousands of numbers is the slow part of scoring."""

    __slots__ = ("constraint", "gap", "_template", "_args", "_reason")

    def __init__(self, constraint: str, template: str, *args: object, gap: float | None = None):
        self.constraint = constraint
        self.gap = gap  # how far off, as a ratio > 1 (None: not a matter of degree)
        self._template, self._args, self._reason = template, args, None

    @property
    def reason(self) -> str:
        if self._reason is None:
            self._reason = self._template.format(*self._args) if self._args else self._template
        return self._reason

    def __repr__(self) -> str:
        return f"Failure({self.constraint!r}, {self.reason!r})"


@dataclass(slots=True)  # one per excluded model: thousands in a large catalogue
class Exclusion:
    model: Model
    failures: list[Failure]

    @property
    def reasons(self) -> list[str]:
        return [failure.reason for failure in self.failures]

    def to_dict(self) -> dict:
        return {"id": self.model.id, "reasons": self.reasons}


@dataclass
class Pick:
    rank: int
    model: Model
    score: float
    score_parts: dict[str, ScorePart]
    reasons: list[str]
    monthly_cost_usd: float | None
    cost_basis: str
    latency: LatencyAssumption
    tradeoff: str | None = None  # for picks after the first: what they trade off against the top pick

    def to_dict(self) -> dict:
        return {
            "rank": self.rank,
            "id": self.model.id,
            "name": self.model.name,
            "score": round(self.score, 4),
            "score_parts": {name: part.to_dict() for name, part in self.score_parts.items()},
            "reasons": self.reasons,
            "monthly_cost_usd": None if self.monthly_cost_usd is None else round(self.monthly_cost_usd, 2),
            "cost_basis": self.cost_basis,
            "latency_ms": {"low": self.latency.low_ms, "high": self.latency.high_ms, "basis": self.latency.basis},
            "tradeoff": self.tradeoff,
        }


@dataclass
class Recommendation:
    """Ranked picks with reasons, the excluded models with theirs, and what they were drawn from."""

    answers: Answers
    picks: list[Pick]
    excluded: list[Exclusion]
    catalogue_path: str
    as_of: str | None
    catalogue_models: int
    candidates: int
    binding: str | None = None  # when nothing fits: which constraint binds and how far off the closest is
    # Every candidate best first, as two flat lists: a few thousand (id, score) tuples per ranking
    # would be work for the garbage collector that nobody asked for (see .ranking).
    ranked_ids: list[str] = field(default_factory=list, repr=False)
    ranked_scores: list[float] = field(default_factory=list, repr=False)

    @property
    def ranking(self) -> list[tuple[str, float]]:
        """Every candidate as (id, score), best first."""
        return list(zip(self.ranked_ids, self.ranked_scores))

    @property
    def top(self) -> Pick | None:
        return self.picks[0] if self.picks else None

    @property
    def runner_up(self) -> Pick | None:
        return self.picks[1] if len(self.picks) > 1 else None

    def to_dict(self) -> dict:
        runner = self.runner_up
        return {
            "recommendations": [pick.to_dict() for pick in self.picks],
            "runner_up": {"id": runner.model.id, "tradeoff": runner.tradeoff} if runner else None,
            "excluded": [exclusion.to_dict() for exclusion in self.excluded],
            "binding": self.binding,
            "answers": self.answers.model_dump(mode="json"),
            "catalogue": {"path": self.catalogue_path, "as_of": self.as_of, "models": self.catalogue_models},
        }


def format_ms(value: float) -> str:
    return f"{value:,.0f}"


# --- explanations --------------------------------------------------------------------------------


def format_money(value: float | None) -> str:
    if value is None:
        return "unknown"
    return f"${value:,.0f}" if value >= 10 else f"${value:,.2f}"


def _latency_text(latency: LatencyAssumption) -> str:
    if latency.low_ms == latency.high_ms:
        return f"about {format_ms(latency.low_ms)} ms"
    return f"{format_ms(latency.low_ms)}-{format_ms(latency.high_ms)} ms"


def explain_pick(pick: Pick, answers: Answers) -> list[str]:
    """Three plain sentences: the capability evidence, the monthly cost and its basis, speed and room."""
    parts = pick.score_parts
    model = pick.model
    cap = parts["capability"]
    reasons = [f"Capability {cap.value:.2f} of 1, scaled across the models considered ({cap.note})."]
    traffic = answers.traffic
    volume = f"{traffic.requests_per_day:,.0f} requests/day of {traffic.input_tokens:,}+{traffic.output_tokens:,} tokens"
    if pick.monthly_cost_usd is None:
        budget = (
            f"; it cannot be checked against the {format_money(answers.budget_usd_per_month)} budget"
            if answers.budget_usd_per_month is not None else ""
        )
        reasons.append(f"Monthly cost unknown ({pick.cost_basis}), scored as the most expensive{budget}.")
    else:
        reasons.append(f"About {format_money(pick.monthly_cost_usd)}/month for {volume} ({pick.cost_basis}).")
    ctx = model.context_tokens or answers.context_tokens
    reasons.append(
        f"Estimated p95 {_latency_text(pick.latency)} for a short reply ({pick.latency.basis}); "
        f"context {ctx:,} tokens, {ctx / answers.context_tokens:,.1f}x the {answers.context_tokens:,} you need."
    )
    return reasons


_BETTER = {"capability": "higher capability", "cost": "lower cost", "latency": "faster replies",
           "context": "more context", "languages": "better language coverage", "fine_tuning": "easier fine-tuning"}
_WORSE = {"capability": "lower capability", "cost": "higher cost", "latency": "slower replies",
          "context": "less context", "languages": "weaker language coverage", "fine_tuning": "harder fine-tuning"}


def _part_value(name: str, pick: Pick) -> str:
    if name == "cost":
        return f"{format_money(pick.monthly_cost_usd)}/month"
    if name == "latency":
        return f"p95 {_latency_text(pick.latency)}"
    if name == "context":
        return f"{pick.model.context_tokens:,} tokens"
    return f"{pick.score_parts[name].value:.2f}"


def describe_tradeoff(pick: Pick, best: Pick) -> str:
    """One sentence: what this pick gains and gives up against the top pick, with the numbers."""
    gains, slight, losses = [], [], []
    for name, part in pick.score_parts.items():
        if part.weight == 0:
            continue
        diff = part.value - best.score_parts[name].value
        numbers = f"({_part_value(name, pick)} vs {_part_value(name, best)})"
        if diff > 0.05:
            gains.append((diff * part.weight, f"{_BETTER[name]} {numbers}"))
        elif diff > 0.005:  # small, but saying "no part where it is ahead" would be false
            slight.append((diff * part.weight, f"slightly {_BETTER[name]} {numbers}"))
        elif diff < -0.05:
            losses.append((-diff * part.weight, f"{_WORSE[name]} {numbers}"))
    gains = gains or sorted(slight, reverse=True)[:1]
    gains.sort(reverse=True)
    losses.sort(reverse=True)
    name, other = pick.model.name, best.model.name
    lost = " and ".join(t for _, t in losses[:2]) or "a slightly lower total score"
    if not gains:
        return f"{name} against {other}: {lost}, with no part where it is ahead."
    return f"{name} against {other}: {' and '.join(t for _, t in gains[:2])}, but {lost}."


def describe_binding(excluded: list[Exclusion]) -> str:
    """When nothing fits: the constraint that alone keeps the most models out, and the closest model."""
    relevant = [e for e in excluded if e.failures[0].constraint != "allow"]
    if not relevant:
        return "No model meets every requirement: the approved list leaves no model to choose from."
    sole: dict[str, list[Exclusion]] = {}
    for exclusion in relevant:
        kinds = {f.constraint for f in exclusion.failures}
        if len(kinds) == 1:
            sole.setdefault(kinds.pop(), []).append(exclusion)
    if not sole:
        counts: dict[str, int] = {}
        for exclusion in relevant:
            for kind in {f.constraint for f in exclusion.failures}:
                counts[kind] = counts.get(kind, 0) + 1
        kind = max(sorted(counts), key=lambda k: counts[k])
        return (
            f"No model meets every requirement, and every model fails two or more; the most common is "
            f"{CONSTRAINT_LABELS[kind]} ({counts[kind]} of {len(relevant)} models)."
        )
    kind = max(sorted(sole), key=lambda k: len(sole[k]))
    group = sole[kind]
    closest = min(group, key=lambda e: (e.failures[0].gap if e.failures[0].gap is not None else math.inf, e.model.id))
    gap = closest.failures[0].gap
    how_far = f", {gap - 1:.0%} beyond the limit" if gap is not None and math.isfinite(gap) else ""
    return (
        f"No model meets every requirement. The binding constraint is {CONSTRAINT_LABELS[kind]}: "
        f"{len(group)} model(s) fail only on it; the closest is {closest.model.name} "
        f"({closest.failures[0].reason}{how_far})."
    )


def to_markdown(recommendation: Recommendation) -> str:
    """The recommendation as Markdown (the CLI's --format md)."""
    r = recommendation
    lines = [f"# Recommendation{': ' + r.answers.description if r.answers.description else ''}", ""]
    lines.append(
        f"Catalogue {r.catalogue_path} (as of {r.as_of}): {r.catalogue_models} models, "
        f"{r.candidates} meet every requirement, {len(r.excluded)} excluded."
    )
    lines.append("")
    if r.binding:
        lines += [r.binding, ""]
    for pick in r.picks:
        cost = format_money(pick.monthly_cost_usd)
        lines.append(f"## {pick.rank}. {pick.model.name} (`{pick.model.id}`): score {pick.score:.2f}, {cost}/month")
        lines.append("")
        lines += [f"- {reason}" for reason in pick.reasons]
        parts = ", ".join(
            f"{PART_LABELS[name]} {part.value:.2f} (weight {part.weight:g})" for name, part in pick.score_parts.items()
        )
        lines += [f"- Score parts: {parts}.", ""]
        if pick.tradeoff:
            lines += [f"Trade-off: {pick.tradeoff}", ""]
    if r.excluded:
        lines += ["## Excluded", ""]
        outside = [e.model.id for e in r.excluded if e.failures[0].constraint == "allow"]
        lines += [f"- `{e.model.id}`: {'; '.join(e.reasons)}" for e in r.excluded if e.failures[0].constraint != "allow"]
        if outside:
            lines.append(f"- {len(outside)} model(s) not in the approved list: {', '.join(outside)}")
    return "\n".join(lines).rstrip() + "\n"
