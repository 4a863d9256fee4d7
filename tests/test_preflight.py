"""Preflight (offline token count x prices x repeats; time) and the benchmark's hard spending cap."""

from __future__ import annotations

import json
import re

import pytest

from selector import preflight as pf
from selector.benchmark import check_models, load_prompts, run_benchmark
from selector.catalogue import load_catalogue
from selector.cli import main
from selector.errors import SelectorError
from selector.history import open_history
from scripted_caller import per_prompt, scripted
from selector.live import CallSettings, import_litellm

CANARY = "sk-test-CANARY-preflight-0123456789"
PROMPTS = ["What is the capital of France?", "Write a haiku about the sea.", "What is 2 + 2?"]


@pytest.fixture(scope="module")
def catalogue():
    return load_catalogue()


def test_tokens_are_counted_offline_with_litellms_counter_and_local_models_cost_nothing(catalogue):
    litellm = import_litellm()
    targets = check_models(["smollm2-135m-instruct", "gemma-3-270m"], catalogue)
    estimate = pf.preflight(PROMPTS, targets, max_tokens=32, catalogue=catalogue)
    tokens = sum(litellm.token_counter(model="", text=p) + pf.CHAT_OVERHEAD_TOKENS for p in PROMPTS)
    for m in estimate.models:
        assert m.input_tokens == tokens and m.output_tokens_max == 3 * 32 and m.calls == 3
        assert m.cost_usd == 0.0 and "$0" in m.price_source
        assert m.seconds == pytest.approx(3 * (pf.LOCAL_TTFT_S + 32 / pf.LOCAL_TOKENS_PER_S))
    assert estimate.cost_usd == 0.0 and estimate.notes == []


def test_cost_is_tokens_times_the_catalogue_prices_times_the_repeats(catalogue):
    (target,) = [t for t in check_models(["gpt-4o", "gpt-4o-mini"], catalogue) if t.spec == "gpt-4o"]
    once = pf.preflight(PROMPTS, [target], max_tokens=100, catalogue=catalogue)
    thrice = pf.preflight(PROMPTS, [target], max_tokens=100, catalogue=catalogue, repeats=3)
    model = catalogue.by_id["gpt-4o"]
    m = once.models[0]
    expected = (m.input_tokens * model.input_usd_per_mtok + 300 * model.output_usd_per_mtok) / 1e6
    assert m.cost_usd == pytest.approx(expected) and once.cost_usd == pytest.approx(expected)
    assert thrice.cost_usd == pytest.approx(3 * expected) and thrice.models[0].calls == 9
    assert sum(once.call_estimate("gpt-4o", i) for i in (1, 2, 3)) == pytest.approx(expected)
    assert "estimated cost at most $" in once.summary()


def test_a_model_without_any_price_has_an_unknown_cost_and_a_note(catalogue):
    from selector.live import resolve_model

    target = resolve_model("my-model", api_base="http://127.0.0.1:9/v1")
    estimate = pf.preflight(PROMPTS, [target], max_tokens=10, catalogue=catalogue)
    assert estimate.cost_usd is None and estimate.models[0].cost_usd is None
    assert "no known price" in estimate.notes[0] and "unknown" in estimate.summary()


def test_a_negative_cap_is_refused():
    with pytest.raises(SelectorError, match="--max-cost must be a number of US dollars >= 0"):
        pf.check_cap(-1)


def test_a_thousand_prompts_on_six_models_take_under_a_second(catalogue):
    import time

    import_litellm()
    targets = check_models(["gpt-4o", "gpt-4o-mini", "smollm2-135m-instruct", "gemma-3-270m",
                            "anthropic/claude-haiku-4-5", "claude-3-5-haiku"], catalogue)
    prompts = [f"Question {i}: explain the difference between a list and a tuple." for i in range(1000)]
    start = time.perf_counter()
    estimate = pf.preflight(prompts, targets, 128, catalogue, concurrency=4)
    assert time.perf_counter() - start < 1.0
    assert estimate.cost_usd is not None and estimate.cost_usd > 0


def test_the_spending_cap_stops_the_run_and_keeps_every_finished_row(catalogue):
    rows = load_prompts(("prompt,expected\n" + "".join(f"What is {i} + {i}?,{2 * i}\n" for i in range(12))).encode(),
                        "sums.csv")
    targets = check_models(["gpt-4o", "gpt-4o-mini"], catalogue)
    estimate = pf.preflight([r.prompt for r in rows], targets, 64, catalogue, concurrency=2)
    cap = estimate.cost_usd / 4
    history = open_history()
    replies = per_prompt(rows, [f"The answer is {2 * i}. " * 6 for i in range(12)])
    with scripted({t.spec: replies for t in targets}):
        run = run_benchmark(rows, targets, CallSettings(max_tokens=64, retries=0), concurrency=2, history=history,
                            api_keys={t.spec: CANARY for t in targets}, max_cost_usd=cap, preflight=estimate)
    assert run.status == "stopped"
    assert 0 < len(run.results) < run.total
    assert all(r.ok and r.cost_usd is not None for r in run.results)
    spent = sum(r.cost_usd for r in run.results)
    assert spent <= cap
    assert run.stop_reason.startswith(f"stopped at the spending cap (${spent:.4f} of ${cap:.4f})")
    stored = history.get_benchmark(run.run_id)
    assert len(stored["results"]) == len(run.results) and stored["status"] == "stopped"
    assert run.to_dict()["stop_reason"] == run.stop_reason


def test_a_run_under_its_cap_finishes(catalogue):
    rows = load_prompts(b"prompt\nhi\nhello\n", "two.csv")
    targets = check_models(["gpt-4o", "gpt-4o-mini"], catalogue)
    with scripted({t.spec: "ok" for t in targets}):
        run = run_benchmark(rows, targets, CallSettings(max_tokens=16, retries=0),
                            api_keys={t.spec: CANARY for t in targets}, max_cost_usd=1.0)
    assert run.status == "done" and run.stop_reason is None and len(run.results) == 4


def test_the_cli_takes_max_cost_and_its_json_carries_the_preflight_the_cap_and_the_paired_stats(tmp_path, capsys):
    path = tmp_path / "p.csv"
    path.write_text("prompt,expected\nWhat is 2 + 2?,4\nCapital of France?,Paris\n")
    code = main(["bench-prompts", "--prompts", str(path), "--models", "gpt-4o,gpt-4o-mini", "--max-cost", "0",
                 "--json"])
    out = json.loads(capsys.readouterr().out)
    assert code == 0
    assert out["max_cost_usd"] == 0 and out["preflight"]["cost_usd"] > 0 and "summary" in out["preflight"]
    assert out["status"] == "stopped" and out["rows"] == []  # the first call alone would pass a $0 cap
    assert out["stop_reason"].startswith("stopped at the spending cap ($0.0000 of $0.0000)")
    assert out["paired_statistics"] == []


def test_the_cli_says_when_the_estimate_is_above_the_cap(tmp_path, capsys):
    path = tmp_path / "p.csv"
    path.write_text("prompt\nhi\n")
    assert main(["bench-prompts", "--prompts", str(path), "--models", "gpt-4o,gpt-4o-mini", "--max-cost", "0",
                 "--no-history"]) == 0
    captured = capsys.readouterr()
    assert captured.out.startswith("Preflight: 2 calls (1 prompt × 2 models)")
    assert "stopped at the spending cap" in captured.out
    assert "the estimate is above the spending cap of $0.0000" in captured.err
    with pytest.raises(SystemExit):
        main(["bench-prompts", "--prompts", str(path), "--models", "gpt-4o,gpt-4o-mini", "--max-cost", "x"])


def test_the_benchmark_page_shows_the_preflight_before_a_run():
    from conftest import open_app_page

    at = open_app_page("pages/benchmark.py", timeout=120)
    (line,) = [i.value for i in at.info if i.value.startswith("Preflight:")]
    assert "11 prompts × 2 models" in line and "estimated cost at most $0.0000" in line
    at.multiselect(key="bench_models").set_value(["gpt-4o", "gpt-4o-mini"]).run()
    (line,) = [i.value for i in at.info if i.value.startswith("Preflight:")]
    assert re.search(r"estimated cost at most \$0\.\d{4}", line) and "$0.0000" not in line


def test_the_compare_page_shows_a_preflight_line_for_an_api_model_only():
    from conftest import open_app_page

    at = open_app_page("pages/compare.py", timeout=120)
    assert not [c.value for c in at.caption if c.value.startswith("Preflight:")]  # two local models: nothing to pay
    gpt = next(o for o in at.selectbox(key="pick_b").options if o.startswith("GPT-4o mini ("))
    at.selectbox(key="pick_b").set_value(gpt).run()
    (line,) = [c.value for c in at.caption if c.value.startswith("Preflight:")]
    assert line.startswith("Preflight: 2 calls (1 prompt × 2 models)") and re.search(r"at most \$0\.\d{4}", line)
