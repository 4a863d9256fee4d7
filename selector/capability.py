"""Capability per use case from all the evidence a model has, as a point and a 95% interval.

Method (a one-factor item-response fit over the model x benchmark matrix):

- Every published score is put on one scale: a percentage p becomes logit(p/100); an Elo rating
  becomes Elo x ln(10)/400 (400 Elo points are a factor of 10 in odds, so both are log-odds).
- Each benchmark b gets an offset c_b, a loading a_b > 0 and a residual spread s_b; each model m a
  latent ability theta_m with a N(0, 1) prior, so that  y_mb = c_b + a_b * theta_m + e_mb,
  e_mb ~ N(0, s_b^2). Offsets and loadings are fitted jointly with the abilities (alternating
  least squares with weak priors), which links benchmarks that were only run on newer or older
  models through the models that published both: a score on AIME 2025 informs GPQA through the
  models that report the two.
- Given the fit, a model's ability has a Gaussian posterior: precision 1 + sum a_b^2 / s_b^2 over
  the benchmarks it published. Fewer scores mean a wider interval, never a made-up discount; one
  more score always narrows it; raising a score raises the ability (every a_b > 0).
- A use case weighs some benchmarks (selector/rules.py). Its capability is the weighted mean, over
  those benchmarks, of the model's expected standing: its own published score where it has one,
  else the fit's prediction c_b + a_b * theta_m, whose uncertainty is a_b^2 var(theta) + s_b^2.
  The result is expressed as a standard-normal quantile against the catalogue (0.5 = a typical
  catalogued model on those benchmarks), so it is comparable across use cases and lies in 0..1.
- A measured quality from the user's own benchmark run comes first: it replaces the estimate,
  with a Wilson interval over the prompts it was measured on.
- A model with no score at all gets no estimate: it is listed apart as "not enough evidence".

Why one factor: published LLM benchmark scores are dominated by one general factor (the first
principal component explains most of the variance across models, e.g. Ruan et al. 2024,
"Observational scaling laws"); with 100 models and a sparse matrix, more factors would fit noise.
Benchmark-specific strengths survive through the model's own published scores on the use case's
benchmarks, which are used as they are.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from selector.catalogue import BENCHMARK_SPECS, BENCHMARKS, Catalogue, Model

Z95 = 1.959964
_LOGIT_CLIP = (0.5, 99.5)  # percent: keeps logit finite for 0% and 100%
_ELO_TO_LOGIT = math.log(10) / 400
_ITERATIONS = 30
_LOADING_FLOOR = 0.2  # a benchmark never counts against ability
_RESIDUAL_FLOOR = 0.15  # z units: even a perfectly fitting benchmark keeps some benchmark-specific spread
_PRIOR_WEIGHT = 2.0  # pseudo-observations pulling a benchmark's offset/loading towards 0/1 when few models report it
# Hybrid models answering without thinking, scored with thinking on: the spread of the effect is
# unknown here, so it widens the interval by this much (z units) instead of shifting the point.
THINKING_OFF_EXTRA_SD = 0.5
# A published score is itself a sample (a few hundred questions): about 1.5 points at mid-scale,
# which is roughly this much of a benchmark's spread across models.
MEASUREMENT_SD = 0.1
# The capability score part falls from 1 (the best candidate) to 0 this many standard deviations
# of the catalogue's spread below it (cost falls to 0 three orders of magnitude above the cheapest).
CAPABILITY_SPAN_Z = 2.0


def column_key(key: str, score) -> str:
    """The fit's column for a score: the benchmark key, and for an independent rating also its date.

    Arena ratings drift as new models join the leaderboard: ratings read on different dates are
    different settings, so each leaderboard snapshot is a column of its own (linked through the
    models rated in several, and through the other benchmarks).
    """
    spec = BENCHMARK_SPECS[key]
    return f"{key}@{score.date.isoformat()}" if spec.independent and score.date is not None else key


def base_key(column: str) -> str:
    return column.split("@", 1)[0]


def to_logit(key: str, score: float) -> float:
    """A published score on the common log-odds scale."""
    spec = BENCHMARK_SPECS[base_key(key)]
    if spec.metric == "elo":
        return score * _ELO_TO_LOGIT
    p = min(max(score, _LOGIT_CLIP[0]), _LOGIT_CLIP[1]) / 100
    return math.log(p / (1 - p))


def from_logit(key: str, value: float) -> float:
    """A value on the log-odds scale back on the benchmark's own scale."""
    if BENCHMARK_SPECS[base_key(key)].metric == "elo":
        return value / _ELO_TO_LOGIT
    return 100 / (1 + math.exp(-value))


@dataclass(frozen=True)
class BenchmarkFit:
    """One benchmark's parameters: scale (mean, sd of log-odds), offset, loading, residual spread."""

    key: str
    mean: float
    sd: float
    offset: float
    loading: float
    residual: float
    reported_by: int


@dataclass
class Fit:
    """The fitted factor model over one catalogue: benchmark parameters, abilities, observations.

    Matrices are indexed [model row, benchmark column]; `rows` maps a model id to its row.
    """

    benchmarks: dict[str, BenchmarkFit]
    observed: dict[str, dict[str, float]]  # model id -> benchmark -> standardised score
    thinking: dict[str, bool]  # model id -> whether its scores were measured with thinking on
    rows: dict[str, int]
    keys: list[str]
    z: np.ndarray  # standardised scores (0 where not published)
    mask: np.ndarray  # True where published
    theta: np.ndarray  # posterior mean ability per row
    theta_sd: np.ndarray  # posterior sd per row

    def ability(self, model_id: str, leave_out: str | None = None) -> tuple[float, float] | None:
        """(posterior mean, posterior sd) of a model's latent ability, or None without evidence."""
        obs = self.observed.get(model_id)
        if not obs:
            return None
        precision, weighted = 1.0, 0.0
        for key, z in obs.items():
            if key == leave_out:
                continue
            b = self.benchmarks[key]
            precision += b.loading**2 / b.residual**2
            weighted += b.loading * (z - b.offset) / b.residual**2
        if precision == 1.0:
            return None
        return weighted / precision, 1 / math.sqrt(precision)

    def predict(self, model_id: str, key: str, leave_out: bool = False) -> tuple[float, float] | None:
        """(mean, sd) of a model's standardised score on one benchmark; its own score when published."""
        obs = self.observed.get(model_id, {})
        if key in obs and not leave_out:
            return obs[key], MEASUREMENT_SD
        ability = self.ability(model_id, leave_out=key if leave_out else None)
        if ability is None or key not in self.benchmarks:
            return None
        theta, sd = ability
        b = self.benchmarks[key]
        return b.offset + b.loading * theta, math.sqrt((b.loading * sd) ** 2 + b.residual**2)

    def predict_score(self, model_id: str, key: str) -> float | None:
        """The held-out prediction of a published score, on the benchmark's own scale (for evaluation)."""
        got = self.predict(model_id, key, leave_out=True)
        if got is None:
            return None
        b = self.benchmarks[key]
        return from_logit(key, b.mean + b.sd * got[0])

    def use_case_table(self, weights: dict[str, float]) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Per row: (mean, sd) of the weighted standing on these benchmarks in z units, and the
        counts of the use case's benchmarks published and predicted. Vectorised over all models."""
        by_base: dict[str, list[int]] = {}
        for j, column in enumerate(self.keys):
            by_base.setdefault(base_key(column), []).append(j)
        # A benchmark read on several dates shares its weight among its columns.
        cols = [(j, w / len(by_base[key])) for key, w in weights.items() if w > 0 for j in by_base.get(key, [])]
        n = len(self.rows)
        if not cols:  # none of the use case's benchmarks exists in the catalogue: ability alone
            return self.theta.copy(), self.theta_sd.copy(), np.zeros(n), np.zeros(n)
        idx = np.array([j for j, _ in cols])
        w = np.array([w for _, w in cols])
        offset = np.array([self.benchmarks[self.keys[j]].offset for j in idx])
        loading = np.array([self.benchmarks[self.keys[j]].loading for j in idx])
        residual = np.array([self.benchmarks[self.keys[j]].residual for j in idx])
        own = self.mask[:, idx]
        predicted = offset[None, :] + loading[None, :] * self.theta[:, None]
        value = np.where(own, self.z[:, idx], predicted)
        pred_sd = np.sqrt((loading[None, :] * self.theta_sd[:, None]) ** 2 + residual[None, :] ** 2)
        sd = np.where(own, MEASUREMENT_SD, pred_sd)
        mean = (value * w).sum(axis=1) / w.sum()
        spread = np.sqrt(((sd * w) ** 2).sum(axis=1)) / w.sum()
        # Predictions share the model's one ability: their errors move together, so the spread is
        # at least the ability's own uncertainty times the predicted share of the weight.
        share = ((~own) * w).sum(axis=1) / w.sum()
        spread = np.maximum(spread, self.theta_sd * share)
        return mean, spread, own.sum(axis=1), (~own).sum(axis=1)


def fit_catalogue(models: list[Model], extra: dict[str, dict[str, float]] | None = None) -> Fit:
    """Fit the one-factor model to every published (non-language) score of these models."""
    raw: dict[str, dict[str, float]] = {}
    thinking: dict[str, bool] = {}
    for model in models:
        scores = {column_key(key, s): to_logit(key, s.score) for key, s in model.benchmarks.items() if key in BENCHMARKS}
        if extra and model.id in extra:
            scores.update(extra[model.id])
        if scores:
            raw[model.id] = scores
            thinking[model.id] = any(s.thinking for s in model.benchmarks.values())
    keys = sorted({key for scores in raw.values() for key in scores})
    ids = list(raw)
    rows = {model_id: i for i, model_id in enumerate(ids)}
    if not keys:
        empty = np.zeros((0, 0))
        return Fit({}, {}, thinking, {}, [], empty, empty.astype(bool), np.zeros(0), np.zeros(0))
    col = {key: j for j, key in enumerate(keys)}
    y = np.full((len(ids), len(keys)), np.nan)
    for i, model_id in enumerate(ids):
        for key, value in raw[model_id].items():
            y[i, col[key]] = value
    mask = ~np.isnan(y)
    counts = mask.sum(axis=0)
    mean = np.nanmean(y, axis=0)
    sd = np.sqrt(np.nanmean((y - mean) ** 2, axis=0))
    typical = float(np.median(sd[counts >= 3])) if (counts >= 3).any() else 1.0
    sd = np.where((counts < 3) | (sd < 1e-6), typical, sd)
    z = np.where(mask, (y - mean) / sd, 0.0)
    offset, loading, residual = _alternate(z, mask, counts)
    benchmarks = {
        key: BenchmarkFit(key, float(mean[j]), float(sd[j]), float(offset[j]), float(loading[j]), float(residual[j]), int(counts[j]))
        for key, j in col.items()
    }
    observed = {model_id: {key: float(z[i, col[key]]) for key in raw[model_id]} for i, model_id in enumerate(ids)}
    m = mask.astype(float)
    precision = 1.0 + (m * (loading**2 / residual**2)[None, :]).sum(axis=1)
    theta = ((loading / residual**2)[None, :] * m * (z - offset[None, :])).sum(axis=1) / precision
    return Fit(benchmarks, observed, thinking, rows, keys, z, mask, theta, 1 / np.sqrt(precision))


def _alternate(z: np.ndarray, mask: np.ndarray, counts: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Alternating least squares for offsets, loadings and residual spreads (with weak priors)."""
    m = mask.astype(float)
    n_models, n_bench = z.shape
    offset, loading, residual = np.zeros(n_bench), np.ones(n_bench), np.full(n_bench, 0.6)
    theta = np.zeros(n_models)
    for _ in range(_ITERATIONS):
        w = (loading / residual**2)[None, :] * m
        precision = 1.0 + (m * (loading**2 / residual**2)[None, :]).sum(axis=1)
        theta = (w * (z - offset[None, :])).sum(axis=1) / precision
        theta_var = 1.0 / precision
        # Keep the ability scale fixed (mean 0, sd 1 over the models with evidence).
        theta = (theta - theta.mean()) / (theta.std() or 1.0)
        t = theta[:, None] * m
        # Regress each benchmark's scores on ability, with prior pseudo-observations offset 0, loading 1.
        sum_t, sum_t2 = t.sum(axis=0), (t * theta[:, None] + m * theta_var[:, None]).sum(axis=0)
        sum_z, sum_tz = (z * m).sum(axis=0), (t * z).sum(axis=0)
        k = _PRIOR_WEIGHT
        det = (counts + k) * (sum_t2 + k) - sum_t**2
        offset = ((sum_t2 + k) * sum_z - sum_t * (sum_tz + k)) / det
        loading = np.maximum(((counts + k) * (sum_tz + k) - sum_t * sum_z) / det, _LOADING_FLOOR)
        fitted = offset[None, :] + loading[None, :] * theta[:, None]
        resid = ((z - fitted) ** 2 * m).sum(axis=0)
        residual = np.sqrt((resid + k * 0.5**2) / (counts + k))
        residual = np.maximum(residual, _RESIDUAL_FLOOR)
    return offset, loading, residual


@dataclass(frozen=True)
class Estimate:
    """Capability for the use cases: point and 95% interval in 0..1, and what it rests on."""

    point: float
    low: float
    high: float
    basis: str  # "published", "measured" or "predicted"
    evidence: int  # scores behind it (prompts for a measured quality)
    note: str
    sd: float = 0.0  # the interval's half-width / 1.96 on the latent (z) scale: the uncertainty itself
    own: int = 0  # the use case's benchmarks the model published
    predicted: int = 0  # the use case's benchmarks predicted from its other scores
    thinking_off: bool = False

    def overlaps(self, other: Estimate) -> bool:
        return self.low <= other.high and other.low <= self.high


def _phi(x: float) -> float:
    return 0.5 * (1 + math.erf(x / math.sqrt(2)))


def estimate_all(
    fit: Fit,
    models: list[Model],
    weights: dict[str, float],
    thinking_off: frozenset[str] = frozenset(),
) -> dict[str, Estimate]:
    """Capability of each model with evidence for a use case weighing `weights` (benchmark -> weight).

    Models in `thinking_off` answer without thinking: if their scores were measured with thinking
    on, the interval widens by THINKING_OFF_EXTRA_SD. Models without evidence are absent.
    """
    mean, spread, own, predicted = fit.use_case_table(weights)
    out: dict[str, Estimate] = {}
    rows = fit.rows
    for model in models:
        i = rows.get(model.id)
        if i is None:
            continue
        m, sd = float(mean[i]), float(spread[i])
        off = model.id in thinking_off and fit.thinking.get(model.id, False)
        if off:
            sd = math.hypot(sd, THINKING_OFF_EXTRA_SD)
        out[model.id] = Estimate(
            point=_phi(m), low=_phi(m - Z95 * sd), high=_phi(m + Z95 * sd),
            basis="published" if predicted[i] == 0 else "predicted",
            evidence=len(fit.observed[model.id]), note="", sd=sd, own=int(own[i]), predicted=int(predicted[i]),
            thinking_off=bool(off),
        )
    return out


def standing_scale(estimates: list[Estimate]) -> list[float]:
    """Score-part values: 1 for the best point, falling linearly to 0 at CAPABILITY_SPAN_Z below it.

    The point itself is a normal quantile, which squeezes the differences between frontier models
    into the last few hundredths; the part works on the latent scale, like cost works on decades.
    """
    zs = [_z(e.point) for e in estimates]
    if not zs:
        return []
    best = max(zs)
    return [max(0.0, 1 - (best - z) / CAPABILITY_SPAN_Z) for z in zs]


def _z(p: float) -> float:
    p = min(max(p, 1e-9), 1 - 1e-9)
    low, high = -12.0, 12.0
    for _ in range(60):  # bisection on the normal CDF: exact enough, no scipy needed
        mid = (low + high) / 2
        if _phi(mid) < p:
            low = mid
        else:
            high = mid
    return (low + high) / 2


def describe(model: Model, estimate: Estimate, weights: dict[str, float]) -> str:
    """What an estimate rests on, in words (only the shown picks need it)."""
    own = [key for key in weights if key in model.benchmarks]
    return _note(own, estimate.predicted, estimate.evidence, estimate.thinking_off)


def _note(own: list[str], predicted: int, evidence: int, thinking_off: bool) -> str:
    parts = []
    if own:
        parts.append("published " + ", ".join(short_name(key) for key in own[:4]))
    if predicted:
        parts.append(f"{predicted} benchmark(s) predicted from its {evidence} published score(s)")
    if thinking_off:
        parts.append("scores measured with thinking on; answering without thinking widens the interval")
    return "; ".join(parts)


def short_name(key: str) -> str:
    """'MMLU-Pro, 5-shot' from the key's label."""
    return BENCHMARK_SPECS[key].label.split(" (")[0]


def measured_estimate(quality: float, prompts: int | None, source: str) -> Estimate:
    """A quality measured on the user's prompts, with a Wilson 95% interval over `prompts`."""
    n = prompts or 0
    if n <= 0:
        low, high = 0.0, 1.0
    else:
        centre = (quality + Z95**2 / (2 * n)) / (1 + Z95**2 / n)
        half = Z95 * math.sqrt(quality * (1 - quality) / n + Z95**2 / (4 * n * n)) / (1 + Z95**2 / n)
        low, high = max(0.0, centre - half), min(1.0, centre + half)
    return Estimate(quality, low, high, "measured", n, f"measured on your prompts: {quality:.0%} passed, {source}")


def catalogue_fit(catalogue: Catalogue) -> Fit:
    """The fit for this catalogue, computed once per catalogue object."""
    memo = vars(catalogue)
    fit = memo.get("_capability_fit")
    if fit is None:
        fit = memo["_capability_fit"] = fit_catalogue(catalogue.models)
    return fit


def held_out_errors(catalogue: Catalogue) -> dict[str, float]:
    """Leave-one-score-out mean absolute error, in score points, of this method and of the old heuristic.

    The old heuristic predicted a missing score from the model's other scores, each scaled to its
    benchmark's catalogue range, averaged and discounted by 20%, then mapped back to the range.
    """
    fit = catalogue_fit(catalogue)
    ranges: dict[str, tuple[float, float]] = {}
    for model in catalogue.models:
        for key, s in model.benchmarks.items():
            low, high = ranges.get(key, (s.score, s.score))
            ranges[key] = (min(low, s.score), max(high, s.score))
    ours, old, n = 0.0, 0.0, 0
    for model in catalogue.models:
        scores = {k: s.score for k, s in model.benchmarks.items() if not BENCHMARK_SPECS[k].independent}
        if len(scores) < 2:
            continue
        for key, actual in scores.items():
            predicted = fit.predict_score(model.id, key)
            others = [(s - ranges[k][0]) / max(ranges[k][1] - ranges[k][0], 20.0) for k, s in scores.items() if k != key]
            low, high = ranges[key]
            heuristic = low + sum(others) / len(others) * 0.8 * max(high - low, 20.0)
            if predicted is None:
                continue
            ours += abs(predicted - actual)
            old += abs(heuristic - actual)
            n += 1
    return {"held_out_scores": n, "mae_factor_model": ours / n if n else math.nan, "mae_old_heuristic": old / n if n else math.nan}
