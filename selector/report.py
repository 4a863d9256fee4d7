"""The recommendation report: one set of facts, written as JSON, Markdown, HTML (report_html.py) or PDF.

prepare_report() gathers everything once (answers, picks, exclusions, costs, break-even, live runs,
sources, assumptions, a LiteLLM Router config); the writers only format it, so the formats agree.
No API key can reach a report: live-run settings pass through an allow-list, and every piece of
user or model text is scrubbed of anything shaped like a key or equal to a key in the environment.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from selector.catalogue import Model
from selector.costs import (
    DAYS_PER_MONTH,
    HOURS_PER_MONTH,
    SelfHostAssumptions,
    break_even_requests_per_day,
    estimate_self_hosting,
    monthly_cost_usd,
    request_cost_usd,
    sustained_break_even_requests_per_day,
)
from selector.errors import SelectorError
from selector.recommendation import CONSTRAINT_LABELS, Pick, Recommendation, format_money
from selector.rules import PART_LABELS

SCHEMA_VERSION = 1
FORMATS = ("html", "md", "json")
MIME_TYPES = {"html": "text/html", "md": "text/markdown", "json": "application/json", "pdf": "application/pdf"}
# Settings of a live run that a report may show; anything else (headers, keys, URLs) stays out.
RUN_SETTINGS_SHOWN = ("max_tokens", "temperature", "timeout_s", "a", "b")
RUN_RESULT_FIELDS = (
    "model", "litellm_model", "text", "ttft_s", "latency_s", "input_tokens", "output_tokens", "tokens_per_s",
    "cost_usd", "cost_source", "finish_reason", "error",
)
SELF_HOSTED_API_BASE = "http://YOUR-SERVER:8000/v1"
SELF_HOSTED_KEY_ENV = "SELF_HOSTED_LLM_API_KEY"
CHROMIUM_ENV = "SELECTOR_CHROMIUM"
CHROMIUM_CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "/usr/lib/chromium/chromium")


def scrub_text(text: str | None) -> str | None:
    """Text with key-shaped strings and the values of key-like environment variables replaced."""
    from selector.scrub import scrub

    return scrub(text)


@dataclass
class Report:
    """Everything a report says, as plain data (`data`), plus the models the HTML charts need."""

    data: dict[str, Any]
    recommendation: Recommendation
    models: list[Model] = field(default_factory=list)
    against: Model | None = None
    assumptions: SelfHostAssumptions = field(default_factory=SelfHostAssumptions)

    @property
    def top_name(self) -> str | None:
        picks = self.data["picks"]
        return picks[0]["name"] if picks else None


# --- gathering ---------------------------------------------------------------------------------


def _round(value: float | None, digits: int = 2) -> float | None:
    return None if value is None else round(value, digits)


def _pick_data(pick: Pick) -> dict[str, Any]:
    model = pick.model
    data = pick.to_dict()
    for name, part in pick.score_parts.items():
        data["score_parts"][name].update({"label": PART_LABELS[name], "note": part.note})
    data.update(
        provider=model.provider,
        open_weights=model.open_weights,
        license=model.license,
        context_tokens=model.context_tokens,
        litellm_id=model.litellm_id,
        price={
            "input_usd_per_mtok": model.input_usd_per_mtok,
            "output_usd_per_mtok": model.output_usd_per_mtok,
            "cached_input_usd_per_mtok": model.cached_input_usd_per_mtok,
            "source": model.price_source,
            "note": model.price_note,
        },
    )
    return data


def _top_api_model(picks: Sequence[Pick]) -> Model | None:
    """The best-ranked pick with a public API price: what self-hosting is weighed against."""
    return next((p.model for p in picks if p.model.has_api_price and not p.model.open_weights), None) or next(
        (p.model for p in picks if p.model.has_api_price), None
    )


def _costs(recommendation: Recommendation, a: SelfHostAssumptions) -> dict[str, Any]:
    traffic = recommendation.answers.traffic
    rows = []
    for pick in recommendation.picks:
        model = pick.model
        estimate = estimate_self_hosting(model, traffic, a) if model.open_weights else None
        rows.append({
            "id": model.id,
            "name": model.name,
            "basis": pick.cost_basis,
            "monthly_usd": _round(pick.monthly_cost_usd),
            "api_usd_per_request": _round(request_cost_usd(model, traffic), 6),
            "api_monthly_usd": _round(monthly_cost_usd(model, traffic)),
            "self_host_monthly_usd": _round(estimate.monthly_usd) if estimate else None,
            "self_host_gpus": estimate.total_gpus if estimate else None,
        })
    return {"traffic": traffic.model_dump(mode="json"), "days_per_month": DAYS_PER_MONTH, "rows": rows}


def _break_even(recommendation: Recommendation, a: SelfHostAssumptions, against: Model | None) -> dict[str, Any]:
    traffic = recommendation.answers.traffic
    open_picks = [p.model for p in recommendation.picks if p.model.open_weights]
    rows = []
    for model in open_picks:
        estimate = estimate_self_hosting(model, traffic, a)
        targets = {t.id: t for t in (model, against) if t is not None and t.has_api_price}
        if estimate is None:
            rows.append({"id": model.id, "name": model.name, "against_id": None, "against_name": None,
                         "requests_per_day": None, "sustained_requests_per_day": None,
                         "note": "size unknown: no self-hosting estimate"})
            continue
        if not targets:
            rows.append({"id": model.id, "name": model.name, "against_id": None, "against_name": None,
                         "requests_per_day": None, "sustained_requests_per_day": None,
                         "note": "no API price to compare with"})
        for target in targets.values():
            first = break_even_requests_per_day(model, traffic, target, a)
            sustained = sustained_break_even_requests_per_day(model, traffic, target, a)
            label = "its own API price" if target.id == model.id else f"{target.name} API"
            note = (
                f"self-hosting is cheaper than {label} from {first:,.0f} requests/day"
                if first is not None else f"self-hosting never beats {label} below the tool's volume ceiling"
            )
            rows.append({
                "id": model.id, "name": model.name, "against_id": target.id, "against_name": target.name,
                "requests_per_day": _round(first, 1), "sustained_requests_per_day": _round(sustained, 1),
                "note": note,
            })
    if not open_picks:
        note = "No pick has open weights, so self-hosting does not apply to this recommendation."
    else:
        note = (
            f"Self-hosting the open-weights picks on rented GPUs, against their own API price and against "
            f"{against.name if against else 'no API pick'}; the stated traffic is "
            f"{traffic.requests_per_day:,.0f} requests/day."
        )
    return {"relevant": bool(open_picks), "against_id": against.id if against else None, "note": note, "rows": rows}


def _run_data(run: dict[str, Any]) -> dict[str, Any]:
    settings = run.get("settings") or {}
    if isinstance(settings, str):
        try:
            settings = json.loads(settings)
        except ValueError:
            settings = {}
    results = run.get("results") or {}
    sides = []
    for side in sorted(results):
        result = results[side]
        row = {"side": side, **{name: result.get(name) for name in RUN_RESULT_FIELDS}}
        for name in ("model", "litellm_model", "text", "error"):
            row[name] = scrub_text(row[name])
        sides.append(row)
    return {
        "id": run.get("id"),
        "created_at": run.get("created_at"),
        "prompt": scrub_text(run.get("prompt")),
        "system": scrub_text(run.get("system")),
        "settings": {
            k: scrub_text(v) if isinstance(v, str) else v
            for k in RUN_SETTINGS_SHOWN
            if k in settings and isinstance(v := settings[k], (str, int, float, bool))
        },
        "blind": bool(run.get("blind")),
        "vote": run.get("vote"),
        "wall_s": run.get("wall_s"),
        "status": run.get("status"),
        "sides": sides,
    }


def benchmark_statistics(runs: Iterable[dict[str, Any]], history=None) -> list[dict[str, Any]]:
    """The paired comparisons (selector.stats) of the benchmark runs among `runs`, one entry per run.

    A run given without its rows (the store's get_run) is read again with get_benchmark.
    """
    from selector.benchmark import run_from_stored

    out = []
    for stored in runs:
        if stored.get("kind") != "benchmark":
            continue
        if "prompts" not in stored:
            if history is None:
                from selector.history import open_history

                history = open_history()
            stored = history.get_benchmark(stored["id"])
        run = run_from_stored(stored)
        out.append({
            "run_id": run.run_id, "source": scrub_text(run.source), "status": run.status,
            "prompts": len(run.rows), "models": [scrub_text(run.labels.get(m, m)) for m in run.models],
            "comparisons": [c.to_dict() | {"verdict": scrub_text(c.verdict), "model_a": scrub_text(c.model_a),
                                           "model_b": scrub_text(c.model_b)} for c in run.paired_comparisons()],
        })
    return out


def comparison_result(c: dict[str, Any]) -> str:
    """A comparison's p-value or interval in a few characters."""
    if c["p_value"] is not None:
        return f"p = {c['p_value']:.3g}"
    if c["ci_low"] is not None:
        return f"{c['difference']:+.3g} ({c['ci_low']:+.3g} to {c['ci_high']:+.3g})"
    return "too few prompts"


def benchmark_statistics_md(stats: list[dict[str, Any]]) -> list[str]:
    """The "Benchmark statistics" section in Markdown."""
    out = ["## Benchmark statistics", ""]
    if not stats:
        return out + ["No benchmark runs are included in this report.", ""]
    for run in stats:
        out += [f"### Benchmark run {run['run_id']}: {md_text(run['source'])} ({run['prompts']} prompts, "
                f"{md_text(', '.join(run['models']))})", ""]
        out += _md_table(
            ["Pair", "Metric", "Test", "p-value or 95% interval", "Real at 95%", "Prompts still needed", "Verdict"],
            [(f"{c['model_a']} vs {c['model_b']}", c["metric"], c["test"], comparison_result(c),
              "yes" if c["significant"] else "no",
              "—" if c["prompts_still_needed"] is None else c["prompts_still_needed"], c["verdict"])
             for c in run["comparisons"]],
        ) if run["comparisons"] else ["Nothing to compare: no prompt was answered by two models.", ""]
    return out


def router_config(recommendation: Recommendation) -> dict[str, Any] | None:
    """A LiteLLM Router config: the top pick with the runner-up as fallback; keys only as os.environ/ references."""
    picks = recommendation.picks[:2]
    if not picks:
        return None
    model_list = []
    for pick in picks:
        model = pick.model
        params: dict[str, Any]
        serving = pick.serving
        call_as = serving.call_as if serving is not None and serving.mode in ("api", "offer") else None
        if call_as is None and not model.open_weights:
            call_as = model.litellm_id
        if call_as is None and model.open_weights:
            params = {"model": f"openai/{model.id}", "api_base": SELF_HOSTED_API_BASE,
                      "api_key": f"os.environ/{SELF_HOSTED_KEY_ENV}"}
        elif call_as:
            params = {"model": call_as, "api_key": f"os.environ/{_key_env(call_as)}"}
            if call_as.startswith(("azure/", "azure_ai/")):
                params["api_base"] = "os.environ/AZURE_AI_API_BASE"
        else:
            params = {"model": f"{model.provider.lower().replace(' ', '_')}/{model.id}",
                      "api_key": f"os.environ/{model.provider.upper().replace(' ', '_')}_API_KEY"}
        model_list.append({"model_name": model.id, "litellm_params": params})
    config: dict[str, Any] = {"model_list": model_list}
    if len(picks) == 2:
        config["router_settings"] = {"fallbacks": [{picks[0].model.id: [picks[1].model.id]}], "num_retries": 2}
    return config


def _key_env(litellm_model: str) -> str:
    from selector.live import Target, provider_key_name

    return provider_key_name(Target(spec=litellm_model, label=litellm_model, litellm_model=litellm_model)) or "API_KEY"


def router_config_yaml(config: dict[str, Any] | None) -> str:
    if config is None:
        return ""
    names = [entry["model_name"] for entry in config["model_list"]]
    head = [
        "# LiteLLM Router / Proxy config: the top pick, with the runner-up as fallback.",
        "# Keys are read from the environment (os.environ/NAME); never write a key into this file.",
    ]
    if any(entry["litellm_params"].get("api_base") == SELF_HOSTED_API_BASE for entry in config["model_list"]):
        head.append(f"# Self-hosted: replace {SELF_HOSTED_API_BASE} with your OpenAI-compatible server (vLLM, llama.cpp,")
        head.append("# Ollama) and openai/<id> with openai/<the model name that server serves>.")
    head.append(f"# Python: Router(model_list=cfg['model_list'], **cfg.get('router_settings', {{}})); call model={names[0]!r}.")
    return "\n".join(head) + "\n" + yaml.safe_dump(config, sort_keys=False, default_flow_style=False)


def prepare_report(
    recommendation: Recommendation,
    runs: Iterable[dict[str, Any]] = (),
    assumptions: SelfHostAssumptions | None = None,
    generated_at: str | None = None,
) -> Report:
    """Gather every fact a report states, once, as data the writers format."""
    a = assumptions or SelfHostAssumptions()
    r = recommendation
    answers = r.answers.model_dump(mode="json")
    answers["description"] = scrub_text(answers["description"])
    models = [p.model for p in r.picks]
    against = _top_api_model(r.picks)
    used = models + ([against] if against is not None and against not in models else [])
    runner = r.runner_up
    config = router_config(r)
    data: dict[str, Any] = {
        "schema_version": SCHEMA_VERSION,
        "generated_at": generated_at or dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "answers": answers,
        "catalogue": {
            "path": r.catalogue_path, "as_of": r.as_of, "models": r.catalogue_models,
            "candidates": r.candidates, "excluded": len(r.excluded),
        },
        "binding": r.binding,
        "margin": r.margin,
        "warnings": list(r.warnings),
        "picks": [_pick_data(pick) for pick in r.picks],
        "unrated": [u.to_dict() for u in r.unrated],
        "what_would_change": [c.to_dict() for c in r.changes],
        "runner_up": (
            {"id": runner.model.id, "name": runner.model.name, "tradeoff": runner.tradeoff} if runner else None
        ),
        "excluded": [
            {
                "id": e.model.id, "name": e.model.name, "reasons": e.reasons,
                "constraints": [CONSTRAINT_LABELS.get(f.constraint, f.constraint) for f in e.failures],
            }
            for e in r.excluded
        ],
        "costs": _costs(r, a),
        "self_hosting": _break_even(r, a, against),
        "live_runs": [_run_data(run) for run in runs if run.get("kind") != "benchmark"],
        "benchmark_statistics": benchmark_statistics(runs),
        "sources": [
            {"id": m.id, "name": m.name, "price_source": m.price_source, "price_note": m.price_note,
             "sources": list(m.sources), "as_of": m.as_of.isoformat()}
            for m in used
        ],
        "assumptions": {
            "cost_month": f"{DAYS_PER_MONTH} days (365 / 12); GPUs billed {HOURS_PER_MONTH} hours a month when always on",
            "self_hosting": [
                {"name": name, "value": value, "description": text} for name, value, text in a.describe()
            ],
            "latency": [
                {"id": p.model.id, "p50_first_token_ms": p.latency.p50_ms, "p95_first_token_ms": p.latency.p95_ms,
                 "basis": p.latency.basis}
                for p in r.picks if p.latency is not None
            ],
            "unknowns": "A model without a public price has an unknown cost (never 0); it is scored as the most expensive.",
        },
        "router_config": {"yaml": router_config_yaml(config), "config": config},
    }
    return Report(data=data, recommendation=r, models=models, against=against, assumptions=a)


def load_runs(history, spec: str | Sequence[int] | None) -> list[dict[str, Any]]:
    """Live runs for a report: 'none', 'all' (every comparison), or run ids ('3,5' or a list)."""
    if spec is None:
        return []
    if isinstance(spec, str):
        text = spec.strip().lower()
        if text in ("", "none"):
            return []
        if text == "all":
            ids = sorted({row["run_id"] for row in history.query(kind="compare", limit=1_000_000)})
        else:
            parts = [part.strip() for part in text.split(",") if part.strip()]
            bad = [part for part in parts if not part.isdigit()]
            if bad or not parts:
                raise SelectorError(
                    f"--runs must be all, none or comma-separated run ids (got {spec!r})"
                )
            ids = [int(part) for part in parts]
    else:
        ids = list(spec)
    return [history.get_run(run_id) for run_id in dict.fromkeys(ids)]


# --- JSON and Markdown -------------------------------------------------------------------------


def to_json(report: Report) -> str:
    return json.dumps(report.data, indent=2, ensure_ascii=False) + "\n"


_MD_SPECIAL = re.compile(r"([\\`*\[\]<|])")


def md_text(text: object) -> str:
    """Free text made inert in Markdown (no HTML, links or emphasis), on one line."""
    return _MD_SPECIAL.sub(r"\\\1", " ".join(str(text).split()))


def md_block(text: str | None) -> list[str]:
    """Multi-line text (a prompt, a model's answer) in a fence longer than any backtick run inside it."""
    text = text or ""
    longest = max((len(m) for m in re.findall(r"`+", text)), default=0)
    fence = "`" * max(3, longest + 1)
    return [fence + "text", text, fence]


def _md_table(header: Sequence[str], rows: Iterable[Sequence[object]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    for row in rows:
        lines.append("| " + " | ".join(md_text("—" if v is None else v) for v in row) + " |")
    return lines + [""]


def _number(value: float | None, fmt: str = ",.0f", unit: str = "") -> str:
    return "unknown" if value is None else f"{value:{fmt}}{unit}"


def _money6(value: float | None) -> str:
    return "unknown" if value is None else f"${value:.6f}"


def capability_text(estimate: dict[str, Any] | None) -> str:
    if estimate is None:
        return "unknown"
    return f"{estimate['point']:.2f} ({estimate['low']:.2f}-{estimate['high']:.2f}, {estimate['basis']})"


def answers_rows(answers: dict[str, Any]) -> list[tuple[str, str]]:
    """(question, answer) pairs in words, shared by Markdown and HTML."""
    t = answers["traffic"]
    p = answers["priorities"]
    return [
        ("Use cases", ", ".join(answers["use_cases"])),
        ("Open models priced by", answers.get("offer_policy", "cheapest")),
        ("Thinking effort", answers.get("thinking_effort", "auto")),
        ("Inputs", ", ".join(answers["modalities"])),
        ("Largest request", f"{answers['context_tokens']:,} tokens"),
        ("Languages", ", ".join(answers["languages"])),
        ("Deployment", answers["deployment"]),
        ("Data must stay on premises", "yes" if answers["data_must_stay_on_premises"] else "no"),
        ("Latency target (p95)", "none" if answers["latency_p95_ms"] is None else f"{answers['latency_p95_ms']:,.0f} ms"),
        ("Traffic", f"{t['requests_per_day']:,.0f} requests/day, {t['input_tokens']:,} input + {t['output_tokens']:,} output tokens"),
        ("Budget", "none" if answers["budget_usd_per_month"] is None else f"{format_money(answers['budget_usd_per_month'])}/month"),
        ("Priorities (0-5)", f"quality {p['quality']}, cost {p['cost']}, latency {p['latency']}"),
        ("Fine-tuning planned", "yes" if answers["fine_tuning"] else "no"),
        ("Approved models", "any" if answers["allow"] is None else ", ".join(answers["allow"])),
    ]


def to_markdown(report: Report) -> str:
    """The report as Markdown: readable as plain text, tables for picks, costs and exclusions."""
    d = report.data
    a, cat = d["answers"], d["catalogue"]
    out = ["# Model recommendation report", ""]
    if a["description"]:
        out += [f"**System:** {md_text(a['description'])}", ""]
    out += [
        f"Generated {d['generated_at']} from catalogue {md_text(cat['path'])} (facts as of {cat['as_of']}): "
        f"{cat['models']} models, {cat['candidates']} meet every requirement, {cat['excluded']} excluded.",
        "",
    ]
    if d["picks"]:
        top = d["picks"][0]
        out += [f"**Top pick: {md_text(top['name'])}** (`{top['id']}`), score {top['score']:.2f} of 1, "
                f"{format_money(top['monthly_cost_usd'])}/month.", ""]
    if d["binding"]:
        out += [md_text(d["binding"]), ""]
    if d["margin"]:
        out += [md_text(d["margin"]), ""]
    out += [f"**Warning:** {md_text(w)}" for w in d["warnings"]] + ([""] if d["warnings"] else [])

    out += ["## Your answers", ""]
    out += _md_table(["Question", "Answer"], [("Description", a["description"] or "(none)"), *answers_rows(a)])

    out += ["## Ranked picks", ""]
    out += _md_table(
        ["Rank", "Model", "Provider", "Score", "Capability (95% interval)", "Monthly cost", "Cost basis", "Shuts down"],
        [(p["rank"], f"{p['name']} ({p['id']})", p["provider"], f"{p['score']:.2f}", capability_text(p["capability"]),
          format_money(p["monthly_cost_usd"]), p["cost_basis"], p["shutdown_date"] or "not announced") for p in d["picks"]],
    )
    for p in d["picks"]:
        out += [f"### {p['rank']}. {md_text(p['name'])}", ""]
        out += [f"- {md_text(reason)}" for reason in p["reasons"]] + [""]
        out += _md_table(
            ["Score part", "Value (0-1)", "Weight", "Share of score", "Basis"],
            [(s["label"], f"{s['score']:.2f}", f"{s['weight']:g}", f"{s['contribution']:.3f}", s["note"] or "")
             for s in p["score_parts"].values()],
        )
        if p["tradeoff"]:
            out += [f"Trade-off: {md_text(p['tradeoff'])}", ""]

    out += ["## Runner-up", ""]
    runner = d["runner_up"]
    out += [md_text(runner["tradeoff"]) if runner else "There is no runner-up: only one model qualifies.", ""]

    out += ["## What would change the answer", ""]
    changes = d["what_would_change"]
    out += [f"- {md_text(c['sentence'])}" for c in changes] or ["No single answer within its range changes the first pick."]
    out += [""]
    if d["unrated"]:
        out += ["## Not enough evidence to rank", ""]
        out += [f"- {md_text(u['name'])} (`{u['id']}`): {md_text(u['reason'])}" for u in d["unrated"]] + [""]

    out += [f"## Monthly cost at {d['costs']['traffic']['requests_per_day']:,.0f} requests/day", ""]
    out += _md_table(
        ["Model", "Recommended basis", "Monthly", "API monthly", "Self-hosted monthly", "Self-host GPUs"],
        [(r["name"], r["basis"], format_money(r["monthly_usd"]), format_money(r["api_monthly_usd"]),
          format_money(r["self_host_monthly_usd"]), r["self_host_gpus"]) for r in d["costs"]["rows"]],
    )

    sh = d["self_hosting"]
    out += ["## Self-hosting break-even", "", md_text(sh["note"]), ""]
    if sh["rows"]:
        out += _md_table(
            ["Open-weights model", "Against", "Break-even requests/day", "Cheaper at every volume from", "Note"],
            [(r["name"], r["against_name"], _number(r["requests_per_day"]), _number(r["sustained_requests_per_day"]),
              r["note"]) for r in sh["rows"]],
        )

    out += ["## Live comparisons", ""]
    if not d["live_runs"]:
        out += ["No live comparison runs are included in this report.", ""]
    for run in d["live_runs"]:
        vote = run["vote"] or "no vote"
        out += [f"### Run {run['id']} ({run['created_at']}), vote: {md_text(vote)}", "", "Prompt:", ""]
        out += md_block(run["prompt"]) + [""]
        for side in run["sides"]:
            metrics = (
                f"TTFT {_number(side['ttft_s'], '.2f', ' s')}, total {_number(side['latency_s'], '.2f', ' s')}, "
                f"{_number(side['output_tokens'], ',.0f')} output tokens, {_number(side['tokens_per_s'], '.1f', ' tok/s')}, "
                f"cost {_money6(side['cost_usd'])}"
            )
            out += [f"Side {side['side']}: {md_text(side['model'])} ({metrics})", ""]
            out += md_block(side["text"]) + [""]
            if side["error"]:
                out += [f"Error: {md_text(side['error'])}", ""]

    out += benchmark_statistics_md(d.get("benchmark_statistics", []))

    out += [f"## Excluded models ({len(d['excluded'])})", ""]
    out += _md_table(["Model", "Why"], [(f"{e['name']} ({e['id']})", "; ".join(e["reasons"])) for e in d["excluded"]])

    out += ["## Sources of the prices used", ""]
    out += _md_table(
        ["Model", "Price source", "Price note", "Facts as of"],
        [(s["name"], s["price_source"] or "no public price", s["price_note"] or "", s["as_of"]) for s in d["sources"]],
    )

    asm = d["assumptions"]
    out += ["## Assumptions", "", f"- Cost month: {md_text(asm['cost_month'])}.", f"- {md_text(asm['unknowns'])}", ""]
    out += ["Latency estimates (time to first token):", ""]
    out += _md_table(["Model", "Median ms", "p95 ms", "Basis"],
                     [(x["id"], f"{x['p50_first_token_ms']:,.0f}", f"{x['p95_first_token_ms']:,.0f}", x["basis"]) for x in asm["latency"]])
    out += ["Self-hosting assumptions:", ""]
    out += _md_table(["Assumption", "Value", "Meaning"], [(x["name"], x["value"], x["description"]) for x in asm["self_hosting"]])

    out += ["## LiteLLM Router configuration", ""]
    if d["router_config"]["yaml"]:
        out += ["```yaml", d["router_config"]["yaml"].rstrip(), "```", ""]
    else:
        out += ["No model qualifies, so there is nothing to route to.", ""]
    return "\n".join(out).rstrip() + "\n"


def to_html(report: Report) -> str:
    from selector.report_html import render_html

    return render_html(report)


def render(report: Report, fmt: str) -> str:
    """The report in one of FORMATS."""
    writers = {"html": to_html, "md": to_markdown, "json": to_json}
    if fmt not in writers:
        raise SelectorError(f"report format must be one of {', '.join(FORMATS)} (got {fmt!r})")
    return writers[fmt](report)


def report_file_name(report: Report, fmt: str) -> str:
    top = report.data["picks"][0]["id"] if report.data["picks"] else "no-pick"
    return f"model-report-{top}.{fmt}"


# --- PDF ---------------------------------------------------------------------------------------


def find_chromium() -> str | None:
    """A chromium executable to print with: $SELECTOR_CHROMIUM when set (an empty or missing path means none)."""
    if CHROMIUM_ENV in os.environ:
        path = os.environ[CHROMIUM_ENV].strip()
        return path if path and os.access(path, os.X_OK) else None
    for name in CHROMIUM_CANDIDATES:
        found = shutil.which(name) or (name if os.path.isabs(name) and os.access(name, os.X_OK) else None)
        if found:
            return found
    return None


def write_pdf(html: str, out: str | Path, chromium: str | None = None, timeout_s: float = 90) -> bool:
    """Print the HTML report to PDF with headless chromium; False when no chromium is available."""
    chromium = chromium or find_chromium()
    if chromium is None:
        return False
    out = Path(out).resolve()
    with tempfile.TemporaryDirectory(prefix="selector-pdf-") as tmp:
        page = Path(tmp) / "report.html"
        page.write_text(html, encoding="utf-8")
        command = [
            chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
            "--disable-background-networking", f"--user-data-dir={tmp}/profile", "--no-pdf-header-footer",
            "--virtual-time-budget=5000", f"--print-to-pdf={out}", page.as_uri(),
        ]
        try:
            done = subprocess.run(command, capture_output=True, timeout=timeout_s, check=False)
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise SelectorError(f"PDF: chromium {chromium} failed ({type(exc).__name__})") from None
    if done.returncode != 0 or not out.exists() or out.stat().st_size == 0:
        raise SelectorError(f"PDF: chromium {chromium} exited with code {done.returncode} and wrote no PDF")
    return True
