"""The decision engine on small catalogues built here: constraints, parts, reasons, invariants."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from selector.answers import parse_answers
from selector.catalogue import parse_catalogue
from selector.errors import CatalogueError
from selector.rules import EDGE_MAX_PARAMS_B, UNKNOWN_QUALITY, USE_CASE_RULES
from selector.scoring import estimate_latency, recommend


def model(model_id: str, **overrides) -> dict:
    """A valid catalogue entry: a closed API model with a price and two benchmarks, unless overridden."""
    entry = {
        "id": model_id, "name": model_id.title(), "provider": "Acme", "family": "A", "open_weights": False,
        "license": "proprietary", "params_b": None, "context_tokens": 128_000, "max_output_tokens": None,
        "input_usd_per_mtok": 1.0, "output_usd_per_mtok": 4.0, "price_source": "https://example.com/prices",
        "input_modalities": ["text"], "output_modalities": ["text"], "languages": ["en"],
        "benchmarks": {"mmlu": {"score": 80, "source": "s"}, "gpqa_diamond": {"score": 50, "source": "s"}},
        "release_date": None, "sources": ["https://example.com"], "as_of": "2026-11-01",
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
        (open_model("big", 70), {"deployment": "edge"}, f"70B parameters > {EDGE_MAX_PARAMS_B:g}B that fit on a phone or laptop"),
        (open_model("sizeless", None), {"deployment": "edge"}, "parameter count unknown: cannot confirm it fits on a device"),
        (open_model("apiless", 8), {"deployment": "api"}, "no hosted API price in the catalogue"),
        (model("pricey", input_usd_per_mtok=100, output_usd_per_mtok=100), {"budget_usd_per_month": 500},
         "monthly cost $3,648 > budget $500"),
        (model("slow"), {"latency_p95_ms": 300}, "estimated p95 500-2,000 ms > target 300 ms"),
        (model("thinker", reasoning=True), {"latency_p95_ms": 3000}, "estimated p95 5,000-30,000 ms > target 3,000 ms"),
        (model("old", status="retired"), {}, "retired by its maker"),
        (model("other"), {"allow": ["fine"]}, "not in the approved list"),
    ],
    ids=lambda v: v["id"] if isinstance(v, dict) and "id" in v else None,
)
def test_each_hard_constraint_excludes_with_a_reason(entry, answers, reason):
    result = run(catalogue(entry, model("fine", context_tokens=2_000_000, input_modalities=["text", "image", "audio", "video"])), **answers)
    assert entry["id"] not in [p.model.id for p in result.picks]
    assert any(r.startswith(reason) for r in reasons_of(result, entry["id"])), reasons_of(result, entry["id"])


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
    assert api.cost_basis == "API price" and api.monthly_cost_usd == pytest.approx(1000 * 30.4 * (1000 * 0.05 + 200 * 0.08) / 1e6)
    hosted = run(cat, deployment="self_hosted").picks[0]
    assert hosted.cost_basis.startswith("self-hosted on 1 GPU(s) at $2.5/hour")
    assert hosted.monthly_cost_usd == pytest.approx(2.5 * 24 * 30.4)
    assert run(cat, data_must_stay_on_premises=True).picks[0].cost_basis.startswith("self-hosted")


def test_open_weights_without_api_price_is_costed_as_self_hosting_and_unknown_size_as_unknown():
    result = run(catalogue(open_model("known", 8), open_model("mystery", None)))
    by_id = {p.model.id: p for p in result.picks}
    assert by_id["known"].cost_basis.startswith("self-hosted") and by_id["known"].monthly_cost_usd > 0
    assert by_id["mystery"].monthly_cost_usd is None and "parameter count unknown" in by_id["mystery"].cost_basis


@pytest.mark.parametrize(
    "entry, answers, low, high",
    [
        (model("api"), {}, 500, 2000),
        (model("think", reasoning=True), {}, 5000, 30000),
        (open_model("tiny", 3.8), {"deployment": "self_hosted"}, 20, 100),
        (open_model("eight", 8), {"deployment": "self_hosted"}, 50, 200),
        (open_model("moe", 141, active_params_b=39), {"deployment": "self_hosted"}, 100, 400),
        (open_model("eight-edge", 8), {"deployment": "edge"}, 150, 600),
        (model("measured", speed={"ttft_ms": 300, "output_tokens_per_s": 100, "source": "s"}), {}, 1300, 1300),
    ],
    ids=lambda v: v["id"] if isinstance(v, dict) and "id" in v else None,
)
def test_latency_estimate_table_and_measured_override(entry, answers, low, high):
    estimate = estimate_latency(catalogue(entry).models[0], parse_answers(answers))
    assert (estimate.low_ms, estimate.high_ms) == (low, high)
    assert estimate.basis


def test_a_latency_target_keeps_fast_self_hosted_models():
    cat = catalogue(open_model("eight", 8), model("api"))
    result = run(cat, deployment="self_hosted", latency_p95_ms=100)
    assert [p.model.id for p in result.picks] == ["eight"]


# --- capability: benchmarks per use case, explicit fallbacks -----------------------------------


def test_capability_uses_the_use_case_benchmarks():
    coder = model("coder", benchmarks={"swe_bench_verified": {"score": 70, "source": "s"}, "mmlu": {"score": 70, "source": "s"}})
    scholar = model("scholar", benchmarks={"swe_bench_verified": {"score": 30, "source": "s"}, "mmlu": {"score": 90, "source": "s"}})
    cat = catalogue(coder, scholar)
    assert run(cat, use_cases=["code"]).picks[0].model.id == "coder"
    assert run(cat, use_cases=["general"]).picks[0].model.id == "scholar"


def test_missing_benchmarks_fall_back_with_a_discount_then_to_unknown_quality():
    cat = catalogue(
        model("full", benchmarks={"mmmu": {"score": 70, "source": "s"}, "mmlu": {"score": 80, "source": "s"}}),
        model("other", benchmarks={"ifeval": {"score": 80, "source": "s"}}),
        model("blank", benchmarks={}),
    )
    result = run(cat, use_cases=["multimodal"], priorities={"quality": 5, "cost": 0, "latency": 0})
    by_id = {p.model.id: p for p in result.picks}
    assert "estimated from IFEval with a 20% discount" in by_id["other"].score_parts["capability"].note
    assert by_id["other"].score_parts["capability"].value <= 0.8 * 1.0 * 0.8 + 0.2
    blank = by_id["blank"].score_parts["capability"]
    assert "quality unknown" in blank.note and blank.value == pytest.approx(0.8 * UNKNOWN_QUALITY)
    assert "quality unknown" in by_id["blank"].reasons[0]
    assert result.picks[0].model.id == "full"


def test_a_new_model_competes_without_code_changes():
    base = [model(f"m{i}", benchmarks={"gpqa_diamond": {"score": 40 + i, "source": "s"}}) for i in range(4)]
    newcomer = model("newco-1", strengths=["reasoning", "math"],
                     benchmarks={"gpqa_diamond": {"score": 90, "source": "s"}, "aime": {"score": 95, "source": "s"}})
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
        model("strong", input_usd_per_mtok=10, output_usd_per_mtok=40, benchmarks={"mmlu": {"score": 90, "source": "s"}}),
        model("cheap", input_usd_per_mtok=0.1, output_usd_per_mtok=0.4, benchmarks={"mmlu": {"score": 75, "source": "s"}}),
        model("meh", input_usd_per_mtok=5, output_usd_per_mtok=20, benchmarks={"mmlu": {"score": 60, "source": "s"}}),
    )
    result = run(cat, priorities={"quality": 5, "cost": 2, "latency": 1})
    assert [p.rank for p in result.picks] == [1, 2, 3]
    top, runner = result.picks[0], result.runner_up
    assert top.model.id == "strong" and runner.model.id == "cheap"
    assert 2 <= len(top.reasons) <= 3 and all(r.endswith(".") for r in top.reasons)
    assert sum(part.contribution for part in top.score_parts.values()) == pytest.approx(top.score)
    assert all(0 <= part.value <= 1 for part in top.score_parts.values())
    assert top.score_parts["capability"].weight == 5 and top.score_parts["cost"].weight == 2
    assert runner.tradeoff.startswith("Cheap against Strong: lower cost ($")
    assert "but lower capability (" in runner.tradeoff
    assert result.picks[0].tradeoff is None


def test_to_dict_has_the_cli_json_shape():
    result = run(catalogue(model("a"), model("b", context_tokens=4000)), top=2)
    data = json.loads(json.dumps(result.to_dict()))
    assert set(data) >= {"recommendations", "excluded", "catalogue"}
    pick = data["recommendations"][0]
    assert set(pick) >= {"rank", "id", "name", "score", "score_parts", "reasons", "monthly_cost_usd"}
    assert set(pick["score_parts"]["capability"]) == {"score", "weight", "contribution"}
    assert data["excluded"] == [{"id": "b", "reasons": ["context 4,000 < required 8,000"]}]
    assert data["catalogue"] == {"path": "test.yaml", "as_of": "2026-11-01", "models": 2}


def test_nothing_fits_names_the_binding_constraint_and_the_closest_model():
    cat = catalogue(model("a", context_tokens=100_000), model("b", context_tokens=150_000), model("c", input_modalities=["text"], context_tokens=8000))
    result = run(cat, context_tokens=180_000)
    assert result.picks == [] and result.candidates == 0
    assert "binding constraint is the context window" in result.binding
    assert "3 model(s) fail only on it" in result.binding
    assert "the closest is B (context 150,000 < required 180,000, 20% beyond the limit)" in result.binding


def test_nothing_fits_when_every_model_fails_twice():
    result = run(catalogue(model("a", context_tokens=1000)), context_tokens=8000, modalities=["image"])
    assert "every model fails two or more" in result.binding


def test_bad_top_is_an_error():
    with pytest.raises(Exception, match="top must be >= 1"):
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
            benchmarks={n: {"score": draw(st.floats(0, 100)), "source": "s"}
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
    assert len(result.picks) + len(result.excluded) == len(cat.models)
    for pick in result.picks:
        m = pick.model
        assert m.context_tokens is not None and m.context_tokens >= answers.context_tokens
        assert set(answers.modalities) <= set(m.input_modalities)
        assert m.status != "retired"
        if answers.data_must_stay_on_premises or answers.deployment in ("self_hosted", "edge"):
            assert m.open_weights
        if answers.deployment == "edge":
            assert m.params_b is not None and m.params_b <= EDGE_MAX_PARAMS_B
        if answers.deployment == "api":
            assert m.has_api_price or not m.open_weights
        if answers.budget_usd_per_month is not None and pick.monthly_cost_usd is not None:
            assert pick.monthly_cost_usd <= answers.budget_usd_per_month
        if answers.latency_p95_ms is not None:
            assert pick.latency.low_ms <= answers.latency_p95_ms
    assert (result.binding is None) == bool(result.picks)
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
        assert after.monthly_cost_usd <= before.monthly_cost_usd + 1e-9


@settings(max_examples=60, deadline=None)
@given(cat=random_models(), raw=random_answers)
def test_property_results_are_deterministic(cat, raw):
    answers = parse_answers(raw)
    first = recommend(cat, answers, top=5).to_dict()
    again = recommend(cat, parse_answers(raw), top=5).to_dict()
    reversed_catalogue = parse_catalogue({"models": [m.model_dump(mode="json") for m in reversed(cat.models)]}, "test.yaml")
    shuffled = recommend(reversed_catalogue, answers, top=5).to_dict()
    assert first == again
    assert [p["id"] for p in first["recommendations"]] == [p["id"] for p in shuffled["recommendations"]]


def test_a_runner_up_slightly_ahead_on_a_part_says_so_instead_of_no_part_ahead():
    cat = catalogue(
        model("cheap", input_usd_per_mtok=0.1, output_usd_per_mtok=0.4, benchmarks={"mmlu": {"score": 80, "source": "s"}}),
        model("pricier", input_usd_per_mtok=1, output_usd_per_mtok=4, benchmarks={"mmlu": {"score": 80.3, "source": "s"}}),
        model("weak", input_usd_per_mtok=9, output_usd_per_mtok=36, benchmarks={"mmlu": {"score": 60, "source": "s"}}),
    )
    result = run(cat, priorities={"quality": 1, "cost": 5, "latency": 0})
    assert [p.model.id for p in result.picks[:2]] == ["cheap", "pricier"]
    assert result.runner_up.tradeoff.startswith("Pricier against Cheap: slightly higher capability (")
    assert "no part where it is ahead" not in result.runner_up.tradeoff
