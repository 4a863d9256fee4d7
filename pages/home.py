"""Home: what the app does and the path through it, in one screen."""

import streamlit as st

from pages._common import as_text, catalogue_or_stop, current_answers

catalogue = catalogue_or_stop()
answers = current_answers()

st.title("Choose a large language model")
st.write(
    "No single model wins on capability, cost, latency, context and modalities at once. "
    "This app turns your use case into a ranked, explained shortlist from a curated catalogue "
    f"of {len(catalogue.models)} models (facts as of {catalogue.as_of}), shows what each choice costs, "
    "and lets you try models side by side on your own prompt. It works offline: two small models ship with it."
)
if answers is not None:
    what = as_text(answers.description or "your use case")
    st.success(
        f"Your answers for **{what}** are kept: every page uses them, and this page's link carries them.",
        icon=":material/check_circle:",
    )

STEPS = [
    ("pages/guide.py", ":material/school:", "1. Learn the trade-offs",
     "Three ideas in three minutes: how chat models are made, frontier against open weights, five dimensions."),
    ("pages/recommend.py", ":material/recommend:", "2. Get a recommendation",
     "Answer a dozen questions; get three ranked picks, the reasons, and a report for your team."),
    ("pages/costs.py", ":material/payments:", "3. Check the costs",
     "Monthly cost at your traffic, and the volume from which hosting an open model yourself pays off."),
    ("pages/compare.py", ":material/compare_arrows:", "4. Try two models live",
     "Your prompt, two models streaming at once, with time to first token, speed and cost."),
]
columns = st.columns(len(STEPS))
for column, (path, icon, label, text) in zip(columns, STEPS):
    with column.container(border=True, height="stretch"):
        st.page_link(path, label=label, icon=icon)
        st.caption(text)

st.subheader("Going further")
st.page_link("pages/explore.py", label="Explore the catalogue: filter by provider, price, context, modality",
             icon=":material/table:")
st.page_link("pages/benchmark.py", label="Benchmark your own prompt file on up to six models", icon=":material/speed:")
st.page_link("pages/routing.py", label="Simulate sending easy prompts to a cheap model", icon=":material/alt_route:")
