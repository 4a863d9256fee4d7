"""The report downloads on the recommendation page: built only when asked, then one button per format."""

from __future__ import annotations

import datetime as dt
import json
import re

import streamlit as st

from pages._common import show_error_and_stop
from selector.catalogue import Catalogue
from selector.errors import SelectorError
from selector.recommendation import Recommendation
from selector.report import FORMATS, MIME_TYPES, prepare_report, render

FORMAT_LABELS = {"html": "HTML (charts, printable)", "md": "Markdown", "json": "JSON (data)"}
RUN_IDS_KEY = "session_run_ids"


def remember_run(run_id: int | None) -> None:
    """Note a live comparison run of this session, so the report can include it."""
    if run_id is not None:
        ids = st.session_state.setdefault(RUN_IDS_KEY, [])
        if run_id not in ids:
            ids.append(run_id)


def session_run_ids() -> list[int]:
    """Run ids of this session's live comparisons (those noted, plus the compare page's current run)."""
    remember_run(getattr(st.session_state.get("live"), "run_id", None))
    return list(st.session_state.get(RUN_IDS_KEY, []))


def _session_runs(run_ids: list[int]) -> list[dict]:
    if not run_ids:
        return []
    from selector.history import open_history

    history = open_history()
    runs = []
    for run_id in run_ids:
        try:
            runs.append(history.get_run(run_id))
        except SelectorError:
            continue  # a run deleted from the history since: the report goes without it
    return runs


def download_name(description: str, top_id: str | None, day: dt.date, fmt: str) -> str:
    """A file name telling reports apart: the project's description (else the top pick) and the date."""
    words = re.findall(r"[a-z0-9]+", description.lower())
    slug = "-".join(words)[:48].rstrip("-") or (top_id or "no-pick")
    return f"model-report-{slug}-{day.isoformat()}.{fmt}"


def report_downloads(recommendation: Recommendation, catalogue: Catalogue) -> None:
    """A 'Prepare report' button; once pressed, a download button per format for this recommendation."""
    st.subheader("Report for your team")
    run_ids = session_run_ids()
    # The picks and their scores too: the same answers rank differently with the user's measurements on or off.
    picks = [(p.model.id, p.score, p.capability.point if p.capability else None) for p in recommendation.picks]
    fingerprint = json.dumps(
        [recommendation.answers.model_dump(mode="json"), run_ids, catalogue.path, recommendation.as_of, picks],
        sort_keys=True, default=str,
    )
    files = st.session_state.get("report_files")
    if files is not None and files["fingerprint"] != fingerprint:
        files = None  # the answers (or the runs) changed since: the old report no longer matches
    if files is None:
        runs_note = f" and {len(run_ids)} live comparison run(s) of this session" if run_ids else ""
        st.caption(
            f"The answers, picks with reasons, costs, break-even, exclusions, sources, assumptions{runs_note}, "
            "and a LiteLLM Router config, as HTML, Markdown or JSON. No API key is ever written to it."
        )
        if not st.button("Prepare report", key="report_prepare", icon=":material/description:"):
            return
        try:
            report = prepare_report(recommendation, _session_runs(run_ids))
            files = {"fingerprint": fingerprint, **{fmt: render(report, fmt) for fmt in FORMATS}}
            top_id = recommendation.top.model.id if recommendation.top is not None else None
            files["names"] = {fmt: download_name(recommendation.answers.description, top_id, dt.date.today(), fmt)
                              for fmt in FORMATS}
        except SelectorError as exc:
            show_error_and_stop(exc)
        st.session_state["report_files"] = files
    columns = st.columns(len(FORMATS))
    for column, fmt in zip(columns, FORMATS):
        column.download_button(
            f"Download {FORMAT_LABELS[fmt]}", data=files[fmt], file_name=files["names"][fmt], mime=MIME_TYPES[fmt],
            key=f"report_download_{fmt}", icon=":material/download:", on_click="ignore",
        )
