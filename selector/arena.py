"""A private arena: blind votes between two answers become ratings with 95% intervals.

Votes are plain dicts (left_model, right_model, outcome, who, tag, created_at), as the store's
`list_votes()` returns them, with outcome one of 'left', 'right', 'tie', 'both_bad'.

The model is Bradley-Terry: P(i beats j) = 1 / (1 + exp(s_j - s_i)). Strengths are the maximum
of the likelihood plus a small ridge (a Gaussian prior, RIDGE / 2 * sum s^2), which keeps a
unanimous pair finite and anchors the strengths at mean 0. A tie counts as half a win for each
side, as the LMSYS Chatbot Arena's Elo did; 'both bad' counts as a tie for the ranking and is
reported per model. Ratings use the Elo scale: 1000 + 400 / ln 10 * s, so a 400-point lead means
10:1 odds. Intervals are bootstrap percentiles, resampling votes (equivalent to drawing how often
each distinct (pair, outcome) occurs from a multinomial), with all fits batched in numpy.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import asdict, dataclass
from typing import Any, Iterable, Sequence

import numpy as np

from selector.errors import SelectorError

OUTCOMES = ("left", "right", "tie", "both_bad")
LEFT_SCORE = {"left": 1.0, "right": 0.0, "tie": 0.5, "both_bad": 0.5}
RIDGE = 0.05
ELO_SCALE = 400 / math.log(10)
ELO_ANCHOR = 1000.0
BOOTSTRAP_SAMPLES = 200
Z95 = 1.959963984540054
MIN_VOTES_FOR_EVIDENCE = 10
NEWTON_STEPS = 30


@dataclass(frozen=True)
class Rating:
    """One model on the leaderboard."""

    model: str
    rating: float            # Elo scale, mean of the rated models = 1000
    low: float               # 95% bootstrap interval
    high: float
    votes: int               # votes this model took part in
    wins: int
    losses: int
    ties: int
    both_bad: int
    win_probability: float   # expected chance of beating the average rated model
    win_probability_low: float
    win_probability_high: float

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Leaderboard:
    ratings: list[Rating]                 # best first
    votes: int
    votes_still_needed: int | None        # to separate the first two at 95%; 0 when already separated
    separation: str                       # the same in words
    method: str = ("Bradley-Terry maximum likelihood with a small ridge; ties and 'both bad' count as half a "
                   f"win each; 95% intervals from {BOOTSTRAP_SAMPLES} bootstrap resamples of the votes")
    top_two_gap: float | None = None
    top_two_gap_se: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


# --- votes -------------------------------------------------------------------------------------


def vote_time(value: Any) -> dt.datetime | None:
    """A vote's created_at as an aware datetime (None when missing or unreadable)."""
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return value if value.tzinfo else value.replace(tzinfo=dt.timezone.utc)
    if isinstance(value, dt.date):
        return dt.datetime(value.year, value.month, value.day, tzinfo=dt.timezone.utc)
    try:
        parsed = dt.datetime.fromisoformat(str(value))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.timezone.utc)


def filter_votes(votes: Iterable[dict], tag: str | None = None, who: str | None = None,
                 since: dt.date | dt.datetime | None = None, until: dt.date | dt.datetime | None = None) -> list[dict]:
    """Votes with this use-case tag, by this person, from `since` up to the end of `until` (all optional)."""
    start = vote_time(since)
    end = vote_time(until)
    if end is not None and isinstance(until, dt.date) and not isinstance(until, dt.datetime):
        end += dt.timedelta(days=1)
    out = []
    for vote in votes:
        if tag and (vote.get("tag") or "") != tag:
            continue
        if who and (vote.get("who") or "") != who:
            continue
        when = vote_time(vote.get("created_at"))
        if start is not None and (when is None or when < start):
            continue
        if end is not None and (when is None or when >= end):
            continue
        out.append(vote)
    return out


def check_votes(votes: Iterable[dict]) -> list[dict]:
    """Votes that can be rated: known outcome, two different models (SelectorError names a bad one)."""
    out = []
    for number, vote in enumerate(votes, start=1):
        outcome = vote.get("outcome")
        if outcome not in OUTCOMES:
            raise SelectorError(f"vote {number}: outcome must be one of {', '.join(OUTCOMES)} (got {outcome!r})")
        left, right = vote.get("left_model"), vote.get("right_model")
        if not left or not right:
            raise SelectorError(f"vote {number}: left_model and right_model are required")
        if left != right:
            out.append(vote)
    return out


def votes_from_history(history) -> list[dict]:
    """Every arena vote in the store: `list_votes()` without the votes cast with the names shown
    (a non-blind comparison), or, from a store without votes, the blind compare runs' verdicts
    (side 'a' was shown on the left, 'b' on the right)."""
    if hasattr(history, "list_votes"):
        shown = {row["run_id"] for row in history.query(kind="compare", voted=True, limit=1_000_000)
                 if not row.get("blind")}
        return [v for v in history.list_votes() if v.get("run_id") is None or v["run_id"] not in shown]
    outcome = {"a": "left", "b": "right", "tie": "tie", "both_bad": "both_bad"}
    runs: dict[int, dict] = {}
    for row in history.query(kind="compare", voted=True, limit=1_000_000):
        if not row.get("blind"):
            continue  # a vote cast with the names shown is kept in the history, not rated
        run = runs.setdefault(row["run_id"], {"outcome": outcome.get(row["vote"]), "who": "", "tag": None,
                                              "created_at": row["created_at"]})
        run[f"{row['side']}_model"] = row["model"]
    return [{"left_model": r.get("a_model"), "right_model": r.get("b_model"), "outcome": r["outcome"],
             "who": r["who"], "tag": r["tag"], "created_at": r["created_at"]}
            for _, r in sorted(runs.items()) if r.get("a_model") and r.get("b_model") and r["outcome"]]


# --- the fit -----------------------------------------------------------------------------------


def fit_strengths(wins: np.ndarray, ridge: float = RIDGE, steps: int = NEWTON_STEPS) -> np.ndarray:
    """Bradley-Terry strengths by Newton's method, for one (M x M) or a batch (B x M x M) of win
    matrices, where wins[..., i, j] is how often i beat j (ties already split in halves)."""
    single = wins.ndim == 2
    w = wins[None] if single else wins
    batch, m, _ = w.shape
    games = w + np.swapaxes(w, 1, 2)
    won = w.sum(axis=2)
    theta = np.zeros((batch, m))
    eye = np.eye(m)
    for _ in range(steps):
        diff = theta[:, :, None] - theta[:, None, :]
        p = 1.0 / (1.0 + np.exp(-diff))
        grad = won - (games * p).sum(axis=2) - ridge * theta
        info = games * p * (1 - p)
        hess = info - (info.sum(axis=2)[:, :, None] + ridge) * eye  # negative definite thanks to the ridge
        step = np.linalg.solve(hess, grad[:, :, None])[:, :, 0]
        theta = theta - step
        if np.max(np.abs(step)) < 1e-9:
            break
    return theta[0] if single else theta


def _to_elo(theta: np.ndarray) -> np.ndarray:
    return ELO_ANCHOR + ELO_SCALE * (theta - theta.mean(axis=-1, keepdims=True))


def win_probability(rating: float) -> float:
    """Expected chance of beating a model rated at the mean (1000)."""
    return 1.0 / (1.0 + 10 ** (-(rating - ELO_ANCHOR) / 400))


def rate(votes: Sequence[dict], samples: int = BOOTSTRAP_SAMPLES, seed: int = 0, ridge: float = RIDGE) -> Leaderboard:
    """The leaderboard of these votes: ratings, bootstrap intervals, and the votes still needed."""
    votes = check_votes(votes)
    if not votes:
        return Leaderboard(ratings=[], votes=0, votes_still_needed=None, separation="No votes yet.")
    models = sorted({v["left_model"] for v in votes} | {v["right_model"] for v in votes})
    m = len(models)
    counts, design = _cells(votes, models)
    theta = fit_strengths((counts @ design).reshape(m, m), ridge)
    elo = _to_elo(theta)
    rng = np.random.default_rng(seed)
    boot_counts = rng.multinomial(len(votes), counts / counts.sum(), size=samples)
    boot = _to_elo(fit_strengths((boot_counts @ design).reshape(samples, m, m), ridge))
    low, high = np.percentile(boot, [2.5, 97.5], axis=0)

    tallies = _tallies(votes, models)
    order = np.argsort(-elo, kind="stable")
    ratings = [
        Rating(model=models[k], rating=float(elo[k]), low=float(low[k]), high=float(high[k]), **tallies[models[k]],
               win_probability=win_probability(float(elo[k])), win_probability_low=win_probability(float(low[k])),
               win_probability_high=win_probability(float(high[k])))
        for k in order
    ]
    gap = se = needed = None
    if m >= 2:
        first, second = order[0], order[1]
        gap = float(elo[first] - elo[second])
        se = float(np.std(boot[:, first] - boot[:, second], ddof=1))
        needed = votes_still_needed(gap, se, len(votes))
        separation = separation_text(ratings[0].model, ratings[1].model, gap, se, needed)
    else:
        separation = "Only one model has votes: vote on a pair with another model."
    return Leaderboard(ratings=ratings, votes=len(votes), votes_still_needed=needed, separation=separation,
                       top_two_gap=gap, top_two_gap_se=se)


def _cells(votes: Sequence[dict], models: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """The distinct (left, right, outcome) cells' counts, and each cell's design row: the flat (i, j) wins
    it adds, score to (left, right) and 1 - score to (right, left). A bootstrap draws cell counts."""
    index = {m: k for k, m in enumerate(models)}
    m = len(models)
    left = np.array([index[v["left_model"]] for v in votes])
    right = np.array([index[v["right_model"]] for v in votes])
    kind = np.array([OUTCOMES.index(v["outcome"]) for v in votes])
    cell = (left * m + right) * len(OUTCOMES) + kind
    cells, counts = np.unique(cell, return_counts=True)
    c_kind = cells % len(OUTCOMES)
    c_pair = cells // len(OUTCOMES)
    c_left, c_right = c_pair // m, c_pair % m
    score = np.array([LEFT_SCORE[o] for o in OUTCOMES])[c_kind]
    design = np.zeros((len(cells), m * m))
    rows = np.arange(len(cells))
    np.add.at(design, (rows, c_left * m + c_right), score)
    np.add.at(design, (rows, c_right * m + c_left), 1 - score)
    return counts, design


def _tallies(votes: Sequence[dict], models: list[str]) -> dict[str, dict[str, int]]:
    """Votes, wins, losses, ties and both-bad outcomes of each model."""
    tallies = {name: {"votes": 0, "wins": 0, "losses": 0, "ties": 0, "both_bad": 0} for name in models}
    for v in votes:
        a, b, o = v["left_model"], v["right_model"], v["outcome"]
        tallies[a]["votes"] += 1
        tallies[b]["votes"] += 1
        if o == "left":
            tallies[a]["wins"] += 1
            tallies[b]["losses"] += 1
        elif o == "right":
            tallies[b]["wins"] += 1
            tallies[a]["losses"] += 1
        else:
            key = "ties" if o == "tie" else "both_bad"
            tallies[a][key] += 1
            tallies[b][key] += 1
    return tallies


def votes_still_needed(gap: float, se: float, votes: int) -> int | None:
    """Votes to add so the 95% interval of the top-two gap excludes 0, if the gap stays as it is.

    The standard error shrinks as 1/sqrt(votes): n = votes * (1.96 * se / gap)^2. None when the
    gap is 0 (no number of votes separates two equal models).
    """
    if gap == 0:
        return None
    if se <= 0 or Z95 * se < abs(gap):
        return 0
    total = votes * (Z95 * se / abs(gap)) ** 2
    return max(1, math.ceil(total - votes))


def separation_text(first: str, second: str, gap: float, se: float, needed: int | None) -> str:
    lead = f"{first} leads {second} by {gap:.0f} points (± {Z95 * se:.0f} at 95%)"
    if needed == 0:
        return f"{lead}: the first two are separated at 95%."
    if needed is None:
        return f"{lead}: they are level, so no number of votes would separate them."
    return f"{lead}: about {needed:,} more votes are needed to separate them at 95%."


def leaderboard_figure(board: Leaderboard, names: dict[str, str] | None = None):
    """Ratings with their 95% intervals as a plotly dot-and-whisker chart, best on top."""
    import plotly.graph_objects as go

    names = names or {}
    ratings = list(reversed(board.ratings))
    fig = go.Figure(go.Scatter(
        x=[r.rating for r in ratings], y=[names.get(r.model, r.model) for r in ratings], mode="markers",
        error_x={"type": "data", "symmetric": False, "array": [r.high - r.rating for r in ratings],
                 "arrayminus": [r.rating - r.low for r in ratings]},
        hovertemplate="%{y}: %{x:.0f}<extra></extra>",
    ))
    fig.add_vline(x=ELO_ANCHOR, line_dash="dot", line_color="grey")
    fig.update_layout(title="Arena ratings with 95% intervals", xaxis_title="Rating (Elo scale, mean 1000)",
                      height=120 + 40 * len(ratings), margin={"l": 10, "r": 10, "t": 50, "b": 40})
    return fig


# --- evidence for the recommendation ----------------------------------------------------------


def catalogue_id_for(name: str, catalogue) -> str | None:
    """The catalogue id a voted model stands for (its id, its LiteLLM string, or 'id@provider')."""
    if catalogue is None:
        return None
    if name in catalogue.by_id:
        return name
    base = name.split("@", 1)[0]
    if base in catalogue.by_id:
        return base
    return next((m.id for m in catalogue.models if m.litellm_id and m.litellm_id == name), None)


def measured_from_votes(votes: Sequence[dict], catalogue, min_votes: int = MIN_VOTES_FOR_EVIDENCE) -> dict:
    """Catalogue id -> MeasuredFigures from the arena: quality = the chance of beating the average
    model, with its bootstrap interval; only models with a catalogue id and at least `min_votes` votes."""
    from selector.benchmark import MeasuredFigures

    board = rate(votes)
    out = {}
    for r in board.ratings:
        cid = catalogue_id_for(r.model, catalogue)
        if cid is None or r.votes < min_votes or cid in out:
            continue
        out[cid] = MeasuredFigures(
            latency_p95_ms=None, quality_0_1=round(r.win_probability, 4), source=f"arena: {r.votes} votes",
            prompts=r.votes, quality_low=round(r.win_probability_low, 4), quality_high=round(r.win_probability_high, 4),
        )
    return out
