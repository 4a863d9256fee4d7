"""The cost model, checked against hand-worked numbers (the seed's own figures where it gives them)."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from selector.catalogue import Model
from selector.costs import (
    DAYS_PER_MONTH,
    SelfHostAssumptions,
    Traffic,
    api_cost_curve,
    break_even_requests_per_day,
    compare_costs,
    estimate_self_hosting,
    gpus_per_replica,
    monthly_cost_usd,
    output_tokens_per_s_per_gpu,
    request_cost_usd,
    self_host_cost_curve,
    sustained_break_even_requests_per_day,
    volume_grid,
    with_requests_per_day,
)


def make_model(**overrides) -> Model:
    fields = dict(
        id="test-model", name="Test model", provider="test", family="test", open_weights=False, license="test",
        params_b=None, context_tokens=128_000, max_output_tokens=4096,
        input_usd_per_mtok=2.5, output_usd_per_mtok=10.0, price_source="https://example.test/pricing",
        input_modalities=["text"], output_modalities=["text"], languages=["en"], release_date=None,
        sources=["https://example.test"], as_of=dt.date(2026, 11, 1), evidence_note="test model: none published",
        checked={"prices": dt.date(2026, 11, 1), "benchmarks": dt.date(2026, 11, 1)},
    )
    fields.update(overrides)
    return Model(**fields)


GPT_4O = make_model(id="gpt-4o", name="GPT-4o", cached_input_usd_per_mtok=1.25)  # the seed: $2.50 / $10 per 1M
LLAMA_70B = make_model(
    id="llama-70b", name="Llama 70B", open_weights=True, params_b=70, input_usd_per_mtok=0.6, output_usd_per_mtok=0.6
)
LLAMA_8B = make_model(id="llama-8b", name="Llama 8B", open_weights=True, params_b=8)
MIXTRAL_8X22B = make_model(id="mixtral-8x22b", name="Mixtral 8x22B", open_weights=True, params_b=141, active_params_b=39)


# --- API cost -----------------------------------------------------------------------------------


def test_gpt4o_request_of_1000_in_200_out_costs_0_0045():
    # 1,000 x $2.50/1M + 200 x $10/1M = $0.0025 + $0.0020
    assert request_cost_usd(GPT_4O, Traffic(input_tokens=1000, output_tokens=200)) == pytest.approx(0.0045)


def test_gpt4o_monthly_at_1000_requests_a_day():
    # $0.0045 x 1,000/day x 30.4 days
    assert monthly_cost_usd(GPT_4O, Traffic(requests_per_day=1000)) == pytest.approx(136.8)


def test_cached_input_is_billed_at_the_cached_price():
    # 500 fresh x 2.50 + 500 cached x 1.25 + 200 x 10 = 3,875 micro-dollars
    traffic = Traffic(input_tokens=1000, output_tokens=200, cached_input_share=0.5)
    assert request_cost_usd(GPT_4O, traffic) == pytest.approx(0.003875)


def test_cached_input_without_a_published_cache_price_pays_full_price():
    no_cache_price = make_model(cached_input_usd_per_mtok=None)
    traffic = Traffic(cached_input_share=0.5)
    assert request_cost_usd(no_cache_price, traffic) == pytest.approx(0.0045)


def test_reasoning_multiplier_applies_to_reasoning_models_only():
    o1 = make_model(id="o1", input_usd_per_mtok=15, output_usd_per_mtok=60, reasoning=True)
    traffic = Traffic(input_tokens=1000, output_tokens=200, reasoning_multiplier=3)
    # 1,000 x 15 + (200 x 3) x 60 = 15,000 + 36,000 micro-dollars
    assert request_cost_usd(o1, traffic) == pytest.approx(0.051)
    assert request_cost_usd(GPT_4O, traffic) == pytest.approx(0.0045)


def test_unknown_price_is_none_never_zero():
    unpriced = make_model(input_usd_per_mtok=None, output_usd_per_mtok=None, price_source=None)
    assert request_cost_usd(unpriced, Traffic()) is None
    assert monthly_cost_usd(unpriced, Traffic()) is None
    assert api_cost_curve(unpriced, Traffic(), [1, 10]) is None


# The seed's use-case table gives an approximate cost per query; realistic request sizes land inside it.
@pytest.mark.parametrize(
    ("use_case", "model", "traffic", "low", "high", "expected"),
    [
        # complex reasoning, GPT-4o: 2,000 x 2.50 + 500 x 10 = $0.0100
        ("complex reasoning", GPT_4O, Traffic(input_tokens=2000, output_tokens=500), 0.01, 0.05, 0.01),
        # complex reasoning, o1 ($15/$60) thinking 2x: 1,000 x 15 + 400 x 60 = $0.039
        (
            "complex reasoning",
            make_model(id="o1", input_usd_per_mtok=15, output_usd_per_mtok=60, reasoning=True),
            Traffic(input_tokens=1000, output_tokens=200, reasoning_multiplier=2),
            0.01, 0.05, 0.039,
        ),
        # long document Q&A, Claude 3.5 Sonnet ($3/$15): 4,000 x 3 + 300 x 15 = $0.0165
        (
            "long document Q&A",
            make_model(id="claude-3-5-sonnet", input_usd_per_mtok=3, output_usd_per_mtok=15),
            Traffic(input_tokens=4000, output_tokens=300),
            0.01, 0.02, 0.0165,
        ),
        # multimodal, Gemini 1.5 Pro at the seed's $3.75/$15: 2,000 x 3.75 + 300 x 15 = $0.012
        (
            "multimodal",
            make_model(id="gemini-1-5-pro", input_usd_per_mtok=3.75, output_usd_per_mtok=15),
            Traffic(input_tokens=2000, output_tokens=300),
            0.01, 0.02, 0.012,
        ),
    ],
)
def test_seed_use_case_cost_per_query(use_case, model, traffic, low, high, expected):
    cost = request_cost_usd(model, traffic)
    assert cost == pytest.approx(expected)
    assert low <= round(cost, 6) <= high, use_case


@given(
    requests=st.floats(min_value=0, max_value=1e7),
    factor=st.floats(min_value=0, max_value=1000),
    input_tokens=st.integers(0, 200_000),
    output_tokens=st.integers(0, 20_000),
)
def test_monthly_cost_is_linear_in_requests(requests, factor, input_tokens, output_tokens):
    base = Traffic(requests_per_day=requests, input_tokens=input_tokens, output_tokens=output_tokens)
    scaled = with_requests_per_day(base, requests * factor)
    assert monthly_cost_usd(GPT_4O, scaled) == pytest.approx(monthly_cost_usd(GPT_4O, base) * factor, rel=1e-9, abs=1e-9)


# --- self-hosting -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("precision", "power_of_two", "gpus"),
    [
        ("fp16", True, 4),  # 70 x 2 x 1.2 = 168 GB -> 3 H100s -> 4 for tensor parallelism
        ("fp16", False, 3),
        ("int8", True, 2),  # 70 x 1 x 1.2 = 84 GB -> 2
        ("int4", True, 1),  # 70 x 0.5 x 1.2 = 42 GB -> 1
    ],
)
def test_gpus_for_a_70b_model(precision, power_of_two, gpus):
    assumptions = SelfHostAssumptions(precision=precision, gpus_power_of_two=power_of_two)
    assert gpus_per_replica(LLAMA_70B, assumptions) == gpus


def test_weights_exactly_filling_a_gpu_need_one_gpu():
    # 80 x 1 x 1.0 = 80 GB on an 80 GB GPU: float noise must not round this up to 2
    model = make_model(open_weights=True, params_b=80)
    assert gpus_per_replica(model, SelfHostAssumptions(kv_cache_headroom=0)) == 1


def test_moe_memory_follows_all_params_and_throughput_follows_active_params():
    a = SelfHostAssumptions()
    dense_141b = make_model(open_weights=True, params_b=141)
    assert gpus_per_replica(MIXTRAL_8X22B, a) == gpus_per_replica(dense_141b, a) == 4  # 169.2 GB -> 3 -> 4
    assert output_tokens_per_s_per_gpu(MIXTRAL_8X22B, a) == pytest.approx(1000 * 70 / 39)
    assert output_tokens_per_s_per_gpu(dense_141b, a) == pytest.approx(1000 * 70 / 141)


def test_throughput_is_capped_for_tiny_models():
    tiny = make_model(open_weights=True, params_b=0.135)
    assert output_tokens_per_s_per_gpu(tiny, SelfHostAssumptions()) == 10_000


def test_self_host_estimate_for_70b_int8_by_hand():
    estimate = estimate_self_hosting(LLAMA_70B, Traffic(requests_per_day=1000))
    assert estimate.gpus == 2 and estimate.replicas == 1 and estimate.total_gpus == 2
    assert estimate.weights_gb == 70 and estimate.memory_needed_gb == pytest.approx(84)
    assert estimate.output_tokens_per_s_per_replica == 2000
    # work per request = 200 output + 1,000 input x 0.1 = 300 token-equivalents;
    # 2,000 tokens/s x 0.5 utilisation x 86,400 s / 300 = 288,000 requests/day
    assert estimate.capacity_requests_per_day_per_replica == pytest.approx(288_000)
    assert estimate.monthly_usd == pytest.approx(2 * 2.5 * 729.6)  # $3,648
    assert estimate.usd_per_request == pytest.approx(3648 / (1000 * DAYS_PER_MONTH))
    assert estimate.assumptions == SelfHostAssumptions()


def test_replicas_are_added_when_traffic_exceeds_one_replica():
    traffic = Traffic(requests_per_day=288_001)
    estimate = estimate_self_hosting(LLAMA_70B, traffic)
    assert estimate.replicas == 2 and estimate.total_gpus == 4
    assert estimate.monthly_usd == pytest.approx(2 * 3648)
    assert estimate_self_hosting(LLAMA_70B, with_requests_per_day(traffic, 288_000)).replicas == 1


def test_idle_self_hosting_still_pays_for_one_replica():
    estimate = estimate_self_hosting(LLAMA_70B, Traffic(requests_per_day=0))
    assert estimate.replicas == 1 and estimate.monthly_usd == pytest.approx(3648)
    assert estimate.usd_per_request is None and estimate.usd_per_mtok is None


def test_seed_real_time_chat_self_hosted_costs_about_0_0001_per_query():
    # Llama 8B int8: 9.6 GB -> 1 GPU at min(10,000, 1,000 x 70/8) = 8,750 tokens/s.
    # Chat of 500 in / 150 out = 200 token-equivalents: capacity 8,750 x 0.5 x 86,400 / 200 = 1,890,000/day.
    # At 600,000 requests/day one GPU costs $1,824 a month over 18.24M requests: $0.0001 per query.
    estimate = estimate_self_hosting(LLAMA_8B, Traffic(requests_per_day=600_000, input_tokens=500, output_tokens=150))
    assert estimate.total_gpus == 1
    assert estimate.capacity_requests_per_day_per_replica == pytest.approx(1_890_000)
    assert estimate.usd_per_request == pytest.approx(0.0001)


def test_seed_cost_sensitive_70b_near_0_0002_per_1k_tokens_at_high_load():
    # 70B int8 at 85% utilisation: capacity 2,000 x 0.85 x 86,400 / 300 = 489,600/day; at that volume
    # 489,600 x 30.4 x 1,200 tokens = 17.86 B tokens for $3,648: $0.204 per 1M = $0.0002 per 1k.
    assumptions = SelfHostAssumptions(utilisation=0.85)
    estimate = estimate_self_hosting(LLAMA_70B, Traffic(requests_per_day=489_600), assumptions)
    assert estimate.replicas == 1
    assert estimate.usd_per_mtok == pytest.approx(3648 / 17_860.608)
    assert round(estimate.usd_per_mtok / 1000, 4) == 0.0002


def test_unknown_size_gives_no_estimate():
    unknown = make_model(open_weights=True, params_b=None)
    assert estimate_self_hosting(unknown, Traffic()) is None
    assert gpus_per_replica(unknown) is None
    assert self_host_cost_curve(unknown, Traffic(), [1, 10]) is None
    assert break_even_requests_per_day(unknown, Traffic()) is None


@given(
    volumes=st.lists(st.floats(min_value=0, max_value=1e8), min_size=2, max_size=30),
    precision=st.sampled_from(["fp16", "int8", "int4"]),
    params_b=st.floats(min_value=0.1, max_value=1000),
)
def test_self_host_cost_is_non_decreasing_in_volume(volumes, precision, params_b):
    model = make_model(open_weights=True, params_b=params_b)
    costs = self_host_cost_curve(model, Traffic(), sorted(volumes), SelfHostAssumptions(precision=precision))
    assert all(a <= b for a, b in zip(costs, costs[1:]))


def test_assumptions_are_closed_frozen_and_documented():
    with pytest.raises(ValidationError):
        SelfHostAssumptions(gpu_price=3)
    with pytest.raises(ValidationError):
        SelfHostAssumptions(precision="fp8")
    with pytest.raises(ValidationError):
        SelfHostAssumptions(utilisation=1.5)
    a = SelfHostAssumptions()
    with pytest.raises(ValidationError):
        a.gpu_usd_per_hour = 3
    assert a.gpu_usd_per_hour == 2.5 and a.gpu_memory_gb == 80 and a.precision == "int8"
    described = a.describe()
    assert [row[0] for row in described] == list(SelfHostAssumptions.model_fields)
    assert all(description for _, _, description in described)


# --- break-even ---------------------------------------------------------------------------------


def test_break_even_against_a_frontier_api_by_hand():
    # one replica (2 GPUs) = $3,648/month; GPT-4o costs $0.0045 x 30.4 = $0.1368 per (request/day) per month:
    # 3,648 / 0.1368 = 26,666.7 requests/day, below one replica's 288,000/day capacity
    volume = break_even_requests_per_day(LLAMA_70B, Traffic(), against=GPT_4O)
    assert volume == pytest.approx(26_666.667, rel=1e-6)


def test_break_even_against_its_own_api_price_by_hand():
    # Llama 70B API at $0.60/$0.60: 1,200 tokens x 0.6 = $0.00072 per request -> 3,648 / 0.021888 = 166,666.7/day
    assert break_even_requests_per_day(LLAMA_70B, Traffic()) == pytest.approx(166_666.667, rel=1e-6)


def test_break_even_is_where_the_costs_cross():
    traffic = Traffic()
    volume = break_even_requests_per_day(LLAMA_70B, traffic, against=GPT_4O)
    below, above = with_requests_per_day(traffic, volume * 0.99), with_requests_per_day(traffic, volume * 1.01)
    assert estimate_self_hosting(LLAMA_70B, below).monthly_usd > monthly_cost_usd(GPT_4O, below)
    assert estimate_self_hosting(LLAMA_70B, above).monthly_usd < monthly_cost_usd(GPT_4O, above)


def test_no_break_even_when_the_api_is_cheaper_than_a_full_replica():
    # $0.05/$0.05: $0.00006 per request; 3,648 / 0.001824 = 2,000,000/day > 288,000 capacity: never
    cheap = make_model(input_usd_per_mtok=0.05, output_usd_per_mtok=0.05)
    assert break_even_requests_per_day(LLAMA_70B, Traffic(), against=cheap) is None


@pytest.mark.parametrize(
    "against",
    [
        make_model(input_usd_per_mtok=0, output_usd_per_mtok=0),
        make_model(input_usd_per_mtok=None, output_usd_per_mtok=None, price_source=None),
    ],
    ids=["free", "unknown price"],
)
def test_no_break_even_against_a_free_or_unpriced_api(against):
    assert break_even_requests_per_day(LLAMA_70B, Traffic(), against=against) is None


def test_sustained_break_even_by_hand():
    # $0.50/$0.50 API: $0.0006 per request, a = 0.01824; C / a = 200,000 < cap 288,000.
    # The API wins again just past each step edge until step 3: 3 x 200,000 = 600,000/day; from there
    # every step k has k x 200,000 <= (k - 1) x 288,000.
    half = make_model(input_usd_per_mtok=0.5, output_usd_per_mtok=0.5)
    traffic = Traffic()
    assert break_even_requests_per_day(LLAMA_70B, traffic, against=half) == pytest.approx(200_000)
    sustained = sustained_break_even_requests_per_day(LLAMA_70B, traffic, against=half)
    assert sustained == pytest.approx(600_000)
    just_below = with_requests_per_day(traffic, 599_000)
    assert estimate_self_hosting(LLAMA_70B, just_below).monthly_usd > monthly_cost_usd(half, just_below)
    for volume in volume_grid(600_000, 1e8, 400):
        t = with_requests_per_day(traffic, volume)
        assert estimate_self_hosting(LLAMA_70B, t).monthly_usd <= monthly_cost_usd(half, t) * (1 + 1e-9)


# --- the table ------------------------------------------------------------------------------------


def test_compare_costs_rows():
    unpriced_open = make_model(
        id="open-unpriced", open_weights=True, params_b=7, input_usd_per_mtok=None, output_usd_per_mtok=None,
        price_source=None,
    )
    rows = {row.model_id: row for row in compare_costs([GPT_4O, LLAMA_70B, unpriced_open], Traffic(), against=GPT_4O)}
    assert rows["gpt-4o"].monthly_usd == pytest.approx(136.8)
    assert rows["gpt-4o"].self_host_monthly_usd is None  # closed weights: no self-hosting
    assert rows["llama-70b"].self_host_gpus == 2 and rows["llama-70b"].self_host_monthly_usd == pytest.approx(3648)
    assert rows["llama-70b"].break_even_requests_per_day == pytest.approx(26_666.667, rel=1e-6)
    assert rows["open-unpriced"].monthly_usd is None and rows["open-unpriced"].usd_per_request is None
    assert rows["open-unpriced"].self_host_gpus == 1


def test_volume_grid_is_log_spaced():
    grid = volume_grid(10, 1000, 3)
    assert grid == pytest.approx([10, 100, 1000])
    with pytest.raises(ValueError):
        volume_grid(0, 10)


# --- what the Costs page (and later the report) shows ------------------------------------------


def test_the_break_even_sentence_says_from_when_and_when_never():
    from selector.costs import break_even_sentence

    assert break_even_sentence(LLAMA_70B, Traffic(), GPT_4O) == (
        f"self-hosting is cheaper than the {GPT_4O.name} API from 26,667 requests/day")
    assert break_even_sentence(LLAMA_70B, Traffic(), None) == (
        "self-hosting is cheaper than its own API price from 166,667 requests/day, and stays cheaper from 333,333/day")
    free = make_model(id="free-70b", open_weights=True, params_b=70, input_usd_per_mtok=0.0, output_usd_per_mtok=0.0)
    assert break_even_sentence(free, Traffic(), None).startswith("self-hosting is never cheaper than its own API price")
    assert break_even_sentence(GPT_4O, Traffic(), None) is None  # closed weights: no self-hosting estimate
    unpriced = make_model(id="unpriced-70b", open_weights=True, params_b=70, input_usd_per_mtok=None,
                          output_usd_per_mtok=None, price_source=None)
    # no published price is no price to beat, never "self-hosting is never cheaper"
    assert break_even_sentence(unpriced, Traffic(), None) == (
        "no API price to compare with: its own API price is not published")


def test_the_cost_table_is_keyed_by_field_titles_and_keeps_unknown_as_none():
    from selector.costs import CostRow, cheapest_option, cost_table

    unpriced = make_model(id="secret", name="Secret", input_usd_per_mtok=None, output_usd_per_mtok=None, price_source=None)
    rows = compare_costs([GPT_4O, LLAMA_70B, unpriced], Traffic(), against=GPT_4O)
    table = cost_table(rows)
    titles = [f.title for f in CostRow.model_fields.values() if f.title]
    assert [list(record) for record in table] == [titles] * 3
    assert table[1]["Break-even requests/day"] == 26_667 and table[1]["Self-host GPUs"] == 2
    assert table[2]["API $/month"] is None and table[2]["Self-host $/month"] is None
    row, monthly, how = cheapest_option(rows)
    assert (row.name, how) == (LLAMA_70B.name, "through its API") and monthly == pytest.approx(0.00072 * 1000 * 30.4)
    assert cheapest_option(rows[2:]) is None


def test_assumptions_described_plainly_carry_units_and_no_field_names():
    plain = SelfHostAssumptions(gpu_usd_per_hour=3).describe_plainly()
    shown = {label: value for label, value, _ in plain}
    assert shown["GPU price per hour"] == "$3" and shown["GPUs per copy rounded up to 1, 2, 4, 8"] == "yes"
    assert shown["Extra memory for the KV cache"] == "+20% of the weights"
    meanings = " ".join(meaning for _, _, meaning in plain)
    assert "seed" not in meanings and not any(name in meanings for name in SelfHostAssumptions.model_fields if "_" in name)
