"""UI helpers shared by the pages (kept out of app.py: see ARCHITECTURE.md, AppTest notes)."""

from __future__ import annotations

import re

import streamlit as st

from selector.answers import QUERY_KEYS, Answers, answers_from_query, answers_to_query, has_answers_in_query
from selector.catalogue import Catalogue, load_catalogue
from selector.errors import SelectorError
from selector.local import stop_started_here_at_exit

# Every page imports this module, so this runs once per app process: the llama.cpp servers any page
# starts (compare, benchmark, routing...) are stopped when the app exits, Ctrl-C and SIGTERM included.
# The CLI does not call it: `local serve` leaves its servers running.
stop_started_here_at_exit()

# Helpers that moved out of this module; importing them from here still works, lazily, so that their
# modules can use this one without an import cycle.
_MOVED = {"history_or_note": "pages._evidence", "show_history_notice": "pages._evidence",
          "measured_from_benchmarks": "pages._evidence", "measured_from_votes": "pages._evidence",
          "what_would_change": "pages._evidence", "person_name": "pages._widgets"}


def __getattr__(name: str):
    if name in _MOVED:
        import importlib

        return getattr(importlib.import_module(_MOVED[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


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


# Markdown that could fetch or link: images and links (`[`, `]`), raw HTML and autolinks (`<` before a
# letter, `/`, `!` or `?`), and the backslash itself (so a value cannot undo the escaping). Emphasis and
# code are left alone: they fetch nothing, and field names such as use_cases stay readable.
_MARKDOWN_SYNTAX = re.compile(r"([\\\[\]]|<(?=[A-Za-z/!?]))")


def as_text(text: str) -> str:
    """`text` (a user's, a link's or an echoed value) escaped for st.markdown/st.error: no image is
    fetched, no HTML or link is made, brackets and tags show as typed; line breaks are kept."""
    return "  \n".join(_MARKDOWN_SYNTAX.sub(r"\\\1", line) for line in str(text).splitlines())


_CODE = re.compile(r"(```.*?(?:```|\Z)|~~~.*?(?:~~~|\Z)|`[^`\n]*`)", re.S)


def without_images(markdown: str) -> str:
    """Model output as markdown with every image turned into plain text: `![`, outside code, becomes
    `&#33;[` (a link at most, which fetches nothing). Raw HTML is not rendered by st.markdown anyway."""
    parts = _CODE.split(markdown)
    return "".join(part if i % 2 else part.replace("![", "&#33;[") for i, part in enumerate(parts))


def show_error_and_stop(exc: SelectorError) -> None:
    """Render a SelectorError as a message (never a traceback) and stop this page run."""
    st.error(as_text(str(exc)), icon=":material/error:")
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


def remember_answers(answers: Answers) -> None:
    """Keep validated answers for the other pages (session) and in the URL (a link reproduces them)."""
    st.session_state["answers"] = answers
    wanted = answers_to_query(answers)
    for key in QUERY_KEYS:
        if key not in wanted and key in st.query_params:
            del st.query_params[key]
    st.query_params.update(wanted)
