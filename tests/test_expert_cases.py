"""Six systems a domain expert would recognise, on the full catalogue: properties the top three must have.

The exact picks move with the catalogue; these are the facts an expert checks first: the picks can
be served the way the system needs, are not about to shut down, rest on evidence, and match the
system's distinctive need (a phone's memory, Chinese results, a coding record, a classifier's bill).
"""

from __future__ import annotations

import pytest

from selector.answers import parse_answers
from selector.catalogue import load_catalogue
from selector.scoring import recommend

CASES = {
    "help-centre bot": {"use_cases": ["general", "realtime_chat"], "latency_p95_ms": 2000,
                        "traffic": {"requests_per_day": 5000, "input_tokens": 1500, "output_tokens": 300}},
    "long-document assistant": {"use_cases": ["long_documents"], "context_tokens": 150_000,
                                "traffic": {"requests_per_day": 500, "input_tokens": 80_000, "output_tokens": 800},
                                "priorities": {"quality": 5, "cost": 2, "latency": 2}},
    "coding agent": {"use_cases": ["code"], "context_tokens": 128_000,
                     "traffic": {"requests_per_day": 2000, "input_tokens": 20_000, "output_tokens": 2000},
                     "priorities": {"quality": 5, "cost": 2, "latency": 1}},
    "on-device assistant": {"use_cases": ["general"], "deployment": "edge", "device": "phone", "context_tokens": 4000,
                            "traffic": {"requests_per_day": 100_000, "input_tokens": 500, "output_tokens": 200}},
    "high-volume classifier": {"use_cases": ["extraction"], "context_tokens": 4000,
                               "traffic": {"requests_per_day": 2_000_000, "input_tokens": 500, "output_tokens": 5},
                               "priorities": {"quality": 3, "cost": 5, "latency": 3}},
    "Chinese with English assistant": {"use_cases": ["general"], "languages": ["zh", "en"],
                                       "traffic": {"requests_per_day": 5000, "input_tokens": 1000, "output_tokens": 300}},
}


@pytest.fixture(scope="module")
def catalogue():
    return load_catalogue()


def top_three(catalogue, name):
    result = recommend(catalogue, parse_answers(CASES[name]), top=3)
    assert len(result.picks) == 3, result.binding
    return result


@pytest.mark.parametrize("name", list(CASES))
def test_every_pick_is_served_rests_on_evidence_and_outlives_the_quarter(catalogue, name):
    result = top_three(catalogue, name)
    for pick in result.picks:
        assert pick.capability is not None and pick.capability.evidence >= 1
        assert pick.monthly_cost_usd is not None, pick.model.id
        days = pick.model.days_to_shutdown(catalogue.as_of)
        assert days is None or days > 90, pick.model.id
        assert pick.model.status != "retired"


def test_on_device_picks_fit_the_phone_and_bill_nothing(catalogue):
    for pick in top_three(catalogue, "on-device assistant").picks:
        assert pick.model.open_weights and pick.monthly_cost_usd == 0.0
        assert pick.serving.mode == "device" and "users' devices" in pick.cost_basis


def test_chinese_assistant_picks_support_chinese_and_rest_on_chinese_results(catalogue):
    picks = top_three(catalogue, "Chinese with English assistant").picks
    assert all("zh" in pick.model.languages for pick in picks)
    assert sum(bool(pick.model.language_evidence("zh")) for pick in picks) >= 2


def test_coding_agent_picks_have_a_coding_record(catalogue):
    coding = {"swe_bench_verified", "livecodebench", "humaneval"}
    picks = top_three(catalogue, "coding agent").picks
    assert any(coding & set(p.model.benchmarks) for p in picks)
    assert all(p.model.context_tokens >= 128_000 for p in picks)


def test_classifier_picks_cost_far_less_than_a_frontier_model(catalogue):
    result = top_three(catalogue, "high-volume classifier")
    frontier = recommend(catalogue, parse_answers(dict(CASES["high-volume classifier"], allow=["claude-opus-5-5"])))
    if frontier.picks:
        assert all(p.monthly_cost_usd < frontier.picks[0].monthly_cost_usd / 5 for p in result.picks)
