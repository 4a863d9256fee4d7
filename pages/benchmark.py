"""Benchmark your prompts: run a prompt file on 2-6 models; latency, cost and quality per model."""

from dataclasses import asdict

import pandas as pd
import streamlit as st

from pages._common import answered_traffic, catalogue_or_stop, show_error_and_stop
from pages._benchmark_view import show_run
from pages._report import remember_run
from pages._widgets import api_keys_sidebar, person_name, pick_model, pick_models, prompt_file, resolved
from selector import benchmark
from selector.errors import SelectorError
from selector.history import open_history
from selector.live import MAX_TOKENS_CAP, CallSettings, resolve_model
from selector.preflight import preflight

DEFAULT_MODELS = ["smollm2-135m-instruct", "gemma-3-270m"]
NO_JUDGE = "No judge (rows marked 'judge' stay unchecked)"
LATEST = "The run above"


@st.fragment(run_every=0.5)
def show_progress(job: benchmark.BenchmarkJob) -> None:
    """The running job's progress, redrawn on its own every half second; the whole page reruns when it ends."""
    if not job.running:
        st.rerun()
    st.progress(job.done / job.run.total, text=f"{job.done} of {job.run.total} calls finished")


catalogue = catalogue_or_stop()
st.title("Benchmark your prompts")
st.write(
    "Run your own prompts on two to six models and compare what you would get in production: success "
    "rate, latency and time to first token (p50 and p95), output tokens, cost per request and per month "
    "at your traffic, and quality where you give expected answers. Without a file, the example prompts "
    "run offline on the two small local models."
)
_, traffic = answered_traffic()

rows, name = prompt_file("bench_file", keep_going=True, help=(
    f"A 'prompt' column; optional 'expected' and 'check' (exact, contains, regex or judge; default contains). "
    f"At most {benchmark.MAX_ROWS} rows and {benchmark.MAX_FILE_BYTES // 1000:,} kB."))
if rows:
    with st.expander(f"{len(rows)} prompts from {name}"):
        st.dataframe(pd.DataFrame([asdict(r) for r in rows]), hide_index=True, width="stretch")

picked = pick_models(catalogue, "Models (2 to 6)", "bench_models", DEFAULT_MODELS)
extra = st.text_input("More models by LiteLLM name (comma-separated, optional)", key="bench_extra",
                      placeholder="anthropic/claude-haiku-4-5, openai/gpt-4o-mini")
specs = picked + [s.strip() for s in extra.split(",") if s.strip()]

c1, c2, c3, c4 = st.columns(4)
max_tokens = c1.number_input("Max output tokens", 1, MAX_TOKENS_CAP, 32, step=16, key="bench_max_tokens")
concurrency = c2.number_input("Calls at once", 1, benchmark.MAX_CONCURRENCY, 2, key="bench_concurrency",
                              help="Bounded concurrency; each bundled local server still answers one call at a time.")
timeout_s = c3.number_input("Timeout per call (s)", 5, 600, 120, step=5, key="bench_timeout")
max_cost = c4.number_input("Spending cap (USD, 0 = none)", 0.0, 10_000.0, 0.0, step=1.0, format="%.2f",
                           key="bench_max_cost", help="No call starts that could take the run past it; finished rows are kept.")
judge_spec = pick_model(catalogue, "Judge model for rows whose check is 'judge'", "bench_judge", first=[NO_JUDGE])
with st.expander("The judge's prompt"):
    st.code(benchmark.JUDGE_PROMPT, language=None)

keys = api_keys_sidebar(resolved(specs + ([] if judge_spec == NO_JUDGE else [judge_spec]), catalogue))
person = person_name()  # in the sidebar on every run, so it can be typed before the run starts
try:
    targets = benchmark.check_models(specs, catalogue)
    judge = None if judge_spec == NO_JUDGE else resolve_model(judge_spec, catalogue=catalogue)
    problem = None
except SelectorError as exc:
    targets, judge, problem = [], None, exc  # the run button reports it
try:  # the preflight: tokens counted offline x prices; output priced at max tokens
    estimate = preflight([r.prompt for r in rows], targets, int(max_tokens), catalogue, concurrency=int(concurrency),
                         judge=judge, judged_rows=[r.index for r in rows if r.check == "judge"]) if targets else None
    if rows and estimate is not None:
        st.info(estimate.summary() + "".join(f" {n}." for n in estimate.notes), icon=":material/calculate:")
except SelectorError:
    estimate = None

b1, b2, _ = st.columns([1, 1, 4])
run_clicked = b1.button("Run benchmark", type="primary", icon=":material/play_arrow:", key="bench_run",
                        disabled=not rows, help=None if rows else "Upload a valid prompt file first.")
stop_clicked = b2.button("Stop", icon=":material/stop:", key="bench_stop")

job: benchmark.BenchmarkJob | None = st.session_state.get("bench_job")
if stop_clicked and job is not None and job.running:
    job.stop()
    job.join(timeout=30)

if run_clicked:
    if job is not None and job.running:
        job.stop()
    try:
        if problem is not None:
            raise problem
        settings = CallSettings(max_tokens=int(max_tokens), temperature=0.0, timeout_s=float(timeout_s)).checked()
        with st.spinner("Starting..."):
            job = benchmark.BenchmarkJob(
                rows=rows, targets=targets, settings=settings, concurrency=int(concurrency),
                api_keys=keys, history=open_history(who=person), judge=judge, source=name,
                max_cost_usd=float(max_cost) or None, preflight=estimate,
            ).start()
    except SelectorError as exc:
        show_error_and_stop(exc)
    st.session_state["bench_job"] = job
    remember_run(job.run.run_id)  # the report's benchmark statistics include this run
    st.session_state["bench_reopen"] = LATEST

if job is not None and job.running:
    show_progress(job)  # redrawn in place: the page stays live, so Stop works during the run
    st.caption("The results appear here when the run ends; Stop keeps the calls that finished.")
    st.stop()

try:
    history = open_history()
    past = history.list_benchmarks(limit=50)
except SelectorError as exc:
    show_error_and_stop(exc)
choices = ([LATEST] if job is not None else []) + [p["id"] for p in past]
if not choices:
    st.info("No benchmark yet: pick models and press Run benchmark.")
    st.stop()
if st.session_state.get("bench_reopen") not in choices:
    st.session_state["bench_reopen"] = choices[0]
by_id = {p["id"]: p for p in past}
chosen = st.selectbox(
    "Show", choices, key="bench_reopen",
    format_func=lambda c: c if c == LATEST else
    f"Run {c}: {by_id[c]['source']} on {', '.join(by_id[c]['settings'].get('models', []))} ({by_id[c]['created_at'][:16]})",
)
try:
    shown = job.run if chosen == LATEST else benchmark.load_run(history, int(chosen))
except SelectorError as exc:
    show_error_and_stop(exc)
show_run(shown, traffic)
st.caption("For catalogue models, the recommendation uses these measured latencies and quality "
           "instead of its estimates.")
