"""A report's facts rendered: JSON (the fact model's dump), Markdown and HTML (Jinja2 templates).

HTML escaping is the template engine's (autoescape on). Markdown has no such engine, so its
environment's `finalize` makes every printed value inert Markdown text (`md_text`): a description or
a model's answer can add no heading, link, image or HTML; `fence` shows multi-line text verbatim.
"""

from __future__ import annotations

import functools
import json
import re

from selector.errors import SelectorError
from selector.formatting import call_cost, known
from selector.recommendation import format_money
from selector.report.build import Report
from selector.answers import Answers
from selector.report.facts import CapabilityFacts, ComparisonFacts

FORMATS = ("html", "md", "json")
MIME_TYPES = {"html": "text/html", "md": "text/markdown", "json": "application/json", "pdf": "application/pdf"}
HTML_SECTIONS = (
    ("answers", "Your answers"), ("picks", "Ranked picks"), ("runner-up", "Runner-up"),
    ("changes", "What would change the answer"), ("unrated", "Not enough evidence"), ("costs", "Costs"),
    ("self-hosting", "Self-hosting"), ("live", "Live comparisons"), ("benchmark-statistics", "Benchmark statistics"),
    ("excluded", "Excluded models"), ("sources", "Sources"), ("assumptions", "Assumptions"), ("router", "Router config"),
)

_MD_SPECIAL = re.compile(r"([\\`*\[\]<|])")


class MarkdownBlock(str):
    """Markdown the template means to print as it is (a fenced block), not text to make inert."""


def md_text(value: object) -> str:
    """Any value as inert Markdown text on one line (no HTML, links, images or emphasis)."""
    if isinstance(value, MarkdownBlock):
        return value
    if value is None:
        return "—"
    return _MD_SPECIAL.sub(r"\\\1", " ".join(str(value).split()))


def fence(text: str | None, language: str = "text") -> MarkdownBlock:
    """Multi-line text verbatim, in a fence longer than any backtick run inside it."""
    text = (text or "").rstrip("\n")
    longest = max((len(m) for m in re.findall(r"`+", text)), default=0)
    mark = "`" * max(3, longest + 1)
    return MarkdownBlock(f"{mark}{language}\n{text}\n{mark}")


def number(value: float | None, spec: str = ",.0f", unit: str = "") -> str:
    return known(value, spec, unit)


def capability_text(estimate: CapabilityFacts | None) -> str:
    if estimate is None:
        return "unknown"
    return f"{estimate.point:.2f} ({estimate.low:.2f}-{estimate.high:.2f}, {estimate.basis})"


def comparison_result(c: ComparisonFacts) -> str:
    """A comparison's p-value or interval in a few characters."""
    if c.p_value is not None:
        return f"p = {c.p_value:.3g}"
    if c.ci_low is not None and c.difference is not None and c.ci_high is not None:
        return f"{c.difference:+.3g} ({c.ci_low:+.3g} to {c.ci_high:+.3g})"
    return "too few prompts"


def settings_text(settings: dict) -> str:
    return ", ".join(f"{k} {v}" for k, v in settings.items())


def answers_rows(a: Answers) -> list[tuple[str, str]]:
    """(question, answer) pairs in words, for both templates."""
    t, p = a.traffic, a.priorities
    return [
        ("Use cases", ", ".join(a.use_cases)),
        ("Open models priced by", a.offer_policy),
        ("Thinking effort", a.thinking_effort),
        ("Inputs", ", ".join(a.modalities)),
        ("Largest request", f"{a.context_tokens:,} tokens"),
        ("Languages", ", ".join(a.languages)),
        ("Deployment", a.deployment),
        ("Data must stay on premises", "yes" if a.data_must_stay_on_premises else "no"),
        ("Latency target (p95)", "none" if a.latency_p95_ms is None else f"{a.latency_p95_ms:,.0f} ms"),
        ("Traffic", f"{t.requests_per_day:,.0f} requests/day, {t.input_tokens:,} input + {t.output_tokens:,} output tokens"),
        ("Budget", "none" if a.budget_usd_per_month is None else f"{format_money(a.budget_usd_per_month)}/month"),
        ("Priorities (0-5)", f"quality {p.quality}, cost {p.cost}, latency {p.latency}"),
        ("Fine-tuning planned", "yes" if a.fine_tuning else "no"),
        ("Approved models", "any" if a.allow is None else ", ".join(a.allow)),
    ]


def _environment(markdown: bool):
    from jinja2 import Environment, PackageLoader, StrictUndefined  # only when a template is rendered, not for JSON

    env = Environment(
        loader=PackageLoader("selector.report", "templates"), autoescape=not markdown, undefined=StrictUndefined,
        trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True, extensions=["jinja2.ext.do"],
        finalize=md_text if markdown else (lambda value: "—" if value is None else value),
    )
    env.filters.update(money=format_money, num=number, call_cost=call_cost, capability=capability_text,
                       comparison=comparison_result, settings=settings_text, fence=fence)
    env.globals["answers_rows"] = answers_rows
    return env


@functools.cache
def _template(name: str):
    return _environment(markdown=name.endswith(".md.j2")).get_template(name)


def to_json(report: Report) -> str:
    """The fact model's dump: the one JSON shape (no Infinity or NaN: such numbers are null)."""
    return json.dumps(report.facts.model_dump(mode="json"), indent=2, ensure_ascii=False, allow_nan=False) + "\n"


def to_markdown(report: Report) -> str:
    return _template("report.md.j2").render(facts=report.facts)


def to_html(report: Report) -> str:
    from selector.report.charts import chart_divs

    return _template("report.html.j2").render(facts=report.facts, charts=chart_divs(report), sections=HTML_SECTIONS)


def render(report: Report, fmt: str) -> str:
    """The report in one of FORMATS."""
    writers = {"html": to_html, "md": to_markdown, "json": to_json}
    if fmt not in writers:
        raise SelectorError(f"report format must be one of {', '.join(FORMATS)} (got {fmt!r})")
    return writers[fmt](report)
