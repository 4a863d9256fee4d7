"""The HTML report's charts: plotly figures as divs, plotly.js inlined once (with the first) so the file works offline."""

from __future__ import annotations

import plotly.graph_objects as go
from markupsafe import Markup

from selector import charts
from selector.report.build import Report
from selector.report.facts import PickFacts
from selector.rules import PART_LABELS

PLOTLY_CONFIG = {"displaylogo": False, "responsive": True}


def score_parts_figure(picks: list[PickFacts]) -> go.Figure:
    """Each pick's score as stacked shares of its parts (value x weight / total weight)."""
    fig = go.Figure()
    names = [p.name for p in picks]
    parts = list(picks[0].score_parts) if picks else []
    for i, part in enumerate(parts):
        label = PART_LABELS.get(part, part)
        fig.add_bar(
            name=label, x=names, y=[p.score_parts[part].contribution for p in picks],
            marker_color=charts.OKABE_ITO[i % len(charts.OKABE_ITO)],
            hovertemplate="%{x}<br>" + label + ": %{y:.3f}<extra></extra>",
        )
    fig.update_layout(
        barmode="stack", template=charts.TEMPLATE, title="Score of each pick, by part (share of the total score)",
        yaxis_title="score (0-1)", xaxis_title="Pick", legend={"orientation": "h", "yanchor": "top", "y": -0.2},
    )
    return fig


def _figures(report: Report) -> dict[str, go.Figure]:
    facts, models = report.facts, report.models
    if not facts.recommendations:
        return {}
    traffic = facts.costs.traffic
    against = report.against if facts.self_hosting.relevant else None
    return {
        "chart-score-parts": score_parts_figure(facts.recommendations),
        "chart-monthly-cost": charts.monthly_cost_figure(models, traffic, report.assumptions),
        "chart-cost-volume": charts.cost_vs_volume_figure(models, traffic, report.assumptions, against=against),
    }


def chart_divs(report: Report) -> dict[str, Markup]:
    """Each chart's div by id, as markup for the template (plotly writes it; its data is JSON-encoded)."""
    return {
        div_id: Markup(fig.to_html(full_html=False, include_plotlyjs=(i == 0), div_id=div_id,
                                   config=PLOTLY_CONFIG, default_height="440px"))
        for i, (div_id, fig) in enumerate(_figures(report).items())
    }
