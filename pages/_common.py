"""UI helpers shared by the pages (kept out of app.py: see ARCHITECTURE.md, AppTest notes)."""

from __future__ import annotations

import streamlit as st

from pages._text import as_text, show_error_and_stop, without_images  # noqa: F401  (re-exported for the pages)
from selector.answers import QUERY_KEYS, Answers, answers_from_query, answers_to_query, has_answers_in_query
from selector.catalogue import Catalogue, load_catalogue
from selector.errors import SelectorError
from selector.live.servers import stop_started_here_at_exit

# Every page imports this module, so this runs once per app process: the llama.cpp servers any page
# starts (compare, benchmark, routing...) are stopped when the app exits, Ctrl-C and SIGTERM included.
# The CLI does not call it: `local serve` leaves its servers running.
stop_started_here_at_exit()

@st.cache_resource(show_spinner=False)
def _cached_catalogue(path: str | None) -> Catalogue:
    return load_catalogue(path)


def use_app_navigation() -> None:
    """Run this page through app.py's st.navigation, never as a bare file of the pages/ folder.

    Streamlit treats an app with a pages/ folder as an old-style multipage app until the entry point
    has called st.navigation once in the process. Until then a first visit (or a reload) straight to
    /costs runs pages/costs.py alone: no sections, no page config, answers not put back in the URL.
    Leaving that mode and rerunning makes app.py run, with the same page. (AppTest resets the mode
    before every run, where a rerun would only lose the test's clicks: there the page just runs.)
    """
    from streamlit import config
    from streamlit.runtime.pages_manager import PagesManager

    if PagesManager.uses_pages_directory:
        PagesManager.uses_pages_directory = False
        if not config.get_option("global.appTest"):
            st.rerun()


def catalogue_or_stop(path: str | None = None) -> Catalogue:
    """The validated catalogue; on a bad catalogue, show the one-line problems and stop the page.

    Every page but the history calls this first, so it also keeps the answers in the URL.
    """
    keep_answers_in_url()
    try:
        return _cached_catalogue(path)
    except SelectorError as exc:
        show_error_and_stop(exc)


def current_answers() -> Answers | None:
    """The questionnaire's answers: from the link's query params if it has them, else this session's.

    A bad link is reported (one line per problem) and ignored, so the page still works without it.
    """
    params = st.query_params.to_dict()
    if has_answers_in_query(params):
        try:
            answers = answers_from_query(params, catalogue_or_stop())
        except SelectorError as exc:
            st.error(as_text(f"This link's answers were ignored:\n{exc}"), icon=":material/link_off:")
            for key in QUERY_KEYS:  # a bad link does not stick: the session's answers (if any) replace it
                if key in st.query_params:
                    del st.query_params[key]
        else:
            st.session_state["answers"] = answers
            return answers
    keep_answers_in_url()
    return st.session_state.get("answers")


def keep_answers_in_url() -> None:
    """Put this session's answers back in the URL when it lacks them.

    Streamlit drops query params when the user switches pages, so without this a reload of any page
    after the first switch would start a new session with no answers. Draws nothing.
    """
    use_app_navigation()
    answers = st.session_state.get("answers")
    if answers is not None and not has_answers_in_query(st.query_params.to_dict()):
        st.query_params.update(answers_to_query(answers))


def link_to_questionnaire(what: str) -> None:
    """Say what this page is doing without answers, and link to the questionnaire."""
    st.info(f"{what} Answer the questionnaire to use your own figures here.", icon=":material/info:")
    st.page_link("pages/recommend.py", label="Go to the questionnaire", icon=":material/recommend:")


def answered_traffic(say_when_answered: bool = True):
    """(answers or None, their traffic or the default one): without answers, a note with a link to the
    questionnaire says monthly costs use the default traffic."""
    from selector.costs import Traffic

    answers = current_answers()
    traffic = answers.traffic if answers is not None else Traffic()
    if answers is None:
        link_to_questionnaire(f"No questionnaire answers yet: monthly costs use default traffic "
                              f"({traffic.requests_per_day:,.0f} requests/day).")
    elif say_when_answered:
        st.caption(f"Traffic from your questionnaire: {traffic.requests_per_day:,.0f} requests/day.")
    return answers, traffic


def remember_answers(answers: Answers) -> None:
    """Keep validated answers for the other pages (session) and in the URL (a link reproduces them)."""
    st.session_state["answers"] = answers
    wanted = answers_to_query(answers)
    for key in QUERY_KEYS:
        if key not in wanted and key in st.query_params:
            del st.query_params[key]
    st.query_params.update(wanted)
