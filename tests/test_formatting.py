"""The one way figures are shown: unknown is "unknown", never 0 or "None"; and the callable-model list."""

from __future__ import annotations

import math
from types import SimpleNamespace

import pytest

from selector.formatting import call_metrics_line, known, milliseconds, money, percent, seconds


@pytest.mark.parametrize(("shown", "expected"), [
    (money(1234.5), "$1,234.50"), (money(0.0001234, 6), "$0.000123"), (money(0.0), "$0.00"),
    (seconds(0.1234), "0.12 s"), (milliseconds(1234.4), "1,234 ms"),
    (percent(0.25), "25%"), (known(3, "d", " GPUs"), "3 GPUs"),
])
def test_known_figures_are_formatted(shown, expected):
    assert shown == expected


@pytest.mark.parametrize("formatter", [money, seconds, milliseconds, percent, known])
@pytest.mark.parametrize("value", [None, math.nan])
def test_an_unknown_figure_is_unknown(formatter, value):
    assert formatter(value) == "unknown"


def result(**overrides):
    fields = dict(ttft_s=0.25, latency_s=1.5, output_tokens=12, output_tokens_counted=False, tokens_per_s=8.0,
                  cost_usd=0.000123, cost_source="catalogue", finish_reason="stop")
    return SimpleNamespace(**(fields | overrides))


def test_the_one_side_metrics_line():
    assert call_metrics_line(result()) == ("first token 0.25 s · total 1.50 s · 12 output tokens · 8.0 tok/s · "
                                           "$0.000123 (catalogue prices) · finish: stop")
    unknown = call_metrics_line(result(ttft_s=None, output_tokens=None, tokens_per_s=None, cost_usd=None,
                                       finish_reason=None))
    assert unknown == ("first token unknown · total 1.50 s · unknown output tokens · unknown · cost unknown · "
                       "finish: unknown")
    assert "$0 (runs on this machine)" in call_metrics_line(result(cost_usd=0.0, cost_source="local"))
    assert "$" not in call_metrics_line(result(cost_usd=0.0, cost_source="local"), show_cost=False)  # blind mode


def test_the_callable_models_start_with_the_offline_pair_and_leave_out_retired_ones():
    from selector.live import callable_models, priced_models
    from selector.catalogue import load_catalogue
    from selector.live.servers import LOCAL_MODELS

    catalogue = load_catalogue()
    labels = callable_models(catalogue)
    assert list(labels)[:len(LOCAL_MODELS)] == list(LOCAL_MODELS)
    assert all(labels[alias].endswith("— offline") for alias in LOCAL_MODELS)
    assert all(not catalogue.by_id[i].is_retired and catalogue.by_id[i].litellm_id
               for i in labels if i not in LOCAL_MODELS)
    assert all(catalogue.by_id[i].has_api_price or i in LOCAL_MODELS for i in priced_models(catalogue))
