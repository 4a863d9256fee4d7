"""Capability with uncertainty: the factor model's properties, on small catalogues and the real one."""

from __future__ import annotations

import datetime as dt
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from selector import capability as cap
from selector.catalogue import BENCHMARK_SPECS, Catalogue, Model, load_catalogue
from selector.rules import use_case_weights

KEYS = ["mmlu", "gpqa_diamond", "math_500", "humaneval", "ifeval", "swe_bench_verified"]


def score(key: str, value: float) -> dict:
    spec = BENCHMARK_SPECS[key]
    return {"score": value, "shots": spec.shots, "cot": spec.cot, "thinking": False, "metric": spec.metric,
            "snapshot": "test", "source": "https://example.com"}


def entry(model_id: str, scores: dict[str, float]) -> Model:
    return Model(
        id=model_id, name=model_id.upper(), provider="Lab", family="F", open_weights=False, license="proprietary",
        params_b=None, context_tokens=128_000, max_output_tokens=None, input_usd_per_mtok=None, output_usd_per_mtok=None,
        input_modalities=["text"], output_modalities=["text"], languages=["en"],
        benchmarks={key: score(key, value) for key, value in scores.items()},
        evidence_note=None if scores else "none published", release_date=None, sources=["https://example.com"],
        checked={"benchmarks": dt.date(2026, 11, 30)} if scores else {}, as_of=dt.date(2026, 11, 30),
    )


def synthetic(seed: int, count: int = 24) -> list[Model]:
    """Models with a latent ability, each publishing a random subset of benchmarks."""
    rng = random.Random(seed)
    models = []
    for i in range(count):
        ability = rng.gauss(0, 1)
        keys = rng.sample(KEYS, rng.randint(1, len(KEYS)))
        models.append(entry(f"m{i}", {k: round(min(99, max(1, 60 + 15 * ability + rng.gauss(0, 5))), 1) for k in keys}))
    return models


def capability_of(models: list[Model], model_id: str, use_case: str = "general", calibrated_on: list[Model] | None = None) -> cap.Estimate:
    """The model's capability; with `calibrated_on`, under the calibration fitted on those models."""
    fit = cap.fit_catalogue(calibrated_on or models)
    if calibrated_on is not None:
        fit = cap.score_models(fit.benchmarks, fit.line, models)
    return cap.estimate_all(fit, models, use_case_weights([use_case]))[model_id]


def replace_score(models: list[Model], model_id: str, key: str, value: float) -> list[Model]:
    out = []
    for m in models:
        if m.id == model_id:
            scores = {k: s.score for k, s in m.benchmarks.items()}
            scores[key] = value
            m = entry(m.id, scores)
        out.append(m)
    return out


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 10_000), which=st.integers(0, 23), raise_by=st.floats(0.5, 30))
def test_raising_a_score_never_lowers_capability(seed, which, raise_by):
    models = synthetic(seed)
    target = models[which]
    key = sorted(target.benchmarks)[0]
    before = capability_of(models, target.id)
    higher = min(100.0, target.benchmarks[key].score + raise_by)
    after = capability_of(replace_score(models, target.id, key, higher), target.id, calibrated_on=models)
    assert after.point >= before.point - 1e-12
    # Recalibrating on the changed catalogue moves the benchmarks' scales by a fraction of the change.
    refit = capability_of(replace_score(models, target.id, key, higher), target.id)
    assert refit.point >= before.point - 0.01


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 10_000), which=st.integers(0, 23))
def test_a_consistent_extra_score_narrows_the_interval(seed, which):
    models = synthetic(seed)
    target = models[which]
    missing = [k for k in KEYS if k not in target.benchmarks]
    if not missing:
        return
    key = missing[0]
    fit = cap.fit_catalogue(models)
    mean, _ = fit.predict(target.id, key)
    b = fit.benchmarks.get(key)
    if b is None:
        return
    consistent = cap.from_logit(key, b.mean + b.sd * mean)  # the score the estimate expects
    before = capability_of(models, target.id)
    changed = replace_score(models, target.id, key, round(consistent, 1))
    after = capability_of(changed, target.id, calibrated_on=models)
    # The ability behind every prediction always narrows; the use case's interval narrows whenever
    # it rested on a prediction, and never widens when the use case's benchmarks were all published.
    assert cap.score_models(fit.benchmarks, fit.line, changed).ability(target.id)[1] < fit.ability(target.id)[1]
    if before.predicted:
        assert after.sd < before.sd
    else:
        assert after.sd <= before.sd + 1e-9


def test_fewer_scores_mean_a_wider_interval_not_a_lower_point():
    full = {"mmlu": 85.0, "gpqa_diamond": 60.0, "ifeval": 85.0, "math_500": 80.0}
    models = synthetic(1) + [entry("full", full), entry("one", {"mmlu": 85.0})]
    many, one = capability_of(models, "full"), capability_of(models, "one")
    assert one.sd > many.sd
    assert one.low < one.point < one.high


def test_a_model_without_evidence_gets_no_estimate():
    models = synthetic(2) + [entry("blank", {})]
    fit = cap.fit_catalogue(models)
    assert "blank" not in cap.estimate_all(fit, models, use_case_weights(["general"]))


def test_measured_quality_comes_first_with_a_wilson_interval():
    estimate = cap.measured_estimate(0.8, 50, "run 3")
    assert estimate.basis == "measured" and estimate.point == 0.8
    assert 0.66 < estimate.low < 0.8 < estimate.high < 0.9  # Wilson 95% for 40/50
    assert cap.measured_estimate(0.8, 500, "run 4").high - cap.measured_estimate(0.8, 500, "run 4").low < estimate.high - estimate.low


def test_elo_and_percentages_share_the_log_odds_scale():
    assert cap.to_logit("lmarena_text", 1400) - cap.to_logit("lmarena_text", 1000) == pytest.approx(2.302585, rel=1e-5)
    assert cap.from_logit("mmlu", cap.to_logit("mmlu", 73.0)) == pytest.approx(73.0)


def test_held_out_scores_are_reproduced_better_than_by_the_old_heuristic():
    errors = cap.held_out_errors(load_catalogue())
    assert errors["held_out_scores"] >= 100
    assert errors["mae_factor_model"] < errors["mae_old_heuristic"]


def test_the_real_catalogue_fit_links_every_benchmark_with_a_positive_loading():
    fit = cap.catalogue_fit(load_catalogue())
    assert fit.benchmarks and all(b.loading > 0 for b in fit.benchmarks.values())


def test_catalogue_fit_is_computed_once_per_catalogue():
    catalogue = Catalogue(models=synthetic(3))
    assert cap.catalogue_fit(catalogue) is cap.catalogue_fit(catalogue)
