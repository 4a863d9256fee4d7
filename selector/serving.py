"""How each model would be served under the answers, and what that costs and how fast it answers.

One function per way of serving: the maker's API, a host's offer (LiteLLM's map, selector/offers.py),
self-hosting on rented GPUs (selector/costs.py for the bill, selector/performance.py for speed), or
the users' own devices (no bill; fit and speed from the device's memory and bandwidth). The engine
(selector/scoring.py) calls `serve()` once per model; results are memoised between models that the
arithmetic cannot tell apart, since a catalogue of thousands of models shares a few sizes.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

from selector import performance as perf
from selector.answers import Answers
from selector.catalogue import Catalogue, Model
from selector.costs import DAYS_PER_MONTH, SelfHostAssumptions, Traffic, monthly_cost_usd
from selector.offer_pricing import cheapest_live_offer, choose_offer

# Thinking effort chosen automatically: the least a model allows when speed matters, else these.
AUTO_EFFORT_FOR_QUALITY = "high"  # reasoning and code, with no latency target


@dataclass(frozen=True, slots=True)
class Latency:
    """Estimated time to the first visible token (p50, p95) and to the whole reply (p95), with its basis."""

    p50_ms: float
    p95_ms: float
    reply_p95_ms: float | None
    basis: str
    effort: str | None = None  # thinking effort assumed for a reasoning model

    @property
    def low_ms(self) -> float:  # the typical figure
        return self.p50_ms

    @property
    def high_ms(self) -> float:  # the figure a latency target is checked against
        return self.p95_ms


@dataclass(slots=True)  # not frozen: a frozen dataclass's __init__ is several times slower, and one is made per model
class Serving:
    """One model's serving under the answers: mode, billed monthly cost, latency, and why not, if not."""

    mode: str  # "api", "offer", "self_hosted", "device"
    monthly_usd: float | None  # what is billed (0 on the users' devices); None when unknown
    basis: str
    latency: Latency | None
    offer_key: str | None = None  # the map key priced (an offer's, or the maker's litellm_id)
    call_as: str | None = None  # the LiteLLM model string that calls it there
    problem: str | None = None  # a deployment failure in words (the model cannot be served this way)
    gap: float | None = None  # how far off, for a failure that is a matter of degree
    thinking_off: bool = False  # a reasoning model judged answering without thinking


def device_profile(answers: Answers) -> perf.DeviceProfile:
    """The answers' device class, with the memory budget and bandwidth the user edited."""
    profile = perf.DEVICES[answers.device.replace("_", "-")]
    update = {}
    if answers.device_memory_gb is not None:
        update["model_memory_budget_gb"] = answers.device_memory_gb
        update["memory_gb"] = max(profile.memory_gb, answers.device_memory_gb)
    if answers.device_bandwidth_gb_s is not None:
        update["memory_bandwidth_gb_s"] = answers.device_bandwidth_gb_s
    return profile.model_copy(update=update) if update else profile


@dataclass(frozen=True)
class Assumptions:
    """Every editable assumption behind serving estimates: GPUs and their bill, APIs, devices."""

    self_host: SelfHostAssumptions = SelfHostAssumptions()
    serving: perf.ServingAssumptions = perf.ServingAssumptions()
    api: perf.APIAssumptions = perf.APIAssumptions()
    device: perf.DeviceAssumptions = perf.DeviceAssumptions()


def choose_effort(model: Model, answers: Answers) -> str | None:
    """The thinking effort a reasoning model runs at under these answers (None for other models)."""
    if not model.reasoning:
        return None
    wanted = answers.thinking_effort
    if wanted == "auto":
        speed_matters = (
            answers.latency_p95_ms is not None
            or "realtime_chat" in answers.use_cases
            or answers.priorities.latency > answers.priorities.quality
        )
        if set(answers.use_cases) & {"reasoning", "code"} and not speed_matters:
            wanted = AUTO_EFFORT_FOR_QUALITY
        else:  # the least the model allows: none for hybrids, low for always-thinking models
            wanted = "none"
    return perf.effective_effort(model, wanted)


def thinking_traffic(model: Model, traffic: Traffic, effort: str | None, thinking: perf.ThinkingAssumptions) -> Traffic:
    """The traffic with the thinking tokens of this effort billed as output."""
    if effort is None or traffic.output_tokens == 0:
        return traffic
    thinking = thinking.tokens(effort)
    if thinking == 0:
        return traffic.model_copy(update={"reasoning_multiplier": 1.0})
    return traffic.model_copy(update={"reasoning_multiplier": (traffic.output_tokens + thinking) / traffic.output_tokens})


class Server:
    """serve() for one ranking: the answers read once, memos shared between models."""

    def __init__(
        self,
        catalogue: Catalogue,
        answers: Answers,
        assumptions: Assumptions | None = None,
        today: dt.date | None = None,
    ):
        self.catalogue = catalogue
        self.answers = answers
        self.a = assumptions or Assumptions()
        self.self_host = self.a.self_host
        self.thinking = self.a.api.thinking
        self.today = today or catalogue.as_of or dt.date.today()
        self.device = device_profile(answers)
        self.live = catalogue.live_offers(self.today)
        self.live_rows = catalogue.live_price_rows(self.today)
        self._memo: dict = {}

    def serve(self, model: Model) -> Serving:
        answers = self.answers
        if answers.deployment == "edge":
            return self._device(model)
        if not model.open_weights:
            if answers.deployment == "self_hosted" or answers.data_must_stay_on_premises:
                what = "data must stay on premises" if answers.data_must_stay_on_premises else "cannot be self-hosted"
                return Serving("api", None, "", None, problem=f"weights not available: {what}")
            return self._api(model)
        if answers.deployment == "self_hosted" or answers.data_must_stay_on_premises or answers.offer_policy == "self_host":
            if answers.deployment == "api":
                return Serving("offer", None, "", None, problem="the pricing policy is self-hosting, but deployment is 'api'")
            return self._self_hosted(model)
        hosted = self._api(model)
        if hosted.problem is None or answers.deployment == "api":
            return hosted
        return self._self_hosted(model)

    def _traffic(self, model: Model, effort: str | None) -> Traffic:
        if effort is None:
            return self.answers.traffic
        got = self._memo.get(("traffic", effort))
        if got is None:
            got = self._memo[("traffic", effort)] = thinking_traffic(model, self.answers.traffic, effort, self.thinking)
        return got

    # --- ways of serving ---------------------------------------------------------------------------

    def _api(self, model: Model) -> Serving:
        """The maker's API price, or a host's offer under the pricing policy (cheapest of both by default)."""
        answers = self.answers
        effort = choose_effort(model, answers)
        traffic = self._traffic(model, effort)
        policy = answers.offer_policy
        own = monthly_cost_usd(model, traffic) if model.has_api_price else None
        # Hosts compete on price for open weights; a closed model is priced at its maker's checked
        # price (a cloud reselling it only when no maker price is known, or when asked for by name).
        offers = self.live.get(model.id, ()) if model.open_weights or own is None or policy.startswith("provider:") else ()
        thinking_off = effort == "none"
        if policy == "cheapest" and offers:  # the common case, kept fast: thousands of models per ranking
            best = cheapest_live_offer(model, self.live_rows[model.id], traffic, answers.context_tokens, answers.modalities)
            if best is not None:
                offer, per_request, considered = best
                monthly = per_request * traffic.requests_per_day * DAYS_PER_MONTH
                if own is None or monthly < own:
                    variant = f" ({offer.variant})" if offer.variant else ""
                    basis = f"cheapest of {considered} live offers: {offer.provider}{variant} at {offer.price_text}"
                    return Serving("offer", monthly, basis, self._api_latency(model, effort), offer_key=offer.key,
                                   call_as=offer.litellm_model, thinking_off=thinking_off)
            elif own is None:
                needs = ", ".join([f"{answers.context_tokens:,} tokens of context"]
                                  + [f"{m} input" for m in answers.modalities if m != "text"])
                return Serving("offer", None, "", None, problem=f"none of {len(offers)} live offers meets the need ({needs})")
            offers = ()  # the maker's own price is cheaper (or the only one that fits)
        choice = None
        if offers and (own is None or policy != "cheapest" or model.open_weights):
            choice = choose_offer(model, offers, traffic, policy, need_context=answers.context_tokens,
                                  modalities=answers.modalities, today=self.today)
        offered = choice is not None and choice.offer is not None
        use_offer = offered and (own is None or policy.startswith("provider:") or policy == "median"
                                 or (choice.monthly_usd is not None and choice.monthly_usd < own))
        if use_offer:
            return Serving("offer", choice.monthly_usd, choice.basis, self._api_latency(model, effort),
                           offer_key=choice.offer.key, call_as=choice.offer.litellm_model, thinking_off=thinking_off)
        if own is not None and not policy.startswith("provider:"):
            return Serving("api", own, "maker's API price", self._api_latency(model, effort),
                           offer_key=model.litellm_id, call_as=model.litellm_id, thinking_off=thinking_off)
        if choice is not None:  # offers exist, but none meets the need under this policy
            return Serving("offer", None, "", None, problem=choice.basis)
        if model.open_weights:
            return Serving("offer", None, "", None,
                           problem="no live hosted offer or maker API price (self-host it, or choose deployment 'any')")
        return Serving("api", None, "no public API price in the catalogue", self._api_latency(model, effort),
                       thinking_off=thinking_off)

    def _api_latency(self, model: Model, effort: str | None) -> Latency:
        key = ("api", None if model.speed is None else id(model.speed), model.reasoning, effort)
        got = self._memo.get(key)
        if got is None:
            est = perf.estimate_api(model, self.answers.traffic, effort, assumptions=self.a.api)
            got = self._memo[key] = Latency(est.ttft_p50_ms, est.ttft_p95_ms, est.full_reply_p95_ms, est.basis, effort)
        return got

    def _self_hosted(self, model: Model) -> Serving:
        """Rented GPUs: replicas and latency from the physics model, the bill from their count."""
        key = ("self", model.params_b, model.active_params_b, model.reasoning, model.thinking_optional, model.kv_cache_kb_per_token)
        got = self._memo.get(key)
        if got is not None:
            return got
        effort = choose_effort(model, self.answers)
        traffic = self._traffic(model, effort)
        estimate = perf.estimate_self_hosted(model, self.answers.traffic, self.a.serving, effort=effort)
        if estimate is None or estimate.total_gpus is None:
            got = Serving("self_hosted", None, "self-hosted: parameter count unknown, so the GPU bill is unknown", None)
        else:
            a = self.self_host
            gpus = estimate.total_gpus
            monthly = gpus * a.gpu_usd_per_hour * a.hours_per_month
            got = Serving(
                "self_hosted", monthly,
                f"self-hosted on {gpus} GPU(s) ({estimate.replicas} replica(s) of {estimate.gpus_per_replica}) "
                f"at ${a.gpu_usd_per_hour:g}/hour",
                Latency(estimate.ttft_p50_ms, estimate.ttft_p95_ms, estimate.full_reply_p95_ms, estimate.basis, effort),
                thinking_off=effort == "none",
            )
        del traffic  # thinking tokens are inside the physics estimate's decode time and replica count
        self._memo[key] = got
        return got

    def _device(self, model: Model) -> Serving:
        if not model.open_weights:
            return Serving("device", None, "", None, problem="weights not available: cannot run on a device")
        if model.params_b is None:
            return Serving("device", None, "", None, problem="parameter count unknown: cannot confirm it fits on a device")
        key = ("device", model.params_b, model.active_params_b, model.kv_cache_kb_per_token, model.reasoning, model.thinking_optional)
        got = self._memo.get(key)
        if got is not None:
            return got
        answers = self.answers
        effort = choose_effort(model, answers)
        fit = perf.device_fit(model, self.device, answers.context_tokens, assumptions=self.a.device)
        if not fit.fits:
            got = Serving("device", None, "", None, problem=fit.message, gap=fit.needed_gb / fit.budget_gb)
        else:
            est = perf.estimate_on_device(model, self.device, answers.traffic, effort=effort, assumptions=self.a.device)
            got = Serving(
                "device", 0.0, f"runs on the users' devices ({self.device.name}): no server bill",
                Latency(est.ttft_p50_ms, est.ttft_p95_ms, est.full_reply_p95_ms, est.basis, effort),
                thinking_off=effort == "none",
            )
        self._memo[key] = got
        return got
