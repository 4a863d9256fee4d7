import streamlit as st

from pages._common import (
    as_text,
    catalogue_or_stop,
    current_answers,
    link_to_questionnaire,
    show_error_and_stop,
)
from pages._widgets import api_keys_sidebar, person_name
from pages._compare_view import pick_model, show_answers, start_local_servers, vote_section
from pages._report import remember_run
from selector.errors import SelectorError
from selector.history import open_history
from selector.live import DEFAULT_PROMPT, MAX_TOKENS_CAP, CallSettings, LiveRun, callable_models, check_prompt, resolve_model
from selector.scoring import recommend

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

options = {label: model_id for model_id, label in callable_models(catalogue).items()}  # label -> id
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
keys = api_keys_sidebar(targets or {})  # side -> typed key (None: the environment's)

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
        # In blind mode the session puts either model on the left, at random.
        live = LiveRun(targets=dict(targets), prompt=prompt, settings=settings, api_keys=keys,
                       history=open_history(who=person), blind=blind).start()
    except SelectorError as exc:
        show_error_and_stop(exc)
    st.session_state["live"] = live
    remember_run(live.run_id)  # the report includes every comparison of this session
    st.session_state["vote"] = None

if live is None:
    st.stop()

show_answers(live, hide_names=live.blind and st.session_state.get("vote") is None)
vote_section(live, answers, person)
