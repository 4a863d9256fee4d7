"""The curated catalogue: pydantic schema, loading and validation.

data/models.yaml is the one source of model facts. Unknown values are null (None here),
never 0: every consumer must treat None as "unknown" explicitly.

The default file is data/models.yaml; set the environment variable SELECTOR_CATALOGUE to a path
to make the app, the CLI and the library use another catalogue (tests, a private catalogue).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import re
from functools import cached_property
from pathlib import Path
from typing import Annotated, Literal

from pydantic import AllowInfNan, BaseModel, ConfigDict, Field, Strict, ValidationError, field_validator, model_validator

from selector.errors import CatalogueError, SelectorError, unknown_id_message
from selector.files import parse_yaml, read_text
from selector.offers import Offer, load_price_map, offers_path_for, parse_offers, price_map_path

DEFAULT_CATALOGUE = Path(__file__).resolve().parent.parent / "data" / "models.yaml"
# Environment variable naming another catalogue file to use by default (tests, private catalogues).
CATALOGUE_ENV = "SELECTOR_CATALOGUE"

Modality = Literal["text", "image", "audio", "video"]
OutputModality = Literal["text", "image", "audio"]
Status = Literal["active", "deprecated", "retired"]
Strength = Literal[
    "reasoning",
    "math",
    "code",
    "agents",
    "tool_use",
    "long_context",
    "multimodal",
    "instruction_following",
    "multilingual",
    "writing",
    "summarization",
    "extraction",
    "structured_output",
    "chat",
    "speed",
    "cost_efficiency",
    "edge",
    "fine_tuning",
    "safety",
]
# Numbers in files and links: a real int or float, finite; never a string ("128000"), a bool (true as 1),
# NaN or an infinity. Every field using them also states an upper bound, so no absurd magnitude gets in.
FiniteNumber = Annotated[float, Strict(), AllowInfNan(False)]
Count = Annotated[int, Strict()]
MAX_TOKENS = 100_000_000  # far above any context window today (10M), far below float precision trouble
MAX_USD_PER_MTOK = 100_000.0


class _Closed(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class BenchmarkSpec(_Closed):
    """One comparable setting of one test: every score filed under this key was measured this way."""

    label: str
    shots: int | None  # None: not a few-shot test (arena ratings, agentic tasks)
    cot: bool | None  # chain of thought before the answer; None: not applicable
    metric: str
    low: float = 0.0  # the scale's floor and ceiling (percentages unless said otherwise)
    high: float = 100.0
    language: str | None = None  # language tests: the one language this key measures (None: English)
    independent: bool = False  # measured by a third party the same way for every model (arena, index)


def _spec(label: str, shots: int | None, cot: bool | None, metric: str, **extra) -> BenchmarkSpec:
    return BenchmarkSpec(label=label, shots=shots, cot=cot, metric=metric, **extra)


# One key per comparable setting: a score measured another way (other shots, CoT on/off, another
# year's AIME, MATH against MATH-500, avg@k against pass@1) goes under its own key or not at all.
BENCHMARK_SPECS: dict[str, BenchmarkSpec] = {
    "mmlu": _spec("MMLU, 5-shot (general knowledge, %)", 5, False, "accuracy"),
    "mmlu_cot": _spec("MMLU, 0-shot chain of thought (general knowledge, %)", 0, True, "accuracy"),
    "mmlu_pro": _spec("MMLU-Pro, 5-shot chain of thought (harder general knowledge, %)", 5, True, "accuracy"),
    "mmlu_pro_0shot": _spec("MMLU-Pro, 0-shot chain of thought (harder general knowledge, %)", 0, True, "accuracy"),
    "gpqa_diamond": _spec("GPQA Diamond, 0-shot chain of thought (graduate-level science, %)", 0, True, "pass@1"),
    "math": _spec("MATH, full test set, chain of thought (competition mathematics, %)", 0, True, "accuracy"),
    "math_500": _spec("MATH-500, 0-shot chain of thought (competition mathematics subset, %)", 0, True, "pass@1"),
    "aime_2024": _spec("AIME 2024, pass@1 (olympiad mathematics, %)", 0, True, "pass@1"),
    "aime_2025": _spec("AIME 2025, pass@1 (olympiad mathematics, %)", 0, True, "pass@1"),
    "humaneval": _spec("HumanEval, 0-shot pass@1 (Python code generation, %)", 0, False, "pass@1"),
    "livecodebench": _spec("LiveCodeBench, pass@1 (fresh coding problems, %; window in the snapshot note)", 0, True, "pass@1"),
    "swe_bench_verified": _spec("SWE-bench Verified, agentic (real repository fixes, % resolved)", None, None, "resolved"),
    "mmmu": _spec("MMMU validation, 0-shot (multimodal understanding, %)", 0, None, "accuracy"),
    "ifeval": _spec("IFEval, prompt-level strict (instruction following, %)", 0, False, "prompt_strict"),
    "ifeval_avg": _spec("IFEval, mean of prompt and instruction strict (instruction following, %)", 0, False, "average_strict"),
    "lmarena_text": _spec(
        "LMArena text Elo (independent human preference rating)", None, None, "elo",
        low=800.0, high=1800.0, independent=True,
    ),
    # Language evidence: each key measures one language.
    "c_eval": _spec("C-Eval, 5-shot (Chinese knowledge, %)", 5, False, "accuracy", language="zh"),
    "cmmlu": _spec("CMMLU, 5-shot (Chinese knowledge, %)", 5, False, "accuracy", language="zh"),
    "mmmlu_zh": _spec("MMMLU Chinese, 0-shot (translated MMLU, %)", 0, None, "accuracy", language="zh"),
    "mmmlu_es": _spec("MMMLU Spanish, 0-shot (translated MMLU, %)", 0, None, "accuracy", language="es"),
    "mmmlu_fr": _spec("MMMLU French, 0-shot (translated MMLU, %)", 0, None, "accuracy", language="fr"),
    "mmmlu_de": _spec("MMMLU German, 0-shot (translated MMLU, %)", 0, None, "accuracy", language="de"),
    "mmmlu_ja": _spec("MMMLU Japanese, 0-shot (translated MMLU, %)", 0, None, "accuracy", language="ja"),
    "mgsm": _spec("MGSM, all languages (multilingual grade-school math, %)", 0, True, "accuracy", language="mul"),
    "jmmlu": _spec("JMMLU, 5-shot (Japanese knowledge, %)", 5, False, "accuracy", language="ja"),
    "kmmlu": _spec("KMMLU, 5-shot (Korean knowledge, %)", 5, False, "accuracy", language="ko"),
}
BENCHMARKS: dict[str, str] = {key: spec.label for key, spec in BENCHMARK_SPECS.items() if spec.language is None}
LANGUAGE_BENCHMARKS: dict[str, str] = {
    key: spec.label for key, spec in BENCHMARK_SPECS.items() if spec.language is not None
}
BenchmarkName = Literal[tuple(BENCHMARKS)]  # type: ignore[valid-type]
LanguageBenchmarkName = Literal[tuple(LANGUAGE_BENCHMARKS)]  # type: ignore[valid-type]

_ID = re.compile(r"^[a-z0-9][a-z0-9.\-]*$")
_LANG = re.compile(r"^[a-z]{2}$")


class BenchmarkScore(_Closed):
    """A published score with the setting it was measured in and the snapshot it belongs to."""

    score: FiniteNumber = Field(ge=-1e6, le=1e6)
    shots: Count | None = Field(ge=0, le=1000)
    cot: bool | None
    thinking: bool  # extended thinking / reasoning on while answering
    metric: str = Field(min_length=1)
    snapshot: str = Field(min_length=1)  # the exact model version measured (e.g. gpt-4o-2024-05-13)
    source: str = Field(min_length=1)
    date: dt.date | None = None  # when the figure was published or measured (required for independent ratings)
    interval: tuple[FiniteNumber, FiniteNumber] | None = None  # a published 95% interval, where the source gives one
    note: str | None = None


class LanguageScore(BenchmarkScore):
    """A score that measures one language (C-Eval, CMMLU, MMMLU per language, JMMLU, MGSM...)."""

    benchmark: LanguageBenchmarkName  # type: ignore[valid-type]
    language: str


def setting_problems(key: str, score: BenchmarkScore) -> list[str]:
    """Why a score cannot be filed under `key` (its setting differs from the key's), or []."""
    spec = BENCHMARK_SPECS[key]
    problems = []
    if not spec.low <= score.score <= spec.high:
        problems.append(f"score {score.score:g} is outside {key}'s scale {spec.low:g}..{spec.high:g}")
    if score.shots != spec.shots:
        problems.append(f"shots {score.shots} does not match {key} ({spec.shots}-shot); file it under another key")
    if score.cot != spec.cot:
        problems.append(f"cot {score.cot} does not match {key} (cot {spec.cot}); file it under another key")
    if score.metric != spec.metric:
        problems.append(f"metric {score.metric!r} does not match {key} ({spec.metric!r}); file it under another key")
    if spec.independent and score.date is None:
        problems.append(f"{key} is an independent rating and needs the date it was read")
    return problems


class Speed(_Closed):
    """Measured or published serving speed of the model's main API."""

    ttft_ms: FiniteNumber | None = Field(default=None, gt=0, le=3_600_000)
    output_tokens_per_s: FiniteNumber | None = Field(default=None, gt=0, le=1_000_000)
    source: str = Field(min_length=1)
    date: dt.date | None = None


class Checked(_Closed):
    """When each group of facts was last checked against its source."""

    prices: dt.date | None = None
    limits: dt.date | None = None  # context window, max output, modalities
    benchmarks: dt.date | None = None
    languages: dt.date | None = None
    lifecycle: dt.date | None = None


class Model(_Closed):
    id: str
    name: str = Field(min_length=1)
    provider: str = Field(min_length=1)
    family: str = Field(min_length=1)
    open_weights: bool
    license: str = Field(min_length=1)
    params_b: FiniteNumber | None = Field(gt=0, le=1_000_000)
    active_params_b: FiniteNumber | None = Field(default=None, gt=0, le=1_000_000)
    context_tokens: Count | None = Field(gt=0, le=MAX_TOKENS)
    max_output_tokens: Count | None = Field(gt=0, le=MAX_TOKENS)
    input_usd_per_mtok: FiniteNumber | None = Field(ge=0, le=MAX_USD_PER_MTOK)
    output_usd_per_mtok: FiniteNumber | None = Field(ge=0, le=MAX_USD_PER_MTOK)
    cached_input_usd_per_mtok: FiniteNumber | None = Field(default=None, ge=0, le=MAX_USD_PER_MTOK)
    price_source: str | None = None
    price_note: str | None = None
    input_modalities: list[Modality] = Field(min_length=1)
    output_modalities: list[OutputModality] = Field(min_length=1)
    reasoning: bool = False
    # Whether a reasoning model can answer with no (or minimal) thinking: hybrid models, effort "minimal".
    thinking_optional: bool | None = None
    strengths: list[Strength] = Field(default_factory=list)
    languages: list[str] = Field(min_length=1)
    languages_source: str | None = None  # the model card the language list was taken from
    language_scores: list[LanguageScore] = Field(default_factory=list)
    benchmarks: dict[BenchmarkName, BenchmarkScore] = Field(default_factory=dict)  # type: ignore[valid-type]
    evidence_note: str | None = None  # required when no benchmark is published: what was looked for
    speed: Speed | None = None
    # KV cache per token of context at 16-bit (2 x layers x kv_heads x head_dim x 2 bytes), from config.json.
    kv_cache_kb_per_token: FiniteNumber | None = Field(default=None, gt=0, le=100_000_000)
    fine_tuning_api: bool | None = None
    release_date: dt.date | None
    status: Status = "active"
    shutdown_date: dt.date | None = None  # announced end of service (API models)
    successor: str | None = None  # the catalogue id the maker names as replacement
    lifecycle_source: str | None = None
    litellm_id: str | None = None
    sources: list[str] = Field(min_length=1)
    checked: Checked = Field(default_factory=Checked)
    as_of: dt.date
    notes: str | None = None

    @field_validator("id")
    @classmethod
    def _id_is_slug(cls, value: str) -> str:
        if not _ID.match(value):
            raise ValueError("must be lower-case letters, digits, '.' and '-' (e.g. 'gpt-4o')")
        return value

    @field_validator("languages")
    @classmethod
    def _languages_are_iso(cls, value: list[str]) -> list[str]:
        bad = [code for code in value if not _LANG.match(code)]
        if bad:
            raise ValueError(f"must be ISO 639-1 codes such as 'en' (got {', '.join(map(repr, bad))})")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> Model:
        if self.active_params_b is not None and self.params_b is not None and self.active_params_b > self.params_b:
            raise ValueError(f"active_params_b ({self.active_params_b}) exceeds params_b ({self.params_b})")
        priced = self.input_usd_per_mtok is not None or self.output_usd_per_mtok is not None
        if priced and not self.price_source:
            raise ValueError("price_source is required when a price is given")
        if "text" not in self.input_modalities:
            raise ValueError("input_modalities must include 'text'")
        problems = [f"benchmarks.{key}: {p}" for key, score in self.benchmarks.items() for p in setting_problems(key, score)]
        for index, item in enumerate(self.language_scores):
            spec = BENCHMARK_SPECS[item.benchmark]
            where = f"language_scores[{index}] ({item.benchmark})"
            problems += [f"{where}: {p}" for p in setting_problems(item.benchmark, item)]
            if spec.language not in ("mul", item.language):
                problems.append(f"{where}: language {item.language!r} but {item.benchmark} measures {spec.language!r}")
            if not _LANG.match(item.language):
                problems.append(f"{where}: language must be an ISO 639-1 code (got {item.language!r})")
        if not self.benchmarks and not self.evidence_note:
            problems.append("no benchmark: evidence_note must say that none is published (and what was searched)")
        if self.shutdown_date is not None and not self.lifecycle_source:
            problems.append("lifecycle_source is required when a shutdown_date is given")
        if priced and self.checked.prices is None:
            problems.append("checked.prices (the date the price was checked) is required when a price is given")
        if self.benchmarks and self.checked.benchmarks is None:
            problems.append("checked.benchmarks (the date the scores were checked) is required when benchmarks are given")
        if problems:
            raise ValueError("; ".join(problems))
        return self

    @property
    def is_moe(self) -> bool:
        return self.active_params_b is not None

    @property
    def is_retired(self) -> bool:
        return self.status == "retired"

    def days_to_shutdown(self, today: dt.date) -> int | None:
        """Days from `today` until the announced shutdown (negative once past), or None when none is announced."""
        return None if self.shutdown_date is None else (self.shutdown_date - today).days

    def language_evidence(self, language: str) -> list[LanguageScore]:
        """Scores measuring this language (MGSM counts for every language it covers)."""
        return [s for s in self.language_scores if s.language == language]

    @property
    def has_api_price(self) -> bool:
        return self.input_usd_per_mtok is not None and self.output_usd_per_mtok is not None


# Offer tiers that are never chosen on the user's behalf (see Catalogue.live_offers).
RESTRICTED_TIERS = ("contributor", "mythos")


class Catalogue(BaseModel):
    """A validated catalogue; `path` says where it came from."""

    model_config = ConfigDict(extra="forbid", frozen=True, arbitrary_types_allowed=True)

    models: list[Model]
    path: str = "<memory>"
    # Hosted offers per model id, from the offers file next to the catalogue (data/offers.yaml).
    offers: dict[str, tuple[Offer, ...]] = Field(default_factory=dict)
    offers_path: str | None = None

    @model_validator(mode="after")
    def _successors_known(self) -> Catalogue:
        ids = {model.id for model in self.models}
        unknown = [f"model {m.id!r}: successor {m.successor!r} is not in the catalogue" for m in self.models
                   if m.successor is not None and m.successor not in ids]
        if unknown:
            raise ValueError("; ".join(unknown))
        return self

    @cached_property
    def by_id(self) -> dict[str, Model]:
        return {model.id: model for model in self.models}

    @cached_property
    def as_of(self) -> dt.date | None:
        return max((model.as_of for model in self.models), default=None)

    def live_offers(self, today: dt.date) -> dict[str, tuple[Offer, ...]]:
        """Per model id, the offers the engine may price it through on `today`: priced, not past their
        deprecation date, not the maker's own key (the catalogue's checked price stands for it), and
        not a tier a team would not pick unasked (a 'contributor' tier trains on your data; 'mythos'
        is a restricted programme). Worked out once per date: the engine asks on every ranking."""
        memo = vars(self).setdefault("_live_offers", {})
        live = memo.get(today)
        if live is None:
            own = {m.id: m.litellm_id for m in self.models}
            live = memo[today] = {
                model_id: kept for model_id, offers in self.offers.items()
                if (kept := tuple(o for o in offers if o.is_live(today) and o.key != own.get(model_id)
                                  and not (o.variant and any(t in o.variant for t in RESTRICTED_TIERS))))
            }
        return live

    def live_price_rows(self, today: dt.date) -> dict[str, tuple[tuple, ...]]:
        """live_offers() unpacked for pricing (offers.price_rows), once per date."""
        from selector.offers import price_rows

        memo = vars(self).setdefault("_live_price_rows", {})
        rows = memo.get(today)
        if rows is None:
            rows = memo[today] = {model_id: price_rows(offers) for model_id, offers in self.live_offers(today).items()}
        return rows

    @property
    def ids(self) -> list[str]:
        return [model.id for model in self.models]

    def get(self, model_id: str) -> Model:
        """The model with this id, or CatalogueError naming the closest ids."""
        try:
            return self.by_id[model_id]
        except KeyError:
            raise CatalogueError(unknown_id_message(model_id, self.ids)) from None

    def subset(self, ids: list[str]) -> Catalogue:
        """A catalogue restricted to `ids` (each must exist)."""
        for model_id in ids:
            self.get(model_id)
        wanted = set(ids)
        return Catalogue(
            models=[m for m in self.models if m.id in wanted], path=self.path,
            offers={k: v for k, v in self.offers.items() if k in wanted}, offers_path=self.offers_path,
        )

    def offers_for(self, model_id: str) -> tuple[Offer, ...]:
        """The hosted offers curated for this model (empty when none is listed); CatalogueError for an unknown id."""
        self.get(model_id)
        return self.offers.get(model_id, ())

    def with_offers(self, offers: dict[str, tuple[Offer, ...]], offers_path: str | None = None) -> Catalogue:
        """The same models with these offers attached."""
        return Catalogue(models=self.models, path=self.path, offers=offers, offers_path=offers_path)


def _field_path(parts: list) -> str:
    """'benchmarks.mmlu.score', 'input_modalities[1]': a field path as a person would write it."""
    text = ""
    for part in parts:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def _describe(error: dict, entries: list) -> tuple[str, str]:
    """(entry label, field path) for one pydantic error raised while validating `models`."""
    loc = [part for part in error["loc"] if part != "[key]"]
    if len(loc) >= 2 and loc[0] == "models" and isinstance(loc[1], int):
        index = loc[1]
        entry = entries[index] if index < len(entries) else None
        entry_id = entry.get("id") if isinstance(entry, dict) else None
        label = f"model {entry_id!r}" if entry_id else f"model #{index + 1} (no id)"
        parts = loc[2:]
        if "[key]" in error["loc"]:
            parts = parts[:-1]  # the bad key itself is reported in the message
        return label, _field_path(parts)
    return "top level", _field_path(loc)


# Plain-language wording for pydantic's error types ("must ..." follows the field name).
_WORDING = {
    "int_parsing": "must be a whole number",
    "int_from_float": "must be a whole number",
    "int_type": "must be a whole number",
    "float_parsing": "must be a number",
    "float_type": "must be a number",
    "bool_parsing": "must be true or false",
    "bool_type": "must be true or false",
    "string_type": "must be text",
    "list_type": "must be a list",
    "dict_type": "must be a mapping of names to values",
    "model_type": "must be a mapping of field: value",
    "model_attributes_type": "must be a mapping of field: value",
    "date_parsing": "must be a date written YYYY-MM-DD",
    "date_type": "must be a date written YYYY-MM-DD",
    "date_from_datetime_parsing": "must be a date written YYYY-MM-DD",
    "date_from_datetime_inexact": "must be a date written YYYY-MM-DD, without a time",
    "string_too_short": "must not be empty",
    "too_short": "must not be empty",
}


def _shown(value: object) -> str:
    if isinstance(value, (dict, list)):
        return f"a {'mapping' if isinstance(value, dict) else 'list'}"
    return repr(value)


def _message(error: dict) -> str:
    """The part of a problem's sentence that follows the field name."""
    kind, msg, ctx = error["type"], error["msg"], error.get("ctx") or {}
    if kind == "missing":
        return "is required but missing"
    if kind == "extra_forbidden":
        return "is not a known field (typo?)"
    if kind == "literal_error":
        expected = msg.split("Input should be ", 1)[-1]
        if "[key]" in error["loc"]:
            return f"has an unknown key {error.get('input')!r} (known keys: {expected})"
        return f"must be one of {expected} (got {error.get('input')!r})"
    if kind == "value_error":
        text = msg.removeprefix("Value error, ")
        return text  # our validators already name the field and the value
    bounds = {"greater_than_equal": ">=", "greater_than": ">", "less_than_equal": "<=", "less_than": "<"}
    if kind in bounds:
        limit = next(iter(ctx.values()), "?")
        if isinstance(limit, float) and limit.is_integer():
            limit = int(limit)
        text = f"must be {bounds[kind]} {limit}"
    else:
        text = _WORDING.get(kind) or msg.replace("Input should be", "must be", 1)
        text = text[0].lower() + text[1:]
    if "input" in error and kind not in ("too_short", "string_too_short"):
        text += f" (got {_shown(error['input'])})"
    return text


def parse_catalogue(data: object, path: str = "<memory>") -> Catalogue:
    """Validate already-parsed YAML data; raise CatalogueError listing every problem."""
    if not isinstance(data, dict) or "models" not in data:
        if data is None:
            got = "an empty file"
        elif isinstance(data, dict):
            got = f"only {', '.join(map(repr, data))}" if data else "an empty mapping"
        else:
            got = _shown(data) if isinstance(data, list) else repr(data)
        raise CatalogueError(f"catalogue {path}: expected a top-level 'models:' list (got {got})")
    problems = [
        f"catalogue {path}, top level: {key} is not a known field (only 'models:' is expected)"
        for key in data
        if key != "models"
    ]
    entries = data["models"]
    if not isinstance(entries, list):
        problems.append(f"catalogue {path}, top level: models must be a list of model entries (got {_shown(entries)})")
        raise CatalogueError(problems)
    if not entries:
        problems.append(f"catalogue {path}, top level: models is empty (a catalogue needs at least one model)")
        raise CatalogueError(problems)
    first_index: dict[str, int] = {}
    for index, entry in enumerate(entries):
        entry_id = entry.get("id") if isinstance(entry, dict) else None
        if not isinstance(entry_id, str):
            continue
        if entry_id in first_index:
            problems.append(
                f"catalogue {path}, model {entry_id!r}: id is duplicated "
                f"(entries #{first_index[entry_id] + 1} and #{index + 1}; ids must be unique)"
            )
        else:
            first_index[entry_id] = index
    try:
        catalogue = Catalogue(models=entries, path=path)
    except ValidationError as exc:
        for error in exc.errors():
            label, field = _describe(error, entries)
            sentence = f"{field} {_message(error)}" if field else _message(error)
            problems.append(f"catalogue {path}, {label}: {sentence}")
    if problems:
        raise CatalogueError(problems)
    return catalogue


def default_catalogue_path() -> Path:
    """The catalogue used when none is named: $SELECTOR_CATALOGUE if set, else data/models.yaml."""
    override = os.environ.get(CATALOGUE_ENV, "").strip()
    return Path(override) if override else DEFAULT_CATALOGUE


def load_catalogue(path: str | Path | None = None, price_map: str | Path | None = None) -> Catalogue:
    """Load and validate a catalogue file (default: default_catalogue_path()) and the offers file next to it.

    `price_map` names a LiteLLM-format JSON map to check the offers against (default: the installed litellm's).
    A valid catalogue is cached on disk (selector/cache.py), keyed by the files'
    content: the next process skips parsing and validating them.
    """
    from selector.cache import cached, fingerprint

    path = Path(path) if path else default_catalogue_path()
    try:
        map_path = Path(price_map) if price_map else price_map_path()
    except SelectorError:
        map_path = None
    try:
        key = fingerprint([path, offers_path_for(path)], [map_path] if map_path else [])
    except OSError:  # unreadable: the uncached load says so in its own words
        return _load_catalogue(path, price_map)
    key = f"{key}-{hashlib.sha256(_display_path(path).encode()).hexdigest()[:8]}"  # the path shown in messages

    catalogue = cached("catalogue", key, lambda: _load_catalogue(path, price_map))
    vars(catalogue)["_cache_key"] = key  # selector.capability caches this catalogue's fit under the same key
    return catalogue


def _load_catalogue(path: Path, price_map: str | Path | None) -> Catalogue:
    shown = _display_path(path)
    label = f"catalogue {shown}"
    data = parse_yaml(read_text(path, label, CatalogueError), label, CatalogueError)
    catalogue = parse_catalogue(data, shown)
    offers_file = offers_path_for(path)
    if not offers_file.is_file():
        return catalogue  # a catalogue without an offers file simply has no offers
    offers_shown = _display_path(offers_file)
    offers_label = f"offers {offers_shown}"
    offers_data = parse_yaml(read_text(offers_file, offers_label, CatalogueError), offers_label, CatalogueError)
    try:
        the_map = load_price_map(price_map)
    except SelectorError as exc:  # no map to check the offers against
        raise CatalogueError(f"{offers_label}: cannot be checked: {exc}") from None
    offers = parse_offers(offers_data, catalogue.ids, the_map, offers_label, f"catalogue {shown}")
    return catalogue.with_offers(offers, offers_shown)


def _display_path(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)
