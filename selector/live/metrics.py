"""What one side's answer cost and how fast it came: tokens, speed, price, and the line that shows them."""

from __future__ import annotations

import logging
from typing import Any

log = logging.getLogger(__name__)


def fill_tokens(result, target, messages, usage, chunks: int, litellm) -> None:
    """Input and output tokens: the server's usage when it sent one, else counted here (and marked so)."""
    completion = getattr(usage, "completion_tokens", None) if usage is not None else None
    prompt = getattr(usage, "prompt_tokens", None) if usage is not None else None
    if completion and (result.finish_reason != "stopped"):
        result.output_tokens, result.output_tokens_counted = int(completion), False
    elif result.text:
        # llama.cpp streams one token per chunk; elsewhere LiteLLM's tokenizer gives an estimate.
        counted = chunks if (target.local_alias or target.api_base) else _count(litellm, target, chunks,
                                                                                text=result.text)
        result.output_tokens, result.output_tokens_counted = int(counted), True
    elif result.error is None:
        result.output_tokens, result.output_tokens_counted = 0, False
    result.input_tokens = int(prompt) if prompt else _count(litellm, target, None, messages=messages)


def _count(litellm, target, fallback, **what: Any):
    try:
        return int(litellm.token_counter(model=target.litellm_model, **what))
    except Exception:
        log.warning("could not count tokens for %s", target.spec, exc_info=True)
        return fallback


def fill_cost(result, target, litellm) -> None:
    """The call's cost: LiteLLM's prices, else the catalogue's, $0 on this machine, None when unknown."""
    if result.output_tokens is None or result.input_tokens is None:
        return
    if target.local_alias:
        result.cost_usd, result.cost_source = 0.0, "local"  # runs on this machine: no per-token price
        return
    if not target.api_base:
        try:
            cin, cout = litellm.cost_per_token(
                model=target.litellm_model, prompt_tokens=result.input_tokens,
                completion_tokens=result.output_tokens,
            )
            result.cost_usd, result.cost_source = round(cin + cout, 8), "litellm"
            return
        except Exception:
            log.info("LiteLLM has no price for %s; trying the catalogue's", target.litellm_model, exc_info=True)
    if target.input_usd_per_mtok is not None and target.output_usd_per_mtok is not None:
        cost = (result.input_tokens * target.input_usd_per_mtok + result.output_tokens * target.output_usd_per_mtok) / 1e6
        result.cost_usd, result.cost_source = round(cost, 8), "catalogue"
