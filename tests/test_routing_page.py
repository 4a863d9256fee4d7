"""AppTest of the routing simulator: catalogue prices by default, a benchmark run's measured figures, the export."""

from __future__ import annotations

from pathlib import Path

import yaml
from conftest import open_app_page
from streamlit.testing.v1 import AppTest

from selector.benchmark import PromptRow, check_models, run_benchmark
from selector.history import open_history
from scripted_caller import per_prompt, scripted
from selector.live import CallSettings

ROOT = Path(__file__).resolve().parent.parent
TIMEOUT = 60
CANARY = "sk-test-CANARY-routepage-0123456789abcdef"


def open_page() -> AppTest:
    return open_app_page("pages/routing.py", TIMEOUT)


def metrics(at) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def test_the_example_prompts_route_with_catalogue_prices_and_export_a_config():
    at = open_page()
    assert at.title[0].value == "Routing simulator"
    # Defaults are models with no announced shutdown within a year (not gpt-4o, shut down in January).
    assert at.selectbox(key="route_cheap").value == "claude-haiku-4-5"
    assert at.selectbox(key="route_strong").value == "claude-sonnet-4-6"
    shown = metrics(at)
    # the example file: 7 short questions, 4 prompts with complexity cues
    assert shown["Routed to the cheap model"] == "64%" and shown["Routed to the strong model"] == "36%"
    assert shown["Monthly, routed"].startswith("$") and shown["Monthly, always strong"].startswith("$")
    decisions = at.dataframe[-1].value
    assert "keyword 'design'" in list(decisions["why"])
    config = yaml.safe_load(next(c.value for c in at.code if "model_list" in c.value))
    assert [d["litellm_params"]["tags"] for d in config["model_list"]] == [["simple"], ["complex", "default"]]
    assert not at.error


def test_the_same_model_twice_is_one_clear_message():
    at = open_page()
    at.selectbox(key="route_strong").set_value(at.selectbox(key="route_cheap").value).run()
    assert at.error and at.error[0].value.startswith("routing needs two different models")


def test_a_benchmark_run_gives_measured_costs_and_the_quality_difference():
    rows = [PromptRow(1, "Capital of France?", "Paris", "contains"),
            PromptRow(2, "Design a rate limiter and explain the trade-offs.", "token bucket", "contains")]
    with scripted({"gpt-4o-mini": per_prompt(rows, ["Paris", "no idea"]),
                   "gpt-4o": per_prompt(rows, ["Paris", "Use a token bucket."])}):
        run = run_benchmark(rows, check_models(["gpt-4o-mini", "gpt-4o"]), CallSettings(max_tokens=8),
                            history=open_history(), api_keys={"gpt-4o-mini": CANARY, "gpt-4o": CANARY},
                            source="mine.csv")
    at = open_page()
    assert at.selectbox(key="route_source").value == f"Benchmark run {run.run_id}: mine.csv"
    shown = metrics(at)
    assert shown["Routed to the cheap model"] == "50%"
    assert any(c.value.startswith(f"Costs: measured in benchmark run {run.run_id} over 2 prompt(s)") for c in at.caption)
    # routed: the cheap model on row 1 (passed), the strong one on row 2 (passed) -> same as always strong
    assert any("routed 100%, always strong 100%" in m.value and "+0%" in m.value for m in at.markdown)


def test_a_classifier_answering_nonsense_is_not_presented_or_exported_as_a_classification(monkeypatch):
    import selector.routing as routing

    real = routing.classify_with_model
    monkeypatch.setattr(routing, "classify_with_model",
                        lambda prompts, target, **kw: real(prompts, target, api_key=CANARY))
    at = open_page()
    at.radio(key="route_how").set_value("A cheap classifier model").run()
    with scripted({"*": "banana"}):
        at.button(key="route_classify").click().run()
    assert not at.exception, at.exception
    # The calls run off the script run (a fragment redraws a note meanwhile): wait for them, bounded, then rerun.
    at.session_state["route_classified"][2].result(timeout=TIMEOUT)  # raises TimeoutError: the test fails
    at.run()
    [error] = [e.value for e in at.error]
    assert "The classifier did not work" in error and "for 11 of 11 prompts" in error
    decisions = at.dataframe[-1].value
    assert set(decisions["decided by"]) == {"rules (fallback)"}
    config = next(c.value for c in at.code if "model_list" in c.value)
    assert "Classify each request with these rules" in config  # the export is the rules' policy
    assert "with a cheap model" not in config
