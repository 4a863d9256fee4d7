import datetime as dt

import streamlit as st

from pages._common import keep_answers_in_url, show_error_and_stop
from pages._evidence import show_history_notice
from selector.errors import SelectorError
from selector.history import open_history, rows_to_csv

# The stored field -> the column's heading on screen (the CSV keeps the stored names for scripts).
COLUMNS = {
    "created_at": "When", "model": "Model", "prompt": "Prompt", "text": "Answer", "error": "Error",
    "ttft_s": "First token (s)", "latency_s": "Total time (s)", "tokens_per_s": "Output speed (tokens/s)",
    "output_tokens": "Output tokens", "output_tokens_counted": "Tokens counted by us", "cost_usd": "Cost (USD)",
    "finish_reason": "Why it stopped", "vote": "Vote", "blind": "Blind vote", "side": "Side", "kind": "From",
    "run_id": "Run",
}

keep_answers_in_url()
st.title("Run history")
st.write("Every live comparison and benchmark run is saved with its prompt, settings, answers, metrics, "
         "errors, your vote and your name (never an API key). Filter it, and download it as CSV.")

c1, c2, c3 = st.columns(3)
model = c1.text_input("Model contains", placeholder="gemma")
text = c2.text_input("Prompt or answer contains")
days = c3.date_input("Date range", value=(), help="leave empty for all dates")
c4, c5, c6 = st.columns(3)
voted = c4.selectbox("Vote", ["any", "voted", "not voted"])
errors_only = c5.checkbox("Only failed sides")
limit = c6.number_input("At most rows", 10, 10_000, 500, step=50)

since = until = None
if isinstance(days, (list, tuple)) and len(days) == 2:
    since, until = days
elif isinstance(days, dt.date):
    since = until = days

try:
    history = open_history()
    show_history_notice(history, always=True)  # e.g. a damaged file moved aside: say where it went
    rows = history.query(
        model=model or None, text=text or None, since=since, until=until,
        voted={"any": None, "voted": True, "not voted": False}[voted], errors_only=errors_only, limit=int(limit),
    )
except SelectorError as exc:
    show_error_and_stop(exc)

kinds = {kind: sum(1 for row in rows if row.get("kind") == kind) for kind in ("compare", "benchmark")}
st.caption(f"{len(rows)} rows (one per model per run): {kinds['compare']} from live comparisons, "
           f"{kinds['benchmark']} from benchmark runs; from {history.path}")
if not rows:
    st.info("No runs match. Compare two models on the “Compare two models live” page and they appear here.")
    st.page_link("pages/compare.py", label="Compare two models live", icon=":material/compare_arrows:")
    st.stop()
st.dataframe([{label: row.get(k) for k, label in COLUMNS.items()} for row in rows], hide_index=True,
             use_container_width=True, placeholder="")
st.download_button("Download CSV", rows_to_csv(rows), file_name="model-selector-history.csv", mime="text/csv",
                   icon=":material/download:")
