"""What would change the answer: for each answer that matters, the nearest value that changes the first pick.

Numeric answers (traffic, budget, latency target, context) are scanned on a log-spaced grid outward
from the current value, within the schema's bounds; between the last grid point that keeps the
first pick and the first one that changes it, a bisection narrows the threshold to about 1%.
Priorities (0..5) try every value; the deployment tries every alternative. "No model qualifies" is
an outcome like any model. The engine is called through one plain dependency, `first_pick`
(catalogue, answers) -> model id or None, so a faster "first pick only" ranking can replace
recommend() without touching the search. Each call is cached; a whole analysis takes about 90
calls on the real catalogue, and stays under 150 when every answer moves the pick both ways.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from typing import NamedTuple

from selector.answers import DEPLOYMENTS, Answers
from selector.catalogue import Catalogue
from selector.scoring import recommend
from selector.serving import Server

FirstPick = Callable[[Catalogue, Answers], "str | None"]

DIRECTIONS = ("above", "below", "set to")
# Bisection stops when the bracket's ends are within this ratio: the threshold is then within 0.5%.
PRECISION = 1.01
PRIORITY_VALUES = range(0, 6)  # the Priorities schema: 0 (does not matter) .. 5 (above all)


def first_pick_id(catalogue: Catalogue, answers: Answers) -> str | None:
    """The engine's first pick for these answers (its id), or None when no model qualifies."""
    picks = recommend(catalogue, answers, top=1).picks
    return picks[0].model.id if picks else None


@dataclass(frozen=True)
class Change:
    """One answer's value beyond which the first pick changes, and what takes its place."""

    field: str  # dotted path in Answers: "traffic.requests_per_day", "priorities.cost", "deployment"
    label: str  # the answer in words: "requests/day"
    current: float | int | str | None  # the answer as given (None: not set, e.g. no budget)
    threshold: float | int | str  # the boundary ("above"/"below": strictly beyond it), or the value ("set to")
    direction: str  # "above", "below" or "set to"
    new_first_id: str | None  # None: no model qualifies there
    new_first_name: str | None
    sentence: str

    def to_dict(self) -> dict:
        return asdict(self)


# --- the fields examined -------------------------------------------------------------------------


@dataclass(frozen=True)
class _Numeric:
    """How to scan one numeric answer: the grid's reach and step, and its bounds."""

    field: str
    label: str
    integer: bool
    floor: float  # smallest value the schema allows (and that is worth asking about)
    down: float  # scan down to current / down
    up: float  # scan up to current * up
    step: float  # ratio between grid points
    ceiling: float = math.inf  # largest value scanned
    start: float = 1.0  # first grid point above a current value of 0
    loosest: float | None = None  # for an optional answer left unset: the loosest value asked about


_STEP = math.sqrt(10)  # two grid points a decade: a pick that changes and changes back within one is missed

NUMERIC = (
    _Numeric("traffic.requests_per_day", "requests/day", False, 0.0, 10, 1000, _STEP, ceiling=1e9, start=1),
    _Numeric("traffic.input_tokens", "input tokens per request", True, 0, 10, 100, _STEP, start=10),
    _Numeric("traffic.output_tokens", "output tokens per request", True, 0, 10, 100, _STEP, start=10),
    # A budget mostly excludes (it enters the score only through what counts as a negligible cost),
    # so the pick changes about once per model crossing: a coarser grid suffices.
    _Numeric("budget_usd_per_month", "budget (USD/month)", False, 0.01, 1000, 100, 10, ceiling=1e9, loosest=1e8),
    _Numeric("latency_p95_ms", "latency target (p95 ms)", False, 1.0, 100, 100, _STEP, ceiling=1e6, loosest=1e5),
    _Numeric("context_tokens", "context needed (tokens)", True, 1, 10, 1000, _STEP, ceiling=1e8),
)
PRIORITIES = (("priorities.quality", "quality"), ("priorities.cost", "cost"), ("priorities.latency", "latency"))


def _get(answers: Answers, field: str):
    head, _, tail = field.partition(".")
    value = getattr(answers, head)
    return getattr(value, tail) if tail else value


def _with(answers: Answers, field: str, value) -> Answers:
    """A copy of the answers with one field changed (nested models copied, never mutated)."""
    head, _, tail = field.partition(".")
    if tail:
        value = getattr(answers, head).model_copy(update={tail: value})
    return answers.model_copy(update={head: value})


def _ceiling(spec: _Numeric, answers: Answers, current: float) -> float:
    if spec.field in ("traffic.input_tokens", "traffic.output_tokens"):
        # An average request larger than the largest one (context_tokens) would contradict the answers.
        return max(current, answers.context_tokens)
    return spec.ceiling


class _Probe:
    """first_pick() on the answers with one field changed, each (field, value) computed once."""

    def __init__(self, catalogue: Catalogue, answers: Answers, first_pick: FirstPick):
        self.catalogue, self.answers, self.first_pick = catalogue, answers, first_pick
        self._cache: dict[tuple[str, object], str | None] = {}

    def __call__(self, field: str, value) -> str | None:
        key = (field, value)
        if key not in self._cache:
            self._cache[key] = self.first_pick(self.catalogue, _with(self.answers, field, value))
        return self._cache[key]


# --- search --------------------------------------------------------------------------------------


def find_changes(catalogue: Catalogue, answers: Answers, first_pick: FirstPick = first_pick_id) -> list[Change]:
    """Every answer's nearest value, in each direction, that changes the first pick; [] when none does."""
    probe = _Probe(catalogue, answers, first_pick)
    base = first_pick(catalogue, answers)
    changes: list[Change] = []
    for spec in NUMERIC:
        changes += _numeric_changes(probe, spec, base)
    for field, name in PRIORITIES:
        changes += _priority_changes(probe, field, name, base)
    for deployment in DEPLOYMENTS:
        if deployment != answers.deployment and (pick := probe("deployment", deployment)) != base:
            changes.append(
                _change(probe, "deployment", "deployment", answers.deployment, deployment, "set to", pick, deployment)
            )
    return changes


def _numeric_changes(probe: _Probe, spec: _Numeric, base: str | None) -> list[Change]:
    current = _get(probe.answers, spec.field)
    changes = []
    if current is None:  # an optional limit left unset: ask from the loosest value down
        assert spec.loosest is not None
        loose = probe(spec.field, spec.loosest)
        if loose != base:
            # Setting the limit at all changes the pick (a latency target makes any speed within it
            # equally good); then look further down from that new pick.
            changes.append(_change(probe, spec.field, spec.label, None, spec.loosest, "set to", loose, spec.loosest))
        # Two decades a step: below the loosest value the search spans up to ten decades.
        grid = _grid(spec, spec.loosest, -1, spec.floor, spec.step**2)
        found = _scan(probe, spec, spec.loosest, grid, loose)
        if found is not None and found.pick != base:
            changes.append(
                _change(probe, spec.field, spec.label, None, found.threshold, "below", found.pick, found.where)
            )
        return changes
    reach = current if current > 0 else spec.start  # from 0, scan up as if from the first grid point
    for sign, direction in ((-1, "below"), (1, "above")):
        if sign < 0:
            limit = max(spec.floor, current / spec.down)
        else:
            limit = min(_ceiling(spec, probe.answers, current), reach * spec.up)
        grid = _grid(spec, current, sign, limit)
        found = _scan(probe, spec, current, grid, base)
        if found is not None:
            changes.append(
                _change(probe, spec.field, spec.label, current, found.threshold, direction, found.pick, found.where)
            )
    return changes


def _grid(spec: _Numeric, current: float, sign: int, limit: float, step: float | None = None) -> list[float]:
    """Grid points from current (excluded) towards limit (included), by spec.step (or `step`)."""
    ratio = (step or spec.step) ** sign
    points: list[float] = []
    value = spec.start if sign > 0 and current <= 0 else current * ratio
    while (value < limit) if sign > 0 else (value > limit):
        points.append(value)
        value = value * ratio
    if (not points or points[-1] != limit) and limit != current and (sign > 0) == (limit > current):
        points.append(limit)
    if spec.integer:
        points = list(dict.fromkeys(int(round(p)) for p in points if int(round(p)) != current))
    return points


class _Found(NamedTuple):
    threshold: float  # the boundary reported
    pick: str | None  # the first pick just beyond it
    where: float  # the value nearest the boundary at which that pick was seen


def _scan(probe: _Probe, spec: _Numeric, current: float, grid: Iterable[float], base: str | None) -> _Found | None:
    """The first grid point whose pick differs from base, bisected down to the boundary; or None."""
    same = current
    for value in grid:
        pick = probe(spec.field, value)
        if pick != base:
            return _bisect(probe, spec, same, value, base, pick)
        same = value
    return None


def _bisect(probe: _Probe, spec: _Numeric, same: float, changed: float, base: str | None, pick: str | None) -> _Found:
    """Narrow [same, changed] (in either order) to PRECISION; the threshold is the geometric middle,
    or for whole numbers one apart, the last value that keeps the pick (so "above"/"below" are exact)."""
    while not _close(same, changed, spec.integer):
        low, high = min(same, changed), max(same, changed)
        middle = math.sqrt(low * high) if low > 0 else (low + high) / 2
        if spec.integer:
            middle = int(round(middle))
            if middle in (same, changed):
                break
        found = probe(spec.field, middle)
        if found == base:
            same = middle
        else:
            changed, pick = middle, found
    if spec.integer and abs(changed - same) <= 1:
        return _Found(same, pick, changed)
    threshold = _roundest(min(same, changed), max(same, changed))
    return _Found(int(round(threshold)) if spec.integer else threshold, pick, changed)


def _roundest(low: float, high: float) -> float:
    """The number in [low, high] with the fewest significant figures, nearest the middle: the true
    threshold lies somewhere in the bracket, and 33,000 reads better than 33,187."""
    middle = math.sqrt(low * high) if low > 0 else (low + high) / 2
    if high <= 0:
        return middle
    for digits in range(1, 7):
        unit = 10 ** (math.floor(math.log10(high)) - digits + 1)
        candidates = [k * unit for k in range(math.ceil(low / unit), math.floor(high / unit) + 1)]
        if candidates:
            return float(_significant(min(candidates, key=lambda c: (abs(c - middle), c)), digits))
    return _significant(middle, 6)


def _close(a: float, b: float, integer: bool) -> bool:
    low, high = min(a, b), max(a, b)
    if integer and high - low <= 1:
        return True
    if low <= 0:
        return high - low <= 0.01 * high if not integer else False
    return high / low <= PRECISION


def _priority_changes(probe: _Probe, field: str, name: str, base: str | None) -> list[Change]:
    current = _get(probe.answers, field)
    picks = {value: (base if value == current else probe(field, value)) for value in PRIORITY_VALUES}
    changes = []
    below = [value for value in reversed(PRIORITY_VALUES) if value < current]
    above = [value for value in PRIORITY_VALUES if value > current]
    for direction, values in (("below", below), ("above", above)):
        first = next((i for i, value in enumerate(values) if picks[value] != base), None)
        if first is None:
            continue
        value, pick = values[first], picks[values[first]]
        beyond = values[first:]
        # "below 2" when every lower value gives the same pick; "at 1" when it changes again further on.
        whole = len(beyond) > 1 and all(picks[v] == pick for v in beyond)
        boundary = value + (1 if direction == "below" else -1)
        changes.append(_change(probe, field, f"{name} priority", current, boundary, direction, pick, value,
                               at=None if whole else value))
    return changes


# --- words ---------------------------------------------------------------------------------------


def _significant(value: float, digits: int) -> float:
    return float(f"{value:.{digits}g}")


def format_count(value: float) -> str:
    """2 significant figures with k/M/B, 3 where the figure has three digits anyway: 2.1M, 12k, 128k, 950, 7.5."""
    if _significant(value, 2) < 1000:
        return f"{_significant(value, 2):g}"
    for size, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
        if value >= size * 0.9995:
            shown = value / size
            shown = _significant(shown, 3 if shown >= 99.5 else 2)
            if shown >= 1000 and suffix != "B":
                continue  # 999,700 is 1M, not 1000k
            return f"{shown:g}{suffix}"
    return f"{_significant(value, 2):g}"


def format_usd(value: float) -> str:
    """2 significant figures in dollars: $0.45, $45, $120, $1,200, $1.2M."""
    value = _significant(value, 2)
    if value >= 1e6:
        return f"${value / 1e6:g}M"
    return f"${value:,.0f}" if value >= 100 else f"${value:g}"


def format_ms(value: float) -> str:
    value = _significant(value, 2)
    return f"{value:,.0f} ms" if value >= 100 else f"{value:g} ms"


def _condition(field: str, label: str, threshold, direction: str, at: int | None = None) -> str:
    """The changed answer in words, as the sentence's opening: "above 2.1M requests/day"."""
    if field == "deployment":
        return f"with deployment '{threshold}'"
    if field.startswith("priorities."):
        return f"with {label} {direction} {threshold}" if at is None else f"with {label} at {at}"
    word = "of" if direction == "set to" else direction
    if field == "traffic.requests_per_day":
        return f"{direction} {format_count(threshold)} requests/day"
    if field.startswith("traffic."):
        return f"{direction} {format_count(threshold)} {label}"
    if field == "budget_usd_per_month":
        return f"with a budget {word} {format_usd(threshold)}/month"
    if field == "latency_p95_ms":
        return f"with a latency target {word} {format_ms(threshold)}"
    if field == "context_tokens":
        return f"with a context need {direction} {format_count(threshold)} tokens"
    return f"with {label} {word} {threshold}"


def _change(probe: _Probe, field: str, label: str, current, threshold, direction: str, pick: str | None,
            where, at: int | None = None) -> Change:
    """The Change and its sentence; `where` is the answer's value at which `pick` was seen first."""
    condition = _condition(field, label, threshold, direction, at)
    if pick is None:
        outcome, name = "nothing qualifies", None
    else:
        model = probe.catalogue.by_id.get(pick)
        name = model.name if model is not None else pick
        answers = _with(probe.answers, field, where)
        # Say "self-hosting" where the engine chose it between API and own servers (deployment 'any').
        chose = answers.deployment == "any" and not answers.data_must_stay_on_premises
        if model is not None and chose and field != "deployment" and _self_hosted(probe.catalogue, answers, model):
            outcome = f"self-hosting {name} becomes the best choice"
        else:
            outcome = f"{name} takes first place"
    sentence = f"{condition}, {outcome}."
    return Change(field, label, current, threshold, direction, pick, name, sentence[0].upper() + sentence[1:])


def _self_hosted(catalogue: Catalogue, answers: Answers, model) -> bool:
    """Whether the engine serves this model on rented GPUs under these answers (one model: microseconds)."""
    return Server(catalogue, answers).serve(model).mode == "self_hosted"


# --- rendering -----------------------------------------------------------------------------------

_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>|$])")  # $ too: Streamlit's Markdown reads $...$ as LaTeX


def changes_markdown(changes: Iterable[Change | dict]) -> list[str]:
    """Markdown lines: one bullet per change (escaped), or one sentence when nothing changes the pick."""
    sentences = [c["sentence"] if isinstance(c, dict) else c.sentence for c in changes]
    if not sentences:
        return ["No single answer, changed within its range, changes the first pick."]
    return ["- " + _MD_SPECIAL.sub(r"\\\1", " ".join(sentence.split())) for sentence in sentences]
