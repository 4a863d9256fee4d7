"""Catalogue drift: compare our prices and context windows with LiteLLM's bundled price map.

Offline by design: the map is read as JSON from the installed litellm package without importing
litellm (its import is slow and may try the network). Prices in the map are USD per token; the
catalogue's are USD per 1M tokens. A difference is fine when the model carries a `price_note`
saying why (e.g. LiteLLM lists a different context tier); an unexplained one is a defect.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import json
import math
from dataclasses import asdict, dataclass, field
from pathlib import Path

from selector.catalogue import Catalogue, Model
from selector.errors import SelectorError

PRICE_MAP_FILE = "model_prices_and_context_window_backup.json"
TOKENS_PER_MTOK = 1_000_000
# Words a price_note must contain to explain a difference in each field.
_PRICE_WORDS = ("price", "$", "cost", "free", "tier", "per 1m", "mtok")
_NOTE_WORDS = {
    "input_usd_per_mtok": _PRICE_WORDS,
    "output_usd_per_mtok": _PRICE_WORDS,
    "context_tokens": ("context", "window", "input limit", "max_input"),
}


@dataclass(frozen=True)
class Difference:
    """One field where the catalogue and LiteLLM's map disagree."""

    model_id: str
    litellm_id: str
    field: str
    ours: float | int | None
    litellm: float | int | None
    price_note: str | None

    @property
    def explained(self) -> bool:
        """The model's price_note speaks of this field's subject (a note about prices does not excuse a context gap)."""
        note = (self.price_note or "").lower()
        return any(word in note for word in _NOTE_WORDS[self.field])


@dataclass(frozen=True)
class NotInMap:
    model_id: str
    litellm_id: str | None
    reason: str


@dataclass
class DriftReport:
    differences: list[Difference] = field(default_factory=list)
    not_in_map: list[NotInMap] = field(default_factory=list)
    compared: int = 0
    source: str = "<memory>"

    @property
    def unexplained(self) -> list[Difference]:
        return [d for d in self.differences if not d.explained]

    def to_dict(self) -> dict:
        return {
            "source": self.source,
            "compared": self.compared,
            "differences": [asdict(d) | {"explained": d.explained} for d in self.differences],
            "not_in_map": [asdict(n) for n in self.not_in_map],
            "unexplained": len(self.unexplained),
        }


def price_map_path() -> Path:
    """Where the installed litellm keeps its bundled map (found without importing litellm)."""
    spec = importlib.util.find_spec("litellm")
    if spec is None or not spec.submodule_search_locations:
        raise SelectorError("litellm is not installed, so its bundled price map cannot be read")
    for location in spec.submodule_search_locations:
        candidate = Path(location) / PRICE_MAP_FILE
        if candidate.is_file():
            return candidate
    raise SelectorError(f"the installed litellm has no {PRICE_MAP_FILE}; cannot check drift")


def load_price_map(path: str | Path | None = None) -> dict[str, dict]:
    """LiteLLM's price map as a dict keyed by LiteLLM model name."""
    path = Path(path) if path else price_map_path()
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise SelectorError(f"cannot read LiteLLM's price map {path}: {exc}") from None
    return {key: value for key, value in data.items() if isinstance(value, dict) and key != "sample_spec"}


def litellm_version() -> str | None:
    try:
        return importlib.metadata.version("litellm")
    except importlib.metadata.PackageNotFoundError:
        return None


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


def _per_mtok(per_token: object) -> float | None:
    if not isinstance(per_token, (int, float)):
        return None
    # Round away float noise from the per-token representation (2.5e-06 * 1e6 = 2.4999999999999996).
    return round(per_token * TOKENS_PER_MTOK, 6)


def _context(entry: dict) -> int | None:
    for key in ("max_input_tokens", "max_tokens"):
        value = entry.get(key)
        if isinstance(value, (int, float)) and value > 0:
            return int(value)
    return None


def _same(ours: float | int | None, theirs: float | int | None) -> bool:
    if ours is None or theirs is None:
        return ours is None and theirs is None
    return math.isclose(ours, theirs, rel_tol=1e-9, abs_tol=1e-9)


def compare_model(model: Model, entry: dict, key: str) -> list[Difference]:
    """Differences between one catalogue model and its map entry (fields the map does not give are skipped)."""
    pairs = [
        ("input_usd_per_mtok", model.input_usd_per_mtok, _per_mtok(entry.get("input_cost_per_token"))),
        ("output_usd_per_mtok", model.output_usd_per_mtok, _per_mtok(entry.get("output_cost_per_token"))),
        ("context_tokens", model.context_tokens, _context(entry)),
    ]
    return [
        Difference(model.id, key, name, ours, theirs, model.price_note)
        for name, ours, theirs in pairs
        if theirs is not None and not _same(ours, theirs)
    ]


def compare_catalogue(catalogue: Catalogue, price_map: dict[str, dict], source: str = "<memory>") -> DriftReport:
    """Every difference between the catalogue and the map, and the models the map does not know."""
    report = DriftReport(source=source)
    for model in catalogue.models:
        if not model.litellm_id:
            report.not_in_map.append(NotInMap(model.id, None, "no litellm_id in the catalogue"))
            continue
        found = find_entry(model.litellm_id, price_map)
        if found is None:
            report.not_in_map.append(NotInMap(model.id, model.litellm_id, "litellm_id not in LiteLLM's map"))
            continue
        key, entry = found
        report.compared += 1
        report.differences.extend(compare_model(model, entry, key))
    return report


def check_drift(catalogue: Catalogue, map_path: str | Path | None = None) -> DriftReport:
    """Compare a catalogue with the installed litellm's bundled map (or the map at `map_path`)."""
    path = Path(map_path) if map_path else price_map_path()
    version = litellm_version()
    source = f"{path.name} from litellm {version}" if version and not map_path else str(path)
    return compare_catalogue(catalogue, load_price_map(path), source=source)


def _shown(value: float | int | None, field_name: str) -> str:
    if value is None:
        return "unknown"
    if field_name == "context_tokens":
        return f"{value:,} tokens"
    return f"${value:g}/1M"


def format_report(report: DriftReport) -> str:
    """A plain-text report: differences (explained or not), then the models the map does not know."""
    lines = [
        f"Compared {report.compared} models with {report.source}: {len(report.differences)} differences, "
        f"{len(report.unexplained)} not explained by a price_note."
    ]
    if report.differences:
        lines.append("")
        lines.append("Differences (model, field: ours vs LiteLLM's):")
        for d in report.differences:
            why = f"explained: {d.price_note}" if d.explained else "UNEXPLAINED (fix the value, or say why in price_note naming the price or context window)"
            lines.append(
                f"  {d.model_id} [{d.litellm_id}] {d.field}: {_shown(d.ours, d.field)} vs "
                f"{_shown(d.litellm, d.field)} - {why}"
            )
    if report.not_in_map:
        lines.append("")
        lines.append(f"Not in LiteLLM's map ({len(report.not_in_map)}):")
        for n in report.not_in_map:
            named = f" ({n.litellm_id})" if n.litellm_id else ""
            lines.append(f"  {n.model_id}{named}: {n.reason}")
    return "\n".join(lines)
