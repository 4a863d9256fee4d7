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
from statistics import NormalDist
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from selector.cache import cached
from selector.catalogue import BENCHMARK_SPECS, BENCHMARKS, Catalogue, Model

if TYPE_CHECKING:  # numpy is imported only while fitting: a cached fit is plain Python
    import numpy as np

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
    theta: list[float]  # posterior mean ability per row
    theta_sd: list[float]  # posterior sd per row
    prior: dict[str, tuple[float, float]] = field(default_factory=dict)  # model id -> (mean, precision) when not N(0, 1)
    line: tuple[float, float, float] | None = None  # the size line of the calibration (see _size_line)
    _tables: dict = field(default_factory=dict, repr=False)  # use_case_table's memo

    def ability(self, model_id: str, leave_out: str | None = None) -> tuple[float, float] | None:
        """(posterior mean, posterior sd) of a model's latent ability, or None without evidence."""
        obs = self.observed.get(model_id)
        if not obs:
            return None
        prior_mean, prior_precision = self.prior.get(model_id, (0.0, 1.0))
        precision, weighted = prior_precision, prior_mean * prior_precision
        used = 0
        for key, z in obs.items():
            if key == leave_out:
                continue
            b = self.benchmarks[key]
            precision += b.loading**2 / b.residual**2
            weighted += b.loading * (z - b.offset) / b.residual**2
            used += 1
        if not used:
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

    def use_case_table(self, weights: dict[str, float]) -> dict[str, tuple[float, float, int, int]]:
        """Per model id: (mean, sd) of its weighted standing on these benchmarks in z units, and how
        many of the use case's benchmarks it published and how many are predicted. Computed once per
        set of weights (the sensitivity analysis ranks the same use cases dozens of times)."""
        memo_key = tuple(sorted(weights.items()))
        table = self._tables.get(memo_key)
        if table is None:
            table = self._tables[memo_key] = self._table(weights)
        return table

    def _table(self, weights: dict[str, float]) -> dict[str, tuple[float, float, int, int]]:
        by_base: dict[str, list[str]] = {}
        for column in self.keys:
            by_base.setdefault(base_key(column), []).append(column)
        # A benchmark read on several dates shares its weight among its columns.
        cols = [(c, w / len(by_base[key])) for key, w in weights.items() if w > 0 for c in by_base.get(key, [])]
        table = {}
        if not cols:  # none of the use case's benchmarks exists in the catalogue: ability alone
            for model_id, i in self.rows.items():
                table[model_id] = (self.theta[i], self.theta_sd[i], 0, 0)
            return table
        total = sum(w for _, w in cols)
        params = [(c, w, self.benchmarks[c].offset, self.benchmarks[c].loading, self.benchmarks[c].residual) for c, w in cols]
        for model_id, i in self.rows.items():
            theta, theta_sd = self.theta[i], self.theta_sd[i]
            observed = self.observed[model_id]
            mean = var = unpublished = 0.0
            own = 0
            for column, w, offset, loading, residual in params:
                z = observed.get(column)
                if z is not None:
                    mean += w * z
                    var += (w * MEASUREMENT_SD) ** 2
                    own += 1
                else:
                    mean += w * (offset + loading * theta)
                    var += w * w * ((loading * theta_sd) ** 2 + residual**2)
                    unpublished += w
            # Predictions share the model's one ability: their errors move together, so the spread
            # is at least the ability's own uncertainty times the predicted share of the weight.
            spread = max(math.sqrt(var) / total, theta_sd * unpublished / total)
            table[model_id] = (mean / total, spread, own, len(params) - own)
        return table


def _raw_scores(models: list[Model]) -> tuple[dict[str, dict[str, float]], dict[str, bool]]:
    raw: dict[str, dict[str, float]] = {}
    thinking: dict[str, bool] = {}
    for model in models:
        scores = {column_key(key, s): to_logit(key, s.score) for key, s in model.benchmarks.items() if key in BENCHMARKS}
        if scores:
            raw[model.id] = scores
            thinking[model.id] = any(s.thinking for s in model.benchmarks.values())
    return raw, thinking


def fit_catalogue(models: list[Model]) -> Fit:
    """Calibrate the one-factor model on every published (non-language) score, then score each model.

    The calibration (each benchmark's scale, offset, loading and spread, and the size line) is a
    property of the catalogue; given it, a model's estimate depends on its own scores only, rising
    with each of them (see score_models).
    """
    import numpy as np

    raw, thinking = _raw_scores(models)
    keys = sorted({key for scores in raw.values() for key in scores})
    ids = list(raw)
    if not keys:
        return Fit({}, {}, thinking, {}, [], [], [])
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
    typical = typical if typical > 1e-6 else 1.0  # every model scored the same: no spread to learn from
    sd = np.where((counts < 3) | (sd < 1e-6), typical, sd)
    z = np.where(mask, (y - mean) / sd, 0.0)
    offset, loading, residual = _alternate(z, mask, counts)
    benchmarks = {
        key: BenchmarkFit(key, float(mean[j]), float(sd[j]), float(offset[j]), float(loading[j]), float(residual[j]), int(counts[j]))
        for key, j in col.items()
    }
    m = mask.astype(float)
    data_precision = (m * (loading**2 / residual**2)[None, :]).sum(axis=1)
    theta = ((loading / residual**2)[None, :] * m * (z - offset[None, :])).sum(axis=1) / (1.0 + data_precision)
    line = _size_line(models, ids, theta, data_precision)
    return score_models(benchmarks, line, models)


def score_models(benchmarks: dict[str, BenchmarkFit], line: tuple[float, float, float] | None, models: list[Model]) -> Fit:
    """Each model's ability under a fixed calibration: a Gaussian posterior from its own scores.

    With the calibration fixed, raising a score can only raise the ability (every loading is
    positive) and adding a score can only add precision (narrow the interval).
    """
    import numpy as np

    raw, thinking = _raw_scores(models)
    keys = list(benchmarks)
    col = {key: j for j, key in enumerate(keys)}
    ids = [model_id for model_id, scores in raw.items() if any(k in col for k in scores)]
    rows = {model_id: i for i, model_id in enumerate(ids)}
    z = np.zeros((len(ids), len(keys)))
    mask = np.zeros((len(ids), len(keys)), dtype=bool)
    for i, model_id in enumerate(ids):
        for key, value in raw[model_id].items():
            j = col.get(key)
            if j is not None:
                b = benchmarks[key]
                z[i, j] = (value - b.mean) / b.sd
                mask[i, j] = True
    offset = np.array([benchmarks[k].offset for k in keys])
    loading = np.array([benchmarks[k].loading for k in keys])
    residual = np.array([benchmarks[k].residual for k in keys])
    m = mask.astype(float)
    data_precision = (m * (loading**2 / residual**2)[None, :]).sum(axis=1)
    evidence = ((loading / residual**2)[None, :] * m * (z - offset[None, :])).sum(axis=1)
    prior_mean, prior_precision = _size_prior(models, ids, line)
    precision = data_precision + prior_precision
    theta = (evidence + prior_mean * prior_precision) / precision
    prior = {model_id: (float(prior_mean[i]), float(prior_precision[i]))
             for i, model_id in enumerate(ids) if prior_precision[i] != 1.0 or prior_mean[i] != 0.0}
    observed = {model_id: {key: float(z[i, col[key]]) for key in raw[model_id] if key in col} for i, model_id in enumerate(ids)}
    return Fit(benchmarks, observed, {k: thinking[k] for k in ids}, rows, keys, [float(t) for t in theta],
               [float(v) for v in 1 / np.sqrt(precision)], prior, line)


def _model_size(model: Model) -> float | None:
    # A mixture of experts counts as the geometric mean of its total and active parameters (a common
    # rule of thumb: it knows more than its active part, computes less than its total).
    return math.sqrt(model.params_b * (model.active_params_b or model.params_b)) if model.params_b else None


def _size_line(models: list[Model], ids: list[str], theta: np.ndarray, data_precision: np.ndarray) -> tuple[float, float, float] | None:
    """(intercept, slope, spread) of ability against log10 size over the open models with at least
    three scores' worth of evidence; None when too few or when ability does not grow with size.

    Capability grows roughly with the log of a model's size (the scaling laws). A model of known
    size is then shrunk towards that line rather than towards the catalogue's mean, so a 135M
    model with one score is not ranked as a typical model. Models of unknown size keep N(0, 1).
    """
    import numpy as np

    size = {m.id: _model_size(m) for m in models if m.params_b}
    rows = [i for i, model_id in enumerate(ids) if model_id in size and data_precision[i] >= 3.0]
    if len(rows) < 8:
        return None
    x = np.log10([size[ids[i]] for i in rows])
    y = theta[rows]
    slope, intercept = np.polyfit(x, y, 1)
    if slope <= 0:
        return None
    return float(intercept), float(slope), max(float(np.std(y - (intercept + slope * x))), 0.3)


def _size_prior(models: list[Model], ids: list[str], line: tuple[float, float, float] | None) -> tuple[np.ndarray, np.ndarray]:
    import numpy as np

    n = len(ids)
    mean, precision = np.zeros(n), np.ones(n)
    if line is None:
        return mean, precision
    intercept, slope, spread = line
    rows = {model_id: i for i, model_id in enumerate(ids)}
    for model in models:
        i = rows.get(model.id)
        if i is not None and model.params_b:
            mean[i] = intercept + slope * math.log10(_model_size(model))
            precision[i] = 1 / spread**2
    return mean, precision


def _alternate(z: np.ndarray, mask: np.ndarray, counts: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Alternating least squares for offsets, loadings and residual spreads (with weak priors)."""
    import numpy as np

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


@dataclass(slots=True)  # one per candidate per ranking: not frozen, whose __init__ is slower
class Estimate:
    """Capability for the use cases: point and 95% interval in 0..1, and what it rests on."""

    point: float
    low: float
    high: float
    basis: str  # "published", "measured" or "predicted"
    evidence: int  # scores behind it (prompts for a measured quality)
    note: str
    sd: float = 0.0  # the interval's half-width / 1.96 on the latent (z) scale: the uncertainty itself
    z: float = 0.0  # the point on the latent scale (point = Phi(z))
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
    table = fit.use_case_table(weights)
    out: dict[str, Estimate] = {}
    for model in models:
        row = table.get(model.id)
        if row is None:
            continue
        m, sd, own, predicted = row
        off = model.id in thinking_off and fit.thinking.get(model.id, False)
        if off:
            sd = math.hypot(sd, THINKING_OFF_EXTRA_SD)
        out[model.id] = Estimate(
            point=_phi(m), low=_phi(m - Z95 * sd), high=_phi(m + Z95 * sd),
            basis="published" if predicted == 0 else "predicted",
            evidence=len(fit.observed[model.id]), note="", sd=sd, z=m, own=own, predicted=predicted,
            thinking_off=bool(off),
        )
    return out


def standing_scale(estimates: list[Estimate]) -> list[float]:
    """Score-part values: 1 for the best point, falling linearly to 0 at CAPABILITY_SPAN_Z below it.

    The point itself is a normal quantile, which squeezes the differences between frontier models
    into the last few hundredths; the part works on the latent scale, like cost works on decades.
    """
    zs = [e.z for e in estimates]
    if not zs:
        return []
    best = max(zs)
    return [max(0.0, 1 - (best - z) / CAPABILITY_SPAN_Z) for z in zs]


def _z(p: float) -> float:
    return NormalDist().inv_cdf(min(max(p, 1e-9), 1 - 1e-9))


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
    return Estimate(quality, low, high, "measured", n, f"measured on your prompts: {quality:.0%} of checked answers passed, {source}", z=_z(quality))


def catalogue_fit(catalogue: Catalogue) -> Fit:
    """The fit for this catalogue, computed once per catalogue object, and cached on disk with the catalogue
    when it was loaded from a file (load_catalogue records the files' key)."""
    memo = vars(catalogue)
    fit = memo.get("_capability_fit")
    if fit is None:
        key = memo.get("_cache_key")
        fit = cached("capability-fit", key, lambda: fit_catalogue(catalogue.models)) if key \
            else fit_catalogue(catalogue.models)
        memo["_capability_fit"] = fit
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
