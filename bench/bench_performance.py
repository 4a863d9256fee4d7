"""How long latency estimates take for a 5,000-model synthetic catalogue (figures for `make bench`).

The engine's budget is 50 ms for everything it does per ranking, so the estimates must cost a few
microseconds a model. "cold" clears the memo first (the first ranking after new answers); "warm"
reuses it (the same answers again).
"""

from __future__ import annotations

import statistics
import time

from bench.bench_scoring import synthetic_catalogue
from selector.costs import Traffic
from selector.performance import (
    DEVICES,
    APIEstimator,
    DeviceEstimator,
    SelfHostedEstimator,
    clear_caches,
    device_fit,
    estimate_api,
    estimate_on_device,
    estimate_self_hosted,
)

MODELS = 5_000


def _estimate_all(models, traffic: Traffic) -> int:
    shown = 0
    phone = DEVICES["phone"]
    for model in models:
        if model.open_weights and model.params_b is not None:
            shown += estimate_self_hosted(model, traffic) is not None
            shown += estimate_on_device(model, phone, traffic) is not None
        else:
            shown += estimate_api(model, traffic) is not None
    return shown


def _estimate_all_held(models, traffic: Traffic) -> int:
    """The engine's way: one estimator of each kind per ranking, built inside the timed region."""
    self_hosted, api, phone = SelfHostedEstimator(traffic), APIEstimator(traffic), DeviceEstimator(DEVICES["phone"], traffic)
    shown = 0
    for model in models:
        if model.open_weights and model.params_b is not None:
            shown += self_hosted.estimate(model) is not None
            shown += phone.estimate(model) is not None
        else:
            shown += api.estimate(model) is not None
    return shown


def _time_ms(fn, rounds: int, clear: bool) -> list[float]:
    times = []
    for _ in range(rounds):
        if clear:
            clear_caches()
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return times


def run() -> dict:
    models = synthetic_catalogue(MODELS).models  # built outside the timed region
    traffic = Traffic(requests_per_day=5_000, input_tokens=2_000, output_tokens=300)
    _estimate_all(models, traffic)  # warm-up: imports, first allocations
    cold = _time_ms(lambda: _estimate_all(models, traffic), 7, clear=True)
    warm = _time_ms(lambda: _estimate_all(models, traffic), 7, clear=False)
    held = _time_ms(lambda: _estimate_all_held(models, traffic), 7, clear=False)
    phone, sized = DEVICES["phone"], [m for m in models if m.params_b is not None]
    fit = _time_ms(lambda: [device_fit(m, phone, 8_192) for m in sized], 7, clear=False)
    open_sized = sum(1 for m in models if m.open_weights and m.params_b is not None)
    return {
        "models": MODELS,
        "self_hosted_and_device_models": open_sized,
        "api_models": MODELS - open_sized,
        "estimate_all_cold_ms_median": round(statistics.median(cold), 2),
        "estimate_all_cold_ms_min": round(min(cold), 2),
        "estimate_all_warm_ms_median": round(statistics.median(warm), 2),
        "estimate_all_held_estimators_ms_median": round(statistics.median(held), 2),
        "device_fit_ms_median": round(statistics.median(fit), 2),
        "device_fit_models": len(sized),
        "us_per_model_cold": round(statistics.median(cold) * 1000 / MODELS, 2),
        "target_5000_ms": 50,
    }


if __name__ == "__main__":
    import json

    print(json.dumps(run(), indent=2))
