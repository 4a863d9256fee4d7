"""The decision engine on small catalogues built here: constraints, parts, reasons, invariants."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from catalogue_samples import bench
from selector.answers import parse_answers
from selector.catalogue import parse_catalogue
from selector.errors import AnswersError, CatalogueError
from selector.report import prepare_report
from selector.rules import NEGLIGIBLE_COST_USD, USE_CASE_RULES
from selector.scoring import recommend


def model(model_id: str, **overrides) -> dict:
    """A valid catalogue entry: a closed API model with a price and two benchmarks, unless overridden."""
    entry = {
        "id": model_id, "name": model_id.title(), "provider": "Acme", "family": "A", "open_weights": False,
        "license": "proprietary", "params_b": None, "context_tokens": 128_000, "max_output_tokens": None,
        "input_usd_per_mtok": 1.0, "output_usd_per_mtok": 4.0, "price_source": "https://example.com/prices",
        "input_modalities": ["text"], "output_modalities": ["text"], "languages": ["en"],
        "benchmarks": {"mmlu": bench("mmlu", 80), "gpqa_diamond": bench("gpqa_diamond", 50)},
        "release_date": None, "sources": ["https://example.com"], "as_of": "2026-11-01",
        "evidence_note": "test entry", "checked": {"prices": "2026-11-01", "benchmarks": "2026-11-01"},
    }
    entry.update(overrides)
    return entry


def open_model(model_id: str, params_b: float | None, **overrides) -> dict:
    fields = {"open_weights": True, "license": "apache-2.0", "params_b": params_b,
              "input_usd_per_mtok": None, "output_usd_per_mtok": None, "price_source": None}
    return model(model_id, **{**fields, **overrides})


def catalogue(*entries):
    return parse_catalogue({"models": list(entries)}, "test.yaml")


def run(cat, top=3, **answers):
    return recommend(cat, parse_answers(answers), top=top)


def reasons_of(recommendation, model_id):
    return next(e.reasons for e in recommendation.excluded if e.model.id == model_id)


# --- hard constraints: each exclusion says why, in words and numbers ---------------------------


@pytest.mark.parametrize(
    "entry, answers, reason",
    [
        (model("small", context_tokens=128_000), {"context_tokens": 200_000}, "context 128,000 < required 200,000"),
        (model("nowin", context_tokens=None), {}, "context window unknown (required 8,000)"),
        (model("blind"), {"modalities": ["text", "image"]}, "no image input"),
        (model("deaf"), {"modalities": ["audio", "video"]}, "no audio input and no video input"),
        (model("closed"), {"data_must_stay_on_premises": True}, "weights not available: data must stay on premises"),
        (model("closed"), {"deployment": "self_hosted"}, "weights not available: cannot be self-hosted"),
        (model("closed"), {"deployment": "edge"}, "weights not available: cannot run on a device"),
        (open_model("big", 70), {"deployment": "edge"}, "does not fit the laptop"),
        (open_model("big-phone", 8), {"deployment": "edge", "device": "phone"}, "does not fit the flagship phone"),
        (open_model("sizeless", None), {"deployment": "edge"}, "parameter count unknown: cannot confirm it fits on a device"),
        (open_model("apiless", 8), {"deployment": "api"}, "no live hosted offer or maker API price"),
        (model("pricey", input_usd_per_mtok=100, output_usd_per_mtok=100), {"budget_usd_per_month": 500},
         "monthly cost $3,648 > budget $500"),
        (model("slow"), {"latency_p95_ms": 300}, "estimated p95 time to first token 1,200 ms > target 300 ms"),
        (model("thinker", reasoning=True), {"latency_p95_ms": 3000}, "estimated p95 time to first token"),
        (model("old", status="retired"), {}, "retired by its maker"),
        (model("retiring", shutdown_date="2026-12-20", lifecycle_source="https://example.com/deprecations"), {},
         "shuts down on 2026-12-20, 49 days after the catalogue date"),
        (model("gone", shutdown_date="2026-10-01", lifecycle_source="https://example.com/deprecations"), {},
         "shut down on 2026-10-01"),
        (model("monolingual", languages=["en"]), {"languages": ["zh", "en"]}, "does not support zh"),
        (model("other"), {"allow": ["fine"]}, "not in the approved list"),
    ],
    ids=lambda v: v["id"] if isinstance(v, dict) and "id" in v else None,
)
def test_each_hard_constraint_excludes_with_a_reason(entry, answers, reason):
    fine = model("fine", context_tokens=2_000_000, input_modalities=["text", "image", "audio", "video"], languages=["en", "zh"])
    result = run(catalogue(entry, fine), **answers)
    assert entry["id"] not in [p.model.id for p in result.picks]
    assert any(reason in r for r in reasons_of(result, entry["id"])), reasons_of(result, entry["id"])


def test_a_model_failing_several_constraints_lists_them_all():
    result = run(catalogue(model("a", context_tokens=8000)), context_tokens=32000, modalities=["image"],
                 data_must_stay_on_premises=True)
    assert reasons_of(result, "a") == [
        "context 8,000 < required 32,000", "no image input", "weights not available: data must stay on premises",
    ]


def test_retired_model_competes_when_it_is_on_the_approved_list():
    cat = catalogue(model("old", status="retired"), model("new"))
    assert "old" not in [p.model.id for p in run(cat).picks]
    assert "old" in [p.model.id for p in run(cat, allow=["old", "new"]).picks]


def test_unknown_cost_is_flagged_not_treated_as_free_or_over_budget():
    cat = catalogue(model("cheap"), model("secret", input_usd_per_mtok=None, output_usd_per_mtok=None, price_source=None))
    result = run(cat, budget_usd_per_month=10_000, priorities={"quality": 3, "cost": 5, "latency": 0})
    secret = next(p for p in result.picks if p.model.id == "secret")
    assert secret.monthly_cost_usd is None and secret.score_parts["cost"].value == 0.0
    assert "cannot be checked against the $10,000 budget" in " ".join(secret.reasons)
    assert result.picks[0].model.id == "cheap"


# --- cost basis and latency estimates -----------------------------------------------------------


def test_open_weights_cost_follows_the_deployment():
    cat = catalogue(open_model("llama", 8, input_usd_per_mtok=0.05, output_usd_per_mtok=0.08, price_source="https://host"))
    api = run(cat, deployment="any").picks[0]
    assert api.cost_basis == "maker's API price" and api.monthly_cost_usd == pytest.approx(1000 * 30.4 * (1000 * 0.05 + 200 * 0.08) / 1e6)
    hosted = run(cat, deployment="self_hosted").picks[0]
    assert hosted.cost_basis.startswith("self-hosted on 1 GPU(s) (1 replica(s) of 1) at $2.5/hour")
    assert hosted.monthly_cost_usd == pytest.approx(2.5 * 24 * 30.4)
    assert run(cat, data_must_stay_on_premises=True).picks[0].cost_basis.startswith("self-hosted")


def test_open_weights_without_api_price_is_costed_as_self_hosting_and_unknown_size_as_unknown():
    result = run(catalogue(open_model("known", 8), open_model("mystery", None)))
    by_id = {p.model.id: p for p in result.picks}
    assert by_id["known"].cost_basis.startswith("self-hosted") and by_id["known"].monthly_cost_usd > 0
    assert by_id["mystery"].monthly_cost_usd is None and "parameter count unknown" in by_id["mystery"].cost_basis


def pick_of(result, model_id):
    return next(p for p in result.picks if p.model.id == model_id)


def test_self_hosted_latency_comes_from_the_physics_and_prompt_size_counts():
    cat = catalogue(open_model("eight", 8, kv_cache_kb_per_token=128))
    chat = pick_of(run(cat, deployment="self_hosted"), "eight").latency
    assert 50 <= chat.p50_ms <= chat.p95_ms <= 200, chat  # the seed: an 8B model on an H100 answers in 50-200 ms
    assert "H100" in chat.basis
    long = pick_of(run(cat, deployment="self_hosted", context_tokens=120_000,
                       traffic={"requests_per_day": 1000, "input_tokens": 100_000, "output_tokens": 200}), "eight").latency
    assert long.p95_ms > 5 * chat.p95_ms


def test_api_latency_uses_a_measured_speed_else_a_stated_default():
    cat = catalogue(model("measured", speed={"ttft_ms": 300, "output_tokens_per_s": 100, "source": "s"}), model("plain"))
    result = run(cat)
    assert "measured" in pick_of(result, "measured").latency.basis
    assert pick_of(result, "measured").latency.p50_ms == pytest.approx(300)
    assert "default" in pick_of(result, "plain").latency.basis


def test_a_model_that_can_answer_without_thinking_is_judged_so_when_speed_matters():
    hybrid = model("hybrid", reasoning=True, thinking_optional=True)
    always = model("always", reasoning=True, thinking_optional=False)
    result = run(catalogue(hybrid, always, model("plain")), latency_p95_ms=1500)
    assert pick_of(result, "hybrid").latency.effort == "none"
    assert "always" in [e.model.id for e in result.excluded]
    slow = run(catalogue(hybrid, always), use_cases=["reasoning"])
    assert pick_of(slow, "hybrid").latency.effort == "high" and pick_of(slow, "always").latency.effort == "high"


def test_devices_have_no_server_bill_and_the_budget_applies_to_what_is_billed():
    cat = catalogue(open_model("one", 1, kv_cache_kb_per_token=32), open_model("eight", 8, kv_cache_kb_per_token=128))
    result = run(cat, deployment="edge", device="phone", budget_usd_per_month=0, context_tokens=4000)
    top = result.picks[0]
    assert top.model.id == "one" and top.monthly_cost_usd == 0.0 and "users' devices" in top.cost_basis
    assert any("needs" in r and "GB against 4.0 GB" in r for r in reasons_of(result, "eight"))
    roomy = run(cat, deployment="edge", device="phone", device_memory_gb=12, context_tokens=4000)
    assert {p.model.id for p in roomy.picks} == {"one", "eight"}


def test_a_latency_target_keeps_fast_self_hosted_models():
    cat = catalogue(open_model("eight", 8), model("api"))
    result = run(cat, deployment="self_hosted", latency_p95_ms=100)
    assert [p.model.id for p in result.picks] == ["eight"]


# --- capability: benchmarks per use case, explicit fallbacks -----------------------------------


def test_capability_uses_the_use_case_benchmarks():
    coder = model("coder", benchmarks={"swe_bench_verified": bench("swe_bench_verified", 70), "mmlu": bench("mmlu", 70)})
    scholar = model("scholar", benchmarks={"swe_bench_verified": bench("swe_bench_verified", 30), "mmlu": bench("mmlu", 90)})
    cat = catalogue(coder, scholar)
    assert run(cat, use_cases=["code"]).picks[0].model.id == "coder"
    assert run(cat, use_cases=["general"]).picks[0].model.id == "scholar"


def test_a_model_without_evidence_is_listed_apart_not_ranked_as_bad():
    cat = catalogue(
        model("full", benchmarks={"mmmu": bench("mmmu", 70), "mmlu": bench("mmlu", 80)}),
        model("other", benchmarks={"ifeval": bench("ifeval", 80)}),
        model("blank", benchmarks={}),
    )
    result = run(cat, use_cases=["multimodal"], priorities={"quality": 5, "cost": 0, "latency": 0})
    assert [u.model.id for u in result.unrated] == ["blank"]
    assert "blank" not in result.ranked_ids and "not enough evidence to rank" in result.unrated[0].advice
    other = pick_of(result, "other")
    assert other.capability.basis == "predicted" and "predicted from its 1 published score" in other.score_parts["capability"].note
    full = pick_of(result, "full")
    assert full.capability.high - full.capability.low < other.capability.high - other.capability.low


def test_overlapping_intervals_are_named_as_within_the_margin():
    cat = catalogue(model("a", benchmarks={"mmlu": bench("mmlu", 80)}), model("b", benchmarks={"mmlu": bench("mmlu", 80.5)}))
    result = run(cat)
    assert result.margin and "within the evidence's margin" in result.margin


def test_a_new_model_competes_without_code_changes():
    base = [model(f"m{i}", benchmarks={"gpqa_diamond": bench("gpqa_diamond", 40 + i)}) for i in range(4)]
    newcomer = model("newco-1", strengths=["reasoning", "math"],
                     benchmarks={"gpqa_diamond": bench("gpqa_diamond", 90), "aime_2024": bench("aime_2024", 95)})
    result = run(catalogue(*base, newcomer), use_cases=["reasoning"])
    assert result.picks[0].model.id == "newco-1"


def test_every_use_case_rule_names_known_benchmarks_and_strengths():
    from selector.catalogue import BENCHMARKS, Strength
    strengths = set(Strength.__args__)
    for name, rule in USE_CASE_RULES.items():
        assert set(rule.benchmarks) <= set(BENCHMARKS), name
        assert set(rule.strengths) <= strengths, name


# --- the result object ------------------------------------------------------------------------


def test_picks_carry_parts_reasons_and_the_runner_up_trade_off():
    cat = catalogue(
        model("strong", input_usd_per_mtok=10, output_usd_per_mtok=40, benchmarks={"mmlu": bench("mmlu", 90)}),
        model("cheap", input_usd_per_mtok=0.1, output_usd_per_mtok=0.4, benchmarks={"mmlu": bench("mmlu", 75)}),
        model("meh", input_usd_per_mtok=5, output_usd_per_mtok=20, benchmarks={"mmlu": bench("mmlu", 60)}),
    )
    result = run(cat, priorities={"quality": 5, "cost": 2, "latency": 1})
    assert [p.rank for p in result.picks] == [1, 2, 3]
    top, runner = result.picks[0], result.runner_up
    assert top.model.id == "strong" and runner.model.id == "cheap"
    assert len(top.reasons) == 3 and all(r.endswith(".") for r in top.reasons)
    assert sum(part.contribution for part in top.score_parts.values()) == pytest.approx(top.score)
    assert all(0 <= part.value <= 1 for part in top.score_parts.values())
    assert top.score_parts["capability"].weight == 5 and top.score_parts["cost"].weight == 2
    assert runner.tradeoff.startswith("Cheap against Strong: lower cost ($")
    assert "but lower capability (" in runner.tradeoff
    assert result.picks[0].tradeoff is None


def as_data(result) -> dict:
    """The recommendation as the CLI's JSON states it (the report's facts, one shape)."""
    return json.loads(json.dumps(prepare_report(result, generated_at="fixed").facts.model_dump(mode="json")))


def test_the_result_has_the_cli_json_shape():
    result = run(catalogue(model("a"), model("b", context_tokens=4000)), top=2)
    data = as_data(result)
    assert set(data) >= {"recommendations", "excluded", "catalogue"}
    pick = data["recommendations"][0]
    assert set(pick) >= {"rank", "id", "name", "score", "score_parts", "reasons", "monthly_cost_usd"}
    assert set(pick["score_parts"]["capability"]) >= {"score", "weight", "contribution"}
    assert [{"id": e["id"], "reasons": e["reasons"]} for e in data["excluded"]] == [
        {"id": "b", "reasons": ["context 4,000 < required 8,000"]}]
    assert {k: data["catalogue"][k] for k in ("path", "as_of", "models")} == {
        "path": "test.yaml", "as_of": "2026-11-01", "models": 2}


def test_nothing_fits_names_the_closest_model_with_its_numbers():
    cat = catalogue(model("a", context_tokens=100_000), model("b", context_tokens=150_000), model("c", input_modalities=["text"], context_tokens=8000))
    result = run(cat, context_tokens=180_000)
    assert result.picks == [] and result.candidates == 0
    assert "The closest is B, which misses 1 requirement: context 150,000 < required 180,000" in result.binding
    assert "most common obstacle is the context window (3 of 3 models)" in result.binding


def test_closest_is_the_smallest_miss_not_the_first_found():
    cat = catalogue(model("dear", input_usd_per_mtok=5, output_usd_per_mtok=20), model("cheap", input_usd_per_mtok=0.05, output_usd_per_mtok=0.1))
    result = run(cat, budget_usd_per_month=0)
    assert "The closest is Cheap" in result.binding


def test_nothing_fits_when_every_model_fails_twice():
    result = run(catalogue(model("a", context_tokens=1000)), context_tokens=8000, modalities=["image"])
    assert "misses 2 requirements" in result.binding


def test_bad_top_is_an_error():
    with pytest.raises(AnswersError, match="top must be >= 1"):
        run(catalogue(model("a")), top=0)


def test_unknown_allow_id_is_an_error_naming_the_closest():
    with pytest.raises(CatalogueError, match="did you mean 'alpha'"):
        recommend(catalogue(model("alpha")), parse_answers({"allow": ["alpah"]}))


# --- properties ---------------------------------------------------------------------------------

benchmark_names = ["mmlu", "gpqa_diamond", "math", "humaneval", "ifeval", "mmmu", "swe_bench_verified"]


@st.composite
def random_models(draw):
    count = draw(st.integers(1, 8))
    entries = []
    for i in range(count):
        open_weights = draw(st.booleans())
        priced = draw(st.booleans()) or not open_weights and draw(st.booleans())
        price_in = draw(st.floats(0, 20)) if priced else None
        entries.append(model(
            f"m{i}",
            open_weights=open_weights,
            params_b=draw(st.one_of(st.none(), st.floats(0.5, 500))) if open_weights else None,
            context_tokens=draw(st.one_of(st.none(), st.sampled_from([4096, 32768, 128000, 200000, 2_000_000]))),
            input_usd_per_mtok=price_in,
            output_usd_per_mtok=None if price_in is None else price_in * 4,
            price_source="https://p" if priced else None,
            input_modalities=["text"] + draw(st.lists(st.sampled_from(["image", "audio", "video"]), unique=True)),
            reasoning=draw(st.booleans()),
            status=draw(st.sampled_from(["active", "deprecated", "retired"])),
            languages=draw(st.lists(st.sampled_from(["en", "fr", "zh"]), min_size=1, unique=True)),
            benchmarks={n: bench(n, draw(st.floats(0, 100)))
                        for n in draw(st.lists(st.sampled_from(benchmark_names), unique=True))},
        ))
    return catalogue(*entries)


random_answers = st.fixed_dictionaries({
    "use_cases": st.lists(st.sampled_from(list(USE_CASE_RULES)), min_size=1, max_size=3, unique=True),
    "modalities": st.lists(st.sampled_from(["text", "image", "audio", "video"]), min_size=1, max_size=2, unique=True),
    "context_tokens": st.sampled_from([1000, 8000, 100_000, 150_000, 500_000]),
    "languages": st.lists(st.sampled_from(["en", "fr", "zh"]), min_size=1, unique=True),
    "deployment": st.sampled_from(["any", "api", "self_hosted", "edge"]),
    "data_must_stay_on_premises": st.booleans(),
    "latency_p95_ms": st.one_of(st.none(), st.sampled_from([80.0, 300.0, 2500.0, 40_000.0])),
    "traffic": st.fixed_dictionaries({
        "requests_per_day": st.sampled_from([0, 10, 1000, 1_000_000]),
        "input_tokens": st.sampled_from([0, 500, 50_000]),
        "output_tokens": st.sampled_from([0, 200]),
    }),
    "budget_usd_per_month": st.one_of(st.none(), st.sampled_from([0.0, 100.0, 5000.0])),
    "priorities": st.fixed_dictionaries({"quality": st.integers(0, 5), "cost": st.integers(0, 5), "latency": st.integers(0, 5)}),
    "fine_tuning": st.booleans(),
})


@settings(max_examples=150, deadline=None)
@given(cat=random_models(), raw=random_answers)
def test_property_no_pick_violates_a_hard_constraint(cat, raw):
    answers = parse_answers(raw)
    result = recommend(cat, answers, top=10)
    assert len(result.picks) + len(result.excluded) + len(result.unrated) == len(cat.models)
    for pick in result.picks:
        m = pick.model
        assert m.context_tokens is not None and m.context_tokens >= answers.context_tokens
        assert set(answers.modalities) <= set(m.input_modalities)
        assert m.status != "retired"
        if answers.data_must_stay_on_premises or answers.deployment in ("self_hosted", "edge"):
            assert m.open_weights
        if answers.deployment == "edge":
            assert m.params_b is not None and pick.monthly_cost_usd == 0.0
        if answers.deployment == "api":
            assert m.has_api_price or not m.open_weights
        if answers.budget_usd_per_month is not None and pick.monthly_cost_usd is not None:
            assert pick.monthly_cost_usd <= answers.budget_usd_per_month
        if answers.latency_p95_ms is not None:
            assert pick.latency.p95_ms <= answers.latency_p95_ms
    assert (result.binding is None) == bool(result.picks or result.unrated)
    assert all(e.reasons for e in result.excluded)


@settings(max_examples=150, deadline=None)
@given(cat=random_models(), raw=random_answers, low=st.integers(0, 4), raise_by=st.integers(1, 5))
def test_property_raising_the_cost_priority_never_raises_the_top_picks_cost(cat, raw, low, raise_by):
    high = min(5, low + raise_by)
    cheap_first = dict(raw, priorities=dict(raw["priorities"], cost=low))
    costlier = dict(raw, priorities=dict(raw["priorities"], cost=high))
    before = recommend(cat, parse_answers(cheap_first), top=1).top
    after = recommend(cat, parse_answers(costlier), top=1).top
    if before is None:
        assert after is None
        return
    if after.monthly_cost_usd is None:
        assert before.monthly_cost_usd is None  # an unknown cost scores as the most expensive
    elif before.monthly_cost_usd is not None:
        # Costs below the negligible floor count as equal (rules.NEGLIGIBLE_COST_USD).
        floor = NEGLIGIBLE_COST_USD if raw["budget_usd_per_month"] is None else min(NEGLIGIBLE_COST_USD, raw["budget_usd_per_month"] / 10)
        assert max(after.monthly_cost_usd, floor) <= max(before.monthly_cost_usd, floor) + 1e-9


@settings(max_examples=60, deadline=None)
@given(cat=random_models(), raw=random_answers)
def test_property_results_are_deterministic(cat, raw):
    answers = parse_answers(raw)
    first = as_data(recommend(cat, answers, top=5))
    again = as_data(recommend(cat, parse_answers(raw), top=5))
    reversed_catalogue = parse_catalogue({"models": [m.model_dump(mode="json") for m in reversed(cat.models)]}, "test.yaml")
    shuffled = as_data(recommend(reversed_catalogue, answers, top=5))
    assert first == again
    assert [p["id"] for p in first["recommendations"]] == [p["id"] for p in shuffled["recommendations"]]


def test_a_runner_up_slightly_ahead_on_a_part_says_so_instead_of_no_part_ahead():
    cat = catalogue(
        model("cheap", input_usd_per_mtok=0.1, output_usd_per_mtok=0.4, benchmarks={"mmlu": bench("mmlu", 80)}),
        model("pricier", input_usd_per_mtok=1, output_usd_per_mtok=4, benchmarks={"mmlu": bench("mmlu", 80.3)}),
        model("weak", input_usd_per_mtok=9, output_usd_per_mtok=36, benchmarks={"mmlu": bench("mmlu", 60)}),
    )
    result = run(cat, priorities={"quality": 1, "cost": 5, "latency": 0},
                 traffic={"requests_per_day": 100_000, "input_tokens": 1000, "output_tokens": 200})
    assert [p.model.id for p in result.picks[:2]] == ["cheap", "pricier"]
    assert result.runner_up.tradeoff.startswith("Pricier against Cheap: slightly higher capability (")
    assert "no part where it is ahead" not in result.runner_up.tradeoff


def test_per_language_evidence_decides_between_otherwise_equal_models():
    def zh(score):
        return [dict(bench("c_eval", score), benchmark="c_eval", language="zh")]
    cat = catalogue(
        model("strong-zh", languages=["en", "zh"], language_scores=zh(90)),
        model("weak-zh", languages=["en", "zh"], language_scores=zh(60)),
        model("silent", languages=["en", "zh"]),
        model("no-zh", languages=["en"]),
    )
    result = run(cat, languages=["zh", "en"])
    assert [p.model.id for p in result.picks] == ["strong-zh", "silent", "weak-zh"]
    assert "no published score, counted at the lower quartile" in pick_of(result, "silent").score_parts["languages"].note
    assert "does not support zh" in reasons_of(result, "no-zh")[0]


def test_a_latency_measured_on_this_machine_is_never_applied_to_a_device_or_a_gpu_server():
    from selector.benchmark import MeasuredFigures

    cat = catalogue(open_model("tiny", 1, kv_cache_kb_per_token=32), model("hosted"))
    here = {"tiny": MeasuredFigures(latency_p95_ms=9000.0, quality_0_1=0.5, source="run 1", prompts=20,
                                    measured_on="this machine")}
    for deployment in ("edge", "self_hosted"):
        answers = parse_answers({"deployment": deployment})
        tiny = pick_of(recommend(cat, answers, measured=here), "tiny")
        assert "measured" not in tiny.latency.basis and tiny.latency.p95_ms < 9000
        assert "measured on your prompts" in tiny.score_parts["capability"].note  # quality still counts
    api = {"hosted": MeasuredFigures(latency_p95_ms=321.0, quality_0_1=None, source="run 2", measured_on="api")}
    assert pick_of(recommend(cat, parse_answers({}), measured=api), "hosted").latency.p95_ms == 321.0
