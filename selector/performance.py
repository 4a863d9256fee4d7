"""Latency and throughput from first principles: rented GPUs, hosted APIs and devices.

Every figure below is a field of a pydantic model (extra="forbid") whose description names its
source, so a page can show the assumptions next to the result and a user can edit any of them.

Self-hosted on GPUs (estimate_self_hosted):

- Memory decides the GPUs per replica, with the same rule as costs.gpus_per_replica: params x
  bytes per param x (1 + KV headroom) over one GPU's memory, rounded up to a power of two (tensor
  parallelism). A mixture-of-experts model keeps every expert in memory.
- Decoding is memory-bound: each step reads the *active* weights once for the whole batch, plus
  every stream's KV cache. step(B) = max((active bytes + B x context x KV bytes) / (bandwidth x
  efficiency), B x 2 x active params / (FLOPs x efficiency)) + a fixed cost per forward pass.
  (A batch of MoE streams touches more experts than one stream: reading only the active weights
  is the optimistic end.)
- Prefill is compute-bound: 2 x active params x prompt tokens, plus causal attention
  2 x prompt^2 x (layers x width), over peak FLOPs x efficiency; never faster than one weight read.
- Replicas: a replica's capacity is its request rate at full batching (max streams, or as many as
  the KV memory holds); replicas are added until the peak rate (average x peak-to-average) is at
  most `target_peak_utilisation` of capacity.
- Queueing model (stated): prefill-priority continuous batching, as vLLM schedules. Each replica's
  prefills form an M/M/1 queue at the peak arrival rate, utilisation rho = rate x prefill time;
  the wait W has P(W > t) = rho x exp(-(1 - rho) t / prefill), so its p-quantile is
  prefill / (1 - rho) x ln(rho / (1 - p)) when rho > 1 - p, else 0. A new request also waits for
  the decode step in flight (half a step at p50, a whole one at p95). Decoding gets the GPU time
  prefills leave, (1 - rho); the streams it shares each step with follow from Little's law.
- TTFT = network round trip + server overhead + wait + prefill + thinking tokens at decode speed.
  Time to the full reply = TTFT + visible output tokens at decode speed. Thinking tokens come from
  the effort (Traffic.reasoning_multiplier, a billing figure, is not used here).

API models (estimate_api): the catalogue's measured speed, else a published figure passed in,
else a stated default; p95 from p50 by a stated ratio; a prompt longer than the one the figure was
measured on adds prefill time at a stated rate.

Devices (device_fit, estimate_on_device): one user, no queue and no network; weights at a
llama.cpp quantisation format plus the KV cache must fit the memory a model may use.

Thinking: effort "none" | "low" | "high" adds thinking tokens generated before the first visible
token. A model with thinking_optional can run at "none"; an always-thinking model cannot go below
"low" (least_effort picks the least allowed).

Speed: the engine calls these for thousands of models. Estimates are memoised by (size, precision,
traffic, assumptions), the arithmetic is plain floats, and results are slotted frozen dataclasses.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from selector.catalogue import Model, Speed
from selector.costs import BYTES_PER_PARAM, Precision, Traffic

Effort = Literal["none", "low", "high"]
EFFORTS: tuple[Effort, ...] = ("none", "low", "high")
SECONDS_PER_DAY = 86_400
BYTES_PER_KB = 1024  # the catalogue's kv_cache_kb_per_token is 2 x layers x kv_heads x head_dim x 2 bytes / 1024
# A deployment that cannot keep up with its traffic (fixed replicas) reports infinite latency.
OVERLOADED = math.inf
_MISSING = object()


class _Closed(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    def describe(self) -> list[tuple[str, str, str]]:
        """(field, value, description) for every assumption, for display next to results."""
        return [(name, str(getattr(self, name)), field.description or "") for name, field in type(self).model_fields.items()]


# --- hardware as data -----------------------------------------------------------------------------


class GPUSpec(_Closed):
    """One data-centre GPU's datasheet figures (dense, i.e. without 2:4 sparsity)."""

    name: str = Field(description="display name")
    memory_gb: float = Field(gt=0, description="GPU memory, GB")
    memory_bandwidth_gb_s: float = Field(gt=0, description="peak memory bandwidth, GB/s")
    bf16_dense_tflops: float = Field(gt=0, description="peak dense BF16/FP16 Tensor Core TFLOPs")
    fp8_dense_tflops: float | None = Field(
        default=None, gt=0, description="peak dense FP8 Tensor Core TFLOPs; None where the GPU has no FP8"
    )
    source: str = Field(min_length=1, description="where the figures come from")


GPUS: dict[str, GPUSpec] = {
    "h100-sxm": GPUSpec(
        name="H100 SXM", memory_gb=80, memory_bandwidth_gb_s=3350, bf16_dense_tflops=989, fp8_dense_tflops=1979,
        source="NVIDIA H100 datasheet (nvidia.com/en-us/data-center/h100): 80 GB HBM3, 3.35 TB/s; BF16 1,979 and "
        "FP8 3,958 TFLOPs are quoted with sparsity, half that dense",
    ),
    "h200-sxm": GPUSpec(
        name="H200 SXM", memory_gb=141, memory_bandwidth_gb_s=4800, bf16_dense_tflops=989, fp8_dense_tflops=1979,
        source="NVIDIA H200 datasheet (nvidia.com/en-us/data-center/h200): 141 GB HBM3e, 4.8 TB/s; same Hopper "
        "compute as the H100 SXM (BF16 1,979 / FP8 3,958 TFLOPs with sparsity)",
    ),
    "a100-80gb-sxm": GPUSpec(
        name="A100 80GB SXM", memory_gb=80, memory_bandwidth_gb_s=2039, bf16_dense_tflops=312, fp8_dense_tflops=None,
        source="NVIDIA A100 datasheet (nvidia-a100-datasheet-us-nvidia-1758950-r4-web.pdf): 80 GB HBM2e, 2,039 GB/s, "
        "BF16 312 TFLOPs dense; Ampere has no FP8",
    ),
    "l40s": GPUSpec(
        name="L40S", memory_gb=48, memory_bandwidth_gb_s=864, bf16_dense_tflops=362, fp8_dense_tflops=733,
        source="NVIDIA L40S datasheet: 48 GB GDDR6, 864 GB/s; BF16 733 and FP8 1,466 TFLOPs with sparsity, "
        "362 and 733 dense",
    ),
}


class DeviceProfile(_Closed):
    """A device a model runs on locally (one user): how much memory a model may take, and how fast it is."""

    name: str = Field(description="display name")
    memory_gb: float = Field(gt=0, description="total memory of the device, GB")
    model_memory_budget_gb: float = Field(gt=0, description="memory a model may use (weights + KV cache), GB")
    memory_bandwidth_gb_s: float = Field(gt=0, description="peak memory bandwidth, GB/s")
    compute_tflops: float = Field(gt=0, description="peak FP16 TFLOPs of the unit that runs the model")
    bandwidth_efficiency: float = Field(default=0.7, gt=0, le=1, description="share of peak bandwidth decode reaches")
    compute_efficiency: float = Field(default=0.5, gt=0, le=1, description="share of peak compute prefill reaches")
    source: str = Field(min_length=1, description="where the figures come from")


DEVICES: dict[str, DeviceProfile] = {
    "phone": DeviceProfile(
        name="flagship phone (Galaxy S25 Ultra class)", memory_gb=12, model_memory_budget_gb=4,
        memory_bandwidth_gb_s=76.8, compute_tflops=3.0, bandwidth_efficiency=0.6, compute_efficiency=0.3,
        source="12 GB LPDDR5X at 9.6 Gbps on a 64-bit bus = 76.8 GB/s (Snapdragon 8 Elite supports up to 84.8 GB/s); "
        "~4 GB usable by one model beside the OS and apps (assumption: Android reclaims memory from large apps); "
        "~3 TFLOPs FP16 for the Adreno 830 GPU is an estimate (Qualcomm publishes none), at 30% for thermal limits",
    ),
    "laptop": DeviceProfile(
        name="laptop (MacBook Pro, M4 Pro, 24 GB)", memory_gb=24, model_memory_budget_gb=16,
        memory_bandwidth_gb_s=273, compute_tflops=7.5, bandwidth_efficiency=0.8, compute_efficiency=0.9,
        source="Apple M4 Pro: 273 GB/s unified memory, 20-core GPU (20 x 128 ALUs x 2 x 1.47 GHz = 7.5 TFLOPs); "
        "macOS lets the GPU wire about two thirds of unified memory (llama.cpp Metal logs: 21,845 MiB on 32 GB), "
        "so 16 of 24 GB; efficiencies calibrated on llama.cpp with Llama 3.1 8B Q4_K_M on an M4 (120 GB/s, "
        "~3.8 TFLOPs): 20.9 tok/s decode = 85% of bandwidth, 225 tok/s prefill = 3.6 TFLOPs (brand-o/normiebench #3)",
    ),
    "edge-box": DeviceProfile(
        name="edge box (Jetson AGX Orin 64GB)", memory_gb=64, model_memory_budget_gb=48,
        memory_bandwidth_gb_s=204.8, compute_tflops=42.5, bandwidth_efficiency=0.7, compute_efficiency=0.4,
        source="NVIDIA Jetson AGX Orin technical brief: 64 GB LPDDR5 (256-bit) at 204.8 GB/s; GPU 170 sparse INT8 "
        "TOPS = 85 dense, FP16 half of that = 42.5 TFLOPs; 48 GB left to the model beside the OS and the "
        "application (assumption)",
    ),
}


# --- assumptions ------------------------------------------------------------------------------------


class ModelShapeAssumptions(_Closed):
    """Rules that stand in for a model's config.json when the catalogue lacks the figure."""

    kv_cache_kb_per_token_ref: float = Field(
        default=128.0, gt=0,
        description="KV cache per token at 16-bit for the reference model: Llama 3.1 8B config "
        "(32 layers x 8 KV heads x 128 dims x 2 (K and V) x 2 bytes = 128 KB)",
    )
    kv_cache_ref_active_params_b: float = Field(
        default=8.0, gt=0, description="active parameters (billions) of the reference model (Llama 3.1 8B)"
    )
    kv_cache_scaling_exponent: float = Field(
        default=0.4, ge=0, le=1,
        description="estimated KV cache scales as (active params / reference)^exponent: 0.4 gives Llama 3.1 70B "
        "305 KB (config: 320) and 405B 615 KB (config: 504); an estimate, said so in results",
    )
    attention_width_coefficient: float = Field(
        default=0.035, gt=0,
        description="layers x model width ~ coefficient x active params^(2/3), for attention FLOPs: Llama 3.1 "
        "8B/70B/405B configs give 131k/655k/2.06M against 140k/598k/1.92M from the rule",
    )


class ThinkingAssumptions(_Closed):
    """Thinking tokens each effort adds before the first visible token (editable)."""

    none_tokens: int = Field(default=0, ge=0, description="effort 'none': no thinking")
    low_tokens: int = Field(
        default=1_000, ge=0,
        description="effort 'low': ~1,000 thinking tokens (Anthropic's smallest extended-thinking budget is 1,024)",
    )
    high_tokens: int = Field(
        default=8_000, ge=0,
        description="effort 'high': ~8,000 thinking tokens (assumption: hard problems use several thousand; "
        "OpenAI notes reasoning can use tens of thousands)",
    )

    def tokens(self, effort: Effort) -> int:
        return {"none": self.none_tokens, "low": self.low_tokens, "high": self.high_tokens}[effort]


class ServingAssumptions(_Closed):
    """Everything behind a self-hosted latency estimate."""

    gpu: GPUSpec = Field(default=GPUS["h100-sxm"], description="the GPU each replica runs on")
    precision: Precision = Field(
        default="int8",
        description="weight precision: fp16 = 2 bytes/param, int8 = 1, int4 = 0.5 (as costs.py). int8 prefill runs "
        "at the FP8 rate where the GPU has FP8, else at BF16 (weight-only); int4 at BF16 (weight-only, e.g. AWQ)",
    )
    bandwidth_efficiency: float = Field(
        default=0.7, gt=0, le=1,
        description="share of peak memory bandwidth decoding reaches (model bandwidth utilisation; vLLM and "
        "TensorRT-LLM reach roughly 60-85%, per Databricks' 'LLM Inference Performance Engineering')",
    )
    compute_efficiency: float = Field(
        default=0.5, gt=0, le=1,
        description="share of peak dense FLOPs prefill reaches (model FLOPs utilisation; 40-60% is typical of "
        "large prefill batches, assumption)",
    )
    tensor_parallel_efficiency: float = Field(
        default=0.85, gt=0, le=1,
        description="share of linear speed-up kept when a replica spans several GPUs (all-reduce per layer over "
        "NVLink; assumption)",
    )
    kv_cache_headroom: float = Field(
        default=0.2, ge=0, le=4,
        description="memory reserved for KV cache and activations, as a fraction of weight memory (costs.py's rule)",
    )
    gpus_power_of_two: bool = Field(default=True, description="round GPUs per replica up to 1, 2, 4, 8 (costs.py's rule)")
    gpu_memory_utilisation: float = Field(
        default=0.9, gt=0, le=1, description="share of GPU memory the server may use (vLLM's gpu_memory_utilization default)"
    )
    max_concurrent_streams: int = Field(
        default=256, ge=1, description="most requests a replica decodes at once (vLLM's max_num_seqs default)"
    )
    peak_to_average: float = Field(
        default=2.0, ge=1,
        description="peak request rate over the daily average (costs.py sizes for peaks at 2x the average)",
    )
    target_peak_utilisation: float = Field(
        default=0.7, gt=0, lt=1,
        description="replicas are added until the peak rate is at most this share of a replica's capacity",
    )
    network_round_trip_ms: float = Field(
        default=40.0, ge=0,
        description="client to server and back on the same continent (assumption: 20-60 ms on public networks)",
    )
    server_overhead_ms: float = Field(
        default=5.0, ge=0, description="HTTP, tokenisation and scheduling in the serving process (assumption)"
    )
    step_overhead_ms: float = Field(
        default=1.0, ge=0,
        description="fixed time per forward pass beside weight reads and FLOPs: kernel launches, sampling, "
        "scheduling (assumption; CUDA graphs keep it near 1 ms)",
    )
    shape: ModelShapeAssumptions = Field(default_factory=ModelShapeAssumptions, description="model-shape rules")
    thinking: ThinkingAssumptions = Field(default_factory=ThinkingAssumptions, description="thinking tokens per effort")


class APIAssumptions(_Closed):
    """Defaults for a hosted API whose speed the catalogue does not record."""

    default_ttft_p50_ms: float = Field(
        default=600.0, gt=0,
        description="time to first token, p50, of a typical frontier API (the seed: API p95 500 ms-2 s; with "
        "p95_over_p50 = 2 this gives p95 1.2 s, mid-range)",
    )
    default_output_tokens_per_s: float = Field(
        default=80.0, gt=0,
        description="output tokens/s of a typical frontier API (assumption: public trackers such as Artificial "
        "Analysis show most between 50 and 150)",
    )
    p95_over_p50: float = Field(
        default=2.0, ge=1, description="p95 over p50 time to first token (the seed's range spans 4x; assumption)"
    )
    p95_decode_slowdown: float = Field(
        default=1.3, ge=1, description="decode at p95 is this many times slower than at p50 (assumption)"
    )
    measured_prompt_tokens: int = Field(
        default=1_000, ge=0, description="prompt length the measured or default TTFT is taken to apply to (assumption)"
    )
    prefill_tokens_per_s: float = Field(
        default=10_000.0, gt=0,
        description="rate at which an API reads prompt tokens beyond measured_prompt_tokens (assumption: a 100k-token "
        "prompt adds ~10 s)",
    )
    thinking: ThinkingAssumptions = Field(default_factory=ThinkingAssumptions, description="thinking tokens per effort")


class DeviceAssumptions(_Closed):
    """Quantisation formats and runtime figures for running a model on a device (llama.cpp-style)."""

    int4_bits_per_param: float = Field(
        default=4.9, gt=0,
        description="int4 on devices is llama.cpp Q4_K_M: Llama 3.1 8B is 4.58 GiB for 8.03B params = 4.9 bits/param",
    )
    int8_bits_per_param: float = Field(
        default=8.5, gt=0, description="int8 on devices is llama.cpp Q8_0: 32 int8 weights + one fp16 scale = 8.5 bits"
    )
    fp16_bits_per_param: float = Field(default=16.0, gt=0, description="fp16: 16 bits/param")
    runtime_overhead_gb: float = Field(
        default=0.3, ge=0, description="compute buffers and runtime beside weights and KV cache (assumption, llama.cpp)"
    )
    p95_over_p50: float = Field(
        default=1.25, ge=1,
        description="p95 over p50 on a device: thermal throttling and background apps (assumption; llama.cpp "
        "issue #10444 reports heavy throttling on Apple Silicon)",
    )
    shape: ModelShapeAssumptions = Field(default_factory=ModelShapeAssumptions, description="model-shape rules")
    thinking: ThinkingAssumptions = Field(default_factory=ThinkingAssumptions, description="thinking tokens per effort")

    def bits_per_param(self, precision: Precision) -> float:
        return {"int4": self.int4_bits_per_param, "int8": self.int8_bits_per_param, "fp16": self.fp16_bits_per_param}[precision]


DEVICE_FORMATS = {"int4": "Q4_K_M", "int8": "Q8_0", "fp16": "F16"}


# --- results ----------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class LatencyEstimate:
    """How fast one model answers one traffic profile; ms are milliseconds, inf when overloaded."""

    where: Literal["self_hosted", "api", "device"]
    ttft_p50_ms: float
    ttft_p95_ms: float
    full_reply_p95_ms: float  # first token + thinking + the traffic's visible output tokens, at p95
    decode_tokens_per_s: float  # per stream, at the estimated load
    prefill_ms: float | None  # None for APIs: inside the provider's time to first token
    thinking_tokens: int
    effort: Effort
    gpus_per_replica: int | None = None
    replicas: int | None = None
    peak_utilisation: float | None = None  # peak rate over one replica's capacity
    basis: str = ""

    @property
    def total_gpus(self) -> int | None:
        return None if self.gpus_per_replica is None or self.replicas is None else self.gpus_per_replica * self.replicas


@dataclass(frozen=True, slots=True)
class DeviceFit:
    """Whether a model fits a device's memory budget, with the numbers (message: words for people)."""

    fits: bool
    needed_gb: float
    budget_gb: float
    weights_gb: float
    kv_cache_gb: float
    kv_cache_estimated: bool
    runtime_gb: float
    device_name: str
    quantisation: str
    context_tokens: int

    @property
    def message(self) -> str:
        """e.g. "Q4_K_M with 8,192 tokens of context does not fit the ...: needs 6.3 GB against 4.0 GB (...)"."""
        return (
            f"{self.quantisation} with {self.context_tokens:,} tokens of context "
            f"{'fits' if self.fits else 'does not fit'} the {self.device_name}: needs {self.needed_gb:.1f} GB against "
            f"{self.budget_gb:.1f} GB ({self.weights_gb:.1f} GB weights + {self.kv_cache_gb:.1f} GB KV cache"
            f"{' (estimated)' if self.kv_cache_estimated else ''} + {self.runtime_gb:.1f} GB runtime)"
        )


# --- thinking effort --------------------------------------------------------------------------------


def allowed_efforts(model: Model) -> tuple[Effort, ...]:
    """Efforts the model can run at: non-reasoning 'none' only; always-thinking models not below 'low'."""
    if not model.reasoning:
        return ("none",)
    if model.thinking_optional:
        return EFFORTS
    return ("low", "high")


def least_effort(model: Model) -> Effort:
    """The least thinking the model allows: how it is judged when the user asks for speed."""
    return allowed_efforts(model)[0]


def effective_effort(model: Model, requested: Effort | None = None) -> Effort:
    """The requested effort clamped to what the model allows (None: the least it allows)."""
    allowed = allowed_efforts(model)
    return requested if requested in allowed else allowed[0]


# --- model shape ------------------------------------------------------------------------------------


def _active_b(model: Model) -> float | None:
    return model.active_params_b or model.params_b


def kv_cache_kb_per_token(
    model: Model, shape: ModelShapeAssumptions | None = None
) -> tuple[float | None, bool]:
    """(KV cache KB per token at 16-bit, estimated?): the catalogue's figure, else the scaling rule."""
    if model.kv_cache_kb_per_token is not None:
        return model.kv_cache_kb_per_token, False
    active = _active_b(model)
    if active is None:
        return None, True
    return _estimated_kv_kb(active, shape or _DEFAULT_SHAPE), True


def _estimated_kv_kb(active_b: float, s: ModelShapeAssumptions) -> float:
    return s.kv_cache_kb_per_token_ref * (active_b / s.kv_cache_ref_active_params_b) ** s.kv_cache_scaling_exponent


def _attention_width(active_b: float, s: ModelShapeAssumptions) -> float:
    """layers x model width, estimated from active parameters."""
    return s.attention_width_coefficient * (active_b * 1e9) ** (2 / 3)


def gpus_for(params_b: float, bytes_per_param: float, gpu_memory_gb: float, headroom: float, power_of_two: bool) -> int:
    """GPUs one replica needs to hold the weights plus headroom: the rule of costs.gpus_per_replica."""
    needed_gb = params_b * bytes_per_param * (1 + headroom)
    gpus = max(1, max(0, math.ceil(needed_gb / gpu_memory_gb - 1e-9)))
    return 1 << (gpus - 1).bit_length() if power_of_two and gpus > 1 else gpus


_DEFAULT_SHAPE = ModelShapeAssumptions()
_DEFAULT_SERVING = ServingAssumptions()
_DEFAULT_API = APIAssumptions()
_DEFAULT_DEVICE = DeviceAssumptions()


# --- self-hosted on GPUs ----------------------------------------------------------------------------


def _mm1_wait_quantile(rho: float, service_s: float, p: float) -> float:
    """p-quantile of the M/M/1 waiting time in queue: P(W > t) = rho * exp(-(1 - rho) t / service)."""
    if rho <= 1 - p:
        return 0.0
    return service_s / (1 - rho) * math.log(rho / (1 - p))


class SelfHostedEstimator:
    """Self-hosted estimates for one (traffic, assumptions, replicas): plain-float constants, memoised by model size.

    The engine can build one per ranking and call estimate() for each model.
    """

    def __init__(self, traffic: Traffic, assumptions: ServingAssumptions | None = None, replicas: int | None = None):
        a = assumptions or _DEFAULT_SERVING
        self.a = a
        self.replicas_fixed = replicas
        self.n_in = traffic.input_tokens
        self.n_out = traffic.output_tokens
        self.rate_peak = traffic.requests_per_day / SECONDS_PER_DAY * a.peak_to_average
        self.bytes_pp = BYTES_PER_PARAM[a.precision]
        g = a.gpu
        self.bw = g.memory_bandwidth_gb_s * 1e9 * a.bandwidth_efficiency
        linear_tflops = g.fp8_dense_tflops if a.precision == "int8" and g.fp8_dense_tflops else g.bf16_dense_tflops
        self.linear_flops = linear_tflops * 1e12 * a.compute_efficiency
        self.attn_flops = g.bf16_dense_tflops * 1e12 * a.compute_efficiency
        self.fixed_ms = a.network_round_trip_ms + a.server_overhead_ms
        self.step_overhead = a.step_overhead_ms / 1000
        self.memo: dict[tuple, LatencyEstimate | None] = {}

    def estimate(self, model: Model, effort: Effort | None = None) -> LatencyEstimate | None:
        """As estimate_self_hosted(); None when params_b is unknown."""
        if model.params_b is None:
            return None
        effort = effective_effort(model, effort) if model.reasoning else "none"
        key = (model.params_b, model.active_params_b, model.kv_cache_kb_per_token, effort)
        found = self.memo.get(key, _MISSING)
        if found is _MISSING:
            kv_kb, estimated = kv_cache_kb_per_token(model, self.a.shape)
            found = self.memo[key] = self._estimate(model.params_b, _active_b(model), kv_kb, estimated, effort)
        return found  # type: ignore[return-value]

    def _estimate(self, params_b: float, active_b: float, kv_kb: float, kv_estimated: bool, effort: Effort) -> LatencyEstimate | None:
        a = self.a
        think = a.thinking.tokens(effort)
        n_in, n_dec = self.n_in, think + self.n_out
        kv_bytes = kv_kb * BYTES_PER_KB
        ctx_mean = n_in + n_dec / 2
        gpus, max_streams = self._gpus_and_streams(params_b, n_in + n_dec, kv_bytes)
        if max_streams < 1:
            return None

        scale = gpus * (a.tensor_parallel_efficiency if gpus > 1 else 1.0)
        bw, f_lin, f_attn = self.bw * scale, self.linear_flops * scale, self.attn_flops * scale
        active = active_b * 1e9
        width = _attention_width(active_b, a.shape)
        # s per decode step: one read of the active weights, plus the fixed cost of a forward pass
        step_weights = active * self.bytes_pp / bw + self.step_overhead
        step_kv = ctx_mean * kv_bytes / bw  # s per stream per step: its KV cache
        step_compute = (2 * active + 4 * ctx_mean * width) / f_lin  # s per stream per step, if compute-bound
        prefill = max(2 * active * n_in / f_lin + 2 * n_in * n_in * width / f_attn, step_weights - self.step_overhead)
        prefill += self.step_overhead

        def step(streams: float) -> float:
            return max(step_weights + streams * step_kv, streams * step_compute + self.step_overhead)

        service = prefill + n_dec * step(max_streams) / max_streams  # GPU-seconds per request at full batching
        capacity = 1 / service
        if self.replicas_fixed is not None:
            replicas = self.replicas_fixed
        else:
            replicas = max(1, math.ceil(self.rate_peak / (capacity * a.target_peak_utilisation) - 1e-9))
        rate = self.rate_peak / replicas
        load = rate * service
        rho_pf = rate * prefill
        left = 1 - rho_pf  # GPU time prefills leave to decoding
        denom = left - rate * n_dec * step_kv
        if load >= 1 or denom <= 0:
            return _overloaded(gpus, replicas, load, think, effort, prefill, a)
        others = rate * n_dec * step_weights / denom  # streams decoding alongside (Little's law, memory-bound)
        streams = min(float(max_streams), 1 + others)
        step_s = step(streams)
        decode_tps = left / step_s
        in_flight = step_s * min(1.0, others)  # the decode step a new request waits for

        think_ms = think / decode_tps * 1000
        base = self.fixed_ms + (prefill + think / decode_tps) * 1000
        ttft50 = base + (_mm1_wait_quantile(rho_pf, prefill, 0.5) + in_flight / 2) * 1000
        ttft95 = base + (_mm1_wait_quantile(rho_pf, prefill, 0.95) + in_flight) * 1000
        full95 = ttft95 + self.n_out / decode_tps * 1000
        basis = self._basis(gpus, replicas, active_b, 1 / step(1), decode_tps, prefill, think, think_ms, load,
                            (ttft50, ttft95), kv_estimated)
        return LatencyEstimate(
            where="self_hosted", ttft_p50_ms=ttft50, ttft_p95_ms=ttft95, full_reply_p95_ms=full95,
            decode_tokens_per_s=decode_tps, prefill_ms=prefill * 1000, thinking_tokens=think, effort=effort,
            gpus_per_replica=gpus, replicas=replicas, peak_utilisation=load, basis=basis,
        )

    def _gpus_and_streams(self, params_b: float, ctx_max: int, kv_bytes: float) -> tuple[int, int]:
        """GPUs per replica and the concurrent streams their memory holds: a long context may need more
        GPUs than the weights alone (doubled up to 64); 0 streams when even 64 cannot hold one."""
        a, g = self.a, self.a.gpu
        weights_total = params_b * 1e9 * self.bytes_pp
        gpus = gpus_for(params_b, self.bytes_pp, g.memory_gb, a.kv_cache_headroom, a.gpus_power_of_two)
        while True:
            free = gpus * g.memory_gb * 1e9 * a.gpu_memory_utilisation - weights_total
            if free <= 0:
                max_streams = 0
            elif ctx_max == 0:
                max_streams = a.max_concurrent_streams
            else:
                max_streams = min(a.max_concurrent_streams, math.floor(free / (ctx_max * kv_bytes)))
            if max_streams >= 1 or gpus >= 64:
                return gpus, max_streams
            gpus *= 2

    def _basis(self, gpus: int, replicas: int, active_b: float, single_tps: float, decode_tps: float, prefill: float,
               think: int, think_ms: float, load: float, ttft: tuple[float, float], kv_estimated: bool) -> str:
        """How the self-hosted estimate was reached, in one line for the report."""
        a, g = self.a, self.a.gpu
        return (
            f"{g.name} {a.precision}, {gpus} GPU(s) x {replicas} replica(s): "
            f"{active_b * self.bytes_pp:,.1f} GB active weights at {g.memory_bandwidth_gb_s / 1000:.2f} TB/s"
            f"{f' x {gpus}' if gpus > 1 else ''} x {a.bandwidth_efficiency:g} -> {single_tps:,.0f} tok/s alone, "
            f"{decode_tps:,.0f} at load; prefill {self.n_in:,} tokens {prefill * 1000:,.0f} ms"
            f"{f'; {think:,} thinking tokens {think_ms:,.0f} ms' if think else ''}; "
            f"M/M/1 prefill queue at {load:.0%} peak load: TTFT p50 {ttft[0]:,.0f} ms, p95 {ttft[1]:,.0f} ms "
            f"(incl. {self.fixed_ms:g} ms network + server)"
            f"{'; KV cache estimated' if kv_estimated else ''}"
        )


def _overloaded(
    gpus: int, replicas: int, load: float, think: int, effort: Effort, prefill: float, a: ServingAssumptions
) -> LatencyEstimate:
    basis = (
        f"{a.gpu.name} {a.precision}, {gpus} GPU(s) x {replicas} replica(s): overloaded at peak "
        f"({load:.0%} of capacity); more replicas are needed"
    )
    return LatencyEstimate(
        where="self_hosted", ttft_p50_ms=OVERLOADED, ttft_p95_ms=OVERLOADED, full_reply_p95_ms=OVERLOADED,
        decode_tokens_per_s=0.0, prefill_ms=prefill * 1000, thinking_tokens=think, effort=effort,
        gpus_per_replica=gpus, replicas=replicas, peak_utilisation=load, basis=basis,
    )


def estimate_self_hosted(
    model: Model,
    traffic: Traffic,
    assumptions: ServingAssumptions | None = None,
    effort: Effort | None = None,
    replicas: int | None = None,
) -> LatencyEstimate | None:
    """Latency of serving `traffic` on rented GPUs; None when params_b is unknown (or one request's
    context would not fit the KV memory of 64 GPUs).

    `replicas` fixes the deployment (default: as many as the peak needs at the target utilisation);
    `effort` defaults to the least the model allows.
    """
    if model.params_b is None:
        return None
    estimator = _estimator(SelfHostedEstimator, traffic, assumptions or _DEFAULT_SERVING, replicas)
    return estimator.estimate(model, effort)


# --- hosted APIs ------------------------------------------------------------------------------------


def estimate_api(
    model: Model,
    traffic: Traffic,
    effort: Effort | None = None,
    published: Speed | None = None,
    assumptions: APIAssumptions | None = None,
) -> LatencyEstimate:
    """Latency through the model's hosted API: measured speed, else `published`, else the stated default.

    A measured TTFT is taken as the time to the first token without thinking; the thinking tokens of
    the effort are added at the model's output speed. `effort` defaults to the least the model allows.
    """
    estimator = _estimator(APIEstimator, traffic, assumptions or _DEFAULT_API)
    return estimator.estimate(model, effort, published)


class APIEstimator:
    """API estimates for one (traffic, assumptions), memoised by speed figures and effort."""

    def __init__(self, traffic: Traffic, assumptions: APIAssumptions | None = None):
        a = assumptions or _DEFAULT_API
        self.a = a
        self.n_in, self.n_out = traffic.input_tokens, traffic.output_tokens
        self.extra_prompt_ms = max(0, self.n_in - a.measured_prompt_tokens) / a.prefill_tokens_per_s * 1000
        self.memo: dict[tuple, LatencyEstimate] = {}

    def estimate(self, model: Model, effort: Effort | None = None, published: Speed | None = None) -> LatencyEstimate:
        """As estimate_api()."""
        effort = effective_effort(model, effort) if model.reasoning else "none"
        speed = model.speed
        if published is None:
            speeds: tuple = () if speed is None else ((speed.ttft_ms, speed.output_tokens_per_s, speed.source),)
        else:
            speeds = tuple((s.ttft_ms, s.output_tokens_per_s, s.source) for s in (speed, published) if s is not None)
        key = (speeds, effort)
        found = self.memo.get(key)
        if found is None:
            found = self.memo[key] = self._estimate(speeds, effort)
        return found

    def _estimate(self, speeds: tuple, effort: Effort) -> LatencyEstimate:
        a = self.a
        think = a.thinking.tokens(effort)
        ttft, tps, sources = None, None, []
        for speed_ttft, speed_tps, source in speeds:
            if ttft is None and speed_ttft is not None:
                ttft = speed_ttft
                sources.append(f"TTFT {speed_ttft:,.0f} ms measured ({source})")
            if tps is None and speed_tps is not None:
                tps = speed_tps
                sources.append(f"{speed_tps:,.0f} tok/s measured ({source})")
        if ttft is None:
            ttft = a.default_ttft_p50_ms
            sources.append(f"default TTFT p50 {ttft:,.0f} ms (speed unknown; typical frontier API, seed p95 500 ms-2 s)")
        if tps is None:
            tps = a.default_output_tokens_per_s
            sources.append(f"default {tps:,.0f} tok/s (speed unknown)")
        extra_prompt_ms = self.extra_prompt_ms
        think_ms = think / tps * 1000
        slow = a.p95_decode_slowdown
        ttft50 = ttft + extra_prompt_ms + think_ms
        ttft95 = (ttft + extra_prompt_ms) * a.p95_over_p50 + think_ms * slow
        full95 = ttft95 + self.n_out / tps * slow * 1000
        if think:
            sources.append(f"{think:,} thinking tokens at effort {effort} add {think_ms:,.0f} ms")
        if extra_prompt_ms:
            sources.append(f"{self.n_in - a.measured_prompt_tokens:,} extra prompt tokens add {extra_prompt_ms:,.0f} ms")
        sources.append(f"p95 = {a.p95_over_p50:g} x p50")
        return LatencyEstimate(
            where="api", ttft_p50_ms=ttft50, ttft_p95_ms=ttft95, full_reply_p95_ms=full95, decode_tokens_per_s=tps,
            prefill_ms=None, thinking_tokens=think, effort=effort, basis="; ".join(sources),
        )


# --- devices ----------------------------------------------------------------------------------------


def device_fit(
    model: Model,
    device: DeviceProfile,
    context_tokens: int,
    precision: Precision = "int4",
    assumptions: DeviceAssumptions | None = None,
) -> DeviceFit | None:
    """Whether weights at `precision` plus the KV cache for `context_tokens` fit the device; None when params_b is unknown."""
    if model.params_b is None:
        return None
    return _estimator(_FitTable, device, precision, assumptions or _DEFAULT_DEVICE).fit(model, context_tokens)


class _FitTable:
    """device_fit() for one (device, precision, assumptions), memoised by model size and context."""

    def __init__(self, device: DeviceProfile, precision: Precision, a: DeviceAssumptions):
        self.device, self.precision, self.a = device, precision, a
        self.bytes_pp = a.bits_per_param(precision) / 8
        self.memo: dict[tuple, DeviceFit] = {}

    def fit(self, model: Model, context_tokens: int) -> DeviceFit:
        key = (model.params_b, model.active_params_b, model.kv_cache_kb_per_token, context_tokens)
        found = self.memo.get(key)
        if found is None:
            a = self.a
            kv_kb, estimated = kv_cache_kb_per_token(model, a.shape)
            weights_gb = model.params_b * self.bytes_pp  # type: ignore[operator]
            kv_gb = context_tokens * (kv_kb or 0.0) * BYTES_PER_KB / 1e9
            needed = weights_gb + kv_gb + a.runtime_overhead_gb
            budget = self.device.model_memory_budget_gb
            found = self.memo[key] = DeviceFit(
                needed <= budget, needed, budget, weights_gb, kv_gb, estimated, a.runtime_overhead_gb,
                self.device.name, DEVICE_FORMATS[self.precision], context_tokens,
            )
        return found


def estimate_on_device(
    model: Model,
    device: DeviceProfile,
    traffic: Traffic,
    precision: Precision = "int4",
    effort: Effort | None = None,
    assumptions: DeviceAssumptions | None = None,
) -> LatencyEstimate | None:
    """Latency of one user running the model on `device` (no server, no network); None when params_b is unknown."""
    if model.params_b is None:
        return None
    estimator = _estimator(DeviceEstimator, device, traffic, precision, assumptions or _DEFAULT_DEVICE)
    return estimator.estimate(model, effort)


class DeviceEstimator:
    """Device estimates for one (device, traffic, precision, assumptions), memoised by model size."""

    def __init__(
        self, device: DeviceProfile, traffic: Traffic, precision: Precision = "int4",
        assumptions: DeviceAssumptions | None = None,
    ):
        a = assumptions or _DEFAULT_DEVICE
        self.device, self.precision, self.a = device, precision, a
        self.n_in, self.n_out = traffic.input_tokens, traffic.output_tokens
        self.bytes_pp = a.bits_per_param(precision) / 8
        self.bw = device.memory_bandwidth_gb_s * 1e9 * device.bandwidth_efficiency
        self.flops = device.compute_tflops * 1e12 * device.compute_efficiency
        self.memo: dict[tuple, LatencyEstimate] = {}

    def estimate(self, model: Model, effort: Effort | None = None) -> LatencyEstimate | None:
        """As estimate_on_device(); None when params_b is unknown."""
        if model.params_b is None:
            return None
        effort = effective_effort(model, effort) if model.reasoning else "none"
        key = (model.params_b, model.active_params_b, model.kv_cache_kb_per_token, effort)
        found = self.memo.get(key)
        if found is None:
            kv_kb, estimated = kv_cache_kb_per_token(model, self.a.shape)
            found = self.memo[key] = self._estimate(_active_b(model), kv_kb, estimated, effort)  # type: ignore[arg-type]
        return found

    def _estimate(self, active_b: float, kv_kb: float, estimated: bool, effort: Effort) -> LatencyEstimate:
        a, device, n_in, n_out = self.a, self.device, self.n_in, self.n_out
        think = a.thinking.tokens(effort)
        active = active_b * 1e9
        ctx_mean = n_in + (think + n_out) / 2
        weights_read = active * self.bytes_pp
        decode_tps = self.bw / (weights_read + ctx_mean * kv_kb * BYTES_PER_KB)
        width = _attention_width(active_b, a.shape)
        prefill = max((2 * active * n_in + 2 * n_in * n_in * width) / self.flops, weights_read / self.bw)
        ttft50 = (prefill + think / decode_tps) * 1000
        ttft95 = ttft50 * a.p95_over_p50
        full95 = ttft95 + n_out / decode_tps * 1000 * a.p95_over_p50
        basis = (
            f"{device.name}, {DEVICE_FORMATS[self.precision]}: {weights_read / 1e9:,.1f} GB weights at "
            f"{device.memory_bandwidth_gb_s:g} GB/s x {device.bandwidth_efficiency:g} -> {decode_tps:,.0f} tok/s; "
            f"prefill {n_in:,} tokens at {device.compute_tflops:g} TFLOPs x {device.compute_efficiency:g} "
            f"{prefill * 1000:,.0f} ms{f'; {think:,} thinking tokens' if think else ''}; one user, no network, "
            f"p95 = {a.p95_over_p50:g} x p50{'; KV cache estimated' if estimated else ''}"
        )
        return LatencyEstimate(
            where="device", ttft_p50_ms=ttft50, ttft_p95_ms=ttft95, full_reply_p95_ms=full95,
            decode_tokens_per_s=decode_tps, prefill_ms=prefill * 1000, thinking_tokens=think, effort=effort, basis=basis,
        )


# --- memo of estimators ---------------------------------------------------------------------------
# Callers pass the same Traffic and assumption objects for every model of a ranking: the last
# estimator of each kind is kept with its arguments and found again by a tuple comparison, which
# checks identity before equality, so no nested pydantic model is hashed per call. Other arguments
# fall back to an lru_cache by value. (The engine can also hold an estimator itself: see the
# *Estimator classes.)

_LAST: dict[type, tuple[tuple, object]] = {}


@lru_cache(maxsize=128)
def _estimator_by_value(factory: type, args: tuple):
    return factory(*args)


def _estimator(factory: type, *args):
    last = _LAST.get(factory)
    if last is not None and last[0] == args:
        return last[1]
    estimator = _estimator_by_value(factory, args)
    _LAST[factory] = (args, estimator)
    return estimator


def clear_caches() -> None:
    """Forget memoised estimates (benchmarks measure the cold path with it)."""
    _LAST.clear()
    _estimator_by_value.cache_clear()
