"""The engine's result: ranked picks with score parts and reasons, exclusions, and their words.

The report (selector.report) turns a Recommendation into its facts: the one JSON shape and every written format.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from selector.answers import Answers
from selector.catalogue import Model
from selector.formatting import money_rounded as format_money
from selector.formatting import milliseconds
from selector.rules import LIFECYCLE_EXCLUSION_DAYS

if TYPE_CHECKING:  # imported for annotations only: serving and capability import this module's peers
    from selector.capability import Estimate
    from selector.serving import Latency, Serving

CONSTRAINT_LABELS = {
    "allow": "the approved list",
    "retired": "retirement",
    "lifecycle": "an announced shutdown",
    "languages": "the languages",
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


class Exclusion:
    """An excluded model and every constraint it fails. One per excluded model, thousands in a large
    catalogue: a model that already fails a requirement of its own (context, inputs, languages,
    lifecycle) is served and costed only when its full list is first read (`rest` does that)."""

    __slots__ = ("model", "_failures", "_rest")

    def __init__(self, model: Model, failures: list[Failure], rest=None):
        self.model, self._failures, self._rest = model, failures, rest

    @property
    def failures(self) -> list[Failure]:
        if self._rest is not None:
            rest, self._rest = self._rest, None
            self._failures = self._failures + rest()
        return self._failures

    def __repr__(self) -> str:
        return f"Exclusion({self.model.id!r}, {self.failures!r})"

    @property
    def reasons(self) -> list[str]:
        return [failure.reason for failure in self.failures]


@dataclass
class Pick:
    rank: int
    model: Model
    score: float
    score_parts: dict[str, ScorePart]
    reasons: list[str]
    monthly_cost_usd: float | None
    cost_basis: str
    latency: Latency | None
    tradeoff: str | None = None  # for picks after the first: what they trade off against the top pick
    capability: Estimate | None = None
    serving: Serving | None = None


@dataclass(slots=True)
class Unrated:
    """A model that meets every requirement but has no evidence to rank it on."""

    model: Model
    monthly_cost_usd: float | None
    cost_basis: str

    @property
    def advice(self) -> str:
        return (f"not enough evidence to rank: no published benchmark or rating; measure it on your prompts "
                f"(Benchmark page, or `python -m selector bench-prompts --models {self.model.id} FILE`)")


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
    ranked_ids: list[str] = field(default_factory=list, repr=False)  # every candidate, best first
    unrated: list[Unrated] = field(default_factory=list)
    margin: str | None = None  # when the top picks' capability intervals overlap, it says so
    warnings: list[str] = field(default_factory=list)  # lifecycle warnings for the picks
    changes: list = field(default_factory=list)  # what would change the answer (selector.sensitivity)

    @property
    def top(self) -> Pick | None:
        return self.picks[0] if self.picks else None

    @property
    def runner_up(self) -> Pick | None:
        return self.picks[1] if len(self.picks) > 1 else None




# --- explanations --------------------------------------------------------------------------------


def _latency_text(latency: Latency | None) -> str:
    if latency is None:
        return "unknown"
    if latency.p50_ms == latency.p95_ms:
        return f"about {milliseconds(latency.p95_ms)}"
    return f"{milliseconds(latency.p95_ms)} (median {milliseconds(latency.p50_ms)})"


def lifecycle_warning(model: Model, catalogue_date: dt.date | None, models: dict[str, Model]) -> str | None:
    """A sentence when the maker announced a shutdown date, naming the successor where known."""
    if model.shutdown_date is None or catalogue_date is None:
        return None
    days = (model.shutdown_date - catalogue_date).days
    successor = models.get(model.successor) if model.successor else None
    then = f"; its maker names {successor.name} as successor" if successor else ""
    when = "soon" if days <= LIFECYCLE_EXCLUSION_DAYS else "later"
    return (f"{model.name} shuts down on {model.shutdown_date.isoformat()} ({days} days after the catalogue date, "
            f"{when}){then}.")


def describe_margin(picks: list[Pick]) -> str | None:
    """When the top picks' capability intervals overlap: they are within the evidence's margin."""
    if len(picks) < 2 or picks[0].capability is None:
        return None
    first = picks[0]
    close = [p for p in picks[1:] if p.capability is not None and p.capability.overlaps(first.capability)]
    if not close:
        return None
    names = " and ".join(p.model.name for p in close)
    shown = "; ".join(
        f"{p.model.name} {p.capability.point:.2f} ({p.capability.low:.2f}-{p.capability.high:.2f})" for p in [first, *close]
    )
    verb = "is" if len(close) == 1 else "are"
    return (f"On capability, {first.model.name} and {names} {verb} within the evidence's margin ({shown}): "
            f"the published evidence cannot separate them; cost, latency and your own prompts decide.")


def explain_pick(pick: Pick, answers: Answers, catalogue_date: dt.date | None = None) -> list[str]:
    """Plain sentences: the capability evidence, the monthly cost and its basis, speed and room, lifecycle."""
    parts = pick.score_parts
    model = pick.model
    cap = parts["capability"]
    estimate = pick.capability
    if estimate is not None:
        reasons = [
            f"Capability {estimate.point:.2f} of 1, 95% interval {estimate.low:.2f}-{estimate.high:.2f}: its standing "
            f"against the catalogue on the benchmarks this use case weighs, 0.5 being typical ({cap.note})."
        ]
    else:
        reasons = [f"Capability part {cap.value:.2f} of 1 ({cap.note})."]
    traffic = answers.traffic
    volume = f"{traffic.requests_per_day:,.0f} requests/day of {traffic.input_tokens:,}+{traffic.output_tokens:,} tokens"
    if pick.monthly_cost_usd is None:
        budget = (
            f"; it cannot be checked against the {format_money(answers.budget_usd_per_month)} budget"
            if answers.budget_usd_per_month is not None else ""
        )
        reasons.append(f"Monthly cost unknown ({pick.cost_basis}), scored as the most expensive{budget}.")
    elif pick.serving is not None and pick.serving.mode == "device":
        reasons.append(f"No server bill: {pick.cost_basis}.")
    else:
        reasons.append(f"About {format_money(pick.monthly_cost_usd)}/month for {volume} ({pick.cost_basis}).")
    ctx = model.context_tokens or answers.context_tokens
    latency = pick.latency
    basis = f" ({latency.basis})" if latency is not None else ""
    reasons.append(
        f"Estimated p95 time to first token {_latency_text(latency)}{basis}; "
        f"context {ctx:,} tokens, {ctx / answers.context_tokens:,.1f}x the {answers.context_tokens:,} you need."
    )
    warning = lifecycle_warning(model, catalogue_date, {})
    if warning:
        reasons.append(warning)
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
    if name == "capability" and pick.capability is not None:
        c = pick.capability
        return f"{c.point:.2f}, interval {c.low:.2f}-{c.high:.2f}"
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


def _distance(exclusion: Exclusion) -> tuple[int, float, str]:
    """How far a model is from qualifying: failed requirements, then the summed size of the misses.

    A miss that is a matter of degree counts by how far off it is (log of the ratio); one that is
    not (no image input, weights not available) counts as a miss by a factor of 10.
    """
    size = sum(math.log(f.gap) if f.gap is not None and math.isfinite(f.gap) and f.gap > 1 else math.log(10)
               for f in exclusion.failures)
    return len(exclusion.failures), size, exclusion.model.id


def describe_closest(excluded: list[Exclusion]) -> str:
    """When nothing fits: the model that misses the fewest requirements by the smallest margin, with its numbers."""
    relevant = [e for e in excluded if e.failures[0].constraint != "allow"]
    if not relevant:
        return "No model meets every requirement: the approved list leaves no model to choose from."
    closest = min(relevant, key=_distance)
    count = len(closest.failures)
    misses = "; ".join(closest.reasons)
    kinds: dict[str, int] = {}
    for exclusion in relevant:
        for kind in {f.constraint for f in exclusion.failures}:
            kinds[kind] = kinds.get(kind, 0) + 1
    common = max(sorted(kinds), key=lambda k: kinds[k])
    return (
        f"No model meets every requirement. The closest is {closest.model.name}, which misses "
        f"{count} requirement{'s' if count > 1 else ''}: {misses}. The most common obstacle is "
        f"{CONSTRAINT_LABELS.get(common, common)} ({kinds[common]} of {len(relevant)} models)."
    )
