"""Costs: what each model costs at your traffic, and when running an open model yourself pays off."""

import datetime as dt

import pandas as pd
import streamlit as st

from pages._common import catalogue_or_stop, current_answers, link_to_questionnaire, show_error_and_stop
from pages._display import cached_chart
from pages._widgets import bounded_number
from selector.catalogue import BENCHMARKS
from selector.costs import (
    BYTES_PER_PARAM, SelfHostAssumptions, Traffic, break_even_sentence, cheapest_option, compare_costs, cost_table,
)
from selector.errors import SelectorError
from selector.explore import benchmark_coverage, cost_defaults

Number = st.column_config.NumberColumn
COLUMNS = {  # by CostRow's field titles (selector.costs.cost_table)
    "Input $/1M": Number(format="$%.3f", help="USD per 1M input tokens"),
    "Output $/1M": Number(format="$%.3f", help="USD per 1M output tokens"),
    "$ per request": Number(format="$%.5f"),
    "API $/month": Number(format="dollar", help="Empty: no public API price (never counted as free)"),
    "Self-host GPUs": Number(format="%d", help="GPUs per replica x replicas"),
    "Self-host $/month": Number(format="dollar", help="Empty: closed weights or unknown size"),
    "Self-host $/1M tokens": Number(format="$%.3f"),
}


catalogue = catalogue_or_stop()
st.title("Costs")
st.write(
    "What each model costs per month at your traffic, through its API or self-hosted on rented GPUs, "
    "and the daily volume from which running an open model yourself is cheaper. "
    "Prices are USD per 1M tokens from the catalogue; a model without a public price is left out, never counted as free."
)

# --- traffic: from the questionnaire when answered, editable here (bounded as Traffic: a link always fits) ---
answers = current_answers()
start = answers.traffic if answers is not None else Traffic()
with st.container(border=True):
    st.subheader("Your traffic")
    if answers is not None:
        st.caption("Starting from your questionnaire answers; changes here apply to this page only.")
    else:
        link_to_questionnaire("No questionnaire answers yet: this page starts from default traffic.")
    cols = st.columns(5)
    traffic_values = dict(
        requests_per_day=bounded_number(cols[0], "Requests per day", Traffic, "requests_per_day",
                                        float(start.requests_per_day), step=100.0, format="%.0f",
                                        key="costs_requests_per_day"),
        input_tokens=bounded_number(cols[1], "Input tokens per request", Traffic, "input_tokens", start.input_tokens,
                                    step=100, key="costs_input_tokens", help="Prompt, instructions and retrieved documents."),
        output_tokens=bounded_number(cols[2], "Output tokens per request", Traffic, "output_tokens", start.output_tokens,
                                     step=50, key="costs_output_tokens"),
        cached_input_share=cols[3].slider(
            "Cached share of input", 0.0, 1.0, float(start.cached_input_share), step=0.05, key="costs_cached_input_share",
            help="Share of input tokens the provider serves from its prompt cache (billed at the cached price where published)."),
        reasoning_multiplier=bounded_number(
            cols[4], "Reasoning multiplier", Traffic, "reasoning_multiplier", float(start.reasoning_multiplier), step=0.5,
            key="costs_reasoning_multiplier",
            help="Billed output tokens per visible output token for reasoning models (hidden thinking). Other models ignore it."),
    )

# --- models -----------------------------------------------------------------------------------------
active = [m for m in catalogue.models if not m.is_retired]
default_ids, default_against = cost_defaults(catalogue, dt.date.today())
chosen = st.multiselect("Models to compare", options=[m.id for m in active], default=default_ids, key="costs_models",
                        format_func=lambda i: catalogue.by_id[i].name)
models = [catalogue.by_id[i] for i in chosen]
against_options = [m.id for m in active if m.has_api_price and not m.open_weights]
against_id = st.selectbox(
    "Compare self-hosting against this API", against_options, key="costs_against",
    index=against_options.index(default_against) if default_against else 0,
    format_func=lambda i: f"{catalogue.by_id[i].name} (${catalogue.by_id[i].input_usd_per_mtok:g} / "
    f"${catalogue.by_id[i].output_usd_per_mtok:g} per 1M)",
) if against_options else None
against = catalogue.by_id.get(against_id)

# --- self-hosting assumptions (bounded as SelfHostAssumptions) -------------------------------------------
defaults = SelfHostAssumptions()
with st.expander("Self-hosting assumptions", expanded=False):
    a = st.columns(3)
    assumption_values = dict(
        gpu_usd_per_hour=bounded_number(a[0], "GPU price, USD per hour", SelfHostAssumptions, "gpu_usd_per_hour",
                                        defaults.gpu_usd_per_hour, min_value=0.01, step=0.25, key="costs_gpu_usd_per_hour"),
        gpu_memory_gb=bounded_number(a[1], "GPU memory, GB", SelfHostAssumptions, "gpu_memory_gb", defaults.gpu_memory_gb,
                                     min_value=1.0, step=8.0, key="costs_gpu_memory_gb"),
        precision=a[2].selectbox("Weight precision", list(BYTES_PER_PARAM), list(BYTES_PER_PARAM).index(defaults.precision),
                                 format_func=lambda p: f"{p} ({BYTES_PER_PARAM[p]:g} bytes/param)", key="costs_precision"),
        kv_cache_headroom=bounded_number(a[0], "KV cache headroom (fraction of weights)", SelfHostAssumptions,
                                         "kv_cache_headroom", defaults.kv_cache_headroom, step=0.05,
                                         key="costs_kv_cache_headroom"),
        output_tokens_per_s_per_gpu=bounded_number(
            a[1], f"Output tokens/s per GPU at {defaults.reference_active_params_b:g}B active params", SelfHostAssumptions,
            "output_tokens_per_s_per_gpu", defaults.output_tokens_per_s_per_gpu, min_value=1.0, step=100.0,
            key="costs_output_tokens_per_s_per_gpu"),
        utilisation=a[2].slider("Utilisation", 0.05, 1.0, defaults.utilisation, step=0.05, key="costs_utilisation"),
    )
try:
    assumptions = SelfHostAssumptions(**assumption_values)
    traffic = Traffic(**traffic_values)
    rows = compare_costs(models, traffic, assumptions, against)
except SelectorError as exc:
    show_error_and_stop(exc)
if not models:
    st.info("Pick at least one model to compare.")
    st.stop()

# --- the table -----------------------------------------------------------------------------------------
st.subheader(f"Monthly cost at {traffic.requests_per_day:,.0f} requests/day")
if cheapest := cheapest_option(rows):
    row, monthly, how = cheapest
    st.markdown(f"Cheapest of your selection: **{row.name}** {how}, **${monthly:,.2f} per month**.")
columns = COLUMNS | {"Break-even requests/day": Number(
    format="localized", help=f"Daily volume from which self-hosting costs less than {against.name if against else 'the API'}")}
st.dataframe(pd.DataFrame(cost_table(rows)), hide_index=True, key="costs_table", column_config=columns)
if unpriced := [r.name for r in rows if r.monthly_usd is None]:
    st.caption(f"No public API price (left out of API figures, not counted as free): {', '.join(unpriced)}.")

log_scale = st.toggle("Log scale", value=False, key="costs_log_scale")
st.plotly_chart(cached_chart("monthly_cost_figure", models, traffic, assumptions, log_scale=log_scale), key="chart_monthly")

# --- break-even --------------------------------------------------------------------------------------------
st.subheader("Self-hosting against paying per token")
st.plotly_chart(cached_chart("cost_vs_volume_figure", models, traffic, assumptions, against), key="chart_volume")
lines = [f"- **{r.name}** ({r.self_host_gpus} GPU per replica): {sentence}." for r, model in zip(rows, models)
         if r.self_host_monthly_usd is not None and (sentence := break_even_sentence(model, traffic, against, assumptions))]
if lines:
    st.markdown("\n".join(lines))
else:
    st.caption("None of the selected models is open-weights with a known size, so there is no self-hosting estimate.")
plain = assumptions.describe_plainly()
st.caption("Self-hosting assumptions used: " + "; ".join(f"{label}: {value}" for label, value, _ in plain) + ".")
with st.expander("What each assumption means"):
    st.table(pd.DataFrame(plain, columns=["Assumption", "Value", "Meaning"]))

# --- price against quality, context against price ------------------------------------------------------
st.subheader("Price against quality")
everyone = st.toggle("Plot every catalogue model, not only the selection", value=True, key="costs_scatter_all")
plotted = active if everyone else models
coverage = benchmark_coverage(plotted)
benchmark = st.selectbox(
    "Quality score", options=list(BENCHMARKS), index=list(BENCHMARKS).index(max(coverage, key=coverage.get)),
    format_func=lambda key: f"{BENCHMARKS[key]} ({coverage[key]} models)", key="costs_benchmark",
)
st.plotly_chart(cached_chart("price_quality_figure", plotted, traffic, benchmark), key="chart_quality")
st.subheader("Context window against price")
st.plotly_chart(cached_chart("context_price_figure", plotted), key="chart_context")
