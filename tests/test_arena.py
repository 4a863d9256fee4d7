"""The arena: Bradley-Terry ratings with bootstrap intervals from votes, filters, votes still needed,
and votes as measured evidence for the recommendation."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pytest

from selector import arena
from selector.catalogue import load_catalogue
from selector.errors import SelectorError
from selector.history import open_history

TRUE = {"strong": 1200.0, "middle": 1000.0, "weak": 800.0}  # Elo scale, mean 1000


def simulate(true: dict[str, float], n: int, seed: int, tie_share: float = 0.1) -> list[dict]:
    """n votes on random pairs; the left model wins with its Bradley-Terry probability; some ties."""
    rng = np.random.default_rng(seed)
    names = list(true)
    votes = []
    for k in range(n):
        i, j = rng.choice(len(names), 2, replace=False)
        left, right = names[i], names[j]
        p_left = 1 / (1 + 10 ** (-(true[left] - true[right]) / 400))
        if rng.random() < tie_share:
            outcome = "tie" if rng.random() < 0.5 else "both_bad"
        else:
            outcome = "left" if rng.random() < p_left else "right"
        votes.append({"left_model": left, "right_model": right, "outcome": outcome, "who": f"p{k % 3}",
                      "tag": "code" if k % 2 else "general", "created_at": f"2026-11-{1 + k % 28:02d}T12:00:00+00:00"})
    return votes


def test_sixty_votes_among_three_models_order_them_and_cover_the_true_strengths():
    board = arena.rate(simulate(TRUE, 60, seed=7))
    assert board.votes == 60
    assert [r.model for r in board.ratings] == ["strong", "middle", "weak"]
    for r in board.ratings:
        assert r.low <= TRUE[r.model] <= r.high, (r.model, r.low, r.rating, r.high)
        assert r.low <= r.rating <= r.high
    assert math.isclose(sum(r.rating for r in board.ratings) / 3, 1000.0, abs_tol=1e-6)


def test_over_many_simulations_the_order_is_right_and_the_intervals_cover_about_95_percent():
    right_order = covered = 0
    for seed in range(30):
        board = arena.rate(simulate(TRUE, 60, seed), seed=seed)
        right_order += [r.model for r in board.ratings] == ["strong", "middle", "weak"]
        covered += sum(r.low <= TRUE[r.model] <= r.high for r in board.ratings)
    assert right_order >= 27
    assert covered / 90 >= 0.88


def vote(left: str, right: str, outcome: str, **extra) -> dict:
    return {"left_model": left, "right_model": right, "outcome": outcome, "who": "", "tag": None,
            "created_at": "2026-11-01T00:00:00+00:00"} | extra


def test_ties_count_as_half_a_win_each_and_both_bad_is_a_tie_that_is_reported():
    board = arena.rate([vote("a", "b", "tie")] * 5 + [vote("b", "a", "both_bad")] * 5)
    a, b = sorted(board.ratings, key=lambda r: r.model)
    assert a.rating == pytest.approx(1000) and b.rating == pytest.approx(1000)
    assert (a.ties, a.both_bad, a.wins, a.losses, a.votes) == (5, 5, 0, 0, 10)
    assert board.votes_still_needed is None and "level" in board.separation


def test_a_unanimous_pair_stays_finite_thanks_to_the_ridge():
    board = arena.rate([vote("a", "b", "left")] * 20)
    assert all(math.isfinite(r.rating) and math.isfinite(r.low) and math.isfinite(r.high) for r in board.ratings)
    assert board.ratings[0].model == "a" and board.ratings[0].rating > 1200


def test_left_and_right_are_symmetric():
    left = arena.rate([vote("a", "b", "left")] * 7 + [vote("a", "b", "right")] * 3)
    right = arena.rate([vote("b", "a", "right")] * 7 + [vote("b", "a", "left")] * 3)
    assert [(r.model, round(r.rating, 6)) for r in left.ratings] == [(r.model, round(r.rating, 6)) for r in right.ratings]


@pytest.mark.parametrize(("gap", "se", "votes", "expected"), [
    (20.0, 20.0, 100, math.ceil(100 * 1.959963984540054 ** 2 - 100)),  # n = 100 x (1.96 x 20 / 20)^2 = 384.1 -> 285 more
    (10.0, 10.0, 50, math.ceil(50 * 1.959963984540054 ** 2 - 50)),
    (100.0, 20.0, 100, 0),    # 1.96 x 20 < 100: already separated
    (0.0, 20.0, 100, None),   # level: no number of votes separates them
])
def test_votes_still_needed_follow_the_square_root_law(gap, se, votes, expected):
    assert arena.votes_still_needed(gap, se, votes) == expected


def test_the_leaderboard_states_the_votes_still_needed_between_the_first_two():
    board = arena.rate(simulate({"x": 1010.0, "y": 990.0, "z": 700.0}, 60, seed=3))
    assert board.votes_still_needed is not None and board.votes_still_needed > 0
    assert f"{board.votes_still_needed:,} more votes" in board.separation
    assert board.top_two_gap >= 0 and board.top_two_gap_se > 0


def test_filters_by_tag_person_and_date():
    votes = simulate(TRUE, 60, seed=1)
    assert all(v["tag"] == "code" for v in arena.filter_votes(votes, tag="code"))
    assert len(arena.filter_votes(votes, tag="code")) == 30
    assert {v["who"] for v in arena.filter_votes(votes, who="p1")} == {"p1"}
    since, until = dt.date(2026, 11, 5), dt.date(2026, 11, 6)
    chosen = arena.filter_votes(votes, since=since, until=until)
    assert chosen and all(v["created_at"][:10] in ("2026-11-05", "2026-11-06") for v in chosen)
    assert arena.filter_votes(votes, tag="code", who="p1", since=since, until=until) == [
        v for v in chosen if v["tag"] == "code" and v["who"] == "p1"]


def test_a_bad_outcome_is_refused_with_the_vote_named():
    with pytest.raises(SelectorError, match="vote 2: outcome must be one of left, right, tie, both_bad"):
        arena.rate([vote("a", "b", "left"), vote("a", "b", "draw")])


def test_no_votes_make_an_empty_leaderboard():
    board = arena.rate([])
    assert board.ratings == [] and board.votes == 0 and board.votes_still_needed is None


def test_votes_become_measured_quality_with_an_interval_for_catalogue_models_with_ten_votes():
    catalogue = load_catalogue()
    votes = ([vote("gpt-4o", "gpt-4o-mini", "left")] * 8 + [vote("gpt-4o", "gpt-4o-mini", "right")] * 4
             + [vote("gpt-4o", "not-in-the-catalogue/model", "left")] * 3)
    measured = arena.measured_from_votes(votes, catalogue)
    assert set(measured) == {"gpt-4o", "gpt-4o-mini"}  # the third has 3 votes and no catalogue id
    strong, weak = measured["gpt-4o"], measured["gpt-4o-mini"]
    assert strong.source == "arena: 15 votes" and weak.source == "arena: 12 votes"
    for figures in (strong, weak):
        assert 0 < figures.quality_low <= figures.quality_0_1 <= figures.quality_high < 1
        assert figures.latency_p95_ms is None
    assert strong.quality_0_1 > weak.quality_0_1  # chance to beat the average of the three rated models


def test_arena_evidence_reaches_the_recommendation_with_its_interval():
    from selector.answers import Answers
    from selector.scoring import recommend

    catalogue = load_catalogue()
    votes = [vote("gpt-4o-mini", "gpt-4o", "left")] * 30 + [vote("gpt-4o-mini", "gpt-4o", "right")] * 2
    measured = arena.measured_from_votes(votes, catalogue)
    answers = Answers(allow=["gpt-4o", "gpt-4o-mini"])
    picks = {p.model.id: p for p in recommend(catalogue, answers, top=2, measured=measured).picks}
    mini = picks["gpt-4o-mini"]
    assert mini.capability.low == pytest.approx(measured["gpt-4o-mini"].quality_low)
    assert mini.capability.high == pytest.approx(measured["gpt-4o-mini"].quality_high)


def _compare_run(history, left: str, right: str, blind: bool) -> int:
    run_id = history.start_run("Which is better?", blind=blind)
    history.save_result(run_id, "a", {"model": left})
    history.save_result(run_id, "b", {"model": right})
    return run_id


def test_votes_from_the_store_leave_out_verdicts_given_with_the_names_shown():
    history = open_history()
    blind = _compare_run(history, "smollm2-135m-instruct", "gemma-3-270m", blind=True)
    shown = _compare_run(history, "gemma-3-270m", "smollm2-135m-instruct", blind=False)
    history.set_vote(blind, "a", who="ana", tag="code")
    history.set_vote(shown, "a", who="ana", tag="code")
    votes = arena.votes_from_history(history)
    assert [(v["left_model"], v["right_model"], v["outcome"], v["who"], v["tag"]) for v in votes] == [
        ("smollm2-135m-instruct", "gemma-3-270m", "left", "ana", "code")]


def test_the_arena_page_shows_the_leaderboard_with_intervals_and_filters():
    from conftest import open_app_page

    history = open_history()
    for k in range(12):
        run_id = _compare_run(history, "gpt-4o", "gpt-4o-mini", blind=True)
        history.set_vote(run_id, "a" if k < 9 else "tie", who="ana" if k % 2 else "bo", tag="code" if k < 6 else "general")
    at = open_app_page("pages/arena.py")
    assert at.title[0].value == "Arena leaderboard"
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Votes"] == "12" and metrics["Models rated"] == "2" and "Votes still needed" in metrics
    table = at.table[0].value
    assert list(table["Model"]) == ["GPT-4o", "GPT-4o mini"]
    assert all(" – " in cell for cell in table["95% interval"]) and list(table["Votes"]) == [12, 12]
    at.selectbox(key="arena_tag").set_value("code").run()
    assert {m.label: m.value for m in at.metric}["Votes"] == "6"
    at.selectbox(key="arena_who").set_value("ana").run()
    assert {m.label: m.value for m in at.metric}["Votes"] == "3"


def test_the_arena_page_without_votes_says_how_to_get_some():
    from conftest import open_app_page

    at = open_app_page("pages/arena.py")
    assert any("No votes yet" in i.value for i in at.info)


def test_the_pages_merge_arena_votes_into_the_measured_evidence():
    from pages._evidence import measured_from_benchmarks

    history = open_history()
    for k in range(12):
        history.set_vote(_compare_run(history, "gpt-4o", "gpt-4o-mini", blind=True), "a" if k < 9 else "tie")
    measured = measured_from_benchmarks()
    assert set(measured) == {"gpt-4o", "gpt-4o-mini"}
    assert measured["gpt-4o"].source == "arena: 12 votes"
    assert measured["gpt-4o"].quality_low < measured["gpt-4o"].quality_0_1 < measured["gpt-4o"].quality_high
