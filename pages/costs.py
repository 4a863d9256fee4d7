"""Costs: what each model costs at your traffic, and when running an open model yourself pays off."""

import datetime as dt

import pandas as pd
import streamlit as st

from pages._common import catalogue_or_stop, current_answers, link_to_questionnaire, show_error_and_stop
from selector import charts
from selector.catalogue import BENCHMARKS
from selector.costs import (
    BYTES_PER_PARAM,
    SelfHostAssumptions,
    Traffic,
    compare_costs,
    sustained_break_even_requests_per_day,
)
from selector.errors import SelectorError
from selector.explore import lasting_defaults

# A spread of price points: frontier APIs, a cheap API, small and large open-weights models.
# Models with an announced shutdown within a year are never defaults (selector.explore.is_lasting).
SHORTLIST = [
    "claude-sonnet-4-6", "gpt-5.4-mini", "claude-haiku-4-5", "gemini-2.5-flash-lite",
    "llama-3.1-8b", "llama-3.3-70b", "qwen-2.5-72b", "gpt-oss-120b",
]
AGAINST_PREFERENCE = ["claude-sonnet-4-6", "gpt-5.4-mini", "claude-haiku-4-5"]

# Plain words for SelfHostAssumptions' fields, as the inputs above call them.
ASSUMPTION_LABELS = {
    "gpu_usd_per_hour": "GPU price per hour",
    "gpu_memory_gb": "GPU memory",
    "precision": "Weight precision",
    "kv_cache_headroom": "Extra memory for the KV cache",
    "output_tokens_per_s_per_gpu": "Output speed of one GPU",
    "reference_active_params_b": "Model size that speed is measured at",
    "max_output_tokens_per_s_per_gpu": "Top speed of one GPU (small models)",
    "input_token_cost_vs_output": "Cost of reading a token against writing one",
    "utilisation": "Share of capacity used on average",
    "hours_per_month": "GPU hours billed per month",
    "gpus_power_of_two": "GPUs per copy rounded up to 1, 2, 4, 8",
}
ASSUMPTION_UNITS = {
    "gpu_usd_per_hour": lambda v: f"${float(v):g}", "gpu_memory_gb": lambda v: f"{float(v):g} GB",
    "kv_cache_headroom": lambda v: f"+{float(v):.0%} of the weights",
    "output_tokens_per_s_per_gpu": lambda v: f"{float(v):,.0f} tokens/s",
    "reference_active_params_b": lambda v: f"{float(v):g}B active parameters",
    "max_output_tokens_per_s_per_gpu": lambda v: f"{float(v):,.0f} tokens/s",
    "input_token_cost_vs_output": lambda v: f"{float(v):.0%}", "utilisation": lambda v: f"{float(v):.0%}",
    "hours_per_month": lambda v: f"{float(v):,.1f} h (always on)", "gpus_power_of_two": lambda v: "yes" if v == "True" else "no",
}


def plain_assumptions(described) -> list[tuple[str, str, str]]:
    """(label, value with its unit, meaning) for SelfHostAssumptions.describe()'s (name, value, meaning)."""

    def plain(meaning: str) -> str:  # the meanings name other fields and "the seed" document: say it in words
        meaning = meaning.replace("the seed:", "the guide:")
        for name, label in ASSUMPTION_LABELS.items():
            meaning = meaning.replace(name, f"“{label.lower()}”")
        return meaning

    return [(ASSUMPTION_LABELS.get(name, name.replace("_", " ")), ASSUMPTION_UNITS.get(name, str)(value), plain(meaning))
            for name, value, meaning in described]


@st.cache_data(show_spinner=False, max_entries=64)
def cached_figure(kind: str, catalogue_key: str, model_ids: tuple[str, ...], traffic_json: str,
                  assumptions_json: str, against_id: str | None, option: str | bool | None, _catalogue):
    """A chart built once per input (the page reruns on every widget change; building costs seconds)."""
    chosen = [_catalogue.by_id[i] for i in model_ids]
    traffic = Traffic.model_validate_json(traffic_json)
    assumptions = SelfHostAssumptions.model_validate_json(assumptions_json)
    against = _catalogue.by_id[against_id] if against_id else None
    if kind == "monthly":
        return charts.monthly_cost_figure(chosen, traffic, assumptions, log_scale=bool(option))
    if kind == "volume":
        return charts.cost_vs_volume_figure(chosen, traffic, assumptions, against)
    if kind == "quality":
        return charts.price_quality_figure(chosen, traffic, str(option))
    return charts.context_price_figure(chosen)


catalogue = catalogue_or_stop()
st.title("Costs")
st.write(
    "What each model costs per month at your traffic, through its API or self-hosted on rented GPUs, "
    "and the daily volume from which running an open model yourself is cheaper. "
    "Prices are USD per 1M tokens from the catalogue; a model without a public price is left out, never counted as free."
)

# --- traffic: from the questionnaire when answered, editable here --------------------------------
answers = current_answers()
start = answers.traffic if answers is not None else Traffic()
with st.container(border=True):
    st.subheader("Your traffic")
    if answers is not None:
        st.caption("Starting from your questionnaire answers; changes here apply to this page only.")
    else:
        link_to_questionnaire("No questionnaire answers yet: this page starts from default traffic.")
    cols = st.columns(5)
    requests_per_day = cols[0].number_input(
        "Requests per day", min_value=0.0, value=float(start.requests_per_day), step=100.0, format="%.0f",
        key="costs_requests_per_day",
    )
    input_tokens = cols[1].number_input(
        "Input tokens per request", min_value=0, value=start.input_tokens, step=100, key="costs_input_tokens",
        help="Prompt, instructions and retrieved documents.",
    )
    output_tokens = cols[2].number_input(
        "Output tokens per request", min_value=0, value=start.output_tokens, step=50, key="costs_output_tokens",
    )
    cached_input_share = cols[3].slider(
        "Cached share of input", min_value=0.0, max_value=1.0, value=float(start.cached_input_share), step=0.05,
        key="costs_cached_input_share",
        help="Share of input tokens the provider serves from its prompt cache (billed at the cached price where published).",
    )
    reasoning_multiplier = cols[4].number_input(
        "Reasoning multiplier", min_value=1.0, value=float(start.reasoning_multiplier), step=0.5,
        key="costs_reasoning_multiplier",
        help="Billed output tokens per visible output token for reasoning models (hidden thinking). Other models ignore it.",
    )

# --- models -----------------------------------------------------------------------------------------
active = [m for m in catalogue.models if not m.is_retired]
ids = [m.id for m in active]
default_ids = lasting_defaults(catalogue, SHORTLIST, dt.date.today()) or ids[:6]
chosen = st.multiselect(
    "Models to compare", options=ids, default=default_ids, key="costs_models",
    format_func=lambda i: catalogue.by_id[i].name,
)
models = [catalogue.by_id[i] for i in chosen]
priced = [m for m in active if m.has_api_price and not m.open_weights]
against_options = [m.id for m in priced]
against_id = st.selectbox(
    "Compare self-hosting against this API", options=against_options,
    index=next((against_options.index(i) for i in lasting_defaults(catalogue, AGAINST_PREFERENCE, dt.date.today(), 1)
                if i in against_options), 0),
    format_func=lambda i: f"{catalogue.by_id[i].name} (${catalogue.by_id[i].input_usd_per_mtok:g} / "
    f"${catalogue.by_id[i].output_usd_per_mtok:g} per 1M)",
    key="costs_against",
) if against_options else None
against = catalogue.by_id[against_id] if against_id else None

# --- self-hosting assumptions -------------------------------------------------------------------------
defaults = SelfHostAssumptions()
with st.expander("Self-hosting assumptions", expanded=False):
    a_cols = st.columns(3)
    gpu_usd_per_hour = a_cols[0].number_input(
        "GPU price, USD per hour", min_value=0.01, value=float(defaults.gpu_usd_per_hour), step=0.25, key="costs_gpu_usd_per_hour",
    )
    gpu_memory_gb = a_cols[1].number_input(
        "GPU memory, GB", min_value=1.0, value=float(defaults.gpu_memory_gb), step=8.0, key="costs_gpu_memory_gb",
    )
    precision = a_cols[2].selectbox(
        "Weight precision", options=list(BYTES_PER_PARAM), index=list(BYTES_PER_PARAM).index(defaults.precision),
        format_func=lambda p: f"{p} ({BYTES_PER_PARAM[p]:g} bytes/param)", key="costs_precision",
    )
    kv_cache_headroom = a_cols[0].number_input(
        "KV cache headroom (fraction of weights)", min_value=0.0, max_value=4.0, value=float(defaults.kv_cache_headroom),
        step=0.05, key="costs_kv_cache_headroom",
    )
    output_tokens_per_s_per_gpu = a_cols[1].number_input(
        f"Output tokens/s per GPU at {defaults.reference_active_params_b:g}B active params", min_value=1.0,
        value=float(defaults.output_tokens_per_s_per_gpu), step=100.0, key="costs_output_tokens_per_s_per_gpu",
    )
    utilisation = a_cols[2].slider(
        "Utilisation", min_value=0.05, max_value=1.0, value=float(defaults.utilisation), step=0.05, key="costs_utilisation",
    )
try:
    assumptions = SelfHostAssumptions(
        gpu_usd_per_hour=gpu_usd_per_hour, gpu_memory_gb=gpu_memory_gb, precision=precision,
        kv_cache_headroom=kv_cache_headroom, output_tokens_per_s_per_gpu=output_tokens_per_s_per_gpu,
        utilisation=utilisation,
    )
    traffic = Traffic(
        requests_per_day=requests_per_day, input_tokens=int(input_tokens), output_tokens=int(output_tokens),
        cached_input_share=cached_input_share, reasoning_multiplier=reasoning_multiplier,
    )
    rows = compare_costs(models, traffic, assumptions, against)
except SelectorError as exc:
    show_error_and_stop(exc)

if not models:
    st.info("Pick at least one model to compare.")
    st.stop()

# --- the table -----------------------------------------------------------------------------------------
st.subheader(f"Monthly cost at {traffic.requests_per_day:,.0f} requests/day")
known = [r for r in rows if r.monthly_usd is not None or r.self_host_monthly_usd is not None]
if known:
    cheapest = min(known, key=lambda r: min(v for v in (r.monthly_usd, r.self_host_monthly_usd) if v is not None))
    best = min(v for v in (cheapest.monthly_usd, cheapest.self_host_monthly_usd) if v is not None)
    how = "self-hosted" if best == cheapest.self_host_monthly_usd and best != cheapest.monthly_usd else "through its API"
    st.markdown(f"Cheapest of your selection: **{cheapest.name}** {how}, **${best:,.2f} per month**.")
table = pd.DataFrame(
    [
        {
            "Model": r.name, "Provider": r.provider, "Open weights": r.open_weights,
            "Input $/1M": r.input_usd_per_mtok, "Output $/1M": r.output_usd_per_mtok,
            "$ per request": r.usd_per_request, "API $/month": r.monthly_usd,
            "Self-host GPUs": (r.self_host_gpus * r.self_host_replicas) if r.self_host_gpus else None,
            "Self-host $/month": r.self_host_monthly_usd, "Self-host $/1M tokens": r.self_host_usd_per_mtok,
            "Break-even requests/day": (
                round(r.break_even_requests_per_day) if r.break_even_requests_per_day is not None else None
            ),
        }
        for r in rows
    ]
)
st.dataframe(
    table,
    hide_index=True,
    key="costs_table",
    column_config={
        "Input $/1M": st.column_config.NumberColumn(format="$%.3f", help="USD per 1M input tokens"),
        "Output $/1M": st.column_config.NumberColumn(format="$%.3f", help="USD per 1M output tokens"),
        "$ per request": st.column_config.NumberColumn(format="$%.5f"),
        "API $/month": st.column_config.NumberColumn(format="dollar", help="None: no public API price (never counted as free)"),
        "Self-host GPUs": st.column_config.NumberColumn(format="%d", help="GPUs per replica x replicas"),
        "Self-host $/month": st.column_config.NumberColumn(format="dollar", help="None: closed weights or unknown size"),
        "Self-host $/1M tokens": st.column_config.NumberColumn(format="$%.3f"),
        "Break-even requests/day": st.column_config.NumberColumn(
            format="localized", help=f"Daily volume from which self-hosting costs less than {against.name if against else 'the API'}",
        ),
    },
)
unpriced = [r.name for r in rows if r.monthly_usd is None]
if unpriced:
    st.caption(f"No public API price (left out of API figures, not counted as free): {', '.join(unpriced)}.")

log_scale = st.toggle("Log scale", value=False, key="costs_log_scale")
chart_inputs = dict(catalogue_key=f"{catalogue.path}@{catalogue.as_of}", traffic_json=traffic.model_dump_json(),
                    assumptions_json=assumptions.model_dump_json(), _catalogue=catalogue)
selection = tuple(m.id for m in models)
st.plotly_chart(cached_figure("monthly", model_ids=selection, against_id=None, option=log_scale, **chart_inputs),
                key="chart_monthly")

# --- break-even --------------------------------------------------------------------------------------------
st.subheader("Self-hosting against paying per token")
st.plotly_chart(cached_figure("volume", model_ids=selection, against_id=against.id if against else None, option=None,
                              **chart_inputs), key="chart_volume")
lines = []
for row in rows:
    if row.self_host_monthly_usd is None:
        continue
    model = catalogue.by_id[row.model_id]
    if row.break_even_requests_per_day is None:
        lines.append(f"- **{row.name}** ({row.self_host_gpus} GPU per replica): never cheaper than "
                     f"{against.name if against else 'the API'} at this request size.")
    else:
        sustained = sustained_break_even_requests_per_day(model, traffic, against, assumptions)
        tail = (f", and stays cheaper from {sustained:,.0f}/day" if sustained and sustained > row.break_even_requests_per_day
                else "")
        lines.append(f"- **{row.name}** ({row.self_host_gpus} GPU per replica): cheaper than "
                     f"{against.name if against else 'its API'} from **{row.break_even_requests_per_day:,.0f} requests/day**{tail}.")
if lines:
    st.markdown("\n".join(lines))
else:
    st.caption("None of the selected models is open-weights with a known size, so there is no self-hosting estimate.")
plain = plain_assumptions(assumptions.describe())
st.caption("Self-hosting assumptions used: " + "; ".join(f"{label}: {value}" for label, value, _ in plain) + ".")
with st.expander("What each assumption means"):
    st.table(pd.DataFrame(plain, columns=["Assumption", "Value", "Meaning"]))

# --- price against quality, context against price ------------------------------------------------------
st.subheader("Price against quality")
everyone = st.toggle("Plot every catalogue model, not only the selection", value=True, key="costs_scatter_all")
plotted = active if everyone else models
coverage = {key: sum(1 for m in plotted if key in m.benchmarks) for key in BENCHMARKS}
benchmark = st.selectbox(
    "Quality score", options=list(BENCHMARKS), index=list(BENCHMARKS).index(max(coverage, key=coverage.get)),
    format_func=lambda key: f"{BENCHMARKS[key]} ({coverage[key]} models)", key="costs_benchmark",
)
plotted_ids = tuple(m.id for m in plotted)
st.plotly_chart(cached_figure("quality", model_ids=plotted_ids, against_id=None, option=benchmark, **chart_inputs),
                key="chart_quality")
st.subheader("Context window against price")
st.plotly_chart(cached_figure("context", model_ids=plotted_ids, against_id=None, option=None, **chart_inputs),
                key="chart_context")
