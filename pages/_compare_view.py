"""The compare page's pieces: model pickers, starting local servers, the streamed
answers and the vote. The page script only wires them together."""

from __future__ import annotations

from typing import get_args

import streamlit as st

from pages._common import as_text, show_error_and_stop, without_images
from selector.live import servers as local
from selector.answers import UseCase
from selector.errors import SelectorError
from selector.history import open_history
from selector.formatting import call_metrics_line, seconds
from selector.live import SIDES, LiveRun

CUSTOM = "Custom OpenAI-compatible endpoint"
LITELLM_STRING = "Other LiteLLM model string"
DEFAULTS = {"a": "smollm2-135m-instruct", "b": "gemma-3-270m"}
VOTE_LABELS = {"a": "Left is better", "b": "Right is better", "tie": "Tie", "both_bad": "Both are bad"}


def pick_model(side: str, column, options: dict[str, str]) -> tuple[str, str | None]:
    """A model picker; returns (spec, api_base)."""
    labels = list(options) + [LITELLM_STRING, CUSTOM]
    default = next(i for i, label in enumerate(labels) if options.get(label) == DEFAULTS[side])
    with column:
        choice = st.selectbox(f"Model {side.upper()}", labels, index=default, key=f"pick_{side}")
        if choice == CUSTOM:
            url = st.text_input("Endpoint base URL", "http://127.0.0.1:8000/v1", key=f"url_{side}",
                                help="vLLM, Ollama (http://127.0.0.1:11434/v1), LM Studio, a LiteLLM Proxy...")
            name = st.text_input("Model name at that endpoint", key=f"name_{side}")
            return name, url
        if choice == LITELLM_STRING:
            return st.text_input("LiteLLM model string", placeholder="anthropic/claude-haiku-4-5",
                                 key=f"litellm_{side}"), None
        return options[choice], None


def start_local_servers(targets, blind: bool = False) -> None:
    """Start the bundled models' servers before streaming, saying what the wait is for (a first start loads
    the model: about 10-15 s). A note such as "default port taken" shows once per session, never in blind mode."""
    shown_notes: set[str] = st.session_state.setdefault("local_notes_shown", set())
    for target in targets:
        if target.local_alias:
            with st.spinner(f"Starting the local model {target.label} on this machine: the first start loads it "
                            "into memory and takes about 10-15 s; later runs start at once..."):
                info = local.ensure_server(target.local_alias)  # stopped when the app exits (pages/_common.py)
            if info.note and not blind and info.note not in shown_notes:
                shown_notes.add(info.note)
                st.info(info.note)


def show_answers(live: LiveRun, hide_names: bool) -> None:
    """Both answers, streamed as they arrive, then each with its error and metrics line."""
    slots = {}
    for number, (side, column) in enumerate(zip(SIDES, st.columns(2)), start=1):
        with column:
            st.subheader(f"Answer {number}" if hide_names else live.targets[side].label)
            if not hide_names and live.targets[side].note:
                st.caption(live.targets[side].note)
            slots[side] = st.empty()
    for shown in live.updates():
        for side in SIDES:
            if side not in live.results:
                slots[side].markdown(without_images(shown[side]) + " ▌")  # model output: never fetch an image
    for side in SIDES:
        res = live.results[side]
        with slots[side].container():
            st.markdown(without_images(res.text) if res.text else "*(no text)*")
            if res.error:
                st.error(as_text(res.error), icon=":material/error:")
            st.caption(call_metrics_line(res, show_cost=not hide_names))  # a $0 cost would give a local model away
    st.caption(f"Wall time for both: {seconds(live.wall_s)} (the two run at the same time)")
    if live.history_error:  # the answers are shown; say they were not saved (and so cannot be voted on)
        st.warning(as_text(live.history_error), icon=":material/history:")


def vote_section(live: LiveRun, answers, person: str) -> None:
    """Ask which answer is better (none when a side failed) and store the vote on the run."""
    failed_sides = [side for side in SIDES if live.results[side].error]
    vote = st.session_state.get("vote")
    if live.run_id is None:
        return
    if failed_sides and vote is None:
        # A vote compares two answers: with a side failed there is nothing to judge, and a vote would skew the arena.
        st.info(f"No vote for this run: model {' and '.join(s.upper() for s in failed_sides)} failed. "
                "Fix the problem above and compare again to vote.", icon=":material/how_to_vote:")
    elif vote is None:
        st.write("Which answer is better?")
        tag = None
        if live.blind:  # the arena filters votes by use case (and by the sidebar's name)
            use_cases = list(get_args(UseCase))
            default = answers.use_cases[0] if answers is not None and answers.use_cases else "general"
            tag = st.selectbox("Use-case tag for this vote", use_cases, index=use_cases.index(default), key="vote_tag")
        for col, (value, label) in zip(st.columns(len(VOTE_LABELS)), VOTE_LABELS.items()):
            if col.button(label, key=f"vote_{value}"):
                try:  # stored as a vote on the pair too (side 'a' was shown on the left); the arena rates blind ones
                    open_history().set_vote(live.run_id, value, who=person or None, tag=tag)
                except SelectorError as exc:
                    show_error_and_stop(exc)
                st.session_state["vote"] = value
                st.rerun()
    else:
        where = " and counts in the arena" if live.blind else " (only blind votes count in the arena)"
        st.success(f"Your vote: {VOTE_LABELS[vote].lower()}. Saved in the run history{where}.",
                   icon=":material/how_to_vote:")
        if live.blind:
            st.page_link("pages/arena.py", label="See the arena leaderboard", icon=":material/leaderboard:")
