"""Plotly figure builders shared by the costs page and the report. No streamlit here.

Every builder leaves out models whose figure is unknown (never plotting them at 0), says how many
it left out in the title, and lists them in `fig.layout.meta["excluded"]` as {id: reason}.
Colours are the Okabe-Ito palette, which stays distinguishable with common colour-vision deficiencies;
open-weights and API-only models also differ by marker shape, so colour is never the only cue.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import NamedTuple

import plotly.graph_objects as go

from selector.catalogue import BENCHMARKS, Model
from selector.costs import (
    SelfHostAssumptions,
    Traffic,
    api_cost_curve,
    break_even_requests_per_day,
    estimate_self_hosting,
    monthly_cost_usd,
    request_cost_usd,
    self_host_cost_curve,
    volume_grid,
    with_requests_per_day,
)

# Okabe-Ito, with its black swapped for a mid grey: the app has a dark theme, where black lines vanish.
OKABE_ITO = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#8C8C8C"]
API_COLOUR = "#0072B2"
SELF_HOST_COLOUR = "#D55E00"
FRONTIER_COLOUR = "#E69F00"  # readable on light and dark backgrounds
OTHER_COLOUR = "#999999"
TEMPLATE = "plotly_white"


class Point(NamedTuple):
    """One model on a cost/quality plane: lower cost and higher score are better."""

    model_id: str
    cost: float
    score: float


def pareto_frontier(points: Iterable[Point]) -> list[Point]:
    """Points no other point beats on both cost (lower) and score (higher), sorted by cost."""
    ordered = sorted(points, key=lambda p: (p.cost, -p.score, p.model_id))
    frontier: list[Point] = []
    best = -math.inf
    for point in ordered:
        if point.score > best:
            frontier.append(point)
            best = point.score
    return frontier


def _title(text: str, excluded: dict[str, str]) -> str:
    if not excluded:
        return text
    shown = ", ".join(sorted(excluded)[:6]) + (", ..." if len(excluded) > 6 else "")
    noun = "model" if len(excluded) == 1 else "models"
    return f"{text}<br><sup>{len(excluded)} {noun} left out (figure unknown): {shown}</sup>"


def _finish(fig: go.Figure, title: str, excluded: dict[str, str], x_title: str, y_title: str) -> go.Figure:
    fig.update_layout(
        title=_title(title, excluded),
        template=TEMPLATE,
        xaxis_title=x_title,
        yaxis_title=y_title,
        meta={"excluded": excluded},
        legend={"orientation": "h", "yanchor": "top", "y": -0.25},
        margin={"t": 90},
    )
    # Long model names stay whole: axes make room for their labels, text beside markers is never clipped.
    fig.update_xaxes(automargin=True)
    fig.update_yaxes(automargin=True)
    fig.update_traces(cliponaxis=False, selector={"type": "scatter"})
    fig.update_traces(cliponaxis=False, selector={"type": "bar"})
    return fig


def _usd(value: float) -> str:
    if value >= 100:
        return f"${value:,.0f}"
    if value >= 1:
        return f"${value:,.2f}"
    return f"${value:.4g}"


def monthly_cost_figure(
    models: Sequence[Model],
    traffic: Traffic,
    assumptions: SelfHostAssumptions | None = None,
    log_scale: bool = False,
) -> go.Figure:
    """Monthly cost per model at `traffic`: API bars, plus self-hosted bars for open-weights models."""
    excluded: dict[str, str] = {}
    api_names, api_values, host_names, host_values = [], [], [], []
    for model in models:
        api = monthly_cost_usd(model, traffic)
        estimate = estimate_self_hosting(model, traffic, assumptions) if model.open_weights else None
        if api is not None:
            api_names.append(model.name)
            api_values.append(api)
        if estimate is not None:
            host_names.append(model.name)
            host_values.append(estimate.monthly_usd)
        if api is None and estimate is None:
            excluded[model.id] = "no public API price" + ("" if not model.open_weights else " and unknown size")
    fig = go.Figure()
    fig.add_bar(
        name="API (pay per token)",
        x=api_names,
        y=api_values,
        marker_color=API_COLOUR,
        text=[_usd(v) for v in api_values],
        hovertemplate="%{x}<br>API: $%{y:,.2f} per month<extra></extra>",
    )
    if host_values:
        fig.add_bar(
            name="Self-hosted on rented GPUs (estimate)",
            x=host_names,
            y=host_values,
            marker_color=SELF_HOST_COLOUR,
            marker_pattern_shape="/",
            text=[_usd(v) for v in host_values],
            hovertemplate="%{x}<br>self-hosted: $%{y:,.0f} per month<extra></extra>",
        )
    fig.update_layout(barmode="group")
    fig.update_traces(textposition="outside", selector={"type": "bar"})
    fig.update_xaxes(tickangle=-30)
    if log_scale:
        fig.update_yaxes(type="log")
    else:
        # A cost is never negative: without this an all-zero (local models) or empty chart spans -1 to 1 USD.
        fig.update_yaxes(rangemode="nonnegative", range=None if any(api_values + host_values) else [0, 1])
    title = f"Monthly cost at {traffic.requests_per_day:,.0f} requests/day"
    return _finish(fig, title, excluded, "Model", "USD per month" + (" (log scale)" if log_scale else ""))


def cost_vs_volume_figure(
    models: Sequence[Model],
    traffic: Traffic,
    assumptions: SelfHostAssumptions | None = None,
    against: Model | None = None,
    volumes: Sequence[float] | None = None,
) -> go.Figure:
    """Monthly cost against daily volume: API lines, self-hosting steps, break-even points marked."""
    volumes = list(volumes) if volumes is not None else volume_grid()
    excluded: dict[str, str] = {}
    fig = go.Figure()
    colours = iter(OKABE_ITO * 4)
    ids = {m.id for m in models}
    comparisons = list(models) + ([against] if against is not None and against.id not in ids else [])
    for model in comparisons:
        colour = next(colours)
        api = api_cost_curve(model, traffic, volumes)
        host = self_host_cost_curve(model, traffic, volumes, assumptions) if model.open_weights else None
        if api is None and host is None:
            excluded[model.id] = "no public API price" + (" and unknown size" if model.open_weights else "")
            continue
        if api is not None:
            fig.add_scatter(
                x=volumes, y=api, mode="lines", name=f"{model.name}: API", line={"color": colour, "width": 2},
                hovertemplate="%{x:,.0f} requests/day<br>$%{y:,.0f} per month<extra>" + model.name + " API</extra>",
            )
        if host is not None:
            fig.add_scatter(
                x=volumes, y=host, mode="lines", name=f"{model.name}: self-hosted",
                line={"color": colour, "width": 2, "dash": "dash", "shape": "hv"},
                hovertemplate="%{x:,.0f} requests/day<br>$%{y:,.0f} per month<extra>" + model.name + " self-hosted</extra>",
            )
            targets = {t.id: t for t in (model, against) if t is not None and t.has_api_price}
            for target in targets.values():
                volume = break_even_requests_per_day(model, traffic, target, assumptions)
                if volume is None:
                    continue
                cost = monthly_cost_usd(target, with_requests_per_day(traffic, volume))
                label = "its own API" if target.id == model.id else f"{target.name} API"
                # In the legend, naming the pair: labels beside the markers overlapped when two fell close.
                fig.add_scatter(
                    x=[volume], y=[cost], mode="markers",
                    name=f"break-even: {model.name} self-hosted = {label} at {volume:,.0f}/day",
                    marker={"symbol": "diamond", "size": 12, "color": colour, "line": {"color": "#8C8C8C", "width": 1}},
                    showlegend=True,
                    hovertemplate=(
                        f"self-hosting {model.name} beats {label} from %{{x:,.0f}} requests/day"
                        "<br>($%{y:,.0f} per month)<extra>break-even</extra>"
                    ),
                )
    fig.update_xaxes(type="log")
    fig.update_yaxes(type="log")
    return _finish(
        fig,
        "Monthly cost against daily volume (API lines, self-hosting steps, break-even marked)",
        excluded,
        "Requests per day (log scale)",
        "USD per month (log scale)",
    )


def price_quality_figure(models: Sequence[Model], traffic: Traffic, benchmark: str) -> go.Figure:
    """Cost per 1,000 requests against a benchmark score, with the Pareto frontier drawn and labelled."""
    if benchmark not in BENCHMARKS:
        raise ValueError(f"unknown benchmark {benchmark!r}; expected one of {', '.join(BENCHMARKS)}")
    excluded: dict[str, str] = {}
    points: list[Point] = []
    by_id = {}
    for model in models:
        cost = request_cost_usd(model, traffic)
        score = model.benchmarks.get(benchmark)
        if score is None:
            excluded[model.id] = f"no {benchmark} score"
        elif cost is None:
            excluded[model.id] = "no public API price"
        else:
            points.append(Point(model.id, cost * 1000, score.score))
            by_id[model.id] = model
    frontier = pareto_frontier(points)
    on_frontier = {p.model_id for p in frontier}
    fig = go.Figure()
    for open_weights, symbol, label in ((False, "circle", "API-only"), (True, "square", "open weights")):
        group = [p for p in points if by_id[p.model_id].open_weights == open_weights and p.model_id not in on_frontier]
        if group:
            fig.add_scatter(
                x=[p.cost for p in group], y=[p.score for p in group], mode="markers", name=f"{label}",
                marker={"symbol": symbol, "size": 10, "color": OTHER_COLOUR},
                text=[by_id[p.model_id].name for p in group],
                hovertemplate="%{text}<br>$%{x:.3g} per 1,000 requests<br>score %{y:.1f}<extra></extra>",
            )
    if frontier:
        fig.add_scatter(
            x=[p.cost for p in frontier], y=[p.score for p in frontier], mode="lines+markers+text",
            name="Pareto frontier (nothing cheaper scores higher)",
            line={"color": FRONTIER_COLOUR, "width": 2, "shape": "hv"},
            marker={
                "size": 12, "color": API_COLOUR,
                "symbol": ["square" if by_id[p.model_id].open_weights else "circle" for p in frontier],
            },
            text=[by_id[p.model_id].name for p in frontier],
            # alternate sides so neighbours on the frontier do not write over each other
            textposition=["top left" if i % 2 == 0 else "bottom right" for i in range(len(frontier))],
            hovertemplate="%{text}<br>$%{x:.3g} per 1,000 requests<br>score %{y:.1f}<extra>frontier</extra>",
        )
    fig.update_xaxes(type="log")
    return _finish(
        fig,
        f"Price against quality: {BENCHMARKS[benchmark]}",
        excluded,
        f"USD per 1,000 requests ({traffic.input_tokens:,} in / {traffic.output_tokens:,} out tokens; log scale)",
        BENCHMARKS[benchmark],
    )


def context_price_figure(models: Sequence[Model], label_limit: int = 20) -> go.Figure:
    """Context window against output price per 1M tokens (both log scale); names shown up to label_limit models."""
    excluded: dict[str, str] = {}
    groups: dict[bool, list[Model]] = {False: [], True: []}
    for model in models:
        if model.context_tokens is None:
            excluded[model.id] = "unknown context window"
        elif model.output_usd_per_mtok is None:
            excluded[model.id] = "no public API price"
        else:
            groups[model.open_weights].append(model)
    fig = go.Figure()
    for open_weights, symbol, colour, label in (
        (False, "circle", API_COLOUR, "API-only"),
        (True, "square", SELF_HOST_COLOUR, "open weights"),
    ):
        group = groups[open_weights]
        if group:
            fig.add_scatter(
                x=[m.context_tokens for m in group], y=[m.output_usd_per_mtok for m in group],
                mode="markers+text" if len(group) <= label_limit else "markers", name=label,
                # Short ids as labels, alternately above and below, so neighbours overlap less; full names on hover.
                text=[m.id for m in group], customdata=[m.name for m in group],
                textposition=["top center" if i % 2 == 0 else "bottom center" for i in range(len(group))],
                cliponaxis=False,
                marker={"symbol": symbol, "size": 10, "color": colour},
                hovertemplate="%{customdata}<br>%{x:,} tokens of context<br>$%{y:.3g} per 1M output tokens<extra></extra>",
            )
    fig.update_xaxes(type="log")
    fig.update_yaxes(type="log")
    return _finish(
        fig, "Context window against price", excluded,
        "Context window, tokens (log scale)", "USD per 1M output tokens (log scale)",
    )
