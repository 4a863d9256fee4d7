"""The report's facts as one typed model: built once, rendered by the templates, dumped as the JSON.

Every model is closed (`extra="forbid"`): a misspelt field is an error, not a silent blank. Numbers
that could be infinite or undefined are stored as null, so the JSON never holds Infinity or NaN.
Free text that came from a person or a model (a description, a prompt, an answer, an error) is typed
`UserText`: the key scrubber runs on it as the model is built, so no format can show a key.
"""

from __future__ import annotations

import math
from typing import Annotated

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict

from selector.answers import Answers
from selector.costs import Traffic
from selector.scrub import scrub

SCHEMA_VERSION = 2  # 2: the picks are under "recommendations", the shape `recommend --format json` prints


def _finite_or_none(value: object) -> object:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


Number = Annotated[int | float | None, BeforeValidator(_finite_or_none)]
Scalar = Annotated[int | float | str | None, BeforeValidator(_finite_or_none)]
UserText = Annotated[str, AfterValidator(scrub)]


class Fact(BaseModel):
    """Base of every fact: closed to unknown fields, immutable once built.

    Schemas are built on first use (defer_build): the report validates its facts once, as a whole
    (ReportFacts.model_validate), so one validator is built rather than one per nested model, which
    keeps `recommend --format json` as quick as before the fact model.
    """

    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)


class CatalogueFacts(Fact):
    path: str
    as_of: str | None
    models: int
    candidates: int
    excluded: int


class ScorePartFacts(Fact):
    label: str
    score: float
    weight: float
    contribution: float
    note: str


class LatencyFacts(Fact):
    p50_first_token: Number
    p95_first_token: Number
    p95_full_reply: Number
    thinking_effort: str | None
    basis: str
    low: Number
    high: Number


class CapabilityFacts(Fact):
    point: float
    low: float
    high: float
    basis: str
    evidence: int


class PriceFacts(Fact):
    input_usd_per_mtok: Number
    output_usd_per_mtok: Number
    cached_input_usd_per_mtok: Number
    source: str | None
    note: str | None


class PickFacts(Fact):
    """One ranked pick: the contract's keys (rank, id, name, score, score_parts, reasons, monthly_cost_usd) and more."""

    rank: int
    id: str
    name: str
    score: float
    score_parts: dict[str, ScorePartFacts]
    reasons: list[str]
    monthly_cost_usd: Number
    cost_basis: str
    served_as: str | None
    offer: str | None
    latency_ms: LatencyFacts | None
    capability: CapabilityFacts | None
    shutdown_date: str | None
    tradeoff: str | None
    provider: str
    open_weights: bool
    license: str | None
    context_tokens: int | None
    litellm_id: str | None
    price: PriceFacts


class RunnerUpFacts(Fact):
    id: str
    name: str
    tradeoff: str | None


class UnratedFacts(Fact):
    id: str
    name: str
    reason: str
    monthly_cost_usd: Number
    cost_basis: str


class ChangeFacts(Fact):
    """An answer beyond which the first pick changes (selector.sensitivity.Change)."""

    field: str
    label: str
    current: Scalar
    threshold: Scalar
    direction: str
    new_first_id: str | None
    new_first_name: str | None
    sentence: str


class ExcludedFacts(Fact):
    id: str
    name: str
    reasons: list[str]
    constraints: list[str]


class CostRow(Fact):
    id: str
    name: str
    basis: str
    monthly_usd: Number
    api_usd_per_request: Number
    api_monthly_usd: Number
    self_host_monthly_usd: Number
    self_host_gpus: int | None


class CostFacts(Fact):
    traffic: Traffic
    days_per_month: float
    rows: list[CostRow]


class BreakEvenRow(Fact):
    id: str
    name: str
    against_id: str | None
    against_name: str | None
    requests_per_day: Number
    sustained_requests_per_day: Number
    note: str


class SelfHostingFacts(Fact):
    relevant: bool
    against_id: str | None
    note: str
    rows: list[BreakEvenRow]


class RunSide(Fact):
    side: str
    model: UserText | None
    litellm_model: UserText | None
    text: UserText | None
    ttft_s: Number
    latency_s: Number
    input_tokens: Number
    output_tokens: Number
    tokens_per_s: Number
    cost_usd: Number
    cost_source: str | None
    finish_reason: str | None
    error: UserText | None


class RunFacts(Fact):
    """A live comparison: the prompt, both sides' answers and metrics, and the vote."""

    id: int | None
    created_at: str | None
    prompt: UserText | None
    system: UserText | None
    settings: dict[str, Annotated[int | float | bool | UserText, BeforeValidator(_finite_or_none)]]
    blind: bool
    vote: UserText | None
    wall_s: Number
    status: str | None
    sides: list[RunSide]


class ComparisonFacts(Fact):
    """A paired comparison of two models on one metric (selector.stats.PairedComparison)."""

    model_a: UserText
    model_b: UserText
    metric: str
    test: str
    pairs: int
    a_value: Number
    b_value: Number
    difference: Number
    ci_low: Number
    ci_high: Number
    p_value: Number
    a_only: int | None
    b_only: int | None
    significant: bool
    prompts_needed: int | None
    prompts_still_needed: int | None
    verdict: UserText


class BenchmarkFacts(Fact):
    run_id: int | None
    source: UserText | None
    status: str | None
    prompts: int
    models: list[UserText]
    comparisons: list[ComparisonFacts]


class SourceFacts(Fact):
    id: str
    name: str
    price_source: str | None
    price_note: str | None
    sources: list[str]
    as_of: str


class AssumptionRow(Fact):
    name: str
    value: str
    description: str


class LatencyAssumption(Fact):
    id: str
    p50_first_token_ms: float
    p95_first_token_ms: float
    basis: str


class AssumptionFacts(Fact):
    cost_month: str
    self_hosting: list[AssumptionRow]
    latency: list[LatencyAssumption]
    unknowns: str


class RouterParams(Fact):
    model: str
    api_key: str
    api_base: str | None = None


class RouterEntry(Fact):
    model_name: str
    litellm_params: RouterParams


class RouterSettings(Fact):
    fallbacks: list[dict[str, list[str]]]
    num_retries: int


class RouterConfig(Fact):
    """A LiteLLM Router config; keys appear only as os.environ/NAME references."""

    model_list: list[RouterEntry]
    router_settings: RouterSettings | None = None


class RouterFacts(Fact):
    yaml: str
    config: RouterConfig | None


class ReportFacts(Fact):
    """Everything a report states. Its JSON dump is the one shape of `report` and `recommend --format json`."""

    schema_version: int = SCHEMA_VERSION
    generated_at: str
    answers: Answers
    catalogue: CatalogueFacts
    binding: str | None
    margin: str | None
    warnings: list[str]
    recommendations: list[PickFacts]
    runner_up: RunnerUpFacts | None
    unrated: list[UnratedFacts]
    what_would_change: list[ChangeFacts]
    excluded: list[ExcludedFacts]
    costs: CostFacts
    self_hosting: SelfHostingFacts
    live_runs: list[RunFacts]
    benchmark_statistics: list[BenchmarkFacts]
    sources: list[SourceFacts]
    assumptions: AssumptionFacts
    router_config: RouterFacts

    @property
    def top(self) -> PickFacts | None:
        return self.recommendations[0] if self.recommendations else None
