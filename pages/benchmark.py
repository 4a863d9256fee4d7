"""Benchmark your prompts: run a prompt file on 2-6 models; latency, cost and quality per model."""

import time

import pandas as pd
import streamlit as st

from pages._common import catalogue_or_stop, current_answers, link_to_questionnaire, person_name, show_error_and_stop
from pages._report import remember_run
from selector import benchmark, benchmark_charts
from selector.costs import Traffic
from selector.errors import SelectorError
from selector.history import open_history
from selector.live import MAX_TOKENS_CAP, CallSettings, provider_key_name, resolve_model
from selector.local import LOCAL_MODELS
from selector.preflight import preflight

DEFAULT_MODELS = ["smollm2-135m-instruct", "gemma-3-270m"]
NO_JUDGE = "No judge (rows marked 'judge' stay unchecked)"
LATEST = "The run above"


def show_run(run: benchmark.BenchmarkRun, traffic: Traffic) -> None:
    state = {"done": "finished", "stopped": "stopped: the calls that finished are kept", "running": "running"}
    st.subheader(f"Results{f' — run {run.run_id}' if run.run_id else ''}")
    st.caption(f"{run.source}: {len(run.rows)} prompts × {len(run.models)} models, {len(run.results)} calls, "
               f"{run.stop_reason or state.get(run.status, run.status)}" + (f", {run.wall_s:.1f} s" if run.wall_s else ""))
    st.dataframe(pd.DataFrame(benchmark.summary_rows(run, traffic)), hide_index=True, width="stretch")
    st.caption("p50 is the typical call (half the calls were faster), p95 a slow one (1 call in 20 was slower), "
               "counted over the calls that succeeded, as a spreadsheet's PERCENTILE.INC does. Monthly cost: mean cost per request × "
               f"{traffic.requests_per_day:,.0f} requests/day × 30.4 days; unknown prices stay unknown. "
               "Quality: share of checked answers that passed (exact, contains, regex or judge).")
    c1, c2 = st.columns(2)
    c1.plotly_chart(benchmark_charts.latency_distribution(run), width="stretch", key="bench_latency")
    c2.plotly_chart(benchmark_charts.cost_vs_quality(run.summaries(traffic)), width="stretch",
                    key="bench_cost_quality")
    st.markdown("**Paired statistics** (each pair of models on the prompts both answered; 95% level, 80% power)")
    st.markdown("\n".join(f"- {line}" for line in benchmark.comparison_lines(run)) or "Nothing to compare yet.")
    failed = [r for r in run.results if not r.ok]
    if failed:
        st.warning(f"{len(failed)} call(s) failed and are counted in the success rate: "
                   + "; ".join(f"row {r.row} on {r.model}: {r.error}" for r in failed[:3]), icon=":material/warning:")
    with st.expander("Every answer"):
        st.dataframe(pd.DataFrame([{k: r.to_record()[k] for k in benchmark.ROW_COLUMNS}
                                   for r in sorted(run.results, key=lambda r: (r.row, r.model))]),
                     hide_index=True, width="stretch")
    st.download_button("Download results (CSV)", benchmark.results_to_csv(run),
                       file_name=f"benchmark-{run.run_id or 'run'}.csv", mime="text/csv",
                       icon=":material/download:", key="bench_download")


catalogue = catalogue_or_stop()
st.title("Benchmark your prompts")
st.write(
    "Run your own prompts on two to six models and compare what you would get in production: success "
    "rate, latency and time to first token (p50 and p95), output tokens, cost per request and per month "
    "at your traffic, and quality where you give expected answers. Without a file, the example prompts "
    "run offline on the two small local models."
)
answers = current_answers()
traffic = answers.traffic if answers is not None else Traffic()
if answers is not None:
    st.caption(f"Traffic from your questionnaire: {traffic.requests_per_day:,.0f} requests/day.")
else:
    link_to_questionnaire(f"No questionnaire answers yet: monthly costs use default traffic "
                          f"({traffic.requests_per_day:,.0f} requests/day).")

uploaded = st.file_uploader(
    "Prompt file (CSV or JSONL)", type=["csv", "jsonl", "json"], key="bench_file",
    help=f"A 'prompt' column; optional 'expected' and 'check' (exact, contains, regex or judge; default "
         f"contains). At most {benchmark.MAX_ROWS} rows and {benchmark.MAX_FILE_BYTES // 1000:,} kB.",
)
if uploaded is not None:
    data, name = uploaded.getvalue(), uploaded.name
else:
    data, name = benchmark.EXAMPLE_PROMPTS.read_bytes(), "example prompts (data/examples/prompts.csv)"
try:
    rows = benchmark.load_prompts(data, name)
except SelectorError as exc:
    # Only the run needs the file: past runs below stay visible, and the message says what to fix.
    st.error(f"{exc} Fix the file and upload it again, or remove it to use the example prompts.",
             icon=":material/error:")
    rows = []
if rows:
    with st.expander(f"{len(rows)} prompts from {name}"):
        st.dataframe(pd.DataFrame([r.__dict__ for r in rows]), hide_index=True, width="stretch")

options = list(LOCAL_MODELS) + [m.id for m in catalogue.models if m.litellm_id and not m.is_retired
                                and m.id not in LOCAL_MODELS]
labels = {alias: f"{m.name} — offline" for alias, m in LOCAL_MODELS.items()}
labels |= {m.id: m.name for m in catalogue.models}
picked = st.multiselect("Models (2 to 6)", options, default=DEFAULT_MODELS, key="bench_models",
                        format_func=lambda i: labels.get(i, i))
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
judge_spec = st.selectbox("Judge model for rows whose check is 'judge'", [NO_JUDGE] + options, key="bench_judge",
                          format_func=lambda i: labels.get(i, i))
with st.expander("The judge's prompt"):
    st.code(benchmark.JUDGE_PROMPT, language=None)

with st.sidebar:
    st.subheader("API keys")
    st.caption("Kept only in this browser session: never saved, logged or put in a URL.")
    keys: dict[str, str | None] = {}
    typed: dict[str, str | None] = {}  # one field per key name, shared by the models that need it
    for spec in dict.fromkeys(specs + ([] if judge_spec == NO_JUDGE else [judge_spec])):
        try:
            key_name = provider_key_name(resolve_model(spec, catalogue=catalogue))
        except SelectorError:
            continue
        if key_name and key_name not in typed:
            typed[key_name] = st.text_input(key_name, type="password", key=f"bench_key_{key_name}") or None
        if key_name:
            keys[spec] = typed[key_name]

person = person_name()  # in the sidebar on every run, so it can be typed before the run starts
try:  # the preflight: tokens counted offline x prices; output priced at max tokens
    targets = benchmark.check_models(specs, catalogue)
    judge = None if judge_spec == NO_JUDGE else resolve_model(judge_spec, catalogue=catalogue)
    estimate = preflight([r.prompt for r in rows], targets, int(max_tokens), catalogue, concurrency=int(concurrency),
                         judge=judge, judged_rows=[r.index for r in rows if r.check == "judge"])
    if rows:
        st.info(estimate.summary() + "".join(f" {n}." for n in estimate.notes), icon=":material/calculate:")
except SelectorError:
    estimate = None  # the run button reports the problem

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
        targets = benchmark.check_models(specs, catalogue)
        judge = None if judge_spec == NO_JUDGE else resolve_model(judge_spec, catalogue=catalogue)
        settings = CallSettings(max_tokens=int(max_tokens), temperature=0.0, timeout_s=float(timeout_s)).checked()
        with st.spinner("Starting..."):
            job = benchmark.BenchmarkJob(
                rows=rows, targets=targets, settings=settings, concurrency=int(concurrency),
                api_keys={s: keys.get(s) for s in keys}, history=open_history(who=person), judge=judge, source=name,
                max_cost_usd=float(max_cost) or None, preflight=estimate,
            ).start()
    except SelectorError as exc:
        show_error_and_stop(exc)
    st.session_state["bench_job"] = job
    remember_run(job.run.run_id)  # the report's benchmark statistics include this run
    st.session_state["bench_reopen"] = LATEST

if job is not None and job.running:
    bar = st.progress(0.0, text="Starting...")
    while job.running:
        bar.progress(job.done / job.run.total, text=f"{job.done} of {job.run.total} calls finished")
        time.sleep(0.25)
    bar.progress(1.0, text=f"{job.done} of {job.run.total} calls finished")

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
