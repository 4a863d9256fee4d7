"""AppTest of the benchmark page: example prompts by default, bad input stops, a real local run, reopening."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import open_app_page
from streamlit.testing.v1 import AppTest

from selector.benchmark import PromptRow, check_models, run_benchmark
from selector.history import open_history
from scripted_caller import per_prompt, scripted
from selector.live import CallSettings

ROOT = Path(__file__).resolve().parent.parent
TIMEOUT = 180  # a run imports litellm and two small models answer on 2 shared cores
CANARY = "sk-test-CANARY-benchpage-0123456789abcdef"


def open_page() -> AppTest:
    return open_app_page("pages/benchmark.py", TIMEOUT)


def test_the_page_opens_offline_with_the_example_prompts_and_the_local_pair():
    at = open_page()
    assert at.title[0].value == "Benchmark your prompts"
    assert at.multiselect(key="bench_models").value == ["smollm2-135m-instruct", "gemma-3-270m"]
    assert any(e.label.startswith("11 prompts from example prompts") for e in at.expander)
    assert any("PASS or FAIL" in c.value for c in at.code)        # the judge's prompt is shown
    assert any("No benchmark yet" in i.value for i in at.info)


@pytest.mark.parametrize(
    ("models", "extra", "message"),
    [
        (["smollm2-135m-instruct"], "", "pick 2 to 6 models (got 1)"),
        (["smollm2-135m-instruct"], "no-such-model-xyz", "unknown model id 'no-such-model-xyz'"),
    ],
)
def test_bad_model_choices_give_one_line_and_run_nothing(models, extra, message):
    at = open_page()
    at.multiselect(key="bench_models").set_value(models)
    at.text_input(key="bench_extra").set_value(extra)
    at.button(key="bench_run").click().run()
    assert not at.exception, at.exception
    assert [e.value for e in at.error] and at.error[0].value.startswith(message)
    assert open_history().list_benchmarks() == []


def test_a_stored_run_can_be_reopened_with_its_table():
    history = open_history()
    rows = [PromptRow(1, "Capital of France?", "Paris", "contains"), PromptRow(2, "Hi", None, None)]
    with scripted({"gpt-4o": per_prompt(rows, ["Paris", "Hello"]), "gpt-4o-mini": per_prompt(rows, ["Lyon", "Hey"])}):
        run = run_benchmark(rows, check_models(["gpt-4o", "gpt-4o-mini"]), CallSettings(max_tokens=8), history=history,
                            api_keys={"gpt-4o": CANARY, "gpt-4o-mini": CANARY}, source="mine.csv")
    at = open_page()
    assert at.selectbox(key="bench_reopen").value == run.run_id
    summary = next(d.value for d in at.dataframe if "Quality" in d.value.columns)
    assert list(summary["Quality"]) == ["100% (1/1)", "0% (0/1)"]
    assert list(summary["Success"]) == ["2/2", "2/2"]
    assert all(v.startswith("$") for v in summary["Cost / request"])
    assert any("mine.csv: 2 prompts × 2 models, 4 calls, finished" in c.value for c in at.caption)

# The run itself on the local models is covered by tests/test_browser_benchmark.py (the same page, 22 real calls).


def test_a_bad_prompt_file_is_one_error_and_the_rest_of_the_page_stays(tmp_path, monkeypatch):
    """A file that fails to load (here the example file, the same path as an upload) no longer hides past runs."""
    import selector.benchmark as benchmark_module

    history = open_history()
    rows = [PromptRow(1, "Capital of France?", "Paris", "contains")]
    with scripted({"gpt-4o": "Paris", "gpt-4o-mini": "Lyon"}):
        run = run_benchmark(rows, check_models(["gpt-4o", "gpt-4o-mini"]), CallSettings(max_tokens=8), history=history,
                            api_keys={"gpt-4o": CANARY, "gpt-4o-mini": CANARY}, source="mine.csv")
    bad = tmp_path / "prompts.csv"
    bad.write_text("question\nno prompt column here\n")
    monkeypatch.setattr(benchmark_module, "EXAMPLE_PROMPTS", bad)
    at = open_page()
    assert not at.exception, at.exception
    assert len(at.error) == 1 and "Fix the file and upload it again" in at.error[0].value
    assert at.button(key="bench_run").disabled
    assert at.selectbox(key="bench_reopen").value == run.run_id  # past runs are still there
    shown = " ".join(c.value for c in at.caption)
    assert "Hyndman" not in shown and "selector.benchmark" not in shown and "p95 a slow one" in shown


class FakeJob:
    """A benchmark job the test finishes by hand: the page only reads running, done, run, stop() and join()."""

    def __init__(self):
        from selector.benchmark import BenchmarkRun, RowResult

        rows = [PromptRow(1, "Capital of France?", "Paris", "contains")]
        results = [RowResult(model=m, row=1, prompt=rows[0].prompt, expected="Paris", check="contains", text=text,
                             ok=True, ttft_s=0.1, latency_s=0.2, output_tokens=2, cost_usd=0.0, cost_source="local",
                             passed=text == "Paris") for m, text in (("a", "Paris"), ("b", "Lyon"))]
        self.run = BenchmarkRun(rows=rows, models=["a", "b"], labels={"a": "Model A", "b": "Model B"},
                                results=results[:1], source="fake.csv", status="running")
        self._final = results
        self.running = True
        self.stopped = False

    @property
    def done(self) -> int:
        return len(self.run.results)

    def stop(self) -> None:
        self.stopped = True

    def join(self, timeout=None) -> None:
        return None

    def finish(self) -> None:
        self.run.results, self.run.status, self.running = self._final, "done", False


def test_a_running_job_shows_progress_without_blocking_and_its_results_when_it_ends():
    """The progress is a fragment: the script run ends while the job runs (so Stop can be clicked), and the
    next run after the job ends shows its results."""
    job = FakeJob()
    at = open_app_page("pages/benchmark.py", TIMEOUT, session={"bench_job": job, "bench_reopen": "The run above"})
    assert [p.value for p in at.get("progress")] and "1 of 2 calls finished" in at.get("progress")[0].proto.text
    assert not [c for c in at.caption if "fake.csv" in c.value]  # no results while running
    at.button(key="bench_stop").click().run()
    assert job.stopped
    job.finish()
    at.run()
    assert not at.exception, at.exception
    assert any("fake.csv: 1 prompts × 2 models, 2 calls, finished" in c.value for c in at.caption)
    assert not at.get("progress")


def test_models_sharing_a_key_share_one_password_field():
    at = open_page()
    at.multiselect(key="bench_models").set_value(["gpt-4o", "gpt-4o-mini"]).run()
    assert not at.exception, at.exception
    fields = [t for t in at.sidebar.text_input if t.key.startswith("key_")]
    assert [t.key for t in fields] == ["key_OPENAI_API_KEY"]
    fields[0].set_value(CANARY).run()
    assert CANARY not in str(at.query_params)  # never in the URL
