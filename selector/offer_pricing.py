"""Pricing a model's offers for a traffic profile: the cost per request of each live offer and the offer a
pricing policy picks (cheapest, median, one provider, or self-hosting), with the reason in one line.

Split from selector/offers.py, which reads the offers: reading needs no arithmetic of costs, so the
catalogue can load its offers without importing selector.costs (which imports the catalogue).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from selector.catalogue import Model
from selector.costs import DAYS_PER_MONTH, Traffic, billed_output_tokens
from selector.errors import SelectorError
from selector.offers import POLICIES, TOKENS_PER_MTOK, Offer


@dataclass(frozen=True)
class OfferChoice:
    """The offer a policy picked (None: none fits, or the caller self-hosts) and why, in one line."""

    policy: str
    offer: Offer | None
    usd_per_request: float | None
    monthly_usd: float | None
    basis: str            # the reason for the choice, or why there is none
    considered: int = 0   # live offers that met the need

    @property
    def chosen(self) -> bool:
        return self.offer is not None


def check_policy(policy: str) -> str:
    """The policy, or SelectorError naming the accepted forms."""
    policy = (policy or "").strip()
    if policy in ("cheapest", "median", "self_host") or (policy.startswith("provider:") and policy[9:].strip()):
        return policy
    raise SelectorError(f"pricing policy {policy!r} is not one of {', '.join(POLICIES)}")


def _request_costs(offers: list[Offer], model: Model, traffic: Traffic) -> list[float]:
    """One average request at each priced offer's price, by costs.request_cost_usd's rules (cached input at the
    full price where the map gives no discount), the traffic's shares worked out once."""

    cached = traffic.input_tokens * traffic.cached_input_share
    fresh = traffic.input_tokens - cached
    output = billed_output_tokens(model, traffic)
    return [
        (fresh * o.input_usd_per_mtok + cached * (o.cached_input_usd_per_mtok if o.cached_input_usd_per_mtok is not None
                                                   else o.input_usd_per_mtok) + output * o.output_usd_per_mtok) / TOKENS_PER_MTOK
        for o in offers
    ]


def cheapest_live_offer(
    model: Model, rows: tuple[tuple, ...], traffic: Traffic, need_context: int | None, modalities: list[str] | None,
) -> tuple[Offer, float, int] | None:
    """choose_offer's "cheapest" for live offers given as price_rows(), without building the choice:
    (offer, cost per request, offers that met the need), or None when none meets it. Same order
    (cost, then key) as choose_offer. Kept lean: the engine calls it for every open model."""

    own_context = model.context_tokens or 0
    extra = [m for m in modalities or () if m != "text"]
    cached = traffic.input_tokens * traffic.cached_input_share
    fresh = traffic.input_tokens - cached
    output = billed_output_tokens(model, traffic)
    need = need_context or 0
    best = None
    best_cost = best_key = 0.0
    considered = 0
    for pin, pout, pcached, context, key, offer in rows:
        if (own_context if context is None else context) < need:
            continue
        if extra and not all(offer.accepts(m, model) for m in extra):
            continue
        considered += 1
        cost = fresh * pin + cached * pcached + output * pout
        if best is None or cost < best_cost or (cost == best_cost and key < best_key):
            best, best_cost, best_key = offer, cost, key
    return None if best is None else (best, best_cost / TOKENS_PER_MTOK, considered)


def _provider_matches(offer: Offer, name: str) -> bool:
    """'bedrock' names every Bedrock API (bedrock, bedrock_converse...), 'vertex_ai' every Vertex one."""
    return offer.provider == name or offer.provider.startswith(name + "_") or offer.provider.startswith(name + "-")


def choose_offer(
    model: Model,
    offers: tuple[Offer, ...] | list[Offer],
    traffic: Traffic,
    policy: str = "cheapest",
    *,
    need_context: int | None = None,
    modalities: list[str] | tuple[str, ...] | None = None,
    today: dt.date,
) -> OfferChoice:
    """Pick the offer that prices `model` for `traffic` under `policy` (pure; see POLICIES).

    Only live offers count whose context window (the model's where the map gives none) holds
    `need_context` and that accept every modality in `modalities`.
    """

    policy = check_policy(policy)
    if policy == "self_host":
        return OfferChoice(policy, None, None, None, "self-hosted: no hosted offer is used")
    live = [o for o in offers if o.is_live(today)]
    if not live:
        why = "no offer is listed" if not offers else f"none of its {len(offers)} offers is live on {today}"
        return OfferChoice(policy, None, None, None, f"{why} for {model.id}")
    fitting = live
    if need_context is not None:
        fitting = [o for o in fitting if (o.usable_context(model) or 0) >= need_context]
    for modality in modalities or ():
        fitting = [o for o in fitting if o.accepts(modality, model)]
    if not fitting:
        needs = [f"{need_context:,} tokens of context"] if need_context is not None else []
        needs += [f"{m} input" for m in modalities or () if m != "text"]
        return OfferChoice(policy, None, None, None,
                           f"none of {len(live)} live offers meets the need ({', '.join(needs) or 'none'})")
    if policy.startswith("provider:"):
        name = policy.split(":", 1)[1].strip()
        named = [o for o in fitting if _provider_matches(o, name)]
        if not named:
            providers = ", ".join(sorted({o.provider for o in fitting}))
            return OfferChoice(policy, None, None, None,
                               f"no live offer from {name} meets the need (offered by: {providers})")
        fitting = named
    costed = sorted(zip(_request_costs(fitting, model, traffic), fitting), key=lambda pair: (pair[0], pair[1].key))
    if policy == "median":
        per_request, offer = costed[(len(costed) - 1) // 2]  # the lower median: a real offer, never an average
        how = f"median of {len(costed)} live offers"
    elif policy == "cheapest":
        per_request, offer = costed[0]
        how = f"cheapest of {len(costed)} live offers"
    else:
        per_request, offer = costed[0]
        how = f"{offer.provider}, as asked" + (f" (cheapest of its {len(costed)} offers)" if len(costed) > 1 else "")
    monthly = per_request * traffic.requests_per_day * DAYS_PER_MONTH
    variant = f" ({offer.variant})" if offer.variant else ""
    basis = f"{how}: {offer.provider}{variant} at {offer.price_text}"
    return OfferChoice(policy, offer, per_request, monthly, basis, considered=len(costed))
