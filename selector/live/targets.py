"""Naming a model: what the user typed, resolved to what LiteLLM needs and what the metrics need.

A model is named by a bundled local model ("smollm2-135m-instruct"), a catalogue id ("gpt-4o"),
a catalogue id with one of its offers' providers ("qwen-2.5-72b@together_ai"), a LiteLLM string
("anthropic/claude-haiku-4-5", or an offer's string), or a model name plus the base URL of an
OpenAI-compatible server (vLLM, Ollama, LM Studio, a LiteLLM Proxy). A catalogue model without a
first-party key (open weights served only by hosts) resolves to its cheapest live offer.
"""

from __future__ import annotations

import functools
import logging
import re
from dataclasses import dataclass

from selector.errors import SelectorError

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Target:
    """A model resolved to what LiteLLM needs, plus what the metrics need (prices)."""

    spec: str                          # what the user named
    label: str                         # a display name
    litellm_model: str
    api_base: str | None = None        # None: the provider's default endpoint
    local_alias: str | None = None     # a bundled model: its server is started on demand
    catalogue_id: str | None = None
    input_usd_per_mtok: float | None = None
    output_usd_per_mtok: float | None = None
    needs_key: bool = True             # False for local servers and custom endpoints
    note: str | None = None
    offer_key: str | None = None       # the LiteLLM map key of the hosted offer called, when one is


def resolve_model(spec: str, api_base: str | None = None, catalogue=None) -> Target:
    """Turn a model name into a Target; SelectorError when it cannot be called."""
    from selector.live.servers import LOCAL_MODELS

    spec = (spec or "").strip()
    if not spec:
        raise SelectorError("model is empty: give a catalogue id, a LiteLLM model string or a local model")
    if api_base:
        return _endpoint_target(spec, api_base)
    alias = spec.removeprefix("local/")
    if alias in LOCAL_MODELS:
        local = LOCAL_MODELS[alias]
        return Target(
            spec=alias, label=local.name, litellm_model=f"openai/{alias}", local_alias=alias,
            catalogue_id=alias, needs_key=False, note=local.blurb,
        )
    if catalogue is None:
        catalogue = _default_catalogue()
    if catalogue is None:
        return Target(spec=spec, label=spec, litellm_model=spec)
    return _catalogue_target(spec, catalogue, LOCAL_MODELS)


def _endpoint_target(spec: str, api_base: str) -> Target:
    """A model at an OpenAI-compatible server the user runs."""
    api_base = api_base.strip().rstrip("/")
    if not re.match(r"^https?://[^\s/]+", api_base):
        raise SelectorError(f"endpoint URL {api_base!r} must start with http:// or https://")
    model = spec if "/" in spec else f"openai/{spec}"
    return Target(spec=spec, label=f"{spec} @ {api_base}", litellm_model=model, api_base=api_base, needs_key=False)


def _catalogue_target(spec: str, catalogue, local_models) -> Target:
    """A catalogue id (with or without @provider), an offer's string, or a LiteLLM string priced from the catalogue."""
    if "@" in spec and spec.split("@", 1)[0] in catalogue.by_id:
        model_id, provider = spec.split("@", 1)
        return _offer_target(spec, catalogue, model_id, provider=provider.strip())
    entry = catalogue.by_id.get(spec)
    if entry is not None:
        if not entry.litellm_id:
            if catalogue.offers_for(spec):
                return _offer_target(spec, catalogue, spec)
            raise SelectorError(
                f"catalogue model {spec!r} has no litellm_id and no hosted offer, so it cannot be called live; "
                "give a LiteLLM model string or an endpoint URL instead"
            )
        return Target(
            spec=spec, label=entry.name, litellm_model=entry.litellm_id, catalogue_id=spec,
            input_usd_per_mtok=entry.input_usd_per_mtok, output_usd_per_mtok=entry.output_usd_per_mtok,
        )
    offered = _find_offer(catalogue, spec)
    if offered is not None:
        model_id, offer = offered
        return _target_for_offer(spec, catalogue.by_id[model_id], offer)
    if "/" not in spec and spec not in _litellm_model_names():  # LiteLLM knows bare names ('gpt-4.1-2025-04-14')
        from selector.catalogue import unknown_id_message

        raise SelectorError(unknown_id_message(spec, catalogue.ids + list(local_models))
                            + " (or give a LiteLLM string such as 'anthropic/claude-haiku-4-5')")
    priced = next((m for m in catalogue.models if m.litellm_id == spec), None)
    return Target(
        spec=spec, label=spec, litellm_model=spec, catalogue_id=priced.id if priced else None,
        input_usd_per_mtok=priced.input_usd_per_mtok if priced else None,
        output_usd_per_mtok=priced.output_usd_per_mtok if priced else None,
    )


def _offer_target(spec: str, catalogue, model_id: str, provider: str | None = None) -> Target:
    """The catalogue model called through one of its live offers: the named provider's, else the cheapest."""
    import datetime as dt

    from selector.costs import Traffic
    from selector.offer_pricing import choose_offer

    model = catalogue.by_id[model_id]
    offers = catalogue.offers_for(model_id)
    policy = f"provider:{provider}" if provider else "cheapest"
    if provider and not offers:
        raise SelectorError(f"catalogue model {model_id!r} has no hosted offer, so {spec!r} names none")
    choice = choose_offer(model, offers, Traffic(), policy, today=dt.date.today())
    if choice.offer is None:
        providers = ", ".join(sorted({o.provider for o in offers})) or "none"
        raise SelectorError(f"{spec}: {choice.basis} (providers: {providers})")
    return _target_for_offer(spec, model, choice.offer)


def _target_for_offer(spec: str, model, offer) -> Target:
    return Target(
        spec=spec, label=f"{model.name} @ {offer.provider}", litellm_model=offer.litellm_model, catalogue_id=model.id,
        input_usd_per_mtok=offer.input_usd_per_mtok, output_usd_per_mtok=offer.output_usd_per_mtok,
        offer_key=offer.key,
    )


def _find_offer(catalogue, spec: str):
    """(model id, offer) whose map key or LiteLLM string is `spec`, or None."""
    for model_id, offers in catalogue.offers.items():
        for offer in offers:
            if spec in (offer.key, offer.litellm_model):
                return model_id, offer
    return None


@functools.lru_cache(maxsize=1)
def _litellm_model_names() -> frozenset[str]:
    """Model names in LiteLLM's bundled price map, read as a file (importing litellm costs seconds)."""
    from selector.offers import load_price_map

    try:
        return frozenset(load_price_map())
    except (OSError, ValueError, SelectorError):
        log.warning("could not read LiteLLM's price map; bare model names are not checked", exc_info=True)
        return frozenset()


def _default_catalogue():
    from selector.catalogue import load_catalogue

    try:
        return load_catalogue()
    except SelectorError:
        log.warning("the catalogue could not be loaded; calling by LiteLLM string only", exc_info=True)
        return None  # a broken catalogue must not block a call by LiteLLM string


def callable_models(catalogue) -> dict[str, str]:
    """Model id -> picker label for every model that can be called live: the bundled offline models first,
    then every current catalogue model with a LiteLLM id."""
    from selector.live.servers import LOCAL_MODELS  # the bundled models' registry (no server is started)

    labels = {alias: f"{model.name} — offline" for alias, model in LOCAL_MODELS.items()}
    return labels | {m.id: f"{m.name} ({m.provider})" for m in catalogue.models
                     if m.litellm_id and not m.is_retired and m.id not in LOCAL_MODELS}


def priced_models(catalogue) -> list[str]:
    """Ids of current models with a known cost per call (an API price, or a bundled model: free on this machine)."""
    from selector.live.servers import LOCAL_MODELS

    return [m.id for m in catalogue.models if not m.is_retired and (m.has_api_price or m.id in LOCAL_MODELS)]
