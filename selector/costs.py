"""Cost arithmetic: per request, per month, self-hosting and break-even. Pure functions.

Prices are USD per 1M tokens from the catalogue. A model without a public price has an unknown
cost (None), never 0: callers say "unknown" rather than treat it as free.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from selector.catalogue import Model

DAYS_PER_MONTH = 30.4  # 365 / 12, rounded: the month used by every monthly figure
TOKENS_PER_MTOK = 1_000_000


class Traffic(BaseModel):
    """A traffic profile: how many requests, and how large each is on average."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    requests_per_day: float = Field(default=1000, ge=0, description="requests per day")
    input_tokens: int = Field(default=1000, ge=0, description="input (prompt + documents) tokens per request")
    output_tokens: int = Field(default=200, ge=0, description="visible output tokens per request")
    cached_input_share: float = Field(
        default=0.0, ge=0, le=1, description="share of input tokens served from the provider's prompt cache"
    )
    reasoning_multiplier: float = Field(
        default=1.0,
        ge=1,
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
    output = traffic.output_tokens * (traffic.reasoning_multiplier if model.reasoning else 1.0)
    return (fresh * model.input_usd_per_mtok + cached * cached_price + output * model.output_usd_per_mtok) / TOKENS_PER_MTOK


def monthly_cost_usd(model: Model, traffic: Traffic) -> float | None:
    """Monthly API cost for this traffic (DAYS_PER_MONTH days), or None when the price is unknown."""
    per_request = request_cost_usd(model, traffic)
    if per_request is None:
        return None
    return per_request * traffic.requests_per_day * DAYS_PER_MONTH
