"""The routing simulator: send simple prompts to a cheap model and complex ones to a strong model.

Each prompt is classified by a transparent heuristic (the first rule that matches decides, and
the rule is shown), or optionally by a cheap classifier model called through selector/live/.
The simulation reports the share routed to each model, the cost against always using the strong
model, and the quality difference where a benchmark run has checked answers. The policy exports
as a LiteLLM Router configuration using tag-based routing: the application classifies a request,
sends it with `tags: ["simple"]` or `["complex"]`, and the router picks the matching deployment.
"""

from __future__ import annotations

import re
import textwrap
from dataclasses import dataclass, field
from typing import Any, Sequence

import yaml

from selector.costs import DAYS_PER_MONTH, Traffic
from selector.errors import SelectorError

SIMPLE, COMPLEX = "simple", "complex"
LONG_PROMPT_WORDS = 60
ROUTED_MODEL_NAME = "routed"

CLASSIFIER_PROMPT = (
    "Decide whether the user's request needs a strong model. Answer SIMPLE for a fact lookup, a short "
    "answer, or a plain rewrite or translation. Answer COMPLEX when it needs several steps of reasoning, "
    "writing or fixing code, analysis, a design, or combining several sources. Reply with the single "
    "word SIMPLE or COMPLEX."
)

_COMPLEX_WORDS = (
    "design", "architect", "explain why", "prove", "derive", "analyse", "analyze", "compare", "trade-off",
    "tradeoff", "refactor", "debug", "implement", "optimise", "optimize", "step by step", "evaluate",
    "synthesise", "synthesize", "write a function", "write a program", "write a script", "write code",
)
_KEYWORD = re.compile(r"\b(" + "|".join(re.escape(w) for w in _COMPLEX_WORDS) + r")", re.I)
_CODE = re.compile(r"```|^(?: {4}|\t)\S.*[;:{}()=]", re.M)
_NUMBERED = re.compile(r"^\s*\d+[.)]\s+\S", re.M)
_SEQUENCE = re.compile(r"\b(first\b.*\bthen|and then|after that|finally)\b", re.I | re.S)


@dataclass(frozen=True)
class Rule:
    id: str
    label: str          # complex or simple
    description: str


RULES: tuple[Rule, ...] = (
    Rule("code", COMPLEX, "contains a code block (``` fences or indented code)"),
    Rule("keyword", COMPLEX, "asks for work, not a fact: " + ", ".join(repr(w) for w in _COMPLEX_WORDS)),
    Rule("multi_step", COMPLEX, "several steps: two or more numbered lines, 'first ... then', "
                                "'and then', 'after that', 'finally', or two or more questions"),
    Rule("long", COMPLEX, f"longer than {LONG_PROMPT_WORDS} words"),
    Rule("short", SIMPLE, f"none of the above: a short request of at most {LONG_PROMPT_WORDS} words"),
)


@dataclass(frozen=True)
class Classification:
    label: str          # simple | complex
    rule: str           # the rule id that fired, or "model"
    detail: str         # why, in words
    by: str = "heuristic"  # heuristic | model | fallback (the classifier failed or said neither; rules decided)


# When more than this share of prompts fell back to the rules, the split is the rules', not the classifier's.
CLASSIFIER_FAILED_SHARE = 0.5


def fallback_count(classifications: Sequence[Classification]) -> int:
    """How many prompts the rules decided because the classifier model failed or answered neither label."""
    return sum(c.by == "fallback" for c in classifications)


def classifier_failed(classifications: Sequence[Classification]) -> bool:
    """Whether the classifier model decided too few prompts for the split to count as its classification."""
    if not classifications:
        return False
    return fallback_count(classifications) > CLASSIFIER_FAILED_SHARE * len(classifications)


def classify_prompt(prompt: str) -> Classification:
    """Simple or complex by the first matching rule of RULES (checked in that order)."""
    if _CODE.search(prompt):
        return Classification(COMPLEX, "code", "contains a code block")
    match = _KEYWORD.search(prompt)
    if match:
        return Classification(COMPLEX, "keyword", f"keyword '{match.group(1).lower()}'")
    if len(_NUMBERED.findall(prompt)) >= 2:
        return Classification(COMPLEX, "multi_step", "two or more numbered steps")
    match = _SEQUENCE.search(prompt)
    if match:
        return Classification(COMPLEX, "multi_step", f"sequence cue '{' '.join(match.group(1).split()[:1])}...'")
    if prompt.count("?") >= 2:
        return Classification(COMPLEX, "multi_step", f"{prompt.count('?')} questions in one prompt")
    words = len(prompt.split())
    if words > LONG_PROMPT_WORDS:
        return Classification(COMPLEX, "long", f"{words} words > {LONG_PROMPT_WORDS}")
    return Classification(SIMPLE, "short", f"{words} words, no complexity cue")


def parse_classifier_answer(text: str) -> str | None:
    """'simple' / 'complex' from a classifier model's reply, None when it said neither."""
    found = re.findall(r"\b(SIMPLE|COMPLEX)\b", text.upper())
    return found[0].lower() if found else None


def classify_with_model(prompts: Sequence[str], target, *, api_key: str | None = None,
                        timeout_s: float = 60.0) -> list[Classification]:
    """Ask a cheap model SIMPLE or COMPLEX for each prompt; where it fails or says neither, the heuristic decides."""
    from selector.live import CallSettings, run_side

    settings = CallSettings(max_tokens=5, temperature=0.0, system=CLASSIFIER_PROMPT, timeout_s=timeout_s, retries=1)
    out = []
    for prompt in prompts:
        side = run_side(target, prompt, settings, api_key=api_key)
        label = parse_classifier_answer(side.text) if side.ok else None
        if label is not None:
            out.append(Classification(label, "model", f"{target.label} answered {side.text.strip()[:20]!r}", by="model"))
            continue
        fallback = classify_prompt(prompt)
        why = f"classifier failed ({side.error})" if not side.ok else f"classifier answered {side.text.strip()[:20]!r}"
        out.append(Classification(fallback.label, fallback.rule, f"{why}; rules: {fallback.detail}", by="fallback"))
    return out


# --- simulation ----------------------------------------------------------------------------------


@dataclass
class Decision:
    row: int
    prompt: str
    label: str
    rule: str
    detail: str
    model: str


@dataclass
class RoutingReport:
    cheap: str
    strong: str
    decisions: list[Decision]
    share_simple: float
    share_complex: float
    cost_basis: str                               # how the costs were obtained, in words
    routed_cost_per_request_usd: float | None
    strong_cost_per_request_usd: float | None
    routed_monthly_usd: float | None
    strong_monthly_usd: float | None
    saving_share: float | None                    # 1 - routed / always-strong; None when unknown or 0/0
    quality_routed: float | None = None
    quality_strong: float | None = None
    quality_rows: int = 0
    notes: list[str] = field(default_factory=list)

    @property
    def quality_difference(self) -> float | None:
        if self.quality_routed is None or self.quality_strong is None:
            return None
        return self.quality_routed - self.quality_strong

    def to_dict(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if k != "decisions"} | {
            "quality_difference": self.quality_difference,
            "decisions": [d.__dict__ for d in self.decisions],
        }


def _monthly(per_request: float | None, traffic: Traffic) -> float | None:
    return None if per_request is None else per_request * traffic.requests_per_day * DAYS_PER_MONTH


def simulate_routing(
    prompts: Sequence[tuple[int, str]], classifications: Sequence[Classification], cheap: str, strong: str,
    traffic: Traffic, *, run=None, prices: dict[str, float | None] | None = None,
) -> RoutingReport:
    """Route each (row, prompt) by its classification and price the policy.

    With `run` (a BenchmarkRun holding both models) the costs and quality are measured ones: over the
    prompts both models answered, the routed policy pays the chosen model's cost on each prompt and
    always-strong pays the strong model's. Without it, `prices` (model -> cost of one request at the
    traffic, None when unknown) gives routed = share_simple x cheap + share_complex x strong.
    """
    if cheap == strong:
        raise SelectorError("routing needs two different models: a cheap one and a strong one")
    if len(prompts) != len(classifications):
        raise SelectorError(f"{len(prompts)} prompts but {len(classifications)} classifications")
    if not prompts:
        raise SelectorError("routing needs at least one prompt")
    decisions = [
        Decision(row, prompt, c.label, c.rule, c.detail, cheap if c.label == SIMPLE else strong)
        for (row, prompt), c in zip(prompts, classifications)
    ]
    share_simple = sum(1 for d in decisions if d.label == SIMPLE) / len(decisions)
    if run is not None:
        costs = _measured_costs(decisions, cheap, strong, run)
    else:
        costs = _priced_costs(share_simple, cheap, strong, traffic, prices or {})
    routed, always = costs.routed, costs.always
    return RoutingReport(
        cheap=cheap, strong=strong, decisions=decisions, share_simple=share_simple, share_complex=1 - share_simple,
        cost_basis=costs.basis, routed_cost_per_request_usd=routed, strong_cost_per_request_usd=always,
        routed_monthly_usd=_monthly(routed, traffic), strong_monthly_usd=_monthly(always, traffic),
        saving_share=1 - routed / always if routed is not None and always else None,
        quality_routed=costs.quality_routed, quality_strong=costs.quality_strong,
        quality_rows=costs.quality_rows, notes=costs.notes,
    )


@dataclass
class _PolicyCosts:
    """The cost of one request under routing and under always-strong, and how it was found."""

    routed: float | None
    always: float | None
    basis: str
    notes: list[str] = field(default_factory=list)
    quality_routed: float | None = None
    quality_strong: float | None = None
    quality_rows: int = 0


def _measured_costs(decisions: list[Decision], cheap: str, strong: str, run) -> _PolicyCosts:
    """Costs and quality measured in a benchmark run, over the prompts both models answered."""
    missing = [m for m in (cheap, strong) if m not in run.models]
    if missing:
        raise SelectorError(f"benchmark run {run.run_id} did not measure {', '.join(missing)}")
    both = [d for d in decisions
            if (a := run.result_for(cheap, d.row)) is not None and a.ok
            and (b := run.result_for(strong, d.row)) is not None and b.ok]
    notes = []
    if len(both) < len(decisions):
        notes.append(f"{len(decisions) - len(both)} prompt(s) left out: not answered by both models in the run")
    routed_costs = [run.result_for(d.model, d.row).cost_usd for d in both]
    strong_costs = [run.result_for(strong, d.row).cost_usd for d in both]
    known = both and all(c is not None for c in routed_costs + strong_costs)
    out = _PolicyCosts(
        routed=sum(routed_costs) / len(both) if known else None,
        always=sum(strong_costs) / len(both) if known else None,
        basis=f"measured in benchmark run {run.run_id} over {len(both)} prompt(s)", notes=notes,
    )
    checked = [d for d in both if run.result_for(cheap, d.row).passed is not None
               and run.result_for(strong, d.row).passed is not None]
    out.quality_rows = len(checked)
    if checked:
        out.quality_routed = sum(bool(run.result_for(d.model, d.row).passed) for d in checked) / len(checked)
        out.quality_strong = sum(bool(run.result_for(strong, d.row).passed) for d in checked) / len(checked)
    return out


def _priced_costs(share_simple: float, cheap: str, strong: str, traffic: Traffic,
                  prices: dict[str, float | None]) -> _PolicyCosts:
    """Costs from per-request prices: routed = share_simple x cheap + share_complex x strong."""
    cheap_price, strong_price = prices.get(cheap), prices.get(strong)
    routed = always = None
    if strong_price is not None:
        always = strong_price
        if cheap_price is not None:
            routed = share_simple * cheap_price + (1 - share_simple) * strong_price
    basis = f"catalogue prices at {traffic.input_tokens:,} input + {traffic.output_tokens:,} output tokens per request"
    notes = [f"{model} has no known price, so the cost comparison is unknown"
             for model, price in ((cheap, cheap_price), (strong, strong_price)) if price is None]
    return _PolicyCosts(routed=routed, always=always, basis=basis, notes=notes)


def catalogue_prices(models: Sequence[str], catalogue, traffic: Traffic) -> dict[str, float | None]:
    """model -> cost of one request at the traffic's token counts (None when unknown; local models cost 0)."""
    from selector.costs import request_cost_usd
    from selector.live.servers import LOCAL_MODELS

    out: dict[str, float | None] = {}
    for spec in models:
        if spec in LOCAL_MODELS:
            out[spec] = 0.0
            continue
        entry = catalogue.by_id.get(spec) or next((m for m in catalogue.models if m.litellm_id == spec), None)
        out[spec] = request_cost_usd(entry, traffic) if entry is not None else None
    return out


# --- LiteLLM Router configuration ----------------------------------------------------------------


def _deployment(target, tags: list[str]) -> dict[str, Any]:
    from selector.history import safe_url
    from selector.live.servers import HOST, LOCAL_MODELS

    params: dict[str, Any] = {"model": target.litellm_model}
    if target.local_alias:
        params["api_base"] = f"http://{HOST}:{LOCAL_MODELS[target.local_alias].default_port}/v1"
    elif target.api_base:
        params["api_base"] = safe_url(target.api_base)
    params["tags"] = tags
    return {"model_name": ROUTED_MODEL_NAME, "litellm_params": params}


def router_config(cheap, strong, classifier: str = "heuristic") -> dict[str, Any]:
    """The routing policy as a LiteLLM Router / Proxy config (a dict; no keys in it)."""
    return {
        "model_list": [_deployment(cheap, [SIMPLE]), _deployment(strong, [COMPLEX, "default"])],
        "router_settings": {"enable_tag_filtering": True},
    }


def router_config_yaml(cheap, strong, classifier: str = "heuristic") -> str:
    """router_config() as YAML, headed by comments saying how requests get their tag."""
    if classifier == "heuristic":
        how = ["Classify each request with these rules (the first that matches decides):"]
        how += [f"  {i}. {r.id}: {r.description} -> {r.label}" for i, r in enumerate(RULES, start=1)]
    else:
        how = [f"Classify each request with a cheap model ({classifier}), with this system prompt:",
               *[f"  {line}" for line in _wrap(CLASSIFIER_PROMPT)]]
    header = [
        "LiteLLM Router configuration exported by the model selector's routing simulator.",
        f"Simple requests go to {cheap.label}, complex ones to {strong.label} (also the default for untagged requests).",
        f"Send requests to model '{ROUTED_MODEL_NAME}' with tags: [\"simple\"] or [\"complex\"] (tag-based routing).",
        *how,
        "No API keys here: LiteLLM reads them from the environment (or add api_key: os.environ/NAME).",
    ]
    body = yaml.safe_dump(router_config(cheap, strong, classifier), sort_keys=False, default_flow_style=False)
    return "".join(f"# {line}\n" for line in header) + body


def _wrap(text: str, width: int = 90) -> list[str]:
    return textwrap.wrap(text, width)
