"""The curated catalogue: pydantic schema, loading and validation.

data/models.yaml is the one source of model facts. Unknown values are null (None here),
never 0: every consumer must treat None as "unknown" explicitly.

The default file is data/models.yaml; set the environment variable SELECTOR_CATALOGUE to a path
to make the app, the CLI and the library use another catalogue (tests, a private catalogue).
"""

from __future__ import annotations

import datetime as dt
import os
import re
from functools import cached_property
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from selector.errors import CatalogueError
from selector.files import parse_yaml, read_text

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
# Benchmarks the catalogue may carry; every score is a percentage (0..100).
BENCHMARKS: dict[str, str] = {
    "mmlu": "MMLU (general knowledge, %)",
    "mmlu_pro": "MMLU-Pro (harder general knowledge, %)",
    "gpqa_diamond": "GPQA Diamond (graduate-level science reasoning, %)",
    "math": "MATH (competition mathematics, %)",
    "aime": "AIME (olympiad mathematics, %; the year is in the source)",
    "humaneval": "HumanEval (Python code generation, pass@1 %)",
    "livecodebench": "LiveCodeBench (fresh coding problems, %)",
    "swe_bench_verified": "SWE-bench Verified (real repository fixes, %)",
    "mmmu": "MMMU (multimodal understanding, %)",
    "ifeval": "IFEval (instruction following, %)",
}
BenchmarkName = Literal[tuple(BENCHMARKS)]  # type: ignore[valid-type]

_ID = re.compile(r"^[a-z0-9][a-z0-9.\-]*$")
_LANG = re.compile(r"^[a-z]{2}$")


class _Closed(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class BenchmarkScore(_Closed):
    score: float = Field(ge=0, le=100)
    source: str = Field(min_length=1)


class Speed(_Closed):
    """Measured or published serving speed of the model's main API."""

    ttft_ms: float | None = Field(default=None, gt=0)
    output_tokens_per_s: float | None = Field(default=None, gt=0)
    source: str = Field(min_length=1)


class Model(_Closed):
    id: str
    name: str = Field(min_length=1)
    provider: str = Field(min_length=1)
    family: str = Field(min_length=1)
    open_weights: bool
    license: str = Field(min_length=1)
    params_b: float | None = Field(gt=0)
    active_params_b: float | None = Field(default=None, gt=0)
    context_tokens: int | None = Field(gt=0)
    max_output_tokens: int | None = Field(gt=0)
    input_usd_per_mtok: float | None = Field(ge=0)
    output_usd_per_mtok: float | None = Field(ge=0)
    cached_input_usd_per_mtok: float | None = Field(default=None, ge=0)
    price_source: str | None = None
    price_note: str | None = None
    input_modalities: list[Modality] = Field(min_length=1)
    output_modalities: list[OutputModality] = Field(min_length=1)
    reasoning: bool = False
    strengths: list[Strength] = Field(default_factory=list)
    languages: list[str] = Field(min_length=1)
    benchmarks: dict[BenchmarkName, BenchmarkScore] = Field(default_factory=dict)  # type: ignore[valid-type]
    speed: Speed | None = None
    fine_tuning_api: bool | None = None
    release_date: dt.date | None
    status: Status = "active"
    litellm_id: str | None = None
    sources: list[str] = Field(min_length=1)
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
        return self

    @property
    def is_moe(self) -> bool:
        return self.active_params_b is not None

    @property
    def is_retired(self) -> bool:
        return self.status == "retired"

    @property
    def has_api_price(self) -> bool:
        return self.input_usd_per_mtok is not None and self.output_usd_per_mtok is not None


class Catalogue(BaseModel):
    """A validated catalogue; `path` says where it came from."""

    model_config = ConfigDict(extra="forbid", frozen=True, arbitrary_types_allowed=True)

    models: list[Model]
    path: str = "<memory>"

    @cached_property
    def by_id(self) -> dict[str, Model]:
        return {model.id: model for model in self.models}

    @property
    def as_of(self) -> dt.date | None:
        return max((model.as_of for model in self.models), default=None)

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
        return Catalogue(models=[m for m in self.models if m.id in wanted], path=self.path)


def unknown_id_message(model_id: str, known: list[str]) -> str:
    import difflib

    close = difflib.get_close_matches(model_id, known, n=3, cutoff=0.5)
    hint = f"; did you mean {', '.join(map(repr, close))}?" if close else ""
    return f"unknown model id {model_id!r}{hint}"


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


def load_catalogue(path: str | Path | None = None) -> Catalogue:
    """Load and validate a catalogue file (default: default_catalogue_path())."""
    path = Path(path) if path else default_catalogue_path()
    shown = _display_path(path)
    label = f"catalogue {shown}"
    data = parse_yaml(read_text(path, label, CatalogueError), label, CatalogueError)
    return parse_catalogue(data, shown)


def _display_path(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)
