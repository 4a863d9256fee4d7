"""The user's own evidence for the pages: the history store (with its notices), benchmark measurements and
arena votes, and the sensitivity analysis computed over them."""

from __future__ import annotations

import streamlit as st

from pages._common import as_text, catalogue_or_stop
from selector.answers import Answers
from selector.catalogue import Catalogue
from selector.errors import SelectorError


def history_or_note(purpose: str):
    """The history, or None with a one-line note when it cannot be used: for pages that need it only for
    `purpose` (an optional extra) and must render without it. Shows the store's notice (a damaged file
    moved aside) when there is one."""
    from selector.history import open_history

    try:
        history = open_history()
    except SelectorError as exc:
        st.caption(f":material/warning: History unavailable, so {purpose} is left out: {as_text(str(exc))}")
        return None
    show_history_notice(history)
    return history


def show_history_notice(history, always: bool = False) -> None:
    """The store's one-line notice (e.g. a damaged history moved aside), once per session and notice
    unless `always` (the history page)."""
    notice = getattr(history, "notice", None)
    if notice and (always or st.session_state.get("_history_notice_shown") != notice):
        st.session_state["_history_notice_shown"] = notice
        st.warning(as_text(notice), icon=":material/healing:")


def measured_from_benchmarks() -> dict:
    """Latency and quality measured in the user's benchmark runs and arena votes, by catalogue id
    (empty when none, or when the history cannot be read: a one-line note says so). A benchmark's
    quality wins over the arena's for the same model; the arena fills in quality where the benchmark
    has none."""
    from dataclasses import replace

    from selector.benchmark import measured_figures

    history = history_or_note("your benchmark measurements")
    if history is None:
        return {}
    try:
        measured = measured_figures(history)
    except SelectorError as exc:
        st.caption(f":material/warning: Your benchmark measurements were left out: {as_text(str(exc))}")
        return {}
    for model_id, votes in measured_from_votes(history).items():
        bench = measured.get(model_id)
        if bench is None:
            measured[model_id] = votes
        elif bench.quality_0_1 is None:
            measured[model_id] = replace(votes, latency_p95_ms=bench.latency_p95_ms,
                                         source=f"{bench.source}; {votes.source}")
    return measured


@st.cache_data(show_spinner="Working out what would change the answer...", max_entries=64)
def _changes(_catalogue: Catalogue, catalogue_path: str, answers_json: str, _measured: dict | None, measured_key: str) -> list:
    from selector.scoring import first_pick
    from selector.sensitivity import find_changes

    answers = Answers.model_validate_json(answers_json)
    return find_changes(_catalogue, answers, first_pick=lambda c, a: first_pick(c, a, measured=_measured))


def what_would_change(catalogue: Catalogue, answers: Answers, measured: dict | None) -> list:
    """The sensitivity analysis for these answers, computed once per answers (it ranks ~80 times)."""
    key = repr(sorted((k, repr(v)) for k, v in (measured or {}).items()))
    return _changes(catalogue, catalogue.path, answers.model_dump_json(), measured, key)


def measured_from_votes(history=None) -> dict:
    """Quality measured by the arena's blind votes (with its interval), by catalogue id (empty when none,
    or when the history cannot be read: a one-line note says so)."""
    from selector.arena import measured_from_votes as from_votes, votes_from_history

    if history is None:
        history = history_or_note("the arena's votes")
        if history is None:
            return {}
    try:
        return from_votes(votes_from_history(history), catalogue_or_stop())
    except SelectorError as exc:
        st.warning(f"Arena votes were left out of the recommendation: {exc}", icon=":material/warning:")
        return {}
