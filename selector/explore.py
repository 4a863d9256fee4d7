"""The catalogue explorer's logic: filters a buyer expects, the table, and side-by-side details.

Pages only gather widget values into a CatalogueFilter and render what these functions return.
Unknown values (None) never pass a filter that asks for a known value, except prices, where the
caller chooses (`keep_unknown_price`) because open-weight models often have no public API price.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Literal

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field

from selector.catalogue import BENCHMARKS, Catalogue, Modality, Model, Strength
from selector.formatting import UNKNOWN, known, number
from selector.offers import Offer, price_spread


class CatalogueFilter(BaseModel):
    """What to keep. Empty lists and None mean "no constraint"; list filters require ALL values."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    providers: list[str] = Field(default_factory=list, description="keep models of any of these providers")
    open_weights: Literal["any", "open", "closed"] = "any"
    min_context_tokens: int | None = Field(default=None, ge=0)
    max_input_usd_per_mtok: float | None = Field(default=None, ge=0)
    max_output_usd_per_mtok: float | None = Field(default=None, ge=0)
    keep_unknown_price: bool = Field(default=True, description="keep models without a public price")
    input_modalities: list[Modality] = Field(default_factory=list)
    strengths: list[Strength] = Field(default_factory=list)
    languages: list[str] = Field(default_factory=list)
    released_after: dt.date | None = None
    hide_retired: bool = True


def _within(price: float | None, limit: float | None, keep_unknown: bool) -> bool:
    if limit is None:
        return True
    if price is None:
        return keep_unknown
    return price <= limit


def matches(model: Model, flt: CatalogueFilter) -> bool:
    """Whether one model passes every constraint of the filter."""
    if flt.hide_retired and model.is_retired:
        return False
    if flt.providers and model.provider not in flt.providers:
        return False
    if flt.open_weights != "any" and model.open_weights != (flt.open_weights == "open"):
        return False
    if flt.min_context_tokens is not None and (
        model.context_tokens is None or model.context_tokens < flt.min_context_tokens
    ):
        return False
    if not _within(model.input_usd_per_mtok, flt.max_input_usd_per_mtok, flt.keep_unknown_price):
        return False
    if not _within(model.output_usd_per_mtok, flt.max_output_usd_per_mtok, flt.keep_unknown_price):
        return False
    if not set(flt.input_modalities) <= set(model.input_modalities):
        return False
    if not set(flt.strengths) <= set(model.strengths):
        return False
    if not set(flt.languages) <= set(model.languages):
        return False
    if flt.released_after is not None and (model.release_date is None or model.release_date <= flt.released_after):
        return False
    return True


def filter_models(catalogue: Catalogue, flt: CatalogueFilter) -> list[Model]:
    """The catalogue's models that pass the filter, in catalogue order."""
    return [model for model in catalogue.models if matches(model, flt)]


class FilterOptions(BaseModel):
    """The choices the explorer offers, drawn from the catalogue itself."""

    model_config = ConfigDict(frozen=True)

    providers: list[str]
    input_modalities: list[str]
    strengths: list[str]
    languages: list[str]
    max_context_tokens: int
    earliest_release: dt.date | None
    latest_release: dt.date | None


def filter_options(catalogue: Catalogue) -> FilterOptions:
    """Distinct providers, modalities, strengths and languages, and the ranges of context and dates."""
    models = catalogue.models
    dates = [m.release_date for m in models if m.release_date is not None]
    modality_order = ["text", "image", "audio", "video"]
    present_modalities = {mod for m in models for mod in m.input_modalities}
    return FilterOptions(
        providers=sorted({m.provider for m in models}, key=str.lower),
        input_modalities=[mod for mod in modality_order if mod in present_modalities],
        strengths=sorted({s for m in models for s in m.strengths}),
        languages=sorted({lang for m in models for lang in m.languages}),
        max_context_tokens=max((m.context_tokens or 0 for m in models), default=0),
        earliest_release=min(dates, default=None),
        latest_release=max(dates, default=None),
    )


# The explorer's columns, in order: fields of Model, except "source" (the first of its sources).
TABLE_COLUMNS = [
    "id", "name", "provider", "open_weights", "params_b", "active_params_b", "context_tokens",
    "max_output_tokens", "input_usd_per_mtok", "output_usd_per_mtok", "input_modalities",
    "output_modalities", "strengths", "languages", "release_date", "status", "source", "price_source",
]
assert set(TABLE_COLUMNS) - {"source"} <= set(Model.model_fields), "TABLE_COLUMNS names a field Model lacks"

# Headings of both tables' columns (the catalogue's and the offers'); a column without one shows its name.
COLUMN_LABELS = {
    "id": "Id", "name": "Model", "provider": "Provider", "open_weights": "Open weights", "params_b": "Params (B)",
    "active_params_b": "Active (B)", "context_tokens": "Context (tokens)", "max_output_tokens": "Max output (tokens)",
    "input_usd_per_mtok": "Input $/1M", "output_usd_per_mtok": "Output $/1M",
    "cached_input_usd_per_mtok": "Cached input $/1M", "input_modalities": "Input", "output_modalities": "Output",
    "strengths": "Strengths", "languages": "Languages", "release_date": "Released", "status": "Status",
    "source": "Source", "price_source": "Price source", "variant": "Variant", "reasoning": "Reasoning",
    "deprecation_date": "Deprecated on", "live": "Live", "litellm_model": "LiteLLM model",
}


def _plain(value):
    """A cell: sequences as lists (a list column), everything else as is (None stays missing)."""
    return list(value) if isinstance(value, (list, tuple)) else value


def _typed(table: pd.DataFrame) -> pd.DataFrame:
    """Nullable dtypes keep "unknown" visible as empty cells instead of NaN floats or 0."""
    for column in table.columns:
        if column.endswith("_tokens"):
            table[column] = table[column].astype("Int64")
        elif column.endswith(("_usd_per_mtok", "params_b")):
            table[column] = table[column].astype("Float64")
    return table


def catalogue_table(models: list[Model]) -> pd.DataFrame:
    """One row per model, raw values (None stays missing) for a sortable table."""
    rows = [{c: m.sources[0] if c == "source" else _plain(getattr(m, c)) for c in TABLE_COLUMNS} for m in models]
    return _typed(pd.DataFrame(rows, columns=TABLE_COLUMNS))


def _money(value: float | None) -> str:
    return known(value, ",.2f", " per 1M tokens", prefix="$")


def _listed(values: list[str]) -> str:
    return ", ".join(values) if values else "none listed"


def model_details(models: list[Model]) -> pd.DataFrame:
    """Every field of each model side by side: one row per field, one column per model."""
    columns: dict[str, dict[str, str]] = {}
    for m in models:
        speed = m.speed
        detail = {
            "Id": m.id,
            "Provider": m.provider,
            "Family": m.family,
            "Open weights": "yes" if m.open_weights else "no",
            "License": m.license,
            "Parameters": number(m.params_b, " B"),
            "Active parameters (MoE)": number(m.active_params_b, " B") if m.is_moe else "not a mixture of experts",
            "Context window": number(m.context_tokens, " tokens"),
            "Max output": number(m.max_output_tokens, " tokens"),
            "Input price": _money(m.input_usd_per_mtok),
            "Output price": _money(m.output_usd_per_mtok),
            "Cached input price": _money(m.cached_input_usd_per_mtok),
            "Price source": m.price_source or "none (no public API price)",
            "Price note": m.price_note or "",
            "Input modalities": _listed(list(m.input_modalities)),
            "Output modalities": _listed(list(m.output_modalities)),
            "Reasoning model": "yes" if m.reasoning else "no",
            "Strengths": _listed(list(m.strengths)),
            "Strong languages": _listed(list(m.languages)),
            "Fine-tuning API": {True: "yes", False: "no", None: UNKNOWN}[m.fine_tuning_api],
            "Time to first token": number(speed.ttft_ms, " ms") if speed else UNKNOWN,
            "Output speed": number(speed.output_tokens_per_s, " tokens/s") if speed else UNKNOWN,
            "Speed source": speed.source if speed else "",
            "Release date": m.release_date.isoformat() if m.release_date else UNKNOWN,
            "Status": m.status,
            "LiteLLM id": m.litellm_id or "not in LiteLLM",
            "Sources": " ; ".join(m.sources),
            "Facts as of": m.as_of.isoformat(),
            "Notes": m.notes or "",
        }
        for key, label in BENCHMARKS.items():
            score = m.benchmarks.get(key)
            detail[label] = f"{score.score:g} (source: {score.source})" if score else "not reported"
        columns[m.name if m.name not in columns else f"{m.name} ({m.id})"] = detail
    return pd.DataFrame(columns)


# --- hosted offers of one model ---------------------------------------------------------------

# An offer's fields, but the map key and what the map declares (internal), then whether it is live.
OFFER_COLUMNS = [f.name for f in dataclasses.fields(Offer) if f.name not in ("key", "declared_modalities")] + ["live"]


def offers_table(offers: tuple[Offer, ...] | list[Offer], today: dt.date) -> pd.DataFrame:
    """One row per offer (map figures; missing stays missing), live ones first, each group cheapest first."""
    ordered = sorted(offers, key=lambda o: (not o.is_live(today), o.input_usd_per_mtok or 0, o.output_usd_per_mtok or 0,
                                            o.key))
    rows = [{c: o.is_live(today) if c == "live" else _plain(getattr(o, c)) for c in OFFER_COLUMNS} for o in ordered]
    table = _typed(pd.DataFrame(rows, columns=OFFER_COLUMNS))
    table["reasoning"] = table["reasoning"].astype("boolean")
    return table


def offers_summary(offers: tuple[Offer, ...] | list[Offer], today: dt.date) -> str:
    """One line: how many offers are live and the spread (min / median / max) of their prices."""
    if not offers:
        return "No hosted offer is listed for this model."
    spread = price_spread(offers, today)
    live = sum(o.is_live(today) for o in offers)
    if not live:
        return f"{len(offers)} offers, none live on {today}."

    def money(part: str) -> str:
        s = spread[part]
        return f"${s['min']:g} / ${s['median']:g} / ${s['max']:g}"

    return (f"{live} of {len(offers)} offers live. Price per 1M tokens, min / median / max: "
            f"input {money('input')}, output {money('output')}.")


# --- defaults that will still be served --------------------------------------------------------

LASTING_DAYS = 365


def is_lasting(model: Model, today: dt.date, days: int = LASTING_DAYS) -> bool:
    """Whether a model is active with no announced shutdown within `days`: safe to suggest by default."""
    if model.status != "active":
        return False
    return model.shutdown_date is None or (model.shutdown_date - today).days > days


def lasting_defaults(catalogue: Catalogue, preferred: list[str], today: dt.date, count: int | None = None) -> list[str]:
    """The preferred ids that are lasting, in order; ids of other lasting models fill up to `count`."""
    lasting = [m.id for m in catalogue.models if is_lasting(m, today)]
    chosen = [i for i in preferred if i in lasting]
    if count is not None:
        chosen += [i for i in lasting if i not in chosen][: max(0, count - len(chosen))]
    return chosen


# A spread of price points for the Costs page: frontier APIs, a cheap API, small and large open-weights models.
COST_SHORTLIST = [
    "claude-sonnet-4-6", "gpt-5.4-mini", "claude-haiku-4-5", "gemini-2.5-flash-lite",
    "llama-3.1-8b", "llama-3.3-70b", "qwen-2.5-72b", "gpt-oss-120b",
]
SELF_HOST_AGAINST = ["claude-sonnet-4-6", "gpt-5.4-mini", "claude-haiku-4-5"]


def cost_defaults(catalogue: Catalogue, today: dt.date) -> tuple[list[str], str | None]:
    """The models the Costs page starts with, and the closed API that self-hosting is compared against
    (None when no closed model has a price); never a model with an announced shutdown within a year."""
    active = [m.id for m in catalogue.models if not m.is_retired]
    chosen = lasting_defaults(catalogue, COST_SHORTLIST, today) or active[:6]
    closed = [m.id for m in catalogue.models if not m.is_retired and m.has_api_price and not m.open_weights]
    preferred = [i for i in lasting_defaults(catalogue, SELF_HOST_AGAINST, today, 1) if i in closed]
    return chosen, (preferred or closed or [None])[0]


def benchmark_coverage(models: list[Model]) -> dict[str, int]:
    """Benchmark key -> how many of `models` report it (BENCHMARKS' order)."""
    return {key: sum(1 for m in models if key in m.benchmarks) for key in BENCHMARKS}


CHEAP_PREFERENCE = ["claude-haiku-4-5", "gpt-5.4-mini", "gemini-2.5-flash-lite"]
STRONG_PREFERENCE = ["claude-sonnet-4-6", "gemini-3.1-pro", "claude-opus-4-5"]


def routing_defaults(catalogue: Catalogue, options: list[str], today: dt.date) -> tuple[int, int]:
    """Indexes in `options` of the routing simulator's default cheap and strong models: the preferred lasting
    ones when offered, else the first two options."""
    def first(preferred: list[str], fallback: int) -> int:
        chosen = lasting_defaults(catalogue, [i for i in preferred if i in options], today)
        return options.index(chosen[0]) if chosen else fallback

    return first(CHEAP_PREFERENCE, 0), first(STRONG_PREFERENCE, min(1, len(options) - 1))
