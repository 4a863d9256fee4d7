"""Routing simulator: simple prompts to a cheap model, complex ones to a strong model; what it saves."""

import datetime as dt

import pandas as pd
import streamlit as st

from pages._common import catalogue_or_stop, current_answers, link_to_questionnaire, show_error_and_stop
from selector import benchmark, routing
from selector.costs import Traffic
from selector.errors import SelectorError
from selector.explore import lasting_defaults
from selector.history import open_history
from selector.live import resolve_model
from selector.local import LOCAL_MODELS

FROM_FILE = "A prompt file (catalogue prices)"
HEURISTIC = "Transparent rules (default)"
MODEL = "A cheap classifier model"
# Defaults never name a model with an announced shutdown within a year (selector.explore.is_lasting).
CHEAP_PREFERENCE = ["claude-haiku-4-5", "gpt-5.4-mini", "gemini-2.5-flash-lite"]
STRONG_PREFERENCE = ["claude-sonnet-4-6", "gemini-3.1-pro", "claude-opus-4-5"]


def money(value, digits: int = 2) -> str:
    return "unknown" if value is None else f"${value:,.{digits}f}"


catalogue = catalogue_or_stop()
st.title("Routing simulator")
st.write(
    "Most traffic is easy. Send each simple prompt to a cheap model and only the complex ones to a strong "
    "model, and see how much of your traffic goes where, what it costs against always using the strong "
    "model, and what it does to quality where a benchmark checked the answers."
)
answers = current_answers()
traffic = answers.traffic if answers is not None else Traffic()
if answers is None:
    link_to_questionnaire(f"No questionnaire answers yet: monthly costs use default traffic "
                          f"({traffic.requests_per_day:,.0f} requests/day).")

try:
    history = open_history()
    runs = [r for r in history.list_benchmarks(limit=50) if r["results"]]
except SelectorError as exc:
    show_error_and_stop(exc)
sources = [f"Benchmark run {r['id']}: {r['source']}" for r in runs] + [FROM_FILE]
source = st.selectbox("Prompts and costs from", sources, key="route_source",
                      help="A benchmark run gives measured costs and checked answers; a file uses catalogue prices.")

run = None
if source == FROM_FILE:
    uploaded = st.file_uploader("Prompt file (CSV or JSONL)", type=["csv", "jsonl", "json"], key="route_file")
    data, name = (uploaded.getvalue(), uploaded.name) if uploaded is not None else (
        benchmark.EXAMPLE_PROMPTS.read_bytes(), "example prompts (data/examples/prompts.csv)")
    try:
        rows = benchmark.load_prompts(data, name)
    except SelectorError as exc:
        show_error_and_stop(exc)
    options = [m.id for m in catalogue.models if not m.is_retired and (m.has_api_price or m.id in LOCAL_MODELS)]
    st.caption(f"{len(rows)} prompts from {name}; costs at {traffic.input_tokens:,} input + "
               f"{traffic.output_tokens:,} output tokens per request"
               + (" (your questionnaire)." if answers is not None else " (default traffic)."))
else:
    run_id = runs[sources.index(source)]["id"]
    try:
        run = benchmark.load_run(history, run_id)
    except SelectorError as exc:
        show_error_and_stop(exc)
    rows, options = run.rows, run.models
names = {m.id: m.name for m in catalogue.models} | ({} if run is None else run.labels)

today = dt.date.today()
default_cheap = next(iter(lasting_defaults(catalogue, [i for i in CHEAP_PREFERENCE if i in options], today)), None)
default_strong = next(iter(lasting_defaults(catalogue, [i for i in STRONG_PREFERENCE if i in options], today)), None)
c1, c2 = st.columns(2)
cheap = c1.selectbox("Cheap model (simple prompts)", options, key="route_cheap", format_func=lambda i: names.get(i, i),
                     index=options.index(default_cheap) if default_cheap in options else 0)
strong = c2.selectbox("Strong model (complex prompts)", options, key="route_strong", format_func=lambda i: names.get(i, i),
                      index=options.index(default_strong) if default_strong in options else min(1, len(options) - 1))

how = st.radio("Classify prompts with", [HEURISTIC, MODEL], horizontal=True, key="route_how")
prompts = [(r.index, r.prompt) for r in rows]
if how == HEURISTIC:
    with st.expander("The rules, checked in this order (the first that matches decides)"):
        st.dataframe(pd.DataFrame([{"rule": r.id, "routes to": r.label, "when": r.description} for r in routing.RULES]),
                     hide_index=True, width="stretch")
    classifications = [routing.classify_prompt(p) for _, p in prompts]
    classifier_name = "heuristic"
else:
    local_options = list(LOCAL_MODELS) + [m.id for m in catalogue.models if m.litellm_id and not m.is_retired
                                          and m.id not in LOCAL_MODELS]
    classifier = st.selectbox("Classifier model", local_options, key="route_classifier",
                              format_func=lambda i: names.get(i, i))
    st.caption("Its system prompt:")
    st.code(routing.CLASSIFIER_PROMPT, language=None)
    cache_key = (source, classifier, tuple(prompts))
    if st.button("Classify with this model", key="route_classify"):
        try:
            target = resolve_model(classifier, catalogue=catalogue)
            with st.spinner(f"Asking {target.label} about {len(prompts)} prompts..."):
                st.session_state["route_classified"] = (cache_key, routing.classify_with_model(
                    [p for _, p in prompts], target))
        except SelectorError as exc:
            show_error_and_stop(exc)
    stored = st.session_state.get("route_classified")
    if stored is None or stored[0] != cache_key:
        st.info("Press “Classify with this model” to ask it about each prompt (one short call per prompt).")
        st.stop()
    classifications = stored[1]
    classifier_name = classifier
    fell_back = routing.fallback_count(classifications)
    if routing.classifier_failed(classifications):
        # Not the classifier's split: say so, show it as the rules' routing, and export the rules' policy.
        st.error(f"The classifier did not work: it failed or answered neither SIMPLE nor COMPLEX for {fell_back} of "
                 f"{len(classifications)} prompts, so the rules decided them. Below is the rules' routing, not a "
                 "classification by this model; the export uses the rules. Try another classifier model.",
                 icon=":material/error:")
        classifier_name = "heuristic"
    elif fell_back:
        st.warning(f"The classifier failed or answered neither label for {fell_back} of {len(classifications)} "
                   "prompts: the rules decided those (\"fallback\" in the table below).", icon=":material/warning:")

try:
    prices = None if run is not None else routing.catalogue_prices([cheap, strong], catalogue, traffic)
    report = routing.simulate_routing(prompts, classifications, cheap, strong, traffic, run=run, prices=prices)
except SelectorError as exc:
    show_error_and_stop(exc)

m1, m2, m3, m4 = st.columns(4)
m1.metric("Routed to the cheap model", f"{report.share_simple:.0%}",
          help=f"{sum(d.label == 'simple' for d in report.decisions)} of {len(report.decisions)} prompts")
m2.metric("Routed to the strong model", f"{report.share_complex:.0%}")
m3.metric("Monthly, routed", money(report.routed_monthly_usd),
          delta=None if report.saving_share is None else f"{-report.saving_share:.0%} vs always strong",
          delta_color="inverse")
m4.metric("Monthly, always strong", money(report.strong_monthly_usd))
st.caption(f"Costs: {report.cost_basis}; monthly at {traffic.requests_per_day:,.0f} requests/day × 30.4 days. "
           f"Per request: routed {money(report.routed_cost_per_request_usd, 6)}, "
           f"always strong {money(report.strong_cost_per_request_usd, 6)}.")
for note in report.notes:
    st.caption(note)
if report.quality_difference is not None:
    st.write(f"**Quality** on {report.quality_rows} checked prompt(s): routed {report.quality_routed:.0%}, "
             f"always strong {report.quality_strong:.0%} — a difference of {report.quality_difference:+.0%} points.")
elif run is not None:
    st.caption("Quality difference unknown: no prompt of this run has checked answers from both models.")
else:
    st.caption("Quality difference: run a benchmark with expected answers, then pick it above.")

st.dataframe(pd.DataFrame([{"row": d.row, "prompt": d.prompt, "class": d.label,
                            "decided by": "classifier" if d.rule == "model" else
                            ("rules (fallback)" if how == MODEL else "rules"),
                            "rule": d.rule, "why": d.detail,
                            "model": names.get(d.model, d.model)} for d in report.decisions]),
             hide_index=True, width="stretch")

st.subheader("Export the policy")
try:
    config = routing.router_config_yaml(resolve_model(cheap, catalogue=catalogue),
                                        resolve_model(strong, catalogue=catalogue), classifier_name)
except SelectorError as exc:
    st.warning(f"The policy cannot be exported: {exc}")
else:
    st.code(config, language="yaml")
    st.download_button("Download LiteLLM Router config (YAML)", config, file_name="router-config.yaml",
                       mime="text/yaml", icon=":material/download:", key="route_download")
