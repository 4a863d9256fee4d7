"""Routing simulator: the heuristic's decisions, the classifier model, cost and quality arithmetic, the Router export."""

from __future__ import annotations

import asyncio

import pytest
import yaml

from selector.benchmark import BenchmarkRun, PromptRow, RowResult
from selector.costs import DAYS_PER_MONTH, Traffic
from selector.errors import SelectorError
from scripted_caller import scripted
from selector.live import import_litellm, resolve_model
from selector.routing import (
    CLASSIFIER_PROMPT,
    COMPLEX,
    SIMPLE,
    Classification,
    catalogue_prices,
    classifier_failed,
    classify_prompt,
    classify_with_model,
    fallback_count,
    parse_classifier_answer,
    router_config,
    router_config_yaml,
    simulate_routing,
)

CANARY = "sk-test-CANARY-routing-0123456789abcdef"


@pytest.mark.parametrize(
    ("prompt", "label", "rule"),
    [
        ("What year was Python created?", SIMPLE, "short"),
        ("Translate 'good morning' into French.", SIMPLE, "short"),
        ("Design a rate limiter for a REST API", COMPLEX, "keyword"),
        ("Explain why the sky is blue.", COMPLEX, "keyword"),
        ("Prove that there are infinitely many primes.", COMPLEX, "keyword"),
        ("What does this do?\n```python\nprint(sum(range(10)))\n```", COMPLEX, "code"),
        ("Fix it:\n    for i in range(3): print(i)", COMPLEX, "code"),
        ("1. Read the file\n2. Count the words", COMPLEX, "multi_step"),
        ("First list the capitals, then sort them by population.", COMPLEX, "multi_step"),
        ("Who wrote Hamlet? When was it first performed?", COMPLEX, "multi_step"),
        ("word " * 61, COMPLEX, "long"),
        ("word " * 60, SIMPLE, "short"),
    ],
)
def test_the_heuristic_routes_and_names_the_rule_that_fired(prompt, label, rule):
    decision = classify_prompt(prompt)
    assert (decision.label, decision.rule) == (label, rule)
    assert decision.detail


def test_the_seed_examples_route_as_the_seed_says():
    assert classify_prompt("What year was Python created?").label == SIMPLE
    assert classify_prompt("Design a rate limiter for a REST API").label == COMPLEX
    assert classify_prompt("Design a rate limiter for a REST API").detail == "keyword 'design'"


@pytest.mark.parametrize(("text", "label"), [("SIMPLE", "simple"), ("complex.", "complex"), (" Simple\n", "simple"),
                                              ("I think it is hard", None), ("", None)])
def test_classifier_answers(text, label):
    assert parse_classifier_answer(text) == label


def test_a_classifier_model_decides_and_the_heuristic_covers_its_failures():
    litellm = import_litellm()
    target = resolve_model("gpt-4o-mini")
    boom = litellm.RateLimitError(message="slow down", llm_provider="openai", model="gpt-4o-mini")
    prompts = ["What is 2 + 2?", "Design a cache", "Prove it", "Hi"]
    with scripted({"gpt-4o-mini": dict(zip(prompts, ["SIMPLE", "COMPLEX", boom, "hmm"]))}):
        out = classify_with_model(prompts, target, api_key=CANARY)
    assert [c.label for c in out] == [SIMPLE, COMPLEX, COMPLEX, SIMPLE]
    assert [c.by for c in out] == ["model", "model", "fallback", "fallback"]
    assert fallback_count(out) == 2 and not classifier_failed(out)  # half is not more than half
    assert "classifier failed" in out[2].detail and "keyword 'prove'" in out[2].detail
    assert "classifier answered 'hmm'" in out[3].detail
    assert "SIMPLE" in CLASSIFIER_PROMPT and "COMPLEX" in CLASSIFIER_PROMPT



def test_a_classifier_answering_nonsense_is_reported_as_failed():
    target = resolve_model("gpt-4o-mini")
    prompts = ["What is 2 + 2?", "Design a cache", "Prove it"]
    with scripted({"gpt-4o-mini": ["banana", "42", "SIMPLE"]}):
        out = classify_with_model(prompts, target, api_key=CANARY)
    assert fallback_count(out) == 2 and classifier_failed(out)
    assert not classifier_failed([]) and fallback_count([]) == 0


# --- cost and quality arithmetic -------------------------------------------------------------------------

PROMPTS = [(1, "a"), (2, "b"), (3, "c"), (4, "d")]
LABELS = [Classification(SIMPLE, "short", ""), Classification(SIMPLE, "short", ""),
          Classification(SIMPLE, "short", ""), Classification(COMPLEX, "keyword", "")]


def test_catalogue_prices_mix_by_share():
    traffic = Traffic(requests_per_day=1000)
    report = simulate_routing(PROMPTS, LABELS, "cheap", "strong", traffic, prices={"cheap": 0.001, "strong": 0.01})
    assert (report.share_simple, report.share_complex) == (0.75, 0.25)
    assert [d.model for d in report.decisions] == ["cheap", "cheap", "cheap", "strong"]
    assert report.routed_cost_per_request_usd == pytest.approx(0.75 * 0.001 + 0.25 * 0.01)   # 0.00325
    assert report.strong_cost_per_request_usd == 0.01
    assert report.routed_monthly_usd == pytest.approx(0.00325 * 1000 * DAYS_PER_MONTH)        # $98.80
    assert report.saving_share == pytest.approx(0.675)
    assert report.quality_difference is None


def test_an_unknown_price_leaves_the_comparison_unknown():
    report = simulate_routing(PROMPTS, LABELS, "cheap", "strong", Traffic(), prices={"cheap": None, "strong": 0.01})
    assert report.routed_cost_per_request_usd is None and report.routed_monthly_usd is None
    assert report.saving_share is None and report.strong_monthly_usd is not None
    assert any("cheap has no known price" in n for n in report.notes)


def run_in_fresh_loop(coro):
    """asyncio.run in a thread of its own: Playwright's sync API keeps a loop running in the main thread."""
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coro).result()


def _row(model, row, cost, passed, ok=True):
    return RowResult(model=model, row=row, prompt="", expected="x", check="contains", ok=ok, cost_usd=cost,
                     passed=passed, error=None if ok else "failed")


def test_measured_costs_and_quality_from_a_benchmark_run():
    run = BenchmarkRun(rows=[PromptRow(i, p) for i, p in PROMPTS], models=["cheap", "strong"], run_id=9, results=[
        _row("cheap", 1, 0.001, True), _row("strong", 1, 0.010, True),
        _row("cheap", 2, 0.002, False), _row("strong", 2, 0.020, True),
        _row("cheap", 3, 0.001, True), _row("strong", 3, 0.010, True),
        _row("cheap", 4, 0.004, False), _row("strong", 4, 0.040, True),
    ])
    report = simulate_routing(PROMPTS, LABELS, "cheap", "strong", Traffic(requests_per_day=10), run=run)
    # routed: 0.001 + 0.002 + 0.001 (cheap on 1-3) + 0.040 (strong on 4) = 0.044 over 4 prompts
    assert report.routed_cost_per_request_usd == pytest.approx(0.011)
    assert report.strong_cost_per_request_usd == pytest.approx(0.02)    # 0.08 / 4
    assert report.saving_share == pytest.approx(0.45)
    assert report.routed_monthly_usd == pytest.approx(0.011 * 10 * DAYS_PER_MONTH)
    # routed passes rows 1, 3 (cheap) and 4 (strong): 3/4; always strong passes all four
    assert (report.quality_routed, report.quality_strong, report.quality_rows) == (0.75, 1.0, 4)
    assert report.quality_difference == pytest.approx(-0.25)
    assert report.cost_basis.startswith("measured in benchmark run 9 over 4 prompt(s)")


def test_prompts_a_model_failed_are_left_out_of_the_measured_comparison():
    run = BenchmarkRun(rows=[], models=["cheap", "strong"], run_id=3, results=[
        _row("cheap", 1, 0.001, True), _row("strong", 1, 0.010, True),
        _row("cheap", 2, None, None, ok=False), _row("strong", 2, 0.020, True),
    ])
    report = simulate_routing(PROMPTS[:2], LABELS[:2], "cheap", "strong", Traffic(), run=run)
    assert report.routed_cost_per_request_usd == pytest.approx(0.001)
    assert any("1 prompt(s) left out" in n for n in report.notes)


def test_bad_simulations_are_refused():
    with pytest.raises(SelectorError, match="two different models"):
        simulate_routing(PROMPTS, LABELS, "same", "same", Traffic(), prices={})
    run = BenchmarkRun(rows=[], models=["cheap", "other"], run_id=4)
    with pytest.raises(SelectorError, match="did not measure strong"):
        simulate_routing(PROMPTS, LABELS, "cheap", "strong", Traffic(), run=run)


def test_catalogue_prices_follow_the_traffic_and_local_models_cost_nothing():
    from selector.catalogue import load_catalogue
    from selector.costs import request_cost_usd

    catalogue = load_catalogue()
    traffic = Traffic(input_tokens=500, output_tokens=100)
    prices = catalogue_prices(["gpt-4o", "smollm2-135m-instruct", "openai/unknown-x"], catalogue, traffic)
    assert prices["gpt-4o"] == pytest.approx(request_cost_usd(catalogue.by_id["gpt-4o"], traffic))
    assert prices["smollm2-135m-instruct"] == 0.0 and prices["openai/unknown-x"] is None


# --- the LiteLLM Router export ------------------------------------------------------------------------


def test_the_router_config_routes_by_tag_in_a_real_litellm_router_and_holds_no_key(monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", CANARY)
    cheap, strong = resolve_model("gpt-4o-mini"), resolve_model("smollm2-135m-instruct")
    text = router_config_yaml(cheap, strong)
    assert CANARY not in text
    assert not [line for line in text.splitlines() if "api_key" in line and not line.startswith("#")]
    assert "keyword: asks for work" in text and "-> simple" in text
    config = yaml.safe_load(text)
    assert config == router_config(cheap, strong)
    assert config["model_list"][1]["litellm_params"]["api_base"] == "http://127.0.0.1:18431/v1"
    litellm = import_litellm()
    router = litellm.Router(model_list=config["model_list"], **config["router_settings"])

    async def chosen(tags) -> set[str]:
        # The proxy's path (async) applies tag filtering; each tag is asked several times, since
        # without filtering the router would pick between the two deployments at random.
        extra = {"metadata": {"tags": tags}} if tags else {}
        picked = set()
        for _ in range(6):
            response = await router.acompletion(model="routed", messages=[{"role": "user", "content": "hi"}],
                                                mock_response="ok", **extra)
            picked.add(response._hidden_params["litellm_model_name"])
        return picked

    assert run_in_fresh_loop(chosen(["simple"])) == {"gpt-4o-mini"}
    assert run_in_fresh_loop(chosen(["complex"])) == {"openai/smollm2-135m-instruct"}
    assert run_in_fresh_loop(chosen(None)) == {"openai/smollm2-135m-instruct"}   # untagged goes to the strong model


def test_a_classifier_model_policy_carries_its_prompt():
    text = router_config_yaml(resolve_model("gpt-4o-mini"), resolve_model("gpt-4o"), classifier="gpt-4o-mini")
    assert "Classify each request with a cheap model (gpt-4o-mini)" in text
    assert "Reply with the single word" in text
