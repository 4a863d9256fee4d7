"""Catalogue drift: where the catalogue and LiteLLM's bundled map disagree, and whether that is accepted.

Two checks, offline (the map is read as JSON by selector.offers):

- a model with a first-party key (`litellm_id`) is compared with that key on every field the map
  gives: input, output and cached-input price, context window, max output, input modalities,
  reasoning, and shutdown date (the map's deprecation_date);
- every other offer of the model is compared with the model where a difference means the mapping
  or the catalogue is wrong: an offer claiming a larger context, a modality or reasoning the model
  lacks. A host serving a smaller context, or its own price, is a fact of that offer, not drift.

A difference is accepted only by a structured entry in `drift.yaml` next to the catalogue:
`{model, key, field, ours, map, reason}`. The entry records both values, so a later change on
either side re-opens it. Every other difference fails the check (`catalog drift` exits 1).
"""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path

from selector.catalogue import Catalogue, Model
from selector.errors import SelectorError
from selector.files import parse_yaml, read_text
from selector.offers import Offer, declared_modalities, load_price_map, map_label, per_mtok

DRIFT_FILE = "drift.yaml"  # next to the catalogue
MODALITY_ORDER = ("text", "image", "audio", "video")
FIELDS = (
    "input_usd_per_mtok", "output_usd_per_mtok", "cached_input_usd_per_mtok", "context_tokens",
    "max_output_tokens", "input_modalities", "reasoning", "shutdown_date",
)
_ENTRY_KEYS = ("model", "key", "field", "ours", "map", "reason")
_PRICES = FIELDS[:3]
# An offer's context counts as larger than its model's only beyond this share: "1M" is written
# 1,000,000 by makers and 1,048,576 (2^20) by hosts, "256K" 256,000 or 262,144; the same window.
CONTEXT_TOLERANCE = 0.05


def _norm(value: object) -> object:
    """A value as drift.yaml records it: prices rounded, dates as text, lists as lists."""
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, float):
        return int(value) if value.is_integer() else round(value, 6)
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()[:10]
    if isinstance(value, (list, tuple)):
        return [str(v) for v in value]
    return value


def _modalities(values) -> list[str]:
    return [m for m in MODALITY_ORDER if m in set(values)]


@dataclass(frozen=True)
class Accepted:
    """One accepted difference from drift.yaml."""

    model: str
    key: str
    field: str
    ours: object
    map: object
    reason: str

    def covers(self, d: Difference) -> bool:
        return (self.model, self.key, self.field) == (d.model, d.key, d.field) \
            and _norm(self.ours) == _norm(d.ours) and _norm(self.map) == _norm(d.map)


@dataclass(frozen=True)
class Difference:
    """One field where the catalogue and the map disagree."""

    model: str
    key: str
    field: str
    ours: object
    map: object
    kind: str = "model"            # "model": its first-party key; "offer": another offer of it
    accepted: str | None = None    # the reason recorded in drift.yaml

    @property
    def explained(self) -> bool:
        return self.accepted is not None

    def advice(self) -> str:
        """What to do about it, in one line."""
        if self.kind == "offer":
            return (f"the offer claims more than the model: check that {self.key} serves these weights "
                    f"(data/offers.yaml) and the catalogue's {self.field}")
        if self.field in _PRICES:
            return f"check the maker's price page and fix the catalogue's {self.field}"
        if self.field == "shutdown_date":
            return "check the maker's deprecations page and fix the catalogue's shutdown_date"
        return f"check the maker's model page and fix the catalogue's {self.field}"

    def as_entry(self, reason: str = "...") -> str:
        """The drift.yaml line that would accept this difference."""
        item = {"model": self.model, "key": self.key, "field": self.field, "ours": _norm(self.ours),
                "map": _norm(self.map), "reason": reason}
        return "- {" + ", ".join(f"{k}: {json.dumps(v)}" for k, v in item.items()) + "}"


@dataclass(frozen=True)
class NotInMap:
    model_id: str
    litellm_id: str | None
    reason: str


@dataclass
class DriftReport:
    differences: list[Difference] = field(default_factory=list)
    not_in_map: list[NotInMap] = field(default_factory=list)        # a litellm_id the map lacks: a defect
    through_offers: dict[str, int] = field(default_factory=dict)   # models without a first-party key -> offers checked
    stale: list[Accepted] = field(default_factory=list)             # accepted entries that match nothing
    compared: int = 0
    offers_compared: int = 0
    source: str = "<memory>"

    @property
    def unexplained(self) -> list[Difference]:
        return [d for d in self.differences if not d.explained]

    @property
    def failed(self) -> bool:
        return bool(self.unexplained or self.not_in_map)

    def to_dict(self) -> dict:
        return {
            "source": self.source,
            "compared": self.compared,
            "offers_compared": self.offers_compared,
            "differences": [asdict(d) | {"explained": d.explained, "ours": _norm(d.ours), "map": _norm(d.map)}
                            for d in self.differences],
            "not_in_map": [asdict(n) for n in self.not_in_map],
            "through_offers": self.through_offers,
            "stale_accepted": [asdict(a) for a in self.stale],
            "unexplained": len(self.unexplained),
        }


# --- accepted differences --------------------------------------------------------------------


def drift_path_for(catalogue_path: str | Path) -> Path:
    return Path(catalogue_path).parent / DRIFT_FILE


def parse_accepted(data: object, label: str) -> list[Accepted]:
    """Validate parsed drift.yaml (a list of {model, key, field, ours, map, reason}); SelectorError naming each problem."""
    if data is None:
        return []
    if not isinstance(data, list):
        raise SelectorError(f"{label}: expected a list of {{model, key, field, ours, map, reason}} entries")
    problems, accepted = [], []
    for index, item in enumerate(data, start=1):
        where = f"{label}, entry #{index}"
        if not isinstance(item, dict):
            problems.append(f"{where}: must be a mapping with {', '.join(_ENTRY_KEYS)}")
            continue
        missing = [k for k in _ENTRY_KEYS if k not in item]
        extra = [k for k in item if k not in _ENTRY_KEYS]
        if missing or extra:
            problems.append(f"{where}: " + "; ".join(
                ([f"missing {', '.join(missing)}"] if missing else []) + ([f"unknown {', '.join(map(str, extra))}"] if extra else [])))
            continue
        if item["field"] not in FIELDS:
            problems.append(f"{where}: field {item['field']!r} is not one of {', '.join(FIELDS)}")
            continue
        if not isinstance(item["reason"], str) or not item["reason"].strip() or item["reason"].strip() == "...":
            problems.append(f"{where} ({item['model']} {item['field']}): reason must say why the difference is right")
            continue
        accepted.append(Accepted(**{k: item[k] for k in _ENTRY_KEYS}))
    if problems:
        raise SelectorError("\n".join(problems))
    return accepted


def load_accepted(path: str | Path) -> list[Accepted]:
    """The accepted differences in a drift.yaml file (none when the file does not exist)."""
    path = Path(path)
    if not path.is_file():
        return []
    label = f"drift file {path}"
    return parse_accepted(parse_yaml(read_text(path, label, SelectorError), label, SelectorError), label)


# --- comparing -------------------------------------------------------------------------------


def find_entry(litellm_id: str, price_map: dict[str, dict]) -> tuple[str, dict] | None:
    """The map entry for a LiteLLM model string; 'anthropic/x' also matches the key 'x' of that provider."""
    if litellm_id in price_map:
        return litellm_id, price_map[litellm_id]
    prefix, _, bare = litellm_id.partition("/")
    if bare and bare in price_map:
        entry = price_map[bare]
        provider = str(entry.get("litellm_provider", ""))
        if provider == prefix or provider.startswith(prefix):
            return bare, entry
    return None


def _count(value: object) -> int | None:
    return int(value) if isinstance(value, (int, float)) and not isinstance(value, bool) and value > 0 else None


def compare_model(model: Model, entry: dict, key: str) -> list[Difference]:
    """Differences between a model and its first-party map entry (fields the map does not give are skipped)."""
    pairs: list[tuple[str, object, object]] = [
        ("input_usd_per_mtok", model.input_usd_per_mtok, per_mtok(entry.get("input_cost_per_token"))),
        ("output_usd_per_mtok", model.output_usd_per_mtok, per_mtok(entry.get("output_cost_per_token"))),
        ("cached_input_usd_per_mtok", model.cached_input_usd_per_mtok, per_mtok(entry.get("cache_read_input_token_cost"))),
        ("context_tokens", model.context_tokens, _count(entry.get("max_input_tokens"))),
        ("max_output_tokens", model.max_output_tokens, _count(entry.get("max_output_tokens"))),
    ]
    differences = [Difference(model.id, key, name, ours, theirs) for name, ours, theirs in pairs
                   if theirs is not None and _norm(ours) != _norm(theirs)]
    accepted, declared = declared_modalities(entry)
    ours_modalities = _modalities(model.input_modalities)
    if any((m in accepted) != (m in ours_modalities) for m in declared):
        differences.append(Difference(model.id, key, "input_modalities", ours_modalities, _modalities(accepted)))
    reasoning = entry.get("supports_reasoning")
    if isinstance(reasoning, bool) and reasoning != model.reasoning:
        differences.append(Difference(model.id, key, "reasoning", model.reasoning, reasoning))
    ours_date = _norm(model.shutdown_date)
    map_date = _norm(entry.get("deprecation_date")) if entry.get("deprecation_date") else None
    if ours_date != map_date:
        differences.append(Difference(model.id, key, "shutdown_date", ours_date, map_date))
    return differences


def compare_offer(model: Model, offer: Offer) -> list[Difference]:
    """Where an offer claims more than its model: a larger context (beyond CONTEXT_TOLERANCE), a modality or
    reasoning it lacks."""
    differences = []
    if offer.context_tokens is not None and model.context_tokens is not None \
            and offer.context_tokens > model.context_tokens * (1 + CONTEXT_TOLERANCE):
        differences.append(Difference(model.id, offer.key, "context_tokens", model.context_tokens, offer.context_tokens, "offer"))
    extra = [m for m in offer.input_modalities if m not in model.input_modalities]
    if extra:
        differences.append(Difference(model.id, offer.key, "input_modalities", _modalities(model.input_modalities),
                                      _modalities(offer.input_modalities), "offer"))
    if offer.reasoning and not model.reasoning:
        differences.append(Difference(model.id, offer.key, "reasoning", model.reasoning, True, "offer"))
    return differences


def compare_catalogue(catalogue: Catalogue, price_map: dict[str, dict], accepted: list[Accepted] = (),
                      source: str = "<memory>") -> DriftReport:
    """Every difference between the catalogue (models and their offers) and the map, marked accepted or not."""
    report = DriftReport(source=source)
    found: list[Difference] = []
    for model in catalogue.models:
        offers = catalogue.offers.get(model.id, ())
        first_party = None
        if model.litellm_id:
            hit = find_entry(model.litellm_id, price_map)
            if hit is None:
                report.not_in_map.append(NotInMap(model.id, model.litellm_id, "litellm_id is not a key of LiteLLM's map"))
            else:
                first_party, entry = hit
                report.compared += 1
                found.extend(compare_model(model, entry, first_party))
        else:
            report.through_offers[model.id] = len(offers)
        for offer in offers:
            if offer.key in (first_party, model.litellm_id):
                continue  # already compared field by field
            report.offers_compared += 1
            found.extend(compare_offer(model, offer))
    used: set[int] = set()
    for d in found:
        match = next((i for i, a in enumerate(accepted) if a.covers(d)), None)
        if match is not None:
            used.add(match)
            d = Difference(d.model, d.key, d.field, d.ours, d.map, d.kind, accepted[match].reason)
        report.differences.append(d)
    report.stale = [a for i, a in enumerate(accepted) if i not in used]
    return report


def check_drift(catalogue: Catalogue, map_path: str | Path | None = None,
                accepted_path: str | Path | None = None) -> DriftReport:
    """Compare a catalogue and its offers with the installed litellm's map (or the map at `map_path`),
    with the accepted differences of `accepted_path` (default: drift.yaml next to the catalogue)."""
    if accepted_path is None and catalogue.path == "<memory>":
        accepted = []
    else:
        accepted = load_accepted(accepted_path or drift_path_for(catalogue.path))
    return compare_catalogue(catalogue, load_price_map(map_path), accepted, source=map_label(map_path))


# --- the report ------------------------------------------------------------------------------


def _shown(value: object, field_name: str) -> str:
    if value is None:
        return "unknown"
    if field_name in _PRICES:
        return f"${value:g}/1M"
    if field_name in ("context_tokens", "max_output_tokens"):
        return f"{value:,} tokens"
    if isinstance(value, (list, tuple)):
        return "+".join(map(str, value))
    return str(_norm(value))


def format_report(report: DriftReport) -> str:
    """Plain text: every unaccepted difference with what to do, then the accepted ones, then the rest."""
    lines = [
        f"Compared {report.compared} models with a first-party key and {report.offers_compared} other offers "
        f"with {report.source}: {len(report.differences)} differences, {len(report.unexplained)} not accepted."
    ]
    if report.unexplained:
        lines += ["", "Not accepted (fix the catalogue or data/offers.yaml, or record why in drift.yaml):"]
        for d in report.unexplained:
            lines.append(f"  {d.model} [{d.key}] {d.field}: ours {_shown(d.ours, d.field)}, "
                         f"map {_shown(d.map, d.field)} - {d.advice()}")
            lines.append(f"    to accept: {d.as_entry()}")
    accepted = [d for d in report.differences if d.explained]
    if accepted:
        lines += ["", f"Accepted in drift.yaml ({len(accepted)}):"]
        lines += [f"  {d.model} [{d.key}] {d.field}: ours {_shown(d.ours, d.field)}, map {_shown(d.map, d.field)} - {d.accepted}"
                  for d in accepted]
    if report.not_in_map:
        lines += ["", f"litellm_id not in LiteLLM's map ({len(report.not_in_map)}): fix or drop it"]
        lines += [f"  {n.model_id} ({n.litellm_id}): {n.reason}" for n in report.not_in_map]
    if report.through_offers:
        lines += ["", f"No first-party key ({len(report.through_offers)}):"]
        lines += [f"  {model_id}: no first-party key; checked through {n} offers" for model_id, n in report.through_offers.items()]
    if report.stale:
        lines += ["", f"Accepted entries that match no difference any more ({len(report.stale)}): remove them"]
        lines += [f"  {a.model} [{a.key}] {a.field}: ours {a.ours!r}, map {a.map!r}" for a in report.stale]
    return "\n".join(lines)


# --- chat models the catalogue is missing ----------------------------------------------------

# The maker's own provider in LiteLLM's map, found from the catalogue's `provider` field.
FIRST_PARTY_PROVIDERS: dict[str, tuple[str, ...]] = {
    "openai": ("openai",), "anthropic": ("anthropic",), "google": ("gemini", "vertex_ai-language-models"),
    "xai": ("xai",), "deepseek": ("deepseek",), "mistral": ("mistral",), "moonshot": ("moonshot",),
    "alibaba": ("dashscope",), "qwen": ("dashscope",), "minimax": ("minimax",), "zhipu": ("zai",), "z.ai": ("zai",),
    "meta": ("meta",),
}
# Not a chat model a buyer picks: speech, realtime, search, images, embeddings, previews, moving aliases.
_NOT_A_CHAT_MODEL = re.compile(
    r"audio|realtime|search|image|embed|tts|transcri|speech|computer-use|deep-research|robotics|moderation|"
    r"preview|latest|(^|-)exp(-|$)|experimental|beta|customtools|^ft:|:ft-|-ft-|lora|"
    r"(^|-)(\d{4}|\d{6}|\d{8})(-|$)|\d{4}-\d{2}-\d{2}|@"
)
# Words that name a mode of the same model, not another model: 'grok-4.20-reasoning' is grok-4.20.
_MODE_WORDS = {"reasoning", "non", "thinking", "instruct", "it", "chat"}
_VERSION = re.compile(r"\d+(?:\.\d+)*(?:-\d(?![\da-z]))*")  # 4.20, 3.1.2, claude's 5-5


@dataclass(frozen=True)
class ModelName:
    """A model name cut into family stem, version and line words: 'claude-opus-5-5' -> claude, (5, 5), ('opus',)."""

    name: str
    stem: str
    version: tuple[int, ...]
    words: tuple[str, ...]

    @property
    def line(self) -> tuple[str, tuple[str, ...]]:
        return self.stem, self.words

    @property
    def version_text(self) -> str:
        return ".".join(map(str, self.version))


def parse_model_name(name: str) -> ModelName | None:
    """The name's stem (leading letters), first version number and remaining words; None without a version."""
    text = name.lower().rsplit("/", 1)[-1]
    text = re.sub(r"(\d)p(\d)", r"\1.\2", text)
    stem_match = re.match(r"[a-z]+", text)
    if not stem_match:
        return None
    stem = stem_match.group(0)
    rest = text[len(stem):]
    version_match = _VERSION.search(rest)
    if not version_match:
        return None
    version = [int(n) for n in re.split(r"[.-]", version_match.group(0))]
    while len(version) > 1 and version[-1] == 0:
        version.pop()  # mistral-large-4-0 is version 4
    before = [w for w in re.split(r"[-_.\s:]+", rest[:version_match.start()]) if w and w != "v"]  # deepseek-v4
    after = [w for w in re.split(r"[-_.\s:]+", rest[version_match.end():]) if w]
    words = tuple(w for w in before + after if w not in _MODE_WORDS)
    return ModelName(name, stem, tuple(version), words)


@dataclass(frozen=True)
class Missing:
    key: str
    name: str
    why: str


def first_party_providers(catalogue: Catalogue) -> set[str]:
    """The map providers that are the makers of catalogued models."""
    providers: set[str] = set()
    for model in catalogue.models:
        maker = model.provider.lower()
        for word, names in FIRST_PARTY_PROVIDERS.items():
            if word in maker:
                providers.update(names)
    return providers


def _aliases_a_known_key(key: str, entry: dict, known_keys: set[str], price_map: dict[str, dict]) -> bool:
    """An undated alias such as 'gpt-5.6' of a catalogued 'gpt-5.6-sol': same provider, same prices."""
    prices = (entry.get("input_cost_per_token"), entry.get("output_cost_per_token"))
    for known in known_keys:
        other = price_map.get(known)
        if other is not None and known.startswith(key + "-") \
                and other.get("litellm_provider") == entry.get("litellm_provider") \
                and (other.get("input_cost_per_token"), other.get("output_cost_per_token")) == prices:
            return True
    return False


def find_missing(catalogue: Catalogue, price_map: dict[str, dict]) -> list[Missing]:
    """Chat models of the catalogue's makers that are newer than the newest catalogued model of their line.

    A name's line is its family stem plus its other words ('claude' + 'opus'); versions compare as
    numbers, part by part (4.20 > 4.7). Per line, the newest uncatalogued key is listed when the line is
    catalogued and its version is higher than any catalogued one of that line, or when its line is new and its major version is at
    least the newest catalogued major of the family (a new tier of the current generation). Catalogued
    means a catalogue id, a litellm_id or a key in the offers file. Dated snapshots, previews, -latest
    aliases, map aliases, fine-tunes and speech/realtime/search/image/embedding models are not listed.
    """
    providers = first_party_providers(catalogue)
    known_keys = {m.litellm_id for m in catalogue.models if m.litellm_id}
    known_keys |= {o.key for offers in catalogue.offers.values() for o in offers}
    own_names = {m.id for m in catalogue.models} | {m.litellm_id.rsplit("/", 1)[-1].lower()
                                                    for m in catalogue.models if m.litellm_id}
    known_names = own_names | {k.rsplit("/", 1)[-1].lower() for k in known_keys}
    newest_line: dict[tuple, ModelName] = {}
    newest_family: dict[str, ModelName] = {}
    # A line counts as catalogued through any of its names, offers included (a contributor tier
    # mapped as an offer must not make its line look new); families only through catalogued models.
    for name in sorted(known_names):
        parsed = parse_model_name(name)
        if parsed is None:
            continue
        if parsed.line not in newest_line or parsed.version > newest_line[parsed.line].version:
            newest_line[parsed.line] = parsed
        if name in own_names and (parsed.stem not in newest_family or parsed.version > newest_family[parsed.stem].version):
            newest_family[parsed.stem] = parsed
    best: dict[tuple, tuple[ModelName, str]] = {}  # per line, the newest uncatalogued name and its key
    for key, entry in price_map.items():
        if entry.get("mode") != "chat" or entry.get("litellm_provider") not in providers or entry.get("alias_of"):
            continue
        name = key.rsplit("/", 1)[-1].lower()
        if key in known_keys or name in known_names or _NOT_A_CHAT_MODEL.search(name):
            continue
        parsed = parse_model_name(name)
        if parsed is None or parsed.stem not in newest_family or _aliases_a_known_key(key, entry, known_keys, price_map):
            continue
        current = best.get(parsed.line)
        if current is None or parsed.version > current[0].version:
            best[parsed.line] = (parsed, key)
    missing = []
    for line, (parsed, key) in best.items():
        line_best, family_best = newest_line.get(line), newest_family[parsed.stem]
        words = " ".join(parsed.words)
        if line_best is not None:
            if parsed.version > line_best.version:
                missing.append(Missing(key, parsed.name, f"{parsed.version_text} is newer than the newest catalogued "
                                       + f"{parsed.stem} {words}".rstrip() + f" ({line_best.name}, {line_best.version_text})"))
        elif parsed.version[0] >= family_best.version[0]:
            missing.append(Missing(key, parsed.name, f"{parsed.stem} {words or '(no tier word)'} is a line the catalogue "
                                   f"lacks, at {parsed.version_text}; the newest catalogued {parsed.stem} is "
                                   f"{family_best.name} ({family_best.version_text})"))
    return sorted(missing, key=lambda m: m.key)
