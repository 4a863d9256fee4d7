"""Figure builders: the right traces, non-dominated frontier points, unknown figures left out (never 0)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from catalogue_samples import bench
from selector import charts
from selector.charts import Point, pareto_frontier
from selector.catalogue import BenchmarkScore
from selector.costs import SelfHostAssumptions, Traffic, break_even_requests_per_day
from test_costs import GPT_4O, LLAMA_70B, make_model


def scored(model_id: str, price: float | None, score: float | None, open_weights: bool = False, **extra):
    benchmarks = {"mmlu": BenchmarkScore(**bench("mmlu", score))} if score is not None else {}
    priced = dict(input_usd_per_mtok=price, output_usd_per_mtok=price, price_source="https://example.test")
    if price is None:
        priced = dict(input_usd_per_mtok=None, output_usd_per_mtok=None, price_source=None)
    return make_model(id=model_id, name=model_id.upper(), open_weights=open_weights, benchmarks=benchmarks,
                      **priced, **extra)


def dominated(point: Point, others: list[Point]) -> bool:
    return any(
        o.cost <= point.cost and o.score >= point.score and (o.cost < point.cost or o.score > point.score)
        for o in others
    )


def test_pareto_frontier_by_hand():
    points = [Point("a", 1, 50), Point("b", 2, 70), Point("c", 3, 60), Point("d", 4, 90), Point("e", 1, 40)]
    assert [p.model_id for p in pareto_frontier(points)] == ["a", "b", "d"]


@given(st.lists(st.tuples(st.floats(0.001, 1000), st.floats(0, 100)), min_size=1, max_size=40))
def test_frontier_points_are_exactly_the_non_dominated_ones(pairs):
    points = [Point(f"m{i}", cost, score) for i, (cost, score) in enumerate(pairs)]
    frontier = pareto_frontier(points)
    assert all(not dominated(p, points) for p in frontier)
    # every non-dominated point is on the frontier, up to exact duplicates of cost and score
    on = {(p.cost, p.score) for p in frontier}
    assert all((p.cost, p.score) in on for p in points if not dominated(p, points))


def test_price_quality_leaves_out_unknowns_and_draws_the_frontier():
    models = [
        scored("cheap", 0.1, 60),
        scored("mid", 1.0, 80),
        scored("dear-worse", 5.0, 70),  # dominated by "mid"
        scored("top", 10.0, 90),
        scored("no-score", 0.5, None),
        scored("no-price", None, 95),
    ]
    fig = charts.price_quality_figure(models, Traffic(), "mmlu")
    excluded = fig.layout.meta["excluded"]
    assert set(excluded) == {"no-score", "no-price"}
    assert "2 models left out" in fig.layout.title.text
    plotted = [name for trace in fig.data for name in trace.text]
    assert "NO-SCORE" not in plotted and "NO-PRICE" not in plotted
    frontier = next(t for t in fig.data if t.name.startswith("Pareto"))
    assert list(frontier.text) == ["CHEAP", "MID", "TOP"]
    assert "DEAR-WORSE" in plotted
    assert all(y > 0 for trace in fig.data for y in trace.y)
    # x is USD per 1,000 requests at the traffic: 1,200 tokens x $1/1M x 1,000 = $1.20 for "mid"
    assert list(frontier.x)[1] == pytest.approx(1.2)


def test_price_quality_rejects_an_unknown_benchmark():
    with pytest.raises(ValueError, match="unknown benchmark"):
        charts.price_quality_figure([GPT_4O], Traffic(), "elo")


def test_monthly_cost_bars_api_and_self_hosted():
    unpriced_closed = scored("secret", None, None)
    fig = charts.monthly_cost_figure([GPT_4O, LLAMA_70B, unpriced_closed], Traffic(requests_per_day=1000))
    api, host = fig.data
    assert list(api.x) == ["GPT-4o", "Llama 70B"] and list(api.y) == pytest.approx([136.8, 0.00072 * 1000 * 30.4])
    assert list(host.x) == ["Llama 70B"] and list(host.y) == pytest.approx([3648])
    assert fig.layout.meta["excluded"] == {"secret": "no public API price"}
    assert fig.layout.yaxis.type != "log"
    assert charts.monthly_cost_figure([GPT_4O], Traffic(), log_scale=True).layout.yaxis.type == "log"
    assert "USD per month" in fig.layout.yaxis.title.text


def test_cost_against_volume_has_api_lines_steps_and_break_even_markers():
    traffic = Traffic()
    fig = charts.cost_vs_volume_figure([GPT_4O, LLAMA_70B], traffic, against=GPT_4O)
    names = [trace.name for trace in fig.data]
    assert "GPT-4o: API" in names and "Llama 70B: API" in names
    steps = next(t for t in fig.data if t.name == "Llama 70B: self-hosted")
    assert steps.line.shape == "hv"
    assert all(a <= b for a, b in zip(steps.y, steps.y[1:]))
    markers = {t.name.split(" at ")[0]: t for t in fig.data if t.name.startswith("break-even")}
    # The legend names each pair (labels beside the markers overlapped), with the volume.
    assert set(markers) == {"break-even: Llama 70B self-hosted = its own API",
                            "break-even: Llama 70B self-hosted = GPT-4o API"}
    vs_gpt = markers["break-even: Llama 70B self-hosted = GPT-4o API"]
    assert vs_gpt.showlegend and vs_gpt.mode == "markers"
    assert vs_gpt.name.endswith(f"at {vs_gpt.x[0]:,.0f}/day")
    assert vs_gpt.x[0] == pytest.approx(break_even_requests_per_day(LLAMA_70B, traffic, GPT_4O))
    assert vs_gpt.y[0] == pytest.approx(3648)  # the lines cross at one replica's monthly cost
    assert fig.layout.xaxis.type == "log" and "Requests per day" in fig.layout.xaxis.title.text


def test_cost_against_volume_without_break_even_draws_no_marker():
    cheap = make_model(id="cheap", name="Cheap", input_usd_per_mtok=0.01, output_usd_per_mtok=0.01)
    fig = charts.cost_vs_volume_figure([LLAMA_70B], Traffic(), SelfHostAssumptions(), against=cheap)
    assert not [t for t in fig.data if t.name.startswith("break-even: Llama 70B self-hosted = Cheap")]
    assert "Cheap: API" in [t.name for t in fig.data]  # the comparison API is drawn even when not selected


def test_cost_against_volume_excludes_models_with_nothing_to_draw():
    unknown_open = scored("mystery", None, None, open_weights=True, params_b=None)
    fig = charts.cost_vs_volume_figure([GPT_4O, unknown_open], Traffic())
    assert fig.layout.meta["excluded"] == {"mystery": "no public API price and unknown size"}
    assert not [t for t in fig.data if "MYSTERY" in t.name]


def test_context_price_leaves_out_unknowns():
    models = [GPT_4O, LLAMA_70B, scored("no-ctx", 1.0, None, context_tokens=None), scored("no-price", None, None)]
    fig = charts.context_price_figure(models)
    assert fig.layout.meta["excluded"] == {"no-ctx": "unknown context window", "no-price": "no public API price"}
    plotted = {name: (x, y) for trace in fig.data for name, x, y in zip(trace.customdata, trace.x, trace.y)}
    assert plotted == {"GPT-4o": (128_000, 10.0), "Llama 70B": (128_000, 0.6)}
    assert [label for trace in fig.data for label in trace.text] == [GPT_4O.id, LLAMA_70B.id]  # short labels
    assert fig.layout.xaxis.type == "log" and "tokens" in fig.layout.xaxis.title.text


def test_cost_axes_start_at_zero_and_labels_are_not_clipped():
    free = make_model(id="free", name="Free Local Model With A Long Name", input_usd_per_mtok=0.0,
                      output_usd_per_mtok=0.0, price_source="https://example.test")
    fig = charts.monthly_cost_figure([free], Traffic())
    assert fig.layout.yaxis.rangemode == "nonnegative" and list(fig.layout.yaxis.range) == [0, 1]  # not -1..1
    assert fig.layout.xaxis.automargin and all(t.cliponaxis is False for t in fig.data)
    priced = charts.monthly_cost_figure([GPT_4O], Traffic())
    assert priced.layout.yaxis.rangemode == "nonnegative" and priced.layout.yaxis.range is None
    quality = charts.price_quality_figure([scored("a", 1.0, 80), scored("b", 2.0, 85), scored("c", 4.0, 90)],
                                          Traffic(), "mmlu")
    frontier = next(t for t in quality.data if t.name.startswith("Pareto"))
    assert frontier.cliponaxis is False and len(set(frontier.textposition)) == 2  # alternating sides
