"""Entry point: page config and navigation. Everything else lives in pages/ and selector/."""

import streamlit as st

st.set_page_config(page_title="Model selector", page_icon=":material/neurology:", layout="wide")

PAGES = [
    st.Page("pages/home.py", title="Home", icon=":material/home:", default=True),
    st.Page("pages/recommend.py", title="Get a recommendation", icon=":material/recommend:"),
    st.Page("pages/explore.py", title="Explore the catalogue", icon=":material/table:"),
    st.Page("pages/costs.py", title="Costs", icon=":material/payments:"),
    st.Page("pages/compare.py", title="Compare two models live", icon=":material/compare_arrows:"),
    st.Page("pages/benchmark.py", title="Benchmark your prompts", icon=":material/speed:"),
    st.Page("pages/routing.py", title="Routing simulator", icon=":material/alt_route:"),
    st.Page("pages/history.py", title="Run history", icon=":material/history:"),
]

st.navigation(PAGES).run()
