import random
import time
from typing import get_args

import streamlit as st

from pages._common import (
    as_text,
    catalogue_or_stop,
    current_answers,
    link_to_questionnaire,
    person_name,
    show_error_and_stop,
    without_images,
)
from pages._report import remember_run
from selector.answers import UseCase
from selector.errors import SelectorError
from selector.history import open_history
from selector.live import (
    DEFAULT_PROMPT, MAX_TOKENS_CAP, SIDES, CallSettings, LiveRun, check_prompt, provider_key_name, resolve_model,
)
from selector.local import LOCAL_MODELS, ensure_server
from selector.scoring import recommend

CUSTOM = "Custom OpenAI-compatible endpoint"
LITELLM_STRING = "Other LiteLLM model string"
DEFAULTS = {"a": "smollm2-135m-instruct", "b": "gemma-3-270m"}
VOTE_LABELS = {"a": "Left is better", "b": "Right is better", "tie": "Tie", "both_bad": "Both are bad"}


def save_vote(live: LiveRun, value: str, who: str | None, tag: str | None) -> None:
    """The verdict on the run, also stored as a vote on the pair (side 'a' was shown on the left);
    the arena rates only the blind ones."""
    open_history().set_vote(live.run_id, value, who=who or None, tag=tag)


def start_local_servers(targets, blind: bool = False) -> None:
    """Start the bundled models' servers before streaming, saying what the wait is for (a first start loads
    the model: about 10-15 s). A note such as "default port taken" shows once per session, never in blind mode."""
    shown_notes: set[str] = st.session_state.setdefault("local_notes_shown", set())
    for target in targets:
        if target.local_alias:
            with st.spinner(f"Starting the local model {target.label} on this machine: the first start loads it "
                            "into memory and takes about 10-15 s; later runs start at once..."):
                info = ensure_server(target.local_alias)  # stopped when the app exits (pages/_common.py)
            if info.note and not blind and info.note not in shown_notes:
                shown_notes.add(info.note)
                st.info(info.note)


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


def metrics_line(res, show_cost: bool = True) -> str:
    def fmt(value, unit="", digits=2):
        return "unknown" if value is None else f"{value:.{digits}f}{unit}"

    tokens = "unknown" if res.output_tokens is None else f"{res.output_tokens}" + (
        " (counted)" if res.output_tokens_counted else "")
    if res.cost_usd is None:
        cost = "cost unknown"
    elif res.cost_source == "local":
        cost = "$0 (runs on this machine)"
    else:
        cost = f"${res.cost_usd:.6f} ({res.cost_source} prices)"
    parts = [f"first token {fmt(res.ttft_s, ' s')}", f"total {fmt(res.latency_s, ' s')}", f"{tokens} output tokens",
             fmt(res.tokens_per_s, " tok/s", 1)]
    if show_cost:  # in blind mode a $0 cost would give the local model away
        parts.append(cost)
    return " · ".join(parts + [f"finish: {res.finish_reason or 'unknown'}"])


catalogue = catalogue_or_stop()
st.title("Compare two models live")
st.write(
    "Type your own prompt and watch two models answer it at the same time, with the numbers that "
    "matter: time to first token, total time, output speed and cost. It works offline with the two "
    "small models that ship with the app; add an API key in the sidebar to try a provider's model."
)
st.info(
    "**The default pair shows how models are made.** SmolLM2 135M Instruct went through supervised "
    "fine-tuning (SFT) on prompt/answer pairs, so it tries to answer you. Gemma 3 270M here is a base "
    "model: pretraining alone taught it to predict the next token, so it continues your text instead "
    "of answering it. Instruction tuning is what turns a text completer into an assistant.",
    icon=":material/school:",
)

answers = current_answers()
if answers is None:
    link_to_questionnaire("No questionnaire answers yet, so no top picks to suggest here.")
else:
    try:
        picks = recommend(catalogue, answers, top=3).picks
    except SelectorError as exc:
        show_error_and_stop(exc)
    if picks:
        st.caption("Your recommendation's top picks: " + ", ".join(f"**{p.model.name}**" for p in picks)
                   + ". Choose them below (a provider's model needs its API key) or keep the offline pair.")

options = {f"{m.name} — offline": alias for alias, m in LOCAL_MODELS.items()}
options |= {f"{m.name} ({m.provider})": m.id for m in catalogue.models
            if m.litellm_id and m.id not in LOCAL_MODELS and not m.is_retired}
col_a, col_b = st.columns(2)
spec_a, base_a = pick_model("a", col_a, options)
spec_b, base_b = pick_model("b", col_b, options)

prompt = st.text_area("Prompt", DEFAULT_PROMPT, height=100, key="prompt")
with st.expander("Settings"):
    system = st.text_area("System prompt (optional)", "", height=68)
    c1, c2, c3 = st.columns(3)
    temperature = c1.slider("Temperature", 0.0, 2.0, 0.7, 0.1)
    max_tokens = c2.number_input("Max output tokens", 1, MAX_TOKENS_CAP, 128, step=16, key="max_tokens")
    timeout_s = c3.number_input("Timeout per model (s)", 5, 600, 120, step=5)
blind = st.toggle("Blind mode: hide the names until I vote", value=False, key="blind")

try:
    targets = {"a": resolve_model(spec_a, base_a, catalogue), "b": resolve_model(spec_b, base_b, catalogue)} \
        if spec_a and spec_b else None
except SelectorError as exc:
    targets = None
    st.warning(as_text(str(exc)))  # echoes the model string typed or linked

with st.sidebar:
    st.subheader("API keys")
    st.caption("Kept only in this browser session: never saved, logged or put in a URL. "
               "Keys in the environment or .streamlit/secrets.toml are used when these are empty.")
    keys: dict[str, str | None] = {}
    for side in SIDES:
        target = targets[side] if targets else None
        name = provider_key_name(target) if target else None
        if name:
            keys[side] = st.text_input(name, type="password", key=f"key_{name}") or None
        elif target and target.api_base:
            keys[side] = st.text_input(f"Key for {target.api_base} (if it needs one)", type="password",
                                       key=f"key_url_{side}") or None
    if not any(t.needs_key for t in (targets or {}).values()) and not any(t.api_base for t in (targets or {}).values()):
        st.write("The picked models run on this machine: no key needed.")

if targets is not None and any(not t.local_alias for t in targets.values()):
    from selector.preflight import preflight

    try:  # counted offline (LiteLLM's token counter); the output side is priced at max tokens
        estimate = preflight([prompt], list(targets.values()), int(max_tokens), catalogue, concurrency=2,
                             system=system.strip() or None)
        st.caption(estimate.summary() + "".join(f" Note: {n}." for n in estimate.notes))
    except SelectorError as exc:
        st.caption(as_text(f"Preflight unavailable: {exc}"))

person = person_name()  # in the sidebar on every run, so it can be typed before the run starts
b1, b2, _ = st.columns([1, 1, 4])
run_clicked = b1.button("Compare", type="primary", disabled=targets is None, icon=":material/play_arrow:", key="run")
stop_clicked = b2.button("Stop", icon=":material/stop:", key="stop")

live: LiveRun | None = st.session_state.get("live")
if stop_clicked and live is not None and live.running:
    live.stop()
    live.join(timeout=15)

if run_clicked and targets is not None:
    if live is not None and live.running:
        live.stop()
    try:
        settings = CallSettings(max_tokens=int(max_tokens), temperature=float(temperature),
                                system=system.strip() or None, timeout_s=float(timeout_s)).checked()
        check_prompt(prompt)
        start_local_servers(targets.values(), blind=blind)
        pair = dict(targets)
        if blind and random.random() < 0.5:
            pair = {"a": targets["b"], "b": targets["a"]}  # the left column must not give the pick away
        live = LiveRun(targets=pair, prompt=prompt, settings=settings, api_keys={
            "a": keys.get("a") if pair["a"] is targets["a"] else keys.get("b"),
            "b": keys.get("b") if pair["b"] is targets["b"] else keys.get("a"),
        }, history=open_history(who=person), blind=blind).start()
    except SelectorError as exc:
        show_error_and_stop(exc)
    st.session_state["live"] = live
    remember_run(live.run_id)  # the report includes every comparison of this session
    st.session_state["shown"] = {side: "" for side in SIDES}
    st.session_state["vote"] = None

if live is None:
    st.stop()

shown: dict[str, str] = st.session_state.setdefault("shown", {side: "" for side in SIDES})
hide_names = live.blind and st.session_state.get("vote") is None
columns = st.columns(2)
slots = {}
for number, (side, column) in enumerate(zip(SIDES, columns), start=1):
    with column:
        title = f"Answer {number}" if hide_names else live.targets[side].label
        st.subheader(title)
        if not hide_names and live.targets[side].note:
            st.caption(live.targets[side].note)
        slots[side] = st.empty()

done = set(live.results)
while len(done) < len(SIDES):
    for side in SIDES:
        while True:
            try:
                kind, payload = live.queues[side].get_nowait()
            except Exception:
                break
            if kind == "delta":
                shown[side] += payload
            else:
                done.add(side)
        if side not in done:
            slots[side].markdown(without_images(shown[side]) + " ▌")  # model output: never fetch an image
    time.sleep(0.05)

for side in SIDES:
    res = live.results[side]
    with slots[side].container():
        st.markdown(without_images(res.text) if res.text else "*(no text)*")
        if res.error:
            st.error(as_text(res.error), icon=":material/error:")
        st.caption(metrics_line(res, show_cost=not hide_names))
st.caption(f"Wall time for both: {live.wall_s:.2f} s (the two run at the same time)"
           if live.wall_s is not None else "")

failed_sides = [side for side in SIDES if live.results[side].error]
if live.run_id is not None and failed_sides and st.session_state.get("vote") is None:
    # A vote compares two answers: with a side failed there is nothing to judge, and a vote would skew the arena.
    st.info(f"No vote for this run: model {' and '.join(s.upper() for s in failed_sides)} failed. "
            "Fix the problem above and compare again to vote.", icon=":material/how_to_vote:")
elif live.run_id is not None:
    vote = st.session_state.get("vote")
    if vote is None:
        st.write("Which answer is better?")
        tag = None
        if live.blind:  # the arena filters votes by use case (and by the sidebar's name)
            use_cases = list(get_args(UseCase))
            default = answers.use_cases[0] if answers is not None and answers.use_cases else "general"
            tag = st.selectbox("Use-case tag for this vote", use_cases, index=use_cases.index(default), key="vote_tag")
        vote_cols = st.columns(len(VOTE_LABELS))
        for col, (value, label) in zip(vote_cols, VOTE_LABELS.items()):
            if col.button(label, key=f"vote_{value}"):
                try:
                    save_vote(live, value, person, tag)
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
