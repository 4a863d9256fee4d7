"""Cost arithmetic: per request, per month, self-hosting and break-even. Pure functions.

Prices are USD per 1M tokens from the catalogue. A model without a public price has an unknown
cost (None), never 0: callers say "unknown" rather than treat it as free. Likewise a model whose
parameter count is unknown has no self-hosting estimate: the GPU count is never guessed.

Self-hosting model (every figure below is a field of SelfHostAssumptions, shown next to results):

- GPUs per replica come from memory: params x bytes per param at the chosen precision, plus a
  headroom fraction for the KV cache and activations, over one GPU's memory; rounded up, then up
  to a power of two because tensor parallelism splits attention heads evenly (1, 2, 4, 8 GPUs).
  A mixture-of-experts model keeps *all* its experts in memory, so memory follows params_b.
- Throughput follows *active* parameters: decoding reads the active weights once per batched step,
  so tokens per second per GPU scale inversely with active parameters around a reference size.
  Input (prefill) tokens are processed in parallel and cost a fraction of an output token.
- A replica serves `utilisation` of its peak throughput on average (traffic has peaks). Replicas
  are added when the traffic needs more; at least one runs all month whatever the traffic, so the
  monthly cost is a step function of volume.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from selector.catalogue import Count, FiniteNumber, Model

DAYS_PER_MONTH = 30.4  # 365 / 12, rounded: the month used by every monthly figure
TOKENS_PER_MTOK = 1_000_000
SECONDS_PER_DAY = 86_400
HOURS_PER_MONTH = 729.6  # 24 x DAYS_PER_MONTH: an always-on GPU
# The break-even search stops here: beyond a billion requests a day the question is not this tool's.
MAX_BREAK_EVEN_REQUESTS_PER_DAY = 1e9

Precision = Literal["fp16", "int8", "int4"]
BYTES_PER_PARAM: dict[str, float] = {"fp16": 2.0, "int8": 1.0, "int4": 0.5}


# Traffic's bounds (the questionnaire's widgets use the same): finite, and far beyond any real system.
MAX_REQUESTS_PER_DAY = 1e9
MAX_REQUEST_TOKENS = 20_000_000


class Traffic(BaseModel):
    """A traffic profile: how many requests, and how large each is on average."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    # Upper bounds keep the arithmetic finite and sane: 1e9 requests/day is ~10x the largest chat services.
    requests_per_day: FiniteNumber = Field(default=1000, ge=0, le=MAX_REQUESTS_PER_DAY, description="requests per day")
    input_tokens: Count = Field(default=1000, ge=0, le=MAX_REQUEST_TOKENS, description="input (prompt + documents) tokens per request")
    output_tokens: Count = Field(default=200, ge=0, le=MAX_REQUEST_TOKENS, description="visible output tokens per request")
    cached_input_share: FiniteNumber = Field(
        default=0.0, ge=0, le=1, description="share of input tokens served from the provider's prompt cache"
    )
    reasoning_multiplier: FiniteNumber = Field(
        default=1.0,
        ge=1,
        le=1000,
        description="output tokens billed per visible output token for reasoning models (hidden thinking)",
    )


def request_cost_usd(model: Model, traffic: Traffic) -> float | None:
    """Cost of one average request at the model's API price, or None when the price is unknown."""
    if not model.has_api_price:
        return None
    cached_price = model.cached_input_usd_per_mtok
    if cached_price is None:
        cached_price = model.input_usd_per_mtok  # no cache discount published: pay the full price
    cached = traffic.input_tokens * traffic.cached_input_share
    fresh = traffic.input_tokens - cached
    output = billed_output_tokens(model, traffic)
    return (fresh * model.input_usd_per_mtok + cached * cached_price + output * model.output_usd_per_mtok) / TOKENS_PER_MTOK


def monthly_cost_usd(model: Model, traffic: Traffic) -> float | None:
    """Monthly API cost for this traffic (DAYS_PER_MONTH days), or None when the price is unknown."""
    per_request = request_cost_usd(model, traffic)
    if per_request is None:
        return None
    return per_request * traffic.requests_per_day * DAYS_PER_MONTH


def billed_output_tokens(model: Model, traffic: Traffic) -> float:
    """Output tokens generated per request: visible output, times the reasoning multiplier for reasoning models."""
    return traffic.output_tokens * (traffic.reasoning_multiplier if model.reasoning else 1.0)


def with_requests_per_day(traffic: Traffic, requests_per_day: float) -> Traffic:
    """The same request shape at another daily volume."""
    return traffic.model_copy(update={"requests_per_day": requests_per_day})


# --- self-hosting -------------------------------------------------------------------------------


class SelfHostAssumptions(BaseModel):
    """Every assumption behind a self-hosting estimate; the page shows them next to the result."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    gpu_usd_per_hour: float = Field(
        default=2.5,
        title="GPU price per hour", json_schema_extra={"shown": "${:g}"},
        gt=0,
        description="rental price of one GPU, USD per hour (the seed: H100 about $2-3/hour)",
    )
    gpu_memory_gb: float = Field(
        default=80.0, title="GPU memory", json_schema_extra={"shown": "{:g} GB"}, gt=0,
        description="memory of one GPU, GB (H100 SXM: 80 GB)",
    )
    precision: Precision = Field(
        default="int8",
        title="Weight precision",
        description=(
            "weight precision: fp16 = 2 bytes/param, int8 = 1, int4 = 0.5. Default int8: 8-bit weights "
            "(INT8/FP8, native on H100) halve memory against fp16 for a quality loss usually within noise"
        ),
    )
    kv_cache_headroom: float = Field(
        default=0.2,
        title="Extra memory for the KV cache", json_schema_extra={"shown": "+{:.0%} of the weights"},
        ge=0,
        le=4,
        description="memory reserved for KV cache and activations, as a fraction of weight memory (0.2 = +20%)",
    )
    output_tokens_per_s_per_gpu: float = Field(
        default=1000.0,
        title="Output speed of one GPU", json_schema_extra={"shown": "{:,.0f} tokens/s"},
        gt=0,
        description=(
            "aggregate batched decode throughput of one GPU, output tokens/s, for a model with "
            "reference_active_params_b active parameters (basis: public vLLM/TensorRT-LLM H100 serving "
            "runs of 70B-class models reach roughly 500-1,500 output tokens/s per GPU at high concurrency)"
        ),
    )
    reference_active_params_b: float = Field(
        default=70.0,
        title="Model size that speed is measured at", json_schema_extra={"shown": "{:g}B active parameters"},
        gt=0,
        description="active parameters (billions) at which output_tokens_per_s_per_gpu holds; "
        "throughput scales inversely with active parameters",
    )
    max_output_tokens_per_s_per_gpu: float = Field(
        default=10_000.0,
        title="Top speed of one GPU (small models)", json_schema_extra={"shown": "{:,.0f} tokens/s"},
        gt=0,
        description="ceiling on output tokens/s per GPU, so tiny models are not credited with unbounded speed",
    )
    input_token_cost_vs_output: float = Field(
        default=0.1,
        title="Cost of reading a token against writing one", json_schema_extra={"shown": "{:.0%}"},
        ge=0,
        le=1,
        description="GPU time to process one input (prefill) token, as a fraction of generating one output token",
    )
    utilisation: float = Field(
        default=0.5,
        title="Share of capacity used on average", json_schema_extra={"shown": "{:.0%}"},
        gt=0,
        le=1,
        description="average share of peak throughput actually used (0..1); 0.5 leaves room for peaks at 2x the average",
    )
    hours_per_month: float = Field(
        default=HOURS_PER_MONTH,
        title="GPU hours billed per month", json_schema_extra={"shown": "{:,.1f} h (always on)"},
        gt=0,
        le=744,
        description="GPU hours billed per replica GPU per month (always on: 24 x 30.4 days = 729.6)",
    )
    gpus_power_of_two: bool = Field(
        default=True,
        title="GPUs per copy rounded up to 1, 2, 4, 8",
        description="round GPUs per replica up to 1, 2, 4, 8, ... (tensor parallelism splits attention heads evenly)",
    )

    def describe(self) -> list[tuple[str, str, str]]:
        """(field, value, description) for every assumption, for display next to results."""
        rows = []
        for name, field in type(self).model_fields.items():
            rows.append((name, str(getattr(self, name)), field.description or ""))
        return rows

    def describe_plainly(self) -> list[tuple[str, str, str]]:
        """(label, value with its unit, meaning) for every assumption, in words for people: field names in
        the meanings become their labels (each field's title), values carry their units."""
        fields = type(self).model_fields
        rows = []
        for name, field in fields.items():
            value = getattr(self, name)
            shown = (field.json_schema_extra or {}).get("shown")
            text = ("yes" if value else "no") if isinstance(value, bool) else shown.format(value) if shown else str(value)
            meaning = (field.description or "").replace("the seed:", "the guide:")
            for other in sorted(fields, key=len, reverse=True):  # the longest first: a name can hold another
                meaning = meaning.replace(other, f"“{(fields[other].title or other).lower()}”")
            rows.append((field.title or name.replace("_", " "), text, meaning))
        return rows


class SelfHostEstimate(BaseModel):
    """What self-hosting one model costs at one traffic profile, with the assumptions used."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    model_id: str
    weights_gb: float = Field(description="weight memory at the chosen precision, GB")
    memory_needed_gb: float = Field(description="weights plus KV cache headroom, GB")
    gpus: int = Field(description="GPUs per replica (memory-bound)")
    replicas: int = Field(description="copies of the model needed for the traffic (at least 1)")
    total_gpus: int = Field(description="gpus x replicas")
    output_tokens_per_s_per_replica: float = Field(description="peak aggregate output tokens/s of one replica")
    capacity_requests_per_day_per_replica: float = Field(
        description="requests/day one replica serves at the assumed utilisation"
    )
    monthly_usd: float = Field(description="GPU rental per month for all replicas, USD")
    usd_per_request: float | None = Field(description="monthly_usd over monthly requests; None at zero traffic")
    usd_per_mtok: float | None = Field(
        description="monthly_usd per 1M tokens processed (input + generated output); None at zero traffic"
    )
    assumptions: SelfHostAssumptions


def _ceil(value: float) -> int:
    """math.ceil that forgives float noise (84.00000000000001 GB over 84 GB is still one)."""
    return max(0, math.ceil(value - 1e-9))


def _next_power_of_two(n: int) -> int:
    return 1 if n <= 1 else 1 << (n - 1).bit_length()


def gpus_per_replica(model: Model, assumptions: SelfHostAssumptions | None = None) -> int | None:
    """GPUs one copy of the model needs to fit in memory, or None when params_b is unknown."""
    a = assumptions or SelfHostAssumptions()
    if model.params_b is None:
        return None
    needed_gb = model.params_b * BYTES_PER_PARAM[a.precision] * (1 + a.kv_cache_headroom)
    gpus = max(1, _ceil(needed_gb / a.gpu_memory_gb))
    return _next_power_of_two(gpus) if a.gpus_power_of_two else gpus


def output_tokens_per_s_per_gpu(model: Model, assumptions: SelfHostAssumptions | None = None) -> float | None:
    """Peak batched output tokens/s one GPU delivers for this model (scaled by active params), or None."""
    a = assumptions or SelfHostAssumptions()
    active = model.active_params_b or model.params_b
    if active is None:
        return None
    scaled = a.output_tokens_per_s_per_gpu * a.reference_active_params_b / active
    return min(scaled, a.max_output_tokens_per_s_per_gpu)


def _work_tokens_per_request(model: Model, traffic: Traffic, a: SelfHostAssumptions) -> float:
    """GPU work per request in output-token equivalents (prefill is cheaper than decode)."""
    return billed_output_tokens(model, traffic) + traffic.input_tokens * a.input_token_cost_vs_output


def estimate_self_hosting(
    model: Model, traffic: Traffic, assumptions: SelfHostAssumptions | None = None
) -> SelfHostEstimate | None:
    """GPUs, replicas and monthly cost of serving `traffic` on rented GPUs; None when params_b is unknown."""
    a = assumptions or SelfHostAssumptions()
    gpus = gpus_per_replica(model, a)
    per_gpu = output_tokens_per_s_per_gpu(model, a)
    if gpus is None or per_gpu is None or model.params_b is None:
        return None
    weights_gb = model.params_b * BYTES_PER_PARAM[a.precision]
    replica_tps = gpus * per_gpu
    work = _work_tokens_per_request(model, traffic, a)
    # A request with no tokens costs no GPU time: capacity is then unbounded, one replica suffices.
    capacity = replica_tps * a.utilisation * SECONDS_PER_DAY / work if work > 0 else math.inf
    replicas = max(1, _ceil(traffic.requests_per_day / capacity))
    monthly = replicas * gpus * a.gpu_usd_per_hour * a.hours_per_month
    monthly_requests = traffic.requests_per_day * DAYS_PER_MONTH
    monthly_tokens = monthly_requests * (traffic.input_tokens + billed_output_tokens(model, traffic))
    return SelfHostEstimate(
        model_id=model.id,
        weights_gb=weights_gb,
        memory_needed_gb=weights_gb * (1 + a.kv_cache_headroom),
        gpus=gpus,
        replicas=replicas,
        total_gpus=gpus * replicas,
        output_tokens_per_s_per_replica=replica_tps,
        capacity_requests_per_day_per_replica=capacity,
        monthly_usd=monthly,
        usd_per_request=monthly / monthly_requests if monthly_requests > 0 else None,
        usd_per_mtok=monthly / monthly_tokens * TOKENS_PER_MTOK if monthly_tokens > 0 else None,
        assumptions=a,
    )


def break_even_requests_per_day(
    model: Model,
    traffic: Traffic,
    against: Model | None = None,
    assumptions: SelfHostAssumptions | None = None,
) -> float | None:
    """Daily requests above which self-hosting `model` costs less than the API price of `against` (default: itself).

    Method: the API cost is linear in volume, a * v (a = monthly cost of one request a day); the
    self-host cost is a step function, k * C on the k-th step ((k-1) * cap, k * cap], where cap is
    one replica's daily capacity and C its monthly cost. On step k the line reaches k * C at
    v = k * C / a, which lies inside the step exactly when C / a <= cap, whatever k. So the first
    crossing is on step 1, at v = C / a, or there is none. Just past each later step edge the API
    can be cheaper again for a while (see sustained_break_even_requests_per_day). The request shape
    comes from `traffic`; its requests_per_day is ignored. None when a figure is unknown, the API
    is free, or the crossing would lie above MAX_BREAK_EVEN_REQUESTS_PER_DAY.
    """
    a = assumptions or SelfHostAssumptions()
    per_request = request_cost_usd(against or model, traffic)
    one_replica = estimate_self_hosting(model, with_requests_per_day(traffic, 0), a)
    if per_request is None or one_replica is None or per_request <= 0:
        return None
    crossing = one_replica.monthly_usd / (per_request * DAYS_PER_MONTH)
    if crossing > one_replica.capacity_requests_per_day_per_replica or crossing > MAX_BREAK_EVEN_REQUESTS_PER_DAY:
        return None
    return crossing


def sustained_break_even_requests_per_day(
    model: Model,
    traffic: Traffic,
    against: Model | None = None,
    assumptions: SelfHostAssumptions | None = None,
) -> float | None:
    """Daily requests from which self-hosting stays at or below the API cost at every higher volume.

    With the notation of break_even_requests_per_day, the API is cheaper on step k only below
    k * C / a, and only while k * (cap - C / a) < cap. The last such step K gives K * C / a; from
    there on every step is won. None when there is no first crossing, or when C / a == cap (each new
    replica then costs exactly the traffic it absorbs, so the API wins again after every step edge).
    """
    first = break_even_requests_per_day(model, traffic, against, assumptions)
    if first is None:
        return None
    cap = estimate_self_hosting(model, with_requests_per_day(traffic, 0), assumptions).capacity_requests_per_day_per_replica  # type: ignore[union-attr]
    if math.isinf(cap):
        return first
    margin = cap - first  # cap - C / a, >= 0 here
    if margin <= cap * 1e-12:
        return None
    last_lost_step = max(1, math.ceil(cap / margin) - 1)  # largest k with k * margin < cap
    sustained = last_lost_step * first
    return sustained if sustained <= MAX_BREAK_EVEN_REQUESTS_PER_DAY else None


# --- tables and curves for pages, charts and reports -------------------------------------------


class CostRow(BaseModel):
    """One model's costs at one traffic profile; None marks an unknown figure. Fields with a title are the
    columns of the cost table (cost_table), in this order."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    model_id: str
    name: str = Field(title="Model")
    provider: str = Field(title="Provider")
    open_weights: bool = Field(title="Open weights")
    input_usd_per_mtok: float | None = Field(title="Input $/1M")
    output_usd_per_mtok: float | None = Field(title="Output $/1M")
    usd_per_request: float | None = Field(title="$ per request")
    monthly_usd: float | None = Field(title="API $/month")
    self_host_gpus: int | None
    self_host_replicas: int | None
    self_host_total_gpus: int | None = Field(default=None, title="Self-host GPUs")  # gpus x replicas
    self_host_monthly_usd: float | None = Field(title="Self-host $/month")
    self_host_usd_per_mtok: float | None = Field(title="Self-host $/1M tokens")
    break_even_requests_per_day: float | None = Field(title="Break-even requests/day")


def cost_table(rows: Iterable[CostRow]) -> list[dict]:
    """The cost rows as table records keyed by column title (unknown stays None; break-even in whole requests)."""
    columns = {name: field.title for name, field in CostRow.model_fields.items() if field.title}
    records = []
    for row in rows:
        record = {title: getattr(row, name) for name, title in columns.items()}
        if row.break_even_requests_per_day is not None:
            record[columns["break_even_requests_per_day"]] = round(row.break_even_requests_per_day)
        records.append(record)
    return records


def cheapest_option(rows: Iterable[CostRow]) -> tuple[CostRow, float, str] | None:
    """(row, monthly USD, "through its API" or "self-hosted") of the cheapest known option, None when none is known."""
    options = [(value, how, row) for row in rows
               for how, value in (("through its API", row.monthly_usd), ("self-hosted", row.self_host_monthly_usd))
               if value is not None]
    if not options:
        return None
    value, how, row = min(options, key=lambda option: option[0])  # the first wins a tie: the API before self-hosting
    return row, value, how


def break_even_sentence(
    model: Model, traffic: Traffic, against: Model | None = None, assumptions: SelfHostAssumptions | None = None,
) -> str | None:
    """When self-hosting `model` beats the API of `against` (default: its own price), as one sentence without a
    final stop; None when there is no self-hosting estimate (closed weights or unknown size)."""
    a = assumptions or SelfHostAssumptions()
    if not model.open_weights or estimate_self_hosting(model, traffic, a) is None:
        return None
    label = "its own API price" if against is None or against.id == model.id else f"the {against.name} API"
    if not (against or model).has_api_price:
        return f"no API price to compare with: {label} is not published"
    first = break_even_requests_per_day(model, traffic, against, a)
    if first is None:
        return (f"self-hosting is never cheaper than {label} at this request size "
                f"(up to {MAX_BREAK_EVEN_REQUESTS_PER_DAY:,.0f} requests/day)")
    sustained = sustained_break_even_requests_per_day(model, traffic, against, a)
    tail = f", and stays cheaper from {sustained:,.0f}/day" if sustained and sustained > first else ""
    return f"self-hosting is cheaper than {label} from {first:,.0f} requests/day{tail}"


def compare_costs(
    models: Iterable[Model],
    traffic: Traffic,
    assumptions: SelfHostAssumptions | None = None,
    against: Model | None = None,
) -> list[CostRow]:
    """API and self-hosting costs of each model at `traffic`; self-hosting only for open-weights models."""
    a = assumptions or SelfHostAssumptions()
    rows = []
    for model in models:
        estimate = estimate_self_hosting(model, traffic, a) if model.open_weights else None
        break_even = break_even_requests_per_day(model, traffic, against, a) if estimate else None
        rows.append(
            CostRow(
                model_id=model.id,
                name=model.name,
                provider=model.provider,
                open_weights=model.open_weights,
                input_usd_per_mtok=model.input_usd_per_mtok,
                output_usd_per_mtok=model.output_usd_per_mtok,
                usd_per_request=request_cost_usd(model, traffic),
                monthly_usd=monthly_cost_usd(model, traffic),
                self_host_gpus=estimate.gpus if estimate else None,
                self_host_replicas=estimate.replicas if estimate else None,
                self_host_total_gpus=estimate.total_gpus if estimate else None,
                self_host_monthly_usd=estimate.monthly_usd if estimate else None,
                self_host_usd_per_mtok=estimate.usd_per_mtok if estimate else None,
                break_even_requests_per_day=break_even,
            )
        )
    return rows


def volume_grid(low_requests_per_day: float = 10, high_requests_per_day: float = 1e7, points: int = 121) -> list[float]:
    """Log-spaced daily volumes for cost-against-volume curves."""
    if low_requests_per_day <= 0 or high_requests_per_day <= low_requests_per_day or points < 2:
        raise ValueError("volume_grid needs 0 < low < high and at least 2 points")
    ratio = (high_requests_per_day / low_requests_per_day) ** (1 / (points - 1))
    return [low_requests_per_day * ratio**i for i in range(points)]


def api_cost_curve(model: Model, traffic: Traffic, volumes: Sequence[float]) -> list[float] | None:
    """Monthly API cost at each daily volume, or None when the price is unknown."""
    if request_cost_usd(model, traffic) is None:
        return None
    return [monthly_cost_usd(model, with_requests_per_day(traffic, v)) for v in volumes]  # type: ignore[misc]


def self_host_cost_curve(
    model: Model, traffic: Traffic, volumes: Sequence[float], assumptions: SelfHostAssumptions | None = None
) -> list[float] | None:
    """Monthly self-hosting cost at each daily volume (a step function), or None when params_b is unknown."""
    if model.params_b is None:
        return None
    estimates = [estimate_self_hosting(model, with_requests_per_day(traffic, v), assumptions) for v in volumes]
    return [e.monthly_usd for e in estimates]  # type: ignore[union-attr]
