"""Entry point: page config and navigation. Everything else lives in pages/ and selector/."""

import streamlit as st

from pages._common import keep_answers_in_url
from selector.logs import setup_logging

setup_logging()  # idempotent: every rerun calls it, the handler is installed once

st.set_page_config(page_title="Model selector", page_icon=":material/neurology:", layout="wide")

SECTIONS = {
    "Decide": [
        st.Page("pages/home.py", title="Home", icon=":material/home:", default=True),
        st.Page("pages/guide.py", title="Guide", icon=":material/school:"),
        st.Page("pages/recommend.py", title="Get a recommendation", icon=":material/recommend:"),
    ],
    "Explore": [
        st.Page("pages/explore.py", title="Explore the catalogue", icon=":material/table:"),
        st.Page("pages/costs.py", title="Costs", icon=":material/payments:"),
    ],
    "Try": [
        st.Page("pages/compare.py", title="Compare two models live", icon=":material/compare_arrows:"),
        st.Page("pages/arena.py", title="Arena leaderboard", icon=":material/leaderboard:"),
        st.Page("pages/benchmark.py", title="Benchmark your prompts", icon=":material/speed:"),
        st.Page("pages/routing.py", title="Routing simulator", icon=":material/alt_route:"),
        st.Page("pages/history.py", title="Run history", icon=":material/history:"),
    ],
}
PAGES = [page for pages in SECTIONS.values() for page in pages]

page = st.navigation(SECTIONS)
keep_answers_in_url()  # after st.navigation, which drops query params on a page switch: answers survive a reload
page.run()
