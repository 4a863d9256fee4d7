"""Paired statistics for two models run on the same prompts.

Every comparison pairs the two models prompt by prompt, so each prompt's difficulty cancels out:

- Pass/fail: the exact McNemar test, i.e. a two-sided exact binomial test (p = 1/2) on the
  discordant prompts (one passed, the other failed); concordant prompts carry no information.
  Prompts needed for 80% power use Connor's (1987) normal approximation for McNemar's test:
  n = (z_a sqrt(p_d) + z_b sqrt(p_d - delta^2))^2 / delta^2, with p_d the share of discordant
  prompts and delta the difference of pass rates, both as observed.
- Graded scores and latencies: a paired bootstrap (resampling prompts) of the mean difference,
  with a 95% percentile interval; the difference is real at 95% when the interval excludes 0.
  Prompts needed for 80% power: n = ((z_a + z_b) sd_d / mean_d)^2, with sd_d the standard
  deviation of the per-prompt differences.

Both power figures take the observed difference as the true one: they say how many prompts a
difference of this size needs, not that the difference is there.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any, Sequence

import numpy as np

ALPHA = 0.05
POWER = 0.80
Z_ALPHA = 1.959963984540054   # two-sided 95%
Z_BETA = 0.8416212335729143   # 80% power
BOOTSTRAP_SAMPLES = 2000
MCNEMAR = "exact McNemar (two-sided binomial test on the discordant prompts)"
BOOTSTRAP = f"paired bootstrap of the mean difference ({BOOTSTRAP_SAMPLES} resamples, 95% percentile interval)"


@dataclass(frozen=True)
class PairedComparison:
    """Model A against model B on one metric, over the prompts both answered."""

    model_a: str
    model_b: str
    metric: str                          # 'pass rate', 'latency (s)', ...
    test: str
    pairs: int                           # prompts in the comparison
    a_value: float | None                # A's pass rate or mean
    b_value: float | None
    difference: float | None             # A minus B
    ci_low: float | None = None          # 95% interval of the difference (bootstrap)
    ci_high: float | None = None
    p_value: float | None = None         # exact McNemar
    a_only: int | None = None            # discordant prompts: A passed and B failed
    b_only: int | None = None
    significant: bool = False
    prompts_needed: int | None = None    # for 80% power at 95%, if the observed difference were the true one
    prompts_still_needed: int | None = None
    verdict: str = ""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def mcnemar_exact_p(a_only: int, b_only: int) -> float:
    """Two-sided exact McNemar p-value from the discordant counts (1.0 when there are none)."""
    from scipy.stats import binomtest

    if a_only + b_only == 0:
        return 1.0
    return float(binomtest(a_only, a_only + b_only, 0.5).pvalue)


def mcnemar_prompts_needed(n: int, a_only: int, b_only: int) -> int | None:
    """Prompts for 80% power at 95% (Connor 1987), from observed discordance; None without a difference."""
    if n == 0 or a_only == b_only:
        return None
    p_disc = (a_only + b_only) / n
    delta = abs(a_only - b_only) / n
    inner = max(p_disc - delta ** 2, 0.0)
    return math.ceil((Z_ALPHA * math.sqrt(p_disc) + Z_BETA * math.sqrt(inner)) ** 2 / delta ** 2)


def mean_prompts_needed(differences: np.ndarray) -> int | None:
    """Prompts for 80% power at 95% to detect the observed mean difference (None when it is 0)."""
    if len(differences) < 2:
        return None
    mean, sd = float(np.mean(differences)), float(np.std(differences, ddof=1))
    if mean == 0:
        return None
    if sd == 0:
        return 2  # every prompt differs by the same amount: two prompts already show it
    return max(2, math.ceil(((Z_ALPHA + Z_BETA) * sd / mean) ** 2))


def paired_bootstrap_interval(differences: Sequence[float], samples: int = BOOTSTRAP_SAMPLES,
                              seed: int = 0) -> tuple[float, float]:
    """95% percentile interval of the mean of paired differences, resampling prompts."""
    d = np.asarray(differences, dtype=float)
    rng = np.random.default_rng(seed)
    means = d[rng.integers(0, len(d), size=(samples, len(d)))].mean(axis=1)
    low, high = np.percentile(means, [2.5, 97.5])
    return float(low), float(high)


def _conclusion(significant: bool, needed: int | None, still: int | None) -> str:
    if significant:
        return "the difference is real at 95%"
    if needed is None:
        return "not shown at 95%"
    if still == 0:  # the power approximation is met but the test is not: a borderline difference
        return (f"not shown at 95%, although about {needed} prompts would usually detect a difference this size "
                "with 80% power: it may be smaller than it looks")
    return (f"not shown at 95%; about {needed} prompts (another {still}) would detect a difference this size "
            "with 80% power")


def _still(needed: int | None, have: int, significant: bool) -> int | None:
    if significant:
        return 0
    return None if needed is None else max(0, needed - have)


def compare_pass_fail(model_a: str, model_b: str, a: Sequence[bool], b: Sequence[bool],
                      names: tuple[str, str] | None = None) -> PairedComparison:
    """Exact McNemar on paired pass/fail outcomes (a[i] and b[i] are the same prompt); `names`
    are the display names the verdict uses (default: the model ids)."""
    name_a, name_b = names or (model_a, model_b)
    n = len(a)
    a_only = sum(1 for x, y in zip(a, b) if x and not y)
    b_only = sum(1 for x, y in zip(a, b) if y and not x)
    p = mcnemar_exact_p(a_only, b_only)
    rate_a = sum(map(bool, a)) / n if n else None
    rate_b = sum(map(bool, b)) / n if n else None
    significant = n > 0 and p < ALPHA
    needed = mcnemar_prompts_needed(n, a_only, b_only)
    still = _still(needed, n, significant)
    if n == 0:
        verdict = "no prompt was checked on both models: nothing to compare"
    elif a_only == b_only:
        verdict = (f"no difference in pass rate on {n} prompts ({a_only} vs {b_only} discordant); "
                   f"p = {p:.3g}")
    else:
        better, worse = (name_a, name_b) if a_only > b_only else (name_b, name_a)
        head = f"{better} passes more prompts than {worse} ({max(a_only, b_only)} vs {min(a_only, b_only)} discordant, p = {p:.3g}): "
        verdict = head + _conclusion(significant, needed, still)
    return PairedComparison(
        model_a=model_a, model_b=model_b, metric="pass rate", test=MCNEMAR, pairs=n, a_value=rate_a,
        b_value=rate_b, difference=None if n == 0 else rate_a - rate_b, p_value=p, a_only=a_only, b_only=b_only,
        significant=significant, prompts_needed=needed, prompts_still_needed=still, verdict=verdict,
    )


def compare_values(model_a: str, model_b: str, a: Sequence[float], b: Sequence[float], metric: str,
                   unit: str = "", lower_is_better: bool = False, seed: int = 0,
                   names: tuple[str, str] | None = None) -> PairedComparison:
    """Paired bootstrap on graded scores or latencies (a[i] and b[i] are the same prompt)."""
    name_a, name_b = names or (model_a, model_b)
    x, y = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    n = len(x)
    if n < 2:
        return PairedComparison(model_a=model_a, model_b=model_b, metric=metric, test=BOOTSTRAP, pairs=n,
                                a_value=float(x.mean()) if n else None, b_value=float(y.mean()) if n else None,
                                difference=float((x - y).mean()) if n else None,
                                verdict=f"{n} prompt(s) answered by both: too few to compare {metric}")
    d = x - y
    low, high = paired_bootstrap_interval(d, seed=seed)
    diff = float(d.mean())
    significant = low > 0 or high < 0
    needed = mean_prompts_needed(d)
    still = _still(needed, n, significant)
    interval = f"{name_a} − {name_b} = {diff:+.3g}{unit} (95% interval {low:+.3g} to {high:+.3g}{unit}, {n} prompts)"
    if diff == 0:
        verdict = f"{metric}: no difference; {interval}"
    else:
        a_better = (diff < 0) if lower_is_better else (diff > 0)
        better, worse = (name_a, name_b) if a_better else (name_b, name_a)
        word = "lower" if lower_is_better else "higher"
        head = f"{better} has {word} {metric} than {worse}: {interval}; "
        verdict = head + _conclusion(significant, needed, still)
    return PairedComparison(
        model_a=model_a, model_b=model_b, metric=metric, test=BOOTSTRAP, pairs=n, a_value=float(x.mean()),
        b_value=float(y.mean()), difference=diff, ci_low=low, ci_high=high, significant=significant,
        prompts_needed=needed, prompts_still_needed=still, verdict=verdict,
    )
