"""Get a recommendation: the questionnaire, then ranked and explained picks from the catalogue."""

import streamlit as st

from pages._common import catalogue_or_stop, current_answers, remember_answers, show_error_and_stop
from pages._evidence import measured_from_benchmarks, what_would_change
from pages._questionnaire import questionnaire
from pages._report import report_downloads
from pages._recommend_view import show_recommendation
from selector.answers import Answers, parse_answers
from selector.errors import SelectorError
from selector.scoring import recommend

catalogue = catalogue_or_stop()
st.title("Get a recommendation")
st.write(
    "Describe the system you are building. Hard requirements (context, inputs, deployment, data location, "
    "latency, budget) rule models out; your priorities weigh the rest. Every pick says why."
)

saved = current_answers()
raw = questionnaire(saved or Answers(), catalogue)
if raw is not None:
    try:
        saved = parse_answers(raw, "in the questionnaire", catalogue)
    except SelectorError as exc:
        show_error_and_stop(exc)

if saved is None:
    st.info("Answer the questions and press **Recommend**. The link then reproduces your recommendation.")
    st.stop()
remember_answers(saved)  # also when the answers came from this session: the URL must reproduce them

try:
    measured = measured_from_benchmarks()
    use_measured = bool(measured) and st.toggle(
        f"Use my benchmark measurements ({len(measured)} models)",
        value=True,
        key="rec_use_measured",
        help="Models you benchmarked on your own prompts are scored on their measured latency and quality "
        "instead of estimates; their reasons say so.",
    )
    result = recommend(catalogue, saved, top=3, measured=measured if use_measured else None)
    result.changes = what_would_change(catalogue, saved, measured if use_measured else None)
except SelectorError as exc:
    show_error_and_stop(exc)

show_recommendation(result, catalogue)
report_downloads(result, catalogue)
