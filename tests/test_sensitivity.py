"""What would change the answer: thresholds checked against hand-worked numbers on tiny catalogues.

Where a threshold follows from costs, it is worked out by hand in the comments (API prices are
linear in volume; one rented GPU is a flat bill). Where it follows from how the engine weighs its
score parts, the test reads the parts from recommend() and solves for the crossing by hand.
"""

from __future__ import annotations

import json
import math
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from selector.answers import Answers, parse_answers
from selector.catalogue import parse_catalogue
from selector.scoring import recommend
from selector.sensitivity import (
    DIRECTIONS,
    Change,
    changes_markdown,
    find_changes,
    first_pick_id,
    format_count,
    format_ms,
    format_usd,
)

CHECKED = "2026-11-01"


def mmlu(score: float) -> dict:
    """One published MMLU score in its catalogue setting (5-shot, no chain of thought)."""
    return {"mmlu": {"score": score, "shots": 5, "cot": False, "thinking": False, "metric": "accuracy",
                     "snapshot": "test", "source": "https://example.com/evals"}}


def model(model_id: str, score: float = 80, **overrides) -> dict:
    """A closed API model at $1 / $4 per 1M tokens with one MMLU score, no strengths, 128k context."""
    entry = {
        "id": model_id, "name": model_id.replace("-", " ").title(), "provider": "Acme", "family": "A",
        "open_weights": False, "license": "proprietary", "params_b": None, "context_tokens": 128_000,
        "max_output_tokens": None, "input_usd_per_mtok": 1.0, "output_usd_per_mtok": 4.0,
        "price_source": "https://example.com/prices", "checked": {"prices": CHECKED, "benchmarks": CHECKED},
        "input_modalities": ["text"], "output_modalities": ["text"], "languages": ["en"], "benchmarks": mmlu(score),
        "release_date": None, "sources": ["https://example.com"], "as_of": CHECKED,
    }
    entry.update(overrides)
    return entry


def open_model(model_id: str, params_b: float, **overrides) -> dict:
    """Open weights without an API price or hosted offer: under deployment 'any' the engine self-hosts it."""
    fields = {"open_weights": True, "license": "apache-2.0", "params_b": params_b, "input_usd_per_mtok": None,
              "output_usd_per_mtok": None, "price_source": None, "checked": {"benchmarks": CHECKED}}
    return model(model_id, **{**fields, **overrides})


def catalogue(*entries):
    return parse_catalogue({"models": list(entries)}, "test.yaml")


def by_field(changes: list[Change], field: str) -> dict[str, Change]:
    found = [c for c in changes if c.field == field]
    assert len({c.direction for c in found}) == len(found), found  # at most one change per direction
    return {c.direction: c for c in found}


def near(value: float, expected: float, tolerance: float = 0.02) -> bool:
    return abs(value - expected) <= tolerance * expected


def only(cat, answers: Answers, model_id: str):
    """The engine's pick for one model alone: its monthly cost, latency and serving under these answers."""
    return recommend(cat, answers.model_copy(update={"allow": [model_id]}), top=1).picks[0]


# API vs self-hosted 8B with equal scores, latency not weighed: the parts differ only in cost.
# API: (1,000 x $1 + 200 x $4) / 1M = $0.0018 a request, x 30.4 days = $0.05472 a month per request/day.
# 8B self-hosted: 8 GB of int8 weights fit one GPU, billed 729.6 h x $2.50 = $1,824 a month whatever the volume
# while one GPU keeps up; so self-hosting is cheaper above 1,824 / 0.05472 = 33,333 requests/day.
API_VS_SELF = (model("api-model"), open_model("open-8b", 8))
API_VS_SELF_ANSWERS = parse_answers({"priorities": {"quality": 3, "cost": 3, "latency": 0}})
CROSSING_REQUESTS_PER_DAY = 1824 / 0.05472  # 33,333
API_MONTHLY_AT_1000 = 0.05472 * 1000  # $54.72


@pytest.fixture(scope="module")
def api_vs_self() -> list[Change]:
    return find_changes(catalogue(*API_VS_SELF), API_VS_SELF_ANSWERS)


def test_the_hand_worked_costs_hold_in_the_engine():
    cat = catalogue(*API_VS_SELF)
    assert only(cat, API_VS_SELF_ANSWERS, "api-model").monthly_cost_usd == pytest.approx(API_MONTHLY_AT_1000)
    beyond = API_VS_SELF_ANSWERS.model_copy(update={"traffic": API_VS_SELF_ANSWERS.traffic.model_copy(
        update={"requests_per_day": 2 * CROSSING_REQUESTS_PER_DAY})})
    for answers in (API_VS_SELF_ANSWERS, beyond):  # one GPU from 1,000 to 67,000 requests/day
        pick = only(cat, answers, "open-8b")
        assert (pick.serving.mode, pick.monthly_cost_usd) == ("self_hosted", pytest.approx(1824))


def test_volume_where_self_hosting_becomes_cheaper(api_vs_self):
    change = by_field(api_vs_self, "traffic.requests_per_day")
    assert list(change) == ["above"]  # fewer requests only widen the API's lead
    above = change["above"]
    assert near(above.threshold, CROSSING_REQUESTS_PER_DAY), above
    assert (above.current, above.new_first_id, above.new_first_name) == (1000, "open-8b", "Open 8B")
    assert above.sentence == "Above 33k requests/day, self-hosting Open 8B becomes the best choice."


def test_budget_below_every_cost_leaves_nothing(api_vs_self):
    change = by_field(api_vs_self, "budget_usd_per_month")
    assert list(change) == ["below"]
    below = change["below"]
    assert near(below.threshold, API_MONTHLY_AT_1000), below
    assert below.current is None and below.new_first_id is None and below.new_first_name is None
    # The bisection brackets $54.72 within 1%: the sentence may round either side of it.
    assert re.fullmatch(r"With a budget below \$5[45]/month, nothing qualifies\.", below.sentence), below.sentence


def test_latency_target_below_the_api_figure(api_vs_self):
    # A target under the API model's estimated p95 rules it out; the self-hosted 8B answers faster.
    cat = catalogue(*API_VS_SELF)
    api_p95 = only(cat, API_VS_SELF_ANSWERS, "api-model").latency.p95_ms
    assert only(cat, API_VS_SELF_ANSWERS, "open-8b").latency.p95_ms < api_p95 / 2
    change = by_field(api_vs_self, "latency_p95_ms")
    assert list(change) == ["below"]  # latency not weighed: a loose target changes nothing
    assert near(change["below"].threshold, api_p95) and change["below"].new_first_id == "open-8b"
    assert change["below"].sentence == (
        f"With a latency target below {format_ms(change['below'].threshold)}, self-hosting Open 8B becomes the best choice."
    )


def test_context_beyond_every_window_leaves_nothing(api_vs_self):
    change = by_field(api_vs_self, "context_tokens")
    assert list(change) == ["above"]
    assert near(change["above"].threshold, 128_000, 0.01) and change["above"].new_first_id is None
    assert change["above"].sentence == "With a context need above 128k tokens, nothing qualifies."


def test_deployment_alternatives(api_vs_self):
    change = {c.threshold: c for c in api_vs_self if c.field == "deployment"}
    assert "api" not in change  # the API model stays first
    assert change["self_hosted"].direction == "set to" and change["self_hosted"].current == "any"
    assert change["self_hosted"].sentence == "With deployment 'self_hosted', Open 8B takes first place."


@pytest.mark.parametrize("field", ["priorities.quality", "priorities.cost", "priorities.latency",
                                   "traffic.input_tokens", "traffic.output_tokens"])
def test_fields_that_cannot_change_the_pick_say_nothing(api_vs_self, field):
    # Equal capability; cost weighed at any level keeps the cheaper API (at 0 the tie goes to the id);
    # tokens up to the 8,000-token context: the API would need 59,200 input or 14,750 output tokens to cost $1,824.
    assert by_field(api_vs_self, field) == {}


# Two API models: "strong" publishes a higher MMLU at 100 times the price ($5,472 against $54.72 a month).
PRIORITY_FLIP = (model("cheap", score=70), model("strong", score=85, input_usd_per_mtok=100.0, output_usd_per_mtok=400.0))


def test_priorities_flip_where_the_score_parts_say():
    cat = catalogue(*PRIORITY_FLIP)
    picks = {p.model.id: p.score_parts for p in recommend(cat, Answers(), top=2).picks}
    gain = picks["strong"]["capability"].value - picks["cheap"]["capability"].value
    loss = picks["cheap"]["cost"].value - picks["strong"]["cost"].value
    # Latency and context parts are equal, so strong leads when quality x gain > cost x loss.
    cost_star, quality_star = 3 * gain / loss, 3 * loss / gain  # the other priority at its default, 3
    assert 2 < cost_star < 3 and 3 < quality_star < 4, (cost_star, quality_star)
    assert first_pick_id(cat, Answers()) == "cheap"
    changes = find_changes(cat, Answers())
    cost = by_field(changes, "priorities.cost")
    assert list(cost) == ["below"]
    assert (cost["below"].current, cost["below"].threshold, cost["below"].new_first_id) == (3, math.ceil(cost_star), "strong")
    assert cost["below"].sentence == "With cost priority below 3, Strong takes first place."
    quality = by_field(changes, "priorities.quality")
    assert list(quality) == ["above"]
    assert (quality["above"].threshold, quality["above"].new_first_id) == (math.floor(quality_star), "strong")
    assert quality["above"].sentence == "With quality priority above 3, Strong takes first place."


def test_a_budget_below_every_cost_is_an_answer_in_its_own_right():
    cat = catalogue(*PRIORITY_FLIP)
    answers = parse_answers({"budget_usd_per_month": 10})
    assert first_pick_id(cat, answers) is None
    changes = find_changes(cat, answers)
    budget = by_field(changes, "budget_usd_per_month")
    assert list(budget) == ["above"] and near(budget["above"].threshold, API_MONTHLY_AT_1000)
    assert re.fullmatch(r"With a budget above \$5[45]/month, Cheap takes first place\.", budget["above"].sentence)
    # $10 a month buys 10 / 0.05472 = 183 requests a day of the cheap model.
    volume = by_field(changes, "traffic.requests_per_day")
    assert list(volume) == ["below"] and near(volume["below"].threshold, 10 / 0.05472)
    assert volume["below"].sentence == "Below 180 requests/day, Cheap takes first place."


def test_results_are_deterministic_and_json_ready(api_vs_self):
    again = find_changes(catalogue(*API_VS_SELF), API_VS_SELF_ANSWERS)
    assert again == api_vs_self
    dumped = json.loads(json.dumps([c.to_dict() for c in api_vs_self]))
    assert set(dumped[0]) == {"field", "label", "current", "threshold", "direction", "new_first_id",
                              "new_first_name", "sentence"}
    assert all(c.direction in DIRECTIONS for c in api_vs_self)


# --- the search itself, through the ranking dependency -------------------------------------------


class CountingPick:
    """A stand-in ranking: a pure function of the answers, counting its calls."""

    def __init__(self, rule):
        self.rule, self.calls = rule, 0

    def __call__(self, catalogue, answers):
        self.calls += 1
        return self.rule(answers)


def test_the_ranking_is_a_plain_dependency_and_bisection_is_precise():
    pick = CountingPick(lambda a: "api-model" if a.traffic.requests_per_day < 5_000 else "open-8b")
    changes = find_changes(catalogue(*API_VS_SELF), Answers(), first_pick=pick)
    assert [(c.field, c.direction) for c in changes] == [("traffic.requests_per_day", "above")]
    assert near(changes[0].threshold, 5_000, 0.01)
    assert changes[0].sentence == "Above 5k requests/day, self-hosting Open 8B becomes the best choice."
    assert pick.calls < 150


@settings(max_examples=60, deadline=None)
@given(exponent=st.floats(-0.95, 2.95).filter(lambda e: abs(e) > 0.01))
def test_any_threshold_within_reach_is_found_within_one_percent(exponent):
    # From 1,000 requests/day the scan reaches down to 100 and up to 1,000,000, on grid points or between.
    threshold = 1000 * 10**exponent
    if threshold > 1000:
        pick = CountingPick(lambda a: "base" if a.traffic.requests_per_day <= threshold else "other")
    else:
        pick = CountingPick(lambda a: "base" if a.traffic.requests_per_day >= threshold else "other")
    (change,) = find_changes(catalogue(model("base"), model("other")), Answers(), first_pick=pick)
    assert change.direction == ("above" if threshold > 1000 else "below")
    assert near(change.threshold, threshold, 0.01), (change, threshold)
    assert pick.calls < 75  # every field's grid (about 57 calls), and one bisection


def test_a_volume_of_zero_is_scanned_upwards():
    pick = CountingPick(lambda a: "api-model" if a.traffic.requests_per_day <= 40 else "open-8b")
    answers = parse_answers({"traffic": {"requests_per_day": 0}})
    (change,) = find_changes(catalogue(*API_VS_SELF), answers, first_pick=pick)
    assert (change.current, change.direction, change.new_first_id) == (0, "above", "open-8b")
    assert near(change.threshold, 40, 0.01)


def test_the_nearest_change_is_reported_in_each_direction():
    def rule(a):
        v = a.traffic.output_tokens
        return "low" if v < 50 else "mid" if v <= 1_000 else "high"
    cat = catalogue(model("low"), model("mid"), model("high"))
    changes = find_changes(cat, parse_answers({"traffic": {"output_tokens": 200}, "context_tokens": 100_000}),
                           first_pick=CountingPick(rule))
    output = by_field(changes, "traffic.output_tokens")
    assert (output["below"].threshold, output["below"].new_first_id) == (50, "low")  # whole numbers: exact
    assert (output["above"].threshold, output["above"].new_first_id) == (1_000, "high")
    assert output["above"].sentence == "Above 1k output tokens per request, High takes first place."


def test_every_field_changing_stays_within_the_call_budget():
    # A ranking that changes with every answer: the worst case for the number of calls.
    def rule(a):
        t = a.traffic
        parts = (t.requests_per_day > 3_000, t.input_tokens > 2_000, t.output_tokens < 90,
                 (a.budget_usd_per_month or 1e12) < 70, (a.latency_p95_ms or 1e12) < 300, a.context_tokens > 50_000,
                 a.priorities.quality, a.priorities.cost, a.priorities.latency, a.deployment)
        return repr(parts)  # an id outside the catalogue: the sentence then names the id
    pick = CountingPick(rule)
    changes = find_changes(catalogue(model("m")), Answers(), first_pick=pick)
    assert {c.field for c in changes} == {
        "traffic.requests_per_day", "traffic.input_tokens", "traffic.output_tokens", "budget_usd_per_month",
        "latency_p95_ms", "context_tokens", "priorities.quality", "priorities.cost", "priorities.latency", "deployment",
    }
    assert pick.calls < 150, pick.calls


def test_priority_changes_that_do_not_hold_further_name_the_value():
    def rule(a):
        return {0: "x", 1: "y"}.get(a.priorities.latency, "base")
    changes = find_changes(catalogue(model("x"), model("y"), model("base")), Answers(), first_pick=CountingPick(rule))
    (change,) = changes
    assert (change.field, change.direction, change.threshold, change.new_first_id) == ("priorities.latency", "below", 2, "y")
    assert change.sentence == "With latency priority at 1, Y takes first place."


def test_setting_a_latency_target_at_all_can_change_the_pick():
    # With a target, any speed within it counts as equally good: a loose target can already reorder.
    def rule(a):
        target = a.latency_p95_ms
        return "base" if target is None else "fast" if target < 300 else "loose"
    cat = catalogue(model("base"), model("loose"), model("fast"))
    changes = by_field(find_changes(cat, Answers(), first_pick=CountingPick(rule)), "latency_p95_ms")
    assert (changes["set to"].threshold, changes["set to"].new_first_id) == (100_000, "loose")
    assert changes["set to"].sentence == "With a latency target of 100,000 ms, Loose takes first place."
    assert near(changes["below"].threshold, 300, 0.01) and changes["below"].new_first_id == "fast"
    assert changes["below"].sentence == "With a latency target below 300 ms, Fast takes first place."


def test_a_change_back_to_the_current_pick_is_not_reported():
    def rule(a):
        target = a.latency_p95_ms
        return "base" if target is None or target < 300 else "loose"
    cat = catalogue(model("base"), model("loose"))
    changes = by_field(find_changes(cat, Answers(), first_pick=CountingPick(rule)), "latency_p95_ms")
    assert list(changes) == ["set to"]


# --- words ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("value, text", [(2_140_000, "2.1M"), (12_340, "12k"), (999_700, "1M"), (950, "950"),
                                         (7.46, "7.5"), (1_000, "1k"), (3.2e9, "3.2B"), (128_283, "128k"), (184, "180")])
def test_counts_round_to_two_significant_figures(value, text):
    assert format_count(value) == text


@pytest.mark.parametrize("value, text", [(123.4, "$120"), (54.72, "$55"), (1_234, "$1,200"), (0.456, "$0.46"),
                                         (2_345_678, "$2.3M")])
def test_money_rounds_to_two_significant_figures(value, text):
    assert format_usd(value) == text


def test_markdown_lines_escape_and_say_when_nothing_changes(api_vs_self):
    lines = changes_markdown(api_vs_self)
    assert len(lines) == len(api_vs_self) and all(line.startswith("- ") for line in lines)
    assert any(re.fullmatch(r"- With a budget below \\\$5[45]/month, nothing qualifies\.", line) for line in lines), lines
    assert "$" not in "".join(lines).replace("\\$", "")  # Streamlit reads $...$ as LaTeX
    assert r"With deployment 'self\_hosted', Open 8B takes first place." in " ".join(lines)
    assert changes_markdown([c.to_dict() for c in api_vs_self]) == lines
    assert changes_markdown([]) == ["No single answer, changed within its range, changes the first pick."]
