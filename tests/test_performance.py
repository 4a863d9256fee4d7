"""Latency from first principles: the seed's figures must come out of the model, not be typed in."""

from __future__ import annotations

import dataclasses
import datetime as dt
import math

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from selector.catalogue import Model, Speed
from selector.costs import BYTES_PER_PARAM, SelfHostAssumptions, Traffic, gpus_per_replica
from selector.performance import (
    DEVICES,
    GPUS,
    APIAssumptions,
    DeviceProfile,
    GPUSpec,
    LatencyEstimate,
    ServingAssumptions,
    ThinkingAssumptions,
    allowed_efforts,
    device_fit,
    effective_effort,
    estimate_api,
    estimate_on_device,
    estimate_self_hosted,
    gpus_for,
    kv_cache_kb_per_token,
    least_effort,
)


def make_model(**overrides) -> Model:
    fields = dict(
        id="test-model", name="Test model", provider="test", family="test", open_weights=True, license="test",
        params_b=None, context_tokens=131_072, max_output_tokens=None, input_usd_per_mtok=None,
        output_usd_per_mtok=None, input_modalities=["text"], output_modalities=["text"], languages=["en"],
        release_date=None, sources=["https://example.test"], as_of=dt.date(2026, 11, 1),
        evidence_note="test model: no benchmarks",
    )
    fields.update(overrides)
    return Model(**fields)


# Llama 3.1 8B's published facts: 8B parameters, 32 layers x 8 KV heads x 128 dims -> 128 KB/token at 16-bit.
LLAMA_8B = make_model(id="llama-3.1-8b", name="Llama 3.1 8B", params_b=8, kv_cache_kb_per_token=128)
LLAMA_70B = make_model(id="llama-3.1-70b", name="Llama 3.1 70B", params_b=70, kv_cache_kb_per_token=320)
QWEN_MOE = make_model(
    id="qwen3-235b-a22b", name="Qwen3 235B A22B", params_b=235, active_params_b=22, reasoning=True, thinking_optional=True
)
DENSE_235B = make_model(id="dense-235b", name="Dense 235B", params_b=235)
API_UNKNOWN = make_model(id="api-model", name="API model", open_weights=False)
API_THINKER = make_model(id="thinker", name="Thinker", open_weights=False, reasoning=True)  # thinking_optional null
API_HYBRID = make_model(id="hybrid", name="Hybrid", open_weights=False, reasoning=True, thinking_optional=True)
API_MEASURED = make_model(
    id="measured", name="Measured", open_weights=False,
    speed=Speed(ttft_ms=350, output_tokens_per_s=120, source="https://example.test/speed", date=dt.date(2026, 10, 1)),
)
MODEST = Traffic(requests_per_day=10_000, input_tokens=1_000, output_tokens=200)


def chat(input_tokens: int, requests_per_day: float = 10_000) -> Traffic:
    return Traffic(requests_per_day=requests_per_day, input_tokens=input_tokens, output_tokens=200)


# --- the seed's figure comes out of the arithmetic ------------------------------------------------


@pytest.mark.parametrize("precision", ["int8", "fp16"])
@pytest.mark.parametrize("requests_per_day", [1_000, 10_000, 100_000])
def test_8b_on_h100_first_token_in_50_to_200_ms_for_a_1000_token_prompt(precision, requests_per_day):
    # The seed: "an 8B model on an H100 answers in 50-200 ms".
    estimate = estimate_self_hosted(LLAMA_8B, chat(1_000, requests_per_day), ServingAssumptions(precision=precision))
    assert 50 <= estimate.ttft_p50_ms <= 200
    assert 50 <= estimate.ttft_p95_ms <= 200
    assert estimate.gpus_per_replica == 1


@pytest.mark.parametrize("precision", ["int8", "fp16"])
def test_a_100k_token_prompt_takes_seconds_not_milliseconds(precision):
    a = ServingAssumptions(precision=precision)
    short = estimate_self_hosted(LLAMA_8B, chat(1_000), a)
    long = estimate_self_hosted(LLAMA_8B, chat(100_000), a)
    assert long.prefill_ms > 30 * short.prefill_ms
    assert long.ttft_p50_ms > 1_000 and long.ttft_p50_ms > 10 * short.ttft_p50_ms


def test_decode_speed_is_bandwidth_over_bytes_read():
    # Alone, int8: 8 GB of weights + ~1,100 tokens x 128 KB of KV cache at 3.35 TB/s x 0.7, plus 1 ms a step.
    a = ServingAssumptions(precision="int8")
    estimate = estimate_self_hosted(LLAMA_8B, Traffic(requests_per_day=1, input_tokens=1_000, output_tokens=200), a)
    bytes_read = 8e9 + 1_100 * 128 * 1024
    expected = 1 / (bytes_read / (3.35e12 * 0.7) + a.step_overhead_ms / 1000)
    assert estimate.decode_tokens_per_s == pytest.approx(expected, rel=1e-3)
    assert "8.0 GB active weights at 3.35 TB/s x 0.7" in estimate.basis


def test_prefill_is_flops_over_peak_times_efficiency():
    # fp16: 2 x 8e9 x 1,000 FLOPs (+ causal attention) at 989 TFLOPs x 0.5, plus one step's fixed cost.
    a = ServingAssumptions(precision="fp16", step_overhead_ms=0)
    estimate = estimate_self_hosted(LLAMA_8B, MODEST, a)
    linear_ms = 2 * 8e9 * 1_000 / (989e12 * 0.5) * 1000
    assert linear_ms < estimate.prefill_ms < linear_ms * 1.05


def test_int8_prefill_uses_fp8_where_the_gpu_has_it():
    h100 = estimate_self_hosted(LLAMA_8B, MODEST, ServingAssumptions(precision="int8", step_overhead_ms=0))
    a100 = estimate_self_hosted(LLAMA_8B, MODEST, ServingAssumptions(precision="int8", gpu=GPUS["a100-80gb-sxm"], step_overhead_ms=0))
    assert a100.prefill_ms == pytest.approx(h100.prefill_ms * 1979 / 312, rel=0.05)


def test_70b_int8_spans_two_h100s_like_the_cost_model():
    estimate = estimate_self_hosted(LLAMA_70B, MODEST)
    assert estimate.gpus_per_replica == 2 == gpus_per_replica(LLAMA_70B, SelfHostAssumptions(precision="int8"))
    assert "2 GPU(s)" in estimate.basis


@given(
    params_b=st.floats(0.1, 2_000),
    precision=st.sampled_from(["fp16", "int8", "int4"]),
    memory_gb=st.sampled_from([24.0, 48.0, 80.0, 141.0]),
    headroom=st.floats(0, 1),
)
def test_gpu_count_matches_costs(params_b, precision, memory_gb, headroom):
    costs = SelfHostAssumptions(precision=precision, gpu_memory_gb=memory_gb, kv_cache_headroom=headroom)
    model = make_model(params_b=params_b)
    assert gpus_for(params_b, BYTES_PER_PARAM[precision], memory_gb, headroom, True) == gpus_per_replica(model, costs)


def test_traffic_adds_replicas_and_queueing():
    quiet = estimate_self_hosted(LLAMA_8B, chat(1_000, 1_000))
    busy = estimate_self_hosted(LLAMA_8B, chat(1_000, 5_000_000))
    assert busy.replicas > quiet.replicas == 1
    assert busy.peak_utilisation <= ServingAssumptions().target_peak_utilisation + 1e-9
    assert busy.ttft_p95_ms > quiet.ttft_p95_ms


def test_fixed_deployment_overloads_at_infinite_latency():
    estimate = estimate_self_hosted(LLAMA_8B, chat(1_000, 50_000_000), replicas=1)
    assert math.isinf(estimate.ttft_p95_ms) and "overloaded" in estimate.basis


@pytest.mark.parametrize("tokens", [(0, 0), (0, 200), (1_000, 0)])
def test_empty_requests_do_not_break_the_arithmetic(tokens):
    traffic = Traffic(requests_per_day=1_000, input_tokens=tokens[0], output_tokens=tokens[1])
    for estimate in (
        estimate_self_hosted(LLAMA_8B, traffic), estimate_api(API_UNKNOWN, traffic),
        estimate_on_device(LLAMA_8B, DEVICES["laptop"], traffic),
    ):
        assert 0 < estimate.ttft_p50_ms <= estimate.ttft_p95_ms <= estimate.full_reply_p95_ms < math.inf


def test_unknown_size_has_no_self_hosted_estimate():
    assert estimate_self_hosted(API_UNKNOWN, MODEST) is None


# --- mixture of experts -----------------------------------------------------------------------------


def test_moe_decodes_at_its_active_size_but_needs_memory_for_all_experts():
    moe = estimate_self_hosted(QWEN_MOE, MODEST)
    dense = estimate_self_hosted(DENSE_235B, MODEST)
    assert moe.gpus_per_replica == dense.gpus_per_replica == 4  # 235 GB x 1.2 over 80 GB, to a power of two
    assert moe.decode_tokens_per_s > 5 * dense.decode_tokens_per_s
    assert moe.prefill_ms < dense.prefill_ms / 5
    assert "22.0 GB active weights" in moe.basis


def test_kv_cache_is_estimated_from_active_params_when_the_catalogue_lacks_it():
    assert kv_cache_kb_per_token(LLAMA_8B) == (128, False)
    kb, estimated = kv_cache_kb_per_token(make_model(params_b=8))
    assert estimated and kb == pytest.approx(128)
    kb_70, _ = kv_cache_kb_per_token(make_model(params_b=70))
    assert 290 < kb_70 < 350  # Llama 3.1 70B's config gives 320 KB
    assert "KV cache estimated" in estimate_self_hosted(make_model(params_b=8), MODEST).basis


# --- thinking effort --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("model", "allowed"),
    [
        (API_UNKNOWN, ("none",)),
        (API_HYBRID, ("none", "low", "high")),
        (API_THINKER, ("low", "high")),
        (make_model(open_weights=False, reasoning=True, thinking_optional=False), ("low", "high")),
    ],
)
def test_allowed_efforts(model, allowed):
    assert allowed_efforts(model) == allowed
    assert least_effort(model) == allowed[0]


def test_effort_is_clamped_to_what_the_model_allows():
    assert effective_effort(API_THINKER, "none") == "low"
    assert effective_effort(API_UNKNOWN, "high") == "none"
    assert effective_effort(API_HYBRID, None) == "none"
    assert effective_effort(API_HYBRID, "high") == "high"


def test_a_hybrid_model_is_judged_without_thinking_by_default_and_an_always_thinker_is_not():
    hybrid, thinker = estimate_api(API_HYBRID, MODEST), estimate_api(API_THINKER, MODEST)
    assert (hybrid.effort, hybrid.thinking_tokens) == ("none", 0)
    assert (thinker.effort, thinker.thinking_tokens) == ("low", 1_000)
    assert thinker.ttft_p50_ms > hybrid.ttft_p50_ms + 5_000


def test_thinking_tokens_are_editable():
    few = APIAssumptions(thinking=ThinkingAssumptions(low_tokens=100))
    assert estimate_api(API_THINKER, MODEST, assumptions=few).thinking_tokens == 100


# --- API models -------------------------------------------------------------------------------------


def test_api_default_applies_when_speed_is_unknown_and_says_so():
    estimate = estimate_api(API_UNKNOWN, MODEST)
    a = APIAssumptions()
    assert estimate.ttft_p50_ms == a.default_ttft_p50_ms
    assert estimate.ttft_p95_ms == a.default_ttft_p50_ms * a.p95_over_p50
    assert 500 <= estimate.ttft_p95_ms <= 2_000  # the seed: API p95 500 ms-2 s
    assert "default" in estimate.basis and "speed unknown" in estimate.basis


def test_api_measured_speed_wins_over_published_and_default():
    published = Speed(ttft_ms=900, output_tokens_per_s=40, source="https://example.test/published")
    estimate = estimate_api(API_MEASURED, MODEST, published=published)
    assert estimate.ttft_p50_ms == 350 and estimate.decode_tokens_per_s == 120
    assert "example.test/speed" in estimate.basis and "default" not in estimate.basis
    from_published = estimate_api(API_UNKNOWN, MODEST, published=published)
    assert from_published.ttft_p50_ms == 900 and "example.test/published" in from_published.basis


def test_api_long_prompt_costs_prefill_time():
    assert estimate_api(API_UNKNOWN, chat(100_000)).ttft_p50_ms > estimate_api(API_UNKNOWN, chat(1_000)).ttft_p50_ms + 5_000


# --- devices ----------------------------------------------------------------------------------------


def test_8b_at_int4_fits_a_laptop_but_not_a_4gb_phone_budget():
    laptop = device_fit(LLAMA_8B, DEVICES["laptop"], 8_192)
    phone = device_fit(LLAMA_8B, DEVICES["phone"], 8_192)
    assert laptop.fits and not phone.fits
    assert DEVICES["phone"].model_memory_budget_gb == 4
    assert f"needs {phone.needed_gb:.1f} GB against 4.0 GB" in phone.message
    assert phone.weights_gb == pytest.approx(8 * 4.9 / 8)  # Q4_K_M


def test_1b_fits_a_phone():
    fit = device_fit(make_model(params_b=1, name="Gemma 3 1B"), DEVICES["phone"], 8_192)
    assert fit.fits and fit.kv_cache_estimated
    assert "needs" in fit.message and "GB against 4.0 GB" in fit.message and "(estimated)" in fit.message


def test_device_fit_counts_the_context():
    small = device_fit(LLAMA_8B, DEVICES["laptop"], 4_096)
    large = device_fit(LLAMA_8B, DEVICES["laptop"], 131_072)
    assert small.fits and not large.fits
    assert large.kv_cache_gb == pytest.approx(131_072 * 128 * 1024 / 1e9)


def test_device_speed_follows_bandwidth_and_compute_and_has_no_server():
    phone = estimate_on_device(LLAMA_8B, DEVICES["phone"], MODEST)
    laptop = estimate_on_device(LLAMA_8B, DEVICES["laptop"], MODEST)
    assert laptop.decode_tokens_per_s > 3 * phone.decode_tokens_per_s
    assert laptop.prefill_ms < phone.prefill_ms
    assert laptop.where == "device" and laptop.replicas is None and laptop.gpus_per_replica is None
    assert "no network" in laptop.basis


def test_unknown_size_cannot_be_placed_on_a_device():
    assert device_fit(API_UNKNOWN, DEVICES["phone"], 8_192) is None
    assert estimate_on_device(API_UNKNOWN, DEVICES["phone"], MODEST) is None


# --- assumptions are closed, sourced and data ---------------------------------------------------------


@pytest.mark.parametrize("spec", list(GPUS.values()) + list(DEVICES.values()), ids=lambda s: s.name)
def test_hardware_has_a_source(spec):
    assert spec.source


def test_h100_figures_match_the_datasheet():
    h100 = GPUS["h100-sxm"]
    assert (h100.memory_gb, h100.memory_bandwidth_gb_s, h100.bf16_dense_tflops, h100.fp8_dense_tflops) == (80, 3350, 989, 1979)
    assert GPUS["a100-80gb-sxm"].fp8_dense_tflops is None


@pytest.mark.parametrize("cls", [ServingAssumptions, APIAssumptions, GPUSpec, DeviceProfile, ThinkingAssumptions])
def test_assumptions_are_closed_and_every_field_is_described(cls):
    for name, field in cls.model_fields.items():
        assert field.description, f"{cls.__name__}.{name} has no description"
    with pytest.raises(ValidationError):
        cls.model_validate({"typo_field": 1})


def test_results_are_frozen():
    estimate = estimate_api(API_UNKNOWN, MODEST)
    assert isinstance(estimate, LatencyEstimate)
    with pytest.raises(dataclasses.FrozenInstanceError):
        estimate.ttft_p50_ms = 0  # type: ignore[misc]


# --- monotonic properties (a fixed deployment: the physics, not the capacity planner) -----------------

prompts = st.integers(0, 150_000)
sizes = st.floats(0.1, 400)


@settings(max_examples=150, deadline=None)
@given(params_b=sizes, short=prompts, extra=st.integers(1, 50_000), precision=st.sampled_from(["fp16", "int8", "int4"]))
def test_longer_prompts_are_never_faster(params_b, short, extra, precision):
    a = ServingAssumptions(precision=precision)
    model = make_model(params_b=params_b)
    one = estimate_self_hosted(model, chat(short, 2_000), a, replicas=1)
    two = estimate_self_hosted(model, chat(short + extra, 2_000), a, replicas=1)
    assume(one is not None and two is not None and one.gpus_per_replica == two.gpus_per_replica)
    assert two.prefill_ms >= one.prefill_ms
    assert two.ttft_p50_ms >= one.ttft_p50_ms and two.ttft_p95_ms >= one.ttft_p95_ms
    assert two.full_reply_p95_ms >= one.full_reply_p95_ms
    api_one, api_two = estimate_api(API_UNKNOWN, chat(short)), estimate_api(API_UNKNOWN, chat(short + extra))
    assert api_two.ttft_p95_ms >= api_one.ttft_p95_ms


@settings(max_examples=150, deadline=None)
@given(params_b=st.floats(1, 1_000), share=st.floats(0.01, 1), more=st.floats(1, 3), prompt=prompts)
def test_more_active_params_never_decode_faster(params_b, share, more, prompt):
    active = params_b * share
    bigger = min(params_b, active * more)
    one = estimate_self_hosted(make_model(params_b=params_b, active_params_b=active), chat(prompt), replicas=1)
    two = estimate_self_hosted(make_model(params_b=params_b, active_params_b=bigger), chat(prompt), replicas=1)
    assume(one is not None and two is not None and one.gpus_per_replica == two.gpus_per_replica)
    assert two.decode_tokens_per_s <= one.decode_tokens_per_s
    assert two.prefill_ms >= one.prefill_ms
    phone_one = estimate_on_device(make_model(params_b=params_b, active_params_b=active), DEVICES["phone"], chat(prompt))
    phone_two = estimate_on_device(make_model(params_b=params_b, active_params_b=bigger), DEVICES["phone"], chat(prompt))
    assert phone_two.decode_tokens_per_s <= phone_one.decode_tokens_per_s


@settings(max_examples=100, deadline=None)
@given(params_b=sizes, prompt=prompts, rpd=st.floats(0, 200_000))
def test_higher_effort_never_gives_an_earlier_first_token(params_b, prompt, rpd):
    model = make_model(params_b=params_b, reasoning=True, thinking_optional=True)
    traffic = Traffic(requests_per_day=rpd, input_tokens=prompt, output_tokens=200)
    for estimate in (
        lambda e: estimate_self_hosted(model, traffic, effort=e, replicas=1),
        lambda e: estimate_api(model, traffic, effort=e),
        lambda e: estimate_on_device(model, DEVICES["laptop"], traffic, effort=e),
    ):
        none, low, high = (estimate(e) for e in ("none", "low", "high"))
        if none is None:
            continue
        assert none.ttft_p50_ms <= low.ttft_p50_ms <= high.ttft_p50_ms
        assert none.ttft_p95_ms <= low.ttft_p95_ms <= high.ttft_p95_ms


@settings(max_examples=100, deadline=None)
@given(params_b=sizes, prompt=prompts, bandwidth=st.floats(100, 10_000), more=st.floats(1, 4), rpd=st.floats(0, 100_000))
def test_more_bandwidth_is_never_slower(params_b, prompt, bandwidth, more, rpd):
    model = make_model(params_b=params_b)
    traffic = Traffic(requests_per_day=rpd, input_tokens=prompt, output_tokens=200)
    gpu = GPUS["h100-sxm"]
    slow = ServingAssumptions(gpu=gpu.model_copy(update={"memory_bandwidth_gb_s": bandwidth}))
    fast = ServingAssumptions(gpu=gpu.model_copy(update={"memory_bandwidth_gb_s": bandwidth * more}))
    one, two = estimate_self_hosted(model, traffic, slow, replicas=1), estimate_self_hosted(model, traffic, fast, replicas=1)
    if one is not None:
        assert two.decode_tokens_per_s >= one.decode_tokens_per_s
        assert two.ttft_p95_ms <= one.ttft_p95_ms and two.full_reply_p95_ms <= one.full_reply_p95_ms
    phone = DEVICES["phone"]
    d_one = estimate_on_device(model, phone.model_copy(update={"memory_bandwidth_gb_s": bandwidth}), traffic)
    d_two = estimate_on_device(model, phone.model_copy(update={"memory_bandwidth_gb_s": bandwidth * more}), traffic)
    assert d_two.decode_tokens_per_s >= d_one.decode_tokens_per_s and d_two.full_reply_p95_ms <= d_one.full_reply_p95_ms


def test_estimates_are_memoised_by_size():
    a = estimate_self_hosted(make_model(id="a", params_b=8), MODEST)
    b = estimate_self_hosted(make_model(id="b", params_b=8), MODEST)
    assert a is b
