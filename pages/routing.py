"""Routing simulator: simple prompts to a cheap model, complex ones to a strong model; what it saves."""

import datetime as dt

import pandas as pd
import streamlit as st

from pages._common import answered_traffic, catalogue_or_stop, show_error_and_stop
from pages._display import run_in_background, wait_for
from pages._widgets import api_keys_sidebar, pick_model, prompt_file, resolved
from selector.formatting import money, percent
from selector import benchmark, routing
from selector.costs import DAYS_PER_MONTH
from selector.errors import SelectorError
from selector.live import priced_models, resolve_model
from selector.explore import routing_defaults
from selector.history import open_history

FROM_FILE = "A prompt file (catalogue prices)"
HEURISTIC = "Transparent rules (default)"
MODEL = "A cheap classifier model"

catalogue = catalogue_or_stop()
st.title("Routing simulator")
st.write(
    "Most traffic is easy. Send each simple prompt to a cheap model and only the complex ones to a strong "
    "model, and see how much of your traffic goes where, what it costs against always using the strong "
    "model, and what it does to quality where a benchmark checked the answers."
)
answers, traffic = answered_traffic(say_when_answered=False)

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
    rows, name = prompt_file("route_file")
    options = priced_models(catalogue)
    st.caption(f"{len(rows)} prompts from {name}; costs at {traffic.input_tokens:,} input + "
               f"{traffic.output_tokens:,} output tokens per request"
               + (" (your questionnaire)." if answers is not None else " (default traffic)."))
else:
    try:
        run = benchmark.load_run(history, runs[sources.index(source)]["id"])
    except SelectorError as exc:
        show_error_and_stop(exc)
    rows, options = run.rows, run.models
names = {m.id: m.name for m in catalogue.models} | ({} if run is None else run.labels)

cheap_index, strong_index = routing_defaults(catalogue, options, dt.date.today())  # never a model shutting down soon
c1, c2 = st.columns(2)
cheap = c1.selectbox("Cheap model (simple prompts)", options, cheap_index, key="route_cheap",
                     format_func=lambda i: names.get(i, i))
strong = c2.selectbox("Strong model (complex prompts)", options, strong_index, key="route_strong",
                      format_func=lambda i: names.get(i, i))

how = st.radio("Classify prompts with", [HEURISTIC, MODEL], horizontal=True, key="route_how")
prompts = [(r.index, r.prompt) for r in rows]
if how == HEURISTIC:
    with st.expander("The rules, checked in this order (the first that matches decides)"):
        st.dataframe(pd.DataFrame([{"rule": r.id, "routes to": r.label, "when": r.description} for r in routing.RULES]),
                     hide_index=True, width="stretch")
    classifications = [routing.classify_prompt(p) for _, p in prompts]
    classifier_name = "heuristic"
else:
    classifier = pick_model(catalogue, "Classifier model", "route_classifier")
    keys = api_keys_sidebar(resolved([classifier], catalogue))
    st.code(routing.CLASSIFIER_PROMPT, language=None)  # its system prompt
    cache_key = (source, classifier, tuple(prompts))
    if st.button("Classify with this model", key="route_classify"):
        try:
            target = resolve_model(classifier, catalogue=catalogue)
        except SelectorError as exc:
            show_error_and_stop(exc)
        st.session_state["route_classified"] = (cache_key, target.label, run_in_background(
            routing.classify_with_model, [p for _, p in prompts], target, api_key=keys.get(classifier)))
    stored = st.session_state.get("route_classified")
    if stored is None or stored[0] != cache_key:
        st.info("Press “Classify with this model” to ask it about each prompt (one short call per prompt).")
        st.stop()
    if not stored[2].done():  # a fragment redraws the note until the calls end: the page stays live meanwhile
        wait_for(stored[2], f"Asking {stored[1]} about {len(prompts)} prompts (one short call each)...")
        st.stop()
    try:
        classifications = stored[2].result()
    except SelectorError as exc:
        show_error_and_stop(exc)
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
m1.metric("Routed to the cheap model", percent(report.share_simple),
          help=f"{sum(d.label == 'simple' for d in report.decisions)} of {len(report.decisions)} prompts")
m2.metric("Routed to the strong model", percent(report.share_complex))
m3.metric("Monthly, routed", money(report.routed_monthly_usd),
          delta=None if report.saving_share is None else f"{-report.saving_share:.0%} vs always strong",
          delta_color="inverse")
m4.metric("Monthly, always strong", money(report.strong_monthly_usd))
for note in [f"Costs: {report.cost_basis}; monthly at {traffic.requests_per_day:,.0f} requests/day × {DAYS_PER_MONTH} days. "
             f"Per request: routed {money(report.routed_cost_per_request_usd, 6)}, "
             f"always strong {money(report.strong_cost_per_request_usd, 6)}.", *report.notes]:
    st.caption(note)
if report.quality_difference is not None:
    st.write(f"**Quality** on {report.quality_rows} checked prompt(s): routed {report.quality_routed:.0%}, "
             f"always strong {report.quality_strong:.0%} — a difference of {report.quality_difference:+.0%} points.")
else:
    st.caption("Quality difference unknown: no prompt of this run has checked answers from both models." if run
               else "Quality difference: run a benchmark with expected answers, then pick it above.")

st.dataframe(pd.DataFrame([{"row": d.row, "prompt": d.prompt, "class": d.label,
                            "decided by": "classifier" if d.rule == "model" else "rules (fallback)" if how == MODEL else "rules",
                            "rule": d.rule, "why": d.detail, "model": names.get(d.model, d.model)}
                           for d in report.decisions]), hide_index=True)

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
