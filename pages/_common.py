"""UI helpers shared by the pages (kept out of app.py: see ARCHITECTURE.md, AppTest notes)."""

from __future__ import annotations

import streamlit as st

from selector.answers import QUERY_KEYS, Answers, answers_from_query, answers_to_query, has_answers_in_query
from selector.catalogue import Catalogue, load_catalogue
from selector.errors import SelectorError


@st.cache_resource(show_spinner=False)
def _cached_catalogue(path: str | None) -> Catalogue:
    return load_catalogue(path)


def catalogue_or_stop(path: str | None = None) -> Catalogue:
    """The validated catalogue; on a bad catalogue, show the one-line problems and stop the page."""
    try:
        return _cached_catalogue(path)
    except SelectorError as exc:
        show_error_and_stop(exc)


def show_error_and_stop(exc: SelectorError) -> None:
    """Render a SelectorError as a message (never a traceback) and stop this page run."""
    st.error(str(exc), icon=":material/error:")
    st.stop()


def current_answers() -> Answers | None:
    """The questionnaire's answers: from the link's query params if it has them, else this session's.

    A bad link is reported (one line per problem) and ignored, so the page still works without it.
    """
    params = st.query_params.to_dict()
    if has_answers_in_query(params):
        try:
            answers = answers_from_query(params, catalogue_or_stop())
        except SelectorError as exc:
            lines = ["This link's answers were ignored:", *str(exc).splitlines()]
            st.error("  \n".join(lines), icon=":material/link_off:")  # markdown line breaks
        else:
            st.session_state["answers"] = answers
            return answers
    return st.session_state.get("answers")


def remember_answers(answers: Answers) -> None:
    """Keep validated answers for the other pages (session) and in the URL (a link reproduces them)."""
    st.session_state["answers"] = answers
    wanted = answers_to_query(answers)
    for key in QUERY_KEYS:
        if key not in wanted and key in st.query_params:
            del st.query_params[key]
    st.query_params.update(wanted)
