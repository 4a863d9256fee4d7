"""The benchmark page's view of one run: summary table, charts, paired statistics, every answer, the CSV."""

import pandas as pd
import streamlit as st

from selector import benchmark, benchmark_charts
from selector.costs import DAYS_PER_MONTH, Traffic


def show_run(run: benchmark.BenchmarkRun, traffic: Traffic) -> None:
    st.subheader(f"Results{f' — run {run.run_id}' if run.run_id else ''}")
    st.caption(f"{run.source}: {len(run.rows)} prompts × {len(run.models)} models, {len(run.results)} calls, "
               f"{run.status_text}" + (f", {run.wall_s:.1f} s" if run.wall_s else ""))
    st.dataframe(pd.DataFrame(benchmark.summary_rows(run, traffic)), hide_index=True, width="stretch")
    st.caption("p50 is the typical call (half the calls were faster), p95 a slow one (1 call in 20 was slower), "
               "counted over the calls that succeeded, as a spreadsheet's PERCENTILE.INC does. Monthly cost: mean cost per request × "
               f"{traffic.requests_per_day:,.0f} requests/day × {DAYS_PER_MONTH} days; unknown prices stay unknown. "
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
