"""Guide: the few ideas that decide a model choice, each next to the page that acts on it."""

import pandas as pd
import streamlit as st

from pages._common import catalogue_or_stop

catalogue = catalogue_or_stop()
active = [m for m in catalogue.models if not m.is_retired]
open_count = sum(1 for m in active if m.open_weights)

st.title("Guide")
st.write(
    "Three ideas explain most of what this app asks and recommends. Read them once; each ends with "
    "the page where you can act on it."
)

# --- 1. how a model is made ------------------------------------------------------------------------
st.header("1. How a chat model is made", divider="gray")
st.write(
    "A model you can talk to is built in three layers. Only the first is expensive, and only the last "
    "two make it useful as an assistant."
)
st.dataframe(
    pd.DataFrame(
        [
            ("Pretraining", "Raw text, hundreds of billions of tokens", "Predict the next token",
             "Very high: millions of dollars, a handful of labs"),
            ("Supervised fine-tuning (SFT)", "10k-100k written prompt/answer pairs", "Follow instructions",
             "Medium"),
            ("Preference tuning (RLHF, DPO)", "50k-200k human rankings of two answers", "Prefer the answers people prefer",
             "Medium"),
        ],
        columns=["Stage", "Learns from", "Teaches the model to", "Cost"],
    ),
    hide_index=True,
    width="stretch",
)
st.write(
    "A **base** model has had only the first stage. It has read a great deal, but nobody has shown it "
    "what a question followed by an answer looks like, so it treats your prompt as the start of a "
    "document and keeps writing. **Instruct** (or chat) models add the other two stages. What this "
    "means for you: pick an instruct model for any product that talks to people, and keep base models "
    "for fine-tuning on your own data."
)
st.page_link(
    "pages/compare.py", label="See it: the two offline models answer the same prompt (one is a base model)",
    icon=":material/compare_arrows:",
)

# --- 2. frontier or open ------------------------------------------------------------------------------
st.header("2. Frontier API or open weights", divider="gray")
st.write(
    f"The catalogue holds {len(active)} current models: {open_count} with open weights you can download, "
    f"{len(active) - open_count} reachable only through their maker's API."
)
left, right = st.columns(2)
with left.container(border=True):
    st.subheader("A frontier model's API")
    st.markdown(
        "- The highest capability, above all on multi-step reasoning, code and images.\n"
        "- Nothing to run: pay per token, start today.\n"
        "- Choose it when quality decides, traffic is modest, or you have no one to run GPUs.\n"
        "- Watch for: your data leaves your premises; the bill grows with every request."
    )
with right.container(border=True):
    st.subheader("An open-weights model")
    st.markdown(
        "- Runs on your servers or a device: prompts never leave them.\n"
        "- Cost is GPU time, not tokens: cheaper once volume is high.\n"
        "- Can be fine-tuned freely on your own data.\n"
        "- Watch for: a step below on the hardest reasoning, and someone must operate it."
    )
st.write(
    "Choose open weights for private data, high volume, fine-tuning or strict compliance; choose a "
    "frontier API when you need the best reasoning, a tight latency promise without your own "
    "infrastructure, or have no machine-learning operations team."
)
st.page_link("pages/recommend.py", label="Let the questionnaire weigh this for you", icon=":material/recommend:")
st.page_link("pages/explore.py", label="Filter the catalogue by open weights and price", icon=":material/table:")

# --- 3. the five dimensions ------------------------------------------------------------------------------
st.header("3. Five questions, no single winner", divider="gray")
st.write(
    "Choosing a model is a trade-off along five dimensions, and no model leads on all of them. The "
    "questionnaire turns the first three into priorities and the last two into hard requirements."
)
DIMENSIONS = [
    ("Capability", "Can it do your task?",
     "Public benchmarks (MMLU for knowledge, HumanEval for code) narrow the field; frontier models still "
     "lead on reasoning. Your own prompts decide."),
    ("Cost", "What does each request cost?",
     "APIs charge roughly $0.001-0.01 per 1k output tokens; self-hosting costs GPU hours (an H100 rents "
     "for about $2-3 an hour) whatever the traffic."),
    ("Latency", "How long does a user wait?",
     "A provider's API answers in about 0.5-2 s at p95; an 8B model on your own H100 in 50-200 ms; under "
     "100 ms takes a small distilled model."),
    ("Context window", "Does everything fit in one request?",
     "Chat needs 4k-32k tokens; questions over long documents 200k and more; a code repository 128k and more."),
    ("Modalities", "Must it read images, audio or video?",
     "Only some models accept them; a text-only model is ruled out whatever its scores."),
]
for name, question, figures in DIMENSIONS:
    with st.container(border=True):
        st.markdown(f"**{name}: {question}**  \n{figures}")
st.page_link("pages/costs.py", label="Cost at your traffic, and when self-hosting pays off", icon=":material/payments:")
st.page_link("pages/compare.py", label="Latency measured live, two models side by side", icon=":material/timer:")
st.page_link("pages/benchmark.py", label="Capability on your own prompts", icon=":material/speed:")
