"""Offers: the places that serve a catalogue model at a price, read from LiteLLM's bundled map.

A model is one set of weights or one API model; an offer is one key of LiteLLM's price map
(`model_prices_and_context_window_backup.json`) that serves it: the maker's own API, a cloud that
resells it, or a host serving the same open weights. Which keys belong to which model is curated
in `offers.yaml` next to the catalogue (a list of map keys per catalogue id), never guessed at run
time. The map is read as JSON, without importing litellm (about 3 s), once per process.

Map prices are USD per token; offers carry USD per 1M tokens like the catalogue.
"""

from __future__ import annotations

import datetime as dt
import functools
import importlib.metadata
import importlib.util
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from selector.errors import CatalogueError, SelectorError, unknown_id_message

if TYPE_CHECKING:
    from selector.catalogue import Model

PRICE_MAP_FILE = "model_prices_and_context_window_backup.json"
OFFERS_FILE = "offers.yaml"  # next to the catalogue file
TOKENS_PER_MTOK = 1_000_000
# How LiteLLM names a provider in a model string, where it differs from the map's litellm_provider.
_ROUTES = {"bedrock_converse": "bedrock/converse", "vertex_ai-language-models": "vertex_ai"}
# Serving variants named in a key: quantised builds of the same weights, or a faster (dearer) tier.
_VARIANTS = ("nvfp4", "mxfp4", "fp8", "fp4", "int8", "int4", "awq", "bf16", "fp16", "turbo", "fast")
# Service tiers and modes of the same model that a host sells under their own key.
_TIERS = ("highspeed", "contributor", "mythos", "non-reasoning", "reasoning", "gv2")
_MODALITY_FLAGS = {"image": "supports_vision", "audio": "supports_audio_input", "video": "supports_video_input"}
POLICIES = ("cheapest", "median", "provider:<name>", "self_host")


# --- the map ---------------------------------------------------------------------------------


def price_map_path() -> Path:
    """Where the installed litellm keeps its bundled map (found without importing litellm)."""
    spec = importlib.util.find_spec("litellm")
    if spec is None or not spec.submodule_search_locations:
        raise SelectorError("litellm is not installed, so its bundled price map cannot be read")
    for location in spec.submodule_search_locations:
        candidate = Path(location) / PRICE_MAP_FILE
        if candidate.is_file():
            return candidate
    raise SelectorError(f"the installed litellm has no {PRICE_MAP_FILE}")


def load_price_map(path: str | Path | None = None) -> dict[str, dict]:
    """LiteLLM's price map as a dict keyed by map key (parsed once per process and path; do not mutate)."""
    return _load_price_map(str(Path(path).resolve()) if path else str(price_map_path()))


@functools.lru_cache(maxsize=4)
def _load_price_map(path: str) -> dict[str, dict]:
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise SelectorError(f"cannot read LiteLLM's price map {path}: {exc}") from None
    if not isinstance(data, dict):
        raise SelectorError(f"LiteLLM's price map {path} is not a JSON object")
    return {key: value for key, value in data.items() if isinstance(value, dict) and key != "sample_spec"}


def litellm_version() -> str | None:
    try:
        return importlib.metadata.version("litellm")
    except importlib.metadata.PackageNotFoundError:
        return None


def map_label(path: str | Path | None = None) -> str:
    """How reports name the map: 'model_prices_...json from litellm 1.110.2', or the given path."""
    if path:
        return str(path)
    version = litellm_version()
    return f"{PRICE_MAP_FILE} from litellm {version}" if version else PRICE_MAP_FILE


def per_mtok(per_token: object) -> float | None:
    """USD per token -> USD per 1M tokens, without float noise (2.5e-06 * 1e6 = 2.4999999999999996)."""
    if not isinstance(per_token, (int, float)) or isinstance(per_token, bool):
        return None
    return round(per_token * TOKENS_PER_MTOK, 6)


def _count(value: object) -> int | None:
    return int(value) if isinstance(value, (int, float)) and not isinstance(value, bool) and value > 0 else None


def _date(value: object) -> dt.date | None:
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value)[:10]) if value else None
    except ValueError:
        return None


def declared_modalities(entry: dict) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(input modalities the map says the key accepts, modalities it says anything about); text always."""
    accepted, declared = ["text"], ["text"]
    for modality, flag in _MODALITY_FLAGS.items():
        if isinstance(entry.get(flag), bool):
            declared.append(modality)
            if entry[flag]:
                accepted.append(modality)
    return tuple(accepted), tuple(declared)


def litellm_model_string(key: str, provider: str) -> str:
    """The model string to call this key with through LiteLLM ('deepseek-chat' -> 'deepseek/deepseek-chat')."""
    route = _ROUTES.get(provider, provider.split("-", 1)[0] if provider.startswith("vertex_ai") else provider)
    if provider in ("openai", "anthropic") or not route:
        return key
    first = key.split("/", 1)[0]
    if "/" in key and (first == provider or first == route.split("/")[0] or provider.startswith(first)):
        return key
    return f"{route}/{key}"


# --- offers ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Offer:
    """One map key serving a catalogue model: its provider, price and limits as the map gives them."""

    key: str
    provider: str                              # the map's litellm_provider
    litellm_model: str                         # the string to call it with through LiteLLM
    input_usd_per_mtok: float | None
    output_usd_per_mtok: float | None
    cached_input_usd_per_mtok: float | None
    context_tokens: int | None                 # max_input_tokens
    max_output_tokens: int | None
    input_modalities: tuple[str, ...]          # what the map says it accepts (text always)
    declared_modalities: tuple[str, ...]       # the modalities the map says anything about
    reasoning: bool | None                     # supports_reasoning; None: the map does not say
    deprecation_date: dt.date | None
    variant: str | None = None                 # 'fp8', 'turbo', 'fast'...: a quantised build or speed tier

    @classmethod
    def from_entry(cls, key: str, entry: dict) -> Offer:
        provider = str(entry.get("litellm_provider") or "")
        accepted, declared = declared_modalities(entry)
        reasoning = entry.get("supports_reasoning")
        words = re.split(r"[^a-z0-9]+", key.lower())
        return cls(
            key=key,
            provider=provider,
            litellm_model=litellm_model_string(key, provider),
            input_usd_per_mtok=per_mtok(entry.get("input_cost_per_token")),
            output_usd_per_mtok=per_mtok(entry.get("output_cost_per_token")),
            cached_input_usd_per_mtok=per_mtok(entry.get("cache_read_input_token_cost")),
            context_tokens=_count(entry.get("max_input_tokens")),
            max_output_tokens=_count(entry.get("max_output_tokens")),
            input_modalities=accepted,
            declared_modalities=declared,
            reasoning=reasoning if isinstance(reasoning, bool) else None,
            deprecation_date=_date(entry.get("deprecation_date")),
            variant=_variant(words),
        )

    @property
    def has_price(self) -> bool:
        return self.input_usd_per_mtok is not None and self.output_usd_per_mtok is not None

    def is_live(self, today: dt.date) -> bool:
        """Priced and not past its deprecation date."""
        return self.has_price and (self.deprecation_date is None or today < self.deprecation_date)

    def accepts(self, modality: str, model: Model | None = None) -> bool:
        """Whether this offer takes `modality`; where the map is silent, the model's own modalities decide."""
        if modality in self.input_modalities:
            return True
        return modality not in self.declared_modalities and model is not None and modality in model.input_modalities

    def usable_context(self, model: Model | None = None) -> int | None:
        """The offer's context window, or the model's where the map gives none."""
        return self.context_tokens if self.context_tokens is not None else (model.context_tokens if model else None)

    @property
    def price_text(self) -> str:
        return f"${self.input_usd_per_mtok:g}/${self.output_usd_per_mtok:g} per 1M" if self.has_price else "no price"


def _variant(words: list[str]) -> str | None:
    """'fp8', 'turbo', 'non-reasoning+gv2'...: what sets this key apart from the plain one of the same host."""
    joined = "-".join(words)
    tiers = [t for t in _TIERS if re.search(rf"(^|-){t}($|-)", joined)]
    if "non-reasoning" in tiers:
        tiers.remove("reasoning")
    found = [v for v in _VARIANTS if v in words][:1] + tiers
    return "+".join(found) or None


def offers_path_for(catalogue_path: str | Path) -> Path:
    """The offers file that belongs to a catalogue file: offers.yaml in the same folder."""
    return Path(catalogue_path).parent / OFFERS_FILE


def parse_offers(data: object, model_ids: list[str], price_map: dict[str, dict], label: str,
                 catalogue_label: str = "the catalogue") -> dict[str, tuple[Offer, ...]]:
    """Validate parsed offers YAML (catalogue id -> list of map keys); CatalogueError listing every problem."""
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise CatalogueError(f"{label}: expected a mapping of catalogue id -> list of LiteLLM map keys")
    known = set(model_ids)
    problems: list[str] = []
    seen: dict[str, str] = {}
    offers: dict[str, tuple[Offer, ...]] = {}
    for model_id, keys in data.items():
        if model_id not in known:
            problems.append(f"{label}: {unknown_id_message(str(model_id), model_ids)} (not in {catalogue_label})")
            continue
        if keys is None:
            keys = []
        if not isinstance(keys, list) or not all(isinstance(k, str) for k in keys):
            problems.append(f"{label}, model {model_id!r}: must be a list of LiteLLM map keys")
            continue
        found = []
        for key in keys:
            entry = price_map.get(key)
            if entry is None:
                problems.append(f"{label}, model {model_id!r}: {key!r} is not a key of LiteLLM's map")
                continue
            if key in seen:
                problems.append(f"{label}, model {model_id!r}: {key!r} is already listed for model {seen[key]!r}")
                continue
            seen[key] = model_id
            offer = Offer.from_entry(key, entry)
            if not offer.has_price:
                problems.append(f"{label}, model {model_id!r}: {key!r} has no input and output price in the map")
                continue
            found.append(offer)
        offers[model_id] = tuple(found)
    if problems:
        raise CatalogueError(problems)
    return offers


# --- pricing policy --------------------------------------------------------------------------


def price_rows(offers: tuple[Offer, ...]) -> tuple[tuple, ...]:
    """Per offer (input, output, cached-input price, context, key, offer), cached input at the full
    price where the map gives none: the numbers cheapest_live_offer reads, unpacked once."""
    return tuple(
        (o.input_usd_per_mtok, o.output_usd_per_mtok,
         o.cached_input_usd_per_mtok if o.cached_input_usd_per_mtok is not None else o.input_usd_per_mtok,
         o.context_tokens, o.key, o)
        for o in offers
    )


def price_spread(offers: tuple[Offer, ...] | list[Offer], today: dt.date) -> dict[str, dict[str, float | None]]:
    """Min, median and max input and output price over the live offers (None when there is none)."""
    live = [o for o in offers if o.is_live(today)]
    spread: dict[str, dict[str, float | None]] = {}
    for name, attr in (("input", "input_usd_per_mtok"), ("output", "output_usd_per_mtok")):
        values = sorted(getattr(o, attr) for o in live)
        if not values:
            spread[name] = {"min": None, "median": None, "max": None}
            continue
        mid = len(values) // 2
        median = values[mid] if len(values) % 2 else (values[mid - 1] + values[mid]) / 2
        spread[name] = {"min": values[0], "median": median, "max": values[-1]}
    return spread

