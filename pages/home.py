import streamlit as st

from pages._common import catalogue_or_stop

catalogue = catalogue_or_stop()

st.title("Choose a large language model")
st.write(
    "No single model wins on capability, cost, latency, context and modalities at once. "
    "This app turns your use case into a ranked, explained shortlist from a curated catalogue "
    f"of {len(catalogue.models)} models (facts as of {catalogue.as_of}), shows what each choice costs, "
    "and lets you try two models side by side on your own prompt."
)
st.page_link("pages/explore.py", label="Explore the catalogue: filter by provider, price, context, modality", icon=":material/table:")
