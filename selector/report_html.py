"""The report as one self-contained HTML file: offline, plotly.js inline once, printable, all text escaped."""

from __future__ import annotations

import html
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

import plotly.graph_objects as go

from selector import charts
from selector.recommendation import format_money
from selector.rules import PART_LABELS

if TYPE_CHECKING:
    from selector.report import Report

PLOTLY_CONFIG = {"displaylogo": False, "responsive": True}

CSS = """
:root { --ink: #1b1f24; --muted: #57606a; --line: #d0d7de; --accent: #0072B2; --soft: #f6f8fa; }
* { box-sizing: border-box; }
body { font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--ink);
       max-width: 1100px; margin: 0 auto; padding: 24px; }
h1 { font-size: 1.8em; margin-bottom: 0.2em; }
h2 { border-bottom: 2px solid var(--line); padding-bottom: 4px; margin-top: 2em; }
.meta, .muted { color: var(--muted); }
.summary { background: var(--soft); border-left: 4px solid var(--accent); padding: 12px 16px; }
.description { font-size: 1.1em; white-space: pre-wrap; }
table { border-collapse: collapse; width: 100%; margin: 8px 0 16px; }
th, td { border: 1px solid var(--line); padding: 4px 8px; text-align: left; vertical-align: top; }
th { background: var(--soft); }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
.pick { border: 1px solid var(--line); border-radius: 6px; padding: 4px 16px 8px; margin: 12px 0; }
pre { background: var(--soft); border: 1px solid var(--line); padding: 8px; white-space: pre-wrap;
      word-break: break-word; }
.chart { page-break-inside: avoid; break-inside: avoid; margin: 8px 0 24px; }
.runs .side { display: inline-block; vertical-align: top; width: 49%; }
nav a { margin-right: 12px; }
@media print {
  body { max-width: none; padding: 0; font-size: 11pt; }
  nav { display: none; }
  h2 { page-break-after: avoid; break-after: avoid; }
  .pick, table, pre { page-break-inside: avoid; break-inside: avoid; }
  a { color: inherit; text-decoration: none; }
  .modebar-container { display: none !important; }
}
"""


def esc(value: object) -> str:
    """Any text as inert HTML (quotes included, so it is safe inside attributes too)."""
    return html.escape("" if value is None else str(value), quote=True)


def _link(url: str | None) -> str:
    if not url:
        return '<span class="muted">no public price</span>'
    if url.startswith(("https://", "http://")):
        return f'<a href="{esc(url)}">{esc(url)}</a>'
    return esc(url)


def _table(header: Sequence[str], rows: Iterable[Sequence[object]], numeric: Sequence[int] = ()) -> str:
    head = "".join(f"<th>{esc(h)}</th>" for h in header)
    body = []
    for row in rows:
        cells = "".join(
            f'<td class="num">{esc(v)}</td>' if i in numeric else f"<td>{esc('—' if v is None else v)}</td>"
            for i, v in enumerate(row)
        )
        body.append(f"<tr>{cells}</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def _count(value: float | None, fmt: str = ",.0f", unit: str = "") -> str:
    return "unknown" if value is None else f"{value:{fmt}}{unit}"


def score_parts_figure(picks: Sequence[dict[str, Any]]) -> go.Figure:
    """Each pick's score as stacked shares of its parts (value x weight / total weight)."""
    fig = go.Figure()
    names = [p["name"] for p in picks]
    parts = list(picks[0]["score_parts"]) if picks else []
    for i, part in enumerate(parts):
        fig.add_bar(
            name=PART_LABELS.get(part, part), x=names,
            y=[p["score_parts"][part]["contribution"] for p in picks],
            marker_color=charts.OKABE_ITO[i % len(charts.OKABE_ITO)],
            hovertemplate="%{x}<br>" + PART_LABELS.get(part, part) + ": %{y:.3f}<extra></extra>",
        )
    fig.update_layout(
        barmode="stack", template=charts.TEMPLATE, title="Score of each pick, by part (share of the total score)",
        yaxis_title="score (0-1)", xaxis_title="Pick", legend={"orientation": "h", "yanchor": "top", "y": -0.2},
    )
    return fig


def _figures(report: Report) -> list[tuple[str, str, go.Figure]]:
    r = report.recommendation
    if not r.picks:
        return []
    traffic = r.answers.traffic
    figs = [("chart-score-parts", "Score parts", score_parts_figure(report.data["picks"]))]
    figs.append(("chart-monthly-cost", "Monthly cost",
                 charts.monthly_cost_figure(report.models, traffic, report.assumptions)))
    against = report.against if report.data["self_hosting"]["relevant"] else None
    figs.append(("chart-cost-volume", "Cost against volume",
                 charts.cost_vs_volume_figure(report.models, traffic, report.assumptions, against=against)))
    return figs


def _chart_html(figures: list[tuple[str, str, go.Figure]]) -> dict[str, str]:
    """Each figure's div; plotly.js is inlined with the first one only."""
    out = {}
    for i, (div_id, _, fig) in enumerate(figures):
        out[div_id] = fig.to_html(
            full_html=False, include_plotlyjs=(i == 0), div_id=div_id, config=PLOTLY_CONFIG,
            default_height="440px",
        )
    return out


def render_html(report: Report) -> str:
    d = report.data
    a, cat = d["answers"], d["catalogue"]
    from selector.report import answers_rows, capability_text

    figures = _figures(report)
    chart = _chart_html(figures)
    title = "Model recommendation" + (f": {a['description']}" if a["description"] else "")
    parts: list[str] = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f'<meta name="generator" content="model-selector report, schema {d["schema_version"]}">',
        f"<title>{esc(title)}</title>",
        f"<style>{CSS}</style>",
        "</head><body>",
        "<header>",
        "<h1>Model recommendation report</h1>",
    ]
    if a["description"]:
        parts.append(f'<p class="description"><strong>System:</strong> {esc(a["description"])}</p>')
    parts.append(
        f'<p class="meta">Generated {esc(d["generated_at"])} from catalogue {esc(cat["path"])} '
        f'(facts as of <strong>{esc(cat["as_of"])}</strong>): {cat["models"]} models, '
        f'{cat["candidates"]} meet every requirement, {cat["excluded"]} excluded.</p>'
    )
    parts.append("</header>")
    sections = [("answers", "Your answers"), ("picks", "Ranked picks"), ("runner-up", "Runner-up"),
                ("changes", "What would change the answer"), ("unrated", "Not enough evidence"),
                ("costs", "Costs"), ("self-hosting", "Self-hosting"), ("live", "Live comparisons"),
                ("benchmark-statistics", "Benchmark statistics"), ("excluded", "Excluded models"), ("sources", "Sources"), ("assumptions", "Assumptions"),
                ("router", "Router config")]
    parts.append("<nav>" + "".join(f'<a href="#{k}">{esc(v)}</a>' for k, v in sections) + "</nav>")

    picks = d["picks"]
    if picks:
        top = picks[0]
        runner = d["runner_up"]
        parts.append(
            f'<p class="summary">Top pick: <strong class="top-pick">{esc(top["name"])}</strong> '
            f'(<code>{esc(top["id"])}</code>, {esc(top["provider"])}), score {top["score"]:.2f} of 1, '
            f'about {esc(format_money(top["monthly_cost_usd"]))} per month.'
            + (f' Runner-up: <strong>{esc(runner["name"])}</strong>.' if runner else "")
            + "</p>"
        )
    if d["binding"]:
        parts.append(f'<p class="summary">{esc(d["binding"])}</p>')
    if d["margin"]:
        parts.append(f'<p class="summary">{esc(d["margin"])}</p>')
    parts += [f'<p class="summary warning"><strong>Warning:</strong> {esc(w)}</p>' for w in d["warnings"]]

    parts.append('<h2 id="answers">Your answers</h2>')
    parts.append(_table(["Question", "Answer"], [("Description", a["description"] or "(none)"), *answers_rows(a)]))

    parts.append('<h2 id="picks">Ranked picks</h2>')
    parts.append(_table(
        ["Rank", "Model", "Provider", "Score", "Capability (95% interval)", "Monthly cost", "Cost basis", "Shuts down"],
        [(p["rank"], f"{p['name']} ({p['id']})", p["provider"], f"{p['score']:.2f}", capability_text(p["capability"]),
          format_money(p["monthly_cost_usd"]), p["cost_basis"], p["shutdown_date"] or "not announced") for p in picks],
        numeric=(0, 3, 5),
    ))
    if "chart-score-parts" in chart:
        parts.append(f'<div class="chart">{chart["chart-score-parts"]}</div>')
    for p in picks:
        parts.append(f'<section class="pick" id="pick-{esc(p["id"])}">')
        parts.append(f'<h3>{p["rank"]}. {esc(p["name"])}</h3>')
        parts.append(f'<p class="muted"><code>{esc(p["id"])}</code> · {esc(p["provider"])} · '
                     f'{"open weights" if p["open_weights"] else "API only"} · licence {esc(p["license"])}</p>')
        parts.append("<ul>" + "".join(f"<li>{esc(reason)}</li>" for reason in p["reasons"]) + "</ul>")
        parts.append(_table(
            ["Score part", "Value (0-1)", "Weight", "Share of score", "Basis"],
            [(s["label"], f"{s['score']:.2f}", f"{s['weight']:g}", f"{s['contribution']:.3f}", s["note"] or "")
             for s in p["score_parts"].values()],
            numeric=(1, 2, 3),
        ))
        if p["tradeoff"]:
            parts.append(f"<p><strong>Trade-off:</strong> {esc(p['tradeoff'])}</p>")
        parts.append("</section>")

    parts.append('<h2 id="changes">What would change the answer</h2>')
    changes = d["what_would_change"]
    parts.append("<ul>" + "".join(f"<li>{esc(c['sentence'])}</li>" for c in changes) + "</ul>" if changes
                 else "<p>No single answer within its range changes the first pick.</p>")
    parts.append('<h2 id="unrated">Not enough evidence to rank</h2>')
    parts.append(_table(["Model", "Why it is not ranked"], [(f"{u['name']} ({u['id']})", u["reason"]) for u in d["unrated"]])
                 if d["unrated"] else "<p>Every qualifying model has evidence to rank it.</p>")
    parts.append('<h2 id="runner-up">Runner-up and what it trades off</h2>')
    runner = d["runner_up"]
    parts.append(f"<p>{esc(runner['tradeoff'])}</p>" if runner else "<p>There is no runner-up: only one model qualifies.</p>")

    costs = d["costs"]
    parts.append(f'<h2 id="costs">Monthly cost at {costs["traffic"]["requests_per_day"]:,.0f} requests/day</h2>')
    parts.append(_table(
        ["Model", "Recommended basis", "Monthly", "API monthly", "Self-hosted monthly", "Self-host GPUs"],
        [(r["name"], r["basis"], format_money(r["monthly_usd"]), format_money(r["api_monthly_usd"]),
          format_money(r["self_host_monthly_usd"]), "—" if r["self_host_gpus"] is None else r["self_host_gpus"])
         for r in costs["rows"]],
        numeric=(2, 3, 4, 5),
    ))
    if "chart-monthly-cost" in chart:
        parts.append(f'<div class="chart">{chart["chart-monthly-cost"]}</div>')

    sh = d["self_hosting"]
    parts.append('<h2 id="self-hosting">Self-hosting break-even</h2>')
    parts.append(f"<p>{esc(sh['note'])}</p>")
    if sh["rows"]:
        parts.append(_table(
            ["Open-weights model", "Against", "Break-even requests/day", "Cheaper at every volume from", "Note"],
            [(r["name"], r["against_name"], _count(r["requests_per_day"]), _count(r["sustained_requests_per_day"]),
              r["note"]) for r in sh["rows"]],
            numeric=(2, 3),
        ))
    if "chart-cost-volume" in chart:
        parts.append(f'<div class="chart">{chart["chart-cost-volume"]}</div>')

    parts.append('<h2 id="live">Live comparisons</h2>')
    if not d["live_runs"]:
        parts.append("<p>No live comparison runs are included in this report.</p>")
    parts.append('<div class="runs">')
    for run in d["live_runs"]:
        parts.append(f'<section class="run"><h3>Run {esc(run["id"])} · {esc(run["created_at"])} · '
                     f'vote: {esc(run["vote"] or "no vote")}</h3>')
        parts.append(f"<p><strong>Prompt</strong></p><pre>{esc(run['prompt'])}</pre>")
        if run["system"]:
            parts.append(f"<p><strong>System prompt</strong></p><pre>{esc(run['system'])}</pre>")
        if run["settings"]:
            parts.append('<p class="muted">' + esc(", ".join(f"{k} {v}" for k, v in run["settings"].items())) + "</p>")
        for side in run["sides"]:
            parts.append(f'<div class="side"><h4>Side {esc(side["side"])}: {esc(side["model"])}</h4>')
            parts.append(f"<pre>{esc(side['text'] or '(no text)')}</pre>")
            if side["error"]:
                parts.append(f"<p><strong>Error:</strong> {esc(side['error'])}</p>")
            parts.append(_table(
                ["TTFT", "Total", "Output tokens", "Speed", "Cost", "Finish"],
                [(_count(side["ttft_s"], ".2f", " s"), _count(side["latency_s"], ".2f", " s"),
                  _count(side["output_tokens"]), _count(side["tokens_per_s"], ".1f", " tok/s"),
                  "unknown" if side["cost_usd"] is None else f"${side['cost_usd']:.6f}", side["finish_reason"] or "unknown")],
            ))
            parts.append("</div>")
        parts.append("</section>")
    parts.append("</div>")

    parts.append(benchmark_statistics_html(d.get("benchmark_statistics", [])))

    parts.append(f'<h2 id="excluded">Excluded models ({len(d["excluded"])})</h2>')
    parts.append(_table(["Model", "Why"], [(f"{e['name']} ({e['id']})", "; ".join(e["reasons"])) for e in d["excluded"]])
                 if d["excluded"] else "<p>No model was excluded.</p>")

    parts.append('<h2 id="sources">Sources of the prices used</h2>')
    rows = "".join(
        f"<tr><td>{esc(s['name'])}</td><td>{_link(s['price_source'])}</td><td>{esc(s['price_note'] or '')}</td>"
        f"<td>{esc(s['as_of'])}</td></tr>"
        for s in d["sources"]
    )
    parts.append("<table><thead><tr><th>Model</th><th>Price source</th><th>Price note</th><th>Facts as of</th>"
                 f"</tr></thead><tbody>{rows}</tbody></table>")

    asm = d["assumptions"]
    parts.append('<h2 id="assumptions">Assumptions</h2>')
    parts.append(f"<ul><li>Cost month: {esc(asm['cost_month'])}.</li><li>{esc(asm['unknowns'])}</li></ul>")
    parts.append("<h3>Latency estimates (time to first token)</h3>")
    parts.append(_table(["Model", "Median ms", "p95 ms", "Basis"],
                        [(x["id"], f"{x['p50_first_token_ms']:,.0f}", f"{x['p95_first_token_ms']:,.0f}", x["basis"]) for x in asm["latency"]],
                        numeric=(1, 2)))
    parts.append("<h3>Self-hosting assumptions</h3>")
    parts.append(_table(["Assumption", "Value", "Meaning"],
                        [(x["name"], x["value"], x["description"]) for x in asm["self_hosting"]]))

    parts.append('<h2 id="router">LiteLLM Router configuration</h2>')
    if d["router_config"]["yaml"]:
        parts.append('<p>Save as <code>config.yaml</code>; keys come from the environment, never from the file.</p>')
        parts.append(f'<pre class="router-config"><code>{esc(d["router_config"]["yaml"])}</code></pre>')
    else:
        parts.append("<p>No model qualifies, so there is nothing to route to.</p>")
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"


def benchmark_statistics_html(stats: list[dict[str, Any]]) -> str:
    """The "Benchmark statistics" section: each included benchmark run's paired comparisons."""
    from selector.report import comparison_result

    parts = ['<h2 id="benchmark-statistics">Benchmark statistics</h2>']
    if not stats:
        parts.append("<p>No benchmark runs are included in this report.</p>")
    for run in stats:
        parts.append(f"<h3>Benchmark run {esc(run['run_id'])}: {esc(run['source'])} ({esc(run['prompts'])} prompts, "
                     f"{esc(', '.join(run['models']))})</h3>")
        parts.append(_table(
            ["Pair", "Metric", "Test", "p-value or 95% interval", "Real at 95%", "Prompts still needed", "Verdict"],
            [(f"{c['model_a']} vs {c['model_b']}", c["metric"], c["test"], comparison_result(c),
              "yes" if c["significant"] else "no", c["prompts_still_needed"], c["verdict"])
             for c in run["comparisons"]],
        ) if run["comparisons"] else "<p>Nothing to compare: no prompt was answered by two models.</p>")
    return "\n".join(parts)
