"""Plotly figures for benchmark runs: latency distribution per model, cost against quality."""

from __future__ import annotations

import plotly.graph_objects as go

from selector.benchmark import BenchmarkRun, ModelSummary


def latency_distribution(run: BenchmarkRun) -> go.Figure:
    """One box per model over its successful calls' total latency, every call shown as a point."""
    fig = go.Figure()
    for model in run.models:
        values = [r.latency_s for r in run.results if r.model == model and r.ok and r.latency_s is not None]
        fig.add_trace(go.Box(y=values, name=run.labels.get(model, model), boxpoints="all", jitter=0.4,
                             pointpos=0, hovertemplate="%{y:.2f} s<extra>%{fullData.name}</extra>"))
    fig.update_layout(title="Latency per call (successful calls)", yaxis_title="Total latency (s)",
                      showlegend=False, margin=dict(t=50, b=40, l=60, r=20))
    return fig


def cost_vs_quality(summaries: list[ModelSummary]) -> go.Figure:
    """Cost per request against quality; models with an unknown cost or quality are named, not plotted."""
    shown = [s for s in summaries if s.cost_per_request_usd is not None and s.quality is not None]
    left_out = [s.label for s in summaries if s not in shown]
    fig = go.Figure(go.Scatter(
        x=[s.cost_per_request_usd for s in shown], y=[s.quality for s in shown],
        text=[s.label for s in shown], mode="markers+text", textposition="top center",
        marker=dict(size=14), hovertemplate="%{text}<br>$%{x:.6f} per request<br>quality %{y:.0%}<extra></extra>",
    ))
    title = "Cost per request against quality"
    if left_out:
        title += f"<br><sup>not shown (cost or quality unknown): {', '.join(left_out)}</sup>"
    fig.update_layout(title=title, xaxis_title="Cost per request (USD)", yaxis_title="Quality (share passed)",
                      yaxis=dict(range=[-0.05, 1.1], tickformat=".0%"), margin=dict(t=70, b=40, l=60, r=20))
    return fig
