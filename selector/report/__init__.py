"""The recommendation report: one typed fact model (facts.py) built once (build.py), rendered by Jinja2
templates as HTML and Markdown and dumped as the JSON (render.py); PDF through chromium (pdf.py).

`python -m selector report` and `recommend --format json|md`, and the recommendation page's downloads, all go
through here, so every format states the same facts.
"""

from __future__ import annotations

from selector.report.build import Report, benchmark_statistics, load_runs, prepare_report
from selector.report.facts import SCHEMA_VERSION, ReportFacts
from selector.report.pdf import find_chromium, write_pdf
from selector.report.render import FORMATS, MIME_TYPES, md_text, render, to_html, to_json, to_markdown
from selector.report.router import SELF_HOSTED_API_BASE, router_config, router_config_yaml

__all__ = [
    "FORMATS", "MIME_TYPES", "SCHEMA_VERSION", "SELF_HOSTED_API_BASE", "Report", "ReportFacts", "benchmark_statistics",
    "find_chromium", "load_runs", "md_text", "prepare_report", "render", "router_config", "router_config_yaml",
    "to_html", "to_json", "to_markdown", "write_pdf",
]
