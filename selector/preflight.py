"""Preflight: what a benchmark run (or a live comparison) will cost and take, before any call.

Input tokens are counted offline with the cl100k_base encoding LiteLLM ships (read without importing
LiteLLM); once LiteLLM is loaded anyway (a run in this process), a model whose own tokenizer LiteLLM
bundles (Anthropic, DeepSeek) is counted with it; local llama.cpp models always with cl100k;
plus CHAT_OVERHEAD_TOKENS per call for the chat template. Output tokens are the call's
max_tokens: an upper bound, so the cost is what the run costs at most. Prices come from the
model's resolved target (the catalogue's price or the offer it calls), else the catalogue model's
cheapest live offer, else LiteLLM's bundled price map for that model string; local models cost $0;
a model without any price has an unknown cost.
Time per call: the catalogue's published time to first token plus max_tokens at its output speed,
else DEFAULT_TTFT_S and DEFAULT_TOKENS_PER_S; calls run `concurrency` at a time.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
import sys
from dataclasses import asdict, dataclass, field
from typing import Any, Sequence

from selector.errors import SelectorError

log = logging.getLogger(__name__)

CHAT_OVERHEAD_TOKENS = 7        # role markers and priming of a chat request (OpenAI's counting guide: 3-4 per message + 3)
DEFAULT_TTFT_S = 0.8            # when the catalogue publishes no speed for the model
DEFAULT_TOKENS_PER_S = 40.0
LOCAL_TTFT_S = 0.5              # bundled llama.cpp models on this machine's CPU
LOCAL_TOKENS_PER_S = 30.0
BUNDLED_TOKENIZERS = ("anthropic", "deepseek")  # LiteLLM ships these; others would be downloaded
JUDGE_OUTPUT_TOKENS = 8


@dataclass(frozen=True)
class ModelPreflight:
    """One model's share of the run."""

    model: str
    label: str
    calls: int
    input_tokens: int
    output_tokens_max: int
    input_usd_per_mtok: float | None
    output_usd_per_mtok: float | None
    price_source: str
    cost_usd: float | None          # None: no known price
    seconds: float                  # sum of its calls' estimated durations
    tokenizer: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Preflight:
    """The whole run: per model, and the totals the page and the CLI show."""

    models: list[ModelPreflight]
    prompts: int
    repeats: int
    concurrency: int
    cost_usd: float | None          # None when some model has no known price
    known_cost_usd: float           # the priced part
    wall_s: float                   # calls spread over `concurrency` workers
    per_call_usd: dict[str, list[float]] = field(default_factory=dict)  # model -> estimate per prompt row (0 when unknown)
    notes: list[str] = field(default_factory=list)

    def call_estimate(self, model: str, row_index: int) -> float:
        """The estimated cost of one call: the spending cap reserves it before the call starts."""
        per_row = self.per_call_usd.get(model)
        return per_row[row_index - 1] if per_row and 0 < row_index <= len(per_row) else 0.0

    def summary(self) -> str:
        cost = "unknown" if self.cost_usd is None else f"${self.cost_usd:.4f}"
        if self.cost_usd is None and self.known_cost_usd:
            cost += f" (at least ${self.known_cost_usd:.4f})"
        calls = sum(m.calls for m in self.models)
        prompts = f"{self.prompts} prompt" + ("" if self.prompts == 1 else "s")
        return (f"Preflight: {calls} calls ({prompts} × {len(self.models)} models"
                + (f" × {self.repeats} repeats" if self.repeats > 1 else "") + f"), "
                f"{sum(m.input_tokens for m in self.models):,} input tokens, at most "
                f"{sum(m.output_tokens_max for m in self.models):,} output tokens; estimated cost at most {cost}, "
                f"about {format_duration(self.wall_s)} at {self.concurrency} call(s) at once.")

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out.pop("per_call_usd")
        out["summary"] = self.summary()
        return out


def format_duration(seconds: float) -> str:
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 5400:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


def _litellm():
    from selector.live import import_litellm

    return import_litellm()


def tokenizer_for(target) -> str:
    """The model name handed to LiteLLM's counter: the model's own when LiteLLM is already loaded in this process
    (a run is under way) and bundles that tokenizer, else '' (the bundled cl100k count, read without LiteLLM: a
    page or command that only shows a preflight must not pay about 3 s, and a network attempt, for importing it)."""
    if target.local_alias or target.api_base or "litellm" not in sys.modules:
        return ""
    from litellm.utils import huggingface_tokenizer_kind

    model = target.litellm_model
    return model if huggingface_tokenizer_kind(model) in BUNDLED_TOKENIZERS else ""


def count_tokens(texts: Sequence[str], tokenizer: str = "") -> list[int]:
    """Input tokens of each text with LiteLLM's counter, offline, plus the chat overhead.

    The default tokenizer is the cl100k_base encoding that LiteLLM ships inside its package; it is
    read directly (tiktoken pointed at LiteLLM's bundled copy, as LiteLLM itself does), so a page
    that only shows a preflight does not pay for importing LiteLLM (about 3 s).
    """
    if not tokenizer:
        encoding = _default_encoding()
        if encoding is not None:
            return [len(encoding.encode(text, disallowed_special=())) + CHAT_OVERHEAD_TOKENS for text in texts]
    litellm = _litellm()
    return [int(litellm.token_counter(model=tokenizer, text=text)) + CHAT_OVERHEAD_TOKENS for text in texts]


def _default_encoding():
    """LiteLLM's default encoding (cl100k_base) from its bundled file, or None when it cannot be read."""
    import importlib.util
    import os
    from pathlib import Path

    spec = importlib.util.find_spec("litellm")
    if spec is None or not spec.submodule_search_locations:
        return None
    bundled = Path(next(iter(spec.submodule_search_locations))) / "litellm_core_utils" / "tokenizers"
    if not bundled.is_dir():
        return None
    os.environ.setdefault("TIKTOKEN_CACHE_DIR", str(bundled))
    try:
        import tiktoken

        return tiktoken.get_encoding("cl100k_base")
    except Exception:  # an unexpected tiktoken layout: LiteLLM's own counter is the fallback
        log.warning("LiteLLM's bundled cl100k_base could not be read; counting with LiteLLM instead", exc_info=True)
        return None


def prices_for(target, catalogue=None, today: dt.date | None = None) -> tuple[float | None, float | None, str]:
    """(input, output) USD per million tokens and where they come from."""
    if target.local_alias:
        return 0.0, 0.0, "runs on this machine: $0"
    if target.input_usd_per_mtok is not None and target.output_usd_per_mtok is not None:
        where = f"offer {target.offer_key}" if target.offer_key else "catalogue price"
        return target.input_usd_per_mtok, target.output_usd_per_mtok, where
    if catalogue is not None and target.catalogue_id in getattr(catalogue, "by_id", {}):
        from selector.costs import Traffic
        from selector.offer_pricing import choose_offer

        model = catalogue.by_id[target.catalogue_id]
        choice = choose_offer(model, catalogue.offers_for(model.id), Traffic(), "cheapest",
                              today=today or dt.date.today())
        if choice.offer is not None:
            return choice.offer.input_usd_per_mtok, choice.offer.output_usd_per_mtok, choice.basis
    if target.api_base:
        return None, None, f"own endpoint {target.api_base}: no known price"
    from selector.offers import load_price_map, per_mtok

    price_map = load_price_map()
    model = target.litellm_model
    for key in (model, model.split("/", 1)[-1]):
        entry = price_map.get(key) or {}
        price_in, price_out = per_mtok(entry.get("input_cost_per_token")), per_mtok(entry.get("output_cost_per_token"))
        if price_in is not None and price_out is not None:
            return price_in, price_out, f"LiteLLM's price map ({key})"
    return None, None, "no known price"


def speed_for(target, catalogue=None) -> tuple[float, float]:
    """(time to first token in s, output tokens per s) from the catalogue, else the stated defaults."""
    if target.local_alias:
        return LOCAL_TTFT_S, LOCAL_TOKENS_PER_S
    model = getattr(catalogue, "by_id", {}).get(target.catalogue_id) if catalogue is not None else None
    speed = getattr(model, "speed", None)
    ttft = speed.ttft_ms / 1000 if speed is not None and speed.ttft_ms else DEFAULT_TTFT_S
    rate = speed.output_tokens_per_s if speed is not None and speed.output_tokens_per_s else DEFAULT_TOKENS_PER_S
    return ttft, rate


def preflight(prompts: Sequence[str], targets: Sequence[Any], max_tokens: int, catalogue=None,
              repeats: int = 1, concurrency: int = 1, system: str | None = None,
              judge=None, judged_rows: Sequence[int] = ()) -> Preflight:
    """Estimated cost and time of running every prompt on every target `repeats` times.

    `judged_rows` are the 1-based rows a `judge` model grades (one short call per model and row).
    """
    if max_tokens < 1 or repeats < 1 or concurrency < 1:
        raise SelectorError("max_tokens, repeats and concurrency must be at least 1")
    texts = [((system + "\n") if system else "") + p for p in prompts]
    counted: dict[str, list[int]] = {}
    models, per_call, notes = [], {}, []
    total_s = 0.0
    for target in targets:
        tokenizer = tokenizer_for(target)
        if tokenizer not in counted:
            counted[tokenizer] = count_tokens(texts, tokenizer)
        tokens = counted[tokenizer]
        price_in, price_out, source = prices_for(target, catalogue)
        ttft, rate = speed_for(target, catalogue)
        seconds_per_call = ttft + max_tokens / rate
        priced = price_in is not None and price_out is not None
        calls = [(t * price_in + max_tokens * price_out) / 1e6 if priced else 0.0 for t in tokens]
        per_call[target.spec] = calls
        cost = sum(calls) * repeats if priced else None
        if not priced:
            notes.append(f"{target.label}: {source}, so its cost is unknown and the spending cap cannot count it")
        models.append(ModelPreflight(
            model=target.spec, label=target.label, calls=len(tokens) * repeats, input_tokens=sum(tokens) * repeats,
            output_tokens_max=max_tokens * len(tokens) * repeats, input_usd_per_mtok=price_in,
            output_usd_per_mtok=price_out, price_source=source, cost_usd=cost,
            seconds=seconds_per_call * len(tokens) * repeats, tokenizer=tokenizer or "default (tiktoken)",
        ))
        total_s += seconds_per_call * len(tokens) * repeats
    if judge is not None and judged_rows:
        judge_pf = preflight([prompts[i - 1] for i in judged_rows], [judge], JUDGE_OUTPUT_TOKENS, catalogue,
                             repeats * len(targets), 1)
        judged = judge_pf.models[0]
        models.append(ModelPreflight(**(judged.to_dict() | {
            "label": f"{judged.label} (judge)",
            # the judge also reads each answer: up to max_tokens more input tokens per call
            "input_tokens": judged.input_tokens + max_tokens * judged.calls,
            "cost_usd": None if judged.cost_usd is None else
            judged.cost_usd + max_tokens * judged.calls * (judged.input_usd_per_mtok or 0) / 1e6,
        })))
        total_s += judged.seconds
    known = sum(m.cost_usd for m in models if m.cost_usd is not None)
    cost = None if any(m.cost_usd is None for m in models) else known
    return Preflight(models=models, prompts=len(prompts), repeats=repeats, concurrency=concurrency, cost_usd=cost,
                     known_cost_usd=known, wall_s=total_s / max(1, min(concurrency, max(1, len(targets) * len(prompts)))),
                     per_call_usd=per_call, notes=notes)


def check_cap(max_cost_usd: float | None) -> float | None:
    """The spending cap, or SelectorError for a negative one."""
    if max_cost_usd is None:
        return None
    if not math.isfinite(max_cost_usd) or max_cost_usd < 0:
        raise SelectorError(f"--max-cost must be a number of US dollars >= 0 (got {max_cost_usd})")
    return float(max_cost_usd)
