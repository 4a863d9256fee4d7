"""Gathering a report's facts, once, from the recommendation, the runs and the votes they carry.

No API key can reach a report: live-run settings pass through an allow-list, and every piece of user
or model text is scrubbed as the fact model is built (facts.UserText).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from selector.catalogue import Model
from selector.costs import (
    DAYS_PER_MONTH,
    HOURS_PER_MONTH,
    SelfHostAssumptions,
    break_even_requests_per_day,
    break_even_sentence,
    estimate_self_hosting,
    monthly_cost_usd,
    request_cost_usd,
    sustained_break_even_requests_per_day,
)
from selector.errors import SelectorError
from selector.recommendation import CONSTRAINT_LABELS, Pick, Recommendation
import selector.report.facts as f
from selector.report.router import router_facts
from selector.rules import PART_LABELS
from selector.scrub import scrub

# Settings of a live run that a report may show; anything else (headers, keys, URLs) stays out.
RUN_SETTINGS_SHOWN = ("max_tokens", "temperature", "timeout_s", "a", "b")


@dataclass
class Report:
    """A report's facts, plus what the HTML charts are drawn from (the picks' models, the assumptions)."""

    facts: f.ReportFacts
    recommendation: Recommendation
    against: Model | None = None
    assumptions: SelfHostAssumptions = field(default_factory=SelfHostAssumptions)

    @property
    def models(self) -> list[Model]:
        return [p.model for p in self.recommendation.picks]


def _round(value: float | None, digits: int = 2) -> float | None:
    return None if value is None else round(value, digits)


def _pick(pick: Pick) -> dict:
    model, latency, estimate, serving = pick.model, pick.latency, pick.capability, pick.serving
    return dict(
        rank=pick.rank, id=model.id, name=model.name, score=round(pick.score, 4),
        score_parts={
            name: dict(label=PART_LABELS[name], score=round(part.value, 4), weight=part.weight,
                                   contribution=round(part.contribution, 4), note=part.note)
            for name, part in pick.score_parts.items()
        },
        reasons=pick.reasons, monthly_cost_usd=_round(pick.monthly_cost_usd), cost_basis=pick.cost_basis,
        served_as=serving.mode if serving else None, offer=serving.offer_key if serving else None,
        latency_ms=None if latency is None else dict(
            p50_first_token=round(latency.p50_ms, 1), p95_first_token=round(latency.p95_ms, 1),
            p95_full_reply=_round(latency.reply_p95_ms, 1), thinking_effort=latency.effort, basis=latency.basis,
            low=round(latency.p50_ms, 1), high=round(latency.p95_ms, 1),
        ),
        capability=None if estimate is None else dict(
            point=round(estimate.point, 4), low=round(estimate.low, 4), high=round(estimate.high, 4),
            basis=estimate.basis, evidence=estimate.evidence,
        ),
        shutdown_date=model.shutdown_date.isoformat() if model.shutdown_date else None, tradeoff=pick.tradeoff,
        provider=model.provider, open_weights=model.open_weights, license=model.license,
        context_tokens=model.context_tokens, litellm_id=model.litellm_id,
        price=dict(
            input_usd_per_mtok=model.input_usd_per_mtok, output_usd_per_mtok=model.output_usd_per_mtok,
            cached_input_usd_per_mtok=model.cached_input_usd_per_mtok, source=model.price_source,
            note=model.price_note,
        ),
    )


def _top_api_model(picks: Sequence[Pick]) -> Model | None:
    """The best-ranked pick with a public API price: what self-hosting is weighed against."""
    return next((p.model for p in picks if p.model.has_api_price and not p.model.open_weights), None) or next(
        (p.model for p in picks if p.model.has_api_price), None
    )


def _costs(recommendation: Recommendation, a: SelfHostAssumptions) -> dict:
    traffic = recommendation.answers.traffic
    rows = []
    for pick in recommendation.picks:
        model = pick.model
        estimate = estimate_self_hosting(model, traffic, a) if model.open_weights else None
        rows.append(dict(
            id=model.id, name=model.name, basis=pick.cost_basis, monthly_usd=_round(pick.monthly_cost_usd),
            api_usd_per_request=_round(request_cost_usd(model, traffic), 6),
            api_monthly_usd=_round(monthly_cost_usd(model, traffic)),
            self_host_monthly_usd=_round(estimate.monthly_usd) if estimate else None,
            self_host_gpus=estimate.total_gpus if estimate else None,
        ))
    return dict(traffic=traffic, days_per_month=DAYS_PER_MONTH, rows=rows)


def _break_even_rows(model: Model, against: Model | None, r: Recommendation, a: SelfHostAssumptions) -> list[dict]:
    """One open-weights pick against its own API price and the top API pick: from which volume it pays off."""
    traffic = r.answers.traffic
    none = {"against_id": None, "against_name": None, "requests_per_day": None, "sustained_requests_per_day": None}
    if estimate_self_hosting(model, traffic, a) is None:
        return [dict(id=model.id, name=model.name, note="size unknown: no self-hosting estimate", **none)]
    targets = {t.id: t for t in (model, against) if t is not None and t.has_api_price}
    if not targets:
        return [dict(id=model.id, name=model.name, note="no API price to compare with", **none)]
    rows = []
    for target in targets.values():
        first = break_even_requests_per_day(model, traffic, target, a)
        sustained = sustained_break_even_requests_per_day(model, traffic, target, a)
        note = break_even_sentence(model, traffic, target, a)  # the costs page's words
        rows.append(dict(
            id=model.id, name=model.name, against_id=target.id, against_name=target.name,
            requests_per_day=_round(first, 1), sustained_requests_per_day=_round(sustained, 1), note=note,
        ))
    return rows


def _self_hosting(r: Recommendation, a: SelfHostAssumptions, against: Model | None) -> dict:
    open_picks = [p.model for p in r.picks if p.model.open_weights]
    if not open_picks:
        note = "No pick has open weights, so self-hosting does not apply to this recommendation."
    else:
        note = (
            f"Self-hosting the open-weights picks on rented GPUs, against their own API price and against "
            f"{against.name if against else 'no API pick'}; the stated traffic is "
            f"{r.answers.traffic.requests_per_day:,.0f} requests/day."
        )
    rows = [row for model in open_picks for row in _break_even_rows(model, against, r, a)]
    return dict(relevant=bool(open_picks), against_id=against.id if against else None, note=note, rows=rows)


def _run(run: dict[str, Any]) -> dict:
    """A stored live comparison as facts: allow-listed settings, scrubbed text (see facts.UserText)."""
    settings = run.get("settings") or {}
    if isinstance(settings, str):
        try:
            settings = json.loads(settings)
        except ValueError:
            settings = {}
    results = run.get("results") or {}
    sides = [dict(side=side, **{name: results[side].get(name) for name in f.RunSide.model_fields if name != "side"})
             for side in sorted(results)]
    return dict(
        id=run.get("id"), created_at=run.get("created_at"), prompt=run.get("prompt"), system=run.get("system"),
        settings={k: v for k in RUN_SETTINGS_SHOWN
                  if k in settings and isinstance(v := settings[k], (str, int, float, bool))},
        blind=bool(run.get("blind")), vote=run.get("vote"), wall_s=run.get("wall_s"), status=run.get("status"),
        sides=sides,
    )


def benchmark_statistics(runs: Iterable[dict[str, Any]], history=None) -> list[dict]:
    """The paired comparisons (selector.stats) of the benchmark runs among `runs`, one entry per run.

    A run given without its rows (the store's get_run) is read again with get_benchmark.
    """
    out = []
    for stored in runs:
        if stored.get("kind") != "benchmark":
            continue
        from selector.benchmark import run_from_stored

        if "prompts" not in stored:
            if history is None:
                from selector.history import open_history

                history = open_history()
            stored = history.get_benchmark(stored["id"])
        run = run_from_stored(stored)
        out.append(dict(
            run_id=run.run_id, source=run.source, status=run.status, prompts=len(run.rows),
            models=[run.labels.get(m, m) for m in run.models],
            comparisons=[c.to_dict() for c in run.paired_comparisons()],
        ))
    return out


def _sources(models: Iterable[Model]) -> list[dict]:
    return [dict(id=m.id, name=m.name, price_source=m.price_source, price_note=m.price_note,
                          sources=list(m.sources), as_of=m.as_of.isoformat()) for m in models]


def _assumptions(r: Recommendation, a: SelfHostAssumptions) -> dict:
    return dict(
        cost_month=f"{DAYS_PER_MONTH} days (365 / 12); GPUs billed {HOURS_PER_MONTH} hours a month when always on",
        self_hosting=[dict(name=name, value=value, description=text) for name, value, text in a.describe()],
        latency=[dict(id=p.model.id, p50_first_token_ms=p.latency.p50_ms,
                                     p95_first_token_ms=p.latency.p95_ms, basis=p.latency.basis)
                 for p in r.picks if p.latency is not None],
        unknowns="A model without a public price has an unknown cost (never 0); it is scored as the most expensive.",
    )


def _choice(r: Recommendation) -> dict[str, Any]:
    """The facts of the choice itself: picks, runner-up, unrated, what would change, exclusions."""
    runner = r.runner_up
    return {
        "binding": r.binding, "margin": r.margin, "warnings": list(r.warnings),
        "recommendations": [_pick(pick) for pick in r.picks],
        "runner_up": dict(id=runner.model.id, name=runner.model.name, tradeoff=runner.tradeoff) if runner else None,
        "unrated": [dict(id=u.model.id, name=u.model.name, reason=u.advice, cost_basis=u.cost_basis,
                                   monthly_cost_usd=_round(u.monthly_cost_usd)) for u in r.unrated],
        "what_would_change": [c.to_dict() for c in r.changes],
        "excluded": [dict(id=e.model.id, name=e.model.name, reasons=e.reasons,
                                     constraints=[CONSTRAINT_LABELS.get(x.constraint, x.constraint) for x in e.failures])
                     for e in r.excluded],
    }


def prepare_report(
    recommendation: Recommendation,
    runs: Iterable[dict[str, Any]] = (),
    assumptions: SelfHostAssumptions | None = None,
    generated_at: str | None = None,
) -> Report:
    """Gather every fact a report states, once, into the fact model the templates and the JSON share.

    The helpers gather plain values; ReportFacts.model_validate checks them all at once (unknown or
    missing fields, non-finite numbers to null, user text scrubbed).
    """
    a = assumptions or SelfHostAssumptions()
    r = recommendation
    runs = list(runs)
    models = [p.model for p in r.picks]
    against = _top_api_model(r.picks)
    facts = f.ReportFacts.model_validate(dict(
        generated_at=generated_at or dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        answers=r.answers.model_copy(update={"description": scrub(r.answers.description)}),
        catalogue=dict(path=r.catalogue_path, as_of=r.as_of, models=r.catalogue_models,
                                   candidates=r.candidates, excluded=len(r.excluded)),
        **_choice(r),
        costs=_costs(r, a),
        self_hosting=_self_hosting(r, a, against),
        live_runs=[_run(run) for run in runs if run.get("kind") != "benchmark"],
        benchmark_statistics=benchmark_statistics(runs),
        sources=_sources(models + ([against] if against is not None and against not in models else [])),
        assumptions=_assumptions(r, a),
        router_config=router_facts(r),
    ))
    return Report(facts=facts, recommendation=r, against=against, assumptions=a)


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
            if not parts or any(not part.isdigit() for part in parts):
                raise SelectorError(f"--runs must be all, none or comma-separated run ids (got {spec!r})")
            ids = [int(part) for part in parts]
    else:
        ids = list(spec)
    return [history.get_run(run_id) for run_id in dict.fromkeys(ids)]
